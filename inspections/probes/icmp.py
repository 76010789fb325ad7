"""ICMP echo ("ping") without running the system's ``ping``: a socket of our own, IPv4 only.

Linux lets an unprivileged process send echo requests through a datagram ICMP socket when its
group is in ``net.ipv4.ping_group_range``; otherwise only a raw socket (root, or CAP_NET_RAW)
can. ``open_socket`` tries the first, then the second, and says so when neither is allowed:
"ping where the system allows it".
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

__all__ = ["PingNotPermitted", "echo", "open_socket"]

_ECHO_REQUEST, _ECHO_REPLY = 8, 0


class PingNotPermitted(Exception):
    pass


def open_socket() -> tuple[socket.socket, bool]:
    """A non-blocking ICMP socket and whether it is raw (replies then carry the IP header)."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
        try:
            sock = socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP)
        except PermissionError:
            continue
        sock.setblocking(False)
        return sock, kind == socket.SOCK_RAW
    raise PingNotPermitted


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _request(ident: int, seq: int) -> bytes:
    payload = b"om-portal-probe"
    header = struct.pack("!BBHHH", _ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack("!BBHHH", _ECHO_REQUEST, 0, _checksum(header + payload), ident, seq) + payload


def _is_reply(packet: bytes, raw: bool, ident: int, seq: int) -> bool:
    if raw:
        packet = packet[(packet[0] & 0x0F) * 4 :]  # past the IP header
    if len(packet) < 8:
        return False
    kind, _code, _sum, reply_ident, reply_seq = struct.unpack("!BBHHH", packet[:8])
    # A datagram socket's kernel rewrites the identifier and filters replies to this socket.
    return kind == _ECHO_REPLY and reply_seq == seq and (not raw or reply_ident == ident)


async def echo(
    sock: socket.socket, raw: bool, address: str, ident: int, seq: int, wait: float
) -> float | None:
    """Send one echo request; the round trip in ms, or None with no reply within ``wait`` s."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    await loop.sock_sendto(sock, _request(ident, seq), (address, 0))
    try:
        async with asyncio.timeout(wait):
            while True:
                packet, (source, *_rest) = await loop.sock_recvfrom(sock, 2048)
                if source == address and _is_reply(packet, raw, ident, seq):
                    return round((time.perf_counter() - start) * 1000, 2)
    except TimeoutError:
        return None
