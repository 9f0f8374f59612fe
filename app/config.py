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
