"""LKE framework versions in the database: bundled YAML files -> immutable, versioned rows.

A row is never altered once stored. ``sync_bundled`` adds a new row when a bundled file's
content changes; an assessment stays bound to the row it was created with, so loading a new
version never changes existing assessments. Parsed ``Framework`` objects are cached in-process
per row (id + content hash).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.domain.display import round_half_up
from app.domain.lke import Framework, FrameworkError, Question, load_framework
from app.frameworks import DEFAULT_LKE_CODE, bundled_framework_paths
from app.models.lke.assessments import LkeFramework
from app.security.principal import Principal
from app.services import audit
from app.services.errors import NotFound

_CACHE: dict[tuple[int, str], Framework] = {}


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 of the framework content in canonical JSON (sorted keys, compact)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _json_content(data: Mapping[str, Any]) -> dict[str, Any]:
    """The parsed YAML as plain JSON data (what is stored); FrameworkError if it is not."""
    try:
        return json.loads(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise FrameworkError([f"content is not plain JSON data: {exc}"]) from exc


_YAML_CACHE: dict[tuple[str, int, int], dict[str, Any]] = {}
def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one framework file; FrameworkError when it cannot be read or parsed.

    Parsed files are cached per (path, size, mtime): `zona migrate` and the tests re-read them.
    PyYAML is imported here, not with the module: a serving process reads the frameworks from
    the database and never parses a file (tests/platform/test_server_imports.py).
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key in _YAML_CACHE:
            return copy.deepcopy(_YAML_CACHE[key])
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    except OSError as exc:
        raise FrameworkError([f"cannot read {path}: {exc}"]) from exc
    except yaml.YAMLError as exc:
        raise FrameworkError([f"{path} is not valid YAML: {exc}"]) from exc
    if not isinstance(data, Mapping):
        raise FrameworkError([f"{path}: framework must be a mapping"])
    _YAML_CACHE[key] = dict(data)
    return copy.deepcopy(_YAML_CACHE[key])


def load_file(path: Path) -> Framework:
    """The framework of one file, read and validated; FrameworkError listing every problem."""
    return load_framework(read_yaml(Path(path)))


def store(
    session: Session, *, actor: Principal | None, content: Mapping[str, Any]
) -> tuple[LkeFramework, bool]:
    """Validate ``content`` and store it as a new version unless identical content is stored.

    Returns (row, created). ``FrameworkError`` (every problem listed) when it is invalid.
    """
    data = _json_content(content)
    framework = load_framework(data)  # raises FrameworkError listing every problem
    digest = content_hash(data)
    existing = session.exec(
        select(LkeFramework).where(
            LkeFramework.code == framework.code, LkeFramework.sha256 == digest
        )
    ).first()
    if existing is not None:
        return existing, False
    row = LkeFramework(
        code=framework.code,
        version=framework.version,
        title=framework.title,
        sha256=digest,
        content=data,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="load", entity="lke_framework", entity_id=row.id,
        after={"code": row.code, "version": row.version, "sha256": row.sha256},
    )
    session.commit()
    _CACHE[(row.id, row.sha256)] = framework
    return row, True


def sync_bundled(session: Session, *, paths: list[Path] | None = None) -> list[LkeFramework]:
    """Load every bundled framework file; store new content as a new row. Returns new rows.

    Every file is validated before anything is stored: one invalid file raises
    ``FrameworkError`` with every problem of every file, and nothing is stored.
    """
    contents: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in paths if paths is not None else bundled_framework_paths():
        try:
            data = _json_content(read_yaml(path))
            load_framework(data)
        except FrameworkError as exc:
            problems.extend(f"{path.name}: {p}" for p in exc.problems)
            continue
        contents.append(data)
    if problems:
        raise FrameworkError(problems)
    created = []
    for data in contents:
        row, new = store(session, actor=None, content=data)
        if new:
            created.append(row)
    return created


def list_versions(session: Session, *, code: str | None = None) -> list[LkeFramework]:
    """Every stored framework version (optionally of one code), oldest first."""
    query = select(LkeFramework)
    if code is not None:
        query = query.where(LkeFramework.code == code)
    return list(session.exec(query.order_by(LkeFramework.code, col(LkeFramework.id))).all())


def get_row(session: Session, *, framework_id: int) -> LkeFramework:
    """One stored framework version or NotFound."""
    row = session.get(LkeFramework, framework_id)
    if row is None:
        raise NotFound(f"Kerangka LKE {framework_id} tidak ditemukan.")
    return row


_VERSIONS = sa_select(
    LkeFramework.id, LkeFramework.code, LkeFramework.version, LkeFramework.title,
    LkeFramework.sha256, LkeFramework.loaded_at,
).where(col(LkeFramework.id).in_(bindparam("ids", expanding=True)))


def versions(session: Session, *, framework_ids: Iterable[int]) -> dict[int, Any]:
    """id -> (id, code, version, title, sha256, loaded_at) of stored versions, in one query
    without their content (what an assessment names its framework by)."""
    ids = sorted(set(framework_ids))
    if not ids:
        return {}
    return {row.id: row for row in session.exec(_VERSIONS, params={"ids": ids}).all()}


def latest(session: Session, *, code: str = DEFAULT_LKE_CODE) -> LkeFramework:
    """The newest stored version of a framework code; NotFound when none is loaded."""
    row = session.exec(
        select(LkeFramework)
        .where(LkeFramework.code == code)
        .order_by(col(LkeFramework.id).desc())
    ).first()
    if row is None:
        raise NotFound(
            f"Kerangka LKE '{code}' belum dimuat. Jalankan `zona migrate` terlebih dahulu."
        )
    return row


def ensure_loaded(session: Session) -> LkeFramework:
    """The newest default framework, loading the bundled files first if none is stored."""
    try:
        return latest(session)
    except NotFound:
        sync_bundled(session)
        return latest(session)


def parsed(row: LkeFramework) -> Framework:
    """The ``Framework`` of a stored row (cached per row id and content hash)."""
    key = (row.id or 0, row.sha256)
    framework = _CACHE.get(key)
    if framework is None:
        framework = load_framework(row.content or {})
        _CACHE[key] = framework
    return framework


def load(session: Session, *, framework_id: int) -> Framework:
    """The ``Framework`` of stored version ``framework_id`` (NotFound when absent).

    Only the content hash is read when the parsed framework is cached: the content itself
    (the whole worksheet as JSON) is loaded and parsed once per process and version.
    """
    return load_with(session, framework_id=framework_id)[0]


# Statements are built once (building one costs about as much as running it here).
_SHA256 = sa_select(LkeFramework.sha256).where(LkeFramework.id == bindparam("framework_id"))
_SHA256_WITH: dict[int, tuple[Any, Any]] = {}  # id(also) -> (also, statement)


def load_with(
    session: Session,
    *,
    framework_id: int,
    also: Any = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[Framework, Any]:
    """``load`` plus one more scalar SQL expression ``also`` (with bound ``params``) read in
    the same query, e.g. an EXISTS the caller needs next; returns (framework, its value).
    Pass a module-level ``also``: its statement is built once and kept.

    A version's content never changes once stored, so within one session (a request) the
    framework is read once: later loads without ``also`` need no query."""
    known = session.info.setdefault("lke_frameworks", {})
    if also is None and framework_id in known:
        return known[framework_id], None
    statement = _SHA256
    if also is not None:
        entry = _SHA256_WITH.get(id(also))
        if entry is None or entry[0] is not also:
            entry = _SHA256_WITH[id(also)] = (also, _SHA256.add_columns(also))
        statement = entry[1]
    found = session.exec(  # a SQLAlchemy select: rows (sha256[, also]), never scalars
        statement, params={**(params or {}), "framework_id": framework_id}
    ).first()
    if found is None:
        raise NotFound(f"Kerangka LKE {framework_id} tidak ditemukan.")
    sha256, value = found[0], (found[1] if also is not None else None)
    framework = _CACHE.get((framework_id, sha256))
    if framework is None:
        framework = parsed(get_row(session, framework_id=framework_id))
    known[framework_id] = framework
    return framework, value


def load_hashed(session: Session, *, framework_id: int, sha256: str) -> Framework:
    """``load`` when the caller already read the version's content hash (e.g. joined to the
    row it read): no query when that version is parsed in this process."""
    known = session.info.setdefault("lke_frameworks", {})
    framework = known.get(framework_id) or _CACHE.get((framework_id, sha256))
    if framework is None:
        framework = parsed(get_row(session, framework_id=framework_id))
    known[framework_id] = framework
    return framework


def _d(value: Any) -> str | None:
    return None if value is None else str(value)


def _q(value: Fraction) -> dict[str, str]:
    return {
        "weight": str(round_half_up(value, 2)),
        "weight_exact": f"{value.numerator}/{value.denominator}",
    }


def tree_json(row: LkeFramework) -> dict[str, Any]:
    """The whole worksheet of a stored version as JSON (weights and values as strings)."""
    fw = parsed(row)

    def question(q: Question) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ref": q.ref, "text": q.text, "answer_type": q.answer_type, **_q(q.weight),
            "options": [{"code": o.code, "label": o.label, "value": str(o.value)}
                        for o in q.options],
            "evidence": list(q.evidence),
        }
        if q.inputs:
            out["inputs"] = [{"key": i.key, "label": i.label, "kind": i.kind,
                              "minimum": i.minimum} for i in q.inputs]
            out["rules"] = [{"kind": r.kind, "left": list(r.left), "right": list(r.right),
                             "message": r.message} for r in q.rules]
        if q.formula is not None:
            f = q.formula
            out["formula"] = {
                "kind": f.kind, "numerator": list(f.numerator),
                "denominator": list(f.denominator), "cap": _d(f.cap),
                "zero_denominator": _d(f.zero_denominator), "previous": f.previous,
                "current": f.current, "minimum": _d(f.minimum), "maximum": _d(f.maximum),
                "explanation": f.explanation,
            }
        return out

    def node(n: Any, children: dict[str, Any]) -> dict[str, Any]:
        return {"ref": n.ref, "name": n.name, "weight": str(n.weight), **children}

    return {
        "id": row.id, "code": fw.code, "version": fw.version, "title": fw.title,
        "regulation": fw.regulation, "sha256": row.sha256, "loaded_at": row.loaded_at,
        "questions": sum(1 for _ in fw.questions()),
        "components": [
            node(c, {"parts": [
                node(p, {"areas": [
                    node(a, {"sub_indicators": [
                        node(s, {"questions": [question(q) for q in s.questions]})
                        for s in a.sub_indicators
                    ]}) for a in p.areas
                ]}) for p in c.parts
            ]}) for c in fw.components
        ],
        "predicates": [
            {"code": p.code, "name": p.name, "checks": [
                {"code": c.code, "kind": c.kind, "label": c.label, "minimum": _d(c.minimum),
                 "ref": c.ref, "parts": list(c.parts), "share": _d(c.share),
                 "predicate": c.predicate} for c in p.checks
            ]} for p in fw.predicates
        ],
        "notes": list(fw.notes),
        "corrections": list(fw.corrections),
    }
