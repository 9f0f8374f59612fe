"""The action plan page shows the PPA2A / PPA3A suggestion computed from the plan."""

from app.services.programme import action_plan
from tests.factories import login


async def test_action_plan_page_suggests_ppa2a_and_ppa3a(client, db, world):
    unit = world.unit("UNIT-A1")
    for n, (status, progress) in enumerate([("selesai", 100), ("berjalan", 50)]):
        action_plan.create_action_item(db, actor=None, unit_id=unit, data={
            "area": "manajemen_perubahan", "activity": f"Kegiatan {n}",
            "due_on": "2019-01-31", "status": status, "progress": progress,
        })
    await login(client, "viewer_a1")
    page = await client.get(f"/units/{unit}/action-plan")
    assert page.status_code == 200
    card = page.text.split('id="plan-lke"')[1].split("</section>")[0]
    # Two live items; both due long ago, one done: 1 of 2 is half, not most -> C.
    assert "PPA2A" in card and ">Ya<" in card
    assert "PPA3A" in card and ">C<" in card and "1 dari 2" in card
