"""In real Chromium, through the provider's own login and consent pages: sign in with SSO,
land in the unit, sign out at the provider too; the refusal pages as a person sees them."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.conftest import wipe

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_server(sso_app, engine, oidc_provider):
    """The SSO app served by uvicorn on a free loopback port (its base URL set to it)."""
    import uvicorn

    oidc_provider.reset_users()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(sso_app, host="127.0.0.1", port=port, log_level="warning",
                       lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    settings = sso_app.state.settings
    base_url = settings.base_url
    settings.base_url = f"http://127.0.0.1:{port}"
    yield settings.base_url
    settings.base_url = base_url
    server.should_exit = True
    thread.join(timeout=10)
    wipe(engine)


def _loopback_only(page) -> None:
    """Nothing leaves the machine (the provider's pages ask for a web font)."""
    page.route("**/*", lambda route: route.continue_()
               if route.request.url.startswith("http://127.0.0.1") else route.abort())


def _through_provider(page, sub: str) -> None:
    page.fill("input[name=login]", sub)
    page.fill("input[name=password]", "apa-saja")
    page.click("button[type=submit]")
    page.wait_for_selector("button:has-text('Continue')")
    page.click("button:has-text('Continue')")


def test_a_person_signs_in_with_sso_lands_in_the_unit_and_signs_out_at_the_provider(
    sso_server, browser, world, oidc_provider, screenshots
):
    for width, height in ((390, 844), (1280, 800)):
        page = browser.new_page(viewport={"width": width, "height": height})
        _loopback_only(page)
        page.goto(f"{sso_server}/login")
        assert page.get_by_role("link", name="Masuk dengan SSO Kemenkeu").is_visible()
        screenshots(page, f"sso-login-{width}")
        page.close()

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _loopback_only(page)
    page.goto(f"{sso_server}/units")
    assert "/login" in page.url
    page.get_by_role("link", name="Masuk dengan SSO Kemenkeu").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    _through_provider(page, "budi-001")
    page.wait_for_url(f"{sso_server}/units")
    page.goto(f"{sso_server}/units/{world.unit('UNIT-A1')}")
    assert page.locator("h1").inner_text() == "KPPN A1"
    assert page.locator(".whoami").inner_text() == "budi"
    screenshots(page, "sso-signed-in")

    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")  # the provider's own sign-out
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{sso_server}/login**")
    page.goto(f"{sso_server}/units/{world.unit('UNIT-A1')}")
    assert "/login" in page.url
    page.close()


def test_the_refusal_pages_as_a_person_sees_them(
    sso_server, browser, world, oidc_provider, screenshots
):
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _loopback_only(page)
        page.goto(f"{sso_server}/login")
        page.get_by_role("link", name="Masuk dengan SSO Kemenkeu").click()
        page.wait_for_url(f"{oidc_provider.issuer}/**")
        _through_provider(page, "tono-003")
        page.wait_for_url(f"{sso_server}/sso/callback**")
        assert page.locator("h1").inner_text() == "Minta akses ke koordinator Anda"
        assert page.get_by_role("link", name="Kembali ke halaman masuk").is_visible()
        screenshots(page, f"sso-ask-coordinator-{width}")

        page.goto(f"{sso_server}/sso/callback?state=palsu&code=palsu")
        assert page.locator("h1").inner_text() == "Permintaan masuk tidak dikenali"
        screenshots(page, f"sso-refused-state-{width}")
        context.close()


def test_the_access_requests_and_the_account_page_as_people_see_them(
    sso_server, browser, db, world, screenshots
):
    from app.models.sso import SsoAccessRequest
    from tests.factories import PASSWORD

    db.add(SsoAccessRequest(issuer="https://sso.kemenkeu.example", subject="tono-003",
                            name="Tono Wibowo", email="tono@kemenkeu.example", attempts=2,
                            claims={"org_code": "X9", "groups": ["pegawai", "tamu"]}))
    db.commit()
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _loopback_only(page)
        page.goto(f"{sso_server}/login")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Masuk", exact=True).click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{sso_server}/units")
        page.get_by_role("link", name="Permintaan akses SSO").click()
        page.wait_for_url(f"{sso_server}/admin/sso-requests")
        assert page.get_by_role("cell", name="tono@kemenkeu.example").is_visible()
        screenshots(page, f"sso-requests-{width}")
        page.goto(f"{sso_server}/account/sso")
        assert page.get_by_role("button", name="Tautkan akun SSO Kemenkeu").is_visible()
        screenshots(page, f"sso-account-{width}")
        context.close()
