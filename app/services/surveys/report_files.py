"""The SKM report as a file (PDF or DOCX), per campaign or per period: what both faces serve."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from app.security.principal import Principal
from app.services.surveys import report as skm_report
from app.services.surveys import report_docx, report_pdf

Format = Literal["pdf", "docx"]
MEDIA_TYPES = {"pdf": report_pdf.MEDIA_TYPE, "docx": report_docx.MEDIA_TYPE}


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    media_type: str
    filename: str


def campaign_report_file(
    session: Session, *, actor: Principal | None, campaign_id: int, fmt: Format,
    lang: str = "id", unit_id: int | None = None,
) -> ReportFile:
    """The report of one campaign (``unit.read``) in the language asked (id by default)."""
    report = skm_report.campaign_report(session, actor=actor, campaign_id=campaign_id,
                                        unit_id=unit_id, lang=lang)
    content = report_pdf.skm_pdf(report) if fmt == "pdf" else report_docx.skm_docx(report)
    stem = "skm-report" if report.lang == "en" else "laporan-skm"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{report.unit.code}-{report.campaign.period_label}")
    return ReportFile(content, MEDIA_TYPES[fmt], f"{stem}-{safe}.{fmt}")


def period_report_file(
    session: Session, *, actor: Principal | None, unit_id: int, period: str, fmt: Format,
    lang: str = "id",
) -> ReportFile:
    """The report of the unit's campaign of a period (NotFound / Conflict: see
    ``report.period_campaign``)."""
    campaign = skm_report.period_campaign(session, actor=actor, unit_id=unit_id, period=period)
    return campaign_report_file(session, actor=actor, campaign_id=campaign.id, fmt=fmt,
                                lang=lang, unit_id=unit_id)
