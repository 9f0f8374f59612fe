"""The audit log: written in the same transaction as the change it describes."""

from __future__ import annotations

import contextvars
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, SQLModel, col, func, select

from app.domain.text import clean_text
from app.domain.timestamps import rfc3339_utc
from app.i18n import format_date, format_number, gettext
from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment
from app.models.units import Unit
from app.security.principal import Principal
from app.services import units
from app.services.errors import Invalid

# Set by the request middleware so every record carries the request id.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "zona_request_id", default=""
)


@event.listens_for(AuditRecord, "before_update")
@event.listens_for(AuditRecord, "before_delete")
def _append_only(*_args) -> None:
    raise RuntimeError("audit records are append-only")



def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)  # as the row's text is stored (app.db)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return rfc3339_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: SQLModel | None, *, exclude: set[str] | None = None) -> dict | None:
    """A JSON-safe copy of a row's columns, for before/after."""
    if obj is None:
        return None
    skip = {"password_hash", "token_hash"} | (exclude or set())
    data = {k: v for k, v in obj.model_dump().items() if k not in skip}
    return _jsonable(data)


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    unit_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditRecord:
    """Add one audit record to the session; the caller's commit writes it with the change."""
    entry = AuditRecord(
        actor_user_id=actor.user_id if actor else None,
        actor_token_id=actor.token_id if actor else None,
        actor_label=actor.label if actor else "system",
        unit_id=unit_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=current_request_id.get(),
    )
    session.add(entry)
    return entry


def save(
    session: Session,
    row: SQLModel,
    *,
    actor: Principal | None,
    action: str,
    entity: str,
    before: dict | None,
    unit_id: int | None = None,
) -> None:
    """Write a changed row with its audit record (the row as it is now) in one commit.

    ``unit_id`` defaults to the row's own ``unit_id``.
    """
    session.add(row)
    record(
        session, actor=actor, action=action, entity=entity, entity_id=row.id,
        unit_id=row.unit_id if unit_id is None else unit_id, before=before, after=snapshot(row),
    )
    session.commit()


def last_before(session: Session, *, entity: str, entity_id: Any,
                action: str = "delete") -> dict:
    """The row as it was before its last ``action`` (e.g. what an undo of a delete brings
    back: an ``active`` flag the delete cleared); {} when there is no such record."""
    entry = session.exec(
        select(AuditRecord).where(AuditRecord.entity == entity,
                                  AuditRecord.entity_id == str(entity_id),
                                  AuditRecord.action == action)
        .order_by(col(AuditRecord.id).desc())
    ).first()
    return dict(entry.before or {}) if entry is not None else {}


_AREA = re.compile(r"[A-Z]{2,4}")
# The records about one LKE question: entity_id '<assessment>:<ref>' or
# '<assessment>:<level>:<ref>'.
_BY_QUESTION = ("lke_answer", "lke_review_draft")


@dataclass
class AuditPage:
    records: list[AuditRecord]
    total: int
    page: int
    per_page: int


