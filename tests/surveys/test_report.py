"""The SKM report (PDF and DOCX): every number from the results page's services, checked by
hand on a small campaign; both languages; the routes on both faces and their permissions."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from docx import Document as WordDocument

from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys import followups
from app.services.surveys import report as skm_report
from app.services.surveys import responses as survey_responses
from app.services.surveys import results as survey_results
from app.services.surveys.inputs import FollowupIn
from app.services.surveys.report_document import Table, skm_document
from app.services.surveys.report_docx import skm_docx
from app.services.surveys.report_pdf import skm_pdf
from tests.factories import issue_token, login, principal

U = [f"U{n}" for n in range(1, 10)]
# The three respondents of test_results.py: column totals 11, 10, 10, 7, 12, 11, 8, 10, 5.
R1 = (4, 3, 3, 2, 4, 4, 3, 3, 1)
R2 = (3, 3, 4, 2, 4, 3, 3, 4, 2)
R3 = (4, 4, 3, 3, 4, 4, 2, 3, 2)


def answers(values):
    return {("ikm-2017", c): v for c, v in zip(U, values, strict=True)}


@pytest.fixture
def small(db, world, make_campaign):
    """2019-S1: one respondent, all 3 (IKM 75,00, C). 2019-S2: R1-R3 with services, profile,
    suggestions; population 100."""
    unit = world.unit("UNIT-A1")
    loket = survey_catalogue.create_service(db, actor=None, unit_id=unit, code="sp2d",
                                            name="Pencairan dana")
    konsul = survey_catalogue.create_service(db, actor=None, unit_id=unit, code="konsul",
                                             name="Konsultasi")
    s1 = make_campaign(label="2019-S1", title="SKM Semester I 2019")
    survey_responses.record_response(db, campaign=s1, answers=answers((3,) * 9))
    s2 = make_campaign(label="2019-S2", title="SKM Semester II 2019", population=100)
    survey_responses.record_response(db, campaign=s2, answers=answers(R1), service_id=loket.id,
                                     profile={"gender": "L"}, suggestion="Tambah kursi tunggu")
    survey_responses.record_response(db, campaign=s2, answers=answers(R2), service_id=loket.id,
                                     profile={"gender": "P"}, suggestion="tambah  KURSI tunggu")
    survey_responses.record_response(db, campaign=s2, answers=answers(R3), service_id=konsul.id,
                                     profile={"gender": "P"}, suggestion="Jam layanan diperpanjang")
    followups.create_followup(db, actor=None, campaign_id=s2.id, data=FollowupIn(
        element_code="U9", action="Menambah loket pengaduan", owner="Kepala Subbagian Umum",
        due_on=date(2020, 3, 31), status="berjalan"))
    return s1, s2


def test_numbers_by_hand_and_from_the_results_service(db, world, small):
    _, s2 = small
    report = skm_report.campaign_report(db, actor=principal(db, world, "viewer_a1"),
                                        campaign_id=s2.id)
    page = survey_results.campaign_results(db, campaign=s2)  # what the results page shows
    ikm = report.section("ikm")
    assert ikm.result.ikm == page.result("ikm").ikm
    assert [e.nrr for e in ikm.elements] == [e.nrr for e in page.result("ikm").elements]
    # By hand: NRR U1 = 11/3; weighted = 11/3 x 1/9 = 11/27; sum of weighted = 28/9; IKM 700/9.
    assert ikm.elements[0].nrr == Fraction(11, 3) and ikm.elements[0].weighted == Fraction(11, 27)
    assert ikm.weighted_sum == Fraction(28, 9) == page.result("ikm").ikm.nrr_mean
    assert ikm.result.value == Fraction(700, 9)
    assert [e.code for e in ikm.weakest] == ["U9", "U4", "U7"]  # 5/3, 7/3, 8/3
    assert (report.results.minimum_sample, report.results.respondents) == (80, 3)
    # Previous period: all 3s; U9 5/3 - 3 = -4/3, U5 4 - 3 = +1; IKM 75 -> 700/9 (+25/9).
    assert ikm.previous.period == "2019-S1"
    changes = {e.code: e.change.change for e in ikm.elements}
    assert changes["U9"] == Fraction(-4, 3) and changes["U5"] == 1
    assert ikm.step.change == Fraction(700, 9) - 75 == Fraction(25, 9)
    assert report.channels == {"web": 3}
    groups = {g.service: g.items for g in report.suggestions}
    assert groups == {"Konsultasi": (("Jam layanan diperpanjang", 1),),
                      "Pencairan dana": (("Tambah kursi tunggu", 2),)}
    services = {s.name: s for s in report.services}
    # Pencairan dana: R1 + R2, element totals 7, 6, 7, 4, 8, 7, 6, 7, 3 over 2 -> 55/18 x 25.
    assert services["Pencairan dana"].results[0].value == Fraction(55, 2) * 25 / 9
    assert services["Pencairan dana"].results[0].value == page.services[1].results[0].value


def test_document_words_in_both_languages(db, world, small):
    _, s2 = small
    doc = skm_document(skm_report.campaign_report(db, actor=None, campaign_id=s2.id,
                                                  today=date(2020, 1, 6)))
    text = doc.text()
    for expected in (
        "Laporan Survei Kepuasan Masyarakat", "KPPN A1", "Peraturan Menteri PANRB Nomor 14 "
        "Tahun 2017", "Sampel minimal (Krejcie-Morgan) | 80", "Responden yang dihitung | 3",
        "U1 | Persyaratan | 3,667 | 0,407 | 3",  # 11/3 and 11/27
        "| Jumlah NRR tertimbang |  | 3,111 |", "| IKM (x 25) |  | 77,78 |",
        "mutu pelayanan B (Baik)", "IKM 2019-S1: 75,00; IKM 2019-S2: 77,78 (perubahan +2,78)",
        "U9 Sarana dan Prasarana | 3,000 | 1,667 | -1,333 | menurun",
        "Tambah kursi tunggu (2x)", "Pencairan dana (2 saran)",
        "Menambah loket pengaduan | Kepala Subbagian Umum | 31 Maret 2020 | Berjalan",
        "KPPN A1, 6 Januari 2020", "Kepala Unit",
    ):
        assert expected in text, expected
    weak_table = next(b for b in doc.blocks if isinstance(b, Table) and "NRR" in b.header)
    assert {weak_table.rows[n][0] for n in weak_table.strong_rows if weak_table.rows[n][0]} == {
        "U9", "U4", "U7"}
    en = skm_document(skm_report.campaign_report(db, actor=None, campaign_id=s2.id, lang="en",
                                                 today=date(2020, 1, 6))).text()
    for expected in ("Public Satisfaction Survey Report", "Minimum sample (Krejcie-Morgan) | 80",
                     "| IKM (x 25) |  | 77.78 |", "service quality B (Good)",
                     "6 January 2020", "In progress"):
        assert expected in en, expected


def test_first_period_says_there_is_nothing_to_compare(db, world, small):
    s1, _ = small
    text = skm_document(skm_report.campaign_report(db, actor=None, campaign_id=s1.id)).text()
    assert "Belum ada periode sebelumnya yang dapat dibandingkan." in text
    assert "(belum ada tindakan)" in text  # weakest elements without an action yet


def test_pdf_and_docx_files(db, world, small, tmp_path):
    _, s2 = small
    report = skm_report.campaign_report(db, actor=None, campaign_id=s2.id)
    pdf = skm_pdf(report)
    assert pdf.startswith(b"%PDF-")
    out = Path(os.environ.get("ZONA_REPORT_OUT") or tmp_path)
    # To look at it: ZONA_REPORT_OUT=/tmp/skm pytest ... ; pdftoppm -png /tmp/skm/skm.pdf
    out.mkdir(parents=True, exist_ok=True)
    (out / "skm.pdf").write_bytes(pdf)
    (out / "skm.docx").write_bytes(skm_docx(report))
    if shutil.which("pdffonts") and shutil.which("pdftotext"):  # poppler-utils
        fonts = subprocess.run(["pdffonts", str(out / "skm.pdf")], capture_output=True,
                               text=True, check=True).stdout.splitlines()[2:]
        assert fonts and all(" yes " in line for line in fonts)  # every font embedded
        text = subprocess.run(["pdftotext", "-layout", str(out / "skm.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "77,78" in text and "Rencana tindak lanjut" in text  # selectable text
    word = WordDocument(io.BytesIO(skm_docx(report)))
    paragraphs = "\n".join(p.text for p in word.paragraphs)
    assert "Laporan Survei Kepuasan Masyarakat" in paragraphs
    assert "III. Hasil" in paragraphs and "VI. Rencana tindak lanjut" in paragraphs
    cells = ["|".join(c.text for c in row.cells) for t in word.tables for row in t.rows]
    assert "U1|Persyaratan|3,667|0,407|3" in cells
    assert "|IKM (x 25)||77,78|" in cells


async def test_routes_on_both_faces(client, db, world, small):
    _, s2 = small
    unit = world.unit("UNIT-A1")
    await login(client, "viewer_a1")
    r = await client.get(f"/units/{unit}/surveys/campaigns/{s2.id}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"] and r.content.startswith(b"%PDF-")
    r = await client.get(f"/units/{unit}/surveys/campaigns/{s2.id}/report.docx?lang=en")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "Public Satisfaction Survey Report" in WordDocument(io.BytesIO(r.content)).paragraphs[0].text
    r = await client.get(f"/units/{unit}/surveys/reports/2019-S2.docx")
    assert r.status_code == 200
    r = await client.get(f"/units/{unit}/surveys/reports/2030-S1.pdf")
    assert r.status_code == 404 and "Tidak ada survei untuk periode" in r.text
    await login(client, "coord_b1")
    r = await client.get(f"/units/{unit}/surveys/campaigns/{s2.id}/report.pdf")
    assert r.status_code in (403, 404)
    headers = {"Authorization": "Bearer " + issue_token(db, world, "UNIT-A1", ["read"])}
    r = await client.get(f"/api/v1/survey-campaigns/{s2.id}/report.docx", headers=headers)
    assert r.status_code == 200 and r.content.startswith(b"PK")
    r = await client.get(f"/api/v1/survey-campaigns/{s2.id}/report.pdf?lang=en", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    r = await client.get(f"/api/v1/units/{unit}/survey-reports/2019-S2.pdf", headers=headers)
    assert r.status_code == 200
    other = {"Authorization": "Bearer " + issue_token(db, world, "UNIT-B1", ["read"])}
    r = await client.get(f"/api/v1/survey-campaigns/{s2.id}/report.pdf", headers=other)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
