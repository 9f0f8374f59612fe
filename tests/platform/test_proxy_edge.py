"""Behind a reverse proxy: forwarded headers are believed from ZONA_TRUSTED_PROXIES only, the
right-most untrusted address is the client everywhere (sign-in throttle, the survey's fast
lane), and in production only the trusted Host names are answered."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from sqlmodel import select

from app.models.surveys.records import SurveyResponse
from app.services.surveys import guard as survey_guard
from tests.factories import PASSWORD, page_csrf
from tests.support.problems import problem
from tests.support.survey_forms import ikm_form, make_campaign, make_unit, open_form, submit

PROXY = "10.0.0.5"


def _extra_app(settings, **changes):
    from app.main import create_app

    return create_app(settings.model_copy(update=changes))


def _close(application) -> None:
    application.state.survey_intake.close()
    application.state.engine.dispose()


@pytest.fixture
def proxied_app(settings, engine):
    """The app as deployed behind nginx on 10.0.0.0/24 (same database as the test app)."""
    application = _extra_app(settings, trusted_proxies="10.0.0.0/24")
    yield application
    _close(application)


def client_for(application, peer: str, base_url: str = "http://testserver",
               **headers: str) -> httpx.AsyncClient:
    """A browser whose TCP connection comes from ``peer`` (a proxy, or a client directly),
    sending ``headers`` (X-Forwarded-For as a proxy appends it) with every request."""
    transport = httpx.ASGITransport(app=application, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base_url,
                             headers={k.replace("_", "-"): v for k, v in headers.items()})


async def _sign_in(client, password: str, **headers) -> httpx.Response:
    csrf = await page_csrf(client)
    return await client.post(
        "/login", data={"username": "coord_a1", "password": password, "csrf_token": csrf},
        headers=headers,
    )


async def test_untrusted_peer_cannot_rotate_its_way_past_the_throttle(client, world):
    """No proxy is trusted (the default): X-Forwarded-For is ignored, so five failures with
    five different forged addresses are five failures from 127.0.0.1."""
    for n in range(5):
        bad = await _sign_in(client, "wrong", **{"X-Forwarded-For": f"198.51.100.{n}"})
        assert bad.status_code == 401
    refused = await _sign_in(client, PASSWORD, **{"X-Forwarded-For": "198.51.100.99"})
    assert refused.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in refused.text
    assert "zona_session" not in client.cookies


async def test_a_peer_outside_the_trusted_proxies_is_not_believed(proxied_app, world):
    async with client_for(proxied_app, "203.0.113.50") as outsider:
        for n in range(5):
            bad = await _sign_in(outsider, "wrong", **{"X-Forwarded-For": f"198.51.100.{n}"})
            assert bad.status_code == 401
        assert (await _sign_in(outsider, PASSWORD)).status_code == 429


async def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_counted(
    proxied_app, world
):
    async with client_for(proxied_app, PROXY) as attacker, \
            client_for(proxied_app, PROXY) as colleague:
        # The attacker rotates the left part; nginx appends the real 198.51.100.7.
        for n in range(5):
            bad = await _sign_in(attacker, "wrong",
                                 **{"X-Forwarded-For": f"6.6.6.{n}, 198.51.100.7"})
            assert bad.status_code == 401
        refused = await _sign_in(attacker, PASSWORD,
                                 **{"X-Forwarded-For": "6.6.6.99, 198.51.100.7"})
        assert refused.status_code == 429
        # Someone else behind the same proxy, at another address: not refused (the account
        # is below its all-addresses limit), so the proxy's address was not what counted.
        ok = await _sign_in(colleague, PASSWORD, **{"X-Forwarded-For": "198.51.100.8"})
        assert ok.status_code == 303


async def test_forwarded_proto_from_a_trusted_proxy_makes_cookies_secure(proxied_app, world):
    async with client_for(proxied_app, PROXY) as behind_tls:
        response = await _sign_in(behind_tls, PASSWORD, **{
            "X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
        assert response.status_code == 303
        session_cookie = next(h for h in response.headers.get_list("set-cookie")
                              if h.startswith("zona_session="))
        assert "secure" in session_cookie.lower()
    async with client_for(proxied_app, "203.0.113.50") as outsider:
        response = await _sign_in(outsider, PASSWORD, **{"X-Forwarded-Proto": "https"})
        assert response.status_code == 303
        session_cookie = next(h for h in response.headers.get_list("set-cookie")
                              if h.startswith("zona_session="))
        assert "secure" not in session_cookie.lower()


async def test_the_survey_fast_lane_sees_the_same_client_address(proxied_app, db):
    """The public submit is served before the router; it must read the rewritten address."""
    campaign = make_campaign(db, make_unit(db))
    code = campaign.public_code
    secret = proxied_app.state.secret_key
    async with client_for(proxied_app, PROXY,
                          X_Forwarded_For="6.6.6.6, 198.51.100.7") as behind, \
            client_for(proxied_app, "203.0.113.50", X_Forwarded_For="198.51.100.7") as outsider:
        for browser in (behind, outsider):
            html = await open_form(browser, code)
            result = await submit(browser, proxied_app, code, html, ikm_form())
            assert result.status_code == 303
    db.expire_all()
    hashes = [r.ip_hash for r in db.exec(select(SurveyResponse).order_by(SurveyResponse.id))]
    assert hashes == [survey_guard.hash_ip(secret, "198.51.100.7"),
                      survey_guard.hash_ip(secret, "203.0.113.50")]


@pytest.fixture
def serve_options(monkeypatch) -> dict:
    """The keyword arguments `zona serve` hands to uvicorn.run."""
    import uvicorn
    from typer.testing import CliRunner

    from app.cli import app as cli

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return seen


def test_zona_serve_leaves_forwarded_headers_to_the_app(serve_options):
    """`zona serve` must not switch uvicorn's own proxy-header reading on (it believed any
    peer with forwarded_allow_ips="*")."""
    assert serve_options["proxy_headers"] is False
    assert "forwarded_allow_ips" not in serve_options


def test_over_a_real_socket_a_forged_header_is_ignored(app, world, serve_options):
    """uvicorn configured as `zona serve` configures it, a real TCP client on loopback
    sending X-Forwarded-For: the throttle still counts 127.0.0.1."""
    import uvicorn

    proxy_options = {name: serve_options[name] for name in ("proxy_headers", "forwarded_allow_ips")
                     if name in serve_options}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", **proxy_options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            codes = []
            for n in range(6):
                page = client.get("/login")
                csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                password = PASSWORD if n == 5 else "wrong"
                codes.append(client.post(
                    "/login", data={"username": "coord_a1", "password": password,
                                    "csrf_token": csrf},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code)
        assert codes == [401] * 5 + [429]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- trusted hosts (production) -------------------------------------------------------------

@pytest.fixture
def production_app(settings, engine):
    application = _extra_app(settings, environment="production",
                             base_url="https://zona.example.go.id")
    yield application
    _close(application)


async def test_production_refuses_an_unknown_host(production_app):
    async with client_for(production_app, "127.0.0.1", "https://zona.example.go.id") as c:
        assert (await c.get("/healthz")).status_code == 200
        assert (await c.get("/login")).status_code == 200
        # The container's own health check.
        assert (await c.get("/healthz", headers={"Host": "127.0.0.1:8000"})).status_code == 200
        assert (await c.get("/healthz", headers={"Host": "localhost:8000"})).status_code == 200
        page = await c.get("/login", headers={"Host": "evil.example"})
        assert page.status_code == 400
        assert "Alamat server (Host) tidak dikenal" in page.text
        assert "x-request-id" in page.headers  # still inside the request context
        api = await c.get("/api/v1/me", headers={"Host": "zona.example.go.id.evil.example"})
        assert api.status_code == 400
        assert "tidak dikenal" in problem(api)["detail"]
        assert "Unknown server address" in problem(api)["detail_en"]
        english = await c.get("/login?lang=en", headers={"Host": "evil.example"})
        assert english.status_code == 400
        assert "Unknown server address (Host)" in english.text


async def test_production_answers_the_configured_hosts(settings, engine):
    application = _extra_app(settings, environment="production",
                             base_url="https://zona.example.go.id",
                             trusted_hosts="zona.example.go.id, *.kemenkeu.go.id")
    try:
        async with client_for(application, "127.0.0.1") as c:
            for host, status in (("zona.example.go.id", 200), ("djpb.kemenkeu.go.id", 200),
                                 ("localhost", 400), ("evil.example", 400)):
                response = await c.get("/healthz", headers={"Host": host})
                assert response.status_code == status, host
    finally:
        _close(application)


async def test_development_answers_any_host(client):
    response = await client.get("/login", headers={"Host": "evil.example"})
    assert response.status_code == 200
