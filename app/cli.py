"""The `zona` command line: serve, migrate, demo, users, tokens, backup, restore, check."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.config import get_settings
from app.db import make_engine
from app.security.principal import ALL_SCOPES

app = typer.Typer(help="Zona: Zona Integritas workbench.", no_args_is_help=True)
unit_app = typer.Typer(help="Organisation units.", no_args_is_help=True)
user_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for other systems.", no_args_is_help=True)
app.add_typer(unit_app, name="unit")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
webhooks_app = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
jobs_app = typer.Typer(help="Scheduled work: deadline and expiry checks, digests, e-mail.",
                       no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
bundles_app = typer.Typer(help="Evidence bundles (ZIP) built in the background.",
                          no_args_is_help=True)
app.add_typer(bundles_app, name="bundles")
storage_app = typer.Typer(help="The evidence file store (docs/storage.md).",
                          no_args_is_help=True)
app.add_typer(storage_app, name="storage")


def _engine():
    return make_engine(get_settings().resolved_database_url())


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest migration (alembic upgrade heads) and load
    the bundled data files; on PostgreSQL one process at a time (replicas may all run it)."""
    from app.migrate import migration_lock, upgrade

    url = get_settings().resolved_database_url()
    with migration_lock(url):
        upgrade(url)
        typer.echo(f"Database migrated: {make_url(url).render_as_string(hide_password=True)}")
        _sync_frameworks()
        _sync_survey_instruments()
        _fill_lke_summaries()


def _fill_lke_summaries() -> None:
    """Summarise the live LKE assessments that have no summary yet (stored before the
    summaries existed); nothing to do on an up-to-date database."""
    from app.services.lke import summary as lke_summary

    with Session(_engine(), expire_on_commit=False) as session:
        added = lke_summary.fill_missing(session)
        session.commit()
    if added:
        typer.echo(f"LKE score summaries added: {added}")


def _sync_frameworks() -> None:
    """Store every bundled LKE framework version whose content is new (fatal if invalid)."""
    from app.domain.lke import FrameworkError
    from app.services.lke import frameworks

    with Session(_engine(), expire_on_commit=False) as session:
        try:
            created = frameworks.sync_bundled(session)
        except FrameworkError as exc:
            _fail("Invalid LKE framework file:\n- " + "\n- ".join(exc.problems))
    for row in created:
        typer.echo(f"LKE framework loaded: {row.code} v{row.version} ({row.sha256[:12]})")


@app.command("frameworks")
def frameworks_list() -> None:
    """List the stored LKE framework versions (assessments stay bound to theirs)."""
    from sqlmodel import func, select

    from app.models.lke.assessments import Assessment
    from app.services.lke import frameworks

    with Session(_engine(), expire_on_commit=False) as session:
        rows = frameworks.list_versions(session)
        counts = dict(
            session.exec(
                select(Assessment.framework_id, func.count()).group_by(Assessment.framework_id)
            ).all()
        )
    if not rows:
        typer.echo("No LKE framework stored yet: run `zona migrate`.")
        return
    for row in rows:
        typer.echo(
            f"#{row.id:<4} {row.code:<16} v{row.version:<3} {row.sha256[:12]}  "
            f"{row.loaded_at:%Y-%m-%d %H:%M}  {counts.get(row.id, 0)} assessment(s)  {row.title}"
        )


def _sync_survey_instruments() -> None:
    """Store every bundled survey instrument version whose content is new."""
    from app.services.surveys import instruments as survey_instruments

    with Session(_engine(), expire_on_commit=False) as session:
        for row in survey_instruments.sync_bundled(session):
            typer.echo(f"Survey instrument loaded: {row.code} v{row.version} ({row.sha256[:12]})")


