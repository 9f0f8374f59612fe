"""The `zona` command line against a real database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.models import ApiToken, Membership, PredicateAward, Unit, User


@pytest.fixture
def run(monkeypatch, database_url, settings, engine):
    """Invoke the CLI with the test database (cleaned after the test)."""
    monkeypatch.setenv("ZONA_DATABASE_URL", database_url)
    monkeypatch.setenv("ZONA_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def test_demo_is_idempotent(run, db):
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "koordinator" in first.output and "zona-demo-2026" in first.output
    counts = (len(db.exec(select(Unit)).all()), len(db.exec(select(User)).all()),
              len(db.exec(select(Membership)).all()), len(db.exec(select(PredicateAward)).all()))
    second = run("demo")
    assert second.exit_code == 0
    db.expire_all()
    assert counts == (len(db.exec(select(Unit)).all()), len(db.exec(select(User)).all()),
                      len(db.exec(select(Membership)).all()),
                      len(db.exec(select(PredicateAward)).all()))
    names = {u.name for u in db.exec(select(Unit)).all()}
    assert {"KPPN Tanjungpandan", "Kanwil DJPb Provinsi Kepulauan Bangka Belitung",
            "Direktorat Jenderal Perbendaharaan", "Kementerian Keuangan"} <= names


def test_user_and_token_commands(run, db):
    run("demo")
    added = run("user", "add", "budi", "--unit", "KPPN-TJP", "--role", "member",
                "--name", "Budi", "--password", "sandi-yang-panjang")
    assert added.exit_code == 0, added.output
    unknown_role = run("user", "add", "budi", "--unit", "KPPN-TJP", "--role", "raja")
    assert unknown_role.exit_code == 1
    issued = run("token", "add", "Portal", "--unit", "KPPN-TJP", "--scope", "read",
                 "--scope", "write:surveys")
    assert issued.exit_code == 0, issued.output
    secret = [line for line in issued.output.splitlines() if line.startswith("zona_")][0]
    token = db.exec(select(ApiToken)).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.scopes == "read write:surveys"
    revoked = run("token", "revoke", str(token.id))
    assert revoked.exit_code == 0
    db.expire_all()
    assert db.exec(select(ApiToken)).one().revoked_at is not None


def test_token_scopes_lists_each_scope_and_what_it_grants(run):
    listed = run("token", "scopes")
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.output.splitlines() if line.strip()}
    from app.security.principal import ALL_SCOPES

    assert list(rows) == list(ALL_SCOPES)
    assert {"submit:indicators", "manage:surveys", "review:surveys", "read:audit"} <= set(rows)
    assert "indicators.delete, indicators.write" in rows["write:indicators"]
    assert "surveys.review" in rows["review:surveys"]


def test_check_reports_a_migrated_database(run):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "migrations  : at head" in result.output


def test_vendored_static_files_match_their_checksums():
    static = Path(__file__).resolve().parents[2] / "app" / "static"
    lines = [
        line for line in (static / "SHA256SUMS").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((static / name).read_bytes()).hexdigest() == digest, name


def test_production_refuses_to_start_without_a_secret(tmp_path):
    from app.config import Settings

    with pytest.raises(RuntimeError, match="ZONA_SECRET_KEY"):
        Settings(environment="production", data_dir=tmp_path).resolved_secret_key()
    generated = Settings(data_dir=tmp_path).resolved_secret_key()
    assert len(generated) > 40
    assert Settings(data_dir=tmp_path).resolved_secret_key() == generated


def test_unit_commands_build_the_tree(run, db):
    assert run("unit", "add", "KEMENKEU", "--name", "Kementerian Keuangan",
               "--level", "ministry").exit_code == 0
    assert run("unit", "add", "DJPB", "--name", "Ditjen Perbendaharaan", "--level", "eselon1",
               "--parent", "KEMENKEU").exit_code == 0
    orphan = run("unit", "add", "KPPN-X", "--name", "KPPN X", "--level", "unit")
    assert orphan.exit_code == 1
    listed = run("unit", "list")
    assert "KEMENKEU" in listed.output and "  DJPB" in listed.output
    assert len(db.exec(select(Unit)).all()) == 2


def test_recount_surveys_rebuilds_lost_counts(run, db):
    from sqlalchemy import delete

    from app.models.surveys.records import SurveyTally
    from app.services.surveys import results as survey_results

    assert run("demo").exit_code == 0
    db.expire_all()
    before = {(t.campaign_id, t.service_key, t.instrument_code, t.item_code, t.value): t.answers
              for t in db.exec(select(SurveyTally)).all()}
    assert before  # the demo campaigns have answers
    campaign_id = next(iter(before))[0]
    expected = survey_results.tallies(db, campaign_ids=[campaign_id])
    db.execute(delete(SurveyTally))
    db.commit()
    assert survey_results.tallies(db, campaign_ids=[campaign_id]) == {}
    result = run("recount-surveys")
    assert result.exit_code == 0, result.output
    assert f"({len(before)} counts)" in result.output
    db.expire_all()
    assert survey_results.tallies(db, campaign_ids=[campaign_id]) == expected
