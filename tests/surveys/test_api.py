"""The survey API: submit one or a batch with idempotency keys, results, refusals."""

from __future__ import annotations

from sqlmodel import func, select

from app.models.surveys.records import SurveyAnswer, SurveyResponse
from tests.factories import issue_token, login
from tests.support.problems import error_messages, problem, text

U = [f"U{n}" for n in range(1, 10)]


def ikm(values):
    return {"ikm-2017": {code: v for code, v in zip(U, values, strict=True)}}


def stored(db) -> tuple[int, int]:
    return (db.exec(select(func.count()).select_from(SurveyResponse)).one(),
            db.exec(select(func.count()).select_from(SurveyAnswer)).one())


def bearer(db, world, unit="UNIT-A1", scopes=("read", "write:surveys")):
    return {"Authorization": f"Bearer {issue_token(db, world, unit, list(scopes))}"}


async def test_results_by_hand_through_the_api(client, db, world, make_campaign):
    campaign = make_campaign(population=100)
    headers = bearer(db, world)
    for values in ((4, 3, 3, 2, 4, 4, 3, 3, 1), (3, 3, 4, 2, 4, 3, 3, 4, 2),
                   (4, 4, 3, 3, 4, 4, 2, 3, 2)):
        r = await client.post(f"/api/v1/survey-campaigns/{campaign.id}/responses",
                              json={"answers": ikm(values)}, headers=headers)
        assert r.status_code == 201, r.text
    r = await client.get(f"/api/v1/survey-campaigns/{campaign.id}/results", headers=headers)
    assert r.status_code == 200
    body = r.json()
    inst = body["instruments"][0]
    # NRR U9 = (1 + 2 + 2) / 3 = 5/3; IKM = 28/9 x 25 = 700/9.
    assert inst["elements"][8] == {"code": "U9", "name": inst["elements"][8]["name"],
                                   "nrr": {"exact": "5/3", "rounded": "1.67"}, "answers": 3}
    assert inst["value"] == {"exact": "700/9", "rounded": "77.78"}
    assert inst["value_1_4"] == {"exact": "28/9", "rounded": "3.11"}
    assert inst["grade"]["letter"] == "B"
    assert inst["priority"] == "U9"
    assert (body["respondents"], body["minimum_sample"], body["sample_reached"]) == (3, 80, False)


async def test_batch_twice_counts_once(client, db, world, make_campaign):
    campaign = make_campaign()
    headers = bearer(db, world)
    batch = {"items": [
        {"idempotency_key": f"kiosk-{n}", "answers": ikm((4,) * 9)} for n in range(3)
    ]}
    url = f"/api/v1/survey-campaigns/{campaign.id}/responses/batch"
    first = await client.post(url, json=batch, headers=headers)
    assert first.status_code == 200 and first.json()["created"] == 3
    again = await client.post(url, json=batch, headers=headers)
    assert again.json()["created"] == 0 and again.json()["duplicates"] == 3
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first.json()["items"]]
    assert stored(db) == (3, 27)
    # A single submit with a key already used by the batch, same answers: a duplicate (200).
    one = await client.post(f"/api/v1/survey-campaigns/{campaign.id}/responses",
                            json={"answers": ikm((4,) * 9)},
                            headers={**headers, "Idempotency-Key": "kiosk-1"})
    assert one.status_code == 200 and one.json()["duplicate"] is True
    assert stored(db) == (3, 27)