@app.command("recount-surveys")
def recount_surveys() -> None:
    """Rebuild the survey index counts (survey_tally, survey_item_total) from the stored answers.

    Not needed in normal use (every change keeps them); for a repair, or after loading
    answers into the database by hand.
    """
    from sqlmodel import Session, func, select

    from app.models.surveys.records import SurveyTally
    from app.services.surveys import tallies as survey_tallies

    engine = _engine()
    with Session(engine) as session:
        survey_tallies.recount(session)
        session.commit()
        rows = session.exec(select(func.count()).select_from(SurveyTally)).one()
    typer.echo(f"Survey counts rebuilt from the stored answers ({rows} counts).")


@app.command("recount-lke")
def recount_lke() -> None:
    """Rebuild every LKE assessment's score summary (assessment_summary) from its answers,
    evidence links and reviews.

    Not needed in normal use (every change keeps them); for a repair, or after loading
    answers into the database by hand.
    """
    from app.services.lke import summary as lke_summary

    with Session(_engine(), expire_on_commit=False) as session:
        rows = lke_summary.rebuild(session)
        session.commit()
    typer.echo(f"LKE score summaries rebuilt from the stored answers ({rows} assessments).")


@app.command()
def demo() -> None:
    """Load the demo data (idempotent)."""
    from app.services import demo as demo_service

    _sync_frameworks()
    _sync_survey_instruments()
    with Session(_engine(), expire_on_commit=False) as session:
        result = demo_service.load(session)
    typer.echo(f"Demo data ready ({len(result.created)} records created).")
    typer.echo(f"Demo logins (password for all: {demo_service.DEMO_PASSWORD}):")
    for username, _name, role, unit_code in demo_service.DEMO_USERS:
        typer.echo(f"  {username:<12} {role.value:<12} {unit_code}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve Zona with uvicorn."""
    import uvicorn

    _limit_malloc_arenas()

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.echo(f"Zona is running at http://{shown}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(
        "app.main:create_app", factory=True, host=host, port=port, workers=workers,
        reload=reload, log_level="info",
        # Templates are compiled once per process (app.web.templating): an edited template
        # restarts the development server like edited code.
        **({"reload_includes": ["*.py", "*.html"]} if reload else {}),
        # Forwarded headers are read by the app itself, from ZONA_TRUSTED_PROXIES only
        # (app/edge.py): uvicorn's own reading stays off so there is one place deciding.
        proxy_headers=False,
    )


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own malloc arena; the request threads then
    keep freed memory in a dozen arenas (bench/README.md: about 10-20 MB of a server's RSS
    under load). Two are enough for one event loop and its thread pool. Same effect as
    MALLOC_ARENA_MAX, which an operator's own setting overrides; no-op off glibc."""
    import ctypes
    import os

    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to set
        pass


@app.command("openapi")
def openapi(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write here (docs/openapi.json) instead of printing."
    ),
) -> None:
    """Write the API's OpenAPI document: the contract checked in as docs/openapi.json."""
    import tempfile

    from app.api.docs import render_openapi
    from app.config import Settings
    from app.main import create_app

    # A throwaway app: the document depends on the code only, never on a database or data.
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder), database_url="sqlite://", secret_key="openapi-" + "x" * 32
        )
        document = render_openapi(create_app(settings))
    if output is None:
        typer.echo(document, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document, encoding="utf-8")
    typer.echo(f"OpenAPI document written: {output}")


