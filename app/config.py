"""Settings from the environment (ZONA_*), with safe defaults for a single machine."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZONA_", env_file=None, extra="ignore")

    environment: str = Field("development", description="development | production")
    data_dir: Path = Path("./data")
    database_url: str = ""
    secret_key: str = ""
    upload_dir: Path | None = None
    # Where evidence files live (app/services/storage, docs/storage.md): empty, the local
    # upload folder above; "s3://bucket/prefix", an S3-compatible object store (AWS S3,
    # MinIO, Ceph RGW, SeaweedFS) reached with the s3_* settings below. Every replica of
    # one deployment must name the same store.
    storage_url: str = ""
    s3_endpoint_url: str = ""  # empty: AWS; e.g. http://seaweedfs:8333, https://minio.example
    s3_region: str = ""  # empty: boto3's default (us-east-1 for AWS)
    s3_access_key_id: str = ""  # empty: boto3's chain (AWS_* variables, an instance role)
    s3_secret_access_key: str = ""
    s3_addressing_style: str = "path"  # "path" (most self-hosted stores) | "virtual" | "auto"
    # Downloads as a redirect to a pre-signed URL (after Zona's permission check), valid
    # this many seconds; off: Zona streams the file itself. The public endpoint is where
    # browsers reach the store, when it differs from s3_endpoint_url.
    s3_presigned_downloads: bool = False
    s3_presign_seconds: int = 60
    s3_public_endpoint_url: str = ""
    s3_staging_dir: Path | None = None  # uploads on their way to S3 (default: system temp)
    timezone: str = "Asia/Jakarta"
    default_language: str = "id"
    max_upload_mb: int = 20
    max_xlsx_import_mb: int = 5
    max_json_kb: int = 1024
    session_hours: int = 12
    # Sign-in throttle (app/services/accounts/users.authenticate): failures per account from
    # one address, and per account from all addresses together, within the window.
    login_max_failures: int = 5
    login_account_max_failures: int = 20
    login_window_minutes: int = 15
    # The public address: every absolute link (QR codes, posters, LKE links) is built from it,
    # never from the request's Host header.
    base_url: str = "http://127.0.0.1:8000"
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated
    # IPs or CIDRs. Empty: none, the TCP peer is the client (app/security/client_address.py).
    trusted_proxies: str = ""
    # Host names answered in production (comma-separated, "*.example.go.id" allowed). Empty:
    # the host of base_url plus localhost (app/security/hosts.py).
    trusted_hosts: str = ""
    # Public survey form abuse guard (see app/domain/surveys/guard.py).
    survey_min_fill_seconds: int = 8
    survey_throttle_window_seconds: int = 600
    survey_throttle_flag_after: int = 30  # answers without a fresh single-use form token
    survey_throttle_refuse_after: int = 300
    # Per campaign and minute: held above max(floor, factor x the usual rate).
    survey_velocity_floor: int = 20
    survey_velocity_factor: int = 10
    # Webhooks (app/services/webhooks, docs/webhooks.md): the sender runs in the app's
    # process unless turned off (then run `zona webhooks run` beside it).
    webhooks_worker: bool = True
    # Receivers in private, loopback or link-local networks are refused unless allowed here
    # (or per subscription by an administrator).
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = 10.0
    # Seconds to wait after the 1st, 2nd, ... failed attempt; one attempt more than entries.
    webhooks_retry_schedule: str = "5,300,1800,7200,18000,36000"
    webhooks_poll_seconds: float = 2.0
    webhooks_overdue_scan_minutes: int = 60
    # The evaluation season (app/services/season, docs/season.md): e-mail through SMTP,
    # off while smtp_host is empty (the in-app inbox always works).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "Zona <zona@localhost>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 20.0
    # Seconds to wait after the 1st, 2nd, ... failed e-mail; one attempt more than entries.
    smtp_retry_schedule: str = "60,300,1800,7200"
    # Scheduled work (deadline and expiry checks, daily digests, sending e-mail) runs in an
    # app thread unless turned off (then cron `zona jobs run-once`); leased in the database,
    # so any number of replicas may run it and each period is done once.
    jobs_worker: bool = True
    jobs_poll_seconds: float = 60.0
    # The daily digest is built at or after this hour (ZONA_TIMEZONE), once a day.
    digest_hour: int = 7
    # Single sign-on with OpenID Connect (app/services/accounts/oidc.py and sso.py,
    # docs/sso.md). Off while oidc_issuer is empty. The issuer is discovered from
    # <issuer>/.well-known/openid-configuration; the redirect URI registered at the provider is
    # <base_url>/sso/callback and the post-logout one <base_url>/login.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = ""  # shown as "Masuk dengan SSO <name>" on the sign-in page
    oidc_scopes: str = "openid profile email"
    # The claim mapping (YAML: claim value -> unit code and role), read at every sign-in.
    oidc_claim_map: Path | None = None
    # The claim a new account's user name is made from (then "name" and "email" are read).
    oidc_username_claim: str = "preferred_username"
    # Passwords: off means only the user names in oidc_local_admins (comma-separated) may
    # still sign in with one (the break-glass administrators).
    oidc_local_login: bool = True
    oidc_local_admins: str = ""
    # A signed-in person is checked again at the provider (refresh-token grant, else userinfo)
    # once this many seconds have passed; a person disabled there loses the Zona session.
    oidc_recheck_seconds: int = 300
    oidc_clock_skew_seconds: int = 120  # tolerated for exp / iat / nbf of the ID token
    oidc_timeout_seconds: float = 10.0  # each call to the provider

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer.strip())

    def oidc_local_admin_names(self) -> frozenset[str]:
        return frozenset(
            name.strip().lower() for name in self.oidc_local_admins.split(",") if name.strip()
        )
    # Survey kiosks (docs/surveys-kiosk.md): answers given offline while the campaign was
    # open are still taken this many hours after it closed; a pairing link works this long;
    # the kiosk guard's minimum fill time and answers per minute one counter can serve.
    survey_kiosk_grace_hours: int = 72
    survey_kiosk_pairing_hours: int = 24
    survey_kiosk_min_fill_seconds: int = 8
    survey_kiosk_max_per_minute: int = 6
    # review branch: refuse an LKE submission while a question that expects evidence has none
    # of its expected items covered (off: the submission page only warns).
    require_evidence_on_submit: bool = False

    @property
    def is_production(self) -> bool:
        return self.environment.lower() == "production"

    def webhook_retry_delays(self) -> tuple[float, ...]:
        """The retry schedule as seconds (bad entries are a start-up error, not a guess)."""
        text = self.webhooks_retry_schedule.strip()
        return tuple(float(part) for part in text.split(",")) if text else ()

    def smtp_retry_delays(self) -> tuple[float, ...]:
        text = self.smtp_retry_schedule.strip()
        return tuple(float(part) for part in text.split(",")) if text else ()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zona.sqlite3').as_posix()}"

    def resolved_upload_dir(self) -> Path:
        return self.upload_dir or (self.data_dir / "uploads")

    def resolved_secret_key(self) -> str:
        """The configured key; in development one generated once into the data folder."""
        if self.secret_key:
            return self.secret_key
        if self.is_production:
            raise RuntimeError(
                "ZONA_SECRET_KEY must be set in production (a long random string shared by "
                "all replicas)."
            )
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
