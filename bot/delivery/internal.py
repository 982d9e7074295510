"""Internal addresses a server-side request must not reach, and an aiohttp resolver that refuses them.

Why. A link LEAD publishes is fetched by the server (the material link check). On Azure an
address like 169.254.169.254 (the instance metadata service, which hands out tokens), the
virtual network's private ranges or the server's own loopback would answer a request the
internet could not make: a server-side request forgery. So every address a host resolves to is
checked before a connection is made; the resolver is the connector's own, so the address checked
is the address connected to (no second lookup a rebinding DNS server could answer differently).
Hosts written as an IP address never reach a resolver: `refused_literal` covers them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class InternalAddress(Exception):
    """A host resolved to (or is) an address inside the network: the request was not made."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is an internal address ({address})")
        self.host = host
        self.address = address


def is_internal(address: str | IPAddress) -> bool:
    """Whether an address is not on the public internet: loopback, private, link-local (metadata), shared, reserved…"""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 reaches 127.0.0.1
            return is_internal(ip.ipv4_mapped)
        if ip.sixtofour is not None:  # 2002:7f00:1::… tunnels to the IPv4 address inside it
            return is_internal(ip.sixtofour)
        if ip in NAT64:  # 64:ff9b::7f00:1 is 127.0.0.1 through a NAT64 gateway
            return is_internal(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    # is_global is False for every special-purpose range (RFC 6890 and its IPv6 kin); multicast is never a web server
    return not ip.is_global or ip.is_multicast


def first_internal(addresses: Iterable[str]) -> str | None:
    """The first of these addresses that is internal, or None when all are public."""
    for address in addresses:
        # a scoped IPv6 address (fe80::1%eth0) is link-local whatever follows the %
        if is_internal(address.split("%", 1)[0]):
            return address
    return None


def _bare(host: str) -> str:
    return host.lower().rstrip(".").strip("[]")


def host_set(hosts: Iterable[str]) -> frozenset[str]:
    """Host names or addresses as the checks compare them (lower case, no trailing dot, no IPv6 brackets)."""
    return frozenset(_bare(h) for h in hosts if h.strip())


def _allowed(host: str, allowed: frozenset[str]) -> bool:
    return _bare(host) in allowed


def refused_literal(host: str, allowed: frozenset[str] = frozenset()) -> InternalAddress | None:
    """The refusal for a host written as an internal IP address (None: a name, or a public address, or allowed)."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return None  # a name: the resolver checks what it resolves to
    if is_internal(ip) and not _allowed(host, allowed):
        return InternalAddress(host, str(ip))
    return None


class PublicOnlyResolver(AbstractResolver):
    """The default resolver, refusing a host when any of its addresses is internal (unless the host is allowed)."""

    def __init__(self, allowed: Iterable[str] = (), inner: AbstractResolver | None = None) -> None:
        self.allowed = host_set(allowed)
        self._inner = inner or DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        """Resolve as usual; raise InternalAddress if any address is internal (one bad address is enough:
        which one a connection uses is not ours to choose)."""
        found = await self._inner.resolve(host, port, family)
        if not _allowed(host, self.allowed) and (bad := first_internal(r["host"] for r in found)) is not None:
            raise InternalAddress(host, bad)
        return found

    async def close(self) -> None:
        """Close the resolver underneath."""
        await self._inner.close()
