"""Which addresses count as internal, and the resolver that refuses a host when any of its addresses is one."""

from __future__ import annotations

import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.delivery.internal import InternalAddress, PublicOnlyResolver, first_internal, is_internal, refused_literal

INTERNAL = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "::1",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "fd00::1",
    "169.254.169.254",  # link-local: Azure's (and AWS's, GCP's) instance metadata service
    "fe80::1",
    "100.64.0.1",  # carrier-grade NAT, shared
    "0.0.0.0",  # unspecified: the machine itself
    "::",
    "::ffff:127.0.0.1",  # IPv4 inside IPv6
    "::ffff:169.254.169.254",
    "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of the same
    "224.0.0.1",  # multicast
    "255.255.255.255",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "20.50.2.1"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_internal(address: str) -> None:
    assert is_internal(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not(address: str) -> None:
    assert not is_internal(address)


def test_one_internal_address_among_public_ones_is_found() -> None:
    assert first_internal(["93.184.216.34", "10.0.0.7", "8.8.8.8"]) == "10.0.0.7"
    assert first_internal(["fe80::1%eth0"]) == "fe80::1%eth0"  # a scope does not hide link-local
    assert first_internal(PUBLIC) is None


def test_a_literal_host_is_refused_unless_allowed() -> None:
    refused = refused_literal("169.254.169.254")
    assert isinstance(refused, InternalAddress) and refused.address == "169.254.169.254"
    assert refused_literal("[::1]") is not None and refused_literal("[::ffff:7f00:1]") is not None
    assert refused_literal("127.0.0.1", frozenset({"127.0.0.1"})) is None
    assert refused_literal("93.184.216.34") is None and refused_literal("materialer.lead.dk") is None


class ListedDns(AbstractResolver):
    """A DNS with fixed answers: a name resolves to the addresses listed for it."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET6 if ":" in a else socket.AF_INET, proto=0, flags=0)
            for a in self.answers[host]
        ]

    async def close(self) -> None:
        return None


async def test_the_resolver_refuses_a_name_when_any_of_its_addresses_is_internal() -> None:
    dns = ListedDns({"cdn.lead.dk": ["93.184.216.34", "2606:4700:4700::1111"], "mixed.lead.dk": ["93.184.216.34", "10.0.0.7"]})
    resolver = PublicOnlyResolver(inner=dns)
    assert [r["host"] for r in await resolver.resolve("cdn.lead.dk", 443)] == ["93.184.216.34", "2606:4700:4700::1111"]
    with pytest.raises(InternalAddress) as refused:
        await resolver.resolve("mixed.lead.dk", 443)
    assert (refused.value.host, refused.value.address) == ("mixed.lead.dk", "10.0.0.7")
    allowed = PublicOnlyResolver(["Mixed.Lead.dk."], inner=dns)  # named hosts are exempt, however they are written
    assert len(await allowed.resolve("mixed.lead.dk", 443)) == 2
