"""A real SMTP server in-process (aiosmtpd) for the season's e-mail tests."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email.message import Message

import pytest


@dataclass
class Inbox:
    """Every message the SMTP server accepted: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content
                                                       or envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.received if address in rcpt]

    def clear(self) -> None:
        self.received.clear()


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mail_settings(settings, smtp_server):
    """The test settings with e-mail on, through the in-process server (no STARTTLS)."""
    _inbox, port = smtp_server
    return settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
        "smtp_from": "Zona Uji <zona@uji.go.id>", "base_url": "https://zona.uji.go.id",
        "digest_hour": 7, "timezone": "Asia/Jakarta",
    })
