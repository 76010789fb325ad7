"""Where a probe may connect: a target's addresses, checked after resolution and before any socket.

A vendor writes a check's target; the portal's server connects to it. Without a guard that is a
request forgery: a check aimed at 127.0.0.1, 169.254.169.254, the portal's own database or
Redis, or a name that resolves there, lets whoever writes checks probe what only the server can
reach. So every probe resolves its host once (``Pins``), checks every address against its
``TargetPolicy`` and connects to those addresses only (the HTTP session's resolver answers from
the pins and refuses any other name), never to a second lookup that a hostile DNS server could
answer differently.

Refused always: unspecified (0.0.0.0, ::), multicast, reserved and broadcast addresses, and host
names spelling an IPv4 address in the forms only ``inet_aton`` reads (2130706433, 0177.0.0.1,
0x7f.1, 127.1). Refused unless the policy's ``allow_internal`` (an administrator's explicit
allowance): loopback (with ``localhost`` names and IPv4-mapped IPv6 such as ::ffff:127.0.0.1),
link-local (169.254/16, fe80::/10) and the portal's own services. With ``networks`` set, every
address must lie inside one of them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STRICT", "Pins", "Refused", "TargetPolicy", "address_problem", "host_problem"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A label inet_aton reads as a number: decimal, octal (leading 0) or hex (0x).
_NUMERIC_LABEL = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


class Refused(Exception):
    """The target's address is not one this check may reach; raised before any connection."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """What one check may reach. ``services``: the portal's own (address, port) pairs, port None
    for every port of that address. ``networks`` None: any address not refused by kind."""

    allow_internal: bool = False
    networks: tuple[IPNetwork, ...] | None = None
    services: frozenset[tuple[IPAddress, int | None]] = field(default_factory=frozenset)


STRICT = TargetPolicy()


def _plain(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def host_problem(host: str, policy: TargetPolicy = STRICT) -> Refused | None:
    """What is wrong with a host name as written, before any lookup (None: resolve it)."""
    name = host.strip().rstrip(".").lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is None:
        labels = name.split(".")
        if name and all(_NUMERIC_LABEL.fullmatch(label) for label in labels):
            return Refused("The target spells an IP address in a non-standard form")
        if (name == "localhost" or name.endswith(".localhost")) and not policy.allow_internal:
            return Refused("The target is a loopback address")
        return None
    return address_problem(address, None, policy)


def address_problem(address: IPAddress | str, port: int | None, policy: TargetPolicy) -> Refused | None:
    """Why the policy refuses a connection to ``address``:``port`` (None: it may connect)."""
    address = _plain(ipaddress.ip_address(address) if isinstance(address, str) else address)
    # Loopback and link-local first: ::1 and fe80:: also sit in IPv6's reserved ranges.
    if address.is_loopback:
        internal = Refused("The target is a loopback address")
    elif address.is_link_local:
        internal = Refused("The target is a link-local address")
    elif address.is_unspecified or address.is_multicast or address.is_reserved:
        return Refused("The target is not an address a check may reach")
    elif (address, None) in policy.services or (port is not None and (address, port) in policy.services):
        internal = Refused("The target is one of the portal's own services")
    else:
        internal = None
    if internal is not None:
        return None if policy.allow_internal else internal
    if address.version == 4 and address == ipaddress.IPv4Address("255.255.255.255"):
        return Refused("The target is not an address a check may reach")
    if policy.networks is not None and not any(address in network for network in policy.networks):
        return Refused("The target is outside the networks allowed for this contract")
    return None


class Pins:
    """Each host's addresses, looked up once for a whole run: two checks of one host, or a
    request and its redirect, connect to the same addresses, whatever DNS says in between."""

    def __init__(self) -> None:
        self._addresses: dict[str, list[str]] = {}
        self._lookups: dict[str, asyncio.Future[list[str]]] = {}
        # The verdicts on a host and its pinned addresses, per policy and port: the addresses
        # never change once pinned, so each is judged once per run, not once per probe.
        self._allowed: set[tuple[str, TargetPolicy, int | None, bool]] = set()

    @staticmethod
    def _key(host: str) -> str:
        return host.strip().rstrip(".").lower().strip("[]")

    async def resolve(self, host: str, policy: TargetPolicy, port: int | None = None, *, ipv4_only=False):
        """The host's addresses, each allowed by ``policy`` (else Refused, before any connect)."""
        allowed = (host, policy, port, ipv4_only)
        if allowed in self._allowed:
            return self._addresses[self._key(host)]
        problem = host_problem(host, policy)
        if problem is not None:
            raise problem
        key = self._key(host)
        if key not in self._lookups:
            self._lookups[key] = asyncio.ensure_future(self._lookup(key))
        addresses = await asyncio.shield(self._lookups[key])
        if ipv4_only:
            addresses = [a for a in addresses if ":" not in a]
            if not addresses:
                raise OSError(f"{host} has no IPv4 address")
        for address in addresses:
            problem = address_problem(address, port, policy)
            if problem is not None:
                raise problem
        if not ipv4_only:  # (the IPv4-only subset is made again each time: cheap, and rare)
            self._allowed.add(allowed)
        return addresses

    async def _lookup(self, key: str) -> list[str]:
        try:
            literal = ipaddress.ip_address(key)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(key, None, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
        self._addresses[key] = addresses
        return addresses

    def pinned(self, host: str) -> list[str] | None:
        """The addresses a resolve() of ``host`` found, or None if it was never resolved."""
        return self._addresses.get(self._key(host))
