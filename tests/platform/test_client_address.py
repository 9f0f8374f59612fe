"""The pure rules of the request's edge: which X-Forwarded-For entry is the client, which
scheme a proxy reports, which Host names production answers. No database, no app."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from app.security.client_address import (
    TrustedProxies,
    client_hop,
    forwarded_scheme,
    parse_address,
    parse_networks,
)
from app.security.hosts import host_allowed, host_name, parse_hosts

PROXIES = TrustedProxies.parse("10.0.0.0/24, 192.0.2.10")


def test_networks_are_parsed_once_and_typos_stop_the_start():
    assert parse_networks("") == ()
    assert parse_networks(" 10.0.0.5 , 172.16.0.0/12,,2001:db8::/32") == (
        ip_network("10.0.0.5/32"), ip_network("172.16.0.0/12"), ip_network("2001:db8::/32"),
    )
    assert parse_networks("10.0.0.7/24") == (ip_network("10.0.0.0/24"),)  # host bits dropped
    with pytest.raises(ValueError, match="'nginx' is not an IP address"):
        parse_networks("10.0.0.5, nginx")
    with pytest.raises(ValueError, match="'\\*' would let any client"):
        parse_networks("*")
    assert not TrustedProxies.parse("")
    assert PROXIES


@pytest.mark.parametrize(("text", "expected"), [
    ("203.0.113.9", "203.0.113.9"),
    (" 203.0.113.9 ", "203.0.113.9"),
    ("203.0.113.9:51234", "203.0.113.9"),
    ("2001:db8::1", "2001:db8::1"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("::ffff:10.0.0.5", "10.0.0.5"),  # a dual-stack socket's view of an IPv4 peer
    ("unknown", None),
    ("proxy.example", None),
    ("", None),
    ("999.1.1.1", None),
])
def test_one_hop_as_an_address(text, expected):
    address = parse_address(text)
    assert (str(address) if address is not None else None) == expected


def test_membership_covers_networks_single_addresses_and_mapped_peers():
    assert PROXIES.contains("10.0.0.5") and PROXIES.contains("10.0.0.255")
    assert PROXIES.contains("192.0.2.10") and not PROXIES.contains("192.0.2.11")
    assert not PROXIES.contains("10.0.1.5")
    assert PROXIES.contains("::ffff:10.0.0.5")
    assert not PROXIES.contains("testclient") and not PROXIES.contains("")


def test_an_untrusted_peer_is_the_client_whatever_it_writes():
    assert client_hop("203.0.113.9", "1.2.3.4", PROXIES) == ("203.0.113.9", None)
    assert client_hop("203.0.113.9", "10.0.0.5, 1.2.3.4", PROXIES) == ("203.0.113.9", None)
    # A trusted peer without the header: the peer itself.
    assert client_hop("10.0.0.5", None, PROXIES) == ("10.0.0.5", None)
    assert client_hop("10.0.0.5", "", PROXIES) == ("10.0.0.5", None)


def test_behind_a_trusted_proxy_the_right_most_untrusted_entry_is_the_client():
    # nginx appended the address it saw: the client's own.
    assert client_hop("10.0.0.5", "198.51.100.7", PROXIES) == ("198.51.100.7", 0)
    # The client wrote a header itself: its entries sit left of the real one, never reached.
    assert client_hop("10.0.0.5", "6.6.6.6, 1.1.1.1, 198.51.100.7", PROXIES) == (
        "198.51.100.7", 2)
    # Two trusted proxies (a load balancer 192.0.2.10, then nginx 10.0.0.5): skip both.
    assert client_hop("10.0.0.5", "6.6.6.6, 198.51.100.7, 192.0.2.10", PROXIES) == (
        "198.51.100.7", 1)
    # Ports and IPv6 as some proxies write them.
    assert client_hop("10.0.0.5", "[2001:db8::7]:5000", PROXIES) == ("2001:db8::7", 0)
    assert client_hop("10.0.0.5", "198.51.100.7:40000", PROXIES) == ("198.51.100.7", 0)


def test_a_chain_of_trusted_proxies_only_gives_the_left_most():
    assert client_hop("10.0.0.5", "10.0.0.9, 192.0.2.10", PROXIES) == ("10.0.0.9", 0)


def test_an_entry_that_is_no_address_stops_the_walk_at_the_last_trusted_hop():
    # The proxy itself reported garbage: nothing left of it can be believed; the peer stays.
    assert client_hop("10.0.0.5", "198.51.100.7, unknown", PROXIES) == ("10.0.0.5", None)
    # A trusted hop reported garbage: that hop is the client we know.
    assert client_hop("10.0.0.5", "198.51.100.7, junk, 192.0.2.10", PROXIES) == (
        "192.0.2.10", 2)


def test_the_scheme_beside_the_client_or_the_nearest_proxys():
    assert forwarded_scheme("https", 1, 0) == "https"
    assert forwarded_scheme(" HTTPS ", 1, 0) == "https"
    # Every proxy appended one: the entry beside the client's address.
    assert forwarded_scheme("https, http", 2, 0) == "https"
    assert forwarded_scheme("http, https", 2, 1) == "https"
    # The nearest proxy replaced the header (fewer entries than hops): the right-most.
    assert forwarded_scheme("https", 3, 1) == "https"
    assert forwarded_scheme("http, https", 3, 1) == "https"
    assert forwarded_scheme(None, 1, 0) is None
    assert forwarded_scheme("", 1, 0) is None
    assert forwarded_scheme("ftp", 1, 0) is None
    assert forwarded_scheme("javascript", 1, None) is None


def test_trusted_hosts_derived_from_the_base_url_or_configured():
    assert parse_hosts("", "https://zona.example.go.id/") == (
        "zona.example.go.id", "localhost", "127.0.0.1", "::1")
    assert parse_hosts("", "http://127.0.0.1:8000") == ("127.0.0.1", "localhost", "::1")
    assert parse_hosts("Zona.Example.go.id, *.kemenkeu.go.id", "http://x") == (
        "zona.example.go.id", "*.kemenkeu.go.id")


@pytest.mark.parametrize(("header", "name"), [
    ("zona.example.go.id", "zona.example.go.id"),
    ("ZONA.example.go.id:443", "zona.example.go.id"),
    ("zona.example.go.id.", "zona.example.go.id"),
    ("[::1]:8000", "::1"),
    ("::1", "::1"),
    ("127.0.0.1:8000", "127.0.0.1"),
    ("", None),
    (None, None),
    ("[::1", None),
])
def test_the_name_in_a_host_header(header, name):
    assert host_name(header) == name


def test_which_hosts_are_answered():
    allowed = ("zona.example.go.id", "*.kemenkeu.go.id", "localhost")
    assert host_allowed("zona.example.go.id", allowed)
    assert host_allowed("zona.example.go.id:8443", allowed)
    assert host_allowed("localhost:8000", allowed)
    assert host_allowed("djpb.kemenkeu.go.id", allowed)
    assert not host_allowed("kemenkeu.go.id", allowed)  # *.x is below x, not x
    assert not host_allowed("evilkemenkeu.go.id", allowed)
    assert not host_allowed("zona.example.go.id.evil.example", allowed)
    assert not host_allowed("evil.example", allowed)
    assert not host_allowed(None, allowed)
    assert host_allowed("anything.example", ("*",))
