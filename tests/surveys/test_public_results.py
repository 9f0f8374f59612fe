"""The public results page /hasil/<unit code>: what it shows (worked by hand), what it never
shows, the minimum-count rule, caching, and who may reach it and its switch."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlmodel import select

from app.models.audit import AuditRecord
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import followups as survey_followups
from app.services.surveys import publication as survey_publication
from app.services.surveys import responses as survey_responses
from app.services.surveys import review as survey_review
from app.services.surveys.inputs import FollowupIn
from tests.factories import issue_token, login, principal

IKM = "ikm-2017"
U = [f"U{n}" for n in range(1, 10)]
# The three respondents of tests/surveys/test_results.py: column totals U1..U9 are
# 11, 10, 10, 7, 12, 11, 8, 10, 5; IKM = 28/9 x 25 = 700/9 = 77,78 (B).
R1 = (4, 3, 3, 2, 4, 4, 3, 3, 1)
R2 = (3, 3, 4, 2, 4, 3, 3, 4, 2)
R3 = (4, 4, 3, 3, 4, 4, 2, 3, 2)
ALL_FOUR = (4,) * 9
PAGE = "/hasil/UNIT-A1"
SUGGESTION = "Pak Budi di loket 3 kasar sekali, hubungi saya di 0812-3456-7890"


def _in_year(year: int) -> datetime:
    return datetime(year, 3, 1, 3, 0, tzinfo=UTC)


def answers(values):
    return {(IKM, code): v for code, v in zip(U, values, strict=True)}


@pytest.fixture
def minimum(app, monkeypatch):
    """A small minimum so a hand-worked campaign of a few answers is published."""
    monkeypatch.setattr(app.state.settings, "survey_public_min_respondents", 3)
    return 3


@pytest.fixture
def finished(db, world, make_campaign):
    """A campaign of 2019-S1 that has ended, with two services: "Pencairan dana" answered
    R1, R2, R3 (IKM 77,78 B) and "Konsultasi" three times all 4 (IKM 100 A); one more
    answer is suspect (all 1, not reviewed) and carries a suggestion and a profile."""
    unit_id = world.unit("UNIT-A1")
    campaign = make_campaign(title="SKM Semester I 2019", label="2019-S1",
                             closes_on=date(2019, 6, 30))
    sp2d = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="sp2d",
                                           name="Pencairan dana")
    consult = survey_catalogue.create_service(db, actor=None, unit_id=unit_id, code="kons",
                                              name="Konsultasi")
    for r in (R1, R2, R3):  # answered while it was open
        survey_responses.record_response(
            db, campaign=campaign, answers=answers(r), service_id=sp2d.id,
            profile={"gender": "P", "age_group": "20-29"}, suggestion=SUGGESTION,
            now=_in_year(2019))
    for _ in range(3):
        survey_responses.record_response(db, campaign=campaign, answers=answers(ALL_FOUR),
                                         service_id=consult.id, now=_in_year(2019))
    suspect = survey_responses.record_response(
        db, campaign=campaign, answers=answers((1,) * 9), service_id=consult.id,
        suspect_reasons=["too_fast"], suggestion=SUGGESTION, now=_in_year(2019))
    return {"campaign": campaign, "sp2d": sp2d, "consult": consult, "suspect": suspect.id}


async def test_the_page_shows_the_indices_worked_by_hand(client, finished, minimum):
    response = await client.get(PAGE)
    assert response.status_code == 200
    html = response.text
    assert "KPPN A1" in html and "2019-S1" in html
    # Pencairan dana: R1-R3, IKM 700/9 = 77,78 (B). Konsultasi: all 4, IKM 100,00 (A).
    # Together: element totals 23, 22, 22, 19, 24, 23, 20, 22, 17 over 6 answers; mean
    # NRR = 192/54 = 32/9; IKM = 800/9 = 88,89 (A, from 88,31). The suspect answer (all 1)
    # is not counted.
    assert _row(html, "Pencairan dana") == ["Pencairan dana", "3", "77,78 B"]
    assert _row(html, "Konsultasi") == ["Konsultasi", "3", "100,00 A"]
    assert _row(html, "Semua layanan") == ["Semua layanan", "6", "88,89 A"]
    assert "6 responden" in html
    # The elements of the latest period: U9 = 17/6 = 2,83 is the weakest (bold).
    assert '<tr class="res-weak"><td class="nowrap">U9</td>' in html
    assert ">2,83<" in html and ">3,83<" in html  # U1 = 23/6
    assert "Sangat Baik" in html


def _row(html: str, first_cell: str) -> list[str]:
    """The cells of the service table row starting with ``first_cell``, as text."""
    start = html.index(f"<td>{first_cell}</td>")
    row = html[start:html.index("</tr>", start)]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


async def test_nothing_personal_is_on_the_page(client, db, world, finished, minimum):
    """No single answer, no profile, no suggestion, no name: only counts and indices.

    Suggestions stay off the page even when counted: free text names staff and gives phone
    numbers, and no screening by machine catches that; the SKM report (its editable DOCX)
    is where a coordinator groups and words them."""
    html = (await client.get(PAGE)).text
    for private in (SUGGESTION, "0812", "Pak Budi", "Perempuan", "20-29 tahun",
                    "Jenis kelamin", "Usia", "too_fast", "Laki-laki"):
        assert private not in html, private
    for username in world.users:  # nobody of the unit is named either
        assert username.title() not in html


async def test_a_group_below_the_minimum_is_held_back_with_the_smallest_other(
        client, db, world, finished, minimum):
    """A third service with one answer: alone it would be total minus the others, so the
    smaller of the two shown (a tie at 3: the later by name, Pencairan dana) is held back
    too. The total takes every counted answer."""
    campaign = finished["campaign"]
    rare = survey_catalogue.create_service(db, actor=None, unit_id=world.unit("UNIT-A1"),
                                           code="lpj", name="Rekonsiliasi LPJ")
    survey_responses.record_response(db, campaign=campaign, answers=answers(ALL_FOUR),
                                     service_id=rare.id, now=_in_year(2019))
    html = (await client.get(PAGE)).text
    assert "Rekonsiliasi LPJ" not in html and "Pencairan dana" not in html
    assert _row(html, "Konsultasi") == ["Konsultasi", "3", "100,00 A"]
    # 7 answers: totals 27, 26, 26, 23, 28, 27, 24, 26, 21 = 228; IKM = 228/63 x 25 = 90,48.
    assert _row(html, "Semua layanan") == ["Semua layanan", "7", "90,48 A"]
    assert "2 jenis layanan tidak ditampilkan tersendiri" in html
    assert "kurang dari 3 jawaban" in html  # the rule is explained


async def test_a_period_below_the_minimum_shows_no_figure(client, app, finished):
    # The default minimum (10): six answers are not enough.
    assert app.state.settings.survey_public_min_respondents == 10
    html = (await client.get(PAGE)).text
    assert "Belum diumumkan: kurang dari 10 jawaban yang dihitung." in html
    for figure in ("77,78", "100,00", "88,89", "Pencairan dana"):
        assert figure not in html
    assert "Belum ada hasil survei yang dapat diumumkan." in html


async def test_a_running_period_is_listed_without_figures(client, db, make_campaign, minimum):
    """Figures of a period still taking answers would change with each one: whoever
    watched the page around someone's answer would see it. Listed, with its form."""
    campaign = make_campaign(title="SKM 2026", label="2026-S2", opens_on=date(2026, 7, 1))
    for _ in range(5):
        survey_responses.record_response(db, campaign=campaign, answers=answers(ALL_FOUR))
    html = (await client.get(PAGE)).text
    assert "Survei periode 2026-S2 sedang berjalan" in html
    assert f'href="/s/{campaign.public_code}"' in html
    assert "100,00" not in html and "5 responden" not in html


