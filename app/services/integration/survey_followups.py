"""Survey follow-up actions into the programme's action plan.

``add_to_action_plan`` copies one follow-up action into the unit's action plan as an item of
the public-service area with the LKE ref PPF4C (the question on following up survey results),
and links the action to it; both rows and both audit records in one transaction. From then on
the item counts in the plan's own suggestions (PPA2A, PPA3A) and the action shows its item.
"""

from __future__ import annotations

from sqlmodel import Session

from app.domain import programme as dom
from app.domain.surveys.followup import FOLLOWUP_LKE_REF
from app.models.programme import ActionItem
from app.models.surveys.followups import SurveyFollowup
from app.security.principal import Principal
from app.services import audit
from app.services.errors import Conflict
from app.services.programme import action_plan
from app.services.programme._common import WRITE, check_unit
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import followups
from app.services.surveys.campaigns import utc_now

#: Progress the plan requires for each status (not started 0, done 100; in progress: half).
_PROGRESS = {"belum_mulai": 0, "berjalan": 50, "selesai": 100, "batal": 0}


def add_to_action_plan(
    session: Session, *, actor: Principal | None, followup_id: int, unit_id: int | None = None
) -> tuple[SurveyFollowup, ActionItem]:
    """A new action-plan item from the action (Conflict when it already has one)."""
    row = followups.get_followup(session, actor=actor, followup_id=followup_id,
                                 permission="surveys.write", unit_id=unit_id)
    check_unit(actor, WRITE, row.unit_id)
    if row.action_item_id is not None:
        raise Conflict(f"Tindak lanjut ini sudah ada di rencana aksi (butir {row.action_item_id}).")
    campaign = survey_campaigns.campaign_for(session, actor=None, campaign_id=row.campaign_id)
    values = {
        "area": dom.ChangeArea.PELAYANAN_PUBLIK.value,
        "activity": f"Tindak lanjut survei {campaign.period_label} ({row.element_code}): "
                    f"{row.action}"[:300],
        "output_target": row.evidence_title or "", "person_in_charge": row.owner,
        "started_on": None, "due_on": row.due_on, "status": row.status,
        "progress": _PROGRESS.get(row.status, 0), "evidence_title": row.evidence_title,
        "evidence_url": row.evidence_url, "lke_ref": FOLLOWUP_LKE_REF, "pillar_id": None,
    }
    action_plan.ITEMS.refuse_problems(session, row.unit_id, values, None)
    item = ActionItem(unit_id=row.unit_id, created_by=actor.user_id if actor else None,
                      **values)
    session.add(item)
    session.flush()
    audit.record(session, actor=actor, action="create", entity=action_plan.ENTITY,
                 entity_id=item.id, unit_id=row.unit_id, after=audit.snapshot(item))
    before = audit.snapshot(row)
    row.action_item_id = item.id
    row.updated_at = utc_now()
    row.updated_by = actor.user_id if actor else None
    audit.save(session, row, actor=actor, action="update", entity=followups.ENTITY,
               before=before)
    return row, item