def search(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    entity: str | None = None,
    action: str | None = None,
    actor_user_id: int | None = None,
    area: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """The unit's audit records, newest first, for those who may read its log.

    ``area``: an LKE area's code ('PPA', 'HBA'): the answers to its questions only.
    """
    units.get(session, unit_id=unit_id, actor=actor, permission="audit.read")
    query = select(AuditRecord).where(AuditRecord.unit_id == unit_id)
    if entity:
        query = query.where(AuditRecord.entity == entity)
    if action:
        query = query.where(AuditRecord.action == action)
    if actor_user_id:
        query = query.where(AuditRecord.actor_user_id == actor_user_id)
    if area:
        if not _AREA.fullmatch(area):
            raise Invalid("Area LKE tidak dikenal.")
        query = query.where(col(AuditRecord.entity).in_(_BY_QUESTION),
                            col(AuditRecord.entity_id).like(f"%:{area}%"))
    if since:
        query = query.where(AuditRecord.at >= since)
    if until:
        query = query.where(AuditRecord.at < until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = min(max(page, 1), 1_000_000)  # past the last page: empty, whatever the number
    rows = session.exec(
        query.order_by(col(AuditRecord.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AuditPage(records=list(rows), total=total, page=page, per_page=per_page)


# --- the log as people read it ------------------------------------------------------------
# The records keep their codes (action, entity, field names, exact values); the page and the
# CSV export show them in words: Indonesian action and record names, the record by its name
# and unit, and only the fields that changed, with local dates and Indonesian numbers. In the
# reader's language: ``lang="en"`` gives the same words and numbers in English (the codes in
# the record never change).

ACTION_NAMES: dict[str, str] = {
    "create": "Dibuat",
    "update": "Diubah",
    "delete": "Dihapus",
    "answer": "Jawaban diubah",
    "clear_answer": "Jawaban dikosongkan",
    "review_value": "Nilai reviu diisi",
    "link": "Eviden ditautkan",
    "unlink": "Tautan eviden dilepas",
    "upload": "Berkas diunggah",
    "login": "Masuk ke aplikasi",
    "logout": "Keluar dari aplikasi",
    "load": "Dimuat",
    "submit": "Diajukan untuk reviu",
    "submit_batch": "Jawaban survei diterima",
    "revoke": "Dicabut",
    "rotate_secret": "Rahasia diganti",
    "remove_orphans": "Berkas tanpa tautan dibersihkan",
    "redeliver": "Dikirim ulang",
    "import_xlsx": "Diimpor dari XLSX",
    "fill_from_surveys": "Diisi dari hasil survei",
    "carry_over": "Disalin dari tahun sebelumnya",
    "apply_survey_count": "Jumlah survei diterapkan",
    "apply_innovations": "Diisi dari data inovasi",
    "review_accept": "Reviu: diterima",
    "review_return": "Reviu: dikembalikan",
    "review:include": "Jawaban survei dihitung",
    "review:exclude": "Jawaban survei tidak dihitung",
    "status:open": "Kampanye dibuka",
    "status:closed": "Kampanye ditutup",
    "status:draft": "Kampanye kembali ke draf",
    "restore": "Dipulihkan",
}

ENTITY_NAMES: dict[str, str] = {
    "action_item": "Butir rencana aksi",
    "api_token": "Token API",
    "assessment": "LKE ZI",
    "evidence": "Eviden",
    "evidence_link": "Tautan eviden",
    "evidence_store": "Penyimpanan eviden",
    "innovation": "Inovasi",
    "innovation_impact": "Dampak inovasi",
    "integrity_pact": "Pakta integritas",
    "lke_answer": "Jawaban LKE",
    "lke_framework": "Kerangka LKE",
    "lke_review_draft": "Catatan reviu",
    "membership": "Keanggotaan",
    "milestone": "Tonggak",
    "partnership": "Kemitraan",
    "pillar": "Pilar",
    "predicate_award": "Predikat",
    "survey_campaign": "Kampanye survei",
    "survey_instrument": "Instrumen survei",
    "survey_response": "Jawaban survei",
    "survey_service": "Jenis layanan",
    "survey_source": "Sumber survei",
    "team_activity": "Kegiatan tim",
    "team_decree": "SK tim",
    "team_member": "Anggota tim",
    "unit": "Unit",
    "user": "Pengguna",
    "webhook_delivery": "Pengiriman webhook",
    "webhook_subscription": "Langganan webhook",
}

FIELD_NAMES: dict[str, str] = {
    "option": "Opsi", "index_value": "Nilai indeks", "index": "Nilai indeks",
    "penjelasan": "Penjelasan", "inputs": "Isian", "source": "Sumber", "status": "Status",
    "year": "Tahun", "target": "Target", "name": "Nama", "title": "Judul", "label": "Label",
    "activity": "Kegiatan", "output_target": "Target keluaran", "due_on": "Batas waktu",
    "progress": "Kemajuan (%)", "person_in_charge": "Penanggung jawab", "area": "Area",
    "level": "Tingkat", "self_total": "Nilai mandiri", "review_total": "Nilai reviu",
    "flagged": "Ditandai", "decision": "Keputusan", "note": "Catatan", "role": "Peran",
    "username": "Nama pengguna", "display_name": "Nama tampilan", "scopes": "Cakupan",
    "revoked_at": "Dicabut pada", "expires_at": "Berlaku sampai", "predicate": "Predikat",
    "decree_number": "Nomor SK", "decree_date": "Tanggal SK", "signed_on": "Tanggal tanda tangan",
    "started_on": "Mulai", "stage": "Tahap", "phase": "Fase", "description": "Keterangan",
    "url": "URL", "events": "Peristiwa", "active": "Aktif", "deleted_at": "Dihapus pada",
    "reportable": "Dihitung", "suspect": "Dicurigai", "review_decision": "Keputusan reviu",
    "opens_on": "Dibuka", "closes_on": "Ditutup", "minimum_sample": "Sampel minimum",
    "period": "Periode", "campaign": "Kampanye", "question_ref": "Pertanyaan",
    "valid_until": "Berlaku sampai", "signed_at": "Ditandatangani", "date": "Tanggal",
    "partner": "Mitra", "value": "Nilai", "unit": "Satuan", "changed": "Berubah",
    "answers": "Jawaban", "review_id": "Reviu", "trigger": "Pemicu",
    "instrument_ids": "Instrumen", "period_kind": "Jenis periode", "period_label": "Periode",
    "population": "Populasi", "public_code": "Kode publik", "timezone": "Zona waktu",
    "is_demo": "Data demo", "links_added": "Tautan ditambah", "links_removed": "Tautan dilepas",
    "skipped": "Dilewati", "parent_id": "Induk", "code": "Kode", "email": "Surel",
    "filename": "Nama berkas", "size": "Ukuran (bita)", "content_type": "Jenis berkas",
    "total": "Nilai total", "round": "Putaran", "levels": "Tingkat reviu",
}

# Stored codes of a status or decision, in words.
VALUE_WORDS: dict[str, str] = {
    "open": "dibuka", "closed": "ditutup", "draft": "draf", "submitted": "diajukan",
    "in_review": "direviu TPI", "returned": "dikembalikan", "final": "final",
    "accept": "diterima", "return": "dikembalikan", "include": "dihitung",
    "exclude": "tidak dihitung", "regional": "Kanwil", "tpi": "TPI", "done": "selesai",
    "planned": "direncanakan", "in_progress": "berjalan", "cancelled": "dibatalkan",
}
# Integers that are names, not amounts: shown without thousands dots.
_PLAIN_INTS = {"year", "revision", "review_id", "parent_id"}

# Bookkeeping columns: they change with every write and tell the reader nothing.
_NOISE = {"id", "updated_at", "created_at", "updated_by", "updated_by_label", "revision",
          "unit_id", "assessment_id", "created_by", "created_by_label", "secret", "request_id",
          "question_ref", "submission_id"}
# The field whose value names the record, in order of preference.
_NAME_FIELDS = ("name", "title", "activity", "label", "display_name", "username",
                "decree_number", "original_name", "file_name", "url")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_FRACTION = re.compile(r"^-?\d+/\d+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_BOOL_WORDS = {True: "ya", False: "tidak"}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ReadableRecord:
    record: AuditRecord
    at: str
    actor: str
    action: str
    kind: str
    name: str
    unit: str
    changes: list[Change]


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action.replace("_", " ").replace(":", ": "))


def entity_name(entity: str) -> str:
    return ENTITY_NAMES.get(entity, entity.replace("_", " "))


def field_name(field: str) -> str:
    return FIELD_NAMES.get(field, field.replace("_", " "))


def _label(label: str, lang: str) -> str:
    """A field label in the reader's language, part by part ('HPA1A · Nilai indeks')."""
    return " · ".join(gettext(part, lang) for part in label.split(" · "))


def readable_value(value: Any, tz: str, field: str = "", lang: str = "id") -> str:
    """One stored value as people read it: local dates, numbers in the reader's language (an
    exact fraction '351/400' as '0,88' / '0.88'), yes/no, status words, lists joined; '-'
    for nothing."""
    if value is None or value == "" or value == [] or value == {}:
        return "-"
    if isinstance(value, bool):
        return gettext(_BOOL_WORDS[value], lang)
    if isinstance(value, int):
        return str(value) if field in _PLAIN_INTS else format_number(value, 0, lang)
    if isinstance(value, float):
        return format_number(value, 2, lang)
    if isinstance(value, list):
        return ", ".join(readable_value(v, tz, field, lang) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(field_name(str(k)), lang)}: "
                         f"{readable_value(v, tz, str(k), lang)}"
                         for k, v in value.items() if str(k) not in _NOISE)
    text = str(value)
    if field in ("status", "decision", "level", "levels", "review_decision") and text in VALUE_WORDS:
        return gettext(VALUE_WORDS[text], lang)
    if _FRACTION.match(text):
        numerator, denominator = text.split("/")
        if int(denominator):
            return format_number(Fraction(int(numerator), int(denominator)), 2, lang)
    if _DECIMAL.match(text):
        places = min(len(text.split(".")[1]), 4)
        return format_number(Decimal(text), places, lang)
    if _DATETIME.match(text):
        try:
            return format_date(datetime.fromisoformat(text.replace("Z", "+00:00")), tz)
        except ValueError:
            return text
    if _DATE.match(text):
        try:
            return format_date(date.fromisoformat(text), tz)
        except ValueError:
            return text
    return text


def _flatten(data: dict | None, prefix: str = "") -> dict[str, tuple[str, Any]]:
    """Nested mappings one field each ('HPA1A · Nilai indeks'), bookkeeping left out: the
    label -> (the field's own name, its value)."""
    flat: dict[str, tuple[str, Any]] = {}
    for key, value in (data or {}).items():
        if key in _NOISE:
            continue
        label = f"{prefix}{field_name(str(key))}"
        if isinstance(value, dict) and {"ref", "level", "score"} <= set(value):
            # A node of the score tree (a submission's total): its score is what a reader
            # wants, not its weight, name and counts.
            flat[label] = (str(key), value["score"])
        elif isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{label} · "))
        else:
            flat[label] = (str(key), value)
    return flat


def changes(before: dict | None, after: dict | None, tz: str, lang: str = "id") -> list[Change]:
    """The fields that differ between before and after (all set fields of a new or removed
    record), each as a label with its readable old and new value."""
    if (isinstance(before, dict) and isinstance(after, dict)
            and isinstance(after.get("answers"), dict) and "answers" not in before
            and set(before) <= set(after["answers"])):
        before = {"answers": before}  # a fill from surveys: the answers before, then after
    old, new = _flatten(before), _flatten(after)
    found = []
    for label in list(old) + [k for k in new if k not in old]:
        (key_b, b), (key_a, a) = old.get(label, ("", None)), new.get(label, ("", None))
        if b == a or (b in (None, "", [], {}) and a in (None, "", [], {})):
            continue
        key = key_a or key_b
        found.append(Change(key, _label(label, lang), readable_value(b, tz, key, lang),
                            readable_value(a, tz, key, lang)))
    return found


def _record_name(r: AuditRecord, assessments: dict[int, Any]) -> str:
    snap = r.after or r.before or {}
    if r.entity in _BY_QUESTION and ":" in r.entity_id:
        assessment_id, ref = r.entity_id.split(":", 1)[0], r.entity_id.rsplit(":", 1)[1]
        found = assessments.get(int(assessment_id)) if assessment_id.isdigit() else None
        return f"LKE ZI {found.year} · {ref}" if found else ref
    if r.entity == "assessment":
        year = snap.get("year") if isinstance(snap, dict) else None
        found = assessments.get(int(r.entity_id)) if r.entity_id.isdigit() else None
        year = year or (found.year if found else None)
        if year:
            return f"LKE ZI {year}"
    if isinstance(snap, dict):
        for key in _NAME_FIELDS:
            value = snap.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return f"#{r.entity_id}" if r.entity_id else ""


def readable(session: Session, records: list[AuditRecord], *, tz: str,
             lang: str = "id") -> list[ReadableRecord]:
    """The records in words (in ``lang``), for the page and the CSV export (two queries for
    any number)."""
    ids: set[int] = set()
    for r in records:
        head = r.entity_id.split(":", 1)[0]
        if r.entity in (*_BY_QUESTION, "assessment") and head.isdigit():
            ids.add(int(head))
    assessments = ({a.id: a for a in session.exec(
        select(Assessment).where(col(Assessment.id).in_(ids)))} if ids else {})
    unit_ids = {r.unit_id for r in records if r.unit_id}
    unit_names = ({u.id: u.name for u in session.exec(
        select(Unit).where(col(Unit.id).in_(unit_ids)))} if unit_ids else {})
    out = []
    for r in records:
        out.append(ReadableRecord(
            record=r,
            at=format_date(r.at, tz),
            actor=r.actor_label or "-",
            action=gettext("Jawaban diisi" if r.action == "answer" and not r.before
                           else action_name(r.action), lang),
            kind=gettext(entity_name(r.entity), lang),
            name=_record_name(r, assessments),
            unit=unit_names.get(r.unit_id, "") if r.unit_id else "",
            changes=changes(r.before, r.after, tz, lang),
        ))
    return out


@dataclass(frozen=True)
class AuditChoices:
    """What the filters offer: the people, kinds and actions that occur in the unit's log."""

    people: list[tuple[int, str]]
    kinds: list[tuple[str, str]]
    actions: list[tuple[str, str]]
    areas: list[str]


def choices(session: Session, *, actor: Principal | None, unit_id: int) -> AuditChoices:
    units.get(session, unit_id=unit_id, actor=actor, permission="audit.read")
    mine = AuditRecord.unit_id == unit_id
    people = session.exec(
        select(AuditRecord.actor_user_id, func.max(AuditRecord.actor_label))
        .where(mine, col(AuditRecord.actor_user_id).is_not(None))
        .group_by(AuditRecord.actor_user_id)
    ).all()
    kinds = session.exec(select(AuditRecord.entity).where(mine).distinct()).all()
    actions = session.exec(select(AuditRecord.action).where(mine).distinct()).all()
    answered = session.exec(select(AuditRecord.entity_id).where(
        mine, col(AuditRecord.entity).in_(_BY_QUESTION)).distinct()).all()
    areas = sorted({e.rsplit(":", 1)[1][:3] for e in answered if ":" in e})
    return AuditChoices(
        people=sorted(((int(i), label or f"#{i}") for i, label in people),
                      key=lambda p: p[1].lower()),
        kinds=sorted(((k, entity_name(k)) for k in kinds), key=lambda k: k[1]),
        actions=sorted(((a, action_name(a)) for a in actions), key=lambda a: a[1]),
        areas=areas,
    )


_CSV_HEADS = {
    "id": ["Waktu", "Pelaku", "Tindakan", "Jenis", "Data", "Unit", "Perubahan"],
    "en": ["Time", "Actor", "Action", "Kind", "Record", "Unit", "Changes"],
}


def to_csv(rows: list[ReadableRecord], lang: str = "id") -> bytes:
    """UTF-8 with BOM (spreadsheets on Windows read the accents right); a cell that a
    spreadsheet would run as a formula starts with a quote."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_CSV_HEADS.get(lang, _CSV_HEADS["id"]))
    for row in rows:
        changed = "; ".join(f"{c.label}: {c.before} → {c.after}" for c in row.changes)
        writer.writerow([_cell(v) for v in (row.at, row.actor, row.action, row.kind, row.name,
                                            row.unit, changed)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") and value != "-" else value
