"""Survey responses: checking and recording one response or an API batch (idempotency keys),
reviewing a response in or out of the indices, listing responses and their answers.

Public API used by the public form (``/s/{code}``) and the JSON API:
:func:`check_submission` to validate without storing (field-level errors);
:func:`record_response` (one response, SQLAlchemy Core, one transaction) and
:func:`record_batch` (API, per-item idempotency keys).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import insert_rows
from app.domain.surveys import submission as rules
from app.domain.surveys.instruments import Instrument
from app.domain.surveys.submission import CheckedSubmission, Choices, is_code
from app.models.surveys.records import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyResponse,
    SurveyService,
)
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Conflict, FieldProblem, Forbidden, Invalid
from app.services.season import notify as season_notify
from app.services.surveys import tallies as survey_tallies
from app.services.surveys.campaigns import (
    ensure_accepting,
    forbid,
    instruments_of,
    utc_now,
)
from app.services.surveys.catalogue import active_services, list_sources, source_by_tag
from app.services.webhooks import events as webhook_events

_ITEM_PREFIX = re.compile(r"^items\[(\d+)\]\.(.+)$")
_OWN_FIELDS = {"answers", "suggestion", "source", "idempotency_key", "items"}


def api_field(name: str) -> str:
    """The dotted path of a submission field in the API's body (``ikm-2017.U3`` ->
    ``answers.ikm-2017.U3``, ``items[2].ikm-2017.U3`` -> ``items.2.answers.ikm-2017.U3``)."""
    item = _ITEM_PREFIX.match(name)
    if item:
        return f"items.{item.group(1)}.{api_field(item.group(2))}"
    if name == "service":
        return "service_id"
    if name in _OWN_FIELDS or name.startswith("profile."):
        return name
    return f"answers.{name}"


class SubmissionInvalid(Invalid):
    """A submission with problems; ``fields`` maps a form field name to its message.

    Field names: ``"<instrument code>.<item code>"`` (e.g. ``"ikm-2017.U3"``),
    ``"profile.<field>"``, ``"service"``, ``"source"``, ``"suggestion"``, ``"answers"``.
    ``errors`` names each for the API (``answers.ikm-2017.U3``, with its reason code).
    """

    def __init__(self, message: str, *, fields: dict[str, str],
                 codes: dict[str, str] | None = None):
        codes = codes or {}
        super().__init__(message, problems=[f"{k}: {v}" for k, v in fields.items()], errors=[
            FieldProblem(api_field(k), codes.get(k, "invalid"), v) for k, v in fields.items()
        ])
        self.fields = fields
        self.codes = codes


@dataclass(frozen=True)
class ResponseMeta:
    """Technical facts of a submission (never the raw IP: only its keyed hash)."""

    ip_hash: str | None = None
    device_hash: str | None = None
    fill_seconds: int | None = None
    idempotency_key: str | None = None
    #: The kiosk that sent it (channel "kiosk").
    kiosk_id: int | None = None


@dataclass(frozen=True)
class RecordedResponse:
    """What :func:`record_response` stored (or found, for a repeated idempotency key)."""

    id: int
    campaign_id: int
    submitted_at: datetime
    suspect: bool
    #: True when the idempotency key was seen before: nothing new was stored.
    duplicate: bool = False


def choices_of(session: Session, campaign: SurveyCampaign) -> Choices:
    """The services and source tags a response to this campaign may name."""
    return Choices(
        service_ids=frozenset(s.id for s in active_services(session, unit_id=campaign.unit_id)),
        source_tags=frozenset(s.tag for s in list_sources(session, campaign_id=campaign.id)),
    )


def _named_choices(
    session: Session, campaign: SurveyCampaign, service_id: Any, source: Any
) -> Choices:
    """The choices narrowed to what a submission names: looks up only those two (if well-formed)."""
    service_ids: frozenset[int] = frozenset()
    if isinstance(service_id, int) and not isinstance(service_id, bool):
        found = session.exec(select(SurveyService.id).where(
            SurveyService.id == service_id, SurveyService.unit_id == campaign.unit_id,
            SurveyService.active == True,  # noqa: E712
            col(SurveyService.deleted_at).is_(None),
        )).first()
        service_ids = frozenset() if found is None else frozenset([service_id])
    source_tags: frozenset[str] = frozenset()
    if is_code(source) and source_by_tag(session, campaign_id=campaign.id, tag=source):
        source_tags = frozenset([source])
    return Choices(service_ids=service_ids, source_tags=source_tags)


def check_submission(
    session: Session, *, campaign: SurveyCampaign,
    answers: Mapping[tuple[str, str], Any],
    service_id: int | None = None, source: str | None = None,
    profile: Mapping[str, Any] | None = None, suggestion: str | None = None,
    instruments: Sequence[Instrument] | None = None, choices: Choices | None = None,
) -> CheckedSubmission:
    """Validate a submission against the campaign's instruments; SubmissionInvalid lists all.

    The rules are :func:`app.domain.surveys.submission.check_submission`; this reads what they
    need. With ``instruments`` and ``choices`` given, it reads nothing from the database.
    """
    instruments = list(instruments) if instruments is not None else instruments_of(
        session, campaign
    )
    if choices is None:
        choices = _named_choices(session, campaign, service_id, source)
    try:
        return rules.check_submission(
            instruments, answers, choices=choices, service_id=service_id, source=source,
            profile=profile, suggestion=suggestion,
        )
    except rules.SubmissionProblems as problems:
        raise SubmissionInvalid(problems.message, fields=problems.fields,
                                codes=problems.codes) from None


_RESPONSE = RESPONSE_TABLE = SurveyResponse.__table__
_ANSWER = SurveyAnswer.__table__


def _existing(session: Session, campaign_id: int, key: str) -> RecordedResponse | None:
    row = session.execute(
        select(_RESPONSE.c.id, _RESPONSE.c.submitted_at, _RESPONSE.c.suspect).where(
            _RESPONSE.c.campaign_id == campaign_id, _RESPONSE.c.idempotency_key == key
        )
    ).first()
    if row is None:
        return None
    return RecordedResponse(row.id, campaign_id, row.submitted_at, row.suspect, duplicate=True)


def _meta(meta: ResponseMeta | Mapping[str, Any] | None) -> ResponseMeta:
    if meta is None:
        return ResponseMeta()
    if isinstance(meta, ResponseMeta):
        return meta
    return ResponseMeta(**dict(meta))


def response_row(
    campaign_id: int, checked: CheckedSubmission, meta: ResponseMeta,
    suspect_reasons: Sequence[str], channel: str, submitted_at: datetime,
) -> dict[str, Any]:
    """The ``survey_response`` row of a checked submission (every column, for executemany)."""
    suspect = bool(suspect_reasons)
    return {
        "campaign_id": campaign_id, "submitted_at": submitted_at,
        "service_id": checked.service_id, "source_tag": checked.source_tag,
        "channel": channel, "profile": checked.profile, "suggestion": checked.suggestion,
        "ip_hash": meta.ip_hash, "device_hash": meta.device_hash,
        "fill_seconds": meta.fill_seconds, "idempotency_key": meta.idempotency_key,
        "kiosk_id": meta.kiosk_id,
        "suspect": suspect, "suspect_reasons": list(suspect_reasons) or None,
        "review_decision": None, "reviewed_by": None, "reviewed_at": None,
        "reportable": not suspect,
    }


def answer_rows(response_id: int, row: Mapping[str, Any], checked: CheckedSubmission):
    """The ``survey_answer`` rows of a stored response (``row`` as from response_row)."""
    campaign_id, service_id, reportable = row["campaign_id"], row["service_id"], row["reportable"]
    return [
        {"response_id": response_id, "instrument_code": inst, "item_code": item,
         "value": value, "campaign_id": campaign_id, "service_id": service_id,
         "reportable": reportable}
        for inst, item, value in checked.answers
    ]


def insert_answers(
    connection, rows: Sequence[Mapping[str, Any]], *,
    counts: survey_tallies.Counts | None = None,
) -> None:
    """Store answer rows (a response has 9 to 22 of them) in as few statements as possible,
    and count the reportable ones in the running tallies (same transaction).

    With ``counts``, the changes are gathered there instead, for the caller to write once
    when it has stored all its responses (``Counts.write``).
    """
    insert_rows(connection, _ANSWER, rows)
    if counts is None:
        survey_tallies.add_answers(connection, rows)
    else:
        counts.answers.update(survey_tallies.count_rows(rows))


def insert_responses(
    connection, rows: Sequence[Mapping[str, Any]], *,
    counts: survey_tallies.Counts | None = None,
) -> None:
    """Store ``survey_response`` rows (each with its ``id``) and count them in the
    respondent tallies (same transaction; see insert_answers for ``counts``)."""
    insert_rows(connection, _RESPONSE, rows)
    if counts is None:
        survey_tallies.add_respondents(connection, survey_tallies.count_responses(rows))
    else:
        counts.respondents.update(survey_tallies.count_responses(rows))


INSERT_RESPONSE = insert(_RESPONSE).returning(_RESPONSE.c.id)


def _insert(
    session: Session, campaign: SurveyCampaign, checked: CheckedSubmission, meta: ResponseMeta,
    suspect_reasons: Sequence[str], channel: str, submitted_at: datetime,
    counts: survey_tallies.Counts | None = None,
) -> RecordedResponse:
    """One response with its answers; counted in the tallies now, or in ``counts``."""
    row = response_row(campaign.id, checked, meta, suspect_reasons, channel, submitted_at)
    connection = session.connection()
    response_id = connection.execute(INSERT_RESPONSE, row).scalar_one()
    gathered = counts if counts is not None else survey_tallies.Counts()
    insert_answers(connection, answer_rows(response_id, row, checked), counts=gathered)
    gathered.respondents.update(survey_tallies.count_responses([row]))
    if counts is None:
        gathered.write(connection)
    return RecordedResponse(response_id, campaign.id, submitted_at, row["suspect"])


def _check_meta(meta: ResponseMeta) -> None:
    problems = []
    key = meta.idempotency_key
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 100):
        problems.append("Kunci idempotensi harus teks 1-100 karakter.")
    if meta.fill_seconds is not None and (
        isinstance(meta.fill_seconds, bool) or not isinstance(meta.fill_seconds, int)
        or meta.fill_seconds < 0
    ):
        problems.append("Lama pengisian harus bilangan bulat tidak negatif.")
    if problems:
        raise Invalid("Data teknis pengiriman tidak sah.", problems=problems)


def record_response(
    session: Session, *, campaign: SurveyCampaign,
    answers: Mapping[tuple[str, str], int],
    service_id: int | None = None, source: str | None = None,
    profile: Mapping[str, Any] | None = None, suggestion: str | None = None,
    meta: ResponseMeta | Mapping[str, Any] | None = None,
    suspect_reasons: Sequence[str] = (), channel: str = "web", now: datetime | None = None,
) -> RecordedResponse:
    """Validate and store one response in one transaction (Core inserts, answers executemany).

    ``answers`` maps ``(instrument code, item code)`` to the value. A response with
    ``suspect_reasons`` is stored but not reportable until a coordinator includes it. With
    ``meta.idempotency_key`` a repeated submission returns the first one (``duplicate=True``)
    and stores nothing, also under concurrent retries (unique constraint); the same key with
    other content is a Conflict. Raises CampaignClosed, SubmissionInvalid, Conflict or Invalid
    with nothing stored.
    """
    meta = _meta(meta)
    _check_meta(meta)
    ensure_accepting(campaign, now)
    checked = check_submission(
        session, campaign=campaign, answers=answers, service_id=service_id, source=source,
        profile=profile, suggestion=suggestion,
    )
    if meta.idempotency_key is not None:
        found = _existing(session, campaign.id, meta.idempotency_key)
        if found is not None:
            _ensure_same({meta.idempotency_key: checked}, {meta.idempotency_key: found},
                         session)
            session.rollback()
            return found
    try:
        recorded = _insert(
            session, campaign, checked, meta, suspect_reasons, channel, now or utc_now()
        )
        if recorded.suspect:
            emit_held(session, {campaign.id: campaign.unit_id},
                      [(campaign.id, recorded.id, tuple(suspect_reasons))])
        session.commit()
    except IntegrityError:
        session.rollback()
        if meta.idempotency_key is not None:
            found = _existing(session, campaign.id, meta.idempotency_key)
            if found is not None:
                _ensure_same({meta.idempotency_key: checked},
                             {meta.idempotency_key: found}, session)
                return found
        raise
    return recorded


def _content(answers, service_id, source_tag, profile, suggestion) -> tuple:
    """What a response says, comparable between a retry and the stored first attempt."""
    return (tuple(sorted(answers)), service_id, source_tag,
            tuple(sorted((profile or {}).items())), suggestion)


def content_of(checked: CheckedSubmission) -> tuple:
    """What a checked submission says (equal for an identical resend)."""
    return _content(checked.answers, checked.service_id, checked.source_tag, checked.profile,
                    checked.suggestion)


def stored_contents(connection, response_ids) -> dict[int, tuple[tuple, RecordedResponse]]:
    """Stored responses by id: what each says (as content_of) and the response as a
    repeated submission gets it back (``duplicate=True``)."""
    ids = sorted(set(response_ids))
    if not ids:
        return {}
    answers: dict[int, list[tuple[str, str, int]]] = {i: [] for i in ids}
    for row in connection.execute(
        select(_ANSWER.c.response_id, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
               _ANSWER.c.value).where(_ANSWER.c.response_id.in_(ids))
    ):
        answers[row.response_id].append((row.instrument_code, row.item_code, row.value))
    return {
        row.id: (
            _content(answers[row.id], row.service_id, row.source_tag, row.profile,
                     row.suggestion),
            RecordedResponse(row.id, row.campaign_id, row.submitted_at, row.suspect,
                             duplicate=True),
        )
        for row in connection.execute(
            select(_RESPONSE.c.id, _RESPONSE.c.campaign_id, _RESPONSE.c.submitted_at,
                   _RESPONSE.c.suspect, _RESPONSE.c.service_id, _RESPONSE.c.source_tag,
                   _RESPONSE.c.profile, _RESPONSE.c.suggestion)
            .where(_RESPONSE.c.id.in_(ids))
        )
    }


def _ensure_same(
    sent: Mapping[str, CheckedSubmission], stored: Mapping[str, RecordedResponse],
    session: Session,
) -> None:
    """A repeated idempotency key must carry the same response: a retry, not another one.

    Conflict (409, nothing stored) names the keys whose content differs from what is stored.
    """
    keys = [key for key in sent if key in stored]
    if not keys:
        return
    ids = {stored[key].id: key for key in keys}
    answers: dict[int, list[tuple[str, str, int]]] = {i: [] for i in ids}
    for row in session.execute(
        select(_ANSWER.c.response_id, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
               _ANSWER.c.value).where(_ANSWER.c.response_id.in_(list(ids)))
    ):
        answers[row.response_id].append((row.instrument_code, row.item_code, row.value))
    different = []
    for row in session.execute(
        select(_RESPONSE.c.id, _RESPONSE.c.service_id, _RESPONSE.c.source_tag,
               _RESPONSE.c.profile, _RESPONSE.c.suggestion).where(_RESPONSE.c.id.in_(list(ids)))
    ):
        key = ids[row.id]
        new = sent[key]
        if _content(answers[row.id], row.service_id, row.source_tag, row.profile,
                    row.suggestion) != _content(new.answers, new.service_id, new.source_tag,
                                                new.profile, new.suggestion):
            different.append(key)
    if different:
        session.rollback()
        shown = ", ".join(sorted(different)[:5])
        raise Conflict(
            f"Kunci idempotensi sudah dipakai untuk jawaban yang berbeda: {shown}. "
            "Kirim ulang hanya jawaban yang sama; jawaban baru memerlukan kunci baru. "
            "Tidak ada yang disimpan."
        )


@dataclass(frozen=True)
class BatchItem:
    """One response of an API batch."""

    answers: Mapping[tuple[str, str], int]
    idempotency_key: str
    service_id: int | None = None
    source: str | None = None
    profile: Mapping[str, Any] | None = None
    suggestion: str | None = None
    submitted_at: datetime | None = None
    #: Measured on the device (kiosks): seconds between the fresh form and the answer.
    fill_seconds: int | None = None
    #: Kept but held for review (the kiosk guard's reasons).
    suspect_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchResult:
    results: tuple[RecordedResponse, ...]

    @property
    def created(self) -> int:
        return sum(1 for r in self.results if not r.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.results if r.duplicate)


MAX_BATCH = 500


def _may_submit(actor: Principal | None, campaign: SurveyCampaign) -> None:
    """A kiosk may post only its own campaign's answers; anyone else needs surveys.write."""
    if actor is not None and actor.kind == "kiosk":
        if actor.campaign_id != campaign.id:
            raise Forbidden("Kredensial kiosk ini hanya berlaku untuk survei kiosk itu sendiri.",
                            permission="surveys.write")
        return
    forbid(actor, "surveys.write", campaign.unit_id)


