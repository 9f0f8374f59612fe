"""Roll-ups: numbers worked by hand over the roll-up world (tests/rollup/conftest.py), who
may see them, the page, the API and the exports, and a query count that does not grow with
the number of units."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from fractions import Fraction

import openpyxl
import pytest
from sqlalchemy import event

from app.models.units import Unit
from app.services import rollup, units
from app.services.errors import Forbidden, Invalid
from app.services.lke import answers as lke_answers
from app.services.lke import assessments
from app.services.rollup.inputs import UnitFilter
from tests.factories import login, principal

API = "/api/v1"


def _read(db, world, who="tpi", office="ES1", **filters):
    return rollup.read(db, actor=principal(db, world, who), unit_id=world.unit(office),
                       filters=UnitFilter(**filters))


def test_eselon1_rollup_worked_by_hand(db, world, rollup_world):
    data = _read(db, world)
    assert (data.scope.year, data.scope.years, data.scope.work_units) == (2024, (2024, 2023), 3)
    assert {o.code for o in data.scope.regions} == {"KANWIL-A", "KANWIL-B"}
    # 2024: A1 and A2 in draft (self-assessment), B1 without an assessment.
    assert {s.step: s.units for s in data.steps} == {
        "not_started": 1, "self_assessment": 2, "regional_review": 0, "tpi_review": 0,
        "national_proposal": 0}
    newest, older = data.years
    # A1 scores 100 (every answer at its best), A2 0 (nothing answered): mean 50.
    assert (newest.year, newest.assessments, newest.mean) == (2024, 2, Fraction(50))
    assert dict(newest.bands) == {0: 1, 50: 0, 60: 0, 75: 0, 85: 1}
    assert [(t.target, t.passed, t.failed) for t in newest.targets] == [("WBK", 1, 1)]
    assert (older.year, older.assessments, older.mean) == (2023, 1, Fraction(0))

    # Furthest from the target first: A2 lacks 75 points to WBK's 75, A1 none, B1 no score.
    rows = data.units.items
    assert [r.code for r in rows] == ["UNIT-A2", "UNIT-A1", "UNIT-B1"]
    a2, a1, b1 = rows
    assert (a2.total, a2.passed, a2.missing, a2.region) == (0, False, 75, "Kanwil A")
    blockers = {b.code: b for b in a2.blocking}
    assert (blockers["total"].value, blockers["total"].threshold) == (0, 75)
    # WBK (reference/lke-zi-2021.json): pengungkit >= 40, IPAK (HBA) >= 15.75, ...
    assert blockers["pengungkit"].missing == 40
    assert blockers["ipak"].missing == Fraction(63, 4)
    assert (a1.total, a1.passed, a1.missing, a1.blocking) == (100, True, 0, ())
    assert (b1.total, b1.step, b1.assessment_id) == (None, "not_started", None)


def test_survey_indices_by_region_and_service_type(db, world, rollup_world):
    _scope, surveys = rollup.surveys(db, actor=principal(db, world, "tpi"),
                                     unit_id=world.unit("ES1"), year=None)
    assert surveys.index_names == ("IKM",)
    by_region = {row.label: row.cell("IKM") for row in surveys.by_region}
    # Kanwil A: two answers of 3 to each of the 9 elements: NRR 3, IKM 3 x 25 = 75.
    # Kanwil B: one 4 and one 1 per element: NRR 5/2, IKM 62.5.
    assert {k: (c.value, c.answers) for k, c in by_region.items()} == {
        "Kanwil A": (75, 18), "Kanwil B": (Fraction(125, 2), 18)}
    by_service = {row.key: row.cell("IKM") for row in surveys.by_service}
    # SP2D pooled over A1 and B1: (3 + 3 + 4) / 3 = 10/3 per element, IKM 250/3 = 83.33.
    assert by_service["SP2D"].value == Fraction(250, 3) and by_service["SP2D"].answers == 27
    assert by_service["KONS"].value == 25


def test_innovations_by_stage(db, world, rollup_world):
    stages = {s.stage: (s.wbk, s.wbbm) for s in _read(db, world).innovations}
    assert stages == {"inisiatif": (1, 0), "uji_coba": (0, 0), "penerapan": (0, 1),
                      "replikasi": (2, 0)}
    # A regional office sees only its own units.
    kanwil_b = _read(db, world, who="reviewer_b", office="KANWIL-B")
    assert {s.stage: s.total for s in kanwil_b.innovations}["replikasi"] == 1
    assert kanwil_b.scope.work_units == 1


@pytest.mark.parametrize(("filters", "codes"), [
    ({"region_id": "KANWIL-B"}, ["UNIT-B1"]),
    ({"step": "not_started"}, ["UNIT-B1"]),
    ({"step": "self_assessment"}, ["UNIT-A2", "UNIT-A1"]),
    ({"verdict": "passed"}, ["UNIT-A1"]),
    ({"verdict": "none"}, ["UNIT-B1"]),
    ({"q": "a2"}, ["UNIT-A2"]),
    ({"sort": "total", "descending": True}, ["UNIT-A1", "UNIT-A2", "UNIT-B1"]),
    ({"sort": "name"}, ["UNIT-A1", "UNIT-A2", "UNIT-B1"]),
    ({"year": 2023}, ["UNIT-B1", "UNIT-A1", "UNIT-A2"]),
])
def test_table_filters_and_sorts(db, world, rollup_world, filters, codes):
    if "region_id" in filters:
        filters["region_id"] = world.unit(filters["region_id"])
    assert [r.code for r in _read(db, world, **filters).units.items] == codes


def test_table_pages(db, world, rollup_world):
    page = _read(db, world, limit=2, offset=1).units
    assert (page.total, [r.code for r in page.items], page.next_offset) == (3, ["UNIT-A1", "UNIT-B1"], None)
    assert page.previous_offset == 0


def test_a_region_from_elsewhere_is_refused(db, world, rollup_world):
    with pytest.raises(Invalid):
        _read(db, world, who="reviewer_b", office="KANWIL-B", region_id=world.unit("KANWIL-A"))


@pytest.mark.parametrize("who", ["member_a1", "coord_a1", "viewer_a1", "reviewer_b"])
def test_who_may_not_see_the_rollup_of_kanwil_a(db, world, rollup_world, who):
    with pytest.raises(Forbidden):
        _read(db, world, who=who, office="KANWIL-A")


async def test_a_unit_member_cannot_see_its_parents_rollup(client, db, world, rollup_world):
    await login(client, "member_a1")
    kanwil = world.unit("KANWIL-A")
    for path in (f"/units/{kanwil}/rollup", f"/units/{kanwil}/rollup.csv",
                 f"/units/{kanwil}/rollup/surveys", f"{API}/units/{kanwil}/rollup/surveys",
                 f"{API}/units/{kanwil}/rollup", f"{API}/units/{kanwil}/rollup/units",
                 f"{API}/units/{kanwil}/rollup/units/export?format=xlsx"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "KPPN A2" not in response.text


async def test_rollup_page_and_htmx_table(client, db, world, rollup_world):
    await login(client, "reviewer_a")
    kanwil = world.unit("KANWIL-A")
    page = await client.get(f"/units/{kanwil}/rollup")
    assert page.status_code == 200
    text = page.text
    assert "Rekap unit" in text and "KPPN A1" in text and "KPPN A2" in text
    assert "KPPN B1" not in text  # another regional office's unit
    assert "75,00" in text and "100,00" in text  # A2 lacks 75,00; A1 scores 100,00
    table = await client.get(f"/units/{kanwil}/rollup?sort=name&verdict=passed",
                             headers={"HX-Request": "true", "HX-Target": "rollup-units"})
    assert table.status_code == 200
    assert "KPPN A1" in table.text and "KPPN A2" not in table.text
    assert "<html" not in table.text and "Indeks survei" not in table.text
    # The survey indices load on their own request (htmx), or as a page without JavaScript.
    surveys = await client.get(f"/units/{kanwil}/rollup/surveys",
                               headers={"HX-Request": "true"})
    assert "Kanwil A" in surveys.text and "75,00" in surveys.text and "<html" not in surveys.text
    assert "<html" in (await client.get(f"/units/{kanwil}/rollup/surveys")).text
    # Garbage in the query string is a readable refusal, never a 500.
    bad = await client.get(f"/units/{kanwil}/rollup?limit=abc&sort=zzz")
    assert bad.status_code == 422
    english = await client.get(f"/units/{kanwil}/rollup?lang=en")
    assert "Unit roll-up" in english.text


async def test_api_rollup_and_paged_units(client, db, world, rollup_world):
    await login(client, "tpi")
    es1 = world.unit("ES1")
    body = (await client.get(f"{API}/units/{es1}/rollup")).json()
    assert body["year"] == 2024 and body["work_units"] == 3
    assert {s["step"]: s["units"] for s in body["steps"]}["not_started"] == 1
    year = body["scores_by_year"][0]
    assert (year["mean_total"], year["mean_total_exact"]) == ("50.00", "50")
    surveys = (await client.get(f"{API}/units/{es1}/rollup/surveys")).json()
    assert surveys["year"] == 2024 and surveys["index_names"] == ["IKM"]
    service = {g["key"]: g["indices"][0] for g in surveys["by_service"]}
    assert service["SP2D"] == {"index": "IKM", "value": "83.33", "answers": 27}
    page = (await client.get(f"{API}/units/{es1}/rollup/units?limit=2")).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    first = page["items"][0]
    assert (first["code"], first["total"], first["missing"], first["passed"]) == (
        "UNIT-A2", "0.00", "75.00", False)
    assert first["blocking"][0] == {"code": "total", "label": "Nilai total", "value": "0.00",
                                    "threshold": "75.00", "missing": "75.00"}
    second = (await client.get(f"{API}/units/{es1}/rollup/units?limit=2&offset=2")).json()
    assert [i["code"] for i in second["items"]] == ["UNIT-B1"]
    refused = await client.get(f"{API}/units/{es1}/rollup/units?limit=500")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_exports(client, db, world, rollup_world):
    await login(client, "tpi")
    es1 = world.unit("ES1")
    response = await client.get(f"/units/{es1}/rollup.csv?verdict=failed")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["Kode unit", "Nama unit"]
    assert [line[0] for line in lines[1:]] == ["UNIT-A2"]
    assert lines[1][8] == "0.00" and lines[1][10] == "75.00"
    xlsx = await client.get(f"{API}/units/{es1}/rollup/units/export?format=xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "UNIT-A2", "UNIT-A1", "UNIT-B1"]
    assert (await client.get(f"/units/{es1}/rollup.pdf")).status_code == 404


def _grow(db, world, extra: int) -> None:
    """``extra`` more work units under KANWIL-B, each with a 2024 assessment."""
    for k in range(extra):
        unit = units.create(db, actor=None, code=f"UNIT-X{k}", name=f"KPPN X{k}", level="unit",
                            parent_id=world.unit("KANWIL-B"))
        a = assessments.create(db, actor=None, unit_id=unit.id, year=2024, target="WBK")
        lke_answers.answer_many(db, actor=None, assessment_id=a.id, changes=[
            lke_answers.AnswerChange("PPA1B", option="A")])


async def test_queries_per_rollup_do_not_grow_with_the_units(client, db, engine, world,
                                                             rollup_world):
    await login(client, "tpi")
    es1 = world.unit("ES1")
    paths = (f"/units/{es1}/rollup", f"{API}/units/{es1}/rollup",
             f"/units/{es1}/rollup/surveys", f"{API}/units/{es1}/rollup/surveys",
             f"{API}/units/{es1}/rollup/units", f"/units/{es1}/rollup.csv")
    seen = {"n": 0}

    def count(*_args):
        seen["n"] += 1

    async def queries() -> list[int]:
        out = []
        for path in paths:
            assert (await client.get(path)).status_code == 200  # warm caches
            seen["n"] = 0
            assert (await client.get(path)).status_code == 200
            out.append(seen["n"])
        return out

    event.listen(engine, "before_cursor_execute", count)
    try:
        small = await queries()
        _grow(db, world, 6)  # 3 -> 9 work units
        large = await queries()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large
    assert max(large) <= 20
    assert _read(db, world).scope.work_units == 9


def test_year_scores_read_the_exact_texts_in_sql(db, world, rollup_world):
    """The distribution is grouped in the database from the summaries' exact texts: an
    integer ("75", on the band's edge), a decimal ("74.95", just below it) and a ratio
    ("263/3") land in their exact bands and the mean is exact."""
    from sqlalchemy import update

    from app.models.lke.summary import AssessmentSummary

    texts = {"UNIT-A1": "75", "UNIT-A2": "74.95", "UNIT-B1": "263/3"}
    for code, text in texts.items():
        db.execute(update(AssessmentSummary)
                   .where(AssessmentSummary.unit_id == world.unit(code))
                   .values(self_total=text))
    db.commit()
    newest, older = _read(db, world).years
    # (75 + 74.95) / 2 = 149.95 / 2 = 74.975 = 2999/40
    assert (newest.assessments, newest.mean) == (2, Fraction(2999, 40))
    assert dict(newest.bands) == {0: 0, 50: 0, 60: 1, 75: 1, 85: 0}
    assert (older.assessments, older.mean) == (1, Fraction(263, 3))
    assert dict(older.bands)[85] == 1


def test_unfiltered_total_is_the_work_units_counted_with_filters(db, world, rollup_world):
    # Unfiltered, the table's total is the scope's count of work units (no count query);
    # it must equal what the filtered path counts: per step, A1 and A2 are at the
    # self-assessment, B1 has no 2024 assessment.
    def totals():
        unfiltered = _read(db, world).units.total
        per_step = {step: _read(db, world, step=step).units.total
                    for step in ("not_started", "self_assessment", "regional_review",
                                 "tpi_review", "national_proposal")}
        return unfiltered, per_step

    assert totals() == (3, {"not_started": 1, "self_assessment": 2, "regional_review": 0,
                            "tpi_review": 0, "national_proposal": 0})
    # A2's assessment soft-deleted: A2 is "not started", still one row. B1 soft-deleted:
    # it leaves the tree, and both counts.
    rollup_world["a2"].deleted_at = datetime.now(UTC)
    db.get(Unit, world.unit("UNIT-B1")).deleted_at = datetime.now(UTC)
    db.commit()
    assert totals() == (2, {"not_started": 1, "self_assessment": 1, "regional_review": 0,
                            "tpi_review": 0, "national_proposal": 0})