async def test_a_reused_key_with_other_answers_is_a_conflict(client, db, world, make_campaign):
    campaign = make_campaign()
    headers = bearer(db, world)
    url = f"/api/v1/survey-campaigns/{campaign.id}/responses"
    first = await client.post(url, json={"answers": ikm((4,) * 9), "suggestion": "Cepat"},
                              headers={**headers, "Idempotency-Key": "kiosk-7"})
    assert first.status_code == 201
    for other in ({"answers": ikm((1,) * 9), "suggestion": "Cepat"},   # another answer
                  {"answers": ikm((4,) * 9), "suggestion": "Lambat"},  # another suggestion
                  {"answers": ikm((4,) * 9)}):                        # no suggestion
        r = await client.post(url, json=other, headers={**headers, "Idempotency-Key": "kiosk-7"})
        assert r.status_code == 409, other
        assert "kiosk-7" in problem(r)["detail"] and "berbeda" in problem(r)["detail"]
    # In a batch: the conflicting key is named and nothing of the batch is stored.
    r = await client.post(url + "/batch", headers=headers, json={"items": [
        {"idempotency_key": "kiosk-8", "answers": ikm((3,) * 9)},
        {"idempotency_key": "kiosk-7", "answers": ikm((2,) * 9), "suggestion": "Cepat"},
    ]})
    assert r.status_code == 409 and "kiosk-7" in problem(r)["detail"]
    assert stored(db) == (1, 9)
    # The true retry still answers with the first response.
    again = await client.post(url, json={"answers": ikm((4,) * 9), "suggestion": "Cepat"},
                              headers={**headers, "Idempotency-Key": "kiosk-7"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


async def test_bad_input_is_refused_and_nothing_stored(client, db, world, make_campaign):
    campaign = make_campaign()
    headers = bearer(db, world)
    url = f"/api/v1/survey-campaigns/{campaign.id}/responses"
    missing = ikm((4,) * 9)
    del missing["ikm-2017"]["U4"]
    r = await client.post(url, json={"answers": missing}, headers=headers)
    assert r.status_code == 422 and "ikm-2017.U4" in text(r)
    r = await client.post(url, json={"answers": ikm((4, 4, 4, 5, 4, 4, 4, 4, 4))},
                          headers=headers)
    assert r.status_code == 422 and "antara 1 dan 4" in text(r)
    r = await client.post(url, json={"answers": {"ikm-2017": {**ikm((4,) * 9)["ikm-2017"],
                                                              "U1": "4"}}}, headers=headers)
    assert r.status_code == 422
    r = await client.post(url, json={"answers": ikm((4,) * 9), "profile": {"gender": "X"}},
                          headers=headers)
    assert r.status_code == 422
    # A batch with one bad item stores none of the good ones.
    r = await client.post(url + "/batch", headers=headers, json={"items": [
        {"idempotency_key": "a", "answers": ikm((4,) * 9)},
        {"idempotency_key": "b", "answers": ikm((0,) * 9)},
    ]})
    assert r.status_code == 422 and "items[1]" in text(r)
    r = await client.post("/api/v1/survey-campaigns/999999/responses",
                          json={"answers": ikm((4,) * 9)}, headers=headers)
    assert r.status_code == 404
    assert stored(db) == (0, 0)


async def test_closed_campaign_refuses(client, db, world, make_campaign):
    campaign = make_campaign()
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/api/v1/survey-campaigns/{campaign.id}/status",
                          json={"status": "closed"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    r = await client.post(f"/api/v1/survey-campaigns/{campaign.id}/responses",
                          json={"answers": ikm((4,) * 9)}, headers=bearer(db, world))
    assert r.status_code == 409 and "ditutup" in problem(r)["detail"]
    assert stored(db) == (0, 0)


async def test_other_unit_token_is_refused(client, db, world, make_campaign):
    campaign = make_campaign("UNIT-A1")
    headers = bearer(db, world, unit="UNIT-B1")
    r = await client.post(f"/api/v1/survey-campaigns/{campaign.id}/responses",
                          json={"answers": ikm((4,) * 9)}, headers=headers)
    assert r.status_code == 403
    r = await client.get(f"/api/v1/survey-campaigns/{campaign.id}/results", headers=headers)
    assert r.status_code == 403
    r = await client.get(f"/api/v1/survey-campaigns/{campaign.id}/responses", headers=headers)
    assert r.status_code == 403
    r = await client.get(f"/api/v1/units/{world.unit('UNIT-A1')}/survey-campaigns",
                         headers=headers)
    assert r.status_code == 403
    # Read-only token of the right unit cannot submit.
    r = await client.post(f"/api/v1/survey-campaigns/{campaign.id}/responses",
                          json={"answers": ikm((4,) * 9)},
                          headers=bearer(db, world, scopes=("read",)))
    assert r.status_code == 403
    assert stored(db) == (0, 0)


async def test_campaign_crud_and_validation(client, db, world):
    headers = bearer(db, world)
    unit = world.unit("UNIT-A1")
    bad = {"title": "X", "instruments": ["ikm-2017"], "period_kind": "semester",
           "period_label": "2019-Q1", "opens_on": "2019-06-30", "closes_on": "2019-01-01",
           "population": 100}
    r = await client.post(f"/api/v1/units/{unit}/survey-campaigns", json=bad, headers=headers)
    assert r.status_code == 422
    problems = " ".join(error_messages(r))
    assert "2019-S1" in problems and "sebelum tanggal buka" in problems
    good = {**bad, "period_label": "2019-S1", "closes_on": "2099-06-30",
            "instruments": ["ikm-2017", "spkp", "spak"]}
    r = await client.post(f"/api/v1/units/{unit}/survey-campaigns", json=good, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["instruments"] == ["ikm-2017", "spkp", "spak"]
    assert body["public_path"] == f"/s/{body['public_code']}" and len(body["public_code"]) == 8
    r = await client.put(f"/api/v1/survey-campaigns/{body['id']}",
                         json={**good, "population": 0}, headers=headers)
    assert r.status_code == 422
    r = await client.post(f"/api/v1/units/{unit}/survey-services", headers=headers,
                          json={"code": "sp2d", "name": "Pencairan dana"})
    assert r.status_code == 201
    r = await client.post(f"/api/v1/units/{unit}/survey-services", headers=headers,
                          json={"code": "sp2d", "name": "Lagi"})
    assert r.status_code == 422