def record_batch(
    session: Session, *, actor: Principal | None, campaign: SurveyCampaign,
    items: Sequence[BatchItem], channel: str = "api", now: datetime | None = None,
    kiosk_id: int | None = None,
) -> BatchResult:
    """Store a batch all-or-nothing; each item's idempotency key makes retries harmless.

    Every item is validated first (SubmissionInvalid names the item index). Items whose key
    is already stored come back as duplicates; a concurrent retry that wins the race is
    detected through the unique constraint and the batch is re-resolved once.

    With ``kiosk_id`` (app.services.surveys.kiosks, which has judged every item's given
    time against the campaign's open span and grace period) the campaign's state now is not
    checked again: answers given while it was open are taken after it closed.
    """
    _may_submit(actor, campaign)
    if kiosk_id is None:
        ensure_accepting(campaign, now)
    if not items:
        raise Invalid("Kumpulan jawaban kosong.")
    if len(items) > MAX_BATCH:
        raise Invalid(f"Paling banyak {MAX_BATCH} jawaban per kiriman.")
    keys = [item.idempotency_key for item in items]
    problems_by_item: dict[str, str] = {}
    codes_by_item: dict[str, str] = {}
    for n, key in enumerate(keys):
        if not isinstance(key, str) or not 1 <= len(key) <= 100:
            problems_by_item[f"items[{n}].idempotency_key"] = "Wajib, teks 1-100 karakter."
            codes_by_item[f"items[{n}].idempotency_key"] = "invalid_idempotency_key"
    if len(set(keys)) != len(keys):
        problems_by_item["items"] = "Kunci idempotensi dalam satu kiriman harus unik."
        codes_by_item["items"] = "duplicate_idempotency_key"
    instruments = instruments_of(session, campaign)
    checked: list[CheckedSubmission | None] = []
    for n, item in enumerate(items):
        try:
            checked.append(check_submission(
                session, campaign=campaign, answers=item.answers, service_id=item.service_id,
                source=item.source, profile=item.profile, suggestion=item.suggestion,
                instruments=instruments,
            ))
        except SubmissionInvalid as exc:
            checked.append(None)
            for name, message in exc.fields.items():
                problems_by_item[f"items[{n}].{name}"] = message
                codes_by_item[f"items[{n}].{name}"] = exc.codes.get(name, "invalid")
    if problems_by_item:
        raise SubmissionInvalid(
            "Kiriman ditolak; tidak ada jawaban yang disimpan.", fields=problems_by_item,
            codes=codes_by_item,
        )
    stamp = now or utc_now()
    for attempt in range(2):
        existing = _existing_many(session, campaign.id, keys)
        _ensure_same(
            {item.idempotency_key: check for item, check in zip(items, checked, strict=True)},
            existing, session,
        )
        try:
            results: list[RecordedResponse] = []
            counts = survey_tallies.Counts()
            held: list[tuple[int, int, Sequence[str]]] = []
            for item, check in zip(items, checked, strict=True):
                if item.idempotency_key in existing:
                    results.append(existing[item.idempotency_key])
                    continue
                results.append(_insert(
                    session, campaign, check,
                    ResponseMeta(idempotency_key=item.idempotency_key,
                                 fill_seconds=item.fill_seconds, kiosk_id=kiosk_id),
                    item.suspect_reasons, channel, item.submitted_at or stamp, counts,
                ))
                if item.suspect_reasons:
                    held.append((campaign.id, results[-1].id, item.suspect_reasons))
            counts.write(session.connection())
            if held:
                emit_held(session, {campaign.id: campaign.unit_id}, held)
            created = [r.id for r in results if not r.duplicate]
            if created:
                audit.record(
                    session, actor=actor, action="submit_batch", entity="survey_campaign",
                    entity_id=campaign.id, unit_id=campaign.unit_id,
                    after={"created": len(created), "duplicates": len(results) - len(created)},
                )
            session.commit()
            return BatchResult(tuple(results))
        except IntegrityError:
            session.rollback()
            if attempt == 1:
                raise Conflict("Kiriman bersamaan dengan kunci yang sama; coba lagi.") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _existing_many(
    session: Session, campaign_id: int, keys: Sequence[str]
) -> dict[str, RecordedResponse]:
    rows = session.execute(
        select(_RESPONSE.c.id, _RESPONSE.c.submitted_at, _RESPONSE.c.suspect,
               _RESPONSE.c.idempotency_key).where(
            _RESPONSE.c.campaign_id == campaign_id, _RESPONSE.c.idempotency_key.in_(keys)
        )
    ).all()
    return {
        r.idempotency_key: RecordedResponse(r.id, campaign_id, r.submitted_at, r.suspect, True)
        for r in rows
    }


def emit_held(db, unit_of: Mapping[int, int],
              held: Sequence[tuple[int, int, Sequence[str]]]) -> None:
    """Put one ``survey.answers_held`` event per campaign in the outbox for the responses
    just held for review: (campaign id, response id, reasons) each."""
    by_campaign: dict[int, list[tuple[int, Sequence[str]]]] = {}
    for campaign_id, response_id, reasons in held:
        by_campaign.setdefault(campaign_id, []).append((response_id, reasons))
    for campaign_id, rows in by_campaign.items():
        reasons = sorted({r for _, found in rows for r in found})
        webhook_events.emit(
            db, event_type=webhook_events.SURVEY_ANSWERS_HELD, unit_id=unit_of[campaign_id],
            data={"campaign_id": campaign_id, "count": len(rows),
                  "response_ids": [response_id for response_id, _ in rows],
                  "reasons": reasons},
        )
        season_notify.answers_held(db, unit_id=unit_of[campaign_id], campaign_id=campaign_id)
