"""The deployment files parse and agree with each other and with the settings: every app
replica of deploy/compose.national.yaml gets the same environment, which names only real
settings and holds every one the replicas must share; the proxy is the one trusted address;
Caddy sends to every replica (docs/deployment.md)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = ROOT / "deploy" / "compose.national.yaml"
#: What every replica must share (docs/deployment.md) and the national file must set.
SHARED = {"ZONA_ENVIRONMENT", "ZONA_SECRET_KEY", "ZONA_DATABASE_URL", "ZONA_BASE_URL",
          "ZONA_TRUSTED_PROXIES", "ZONA_STORAGE_URL", "ZONA_S3_ENDPOINT_URL",
          "ZONA_S3_ACCESS_KEY_ID", "ZONA_S3_SECRET_ACCESS_KEY", "ZONA_TIMEZONE",
          "ZONA_SMTP_HOST", "ZONA_OIDC_ISSUER", "ZONA_JOBS_WORKER", "ZONA_WEBHOOKS_WORKER"}


def national() -> dict:
    return yaml.safe_load(NATIONAL.read_text())


def apps(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items() if re.fullmatch(r"app\d+", name)}


def test_every_replica_gets_the_same_settings_and_only_real_ones():
    compose = national()
    replicas = apps(compose)
    assert len(replicas) >= 2
    environments = [r["environment"] for r in replicas.values()]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert SHARED <= set(env)
    fields = set(Settings.model_fields)
    assert {name.removeprefix("ZONA_").lower() for name in env} <= fields
    assert env["ZONA_ENVIRONMENT"] == "production"
    assert env["ZONA_STORAGE_URL"].startswith("s3://")
    # migrations run once, before the replicas serve
    assert compose["services"]["migrate"]["command"] == ["zona", "migrate"]
    assert compose["services"]["migrate"]["environment"] == env
    for replica in replicas.values():
        assert replica["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert "ports" not in replica  # only the proxy reaches them


def test_the_proxy_is_the_one_trusted_address_and_reaches_every_replica():
    compose = national()
    proxy = compose["services"]["proxy"]
    address = proxy["networks"]["zona"]["ipv4_address"]
    for replica in apps(compose).values():
        assert replica["environment"]["ZONA_TRUSTED_PROXIES"] == address
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile).group(1).split()
    assert sorted(upstreams) == sorted(f"{name}:8000" for name in apps(compose))
    assert "health_uri /readyz" in caddyfile and "Host {$ZONA_PUBLIC_NAME}" in caddyfile


def test_the_single_instance_compose_file_parses():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert {"db", "app"} <= set(compose["services"])
