"""Single sign-on: who a person signing in through the identity provider is in Zona.

The protocol is the adapter's (app/services/accounts/oidc.py); here are the use cases:

- ``begin``: a sign-in (or the link of a signed-in local account) under way: ``state``,
  ``nonce`` and the PKCE verifier kept server-side, found again by the state, used once;
- ``complete``: the provider's redirect back. The account is the one linked to issuer +
  ``sub`` (never found by e-mail); a first sign-in creates it just in time when the claims
  map to a unit and role; the mapping is applied again at every sign-in (memberships added
  and removed, each audited), so a transfer takes effect; claims that map to nothing leave
  an access request for the administrators and a page that says whom to ask;
- ``recheck``: after ``ZONA_OIDC_RECHECK_SECONDS`` the session's person is asked for again
  at the provider (refresh-token grant, else userinfo); refused there, the session ends;
- ``sign_out``: ends Zona's session and gives the provider's end-session address;
- the administrators' list of access requests.

Every refusal raises ``SsoRefused`` (an Indonesian title and message) after writing an
audit record; nobody is signed in by a refused answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from app.domain.accounts import claim_map as mapping
from app.models.accounts import BrowserSession, Membership, User
from app.models.base import utcnow
from app.models.sso import SsoAccessRequest, SsoIdentity, SsoLogin, SsoSession
from app.security.passwords import sha256_hex
from app.security.principal import Principal
from app.services import audit, units
from app.services.accounts import claim_map
from app.services.accounts import users as accounts
from app.services.accounts.oidc_error import OidcError
from app.services.errors import Invalid, NotFound

if TYPE_CHECKING:  # the adapter loads httpx and Authlib: imported where SSO is used
    from cryptography.fernet import Fernet

    from app.services.accounts.oidc import OidcClient

LOGIN_TTL = timedelta(minutes=10)
PRUNE_AFTER = timedelta(days=1)

# reason -> (title, message). Indonesian; the English catalogue translates.
REFUSALS: dict[str, tuple[str, str]] = {
    "state": ("Permintaan masuk tidak dikenali",
              "Jawaban penyedia identitas tidak cocok dengan permintaan masuk dari peramban "
              "ini, atau permintaan itu sudah kedaluwarsa. Mulai lagi dari halaman masuk."),
    "replay": ("Kode masuk sudah dipakai",
               "Kode masuk dari penyedia identitas ini sudah pernah dipakai dan tidak dapat "
               "dipakai lagi. Mulai lagi dari halaman masuk."),
    "issuer": ("Penyedia identitas tidak dikenal",
               "Jawaban ini berasal dari penyedia identitas yang tidak dikenal Zona."),
    "audience": ("Token untuk aplikasi lain",
                 "Token identitas ini diterbitkan untuk aplikasi lain, bukan untuk Zona."),
    "expired": ("Token identitas kedaluwarsa",
                "Token identitas sudah kedaluwarsa atau waktunya tidak sah. Periksa jam "
                "komputer lalu mulai lagi dari halaman masuk."),
    "unsigned": ("Token identitas tidak ditandatangani",
                 "Token identitas dari penyedia tidak ditandatangani, sehingga ditolak."),
    "signature": ("Tanda tangan token tidak sah",
                  "Tanda tangan token identitas tidak dapat diverifikasi dengan kunci "
                  "penyedia identitas."),
    "nonce": ("Token identitas tidak cocok",
              "Token identitas ini bukan untuk permintaan masuk ini."),
    "claims": ("Token identitas tidak lengkap",
               "Token identitas tidak memuat data yang diperlukan."),
    "denied": ("Masuk dibatalkan",
               "Penyedia identitas menolak atau membatalkan proses masuk."),
    "provider": ("Jawaban penyedia identitas tidak dapat dipakai",
                 "Penyedia identitas memberi jawaban yang tidak dapat dipakai. Coba lagi, "
                 "atau hubungi administrator."),
    "unreachable": ("Penyedia identitas tidak dapat dihubungi",
                    "Penyedia identitas tidak dapat dihubungi saat ini. Coba lagi beberapa "
                    "saat lagi."),
    "mapping": ("Pemetaan peran belum siap",
                "Pemetaan klaim SSO ke unit dan peran tidak dapat dibaca. Hubungi "
                "administrator Zona."),
    "unmapped": ("Minta akses ke koordinator Anda",
                 "Anda berhasil masuk di penyedia identitas, tetapi data Anda belum "
                 "terhubung ke unit dan peran mana pun di Zona. Permintaan akses Anda sudah "
                 "dicatat."),
    "inactive": ("Akun dinonaktifkan",
                 "Akun Zona Anda dinonaktifkan. Hubungi administrator."),
    "linked-elsewhere": ("Akun SSO sudah tertaut",
                         "Akun SSO ini sudah tertaut ke akun Zona lain."),
    "already-linked": ("Akun sudah tertaut",
                       "Akun Zona Anda sudah tertaut ke akun SSO lain di penyedia ini."),
    "not-configured": ("SSO tidak aktif",
                       "Masuk dengan SSO tidak dikonfigurasi di Zona ini."),
}


class SsoRefused(Exception):  # noqa: N818 - a refusal shown as a page, not a crash
    """A refused sign-in, already audited; the face shows ``title`` and ``message``."""

    def __init__(self, reason: str):
        self.reason = reason
        self.title, self.message = REFUSALS[reason]
        super().__init__(self.message)

    @property
    def status_code(self) -> int:
        if self.reason == "not-configured":
            return 404
        if self.reason in ("unmapped", "inactive", "linked-elsewhere", "already-linked"):
            return 403
        if self.reason == "unreachable":
            return 502
        return 400


@dataclass(frozen=True)
class Config:
    """What the use cases need from the settings and the app."""

    client: OidcClient
    secret: str
    claim_map_path: Path | None = None
    username_claim: str = "preferred_username"
    recheck_seconds: int = 300
    session_hours: int = 12
    # Break-glass administrators: their memberships are never changed by the mapping.
    protected_usernames: frozenset[str] = frozenset()


def config_from(settings, client: OidcClient | None, secret: str) -> Config | None:
    if client is None:
        return None
    return Config(
        client=client, secret=secret, claim_map_path=settings.oidc_claim_map,
        username_claim=settings.oidc_username_claim,
        recheck_seconds=settings.oidc_recheck_seconds, session_hours=settings.session_hours,
        protected_usernames=settings.oidc_local_admin_names(),
    )


# --- the provider's tokens, sealed with the secret key ------------------------------------

def _fernet(secret: str) -> Fernet:
    # cryptography (its own OpenSSL bindings, about 7 MB of a server's memory) is loaded
    # when a provider's token is sealed or opened, i.e. only where SSO is on.
    from cryptography.fernet import Fernet

    key = hashlib.sha256(b"zona-sso-tokens\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(secret: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return _fernet(secret).encrypt(value.encode()).decode("ascii")


def _open(secret: str, value: str | None) -> str | None:
    if not value:
        return None
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(secret).decrypt(value.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=utcnow().tzinfo)


def refuse(
    session: Session, reason: str, *, detail: str = "", issuer: str = "", subject: str = "",
    user_id: int | None = None,
) -> SsoRefused:
    """Write the refusal's audit record (committed) and return the exception to raise."""
    session.rollback()
    audit.record(
        session, actor=None, action="sso.refused", entity="sso", entity_id=reason,
        after={"reason": reason, "detail": detail[:500], "issuer": issuer,
               "subject": subject, "user_id": user_id},
    )
    session.commit()
    return SsoRefused(reason)


# --- begin ---------------------------------------------------------------------------------

def begin(
    session: Session, *, config: Config, redirect_uri: str, next_path: str = "/",
    link_user_id: int | None = None,
) -> tuple[str, str]:
    """Start a sign-in (or a link): returns (the provider's authorization URL, the state the
    browser must bring back)."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)  # 64 characters (PKCE: 43-128)
    try:
        url = config.client.authorization_url(
            redirect_uri=redirect_uri, state=state, nonce=nonce, code_verifier=verifier,
        )
    except OidcError as exc:
        raise refuse(session, exc.reason, detail=exc.detail, issuer=config.client.issuer) \
            from None
    session.exec(delete(SsoLogin).where(col(SsoLogin.created_at) < utcnow() - PRUNE_AFTER))
    session.add(SsoLogin(
        id=sha256_hex(state), nonce=nonce, code_verifier=verifier, next_path=next_path[:500],
        link_user_id=link_user_id,
    ))
    session.commit()
    return url, state


# --- complete --------------------------------------------------------------------------------

@dataclass
class Completed:
    user: User
    next_path: str
    raw_session_id: str | None = None  # a new browser session (None: an account was linked)
    linked: bool = False


def _take_login(session: Session, *, config: Config, state: str, browser_state: str | None
                ) -> SsoLogin:
    """The sign-in this answer belongs to, marked used (a second answer is a replay)."""
    issuer = config.client.issuer
    if not state or not browser_state or not hmac.compare_digest(
        state.encode("utf-8", "replace"), browser_state.encode("utf-8", "replace")
    ):
        raise refuse(session, "state", detail="state does not match this browser's",
                     issuer=issuer)
    login_id = sha256_hex(state)
    row = session.get(SsoLogin, login_id)
    if row is None:
        raise refuse(session, "state", detail="unknown state", issuer=issuer)
    if row.used_at is not None:
        raise refuse(session, "replay", detail="this sign-in was already answered",
                     issuer=issuer)
    if _aware(row.created_at) + LOGIN_TTL < utcnow():
        raise refuse(session, "state", detail="sign-in request expired", issuer=issuer)
    # Used once, whatever follows: two answers racing for it, only one wins.
    taken = session.execute(
        update(SsoLogin).where(col(SsoLogin.id) == login_id, col(SsoLogin.used_at).is_(None))
        .values(used_at=utcnow())
    ).rowcount
    session.commit()
    if taken != 1:
        raise refuse(session, "replay", detail="this sign-in was already answered",
                     issuer=issuer)
    return row


def complete(
    session: Session,
    *,
    config: Config,
    params: Mapping[str, str],
    browser_state: str | None,
    redirect_uri: str,
    current_user_id: int | None = None,
) -> Completed:
    """The provider's redirect back (``params``: the query string) -> a signed-in person,
    or an account linked; SsoRefused otherwise."""
    client = config.client
    login = _take_login(session, config=config, state=params.get("state", ""),
                        browser_state=browser_state)
    issuer_param = params.get("iss")
    if issuer_param is not None and issuer_param != client.issuer:
        raise refuse(session, "issuer", detail=f"iss parameter {issuer_param!r}",
                     issuer=client.issuer)
    if params.get("error"):
        raise refuse(session, "denied", detail=f"{params.get('error')}: "
                     f"{params.get('error_description', '')}", issuer=client.issuer)
    code = params.get("code", "")
    if not code:
        raise refuse(session, "provider", detail="no code", issuer=client.issuer)
    try:
        token = client.exchange_code(code=code, code_verifier=login.code_verifier,
                                     redirect_uri=redirect_uri)
        id_token = token.get("id_token")
        if not id_token:
            raise OidcError("claims", "the token answer has no id_token")
        claims = client.id_token_claims(id_token, nonce=login.nonce,
                                        access_token=token.get("access_token"))
        info = client.userinfo(access_token=token["access_token"]) \
            if token.get("access_token") else {}
        if "sub" in info and info["sub"] != claims["sub"]:
            raise OidcError("claims", "userinfo is about another subject")
    except OidcError as exc:
        raise refuse(session, exc.reason, detail=exc.detail, issuer=client.issuer) from None
    merged = {**info, **claims}
    subject = claims["sub"]
    identity = session.exec(
        select(SsoIdentity).where(SsoIdentity.issuer == client.issuer,
                                  SsoIdentity.subject == subject)
    ).first()

    if login.link_user_id is not None:
        return _link(session, config=config, login=login, identity=identity, subject=subject,
                     current_user_id=current_user_id)

    pairs = _mapped(session, config=config, claims=merged, subject=subject)
    if identity is None:
        if not pairs:
            _access_request(session, issuer=client.issuer, subject=subject, claims=merged,
                            config=config)
            raise _refused_after_commit(session, "unmapped", issuer=client.issuer,
                                        subject=subject)
        user = _create_user(session, config=config, claims=merged, subject=subject)
        identity = SsoIdentity(user_id=user.id, issuer=client.issuer, subject=subject,
                               created_by_sso=True)
        session.add(identity)
        session.flush()
        audit.record(session, actor=None, action="link", entity="sso_identity",
                     entity_id=identity.id, after=audit.snapshot(identity))
    else:
        user = session.get(User, identity.user_id)
        if user is None or not user.is_active:
            raise refuse(session, "inactive", detail="the linked account is inactive",
                         issuer=client.issuer, subject=subject, user_id=identity.user_id)
    if not _apply_mapping(session, config=config, user=user, pairs=pairs):
        _access_request(session, issuer=client.issuer, subject=subject, claims=merged,
                        config=config)
        # The memberships the provider no longer gives are gone (committed with the refusal).
        raise _refused_after_commit(session, "unmapped", issuer=client.issuer,
                                    subject=subject, user_id=user.id)
    identity.last_login_at = utcnow()
    session.add(identity)
    raw, browser = accounts.open_session(session, user=user, hours=config.session_hours,
                                         method="sso")
    session.flush()
    session.add(SsoSession(
        browser_session_id=browser.id, identity_id=identity.id,
        refresh_token=_seal(config.secret, token.get("refresh_token")),
        access_token=_seal(config.secret, token.get("access_token")),
        id_token=_seal(config.secret, id_token),
        checked_at=utcnow(),
    ))
    session.commit()
    return Completed(user=user, next_path=login.next_path, raw_session_id=raw)


def _refused_after_commit(session: Session, reason: str, **where) -> SsoRefused:
    """The refusal's record, committed with what the refusal keeps (the access request,
    the memberships the provider no longer gives removed)."""
    audit.record(
        session, actor=None, action="sso.refused", entity="sso", entity_id=reason,
        after={"reason": reason, "detail": "", "issuer": where.get("issuer", ""),
               "subject": where.get("subject", ""), "user_id": where.get("user_id")},
    )
    session.commit()
    return SsoRefused(reason)


def _link(session: Session, *, config: Config, login: SsoLogin, identity: SsoIdentity | None,
          subject: str, current_user_id: int | None) -> Completed:
    """A signed-in local account's owner proved the SSO account too: link them."""
    issuer = config.client.issuer
    if current_user_id != login.link_user_id:
        raise refuse(session, "state", detail="the account that asked to link is not signed in",
                     issuer=issuer, subject=subject, user_id=current_user_id)
    user = accounts.get_user(session, user_id=login.link_user_id)
    if identity is not None and identity.user_id != user.id:
        raise refuse(session, "linked-elsewhere", detail=f"linked to user {identity.user_id}",
                     issuer=issuer, subject=subject, user_id=user.id)
    if identity is None:
        other = session.exec(
            select(SsoIdentity).where(SsoIdentity.user_id == user.id,
                                      SsoIdentity.issuer == issuer)
        ).first()
        if other is not None:
            raise refuse(session, "already-linked", detail=f"already {other.subject}",
                         issuer=issuer, subject=subject, user_id=user.id)
        identity = SsoIdentity(user_id=user.id, issuer=issuer, subject=subject)
        session.add(identity)
        session.flush()
        audit.record(
            session, actor=Principal(kind="user", id=user.id, label=user.username),
            action="link", entity="sso_identity", entity_id=identity.id,
            after=audit.snapshot(identity),
        )
        session.commit()
    return Completed(user=user, next_path=login.next_path, linked=True)