async def test_cached_by_anyone_revalidated_by_etag(client, db, world, finished, minimum):
    first = await client.get(PAGE)
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["vary"] == "Accept-Encoding"
    assert "set-cookie" not in first.headers  # a shared cache would hand it to everyone
    etag = first.headers["etag"]
    # httpx asks for gzip: the page came compressed, its ETag names that representation.
    assert first.headers["content-encoding"] == "gzip" and etag.endswith('-gz"')

    again = await client.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert (await client.get(PAGE, headers={"If-None-Match": f'"x", W/{etag}'})).status_code \
        == 304

    # A counted answer more (the suspect one included on review) changes the page and its tag.
    coord = principal(db, world, "coord_a1")
    survey_review.review_response(db, actor=coord, response_id=finished["suspect"],
                                  decision="include")
    changed = await client.get(PAGE, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    # Konsultasi now 3 x all 4 + 1 x all 1: mean 13/4 per element, IKM 81,25 (B).
    assert _row(changed.text, "Konsultasi") == ["Konsultasi", "4", "81,25 B"]


async def test_without_gzip_the_same_page_plain(app, finished, minimum):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
        identity = await plain.get(PAGE, headers={"Accept-Encoding": "identity"})
        zipped = await plain.get(PAGE, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in identity.headers
    assert not identity.headers["etag"].endswith('-gz"')
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == identity.content  # as httpx un-gzipped it
    assert int(zipped.headers["content-length"]) < len(identity.content) / 2


async def test_the_language_comes_from_the_address_only(client, finished, minimum):
    english = await client.get(PAGE + "?lang=en")
    assert english.status_code == 200
    assert "Service survey results" in english.text and "88.89" in english.text
    assert "set-cookie" not in english.headers  # ?lang= sets no preference here
    # A browser that prefers English elsewhere still gets the page its address names.
    client.cookies.set("zona_lang", "en")
    indonesian = await client.get(PAGE)
    assert "Hasil survei layanan" in indonesian.text and "88,89" in indonesian.text


async def test_anonymous_reaches_the_page_and_nothing_else(client, world, finished, minimum):
    unit_id = world.unit("UNIT-A1")
    assert (await client.get(PAGE)).status_code == 200
    for private in (f"/units/{unit_id}/surveys", f"/units/{unit_id}/surveys/results-qr.svg",
                    f"/units/{unit_id}/surveys/campaigns/{finished['campaign'].id}"):
        refused = await client.get(private)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    unknown = await client.get("/hasil/NO-SUCH-UNIT")
    assert unknown.status_code == 404
    assert "Halaman hasil survei tidak ditemukan" in unknown.text
    assert unknown.headers["cache-control"] == "no-store"


async def test_the_coordinator_turns_it_off_and_on(client, db, world, finished, minimum):
    unit_id = world.unit("UNIT-A1")
    csrf = await login(client, "viewer_a1")
    refused = await client.post(f"/units/{unit_id}/surveys/publication",
                                data={"published": "0", "csrf_token": csrf})
    assert refused.status_code == 403
    client.cookies.clear()

    csrf = await login(client, "coord_a1")
    overview = (await client.get(f"/units/{unit_id}/surveys")).text
    assert "http://127.0.0.1:8000/hasil/UNIT-A1" in overview
    assert f"/units/{unit_id}/surveys/results-qr.svg" in overview
    poster = (await client.get(
        f"/units/{unit_id}/surveys/campaigns/{finished['campaign'].id}/poster")).text
    assert f'src="/units/{unit_id}/surveys/results-qr.svg"' in poster
    assert "127.0.0.1:8000/hasil/UNIT-A1" in poster
    qr = await client.get(f"/units/{unit_id}/surveys/results-qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"

    off = await client.post(f"/units/{unit_id}/surveys/publication",
                            data={"published": "0", "csrf_token": csrf})
    assert off.status_code == 303
    assert (await client.get(PAGE)).status_code == 404
    assert "sedang dimatikan" in (await client.get(f"/units/{unit_id}/surveys")).text
    poster = (await client.get(
        f"/units/{unit_id}/surveys/campaigns/{finished['campaign'].id}/poster")).text
    assert "results-qr.svg" not in poster  # no code to a page that is off
    record = db.exec(select(AuditRecord).where(AuditRecord.entity == "survey_publication")).one()
    assert (record.before, record.after) == ({"published": True}, {"published": False})

    await client.post(f"/units/{unit_id}/surveys/publication",
                      data={"published": "1", "csrf_token": csrf})
    assert (await client.get(PAGE)).status_code == 200
    bad = await client.post(f"/units/{unit_id}/surveys/publication",
                            data={"published": "maybe", "csrf_token": csrf})
    assert bad.status_code == 422
    db.expire_all()
    assert survey_publication.is_published(db, unit_id=unit_id)


async def test_a_demo_sized_page_stays_small(client, db, world, make_campaign, minimum):
    """Six finished semesters with four services each: the page a phone downloads."""
    unit_id = world.unit("UNIT-A1")
    services = [survey_catalogue.create_service(db, actor=None, unit_id=unit_id,
                                                code=f"s{n}", name=f"Layanan {n}")
                for n in range(4)]
    for year in (2017, 2018, 2019):
        for half in (1, 2):
            campaign = make_campaign(
                title=f"SKM {year}-S{half}", label=f"{year}-S{half}",
                instruments=("ikm-2017", "spkp", "spak"), opens_on=date(year, 1, 1),
                closes_on=date(year, 12, 31))
            for service in services:
                for r in (R1, R2, R3):
                    full = {**answers(r), **{("spkp", f"P{n}"): 3 for n in range(1, 9)},
                            **{("spak", f"A{n}"): 4 for n in range(1, 6)}}
                    survey_responses.record_response(
                        db, campaign=campaign, answers=full, service_id=service.id,
                        now=_in_year(year))
            survey_campaigns.close_campaign(db, actor=None, campaign_id=campaign.id)
    plain = await client.get(PAGE, headers={"Accept-Encoding": "identity"})
    zipped = await client.get(PAGE)
    assert plain.text.count("<details") == 6
    assert len(plain.content) < 40_000
    assert int(zipped.headers["content-length"]) < 6_000




async def test_the_follow_up_taken_and_whether_it_worked(client, db, finished, make_campaign,
                                                         minimum):
    """2019-S1's weakest element U9 (17/6 = 2,83 over both services) got an action; the
    next published period (2019-S2: three answers all 4) measured U9 at 4,00: improved.
    The owner is never shown; an action on a period still running is not shown either."""
    survey_followups.create_followup(db, actor=None, campaign_id=finished["campaign"].id,
                                     data=FollowupIn(
        element_code="U9", action="Papan informasi sarana di ruang tunggu",
        owner="Budi Santoso, Kepala Subbagian Umum", due_on=date(2019, 9, 30),
        status="selesai", evidence_title="Foto papan", evidence_url="https://example.go.id/f"))
    following = make_campaign(title="SKM Semester II 2019", label="2019-S2",
                              opens_on=date(2019, 7, 1), closes_on=date(2019, 12, 31))
    for _ in range(3):
        survey_responses.record_response(db, campaign=following, answers=answers(ALL_FOUR),
                                         now=datetime(2019, 8, 1, tzinfo=UTC))
    running = make_campaign(title="SKM 2026", label="2026-S2", opens_on=date(2026, 7, 1))
    survey_followups.create_followup(db, actor=None, campaign_id=running.id, data=FollowupIn(
        element_code="U3", action="Rahasia tindakan periode berjalan"))

    html = (await client.get(PAGE)).text
    section = html[html.index('id="tindak-lanjut"'):html.index('id="about-h"')]
    assert "U9 Sarana dan Prasarana" in section and "IKM 2019-S1" in section
    assert "Papan informasi sarana di ruang tunggu" in section
    assert "Selesai" in section and "30-09-2019" in section
    assert "2,83 → 4,00" in section and "membaik" in section
    for private in ("Budi Santoso", "Kepala Subbagian", "Foto papan", "example.go.id",
                    "Rahasia tindakan"):
        assert private not in html, private

    english = (await client.get(PAGE + "?lang=en")).text
    assert "U9 Facilities and infrastructure" in english
    assert "Done" in english and "improved" in english


async def test_the_switch_over_the_api(client, db, world, finished, minimum):
    unit_id = world.unit("UNIT-A1")
    url = f"/api/v1/units/{unit_id}/survey-publication"
    reader = {"Authorization": f"Bearer {issue_token(db, world, 'UNIT-A1', ['read'])}"}
    manager = {"Authorization":
               f"Bearer {issue_token(db, world, 'UNIT-A1', ['read', 'manage:surveys'])}"}
    stranger = {"Authorization":
                f"Bearer {issue_token(db, world, 'UNIT-B1', ['read', 'manage:surveys'])}"}

    state = await client.get(url, headers=reader)
    assert state.json() == {"unit_id": unit_id, "published": True,
                            "public_path": "/hasil/UNIT-A1"}
    refused = await client.put(url, json={"published": False}, headers=reader)
    assert refused.status_code == 403
    assert (await client.put(url, json={"published": False}, headers=stranger)).status_code \
        == 403
    bad = await client.put(url, json={"published": "later"}, headers=manager)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(PAGE)).status_code == 200  # nothing changed so far

    off = await client.put(url, json={"published": False}, headers=manager)
    assert off.status_code == 200 and off.json()["published"] is False
    assert (await client.get(PAGE)).status_code == 404
    again = await client.put(url, json={"published": False}, headers=manager)
    assert again.json()["published"] is False
    records = db.exec(select(AuditRecord).where(AuditRecord.entity == "survey_publication"))
    assert len(records.all()) == 1  # the repeat recorded nothing
