"""Survey responses over JSON: one or a batch (idempotency keys), listing, review.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from app.api.surveys._common import (
    ReadAny,
    ReviewAny,
    WriteAny,
    WriteOrKiosk,
)
from app.api.types import Timestamp
from app.deps import IdempotencyKey, SessionDep
from app.domain.surveys.guard import KioskPolicy
from app.services.errors import Invalid
from app.services.form_input import TextInput
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import kiosks as survey_kiosks
from app.services.surveys import responses as survey_responses
from app.services.surveys import review as survey_review
from app.services.surveys.inputs import ReviewIn

router = APIRouter(tags=["surveys"])


def kiosk_policy(request: Request) -> KioskPolicy:
    """The kiosk guard's rules from settings."""
    settings = request.app.state.settings
    return KioskPolicy(
        min_fill_seconds=settings.survey_kiosk_min_fill_seconds,
        max_per_minute=settings.survey_kiosk_max_per_minute,
        grace=timedelta(hours=settings.survey_kiosk_grace_hours),
    )


# --------------------------------------------------------------------------- responses

# Values are read as sent and checked by the service, which reports every problem at once
# (types, ranges, missing and unknown items); the schema still says what to send: integers.
AnswerValue = Annotated[Any, WithJsonSchema({"type": "integer", "examples": [4]})]
Answers = dict[str, dict[str, AnswerValue]]
# Checked with the answers (an unknown or wrong service is one more problem in the list).
ServiceId = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "null"}]})]
ANSWERS_EXAMPLE = {
    "ikm-2017": {f"U{n}": 4 for n in range(1, 10)},
}


class ResponseIn(TextInput):
    answers: Answers = Field(description="instrument code -> item code -> value")
    service_id: ServiceId = None
    source: str | None = Field(default=None, max_length=40)
    profile: dict[str, str] | None = None
    suggestion: str | None = Field(default=None, max_length=5000)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=100)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "answers": ANSWERS_EXAMPLE, "service_id": None, "source": "loket-1",
        "profile": {"gender": "P", "age_group": "30-39"},
        "suggestion": "Antrian sudah cepat.", "idempotency_key": "kiosk-7-000123"}]})


class BatchItemIn(TextInput):
    idempotency_key: str = Field(min_length=1, max_length=100)
    answers: Answers
    service_id: ServiceId = None
    source: str | None = Field(default=None, max_length=40)
    profile: dict[str, str] | None = None
    suggestion: str | None = Field(default=None, max_length=5000)
    submitted_at: datetime | None = Field(
        default=None,
        description="When the respondent answered (offline kiosks); default now. RFC 3339; "
        "without an offset it is taken as UTC. Stored and returned in UTC (`Z`).",
    )
    fill_seconds: int | None = Field(
        default=None, ge=0, le=86400,
        description="Seconds the respondent took, measured on the device (kiosks: below "
        "the kiosk minimum the answer is held for review).",
    )
    model_config = ConfigDict(extra="forbid")

    @field_validator("submitted_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """One instant, whatever offset it came with: SQLite keeps no offset, so a +07:00
        value must be turned into UTC before it is stored (or a repeat would read it back
        seven hours off)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class BatchIn(TextInput):
    items: list[BatchItemIn] = Field(min_length=1, max_length=survey_responses.MAX_BATCH)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"items": [
        {"idempotency_key": "portal-2019-000001", "answers": ANSWERS_EXAMPLE}]}]})


class RecordedOut(BaseModel):
    id: int
    campaign_id: int
    submitted_at: Timestamp
    duplicate: bool = Field(description="True when this idempotency key was already stored.")


class RefusedOut(BaseModel):
    idempotency_key: str
    reason: str = Field(description="before_open, after_close, grace_over, future, "
                        "duplicate_key or invalid (kiosk credentials only).")
    message: str


class BatchOut(BaseModel):
    created: int
    duplicates: int
    items: list[RecordedOut]
    refused: list[RefusedOut] = Field(
        default_factory=list,
        description="Kiosk credentials only: answers refused for good (given outside the "
        "campaign's open span, received after its grace period, or a key twice in the "
        "batch); nothing stored for them. A device may drop them from its queue.",
    )


def _pairs(answers: Answers) -> dict[tuple[str, str], int]:
    return {(inst, item): v for inst, items in answers.items() for item, v in items.items()}


def _recorded(r: survey_responses.RecordedResponse) -> RecordedOut:
    return RecordedOut(id=r.id, campaign_id=r.campaign_id, submitted_at=r.submitted_at,
                       duplicate=r.duplicate)


@router.post("/survey-campaigns/{campaign_id}/responses", response_model=RecordedOut,
             status_code=201)
def submit_response(
    session: SessionDep, principal: WriteAny, campaign_id: int, body: ResponseIn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", max_length=100,
        description="The response's key, like `idempotency_key` in the body (the same if both "
        "are sent). Per campaign: a repeat with a stored key returns 200 with the first "
        "response's id and `duplicate: true`, and stores nothing.",
    )] = None,
):
    """Submit one response (kiosk, portal). A repeated idempotency key returns 200 and the
    first response; nothing is stored twice. The key may also be sent as the
    ``Idempotency-Key`` header."""
    campaign = survey_campaigns.campaign_for(
        session, actor=principal, campaign_id=campaign_id, permission="surveys.write"
    )
    key = body.idempotency_key or idempotency_key
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise Invalid("Kunci idempotensi di header dan di isi permintaan berbeda.")
    recorded = survey_responses.record_response(
        session, campaign=campaign, answers=_pairs(body.answers), service_id=body.service_id,
        source=body.source, profile=body.profile, suggestion=body.suggestion,
        meta=survey_responses.ResponseMeta(idempotency_key=key), channel="api",
    )
    if recorded.duplicate:
        response.status_code = 200
    return _recorded(recorded)