# --- the claim mapping ---------------------------------------------------------------------

def _mapped(session: Session, *, config: Config, claims: Mapping[str, Any], subject: str
            ) -> list[tuple[int, str]]:
    """(unit id, role) the claims give; codes of units Zona does not have are skipped."""
    try:
        rules = claim_map.load(config.claim_map_path)
    except Invalid as exc:
        raise refuse(session, "mapping", detail=str(exc), issuer=config.client.issuer,
                     subject=subject) from None
    pairs = []
    for code, role in mapping.grants(rules, claims):
        unit = units.get_by_code(session, code=code)
        if unit is not None and (unit.id, role) not in pairs:
            pairs.append((unit.id, role))
    return pairs


def _apply_mapping(session: Session, *, config: Config, user: User,
                   pairs: list[tuple[int, str]]) -> bool:
    """Make the person's memberships those the claims give (added and removed, audited;
    uncommitted). False when the claims give none (their memberships are then removed).
    A break-glass administrator's memberships are left alone."""
    if user.username in config.protected_usernames:
        return True
    wanted = set(pairs)
    held = {(m.unit_id, m.role): m for m in accounts.memberships(session, user_id=user.id)}
    for key, membership in held.items():
        if key not in wanted:
            audit.record(
                session, actor=None, action="delete", entity="membership",
                entity_id=membership.id, unit_id=membership.unit_id,
                before={**audit.snapshot(membership), "source": "sso"},
            )
            session.delete(membership)
    session.flush()
    for unit_id, role in pairs:
        if (unit_id, role) in held:
            continue
        membership = Membership(user_id=user.id, unit_id=unit_id, role=role)
        session.add(membership)
        session.flush()
        audit.record(
            session, actor=None, action="create", entity="membership",
            entity_id=membership.id, unit_id=unit_id,
            after={**audit.snapshot(membership), "source": "sso"},
        )
    return bool(wanted)


