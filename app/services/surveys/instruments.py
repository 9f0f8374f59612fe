"""Survey instrument versions in the database: bundled YAML files -> immutable, versioned rows.

A row is never altered once stored. ``sync_bundled`` adds a new row when a bundled file's
content changes (version = previous version of that code + 1); a campaign keeps the row ids
it was created with, so a new wording never changes a running or past campaign. Parsed
:class:`Instrument` objects are cached in-process per row id (rows are immutable).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from app.domain.surveys.instruments import Instrument, InstrumentError, parse_instrument
from app.models.surveys.records import SurveyInstrument
from app.services import audit
from app.services.errors import NotFound

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "frameworks" / "surveys"

_CACHE: dict[int, Instrument] = {}


def load_instrument(source: str | os.PathLike[str] | Mapping[str, Any]) -> Instrument:
    """Load and validate an instrument from a YAML file path or an already-parsed mapping.

    Raises :class:`InstrumentError` listing every problem (also for unreadable YAML).
    """
    if not isinstance(source, str | os.PathLike):
        try:
            return parse_instrument(source)
        except InstrumentError as exc:
            raise InstrumentError(exc.problems, "instrument") from None
    import yaml  # files only (the CLI, the bundled set): a server reads the stored rows

    path = Path(source)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstrumentError([f"cannot read file: {exc.strerror or exc}"], str(path)) from exc
    except yaml.YAMLError as exc:
        raise InstrumentError([f"invalid YAML: {exc}"], str(path)) from exc
    try:
        return parse_instrument(doc)
    except InstrumentError as exc:
        raise InstrumentError(exc.problems, path.name) from None


@cache
def _bundled(directory: Path) -> tuple[Instrument, ...]:
    instruments = tuple(load_instrument(p) for p in sorted(directory.glob("*.yaml")))
    codes = [i.code for i in instruments]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise InstrumentError([f"code {c!r} used by more than one file" for c in duplicates],
                              str(directory))
    return instruments


def bundled_instruments() -> dict[str, Instrument]:
    """The instruments shipped in ``app/frameworks/surveys``, keyed by code, in file order."""
    return {i.code: i for i in _bundled(BUNDLED_DIR)}


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 of the instrument content in canonical JSON (sorted keys, compact)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _json_content(data: Mapping[str, Any]) -> dict[str, Any]:
    # YAML label keys are integers (1: ...); JSON makes them strings, which the loader accepts.
    return json.loads(json.dumps(data, ensure_ascii=False))


def sync_bundled(session: Session) -> list[SurveyInstrument]:
    """Store every bundled instrument whose content is new (idempotent); returns new rows."""
    import yaml

    added: list[SurveyInstrument] = []
    for path in sorted(BUNDLED_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        instrument = load_instrument(raw)  # InstrumentError: a broken bundled file is a bug
        content = _json_content(raw)
        digest = content_hash(content)
        exists = session.exec(
            select(SurveyInstrument.id).where(
                SurveyInstrument.code == instrument.code, SurveyInstrument.sha256 == digest
            )
        ).first()
        if exists is not None:
            continue
        latest = session.exec(
            select(func.max(SurveyInstrument.version)).where(
                SurveyInstrument.code == instrument.code
            )
        ).one()
        row = SurveyInstrument(
            code=instrument.code, version=(latest or 0) + 1, kind=instrument.kind,
            title=instrument.title.id, sha256=digest, content=content,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor=None, action="load", entity="survey_instrument", entity_id=row.id,
            after={"code": row.code, "version": row.version, "sha256": digest},
        )
        added.append(row)
    if added:
        session.commit()
    return added


def parsed(row: SurveyInstrument) -> Instrument:
    """The domain Instrument of a stored row (cached per row id)."""
    cached = _CACHE.get(row.id)
    if cached is None:
        cached = load_instrument(row.content)
        _CACHE[row.id] = cached
    return cached


def get(session: Session, *, instrument_id: int) -> Instrument:
    """The domain Instrument of a row id, from the cache when possible."""
    cached = _CACHE.get(instrument_id)
    if cached is not None:
        return cached
    row = session.get(SurveyInstrument, instrument_id)
    if row is None:
        raise NotFound(f"Instrumen survei {instrument_id} tidak ditemukan.")
    return parsed(row)


def latest(session: Session) -> list[SurveyInstrument]:
    """The newest version of every instrument code, ordered ikm, spkp, spak then by code."""
    rows = session.exec(select(SurveyInstrument).order_by(SurveyInstrument.code,
                                                          col(SurveyInstrument.version).desc()))
    newest: dict[str, SurveyInstrument] = {}
    for row in rows:
        newest.setdefault(row.code, row)
    order = {"ikm": 0, "spkp": 1, "spak": 2}
    return sorted(newest.values(), key=lambda r: (order.get(r.kind, 9), r.code))


def latest_by_code(session: Session, *, code: str) -> SurveyInstrument:
    """The newest stored version of one instrument code, or NotFound."""
    row = session.exec(
        select(SurveyInstrument).where(SurveyInstrument.code == code)
        .order_by(col(SurveyInstrument.version).desc())
    ).first()
    if row is None:
        raise NotFound(f"Instrumen survei '{code}' tidak dikenal.")
    return row
