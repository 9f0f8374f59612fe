"""Helpers for the public-form tests: a unit without people, an open campaign, form parsing."""

from __future__ import annotations

import re
import secrets
import time
from datetime import date

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session

from app.models.surveys.records import SurveyCampaign
from app.services import units
from app.services.surveys import campaigns as survey_campaigns

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]


def make_unit(db: Session, code: str = "KPPN-P", name: str = "KPPN Uji Publik") -> int:
    """A unit under a ministry, no people (the public form needs none; cheaper than world)."""
    top = units.get_by_code(db, code="KEMEN-P") or units.create(
        db, actor=None, code="KEMEN-P", name="Kementerian Uji", level="ministry")
    return units.create(db, actor=None, code=code, name=name, level="unit",
                        parent_id=top.id).id


def make_campaign(db: Session, unit_id: int, *, title: str = "Survei Kepuasan Masyarakat 2026",
                  opens_on: date = date(2019, 1, 1), label: str = "2026-S1",
                  instruments=(IKM,)) -> SurveyCampaign:
    return survey_campaigns.create_campaign(
        db, actor=None, unit_id=unit_id,
        data=survey_campaigns.CampaignInput(
            title=title, instrument_codes=list(instruments), period_kind="semester",
            period_label=label, opens_on=opens_on, closes_on=date(2099, 12, 31),
            population=100,
        ),
    )


def _past_serializer(secret: str, seconds_ago: float) -> URLSafeTimedSerializer:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds_ago)

    return URLSafeTimedSerializer(secret, salt="zona-survey-form", signer=PastSigner)


def old_token(secret: str, code: str, seconds_ago: float, nonce: str | None = None) -> str:
    """A form token as if a form had been served `seconds_ago`: a form of its own (a fresh
    nonce) unless `nonce` names one."""
    return _past_serializer(secret, seconds_ago).dumps([code, nonce or secrets.token_urlsafe(12)])


def legacy_token(secret: str, code: str, seconds_ago: float) -> str:
    """A form token of the version before single-use forms (the campaign code alone)."""
    return _past_serializer(secret, seconds_ago).dumps(code)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def ikm_form(values=(4, 3, 3, 2, 4, 4, 3, 3, 1)) -> dict[str, str]:
    return {f"{IKM}.{u}": str(v) for u, v in zip(U, values, strict=True)}


async def open_form(client, code: str, query: str = "") -> str:
    page = await client.get(f"/s/{code}{query}")
    assert page.status_code == 200, page.text
    return page.text


async def submit(client, app, code: str, html: str, data: dict, *, seconds_ago=30, **extra):
    form = {"csrf_token": hidden(html, "csrf_token"), "t": old_token(app.state.secret_key, code, seconds_ago),
            "website": "", **data}
    form.update(extra)
    return await client.post(f"/s/{code}", data=form)