USERNAME_CLEAN = re.compile(r"[^a-z0-9._-]+")


def _username_for(session: Session, *, config: Config, claims: Mapping[str, Any],
                  subject: str) -> str:
    raw = claims.get(config.username_claim) or claims.get("preferred_username") or ""
    if not raw and isinstance(claims.get("email"), str):
        raw = claims["email"].split("@", 1)[0]
    base = USERNAME_CLEAN.sub("-", str(raw).strip().lower()).strip("-.")[:70]
    if len(base) < 3:
        base = "sso-" + sha256_hex(subject)[:10]
    candidate, n = base, 1
    while accounts.get_by_username(session, username=candidate) is not None:
        n += 1
        candidate = f"{base}-{n}" if n < 50 else f"{base}-{sha256_hex(subject)[:8]}"
    return candidate


def _create_user(session: Session, *, config: Config, claims: Mapping[str, Any],
                 subject: str) -> User:
    """The account made just in time: no password (it signs in through the provider)."""
    username = _username_for(session, config=config, claims=claims, subject=subject)
    name = claims.get("name")
    email = claims.get("email")
    user = User(
        username=username,
        full_name=(name.strip()[:200] if isinstance(name, str) and name.strip() else username),
        email=email[:200] if isinstance(email, str) and email else None,
        password_hash="",  # no password: verify_password never accepts an empty hash
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=None, action="create", entity="user", entity_id=user.id,
                 after={**audit.snapshot(user), "source": "sso"})
    return user


