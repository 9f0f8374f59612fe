"""The worksheet through the JSON API: hand-worked scores from the PermenPANRB 90/2021 weights,
bad input refused with nothing stored, revisions, access across units, token scopes, audit."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.models.audit import AuditRecord
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision
from app.services.lke import frameworks
from tests.factories import issue_token, login
from tests.support.lke_worksheets import all_max
from tests.support.problems import error_messages, problem

API = "/api/v1"


async def _create(client, csrf, unit_id, year=2024, target="WBK"):
    r = await client.post(
        f"{API}/units/{unit_id}/assessments", json={"year": year, "target": target},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _put_many(client, csrf, aid, items):
    return await client.put(
        f"{API}/assessments/{aid}/answers", json={"answers": items},
        headers={"X-CSRF-Token": csrf},
    )


def _count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
async def coord(client, world, framework_row):
    csrf = await login(client, "coord_a1")
    return client, csrf


async def test_ppa2_ya_c_c(coord, world):
    client, csrf = coord
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    r = await _put_many(client, csrf, a["id"], [
        {"ref": "PPA2A", "option": "Ya"},
        {"ref": "PPA2B", "option": "C"},
        {"ref": "PPA2C", "option": "C"},
    ])
    assert r.status_code == 200, r.text
    score = (await client.get(f"{API}/assessments/{a['id']}/score")).json()
    # PPA2 "Rencana Pembangunan ZI" weighs 1.00 over 3 questions:
    # 1.00 x (1 + 0 + 0) / 3 = 1/3 -> 0.33 (33.33 % of the sub-indicator)
    ppa2 = score["sub_indicators"]["PPA2"]
    assert (ppa2["score"], ppa2["score_exact"], ppa2["percentage"]) == ("0.33", "1/3", "33.33")
    assert score["areas"]["PPA"]["score"] == "0.33"
    assert score["parts"]["PP"]["score_exact"] == "1/3"
    assert score["total"]["score"] == "0.33"
    assert score["total"]["answered"] == 3
    assert score["progress"]["questions"] == 113
    # the evidence capability is installed: nothing linked yet, 248 expected items in all
    assert (score["progress"]["evidence_covered"], score["progress"]["evidence_expected"]) == (0, 248)


async def test_all_max_is_100_and_passes_wbk(coord, world, framework_row):
    client, csrf = coord
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    items = all_max(frameworks.parsed(framework_row))
    assert len(items) == 113
    r = await _put_many(client, csrf, a["id"], items)
    assert r.status_code == 200, r.text
    score = (await client.get(f"{API}/assessments/{a['id']}/score")).json()
    assert score["total"]["score"] == "100.00" and score["total"]["score_exact"] == "100/1"
    assert score["parts"]["PP"]["score"] == "30.00"
    assert score["parts"]["HB"]["score"] == "22.50"
    verdict = (await client.get(f"{API}/assessments/{a['id']}/verdict")).json()
    assert verdict["target"] == "WBK" and verdict["passed"] is True
    assert all(c["passed"] for c in verdict["checks"]) and verdict["reasons"] == []
    # WBBM: every score requirement is met, but UNIT-A1 holds no WBK yet.
    wbbm = (await client.get(f"{API}/assessments/{a['id']}/verdict?target=WBBM")).json()
    assert wbbm["passed"] is False
    assert [c["code"] for c in wbbm["checks"] if not c["passed"]] == ["wbk_held"]
    gaps = (await client.get(f"{API}/assessments/{a['id']}/gaps")).json()
    assert gaps["items"] == []


async def test_mixed_worksheet_worked_by_hand(coord, world, framework_row):
    client, csrf = coord
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    items = {i["ref"]: i for i in all_max(frameworks.parsed(framework_row))}
    # Below the maximum (everything else at its best, so losses are subtracted from 100):
    #  PPA1B = B (0.5): PPA1 weighs 0.5 over 2 questions -> 0.25 each; loses 0.25 x 0.5 = 1/8
    #  PPA2B = C (0):   PPA2 weighs 1 over 3 questions -> 1/3 each; loses 1/3
    #  PRE2A 3 finished, 1 in process (of 4 to follow up): 3/(1+3) = 3/4 of 3.00 -> loses 3/4
    #  HBA1A IPAK 3.00 on the 1-4 scale: 3/4 of 17.50 = 13.125 -> loses 35/8
    #  HBB1A capaian C (0.5): half of 5.00 = 2.50 -> loses 5/2
    # losses = 1/8 + 1/3 + 3/4 + 35/8 + 5/2 = (3 + 8 + 18 + 105 + 60)/24 = 97/12
    # total  = 100 - 97/12 = 1103/12 = 91.9166... -> 91.92
    items["PPA1B"] = {"ref": "PPA1B", "option": "B"}
    items["PPA2B"] = {"ref": "PPA2B", "option": "C"}
    items["PRE2A"] = {"ref": "PRE2A", "inputs": {"complaints_to_follow_up": 4,
                                                 "complaints_in_process": 1,
                                                 "complaints_finished": 3}}
    items["HBA1A"] = {"ref": "HBA1A", "index": "3.00"}
    items["HBB1A"] = {"ref": "HBB1A", "option": "C"}
    assert (await _put_many(client, csrf, a["id"], list(items.values()))).status_code == 200
    score = (await client.get(f"{API}/assessments/{a['id']}/score")).json()
    assert (score["total"]["score"], score["total"]["score_exact"]) == ("91.92", "1103/12")
    # Pengungkit P = 60 - (3 + 8 + 18)/24 = 1411/24 = 58.7916.. -> 58.79
    assert score["components"]["P"]["score"] == "58.79"
    # Hasil: HB = 13.125 + 2.5 = 15.625 -> 15.63 (half up)
    assert score["parts"]["HB"]["score"] == "15.63"

    verdict = (await client.get(f"{API}/assessments/{a['id']}/verdict")).json()
    # WBK needs HB >= 18.25 (15.625 fails) and IPAK HBA >= 15.75 (13.125 fails);
    # capaian HBB 2.5 >= 2.5 passes (exactly on the threshold); everything else passes.
    failed = {c["code"] for c in verdict["checks"] if not c["passed"]}
    assert verdict["passed"] is False
    assert failed == {"birokrasi_bersih", "ipak"}
    ipak = next(c for c in verdict["checks"] if c["code"] == "ipak")
    assert (ipak["value"], ipak["threshold"], ipak["missing"]) == ("13.13", "15.75", "2.63")
    assert next(c for c in verdict["checks"] if c["code"] == "capaian_kinerja")["passed"]

    gaps = (await client.get(f"{API}/assessments/{a['id']}/gaps")).json()
    refs = [i["ref"] for i in gaps["items"]]
    # Blockers first (HBA1A: IPAK and HB; HBB1A: HB), each by points gained at the maximum;
    # then the rest by gain: PRE2A 0.75, PPA2B 1/3, PPA1B 1/8.
    assert refs == ["HBA1A", "HBB1A", "PRE2A", "PPA2B", "PPA1B"]
    hba, hbb = gaps["items"][0], gaps["items"][1]
    assert hba["gain_max"] == "4.38" and hba["gain_max_exact"] == "35/8"
    assert set(hba["blocks"]) == {"ipak", "birokrasi_bersih"}
    # HBB1A: next option B (0.75) adds 0.25 x 5 = 1.25; A adds 2.50
    assert (hbb["next_option"], hbb["gain_next"], hbb["gain_max"]) == ("B", "1.25", "2.50")

    # What-if IPAK 4.00: total 1103/12 + 35/8 = 2311/24 = 96.29; HB = 20 >= 18.25 -> WBK.
    r = await client.post(
        f"{API}/assessments/{a['id']}/what-if",
        json={"answers": [{"ref": "HBA1A", "index": "4"}]}, headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["total_exact"], body["delta"]) == ("96.29", "2311/24", "4.38")
    assert body["verdict"]["passed"] is True and body["saved"] is False
    again = (await client.get(f"{API}/assessments/{a['id']}/score")).json()
    assert again["total"]["score_exact"] == "1103/12"  # nothing was stored


async def test_numeric_inputs(coord, world, db):
    client, csrf = coord
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    url = f"{API}/assessments/{a['id']}/answers/PRA1A"
    h = {"X-CSRF-Token": csrf}
    # PRA1 weighs 2.00 over 2 questions -> PRA1A counts 1.00.
    # 3 changes by 4 agents: 3/4 -> 0.75
    r = await client.put(url, json={"inputs": {"change_agents": 4, "changes_made": 3}}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["value"], r.json()["score"], r.json()["score_exact"]) == ("0.75", "0.75",
                                                                              "3/4")
    # 6 changes by 4 agents: 1.5, capped at 1 -> 1.00
    r = await client.put(url, json={"inputs": {"change_agents": 4, "changes_made": 6}}, headers=h)
    assert r.json()["score"] == "1.00"
    # no agents at all: the zero-denominator value of the framework, 0
    r = await client.put(url, json={"inputs": {"change_agents": 0, "changes_made": 0}}, headers=h)
    assert (r.json()["value"], r.json()["score"]) == ("0.00", "0.00")
    revisions_before = _count(db, LkeAnswerRevision)

    # LHKPN: 10 reported of 1 + 3 + 5 = 9 who must report -> refused, nothing stored
    r = await client.put(
        f"{API}/assessments/{a['id']}/answers/PRE3A",
        json={"inputs": {"must_head_of_unit": 1, "must_lhkpn_officials": 3, "must_others": 5,
                         "reported": 10}},
        headers=h,
    )
    assert r.status_code == 422
    assert any("PRE3A" in p for p in error_messages(r))
    r = await client.put(url, json={"inputs": {"change_agents": -1, "changes_made": 0}},
                         headers=h)
    assert r.status_code == 422
    assert "tidak boleh negatif" in " ".join(error_messages(r))
    r = await client.put(url, json={"inputs": {"change_agents": 4}}, headers=h)
    assert r.status_code == 422  # an input missing
    r = await client.put(f"{API}/assessments/{a['id']}/answers/HBA1A", json={"index": "4.5"},
                         headers=h)
    assert r.status_code == 422 and "antara" in r.text
    assert _count(db, LkeAnswer, LkeAnswer.question_ref == "PRE3A") == 0
    assert _count(db, LkeAnswer, LkeAnswer.question_ref == "HBA1A") == 0
    assert _count(db, LkeAnswerRevision) == revisions_before
    stored = db.exec(select(LkeAnswer).where(LkeAnswer.question_ref == "PRA1A")).one()
    assert stored.inputs == {"change_agents": "0", "changes_made": "0"}


async def test_unknown_ref_and_bad_option_store_nothing(coord, world, db):
    client, csrf = coord
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    h = {"X-CSRF-Token": csrf}
    r = await client.put(f"{API}/assessments/{a['id']}/answers/XXX9Z", json={"option": "A"},
                         headers=h)
    assert r.status_code == 422 and "XXX9Z" in r.text
    r = await client.put(f"{API}/assessments/{a['id']}/answers/PPA1B", json={"option": "E"},
                         headers=h)
    assert r.status_code == 422
    assert "Pilihan 'E' tidak tersedia untuk PPA1B" in r.text
    # many: one bad item refuses all, each bad item named
    r = await _put_many(client, csrf, a["id"], [
        {"ref": "PPA1A", "option": "Ya"},
        {"ref": "PPA1B", "option": "Maybe"},
        {"ref": "NOPE", "option": "A"},
    ])
    assert r.status_code == 422
    problems = error_messages(r)
    assert [p.split(":")[0] for p in problems] == ["PPA1B", "NOPE"]
    r = await client.put(f"{API}/assessments/{a['id']}/answers/PPA1B",
                         json={"option": "A", "extra": 1}, headers=h)
    assert r.status_code == 422
    assert _count(db, LkeAnswer) == 0
    assert _count(db, LkeAnswerRevision) == 0
    assert _count(db, AuditRecord, AuditRecord.entity == "lke_answer") == 0


async def test_revisions_and_audit(coord, world, db):
    client, csrf = coord
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    url = f"{API}/assessments/{a['id']}/answers/PPA1B"
    h = {"X-CSRF-Token": csrf}
    assert (await client.put(url, json={"option": "b"}, headers=h)).json()["option"] == "B"
    await client.put(url, json={"option": "A", "penjelasan": "Seleksi terbuka"}, headers=h)
    await client.put(url, json={"penjelasan": "Seleksi terbuka, SK 12/2024"}, headers=h)
    await client.put(url, json={"option": "A"}, headers=h)  # no change: no revision
    revs = (await client.get(f"{API}/assessments/{a['id']}/revisions?ref=PPA1B")).json()
    assert [r["revision"] for r in revs] == [3, 2, 1]
    assert revs[2]["old_value"] is None and revs[2]["new_value"]["option"] == "B"
    assert revs[1]["old_value"]["option"] == "B" and revs[1]["new_value"]["option"] == "A"
    assert revs[0]["old_penjelasan"] == "Seleksi terbuka"
    assert revs[0]["new_penjelasan"] == "Seleksi terbuka, SK 12/2024"
    assert {r["actor"] for r in revs} == {"coord_a1"}
    answer = (await client.get(url)).json()
    assert (answer["option"], answer["revision"], answer["source"]) == ("A", 3, "manual")
    records = db.exec(
        select(AuditRecord).where(AuditRecord.entity == "lke_answer")
        .order_by(AuditRecord.id)
    ).all()
    assert len(records) == 3
    assert all(r.entity_id == f"{a['id']}:PPA1B" for r in records)
    assert records[0].before is None and records[1].before["option"] == "B"


async def test_access_across_units(client, make_client, world, db, framework_row):
    csrf = await login(client, "coord_a1")
    a = await _create(client, csrf, world.unit("UNIT-A1"))
    aid = a["id"]

    async def as_user(username):
        c = make_client()
        return c, await login(c, username)

    member_b, csrf_b = await as_user("member_b1")
    assert (await member_b.get(f"{API}/assessments/{aid}")).status_code == 403
    assert (await member_b.get(f"{API}/assessments/{aid}/score")).status_code == 403
    r = await member_b.put(f"{API}/assessments/{aid}/answers/PPA1A", json={"option": "Ya"},
                           headers={"X-CSRF-Token": csrf_b})
    assert r.status_code == 403
    r = await member_b.get(f"{API}/units/{world.unit('UNIT-A1')}/assessments")
    assert r.status_code == 403
    r = await member_b.post(f"{API}/units/{world.unit('UNIT-A1')}/assessments",
                            json={"year": 2025, "target": "WBK"}, headers={"X-CSRF-Token": csrf_b})
    assert r.status_code == 403

    reviewer_b, _ = await as_user("reviewer_b")
    assert (await reviewer_b.get(f"{API}/assessments/{aid}")).status_code == 403
    assert (await reviewer_b.get(f"{API}/assessments/{aid}/revisions")).status_code == 403

    reviewer_a, csrf_ra = await as_user("reviewer_a")
    assert (await reviewer_a.get(f"{API}/assessments/{aid}")).status_code == 200
    assert (await reviewer_a.get(f"{API}/assessments/{aid}/gaps")).status_code == 200
    r = await reviewer_a.put(f"{API}/assessments/{aid}/answers/PPA1A", json={"option": "Ya"},
                             headers={"X-CSRF-Token": csrf_ra})
    assert r.status_code == 403  # reviewers read and review, they do not answer
    overview = (await reviewer_a.get(f"{API}/oversight/assessments")).json()
    assert {row["unit_code"] for row in overview} == {"UNIT-A1", "UNIT-A2"}
    assert next(r for r in overview if r["unit_code"] == "UNIT-A1")["assessment_id"] == aid

    viewer, csrf_v = await as_user("viewer_a1")
    assert (await viewer.get(f"{API}/assessments/{aid}")).status_code == 200
    r = await viewer.put(f"{API}/assessments/{aid}/answers/PPA1A", json={"option": "Ya"},
                         headers={"X-CSRF-Token": csrf_v})
    assert r.status_code == 403
    assert _count(db, LkeAnswer) == 0


async def test_token_scopes(client, world, db, framework_row):
    csrf = await login(client, "coord_a1")
    aid = (await _create(client, csrf, world.unit("UNIT-A1")))["id"]
    client.cookies.clear()
    read = {"Authorization": f"Bearer {issue_token(db, world, 'UNIT-A1', ['read'])}"}
    write = {"Authorization": "Bearer "
             + issue_token(db, world, "UNIT-A1", ["read", "write:indicators"])}
    other = {"Authorization": "Bearer "
             + issue_token(db, world, "UNIT-B1", ["read", "write:indicators"])}
    assert (await client.get(f"{API}/assessments/{aid}", headers=read)).status_code == 200
    assert (await client.get(f"{API}/frameworks", headers=read)).status_code == 200
    r = await client.put(f"{API}/assessments/{aid}/answers/PPA1A", json={"option": "Ya"},
                         headers=read)
    assert r.status_code == 403
    r = await client.put(f"{API}/assessments/{aid}/answers/PPA1A", json={"option": "Ya"},
                         headers=other)
    assert r.status_code == 403
    assert (await client.get(f"{API}/assessments/{aid}", headers=other)).status_code == 403
    r = await client.put(f"{API}/assessments/{aid}/answers/PPA1A", json={"option": "Ya"},
                         headers=write)
    assert r.status_code == 200
    assert r.json()["updated_by"].startswith("token")
    rev = db.exec(select(LkeAnswerRevision)).one()
    assert rev.actor_token_id is not None and rev.actor_user_id is None
    assert (await client.get(f"{API}/assessments/{aid}")).status_code == 401


async def test_create_rules_and_lock(coord, world, db):
    client, csrf = coord
    h = {"X-CSRF-Token": csrf}
    unit = world.unit("UNIT-A1")
    a = await _create(client, csrf, unit, year=2024, target="WBBM")  # allowed without a WBK
    r = await client.post(f"{API}/units/{unit}/assessments", json={"year": 2024,
                                                                 "target": "WBK"}, headers=h)
    assert r.status_code == 409
    r = await client.post(f"{API}/units/{unit}/assessments", json={"year": 2025,
                                                                 "target": "WBX"}, headers=h)
    assert r.status_code == 422
    verdict = (await client.get(f"{API}/assessments/{a['id']}/verdict")).json()
    assert verdict["target"] == "WBBM" and verdict["holds_wbk"] is False
    assert "Syarat belum terpenuhi" in " ".join(verdict["reasons"])

    row = db.get(Assessment, a["id"])
    row.status = "final"
    db.add(row)
    db.commit()
    r = await client.put(f"{API}/assessments/{a['id']}/answers/PPA1A", json={"option": "Ya"},
                         headers=h)
    assert r.status_code == 409 and "final" in problem(r)["detail"]
    row.status = "in_review"
    db.add(row)
    db.commit()
    r = await _put_many(client, csrf, a["id"], [{"ref": "PPA1A", "option": "Ya"}])
    assert r.status_code == 409 and "direviu" in problem(r)["detail"]
    assert _count(db, LkeAnswer) == 0


async def test_new_framework_version_leaves_existing_assessments(coord, world, db,
                                                                framework_row):
    client, csrf = coord
    old = await _create(client, csrf, world.unit("UNIT-A1"), year=2024)
    await _put_many(client, csrf, old["id"], [{"ref": "PPA2B", "option": "B"}])
    # A new version of the framework where PPA2B's option B is worth 0.6 instead of 0.5.
    content = dict(framework_row.content)
    content["version"] = 2
    content["components"] = _with_option_value(content["components"], "PPA2B", "B", "0.6")
    new_row, created = frameworks.store(db, actor=None, content=content)
    assert created and new_row.id != framework_row.id
    assert frameworks.latest(db).id == new_row.id
    listed = (await client.get(f"{API}/frameworks")).json()
    assert [f["version"] for f in listed] == [1, 2]

    old_now = (await client.get(f"{API}/assessments/{old['id']}")).json()
    assert old_now["framework"]["id"] == framework_row.id
    # old version: 1/3 x 0.5 = 1/6
    score = (await client.get(f"{API}/assessments/{old['id']}/score")).json()
    assert score["sub_indicators"]["PPA2"]["score_exact"] == "1/6"

    new = await _create(client, csrf, world.unit("UNIT-A1"), year=2025)
    assert new["framework"]["version"] == 2
    await _put_many(client, csrf, new["id"], [{"ref": "PPA2B", "option": "B"}])
    # new version: 1/3 x 0.6 = 1/5
    score = (await client.get(f"{API}/assessments/{new['id']}/score")).json()
    assert score["sub_indicators"]["PPA2"]["score_exact"] == "1/5"
    # syncing the bundled files again stores nothing new and changes no assessment
    assert frameworks.sync_bundled(db) == []
    assert db.get(Assessment, old["id"]).framework_id == framework_row.id


def _with_option_value(components, ref, code, value):
    import copy

    components = copy.deepcopy(components)
    for c in components:
        for p in c["parts"]:
            for a in p["areas"]:
                for s in a["sub_indicators"]:
                    for q in s["questions"]:
                        if q["ref"] == ref:
                            for o in q["options"]:
                                if o["code"] == code:
                                    o["value"] = value
    return components


async def test_framework_tree(coord, framework_row):
    client, _ = coord
    tree = (await client.get(f"{API}/frameworks/{framework_row.id}")).json()
    assert tree["questions"] == 113
    pp = tree["components"][0]["parts"][0]
    assert (pp["ref"], pp["weight"]) == ("PP", "30")
    q = pp["areas"][0]["sub_indicators"][1]["questions"][1]
    assert q["ref"] == "PPA2B" and q["weight_exact"] == "1/3"
    assert [o["value"] for o in q["options"]] == ["1", "0.5", "0"]
