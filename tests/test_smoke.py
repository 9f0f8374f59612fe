from tests.factories import login


async def test_health(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migrations"] == "head"


async def test_login_and_dashboard(client, world):
    await login(client, "coord_a1")
    home = await client.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == f"/units/{world.unit('UNIT-A1')}"
    page = await client.get(home.headers["location"])
    assert page.status_code == 200
    assert "KPPN A1" in page.text