def _access_request(session: Session, *, issuer: str, subject: str,
                    claims: Mapping[str, Any], config: Config) -> None:
    """Record (or renew) the request of a person nothing maps to (uncommitted)."""
    try:
        rules = claim_map.load(config.claim_map_path)
    except Invalid:
        rules = ()
    keep = {"sub", "name", "email", "preferred_username",
            *(rule.claim.split(".", 1)[0] for rule in rules)}
    kept = {k: v for k, v in claims.items() if k in keep}
    name = claims.get("name") or claims.get("preferred_username") or subject
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    row = session.exec(
        select(SsoAccessRequest).where(SsoAccessRequest.issuer == issuer,
                                       SsoAccessRequest.subject == subject)
    ).first()
    if row is None:
        row = SsoAccessRequest(issuer=issuer, subject=subject, name=str(name)[:200],
                               email=email and email[:200], claims=kept)
        session.add(row)
        session.flush()
        audit.record(session, actor=None, action="create", entity="sso_access_request",
                     entity_id=row.id, after=audit.snapshot(row))
        return
    before = audit.snapshot(row)
    row.attempts += 1
    row.last_at = utcnow()
    row.claims = kept
    row.name = str(name)[:200]
    row.email = email and email[:200]
    row.resolved_at = None
    row.resolved_by = None
    session.add(row)
    audit.record(session, actor=None, action="update", entity="sso_access_request",
                 entity_id=row.id, before=before, after=audit.snapshot(row))


# --- sessions: re-check and sign-out ---------------------------------------------------------

def recheck(session: Session, *, config: Config, raw_id: str, user: User) -> bool:
    """Ask the provider about a session's person again once the interval has passed.

    False: the session has ended (refused at the provider, or nothing maps any more). A
    session signed in with a password is not the provider's to check. When several requests
    of one session arrive together, one of them checks and the others go on.
    """
    session_id = sha256_hex(raw_id)
    row = session.get(SsoSession, session_id)
    if row is None:
        return True
    now = utcnow()
    checked = _aware(row.checked_at)
    if now - checked < timedelta(seconds=config.recheck_seconds):
        return True
    taken = session.execute(
        update(SsoSession).where(col(SsoSession.browser_session_id) == session_id,
                                 col(SsoSession.checked_at) == row.checked_at)
        .values(checked_at=now)
    ).rowcount
    session.commit()
    if taken != 1:
        return True
    identity = session.get(SsoIdentity, row.identity_id)
    client = config.client
    try:
        refresh_token = _open(config.secret, row.refresh_token)
        access_token = _open(config.secret, row.access_token)
        id_token = None
        if refresh_token:
            token = client.refresh(refresh_token=refresh_token)
            access_token = token.get("access_token") or access_token
            refresh_token = token.get("refresh_token") or refresh_token
            id_token = token.get("id_token")
            if id_token:
                client.id_token_claims(id_token, nonce=None, access_token=access_token)
        if not access_token:
            raise OidcError("denied", "no token to check the person with")
        info = client.userinfo(access_token=access_token)
        if info.get("sub") != identity.subject:
            raise OidcError("claims", "userinfo is about another subject")
    except OidcError as exc:
        _end(session, row=row, user=user, reason=exc.reason, detail=exc.detail)
        return False
    pairs = _mapped_quiet(session, config=config, claims=info)
    if pairs is not None and not _apply_mapping(session, config=config, user=user, pairs=pairs):
        _access_request(session, issuer=client.issuer, subject=identity.subject, claims=info,
                        config=config)
        _end(session, row=row, user=user, reason="unmapped", detail="at re-check")
        return False
    row.refresh_token = _seal(config.secret, refresh_token)
    row.access_token = _seal(config.secret, access_token)
    if id_token:
        row.id_token = _seal(config.secret, id_token)
    session.add(row)
    session.commit()
    return True


