"""QR codes (SVG/PNG) and the A4 poster: what they carry, who may get them."""

from __future__ import annotations

from app.services.surveys import catalogue as survey_catalogue
from app.services.surveys.qr import public_link, qr_png, qr_svg
from tests.factories import login

#: ZONA_BASE_URL of the test app (Settings' default): the codes carry it, never the Host
#: the request came with (http://testserver here).
BASE = "http://127.0.0.1:8000"


def url(unit_id, campaign_id, tail):
    return f"/units/{unit_id}/surveys/campaigns/{campaign_id}/{tail}"


async def test_coordinator_gets_svg_png_and_poster(client, db, world, make_campaign):
    campaign = make_campaign(title="SKM Semester I")
    unit = world.unit("UNIT-A1")
    survey_catalogue.create_source(db, actor=None, campaign_id=campaign.id, tag="loket-2",
                          label="Loket 2")
    await login(client, "coord_a1")
    code = campaign.public_code

    svg = await client.get(url(unit, campaign.id, "qr.svg"))
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    # the code carries exactly the short link (same segno output for the same text)
    assert svg.content == qr_svg(f"{BASE}/s/{code}", title=f"{BASE}/s/{code}")
    assert b"viewBox" in svg.content and b"<script" not in svg.content

    tagged = await client.get(url(unit, campaign.id, "qr.svg?src=loket-2"))
    link = public_link(BASE, code, "loket-2")
    assert link == f"http://127.0.0.1:8000/s/{code}?src=loket-2"
    assert tagged.content == qr_svg(link, title=link)
    assert f"qr-survei-{code}-loket-2.svg" in tagged.headers["content-disposition"]

    png = await client.get(url(unit, campaign.id, "qr.png?src=loket-2&scale=4"))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content == qr_png(link, scale=4)

    poster = await client.get(url(unit, campaign.id, "poster?src=loket-2"))
    assert poster.status_code == 200
    html = poster.text
    assert "KPPN A1" in html and "Bagaimana pelayanan kami hari ini?" in html
    assert f"127.0.0.1:8000/s/{code}?src=loket-2" in html
    assert "testserver" not in html
    assert f'src="/units/{unit}/surveys/campaigns/{campaign.id}/qr.svg?src=loket-2"' in html
    assert "Loket 2" in html


async def test_configured_base_url_is_what_the_code_carries(client, app, world, make_campaign,
                                                            monkeypatch):
    monkeypatch.setattr(app.state.settings, "base_url", "https://zona.kemenkeu.go.id")
    campaign = make_campaign()
    await login(client, "viewer_a1")  # unit.read is enough: the link is public anyway
    svg = await client.get(url(world.unit("UNIT-A1"), campaign.id, "qr.svg"))
    link = f"https://zona.kemenkeu.go.id/s/{campaign.public_code}"
    assert svg.status_code == 200 and svg.content == qr_svg(link, title=link)


async def test_a_forged_host_header_changes_no_link(client, world, make_campaign):
    """Whatever Host a request names (a proxy passing it on, or a forged one), the code, the
    PNG and the poster carry ZONA_BASE_URL (here its default, never set explicitly)."""
    campaign = make_campaign()
    await login(client, "coord_a1")
    link = f"{BASE}/s/{campaign.public_code}"
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example",
              "X-Forwarded-Proto": "http"}
    base = url(world.unit("UNIT-A1"), campaign.id, "")
    svg = await client.get(base + "qr.svg", headers=forged)
    assert svg.status_code == 200 and svg.content == qr_svg(link, title=link)
    png = await client.get(base + "qr.png?scale=3", headers=forged)
    assert png.content == qr_png(link, scale=3)
    poster = await client.get(base + "poster", headers=forged)
    assert poster.status_code == 200
    assert f"127.0.0.1:8000/s/{campaign.public_code}" in poster.text
    assert "evil.example" not in poster.text


async def test_bad_requests_and_other_units(client, world, make_campaign):
    a1, b1 = world.unit("UNIT-A1"), world.unit("UNIT-B1")
    mine = make_campaign()
    theirs = make_campaign("UNIT-B1")
    anonymous = await client.get(url(a1, mine.id, "qr.svg"))
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await login(client, "coord_a1")
    assert (await client.get(url(a1, mine.id, "qr.svg?src=nope"))).status_code == 404
    assert (await client.get(url(a1, mine.id, "qr.png?scale=0"))).status_code == 422
    assert (await client.get(url(a1, mine.id, "qr.png?scale=abc"))).status_code == 422
    # unit B's campaign: neither through B's address nor smuggled under A's
    assert (await client.get(url(b1, theirs.id, "qr.svg"))).status_code == 403
    assert (await client.get(url(b1, theirs.id, "poster"))).status_code == 403
    assert (await client.get(url(a1, theirs.id, "qr.svg"))).status_code in (403, 404)
    assert (await client.get(url(a1, theirs.id, "poster"))).status_code in (403, 404)
    assert (await client.get(url(a1, 999999, "qr.png"))).status_code == 404


async def test_a_read_token_can_fetch_the_codes(client, db, world, make_campaign):
    from tests.factories import issue_token

    campaign = make_campaign()
    token = issue_token(db, world, "UNIT-A1", ["read"])
    other = issue_token(db, world, "UNIT-B1", ["read"])
    path = url(world.unit("UNIT-A1"), campaign.id, "qr.png?scale=12")
    ok = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.content.startswith(b"\x89PNG")
    refused = await client.get(path, headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
