"""Forms speak in labels, never in stored codes, and list every problem at once: a refused
choice in a programme form names the choices as the select box shows them; creating an
assessment with a year that is not a number and an unknown target lists both."""

from __future__ import annotations

import html
import re

from sqlmodel import func, select

from app.models.lke.assessments import Assessment
from app.models.programme import ActionItem, TeamMember
from tests.factories import login


def _alert(page: str) -> str:
    """The page's error box, as text."""
    box = re.search(r'<div class="flash flash-error" role="alert">(.*?)</div>', page, re.S)
    assert box is not None, page[:500]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", box.group(1)).split()))


async def test_a_refused_area_lists_the_areas_by_their_labels(client, db, world):
    unit = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/units/{unit}/action-plan", data={
        "csrf_token": csrf, "area": "perubahan_budaya", "activity": "Susun rencana",
        "status": "belum_mulai", "progress": "0"})
    assert r.status_code == 422
    said = _alert(r.text)
    assert ("Area perubahan 'perubahan_budaya' tidak dikenal; pilih salah satu: Manajemen "
            "Perubahan, Penataan Tatalaksana, Penataan Sistem Manajemen SDM, Penguatan "
            "Akuntabilitas, Penguatan Pengawasan, Peningkatan Kualitas Pelayanan Publik.") in said
    assert "manajemen_perubahan" not in said and "_" not in said.split("tidak dikenal")[1]
    assert db.exec(select(func.count()).select_from(ActionItem)).one() == 0


async def test_a_refused_team_level_and_role_read_as_labels(client, db, world):
    unit = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/units/{unit}/team/members", data={
        "csrf_token": csrf, "name": "Ani", "level": "direktur", "roles": "ketua"})
    assert r.status_code == 422
    said = _alert(r.text)
    assert "Staf/pelaksana" in said and "Petugas kebersihan" in said
    assert "cleaning_service" not in said
    assert db.exec(select(func.count()).select_from(TeamMember)).one() == 0


async def test_creating_an_assessment_lists_every_problem_at_once(client, db, world):
    unit = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    r = await client.post(f"/units/{unit}/assessments",
                          data={"year": "dua ribu", "target": "ZZZ", "csrf_token": csrf})
    assert r.status_code == 422
    assert "Isian &#39;Tahun&#39; harus berupa bilangan bulat." in r.text  # its type
    assert "Target predikat harus WBK atau WBBM." in r.text  # the other field's content
    r = await client.post(f"/units/{unit}/assessments",
                          data={"year": "1990", "target": "ZZZ", "csrf_token": csrf})
    assert r.status_code == 422
    assert "Tahun penilaian harus antara" in r.text and "WBK atau WBBM" in r.text
    assert db.exec(select(func.count()).select_from(Assessment)).one() == 0
