"""The client address of a request, as the sign-in throttle counts it."""

from __future__ import annotations

import ipaddress

from fastapi import Request

from printreg.settings import Settings

UNKNOWN = "unknown"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(host: str, proxies: list[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def client_address(request: Request, settings: Settings) -> str:
    """Return the address of the client: the connection's peer, or, when that peer is one of
    ``trusted_proxies``, the right-most X-Forwarded-For entry that is not a trusted proxy.

    X-Forwarded-For from anyone else is ignored: a client could write any address in it and so
    escape its address's throttle. Returns "unknown" when the connection has no peer address.
    """
    host = request.client.host if request.client else UNKNOWN
    proxies = settings.proxy_networks()
    if not proxies or not _trusted(host, proxies):
        return host
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else host
