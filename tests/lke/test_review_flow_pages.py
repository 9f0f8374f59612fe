"""The review workflow's pages without a browser: what the submission page lists, the
evidence requirement on both faces, the review page's area and filters (counts worked by
hand from the bundled LKE), the read-only view of a final assessment, and where a reviewer
lands after signing in."""

from __future__ import annotations

import html
import re

from app.models.lke.assessments import Assessment
from app.services.lke import assessments, evidence, evidence_links
from app.services.lke import review as review_svc
from app.services.lke import submission as lke_submission
from tests.factories import issue_token, login, principal
from tests.support.lke_review import new_assessment


async def test_submission_lists_each_missing_question_with_its_text(client, db, world):
    a = new_assessment(db, world, skip=("PPA1B",))
    framework = assessments.framework_of(db, a)
    await login(client, "coord_a1")
    page = await client.get(f"/assessments/{a.id}/submission")
    listed = re.search(r'<ul class="missing-list">(.*?)</ul>', page.text, re.S).group(1)
    assert listed.count("<li>") == 1
    assert f'href="/assessments/{a.id}#q-PPA1B"' in listed
    assert html.escape(framework.question("PPA1B").text[:60]) in listed
    expected = sum(len(q.evidence) for q in framework.questions())
    assert expected > 100  # the bundled LKE lists its expected evidence per question
    coverage = re.search(r'<p id="evidence-coverage">(.*?)</p>', page.text, re.S).group(1)
    assert f"<strong>0</strong> dari {expected} (0%)" in coverage


