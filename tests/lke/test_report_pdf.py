"""The LKE self-assessment report (PDF): its numbers are the pages' numbers (the same
services), hand-worked values in its text, both languages, fonts embedded, and who may get it
through the page and the API."""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction

import pytest

from app.i18n import format_date, format_number
from app.services.lke import answers as lke_answers
from app.services.lke import (
    evidence,
    evidence_links,
    overview,
    review,
    review_records,
    scores,
    submission,
)
from app.services.lke import report as lke_report
from app.services.programme import team
from tests.factories import issue_token, login, principal
from tests.support.lke_review import new_assessment

PDF = "application/pdf"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils (pdftotext, pdffonts) is installed by .ci/run",
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_fonts(data: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def line_of(text: str, start: str) -> str:
    """The first line of the PDF text that begins (after spaces) with ``start``."""
    for line in text.splitlines():
        if line.strip().startswith(start):
            return line
    raise AssertionError(f"no line starting with {start!r}")


@pytest.fixture
def small(db, assessment_a1):
    """UNIT-A1 2024 (target WBK) answered by hand: PPA1 Ya / B, PPA2 Ya / C / C, PRA1A 10
    change agents and 5 changes; one evidence for PPA1A's first expected item; the team's
    penanggung jawab and coordinator."""
    lke_answers.answer_many(db, actor=None, assessment_id=assessment_a1.id, changes=[
        lke_answers.AnswerChange("PPA1A", option="Ya"),
        lke_answers.AnswerChange("PPA1B", option="B"),
        lke_answers.AnswerChange("PPA2A", option="Ya"),
        lke_answers.AnswerChange("PPA2B", option="C"),
        lke_answers.AnswerChange("PPA2C", option="C"),
        lke_answers.AnswerChange("PRA1A", inputs={"change_agents": 10, "changes_made": 5}),
    ])
    sk = evidence.add_link(db, actor=None, unit_id=assessment_a1.unit_id,
                           url="https://example.go.id/sk-tim.pdf", title="SK Tim ZI 2024")
    evidence_links.link(db, actor=None, assessment_id=assessment_a1.id, evidence_id=sk.id,
                        question_ref="PPA1A", expected_index=0)
    for name, position, roles in (("Budi Santoso", "Kepala Kantor", ["penanggung_jawab"]),
                                  ("Ani Lestari", "Kepala Subbagian Umum", ["koordinator"])):
        team.create_member(db, actor=None, unit_id=assessment_a1.unit_id, data={
            "name": name, "position": position, "level": "pimpinan", "roles": roles})
    return assessment_a1


def test_the_report_holds_the_pages_numbers_and_hand_worked_values(db, world, small, tmp_path):
    r = lke_report.build(db, actor=None, assessment_id=small.id)
    page = scores.evaluate(db, assessment=small)  # what the worksheet page shows
    tree = {row.ref: row for row in r.tree}
    # down to sub-indicators, never questions; every node of the page, the same score
    assert {row.level for row in r.tree} == {"total", "component", "part", "area",
                                             "sub_indicator"}
    for ref, node in page.report.nodes.items():
        if node.level != "question":
            assert tree[ref].scores["self"] == node.score, ref
            assert tree[ref].weight == node.weight, ref
    # by hand: PPA1 weighs 0.5 over two questions: Ya (1) and B (0.5) = 0.25 + 0.125
    assert tree["PPA1"].scores["self"] == Fraction(3, 8)
    # PPA2 weighs 1 over three questions: Ya, C, C = 1/3
    assert tree["PPA2"].scores["self"] == Fraction(1, 3)
    # PRA1 weighs 2 over two questions: PRA1A 5 changes / 10 agents = 0.5 of 1
    assert tree["PRA1"].scores["self"] == Fraction(1, 2)
    assert tree["TOTAL"].scores["self"] == Fraction(3, 8) + Fraction(1, 3) + Fraction(1, 2)
    # no review yet: the unit reviewed by Kanwil and TPI has both columns, empty
    assert r.parties == ("self", "regional", "tpi")
    assert tree["TOTAL"].scores["regional"] is None and r.decisions == ()
    # verdicts: the page's, for WBK and WBBM, every requirement
    assert r.verdicts["WBK"] == scores.evaluate(db, assessment=small, target="WBK").verdict
    assert r.verdicts["WBBM"] == scores.evaluate(db, assessment=small, target="WBBM").verdict
    assert not r.verdicts["WBK"].check("total").passed  # 1.21 of 75
    # progress and evidence as the worksheet counts them
    assert r.progress == overview.progress(db, assessment=small)
    assert (r.progress.answered, r.progress.total) == (6, 113)
    ppa = next(e for e in r.evidence if e.ref == "PPA")
    per_question = evidence_links.question_evidence(db, assessment=small)
    assert ppa.covered == 1 and ppa.questions_with_evidence == 1
    assert ppa.expected == sum(len(qe.expected) for ref, qe in per_question.items()
                               if ref.startswith("PPA"))
    assert sum(e.covered for e in r.evidence) == r.progress.evidence.covered == 1
    # the gap plan is the gaps page's
    assert r.gaps.plan == scores.gap_plan(db, assessment=small)
    assert r.gaps.questions == 113 - 2  # PPA1A and PPA2A are at their maximum
    assert r.gaps.shown == r.gaps.plan.items[:15]  # a summary in the page's order
    assert [(s.name, s.position) for s in r.signatories] == [
        ("Budi Santoso", "Kepala Kantor"), ("Ani Lestari", "Kepala Subbagian Umum")]

    # the printed text carries the same numbers, formatted as on the pages
    pdf = lke_report.render(db, actor=None, assessment_id=small.id)
    assert pdf.filename == "Laporan-LKE-UNIT-A1-2024.pdf" and pdf.content[:5] == b"%PDF-"
    text = pdf_text(pdf.content, tmp_path)
    assert "Laporan Penilaian Mandiri LKE ZI 2024" in text
    # the cover: unit, its parents nearest first, year, target, status
    assert "KPPN A1 (UNIT-A1)" in text
    assert "Kanwil A › Eselon I Uji › Kementerian Uji" in text
    assert re.search(r"Target predikat\s+WBK", text) and re.search(r"Status\s+Draf", text)
    assert "1,21" in line_of(text, "Lembar Kerja Evaluasi Zona Integritas")  # 1.2083
    assert re.search(r"PPA1 · Penyusunan Tim Kerja\s+0,50\s+0,38\s+—\s+—\s+75,00", text)
    assert re.search(r"PPA2 · .*\s+1,00\s+0,33\s+—\s+—\s+33,33", text)
    for ref in ("PPA", "PPB", "PRA", "HBA"):  # every area line as the page's service says
        node = page.report.nodes[ref]
        line = line_of(text, f"{ref} · ")
        assert f"{format_number(node.weight)}  " in line + "  "
        assert format_number(node.score) in line
    assert "Syarat predikat WBK dan WBBM" in text and "Nilai total LKE" in text
    assert "Budi Santoso" in text and "Ani Lestari" in text
    assert "Belum ada keputusan reviu." in text
    # fonts: every one embedded (a subset), Unicode-mapped
    fonts = pdf_fonts(pdf.content, tmp_path)
    assert fonts and all(row[-5:-2] == ["yes", "yes", "yes"] for row in fonts), fonts


def test_review_decisions_and_their_values_side_by_side(db, world, tmp_path):
    a = new_assessment(db, world, complete=True)  # every first option: Ya, A...
    submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    review.decide(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                  decision="accept", note="Diterima dengan catatan.",
                  changes=[review.DraftChange("PPA1A", option="Tidak",
                                              note="SK tim belum ditandatangani")])
    r = lke_report.build(db, actor=None, assessment_id=a.id)
    page = review_records.side_by_side(db, actor=None, assessment_id=a.id)  # comparison page
    for row in r.tree:
        assert row.scores == page.comparison.row(row.ref).scores, row.ref
    tree = {row.ref: row for row in r.tree}
    # the Kanwil took PPA1A (weight 0.25) from Ya to Tidak: 0.25 less on every ancestor
    assert tree["PPA1"].scores["self"] == Fraction(1, 2)
    assert tree["PPA1"].scores["regional"] == Fraction(1, 4)
    for ref in ("PPA", "PP", "P", "TOTAL"):
        assert tree[ref].scores["self"] - tree[ref].scores["regional"] == Fraction(1, 4)
        assert tree[ref].scores["tpi"] is None
    [decision] = r.decisions
    assert decision.review.level == "regional" and decision.review.decision == "accept"
    assert [(n.ref, n.note) for n in decision.notes] == [
        ("PPA1A", "SK tim belum ditandatangani")]
    assert decision.self_total - decision.review_total == Fraction(1, 4)

    text = pdf_text(lke_report.render(db, actor=None, assessment_id=a.id).content, tmp_path)
    self_ppa1, regional_ppa1 = "0,50", "0,25"
    assert re.search(rf"PPA1 · Penyusunan Tim Kerja\s+0,50\s+{self_ppa1}\s+{regional_ppa1}\s+—",
                     text)
    when = format_date(decision.review.decided_at, "Asia/Jakarta")  # the unit's time zone
    assert re.search(rf"{when} · Kantor Wilayah · reviewer_a · diterima", text)
    assert "Diterima dengan catatan." in text
    assert "PPA1A: SK tim belum ditandatangani" in text
    assert (f"Nilai penilaian mandiri {format_number(decision.self_total)} · nilai reviu "
            f"{format_number(decision.review_total)}") in text


def test_english_on_request(db, world, small, tmp_path):
    text = pdf_text(lke_report.render(db, actor=None, assessment_id=small.id,
                                      lang="en").content, tmp_path)
    assert "LKE ZI self-assessment report 2024" in text
    assert "WBK and WBBM requirements" in text and "Head of the work unit" in text
    assert re.search(r"PPA1 · Penyusunan Tim Kerja\s+0\.50\s+0\.38", text)
    assert "Page 1 / " in text


async def test_page_and_api_give_the_pdf_to_readers_only(client, make_client, db, world,
                                                         small, tmp_path):
    await login(client, "viewer_a1")  # reading the unit is enough
    page = await client.get(f"/assessments/{small.id}")
    assert page.status_code == 200
    assert f'href="/assessments/{small.id}/report.pdf"' in page.text
    assert "Unduh laporan (PDF)" in page.text
    # the gaps page shows the very SVG the report prints
    gaps = await client.get(f"/assessments/{small.id}/gaps")
    fw = scores.evaluate(db, assessment=small).framework
    assert lke_report.area_chart(fw, scores.gap_plan(db, assessment=small).report,
                                 lang="id") in gaps.text

    response = await client.get(f"/assessments/{small.id}/report.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == PDF
    assert response.headers["content-disposition"] == (
        'attachment; filename="Laporan-LKE-UNIT-A1-2024.pdf"')
    assert "Laporan Penilaian Mandiri" in pdf_text(response.content, tmp_path)

    english = await client.get(f"/api/v1/assessments/{small.id}/report.pdf",
                               params={"lang": "en"})
    assert english.status_code == 200 and english.headers["content-type"] == PDF
    assert "self-assessment report" in pdf_text(english.content, tmp_path)

    # a member of another unit: refused on both faces, no PDF
    other = make_client()
    await login(other, "member_b1")
    for url in (f"/assessments/{small.id}/report.pdf",
                f"/api/v1/assessments/{small.id}/report.pdf"):
        refused = await other.get(url)
        assert refused.status_code in (403, 404), url
        assert refused.headers["content-type"] != PDF
    problem = await other.get(f"/api/v1/assessments/{small.id}/report.pdf")
    assert problem.headers["content-type"].startswith("application/problem+json")
    # a token of another unit; and no one signed in
    token = issue_token(db, world, "UNIT-B1", ["read"])
    refused = await make_client().get(f"/api/v1/assessments/{small.id}/report.pdf",
                                      headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code in (403, 404)
    assert (await make_client().get(
        f"/api/v1/assessments/{small.id}/report.pdf")).status_code == 401
    anonymous = await make_client().get(f"/assessments/{small.id}/report.pdf")
    assert anonymous.status_code in (302, 303, 401)
    assert anonymous.headers.get("content-type") != PDF

    # unknown assessment and a bad language: problems, not a 500
    assert (await client.get("/api/v1/assessments/999999/report.pdf")).status_code == 404
    bad = await client.get(f"/api/v1/assessments/{small.id}/report.pdf",
                           params={"lang": "fr"})
    assert bad.status_code == 422


def test_the_pdf_adapter_fetches_nothing_outside_its_folder(tmp_path):
    from app.services.documents.pdf import render_pdf

    secret = tmp_path / "secret.txt"
    secret.write_text("RAHASIA")
    inside = tmp_path / "static"
    inside.mkdir()
    (inside / "style.css").write_text("p { color: #123456 }")
    html = (f'<link rel="stylesheet" href="style.css"><p>Halo</p>'
            f'<object data="{secret.as_uri()}"></object>'
            f'<iframe src="http://127.0.0.1:9/"></iframe>')
    data = render_pdf(html, base_url=inside)
    text = pdf_text(data, tmp_path)
    assert "Halo" in text and "RAHASIA" not in text
