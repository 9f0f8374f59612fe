"""Reviewing survey responses (include or exclude one from the indices) and listing a
campaign's responses with their answers.

``response_for`` loads a response addressed by id and checks the actor's permission at its
campaign's unit (``Forbidden`` otherwise).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.models.surveys.records import (
    NO_SERVICE,
    ReviewDecision,
    SurveyAnswer,
    SurveyCampaign,
    SurveyResponse,
)
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Invalid, NotFound
from app.services.surveys import tallies as survey_tallies
from app.services.surveys.campaigns import campaign_for, utc_now

_ANSWER = SurveyAnswer.__table__


def response_for(
    session: Session, *, actor: Principal | None, response_id: int, permission: str = "unit.read",
    unit_id: int | None = None,
) -> tuple[SurveyResponse, SurveyCampaign]:
    """One response and its campaign; Forbidden when the actor lacks the permission there.

    With ``unit_id`` (a page addressed through a unit), a response of another unit is NotFound,
    in the same words as one that does not exist.
    """
    response = session.get(SurveyResponse, response_id)
    if response is None or (unit_id is not None and _unit_of(session, response) != unit_id):
        raise NotFound(f"Jawaban {response_id} tidak ditemukan.")
    campaign = campaign_for(
        session, actor=actor, campaign_id=response.campaign_id, permission=permission
    )
    return response, campaign


def _unit_of(session: Session, response: SurveyResponse) -> int | None:
    campaign = session.get(SurveyCampaign, response.campaign_id)
    return campaign.unit_id if campaign is not None else None


def review_response(
    session: Session, *, actor: Principal | None, response_id: int, decision: str,
    unit_id: int | None = None,
) -> SurveyResponse:
    """Include or exclude a response in the indices (suspect ones start excluded); audited."""
    response, campaign = response_for(
        session, actor=actor, response_id=response_id, permission="surveys.review",
        unit_id=unit_id,
    )
    try:
        decision = ReviewDecision(decision).value
    except ValueError:
        raise Invalid("Keputusan reviu harus 'include' atau 'exclude'.") from None
    before = audit.snapshot(response, exclude={"ip_hash", "device_hash"})
    was_reportable = response.reportable
    was_state = survey_tallies.response_state(
        response.reportable, response.suspect, response.review_decision
    )
    response.review_decision = decision
    response.reviewed_by = actor.user_id if actor else None
    response.reviewed_at = utc_now()
    response.reportable = decision == ReviewDecision.include
    session.add(response)
    session.flush()
    if response.reportable != was_reportable:
        session.execute(
            update(_ANSWER).where(_ANSWER.c.response_id == response.id)
            .values(reportable=response.reportable)
        )
        # Its answers join or leave the indices: +1 or -1 on each (campaign, service,
        # item, value) they count in.
        sign = 1 if response.reportable else -1
        service = NO_SERVICE if response.service_id is None else response.service_id
        changes = Counter(
            (response.campaign_id, service, inst, item, value)
            for inst, item, value in session.execute(
                select(_ANSWER.c.instrument_code, _ANSWER.c.item_code, _ANSWER.c.value)
                .where(_ANSWER.c.response_id == response.id)
            )
        )
        survey_tallies.add(session.connection(), {k: sign * n for k, n in changes.items()})
    state = survey_tallies.response_state(
        response.reportable, response.suspect, response.review_decision
    )
    if state != was_state:  # it moves from one respondent count to another
        moved: Counter = Counter()
        for old_key in survey_tallies.response_keys(
            response.campaign_id, response.service_id, was_state, response.profile
        ):
            moved[old_key] -= 1
            moved[old_key[:2] + (state,) + old_key[3:]] += 1
        survey_tallies.add_respondents(session.connection(), moved)
    audit.record(
        session, actor=actor, action=f"review:{decision}", entity="survey_response",
        entity_id=response.id, unit_id=campaign.unit_id, before=before,
        after=audit.snapshot(response, exclude={"ip_hash", "device_hash"}),
    )
    session.commit()
    return response


@dataclass
class ResponsePage:
    responses: list[SurveyResponse]
    answers: dict[int, dict[tuple[str, str], int]]
    total: int
    page: int
    per_page: int


def list_responses(
    session: Session, *, campaign_id: int, service_id: int | None = None,
    source: str | None = None, suspect: bool | None = None, page: int = 1,
    per_page: int | None = 50, actor: Principal | None = None,
) -> ResponsePage:
    """A campaign's responses, newest first, with filters; per_page None = all (exports)."""
    if actor is not None:
        campaign_for(session, actor=actor, campaign_id=campaign_id)
    query = select(SurveyResponse).where(SurveyResponse.campaign_id == campaign_id)
    if service_id is not None:
        query = query.where(SurveyResponse.service_id == service_id)
    if source is not None:
        query = query.where(SurveyResponse.source_tag == source)
    if suspect is not None:
        query = query.where(SurveyResponse.suspect == suspect)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = min(max(page, 1), 1_000_000)  # past the last page: empty, whatever the number
    ordered = query.order_by(col(SurveyResponse.id).desc())
    if per_page is not None:
        ordered = ordered.offset((page - 1) * per_page).limit(per_page)
    rows = list(session.exec(ordered).all())
    answers = answers_of(session, response_ids=[r.id for r in rows])
    return ResponsePage(rows, answers, total, page, per_page or total)


def answers_of(
    session: Session, *, response_ids: Sequence[int]
) -> dict[int, dict[tuple[str, str], int]]:
    """response id -> {(instrument, item): value}, read in chunks of 500 ids."""
    answers: dict[int, dict[tuple[str, str], int]] = {rid: {} for rid in response_ids}
    ids = list(response_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for a in session.execute(
            select(_ANSWER.c.response_id, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
                   _ANSWER.c.value).where(_ANSWER.c.response_id.in_(chunk))
        ):
            answers[a.response_id][(a.instrument_code, a.item_code)] = a.value
    return answers
