"""The typed LKE results keep the shape the API always had: keys a rendering leaves out stay
absent (they are optional in the schema, never sent as null), the comparison and oversight
lists carry hand-worked numbers, and the verdict names each threshold of PermenPANRB 90/2021.
"""

from __future__ import annotations

import pytest

from tests.factories import login

API = "/api/v1"


@pytest.fixture
async def coord(client, world, framework_row):
    csrf = await login(client, "coord_a1")
    return client, {"X-CSRF-Token": csrf}


async def _assessment(client, h, unit, year):
    r = await client.post(f"{API}/units/{unit}/assessments",
                          json={"year": year, "target": "WBK"}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_score_levels_and_question_values_only_where_they_belong(coord, world):
    client, h = coord
    aid = await _assessment(client, h, world.unit("UNIT-A1"), 2024)
    r = await client.put(f"{API}/assessments/{aid}/answers/PPA2A", json={"option": "Ya"},
                         headers=h)
    assert r.status_code == 200, r.text

    plain = (await client.get(f"{API}/assessments/{aid}/score")).json()
    assert "questions" not in plain  # not asked for: absent, as before
    assert "value" not in plain["sub_indicators"]["PPA2"]
    assert plain["total"]["parent_ref"] is None

    full = (await client.get(f"{API}/assessments/{aid}/score?questions=true")).json()
    # PPA2 weighs 1.00 over three questions: "Ya" on PPA2A is worth 1 x 1/3.
    ppa2a = full["questions"]["PPA2A"]
    assert (ppa2a["value"], ppa2a["value_exact"], ppa2a["score_exact"]) == ("1.00", "1/1",
                                                                            "1/3")
    assert ppa2a["parent_ref"] == "PPA2"
    # A question never answered has a value of null (the key is there, empty).
    assert full["questions"]["PPA2B"]["value"] is None
    assert len(full["questions"]) == 113

    # What-if PPA2B = A (1): 1/3 + 1/3 = 2/3 -> 0.67, a gain of 1/3 -> 0.33; nothing saved.
    what = await client.post(f"{API}/assessments/{aid}/what-if",
                             json={"answers": [{"ref": "PPA2B", "option": "A"}]}, headers=h)
    body = what.json()
    assert (body["total_before"], body["total"], body["total_exact"], body["delta"]) == (
        "0.33", "0.67", "2/3", "0.33")
    assert "questions" not in body["score"]
    assert body["score"]["sub_indicators"]["PPA2"]["percentage"] == "66.67"


async def test_verdict_lists_thresholds(coord, world):
    client, h = coord
    aid = await _assessment(client, h, world.unit("UNIT-A1"), 2024)
    verdict = (await client.get(f"{API}/assessments/{aid}/verdict")).json()
    checks = {c["code"]: c for c in verdict["checks"]}
    # PermenPANRB 90/2021: a WBK needs a total of at least 75 and Birokrasi Bersih (HB, 22.50
    # points) at least 18.25; an empty worksheet misses all of it.
    total = checks["total"]
    assert (total["value"], total["threshold"], total["missing"], total["passed"]) == (
        "0.00", "75.00", "75.00", False)
    hb = checks["birokrasi_bersih"]
    assert (hb["threshold"], hb["missing"]) == ("18.25", "18.25")
    assert verdict["passed"] is False and len(verdict["reasons"]) == sum(
        not c["passed"] for c in verdict["checks"])


async def test_compare_two_years_by_hand(coord, world):
    client, h = coord
    unit = world.unit("UNIT-A1")
    old = await _assessment(client, h, unit, 2023)
    new = await _assessment(client, h, unit, 2024)
    # 2024: PPA2A "Ya" (1/3 of PPA2) and PPA1A "Ya" (PPA1 weighs 0.50 over 2 -> 1/4).
    for ref in ("PPA2A", "PPA1A"):
        r = await client.put(f"{API}/assessments/{new}/answers/{ref}", json={"option": "Ya"},
                             headers=h)
        assert r.status_code == 200, r.text
    c = (await client.get(f"{API}/assessments/{old}/compare/{new}")).json()
    # 1/3 + 1/4 = 7/12 = 0.5833.. -> 0.58
    assert (c["base"]["year"], c["other"]["year"]) == (2023, 2024)
    assert (c["base"]["total"], c["other"]["total"], c["total_delta"]) == ("0.00", "0.58",
                                                                           "0.58")
    assert c["base"]["passed"] is False and c["other"]["passed"] is False
    ppa = next(a for a in c["areas"] if a["ref"] == "PPA")
    assert (ppa["base"], ppa["other"], ppa["delta"], ppa["part_ref"]) == ("0.00", "0.58",
                                                                          "0.58", "PP")
    pp = next(p for p in c["parts"] if p["ref"] == "PP")
    assert (pp["weight"], pp["delta"]) == ("30.00", "0.58")


async def test_framework_questions_carry_only_their_own_parts(coord, framework_row):
    client, _ = coord
    tree = (await client.get(f"{API}/frameworks/{framework_row.id}")).json()
    questions = {
        q["ref"]: q
        for c in tree["components"] for p in c["parts"] for a in p["areas"]
        for s in a["sub_indicators"] for q in s["questions"]
    }
    assert len(questions) == tree["questions"] == 113
    # An options question has no numeric inputs, rules or formula keys at all.
    assert not {"inputs", "rules", "formula"} & set(questions["PPA2B"])
    # PRE2A is computed from three counts: finished / (in process + finished).
    pre2a = questions["PRE2A"]
    assert [i["key"] for i in pre2a["inputs"]] == [
        "complaints_to_follow_up", "complaints_in_process", "complaints_finished"]
    assert "formula" in pre2a
    # The thresholds as the regulation sets them: WBK total >= 75, each Pemenuhan and Reform
    # area at >= 60 % of its weight, Birokrasi Bersih >= 18.25.
    wbk = {c["code"]: c for c in next(p for p in tree["predicates"]
                                      if p["code"] == "WBK")["checks"]}
    assert (wbk["total"]["kind"], wbk["total"]["minimum"]) == ("total_min", "75")
    assert (wbk["area"]["parts"], wbk["area"]["share"]) == (["PP", "PR"], "0.60")
    assert (wbk["birokrasi_bersih"]["ref"], wbk["birokrasi_bersih"]["minimum"]) == ("HB",
                                                                                  "18.25")