@app.command()
def check(
    files: bool = typer.Option(
        False, "--files", help="Also compare the evidence files with the database: missing "
        "files (exit code 1), orphans and leftover temporary files.",
    ),
    remove_orphans: bool = typer.Option(
        False, "--remove-orphans", help="With --files: remove orphans and temporary files "
        "older than an hour.",
    ),
    size_only: bool = typer.Option(
        False, "--size-only", help="With --files: compare sizes only, not sha256 (faster).",
    ),
) -> None:
    """Check the settings, that the database answers, and that it is migrated to head."""
    from app.migrate import at_head
    from app.security.client_address import TrustedProxies

    settings = get_settings()
    problems = []
    try:
        settings.resolved_secret_key()
    except RuntimeError as exc:
        problems.append(str(exc))
    try:
        TrustedProxies.parse(settings.trusted_proxies)
    except ValueError as exc:
        problems.append(str(exc))
    engine = _engine()
    url = make_url(settings.resolved_database_url())
    typer.echo(f"environment : {settings.environment}")
    typer.echo(f"database    : {url.render_as_string(hide_password=True)}")
    typer.echo(f"uploads     : {_store_description(settings)}")
    reachable = False
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        reachable = True
        typer.echo("database    : reachable")
        if at_head(engine):
            typer.echo("migrations  : at head")
        else:
            problems.append("Database is not at the newest migration: run `zona migrate`.")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"Database not reachable: {exc}")
    if settings.oidc_enabled:
        problems += _check_sso(settings)
    if (files or remove_orphans) and reachable:
        problems += _check_files(engine, settings, remove_orphans=remove_orphans,
                                 verify_hash=not size_only)
    if problems:
        _fail("\n".join(problems))
    typer.echo("OK")


def _store_description(settings) -> str:
    from app.services import storage

    try:
        return storage.from_settings(settings).describe()
    except storage.StorageError as exc:
        return f"(invalid: {exc})"


def _check_sso(settings) -> list[str]:
    """Single sign-on: the provider's discovery and keys answer, the claim mapping reads."""
    from app.services.accounts import claim_map
    from app.services.accounts.oidc import OidcClient, OidcError
    from app.services.errors import Invalid

    problems = []
    if not settings.oidc_client_id:
        problems.append("ZONA_OIDC_CLIENT_ID must be set when ZONA_OIDC_ISSUER is.")
    client = OidcClient.from_settings(settings)
    try:
        metadata = client.metadata()
        keys = client.keys()
        end_session = "offered" if metadata.get("end_session_endpoint") else "not offered"
        typer.echo(f"sso         : {client.issuer} (discovery ok, {len(keys.keys)} signing "
                   f"key(s), end-session {end_session})")
    except OidcError as exc:
        problems.append(f"SSO provider {client.issuer}: {exc}")
    try:
        rules = claim_map.load(settings.oidc_claim_map)
        typer.echo(f"claim map   : {len(rules)} rule(s)"
                   + ("" if rules else " (nobody can be given a unit and role)"))
    except Invalid as exc:
        problems.append(" ".join([exc.message, *exc.problems]))
    if not settings.oidc_local_login and not settings.oidc_local_admin_names():
        typer.echo("passwords   : off for everyone (no ZONA_OIDC_LOCAL_ADMINS break-glass)")
    return problems


def _check_files(engine, settings, *, remove_orphans: bool, verify_hash: bool) -> list[str]:
    """Print the evidence store sweep; the problems that make `check` fail (missing files)."""
    from app.services import storage
    from app.services.lke import evidence_store

    try:
        store = storage.from_settings(settings)
        with Session(engine) as session:
            report = evidence_store.check_files(
                session, store=store, verify_hash=verify_hash,
                remove_older_than=(evidence_store.ORPHAN_MIN_AGE_SECONDS
                                   if remove_orphans else None),
            )
    except storage.StorageError as exc:
        return [f"File store not readable: {exc}"]
    typer.echo(f"files       : {report.rows} evidence file(s) in the database, "
               f"{report.files} file(s) in the store"
               f" ({'size and sha256' if verify_hash else 'size only'} compared)")
    typer.echo(f"missing     : {len(report.missing)}")
    for item in report.missing:
        typer.echo(f"  evidence {item.evidence_id}: {item.path} ({item.reason})")
    typer.echo(f"orphans     : {len(report.orphans)} (files no row refers to)")
    for path in report.orphans:
        typer.echo(f"  {path}")
    typer.echo(f"temporary   : {len(report.temporary)} (left by an interrupted write)")
    for path in report.temporary:
        typer.echo(f"  {path}")
    if remove_orphans:
        typer.echo(f"removed     : {len(report.removed)} (older than "
                   f"{evidence_store.ORPHAN_MIN_AGE_SECONDS // 60} minutes)")
        for path in report.removed:
            typer.echo(f"  {path}")
    if report.missing:
        return [f"{len(report.missing)} evidence file(s) missing or damaged: restore them "
                "from a backup of the file store."]
    return []


