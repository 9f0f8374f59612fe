"""Export a campaign's responses as CSV or XLSX, with spreadsheet formula injection escaped.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by a spreadsheet; such text is prefixed with an apostrophe (the OWASP
recommendation). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.domain.text import clean_text
from app.models.surveys.records import SurveyCampaign, SurveyService
from app.security.principal import Principal
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import review as survey_review
from app.services.surveys.campaigns import forbid

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text without invisible characters (app.domain.text), and with a leading apostrophe
    when a spreadsheet would evaluate it; others unchanged."""
    if isinstance(value, str):
        value = clean_text(value)  # first: an invisible lead would hide a formula
        if value.startswith(DANGEROUS_PREFIXES):
            return "'" + value
    return value


def _local(dt: datetime | None, tz: str) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:  # SQLite gives naive UTC back
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def rows(
    session: Session, *, actor: Principal | None, campaign: SurveyCampaign,
    service_id: int | None = None, source: str | None = None, suspect: bool | None = None,
) -> Iterator[list]:
    """Header row then one row per response (newest first), values escaped.

    The permission is checked now, before the first row is asked for.
    """
    forbid(actor, "unit.read", campaign.unit_id)
    return _rows(session, campaign, service_id, source, suspect)


def _rows(
    session: Session, campaign: SurveyCampaign, service_id: int | None, source: str | None,
    suspect: bool | None,
) -> Iterator[list]:
    instruments = survey_campaigns.instruments_of(session, campaign)
    profile_codes: list[str] = []
    for inst in instruments:
        for pf in inst.profile:
            if pf.code not in profile_codes:
                profile_codes.append(pf.code)
    item_keys = [(i.code, item.code) for i in instruments for item in i.items]
    services = dict(session.execute(
        select(SurveyService.id, SurveyService.name)
        .where(SurveyService.unit_id == campaign.unit_id)
    ).all())
    yield [
        "id", "waktu", "layanan", "sumber", "kanal", "mencurigakan", "alasan", "reviu",
        "dihitung", "lama_isi_detik", *profile_codes, *[f"{a}.{b}" for a, b in item_keys],
        "saran",
    ]
    page = survey_review.list_responses(
        session, campaign_id=campaign.id, service_id=service_id, source=source,
        suspect=suspect, per_page=None,
    )
    for r in page.responses:
        answers = page.answers.get(r.id, {})
        profile = r.profile or {}
        yield [safe_cell(v) for v in [
            r.id, _local(r.submitted_at, campaign.timezone),
            services.get(r.service_id, "") if r.service_id else "", r.source_tag or "",
            r.channel, "ya" if r.suspect else "tidak", " ".join(r.suspect_reasons or []),
            r.review_decision or "", "ya" if r.reportable else "tidak",
            r.fill_seconds if r.fill_seconds is not None else "",
            *[profile.get(code, "") for code in profile_codes],
            *[answers.get(k, "") for k in item_keys],
            r.suggestion or "",
        ]]


def to_csv(table) -> bytes:
    """UTF-8 with BOM (spreadsheets on Windows then read the accents right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table:
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table, *, sheet_title: str = "Jawaban") -> bytes:
    # openpyxl is imported where a file is written: loaded at start it costs every
    # server process ~12 MB of memory (bench/README.md, server RSS).
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
