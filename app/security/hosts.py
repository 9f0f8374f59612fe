"""Which ``Host`` headers a production server answers (pure functions over strings).

Zona builds no absolute link from the request (QR codes, posters and LKE links come from
ZONA_BASE_URL), but a server that answers any name invites cache poisoning and phishing
copies under a look-alike name. The list comes from ZONA_TRUSTED_HOSTS, or else the host of
ZONA_BASE_URL plus the loopback names the container's health check uses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Always answered when the list is derived: the health check inside the container.
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def parse_hosts(text: str, base_url: str) -> tuple[str, ...]:
    """The configured names (``zona.example.go.id``, ``*.example.go.id``, ``*``), lower case;
    when none are configured, the host of ``base_url`` and the loopback names."""
    names = tuple(
        name.strip().lower().rstrip(".") for name in text.split(",") if name.strip()
    )
    if names:
        return names
    host = (urlsplit(base_url).hostname or "").lower()
    return tuple(dict.fromkeys(name for name in (host, *LOOPBACK) if name))


def host_name(header: str | None) -> str | None:
    """The name in a Host header, without the port, lower case (``[::1]:8000`` -> ``::1``).
    None when there is no usable name."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, _rest = header[1:].partition("]")
        return (name or None) if bracket else None
    name = header.rpartition(":")[0] if header.count(":") == 1 else header
    name = name.rstrip(".")
    return name or None


def host_allowed(header: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a Host header names one of ``allowed`` (``*.x`` matches any name under x,
    not x itself; ``*`` matches anything)."""
    name = host_name(header)
    if name is None:
        return False
    for pattern in allowed:
        if pattern == "*" or pattern == name:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False