@app.command()
def backup(
    target: Path = typer.Option(
        None, help="Archive to write (default <data dir>/backups/zona-backup-<time>.tar.gz; "
        "a name ending in .tar is written uncompressed)."
    ),
    include_secret: bool = typer.Option(
        False, "--include-secret",
        help="Also store ZONA_SECRET_KEY in the archive (it is left out by default).",
    ),
) -> None:
    """One archive of the database, the evidence files and the secret key.

    Safe while the server runs. On PostgreSQL it runs pg_dump (package postgresql-client).
    """
    from app.services import backup as backups

    try:
        result = backups.create_backup(
            get_settings(), target=target, include_secret=include_secret, progress=typer.echo
        )
    except backups.BackupError as exc:
        _fail(exc.message)
    for note in result.notes:
        typer.echo(note)
    typer.echo(f"Backup written: {result.path} ({backups.human_size(result.size)})")


@app.command()
def restore(
    archive: Path = typer.Argument(..., help="An archive written by `zona backup`."),
    check: bool = typer.Option(
        False, "--check", help="Only check the archive against its manifest; write nothing."
    ),
) -> None:
    """Restore a `zona backup` archive into an empty data folder and an empty database."""
    from app.services import backup as backups

    try:
        if check:
            manifest = backups.verify_archive(archive, progress=typer.echo)
        else:
            result = backups.restore_backup(get_settings(), archive=archive, progress=typer.echo)
            manifest = result.manifest
    except backups.BackupError as exc:
        _fail(exc.message)
    for line in backups.summary(manifest):
        typer.echo(line)
    if check:
        typer.echo(f"Archive OK: {archive}")
        return
    backend = manifest["database"]["backend"]
    typer.echo(f"Restored: the {backend} database and {result.files} upload files.")
    for note in result.notes:
        typer.echo(note)
    if not result.at_head:
        typer.echo("The database is at an older migration: run `zona migrate` before serving.")


@unit_app.command("add")
def unit_add(
    code: str,
    name: str = typer.Option(..., "--name", help="Full name, e.g. 'KPPN Tanjungpandan'."),
    level: str = typer.Option(..., help="ministry, eselon1, regional or unit."),
    parent: str = typer.Option(None, help="Parent unit code (every level but ministry)."),
) -> None:
    """Add a unit to the organisation tree."""
    from app.services import units
    from app.services.errors import ServiceError

    with Session(_engine(), expire_on_commit=False) as session:
        parent_id = None
        if parent:
            parent_unit = units.get_by_code(session, code=parent)
            if parent_unit is None:
                _fail(f"Unknown parent unit code: {parent}")
            parent_id = parent_unit.id
        try:
            unit = units.create(
                session, actor=None, code=code, name=name, level=level, parent_id=parent_id
            )
        except ServiceError as exc:
            _fail("; ".join([exc.message, *exc.problems]))
    typer.echo(f"Unit {unit.code} (id {unit.id}) added.")


@unit_app.command("list")
def unit_list() -> None:
    """List the units as a tree."""
    from app.services import units

    with Session(_engine(), expire_on_commit=False) as session:
        every = units.list_units(session, unit_ids=None)
        by_parent: dict[int | None, list] = {}
        for unit in every:
            by_parent.setdefault(unit.parent_id, []).append(unit)

        def show(parent_id: int | None, depth: int) -> None:
            for unit in by_parent.get(parent_id, []):
                typer.echo(f"{'  ' * depth}{unit.code:<16} {unit.name} [{unit.level}]")
                show(unit.id, depth + 1)

        show(None, 0)


