"""The smaller fixes of the usability pass, on the demo data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.models import Assessment, SurveyCampaign, SurveyResponse
from app.services.demo.base import DEMO_PASSWORD
from tests.factories import login


def _demo(db):
    from app.services import demo
    from app.services.lke import frameworks

    frameworks.sync_bundled(db)
    return demo.load(db)


async def test_small_things_on_the_demo(client, db):
    loaded = _demo(db)
    unit = loaded.unit_ids["KPPN-TJP"]
    years = {a.year: a for a in db.exec(select(Assessment).where(Assessment.unit_id == unit))}
    assert years[2018].status == "final" and years[2019].status == "draft"
    suspect = db.exec(select(SurveyResponse).where(SurveyResponse.suspect)).first()
    assert suspect.suspect_reasons == ["too_fast"]

    await login(client, "koordinator", DEMO_PASSWORD)
    dashboard = (await client.get(f"/units/{unit}")).text
    crumbs = dashboard.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    # the coordinator may open only their own unit: the names above it are not links
    assert "href=" not in crumbs and "Kanwil DJPb" in crumbs
    for above in ("KEMENKEU", "DJPB", "KANWIL-BABEL"):
        assert (await client.get(f"/units/{loaded.unit_ids[above]}")).status_code == 403

    listing = (await client.get(f"/units/{unit}/assessments")).text
    this_year = datetime.now(ZoneInfo("Asia/Jakarta")).year  # the demo unit's zone
    assert f'name="year" type="number" min="2010" max="2100" required value="{this_year}"' \
        in listing
    assert '<option value="WBBM" selected>' in listing  # it holds WBK since 2018

    last = db.exec(select(SurveyCampaign).where(SurveyCampaign.status == "closed")
                   .order_by(SurveyCampaign.id.desc())).first().id  # IKM, IPKP and IPAK
    page = (await client.get(f"/units/{unit}/surveys/campaigns/{last}")).text
    assert "skala 1-4" in page
    assert "skala 1-4 · skala 1-4" not in page

    english = (await client.get(f"/assessments/{years[2019].id}/gaps?lang=en")).text
    assert "Total LKE score" in english and "Nilai total LKE" not in english
    profile = (await client.get(f"/units/{unit}/surveys/campaigns/{last}?lang=en")).text
    assert ">Male<" in profile and ">Highest education<" in profile
    assert "Laki-laki" not in profile