def _mapped_quiet(session: Session, *, config: Config, claims: Mapping[str, Any]
                  ) -> list[tuple[int, str]] | None:
    """As _mapped, but an unreadable mapping file changes nothing (None) at a re-check."""
    try:
        rules = claim_map.load(config.claim_map_path)
    except Invalid:
        return None
    pairs = []
    for code, role in mapping.grants(rules, claims):
        unit = units.get_by_code(session, code=code)
        if unit is not None and (unit.id, role) not in pairs:
            pairs.append((unit.id, role))
    return pairs


def _end(session: Session, *, row: SsoSession, user: User, reason: str, detail: str) -> None:
    browser = session.get(BrowserSession, row.browser_session_id)
    if browser is not None and browser.revoked_at is None:
        browser.revoked_at = utcnow()
        session.add(browser)
    row.refresh_token = row.access_token = None
    session.add(row)
    audit.record(
        session, actor=None, action="sso.recheck-refused", entity="user", entity_id=user.id,
        after={"reason": reason, "detail": detail[:500]},
    )
    session.commit()


def sign_out(session: Session, *, config: Config | None, raw_id: str,
             post_logout_redirect_uri: str) -> str | None:
    """End the Zona session; the provider's end-session address when it was an SSO session
    and the provider offers one."""
    url = None
    row = session.get(SsoSession, sha256_hex(raw_id)) if raw_id else None
    if row is not None and config is not None:
        url = config.client.end_session_url(
            id_token_hint=_open(config.secret, row.id_token),
            post_logout_redirect_uri=post_logout_redirect_uri,
        )
        row.refresh_token = row.access_token = None
        session.add(row)
        session.commit()
    accounts.end_session(session, raw_id=raw_id)
    return url


# --- what a person and the administrators see -----------------------------------------------

def identities(session: Session, *, actor: Principal) -> list[SsoIdentity]:
    """The SSO accounts linked to the actor's own account."""
    if actor.user_id is None:
        return []
    return list(session.exec(
        select(SsoIdentity).where(SsoIdentity.user_id == actor.user_id)
    ).all())


def access_requests(session: Session, *, actor: Principal | None,
                    include_resolved: bool = False) -> list[SsoAccessRequest]:
    """The people whose claims map to nothing, newest first (administrators only)."""
    units.authorise(actor, "users.manage", None)
    query = select(SsoAccessRequest)
    if not include_resolved:
        query = query.where(col(SsoAccessRequest.resolved_at).is_(None))
    return list(session.exec(query.order_by(col(SsoAccessRequest.last_at).desc())).all())


def resolve_access_request(session: Session, *, actor: Principal | None,
                           request_id: int) -> SsoAccessRequest:
    """Mark a request handled (it comes back if the person is refused again)."""
    units.authorise(actor, "users.manage", None)
    row = session.get(SsoAccessRequest, request_id)
    if row is None:
        raise NotFound(f"Permintaan akses {request_id} tidak ditemukan.")
    if row.resolved_at is None:
        before = audit.snapshot(row)
        row.resolved_at = utcnow()
        row.resolved_by = actor.user_id if actor else None
        session.add(row)
        audit.record(session, actor=actor, action="update", entity="sso_access_request",
                     entity_id=row.id, before=before, after=audit.snapshot(row))
        session.commit()
    return row