@user_app.command("add")
def user_add(
    username: str,
    unit_code: str = typer.Option(..., "--unit", help="Unit code, e.g. KPPN-TJP."),
    role: str = typer.Option(..., help="admin, coordinator, member, reviewer or viewer."),
    full_name: str = typer.Option(None, "--name", help="Full name."),
    password: str = typer.Option(
        None, help="Password (asked when omitted).", prompt=False, hide_input=True
    ),
) -> None:
    """Add a person with a role in a unit (or a new role for an existing person)."""
    from app.services import units
    from app.services.accounts import users as accounts
    from app.services.errors import ServiceError

    with Session(_engine(), expire_on_commit=False) as session:
        unit = units.get_by_code(session, code=unit_code)
        if unit is None:
            _fail(f"Unknown unit code: {unit_code}")
        try:
            user = accounts.get_by_username(session, username=username)
            if user is None:
                if password is None:
                    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
                user = accounts.create_user(
                    session, actor=None, username=username, full_name=full_name or username,
                    password=password,
                )
            accounts.add_membership(
                session, actor=None, user_id=user.id, unit_id=unit.id, role=role
            )
        except ServiceError as exc:
            _fail("; ".join([exc.message, *exc.problems]))
    typer.echo(f"{username}: {role} at {unit_code}")


@token_app.command("add")
def token_add(
    name: str,
    unit_code: str = typer.Option(..., "--unit", help="Unit code."),
    scope: list[str] = typer.Option(["read"], help=f"Repeat for several: {', '.join(ALL_SCOPES)}"),
    days: int = typer.Option(365, help="Days until it expires."),
) -> None:
    """Issue an API token; it is printed once."""
    from app.services import units
    from app.services.accounts import tokens
    from app.services.errors import ServiceError

    with Session(_engine(), expire_on_commit=False) as session:
        unit = units.get_by_code(session, code=unit_code)
        if unit is None:
            _fail(f"Unknown unit code: {unit_code}")
        try:
            issued = tokens.create(
                session, actor=None, unit_id=unit.id, name=name, scopes=scope,
                expires_in_days=days,
            )
        except ServiceError as exc:
            _fail("; ".join([exc.message, *exc.problems]))
    typer.echo(f"Token id {issued.token.id} for {unit_code} ({issued.token.scopes}):")
    typer.echo(issued.secret)
    typer.echo("Store it now: it is not shown again.", err=True)


@token_app.command("scopes")
def token_scopes() -> None:
    """List the scopes a token may hold and the permissions each grants at its unit."""
    from app.security.principal import SCOPE_DESCRIPTIONS, SCOPE_PERMISSIONS

    for scope, permissions in SCOPE_PERMISSIONS.items():
        typer.echo(f"{scope:<18} {', '.join(sorted(permissions)):<40} {SCOPE_DESCRIPTIONS.get(scope, '')}")


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from app.services.accounts import tokens
    from app.services.errors import ServiceError

    with Session(_engine(), expire_on_commit=False) as session:
        try:
            tokens.revoke(session, actor=None, token_id=token_id)
        except ServiceError as exc:
            _fail(exc.message)
    typer.echo(f"Token {token_id} revoked.")


@webhooks_app.command("run")
def webhooks_run(
    once: bool = typer.Option(False, help="Send what is due now, then stop."),
) -> None:
    """Send webhook deliveries from the outbox (beside the app, or instead of its thread
    when ZONA_WEBHOOKS_WORKER=false). Leased rows: any number may run at once."""
    import time

    from app.services.webhooks.worker import Sender

    settings = get_settings()
    sender = Sender(_engine(), settings)
    if once:
        typer.echo(f"Webhook attempts made: {sender.run_once()}")
        return
    typer.echo("Sending webhooks (Ctrl+C to stop).")
    try:
        while True:
            sender.run_once()
            time.sleep(settings.webhooks_poll_seconds)
    except KeyboardInterrupt:
        typer.echo("Stopped.")


