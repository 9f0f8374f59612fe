"""An id of another unit's row, asked for through one's own unit, is answered exactly like
an id no row has: the same status (404) and the same words, on the page and on the API.
Otherwise a 403 or "not in this unit" would tell a stranger the row exists."""

from __future__ import annotations

import re

import pytest

from app.services.accounts import tokens
from app.services.lke import assessments, evidence, frameworks
from app.services.programme import pillars
from app.services.surveys import catalogue
from app.services.surveys import responses as survey_responses
from tests.factories import issue_token, login
from tests.support.problems import PROBLEM_MEDIA_TYPE, problem

MISSING = 99999


def _words(response) -> str:
    """The message a person or a client reads: the page's lead paragraph or the detail."""
    if response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE):
        return problem(response)["detail"]
    return re.search(r'<p class="lead">(.*?)</p>', response.text, re.S).group(1).strip()


@pytest.fixture
def b1_rows(db, world, make_campaign):
    """One row of each kind in UNIT-B1 (the other unit)."""
    frameworks.sync_bundled(db)
    b1 = world.unit("UNIT-B1")
    campaign = make_campaign("UNIT-B1")
    recorded = survey_responses.record_response(
        db, campaign=campaign, answers={("ikm-2017", f"U{n}"): 4 for n in range(1, 10)})
    return {
        "campaign_id": campaign.id,
        "response_id": recorded.id,
        "service_id": catalogue.create_service(db, actor=None, unit_id=b1, code="LOKET",
                                               name="Loket").id,
        "assessment_id": assessments.create(db, actor=None, unit_id=b1, year=2024,
                                            target="WBK").id,
        "evidence_id": evidence.add_link(db, actor=None, unit_id=b1,
                                         url="https://b1.example/sk.pdf").id,
        "pillar_id": pillars.create_pillar(db, actor=None, unit_id=b1,
                                           data={"name": "Pilar B1"}).id,
    }


# (method, path under UNIT-A1 with the one id to probe, form data)
PROBES = [
    ("GET", "/units/{a1}/surveys/campaigns/{campaign_id}", None),
    ("GET", "/units/{a1}/surveys/campaigns/{campaign_id}/lke", None),
    ("GET", "/units/{a1}/surveys/campaigns/{campaign_id}/export.csv", None),
    ("POST", "/units/{a1}/surveys/responses/{response_id}/review", {"decision": "include"}),
    ("POST", "/units/{a1}/surveys/services/{service_id}/delete", {}),
    ("GET", "/units/{a1}/assessments/{assessment_id}/xlsx", None),
    ("POST", "/units/{a1}/lke/apply-innovations",
     {"assessment_id": "{assessment_id}", "ref": "PPF2F"}),
    ("POST", "/units/{a1}/pillars/{pillar_id}/delete", {}),
]


@pytest.mark.parametrize("method,path,data", PROBES, ids=[p[1] for p in PROBES])
@pytest.mark.parametrize("username", ["coord_a1", "admin"])
async def test_pages_answer_another_units_id_like_a_missing_one(
        client, world, b1_rows, engine, row_counts, method, path, data, username):
    """coord_a1 may not see UNIT-B1; admin may, but not through UNIT-A1's address."""
    csrf = await login(client, username)
    key = re.search(r"\{(\w+_id)\}", path if "{" in path.replace("{a1}", "") else
                    str(data)).group(1)
    before = row_counts(engine)
    answers = []
    for value in (b1_rows[key], MISSING):
        url = path.format(a1=world.unit("UNIT-A1"), **{key: value})
        form = {k: v.format(**{key: value}) for k, v in (data or {}).items()}
        if method == "GET":
            response = await client.get(url)
        else:
            response = await client.post(url, data={**form, "csrf_token": csrf})
        answers.append((response.status_code, _words(response).replace(str(value), "#")))
    foreign, missing = answers
    assert foreign == missing
    assert foreign[0] == 404, foreign
    assert row_counts(engine) == before


async def test_the_api_answers_another_units_token_and_evidence_like_missing_ones(
        client, db, world, b1_rows, engine, row_counts):
    a1 = world.unit("UNIT-A1")
    token = issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])
    auth = {"Authorization": f"Bearer {token}"}
    b1_token_id = tokens.create(db, actor=None, unit_id=world.unit("UNIT-B1"), name="B1",
                                scopes=["read"]).token.id
    own = assessments.create(db, actor=None, unit_id=a1, year=2024, target="WBK")
    csrf = await login(client, "coord_a1")
    before = row_counts(engine)
    # Revoking a token through UNIT-A1's address (a coordinator's session).
    tokens_answers = []
    for token_id in (b1_token_id, MISSING):
        response = await client.delete(f"/api/v1/units/{a1}/tokens/{token_id}",
                                       headers={"X-CSRF-Token": csrf})
        tokens_answers.append((response.status_code,
                               problem(response)["detail"].replace(str(token_id), "#")))
    assert tokens_answers == [(404, "Token # tidak ditemukan.")] * 2
    # Linking another unit's evidence to the own assessment, by its id in the body.
    link_answers = []
    for evidence_id in (b1_rows["evidence_id"], MISSING):
        response = await client.post(
            f"/api/v1/assessments/{own.id}/evidence-links", headers=auth,
            json={"evidence_id": evidence_id, "question_ref": "1.1.1"})
        link_answers.append((response.status_code,
                             problem(response)["detail"].replace(str(evidence_id), "#")))
    assert link_answers == [(404, "Eviden # tidak ditemukan.")] * 2
    assert row_counts(engine) == before
