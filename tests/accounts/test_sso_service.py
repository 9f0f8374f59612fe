"""The SSO use cases without a page in front: only administrators see and handle access
requests; a provider that cannot be reached, or names another issuer, is refused."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.models.audit import AuditRecord
from app.models.sso import SsoAccessRequest, SsoLogin
from app.services.accounts import sso
from app.services.accounts.oidc import OidcClient, OidcError
from app.services.errors import Forbidden
from tests.factories import principal


def _request(db) -> SsoAccessRequest:
    row = SsoAccessRequest(issuer="https://sso.example", subject="s-1", name="Orang Baru",
                           claims={"org_code": "X9"})
    db.add(row)
    db.commit()
    return row


def test_only_administrators_see_and_handle_access_requests(db, world):
    row = _request(db)
    coordinator = principal(db, world, "coord_a1")
    audits = db.exec(select(func.count()).select_from(AuditRecord)).one()
    with pytest.raises(Forbidden):
        sso.access_requests(db, actor=coordinator)
    with pytest.raises(Forbidden):
        sso.resolve_access_request(db, actor=coordinator, request_id=row.id)
    db.expire_all()
    assert db.get(SsoAccessRequest, row.id).resolved_at is None
    assert db.exec(select(func.count()).select_from(AuditRecord)).one() == audits

    admin = principal(db, world, "admin")
    assert [r.subject for r in sso.access_requests(db, actor=admin)] == ["s-1"]
    sso.resolve_access_request(db, actor=admin, request_id=row.id)
    assert sso.access_requests(db, actor=admin) == []
    assert [r.subject for r in sso.access_requests(db, actor=admin, include_resolved=True)] \
        == ["s-1"]
    record = db.exec(select(AuditRecord).where(AuditRecord.entity == "sso_access_request")).one()
    assert record.actor_user_id == world.users["admin"] and record.after["resolved_by"] == \
        world.users["admin"]


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends


def test_a_provider_that_cannot_be_reached_is_refused_and_nothing_starts(db, tmp_path):
    client = OidcClient(issuer=f"http://127.0.0.1:{_closed_port()}", client_id="zona",
                        timeout_seconds=2)
    config = sso.Config(client=client, secret="s" * 40)
    with pytest.raises(sso.SsoRefused) as refused:
        sso.begin(db, config=config, redirect_uri="http://testserver/sso/callback")
    assert refused.value.reason == "unreachable" and refused.value.status_code == 502
    assert db.exec(select(SsoLogin)).all() == []
    record = db.exec(select(AuditRecord).where(AuditRecord.action == "sso.refused")).one()
    assert record.entity_id == "unreachable"


def test_discovery_naming_another_issuer_is_refused(oidc_provider):
    # The same server, configured with a trailing slash: its document names the issuer
    # without one, and issuers are compared exactly.
    client = OidcClient(issuer=oidc_provider.issuer + "/", client_id="zona")
    with pytest.raises(OidcError) as refused:
        client.metadata()
    assert refused.value.reason == "issuer"
    assert OidcClient(issuer=oidc_provider.issuer, client_id="zona").metadata()["issuer"] \
        == oidc_provider.issuer


def test_the_providers_tokens_are_sealed_at_rest():
    sealed = sso._seal("k" * 40, "refresh-token-value")
    assert sealed and "refresh-token-value" not in sealed
    assert sso._open("k" * 40, sealed) == "refresh-token-value"
    assert sso._open("another-key" * 4, sealed) is None  # another secret key opens nothing


def test_zona_check_reports_the_provider_and_the_claim_map(
    monkeypatch, database_url, settings, engine, oidc_provider, tmp_path
):
    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.config import get_settings
    from tests.support.oidc_provider import CLAIM_MAP

    claim_map = tmp_path / "claim-map.yaml"
    claim_map.write_text(CLAIM_MAP)
    for name, value in {
        "ZONA_DATABASE_URL": database_url, "ZONA_DATA_DIR": str(settings.data_dir),
        "ZONA_OIDC_ISSUER": oidc_provider.issuer, "ZONA_OIDC_CLIENT_ID": "zona",
        "ZONA_OIDC_CLAIM_MAP": str(claim_map),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert f"sso         : {oidc_provider.issuer} (discovery ok, 1 signing key(s), " \
            "end-session offered)" in result.output
        assert "claim map   : 4 rule(s)" in result.output

        claim_map.write_text("rules:\n  - {claim: org_code, unit: X, role: raja}\n")
        result = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
        assert result.exit_code == 1
        assert "Berkas pemetaan klaim SSO" in result.output
    finally:
        get_settings.cache_clear()
