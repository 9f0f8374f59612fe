"""A real OpenID provider for the SSO tests: tests/oidc/provider.mjs (oidc-provider, Node.js)
on a free loopback port, with its keys made here (so a test can also sign an ID token the
way the provider would, or the way it must not), its users and a driver for its pages."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "zona"
CLIENT_SECRET = "zona-test-client-secret"
PASSWORD = "apa-saja"  # the provider's development login accepts any password

# The people at the provider. org_code / groups are what the claim mapping reads.
USERS: dict[str, dict] = {
    "budi-001": {"name": "Budi Santoso", "preferred_username": "budi",
                 "email": "budi@kemenkeu.example", "org_code": "A1",
                 "groups": ["zona-koordinator-a1"]},
    "sari-002": {"name": "Sari Dewi", "preferred_username": "sari",
                 "email": "sari@kemenkeu.example", "org_code": "A1", "groups": []},
    "tono-003": {"name": "Tono Wibowo", "preferred_username": "tono",
                 "email": "tono@kemenkeu.example", "org_code": "X9", "groups": []},
    "dewi-004": {"name": "Dewi Lestari", "preferred_username": "dewi",
                 "email": "dewi@kemenkeu.example", "org_code": "A1", "groups": []},
    "rina-005": {"name": "Rina Kartika", "preferred_username": "rina.k",
                 "email": "rina@kemenkeu.example", "org_code": "A1", "groups": []},
    "kanwil-006": {"name": "Kanwil Person", "preferred_username": "kanwil.a",
                   "email": "kanwil@kemenkeu.example", "org_code": "KANWIL-A", "groups": []},
}

CLAIM_MAP = """\
rules:
  - claim: org_code
    value: A1
    unit: UNIT-A1
    role: member
  - claim: groups
    value: zona-koordinator-a1
    unit: UNIT-A1
    role: coordinator
  - claim: org_code
    value: B1
    unit: UNIT-B1
    role: member
  - claim: org_code        # an organisation code that is a Zona unit code: a viewer there
    unit: "{value}"
    role: viewer
"""


def node_ready() -> bool:
    installed = (OIDC_DIR / "node_modules" / "oidc-provider").is_dir()
    return shutil.which("node") is not None and installed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"},
                               private=True)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class OidcProvider:
    """The running provider: start, stop, rotate keys, change people, tamper a token."""

    def __init__(self, workdir: Path, redirect_hosts=("127.0.0.1", "testserver")):
        self.workdir = workdir
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.redirect_hosts = list(redirect_hosts)
        self.key = new_key("key-1")
        self.generation = 1
        self.process: subprocess.Popen | None = None

    def _config(self) -> dict:
        return {
            "port": self.port, "issuer": self.issuer,
            "jwks": {"keys": [self.key.as_dict(private=True)]},
            "clients": [{
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "redirect_uris": ["http://127.0.0.1/sso/callback"],
                "post_logout_redirect_uris": ["http://127.0.0.1/login"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }],
            "users": USERS,
            "redirect_hosts": self.redirect_hosts,
        }

    def start(self) -> None:
        config_path = self.workdir / f"provider-{self.generation}.json"
        config_path.write_text(json.dumps(self._config()))
        log = open(self.workdir / f"provider-{self.generation}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["node", str(OIDC_DIR / "provider.mjs")], cwd=OIDC_DIR,
            env={**os.environ, "OIDC_CONFIG": str(config_path), "NODE_ENV": "test"},
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / f"provider-{self.generation}.log").read_text())
            try:
                if httpx.get(self.issuer + "/.well-known/openid-configuration",
                             timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("oidc-provider did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def rotate_keys(self) -> None:
        """The provider starts again signing with a new key (the old one withdrawn)."""
        self.stop()
        self.generation += 1
        self.key = new_key(f"key-{self.generation}")
        self.start()

    def _admin(self, path: str, body: dict | None = None) -> None:
        response = httpx.post(self.issuer + "/__test/" + path, json=body or {}, timeout=5)
        assert response.status_code == 204, response.text

    def set_user(self, sub: str, claims: dict) -> None:
        self._admin(f"users/{sub}", claims)

    def disable(self, sub: str) -> None:
        self._admin(f"users/{sub}/disable")

    def reset_users(self) -> None:
        for sub, claims in USERS.items():
            self.set_user(sub, claims)

    def tamper(self, id_token: str) -> None:
        """The next token answer carries this ID token instead of the real one."""
        self._admin("tamper", {"id_token": id_token})

    def sign(self, claims: dict, *, key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    @staticmethod
    def unsigned(claims: dict) -> str:
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.I)


def sign_in_at_provider(authorize_url: str, sub: str, *, stop_at: str) -> str:
    """Go through the provider's login and consent pages as ``sub``; returns the address it
    sends the browser back to (the first redirect starting with ``stop_at``)."""
    with httpx.Client(timeout=10) as browser:
        url, method, data = authorize_url, "GET", None
        for _ in range(20):
            response = browser.request(method, url, data=data)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["location"])
                if url.startswith(stop_at):
                    return url
                method, data = "GET", None
                continue
            assert response.status_code == 200, (response.status_code, response.text[:500])
            html = response.text
            action = _FORM.search(html)
            assert action, html[:500]
            url = urljoin(url, unescape(action.group(1)))
            method = "POST"
            if 'name="login"' in html:
                data = {"prompt": "login", "login": sub, "password": PASSWORD}
            else:
                data = {"prompt": "consent"}
        raise AssertionError("the provider never sent the browser back")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
