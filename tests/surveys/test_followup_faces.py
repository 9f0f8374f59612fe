"""The follow-up plan's page and API: the same service, its permissions, its messages."""

from __future__ import annotations

from sqlmodel import select

from app.models.surveys.followups import SurveyFollowup
from app.services.surveys import responses as survey_responses
from tests.factories import issue_token, login

U = [f"U{n}" for n in range(1, 10)]


def answered(db, make_campaign, label, *rows):
    campaign = make_campaign(label=label, title=f"Survei {label}")
    for values in rows:
        survey_responses.record_response(db, campaign=campaign, answers={
            ("ikm-2017", c): v for c, v in zip(U, values, strict=True)})
    return campaign


async def test_page_lists_findings_adds_and_refuses_in_indonesian(client, db, world, make_campaign):
    s1 = answered(db, make_campaign, "2019-S1", (4, 4, 4, 4, 4, 4, 4, 3, 1), (4, 4, 4, 4, 4, 4, 3, 2, 2))
    answered(db, make_campaign, "2019-S2", (4, 4, 4, 4, 4, 4, 3, 3, 2))
    unit = world.unit("UNIT-A1")
    url = f"/units/{unit}/surveys/campaigns/{s1.id}/followups"
    csrf = await login(client, "coord_a1")
    page = await client.get(url)
    assert page.status_code == 200
    # U9 3/2 = 1,500 then 2,000 next period (membaik +0,500); U7 3,500 -> 3,000 (menurun).
    assert "1,500" in page.text and "2,000" in page.text and "membaik +0,500" in page.text
    assert "menurun -0,500" in page.text
    assert "PPF4C" in page.text  # the LKE suggestion (option D: nothing done yet)
    r = await client.post(url, data={"csrf_token": csrf, "element_code": "U9",
                                     "action": "Loket prioritas lansia", "owner": "Kasi Umum",
                                     "due_on": "2019-09-30", "status": "selesai"})
    assert r.status_code == 303
    row = db.exec(select(SurveyFollowup)).one()
    assert (row.element_code, row.status, str(row.due_on)) == ("U9", "selesai", "2019-09-30")
    page = await client.get(url)
    assert "Loket prioritas lansia" in page.text and "Kasi Umum" in page.text
    bad = await client.post(url, data={"csrf_token": csrf, "element_code": "U99", "action": "",
                                       "due_on": "30/09/2019"})
    assert bad.status_code == 422 and "Batas waktu harus tanggal" in bad.text
    bad = await client.post(url, data={"csrf_token": csrf, "element_code": "U99", "action": ""})
    assert bad.status_code == 422
    assert "Tindakan wajib diisi." in bad.text and "Unsur &#39;U99&#39; tidak ada" in bad.text
    assert len(db.exec(select(SurveyFollowup)).all()) == 1
    # The row form changes the status; the action plan copy links an item.
    r = await client.post(f"{url}/{row.id}", data={"csrf_token": csrf, "status": "berjalan"})
    assert r.status_code == 303
    r = await client.post(f"{url}/{row.id}/action-plan", data={"csrf_token": csrf})
    assert r.status_code == 303
    db.expire_all()
    assert db.get(SurveyFollowup, row.id).action_item_id is not None
    plan = await client.get(f"/units/{unit}/action-plan")
    assert "Tindak lanjut survei 2019-S1 (U9): Loket prioritas lansia" in plan.text


async def test_page_permissions(client, db, world, make_campaign):
    s1 = answered(db, make_campaign, "2019-S1", (4, 4, 4, 4, 4, 4, 4, 3, 1))
    url = f"/units/{world.unit('UNIT-A1')}/surveys/campaigns/{s1.id}/followups"
    csrf = await login(client, "viewer_a1")
    assert (await client.get(url)).status_code == 200
    r = await client.post(url, data={"csrf_token": csrf, "element_code": "U9", "action": "x"})
    assert r.status_code == 403
    csrf = await login(client, "coord_b1")
    assert (await client.get(url)).status_code in (403, 404)


async def test_api_round_trip(client, db, world, make_campaign):
    s1 = answered(db, make_campaign, "2019-S1", (4, 4, 4, 4, 4, 4, 4, 3, 1), (4, 4, 4, 4, 4, 4, 3, 2, 2))
    unit = world.unit("UNIT-A1")
    headers = {"Authorization": "Bearer " + issue_token(db, world, "UNIT-A1",
                                                        ["read", "write:surveys"])}
    r = await client.post(f"/api/v1/survey-campaigns/{s1.id}/followups", headers=headers,
                          json={"element_code": "U8", "action": "Kursi tunggu",
                                "status": "selesai", "due_on": "2019-08-01"})
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    r = await client.post(f"/api/v1/survey-campaigns/{s1.id}/followups", headers=headers,
                          json={"element_code": "U8", "action": "x", "status": "kelar"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    plan = (await client.get(f"/api/v1/survey-campaigns/{s1.id}/followups", headers=headers)).json()
    ikm = plan["instruments"][0]
    assert ikm["weakest"] == ["U9", "U8", "U7"]
    assert ikm["elements"][1]["nrr"] == {"exact": "5/2", "rounded": "2.50"}
    assert ikm["elements"][1]["actions"][0]["id"] == fid and ikm["elements"][1]["change"] is None
    s = (await client.get(f"/api/v1/units/{unit}/survey-followups/lke-suggestion?year=2019",
                          headers=headers)).json()
    assert (s["ref"], s["option"], s["followed_up"], s["findings"]) == ("PPF4C", "C", 1, 3)
    r = await client.patch(f"/api/v1/survey-followups/{fid}", headers=headers,
                           json={"status": "berjalan"})
    assert r.json()["status"] == "berjalan"
    assert (await client.delete(f"/api/v1/survey-followups/{fid}", headers=headers)).status_code == 204
    assert (await client.get(f"/api/v1/survey-followups/{fid}", headers=headers)).status_code == 404
    r = await client.post(f"/api/v1/survey-followups/{fid}/restore", headers=headers)
    assert r.status_code == 200 and r.json()["id"] == fid
    # write:surveys alone cannot add to the programme's action plan.
    r = await client.post(f"/api/v1/survey-followups/{fid}/action-plan", headers=headers)
    assert r.status_code == 403
    other = {"Authorization": "Bearer " + issue_token(db, world, "UNIT-B1", ["read"])}
    assert (await client.get(f"/api/v1/survey-followups/{fid}", headers=other)).status_code == 403