@jobs_app.command("run-once")
def jobs_run_once(
    at: str = typer.Option("", help="Run as if it were this moment (ISO 8601, with offset); "
                           "for tests and catching up. Default: now."),
) -> None:
    """Run the scheduled work that is due now, once: each daily job runs once per day per
    deployment (recorded in job_run), then e-mails are sent. For cron, e.g. every 10 minutes,
    when ZONA_JOBS_WORKER=false; safe beside other replicas."""
    from datetime import UTC, datetime

    from app.services.season.jobs import Runner

    now = None
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            _fail(f"--at: not an ISO 8601 moment: {at!r}")
        if now.tzinfo is None:
            _fail("--at needs a UTC offset, e.g. 2026-07-01T08:00:00+07:00")
        now = now.astimezone(UTC)
    done = Runner(_engine(), get_settings()).run_once(now)
    for job, result in done.items():
        typer.echo(f"{job}: {result}")


@bundles_app.command("run")
def bundles_run(
    once: bool = typer.Option(False, help="Build what is waiting now, then stop."),
) -> None:
    """Build the evidence bundles waiting in the queue and remove expired ones (beside the
    app, or instead of its thread when ZONA_BUNDLE_WORKER=false). Leased rows: any number
    may run at once, each bundle is built by one."""
    import time

    from app.services.lke.bundle_jobs import BundleWorker

    settings = get_settings()
    worker = BundleWorker(_engine(), settings)
    if once:
        typer.echo(f"Evidence bundles built: {worker.run_once()}")
        return
    typer.echo("Building evidence bundles (Ctrl+C to stop).")
    try:
        while True:
            worker.run_once()
            time.sleep(settings.bundle_poll_seconds)
    except KeyboardInterrupt:
        typer.echo("Stopped.")
@storage_app.command("migrate")
def storage_migrate(
    source: Path = typer.Option(
        None, help="The local folder to copy from (default: ZONA_UPLOAD_DIR, i.e. "
        "<data dir>/uploads)."),
    to: str = typer.Option(
        "", "--to", help="The store to copy into, s3://bucket/prefix (default: "
        "ZONA_STORAGE_URL); endpoint and credentials from the ZONA_S3_* settings."),
) -> None:
    """Copy the evidence files of a local folder into an S3 store and verify every sha256
    there (read back from the store). Safe to run again: files already there with the right
    content are only verified. Exit code 1 when a file is absent or any hash differs."""
    from app.services import storage
    from app.services.lke import evidence_store

    settings = get_settings()
    target_url = (to or settings.storage_url).strip()
    if not target_url.startswith("s3://"):
        _fail("Name the S3 store to copy into: ZONA_STORAGE_URL=s3://bucket/prefix or "
              "--to s3://bucket/prefix (with ZONA_S3_ENDPOINT_URL and the credentials).")
    try:
        target = storage.from_settings(settings.model_copy(update={"storage_url": target_url}))
        if (problem := target.probe()) is not None:
            _fail(f"{target.describe()}: {problem}")
        origin = storage.local(source or settings.resolved_upload_dir())
        typer.echo(f"from        : {origin.describe()}")
        typer.echo(f"to          : {target.describe()}")
        with Session(_engine()) as session:
            report = evidence_store.migrate_files(
                session, source=origin, target=target, progress=typer.echo)
    except storage.StorageError as exc:
        _fail(f"File store: {exc}")
    typer.echo(f"files       : {report.files} named by the database; {report.copied} copied, "
               f"{report.present} already there; every sha256 verified in the target")
    if not report.ok:
        _fail(f"{len(report.problems)} file(s) not copied or not verified:\n  "
              + "\n  ".join(report.problems))
    typer.echo("OK")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())