async def test_required_evidence_blocks_the_submit_on_both_faces(client, app, db, world):
    a = new_assessment(db, world, complete=True)
    framework = assessments.framework_of(db, a)
    expecting = [q.ref for q in framework.questions() if q.evidence]
    # one question covered: the others that expect evidence are the gaps
    row = evidence.add_link(db, actor=None, unit_id=a.unit_id, url="https://a1.example/sk.pdf")
    evidence_links.link(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id,
                        evidence_id=row.id, question_ref=expecting[0], expected_index=0)
    csrf = await login(client, "coord_a1")
    token = issue_token(db, world, "UNIT-A1", ["read", "submit:indicators"])

    page = await client.get(f"/assessments/{a.id}/submission")
    warning = re.search(r'<div class="flash flash-warn" role="status" id="evidence-warning">'
                        r'(.*?)</div>', page.text, re.S).group(1)
    assert f"{len(expecting) - 1} pertanyaan belum punya eviden" in warning
    assert f"#q-{expecting[0]}\"" not in warning and f"#q-{expecting[1]}\"" in warning

    app.state.settings.require_evidence_on_submit = True
    try:
        r = await client.post(f"/assessments/{a.id}/submit", data={"csrf_token": csrf})
        assert r.status_code == 422 and expecting[1] in r.text
        api = await client.post(f"/api/v1/assessments/{a.id}/submit", json={},
                                headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 422
        assert len(api.json()["errors"]) == len(expecting) - 1
        db.expire_all()
        assert db.get(Assessment, a.id).status == "draft"
    finally:
        app.state.settings.require_evidence_on_submit = False
    r = await client.post(f"/assessments/{a.id}/submit", data={"csrf_token": csrf})
    assert r.status_code == 303  # only a warning without the setting
    db.expire_all()
    assert db.get(Assessment, a.id).status == "submitted"


async def test_review_page_area_and_filters(client, db, world):
    a = new_assessment(db, world, complete=True)
    lke_submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    framework = assessments.framework_of(db, a)
    first = next(iter(framework.areas()))
    refs = [q.ref for q in first.questions]
    assert refs[:2] == ["PPA1A", "PPA1B"]
    review_svc.save_values(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                           changes=[review_svc.DraftChange(ref="PPA1B", option="C",
                                                           note="Belum ada", flagged=True),
                                    review_svc.DraftChange(ref="PPA1A")])
    await login(client, "reviewer_a")
    url = f"/assessments/{a.id}/review"

    def shown(text):
        return re.findall(r'<article class="review-row[^"]*" id="r-(\w+)"', text)

    assert shown((await client.get(url)).text) == refs  # the first area only
    assert shown((await client.get(url + "?only=flagged")).text) == ["PPA1B"]
    assert shown((await client.get(url + "?only=differs")).text) == ["PPA1B"]
    assert shown((await client.get(url + "?only=unreviewed")).text) == refs[2:]
    assert shown((await client.get(url + "?only=no_evidence")).text) == refs
    second = list(framework.areas())[1]
    page = (await client.get(url + f"?area={second.ref}&only=flagged")).text
    assert shown(page) == [] and 'id="no-match"' in page
    tab = re.search(rf'id="area-{first.ref}".*?<span class="area-progress">(.*?)</span>\s*<progress',
                    page, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", tab).split() == [
        f"2/{len(refs)}", "diperiksa", "1", "ditandai", "1", "berbeda"]
    bad = await client.get(url + "?only=everything")
    assert bad.status_code == 422


async def test_final_assessment_opens_read_only_and_reviewers_land_on_their_queue(
        client, db, world):
    a = new_assessment(db, world, complete=True)
    lke_submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    review_svc.decide(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                      decision="accept")
    review_svc.decide(db, actor=principal(db, world, "tpi"), assessment_id=a.id,
                      decision="accept")
    await login(client, "tpi")
    home = await client.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == f"/units/{world.unit('ES1')}/reviews"
    page = await client.get(f"/assessments/{a.id}/review")
    assert page.status_code == 200
    assert 'id="review-readonly"' in page.text and "sudah final" in page.text
    assert 'id="review-decision"' not in page.text
    assert "<fieldset class=\"plain\" disabled>" in page.text
    decide = await client.post(f"/assessments/{a.id}/review-decision",
                               data={"decision": "accept", "confirmed": "1",
                                     "csrf_token": re.search(r'"X-CSRF-Token": "([^"]+)"',
                                                             page.text).group(1)})
    assert decide.status_code == 409  # the decision itself is still refused
    await login(client, "coord_a1")
    assert (await client.get("/")).headers["location"] == f"/units/{world.unit('UNIT-A1')}"


async def test_a_refused_upload_is_told_in_the_evidence_panel(client, db, world):
    from tests.support.lke_review import EXE

    a = new_assessment(db, world)
    csrf = await login(client, "coord_a1")
    url = f"/assessments/{a.id}/questions/PPA1A/evidence/upload"
    r = await client.post(url, data={"csrf_token": csrf},
                          files={"file": ("laporan.pdf", EXE, "application/pdf")},
                          headers={"HX-Request": "true"})
    assert r.status_code == 422
    assert "HX-Retarget" not in r.headers  # the panel itself is swapped, not the page's top
    panel = r.text
    assert panel.lstrip().startswith('<div class="evidence-panel" id="ev-PPA1A">')
    assert re.search(r'class="flash flash-error panel-error" role="alert"><p>[^<]+</p>', panel)
    assert 'type="file"' in panel  # the forms are back, empty
    # without JavaScript: the question's evidence page with the same message
    page = await client.post(url, data={"csrf_token": csrf},
                             files={"file": ("laporan.pdf", EXE, "application/pdf")})
    assert page.status_code == 422 and "panel-error" in page.text
    assert evidence.list_for_unit(db, actor=None, unit_id=a.unit_id) == []


async def test_after_a_tpi_return_the_page_says_who_reviews_the_resubmission(client, db, world):
    a = new_assessment(db, world, complete=True)
    lke_submission.submit(db, actor=principal(db, world, "coord_a1"), assessment_id=a.id)
    review_svc.decide(db, actor=principal(db, world, "reviewer_a"), assessment_id=a.id,
                      decision="accept")
    tpi = principal(db, world, "tpi")
    review_svc.save_values(db, actor=tpi, assessment_id=a.id, changes=[
        review_svc.DraftChange(ref="PPA1B", note="SK belum ada", flagged=True)])
    review_svc.decide(db, actor=tpi, assessment_id=a.id, decision="return")
    await login(client, "coord_a1")
    page = html.unescape((await client.get(f"/assessments/{a.id}/submission")).text)
    said = re.sub(r"<[^>]+>|\s+", " ", re.search(
        r'<p class="flash flash-info" id="resubmit-reviewers">(.*?)</p>', page, re.S).group(1))
    assert " ".join(said.split()) == (
        "Pengajuan ulang direviu lagi dari awal: Kantor Wilayah (Kanwil A) → TPI (Eselon I Uji). "
        "Jadi setelah pengembalian oleh TPI, Kantor Wilayah memeriksa perbaikan lebih dulu, "
        "baru kemudian TPI.")


async def test_a_reader_sees_the_last_decided_values_during_a_re_review(client, db, world):
    """A reader of the unit (not a reviewer) opens the review page while Kanwil re-reviews a
    resubmission: the values Kanwil decided on its return, read-only, never the values its
    reviewer is working on now."""
    a = new_assessment(db, world, complete=True)
    coord, kanwil = principal(db, world, "coord_a1"), principal(db, world, "reviewer_a")
    lke_submission.submit(db, actor=coord, assessment_id=a.id)
    review_svc.save_values(db, actor=kanwil, assessment_id=a.id, changes=[
        review_svc.DraftChange(ref="PPA1B", option="C", note="SK belum ada", flagged=True)])
    review_svc.decide(db, actor=kanwil, assessment_id=a.id, decision="return")
    lke_submission.submit(db, actor=coord, assessment_id=a.id)  # the re-review starts
    review_svc.save_values(db, actor=kanwil, assessment_id=a.id, changes=[
        review_svc.DraftChange(ref="PPA1B", option="B", note="masih dikerjakan", flagged=False)])

    await login(client, "viewer_a1")
    page = await client.get(f"/assessments/{a.id}/review")
    assert page.status_code == 200, page.text[:300]
    text = html.unescape(page.text)
    assert 'id="review-readonly"' in text and "sedang mereviu ulang" in text
    assert 'id="review-decision"' not in text
    row = re.search(r'<article class="review-row([^"]*)" id="r-PPA1B">(.*?)</article>', text,
                    re.S)
    assert "flagged" in row.group(1)
    assert re.search(r'<option value="C" selected>', row.group(2))  # what Kanwil decided
    assert not re.search(r'<option value="B" selected>', row.group(2))
    assert "SK belum ada" in row.group(2) and "masih dikerjakan" not in text

    await login(client, "reviewer_a")  # the reviewer at work still gets the workspace
    mine = html.unescape((await client.get(f"/assessments/{a.id}/review")).text)
    assert 'id="review-readonly"' not in mine and "masih dikerjakan" in mine
