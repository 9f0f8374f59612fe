"""The cards of the unit dashboard, one function per domain:
(session, principal, unit, read) -> dict | None, where ``read`` is a dict of what an earlier
panel of the same request has read and a later one needs too (the unit's live assessments,
under "assessments"), so it is not read twice.

A panel is a dict with "template" and "context" (it renders one card or a few), "order"
(where it goes, ascending and stable; PANEL_ORDER) and optionally "slot": "lke" or "surveys"
when it fills one of the dashboard's reserved slots, which otherwise show an honest empty card.
``app.web.units.DASHBOARD_PANELS`` lists the panels in the order they are asked.
"""

from __future__ import annotations

from sqlmodel import Session

from app.domain.programme import ChangeArea, Stage
from app.domain.surveys.indices import to_fraction
from app.i18n import format_number
from app.models.units import Unit
from app.security.principal import Principal
from app.services.documents.templating import dec
from app.services.lke import overview as lke_overview
from app.services.lke import summary as lke_summary
from app.services.programme import overview
from app.services.season import calendar as season_calendar
from app.services.surveys import results as survey_results

PANEL_ORDER = {"lke": 10, "surveys": 20, "programme": 30, "other": 50}

SURVEY_KIND_NAMES = {"ikm": "IKM", "spkp": "IPKP", "spak": "IPAK"}

# Pages of the programme the dashboard cards link to (suffix under /units/{id}).
PROGRAMME_LINKS = {
    "innovations": "/innovations",
    "team": "/team",
    "plan": "/action-plan",
    "partnerships": "/partnerships",
}


def format_id(value, places: int = 2) -> str:
    """An index or score as the page's language writes it ('88,39' / '88.39'), half up."""
    return format_number(to_fraction(value), places)


def lke_panel(session: Session, principal: Principal, unit: Unit, read: dict) -> dict | None:
    """Latest assessment of the unit: total, verdict against its target, a bar per area."""
    items, row, framework = lke_summary.latest_of_unit(session, actor=principal,
                                                       unit_id=unit.id)
    read["assessments"] = items
    if not items:
        if unit.level != "unit":
            return None
        return {"template": "pages/lke/panel.html",
                "context": {"latest": None, "unit_id": unit.id},
                "slot": "lke", "order": PANEL_ORDER["lke"]}
    return {
        "template": "pages/lke/panel.html",
        "context": {"latest": items[0], "total": lke_summary.total_of(row),
                    "verdict": lke_summary.verdict_of(row),
                    "areas": [area_bar(n) for n in lke_summary.areas_of(row, framework)],
                    "unit_id": unit.id, "lke_progress": lke_overview.progress_of(row)},
        "slot": "lke", "order": PANEL_ORDER["lke"],
    }


def area_bar(n: lke_summary.NodeSummary) -> dict:
    """One area's bar on the LKE card, its numbers formatted here once (the template only
    places them): the meter's bounds (60% low, 75% high) and value, and the labels."""
    return {
        "ref": n.ref, "name": n.name,
        "max": dec(n.weight), "low": dec(n.weight * 6 / 10), "high": dec(n.weight * 3 / 4),
        "value": dec(n.score), "percentage": format_number(n.percentage),
        "score": format_number(n.score), "weight": format_number(n.weight),
    }


def programme_panel(session: Session, principal: Principal, unit: Unit,
                    read: dict) -> dict:
    """The programme cards: innovations, team commitment, pillars, overdue actions, partners."""
    o = overview.unit_overview(session, unit=unit, actor=principal)
    return {
        "template": "pages/programme/dashboard_cards.html",
        "order": PANEL_ORDER["programme"],
        "slot": "programme",
        "context": {
            "o": o,
            # The innovation table's rows: (stage, WBK, WBBM, both), counted here once.
            "stage_rows": [(stage, o.innovations.count("wbk", stage.value),
                            o.innovations.count("wbbm", stage.value),
                            o.innovations.stage_total(stage.value)) for stage in Stage],
            "area_labels": {a.value: a.label for a in ChangeArea},
            "links": {k: f"/units/{unit.id}{v}" for k, v in PROGRAMME_LINKS.items()},
        },
    }


def survey_headline_row(kind: str, row: survey_results.TrendRow) -> dict:
    """One index of the latest survey headline as the card and the survey overview show it."""
    result = row.result
    return {
        "kind": kind, "name": SURVEY_KIND_NAMES[kind], "period": row.period,
        "value": format_id(result.value), "value_1_4": format_id(result.value_1_4),
        "grade": result.ikm.grade if result.ikm else None,
        "direction": row.step.direction if row.step else None,
        "change": format_id(row.step.change) if row.step and row.step.change is not None
        else None,
        "campaign_id": row.campaign.id, "respondents": row.respondents,
        "is_demo": row.campaign.is_demo,
        "minimum_sample": row.minimum_sample, "sample_short": row.sample_short,
    }


def survey_panel(session: Session, principal: Principal, unit: Unit,
                 read: dict) -> dict | None:
    """The latest IKM/IPKP/IPAK with grade and the change from last period."""
    headline = survey_results.latest_headline(session, actor=principal, unit_id=unit.id)
    if not headline:
        return None
    return {"template": "pages/surveys/panel.html",
            "context": {"survey_headline": [survey_headline_row(k, r)
                                            for k, r in headline.items()]},
            "slot": "surveys", "order": PANEL_ORDER["surveys"]}


def season_panel(session: Session, principal: Principal, unit: Unit,
                 read: dict) -> dict | None:
    """The evaluation calendar: what is due next for a work unit, with its countdown."""
    if unit.level != "unit":
        return None
    season = season_calendar.unit_season(session, actor=principal, unit_id=unit.id,
                                         assessments=read.get("assessments"))
    return {"template": "pages/season/panel.html", "context": {"season": season},
            "order": PANEL_ORDER["lke"] - 1}  # first: what is due next
