"""Which address sent a request, behind reverse proxies that are trusted and no others.

A reverse proxy appends the address it received a connection from to ``X-Forwarded-For``
(nginx: ``$proxy_add_x_forwarded_for``), so the header reads left to right from the client
towards us: ``client, proxy1, proxy2``. Everything left of the nearest proxy's own entry is
whatever the previous sender wrote, and a client can write anything. So the header is read
only when the TCP peer is a trusted proxy, and from the right: every entry a trusted proxy
owns is skipped, and the first one that is not trusted is the client. A client that sends
``X-Forwarded-For: 1.2.3.4`` itself only adds an entry left of its real address, which is
never reached.

Pure functions over strings: the ASGI middleware that applies them is ``app.edge``.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

#: The schemes a proxy may report in X-Forwarded-Proto.
SCHEMES = frozenset({"http", "https"})


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 172.16.0.0/12"`` as networks (a bare address is a /32 or /128).

    ValueError naming the entry for anything else, so a typo stops the start rather than
    silently trusting nobody (or everybody).
    """
    networks: list[Network] = []
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        if entry == "*":
            raise ValueError(
                "ZONA_TRUSTED_PROXIES: '*' would let any client choose its own address; "
                "list the proxies' addresses or networks (e.g. 10.0.0.0/8)."
            )
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"ZONA_TRUSTED_PROXIES: '{entry}' is not an IP address or network "
                "(e.g. 10.0.0.5 or 10.0.0.0/8)."
            ) from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """One hop as an address: ``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1``,
    ``[2001:db8::1]:5678``; an IPv4-mapped IPv6 address as its IPv4 one. None for anything
    else (``unknown``, a host name, garbage)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The configured proxies, parsed once; membership answers are cached per address
    (the same few proxy addresses ask on every request)."""

    def __init__(self, networks: tuple[Network, ...]):
        self.networks = networks
        self.contains = lru_cache(maxsize=4096)(self._contains)

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        return cls(parse_networks(text))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def _contains(self, host: str) -> bool:
        address = parse_address(host)
        return address is not None and any(address in network for network in self.networks)


def client_hop(peer: str, forwarded_for: str | None,
               trusted: TrustedProxies) -> tuple[str, int | None]:
    """The client's address, and its position in ``forwarded_for`` (None: the peer itself).

    - The peer is not a trusted proxy, or sent no header: the peer (headers ignored).
    - Otherwise walk the header's entries from the right: the first address that is not a
      trusted proxy is the client. An entry that is not an address stops the walk (only a
      trusted proxy wrote what lies to its right, nothing left of it can be believed): the
      client is then the nearest trusted hop already passed. Every entry trusted: the
      left-most one (the request started inside the proxies' own network).
    """
    if not forwarded_for or not trusted.contains(peer):
        return peer, None
    hops = forwarded_for.split(",")
    chosen, position = peer, None
    for index in range(len(hops) - 1, -1, -1):
        address = parse_address(hops[index])
        if address is None:
            break
        chosen, position = str(address), index
        if not trusted.contains(chosen):
            break
    return chosen, position


def forwarded_scheme(forwarded_proto: str | None, hops: int, position: int | None) -> str | None:
    """The scheme the client used, from a trusted proxy's ``X-Forwarded-Proto``: the entry
    beside the client's own when every proxy appended one (as many entries as
    X-Forwarded-For has), else the right-most (a proxy that sets the header replaces it).
    None when absent or not http/https."""
    if not forwarded_proto:
        return None
    values = forwarded_proto.split(",")
    if position is not None and len(values) == hops:
        value = values[position]
    else:
        value = values[-1]
    value = value.strip().lower()
    return value if value in SCHEMES else None
