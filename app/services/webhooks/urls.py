"""Which receiver URLs a subscription may use.

Only ``http`` and ``https``, with a host and without credentials in the URL. Targets in
private, loopback, link-local, multicast or otherwise reserved networks (the server's own
services, a cloud metadata address) are refused unless allowed (the setting
``ZONA_WEBHOOKS_ALLOW_PRIVATE`` or an administrator's flag on the subscription). The host
is checked when the subscription is saved (a literal address, ``localhost``, and what the
name resolves to when it resolves) and again before every attempt (what it resolves to then).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL = 2000

REFUSED_PRIVATE = (
    "Alamat penerima berada di jaringan privat, loopback atau lokal; hanya administrator "
    "yang dapat mengizinkannya."
)


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
        or not address.is_global
    )


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses a host name resolves to now (empty when it does not resolve)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found = []
    for info in infos:
        address = _literal(str(info[4][0]).split("%")[0])
        if address is not None:
            found.append(address)
    return found


def problems(url: str, *, allow_private: bool) -> list[str]:
    """What is wrong with a receiver URL (empty: allowed)."""
    url = (url or "").strip()
    if not url:
        return ["Alamat penerima (URL) wajib diisi."]
    if len(url) > MAX_URL:
        return [f"Alamat penerima terlalu panjang (maksimal {MAX_URL} karakter)."]
    if any(ch.isspace() for ch in url):
        return ["Alamat penerima tidak boleh berisi spasi."]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ["Alamat penerima bukan URL yang sah."]
    if parts.scheme.lower() not in ("http", "https"):
        return ["Alamat penerima harus diawali http:// atau https://."]
    host = (parts.hostname or "").lower()
    if not host:
        return ["Alamat penerima harus memuat nama host."]
    if parts.username is not None or parts.password is not None:
        return ["Alamat penerima tidak boleh memuat nama pengguna atau kata sandi."]
    if allow_private:
        return []
    if host == "localhost" or host.endswith(".localhost"):
        return [REFUSED_PRIVATE]
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    if any(_is_private(a) for a in resolve(host, port)):
        return [REFUSED_PRIVATE]
    return []


def target_refusal(url: str, *, allow_private: bool) -> str | None:
    """Before an attempt: why the URL may not be called now (None: go ahead)."""
    found = problems(url, allow_private=allow_private)
    return found[0] if found else None