def _items(body: BatchIn) -> list[survey_responses.BatchItem]:
    return [survey_responses.BatchItem(
        answers=_pairs(i.answers), idempotency_key=i.idempotency_key,
        service_id=i.service_id, source=i.source, profile=i.profile,
        suggestion=i.suggestion, submitted_at=i.submitted_at, fill_seconds=i.fill_seconds,
    ) for i in body.items]


@router.post("/survey-campaigns/{campaign_id}/responses/batch", response_model=BatchOut,
             status_code=200)
def submit_batch(
    request: Request, session: SessionDep, principal: WriteOrKiosk, campaign_id: int,
    body: BatchIn, _key: IdempotencyKey = None,
    kiosk_queue: Annotated[int | None, Header(
        alias="Zona-Kiosk-Queue", ge=0, le=1_000_000,
        description="Kiosks: the answers waiting on the device when it sent this batch "
        "(shown to the coordinator).",
    )] = None,
):
    """Submit up to 500 responses at once, all or nothing; each needs its own idempotency key,
    so re-sending a batch (after a timeout) never counts a response twice.

    A survey kiosk sends with its kiosk credential as the bearer (docs/surveys-kiosk.md):
    its answers are judged by the kiosk rules; those given while the campaign was open are
    taken after it closed, within the grace period; the others come back in ``refused``."""
    if principal.kind == "kiosk":
        kiosk_result = survey_kiosks.submit_batch(
            session, actor=principal, campaign_id=campaign_id, items=_items(body),
            policy=kiosk_policy(request), queue_size=kiosk_queue,
        )
        return BatchOut(
            created=kiosk_result.created, duplicates=kiosk_result.duplicates,
            items=[_recorded(r) for r in kiosk_result.results],
            refused=[RefusedOut(idempotency_key=r.idempotency_key, reason=r.reason,
                                message=r.message) for r in kiosk_result.refused],
        )
    campaign = survey_campaigns.campaign_for(
        session, actor=principal, campaign_id=campaign_id, permission="surveys.write"
    )
    result = survey_responses.record_batch(
        session, actor=principal, campaign=campaign, items=_items(body),
    )
    return BatchOut(created=result.created, duplicates=result.duplicates,
                    items=[_recorded(r) for r in result.results])


class ResponseOut(BaseModel):
    id: int
    submitted_at: Timestamp
    service_id: int | None
    source: str | None
    channel: str
    profile: dict[str, str] | None = Field(description="Profile field code -> option code")
    suggestion: str | None
    fill_seconds: int | None
    suspect: bool
    suspect_reasons: list[str] | None
    review_decision: str | None
    reportable: bool
    answers: dict[str, dict[str, int]]


class ResponsePageOut(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ResponseOut]


@router.get("/survey-campaigns/{campaign_id}/responses", response_model=ResponsePageOut)
def list_responses(
    session: SessionDep, principal: ReadAny, campaign_id: int,
    service_id: int | None = None, source: str | None = None, suspect: bool | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
):
    """A campaign's responses, newest first (no IP or device hashes)."""
    result = survey_review.list_responses(
        session, campaign_id=campaign_id, service_id=service_id, source=source,
        suspect=suspect, page=page, per_page=per_page, actor=principal,
    )
    items = []
    for r in result.responses:
        nested: dict[str, dict[str, int]] = {}
        for (inst, item), v in result.answers[r.id].items():
            nested.setdefault(inst, {})[item] = v
        items.append(ResponseOut(
            id=r.id, submitted_at=r.submitted_at, service_id=r.service_id,
            source=r.source_tag, channel=r.channel, profile=r.profile,
            suggestion=r.suggestion, fill_seconds=r.fill_seconds, suspect=r.suspect,
            suspect_reasons=r.suspect_reasons, review_decision=r.review_decision,
            reportable=r.reportable, answers=nested,
        ))
    return ResponsePageOut(total=result.total, page=result.page, per_page=result.per_page,
                           items=items)


@router.post("/survey-responses/{response_id}/review", response_model=ResponseOut)
def review(session: SessionDep, principal: ReviewAny, response_id: int, body: ReviewIn):
    """Include a suspect response in the indices, or exclude a response; audited."""
    r = survey_review.review_response(
        session, actor=principal, response_id=response_id, decision=body.decision
    )
    nested: dict[str, dict[str, int]] = {}
    for (inst, item), v in survey_review.answers_of(session, response_ids=[r.id])[r.id].items():
        nested.setdefault(inst, {})[item] = v
    return ResponseOut(
        id=r.id, submitted_at=r.submitted_at, service_id=r.service_id, source=r.source_tag,
        channel=r.channel, profile=r.profile, suggestion=r.suggestion,
        fill_seconds=r.fill_seconds, suspect=r.suspect, suspect_reasons=r.suspect_reasons,
        review_decision=r.review_decision, reportable=r.reportable, answers=nested,
    )
