"""Which proxies may tell a service who its caller is, and who the caller then is.

A service believes ``X-Forwarded-For`` only when the connection comes from a trusted proxy (the
gateway: ``TRUSTED_PROXIES``); anyone else could write whatever address they like into it. The
same list goes to uvicorn as ``--forwarded-allow-ips``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(value: str | Iterable[str] | None) -> list[str]:
    """``"10.0.0.0/8, ::1"`` (or a list) as a list of addresses and networks; invalid ones raise."""
    if value is None:
        return list(DEFAULT_TRUSTED_PROXIES)
    items = value.split(",") if isinstance(value, str) else value
    entries = [item.strip() for item in items if item.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return entries


def _networks(trusted: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in trusted]


def is_trusted(address: str, trusted: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def client_address(peer: str, forwarded_for: str, trusted: Sequence[str]) -> str:
    """The caller: ``peer`` itself, unless it is a trusted proxy; then the nearest address in its
    ``X-Forwarded-For`` (read from the right) that is not a trusted proxy too."""
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer
