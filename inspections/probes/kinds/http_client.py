"""A light HTTP/1.1 client for the common check: one GET, its answer read on an asyncio Protocol.

aiohttp's client spent most of an HTTP check's CPU (bench/peer.py, profiled: ~400 µs a probe of
which the session's request and response objects, streamed payload and connector took half): a
check reads one small answer. Here a check is one ``asyncio.Protocol`` that writes a fixed
request, parses the status line and headers once they have all arrived, and counts the body's
bytes (kept up to the engine's MAX_BODY_BYTES), framed by its length, chunked, or the end of the
connection. A connection is kept alive for the next check of the same host:port after a whole
answer (``_Kept``), as the session's pool did: on targets that share ports, connecting every
time would cost more CPU than the session (the loopback handshake is paid by the prober).

It keeps what the session gave: the guard (the host resolved through the run's pins and checked
against the check's policy before every request; the socket goes to those addresses only,
through the same happy-eyeballs call aiohttp makes), aiohttp's header limits (128 lines of at
most 8,190 bytes), the body bound, gzip and deflate answers decoded, redirects followed by hand
to the same origin only, one retry when a kept connection turns out closed, and aiohttp's own
exception types, so ``engine._Prober`` classifies a failure exactly as before (status, message
and reason). What it does not cover raises ``Unsupported`` before the answer is judged, and the
probe asks again through the session (``Prober.get``): a user name in the URL, a head the server
never finished, a 1xx status, a transfer coding other than plain ``chunked``, a length beside a
transfer coding, a header given twice that frames the body, a br or zstd body. No proxy is
lost: the session ignores the environment's proxies too.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import aiohappyeyeballs
import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from yarl import URL

from inspections.probes import engine as _engine  # (the engine imports the kinds: read at call time)
from inspections.probes.results import ms
from inspections.probes.tls import certificate_not_after

__all__ = ["Unsupported", "fetch", "get"]

# aiohttp's client limits (ClientSession's max_line_size, max_field_size, max_headers).
MAX_LINE = 8190
MAX_HEADERS = 128
MAX_HEAD = (MAX_HEADERS + 1) * (MAX_LINE + 2) + 2
_NO_BODY = frozenset({204, 304})
_DIGITS = frozenset(b"0123456789")


class Unsupported(Exception):
    """The answer (or the URL) needs what only the session does: ask again through it."""


class _NotHttp(aiohttp.ClientPayloadError):
    """A garbled or cut answer: the engine's "The answer is not valid HTTP"."""


@functools.cache
def _verified_context() -> ssl.SSLContext:
    """The context of checks that verify, made once, as aiohttp's ``ssl=True`` one (ALPN too)."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(("http/1.1",))
    return context


class _Exchange(asyncio.Protocol):
    """One request and its answer. ``done`` resolves once the body is read (or bounded), or fails
    with the exception the session would have raised."""

    def __init__(self, request: bytes, follow: bool, loop: asyncio.AbstractEventLoop) -> None:
        self.request, self.follow = request, follow
        self.bound = _engine.MAX_BODY_BYTES
        self.done: asyncio.Future[None] = loop.create_future()
        self.buffer = bytearray()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0  # body bytes read (after any chunked framing)
        self.left: int | None = None  # Content-Length bytes still to read
        self.chunked = False
        self.chunk_left = 0  # bytes of the current chunk still to read
        self.in_trailers = False
        self.head_done = False
        self.fresh = True  # the bytes being read came with the head
        self.head_failed = False  # ... and were garbled: no status handed over
        self.redirected = False  # a redirect to follow: its body is not read (nor the session's)
        self.keep = False  # HTTP/1.1 without "Connection: close": may serve the next check
        self.whole = False  # the body was read to its framed end, nothing after it
        self.transport: asyncio.Transport | None = None

    # --- the transport's calls ---

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.done.done():  # bytes nobody asked for (an idle kept-alive connection): not reused
            if self.transport is not None:
                self.transport.abort()
            return
        # The session's parser reads a head and the body bytes that came with it in one go: a
        # fault in those fails the whole exchange before the status is handed over.
        self.fresh = not self.head_done
        try:
            if self.fresh:
                self.buffer += data
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buffer) > MAX_HEAD:
                        raise _NotHttp("head too long")
                    if b"\n\n" in self.buffer:  # lines ended by bare LFs: the session's parser
                        raise Unsupported("bare line feeds")
                    return
                self._head(bytes(self.buffer[:end]))
                data = bytes(self.buffer[end + 4 :])
                self.buffer = bytearray()
                if self.done.done():
                    return
            if self.chunked:
                self._chunks(data)
            else:
                self._plain(data)
        except _NotHttp as error:
            self.head_failed = self.fresh
            self.done.set_exception(error)
        except Unsupported as error:
            self.done.set_exception(error)

    def eof_received(self) -> bool:
        self._end(None)
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self._end(exc)

    def _end(self, exc: BaseException | None) -> None:
        if self.done.done():
            return
        if not self.head_done:
            if self.buffer:  # part of a head: let the session's parser judge it
                self.done.set_exception(Unsupported("the head ends early"))
            elif isinstance(exc, OSError):
                self.done.set_exception(aiohttp.ClientOSError(*exc.args))
            else:
                self.done.set_exception(aiohttp.ServerDisconnectedError())
        elif self.left is None and not self.chunked and exc is None:
            self.done.set_result(None)  # a body that ends with the connection
        else:
            self.done.set_exception(_NotHttp("Response payload is not completed"))

    # --- the answer ---

    def _head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        if len(lines) > MAX_HEADERS + 1 or any(len(line) > MAX_LINE for line in lines):
            raise _NotHttp("head too large")
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if (
            version not in (b"HTTP/1.1", b"HTTP/1.0")
            or len(code) != 3
            or not _DIGITS.issuperset(code)
            or rest[3:4] not in (b"", b" ")
        ):
            raise _NotHttp("not a status line")
        self.status = int(code)
        if self.status < 200:
            raise Unsupported("an interim answer")
        headers = self.headers
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
                raise _NotHttp("not a header line")
            key = name.decode("latin-1").lower()
            text = value.strip().decode("latin-1")
            if key in headers:
                if key == "content-length" and headers[key] != text:
                    raise _NotHttp("two lengths")
                if key in ("transfer-encoding", "content-encoding", "content-length"):
                    raise Unsupported(f"{key} given twice")
            headers.setdefault(key, text)  # the first, as the session's headers.get() reads
        length = headers.get("content-length")
        if length is not None and not (length.isascii() and length.isdigit()):
            raise _NotHttp("a length that is not a number")
        self.head_done = True
        self.keep = version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
        if self.follow and self.status in _engine.REDIRECTS and headers.get("location"):
            self.redirected = True
            self.done.set_result(None)
            return
        encoding = headers.get("transfer-encoding")
        if encoding is not None:
            if encoding.lower() != "chunked" or length is not None:
                raise Unsupported("a transfer coding")
            self.chunked = True
        elif length is not None:
            self.left = int(length)
        if self.status in _NO_BODY:
            self.chunked, self.left = False, 0
        if self.left == 0:
            self.whole = True
            self.done.set_result(None)

    def _keep(self, data: bytes) -> None:
        if self.size < self.bound:
            self.body.append(data[: self.bound - self.size])
        self.size += len(data)

    def _plain(self, data: bytes) -> None:
        if self.left is not None:
            if len(data) >= self.left:
                if len(data) > self.left and self.fresh:
                    # Read with the head, the session takes them for a garbled next answer.
                    raise _NotHttp("bytes past the length")
                self.whole = len(data) == self.left
                data = data[: self.left]
                self._keep(data)
                self.left = 0
                self.done.set_result(None)
                return
            self.left -= len(data)
        self._keep(data)
        # The session stops reading an answer of unknown or larger length at the bound.
        if self.size >= self.bound and (self.left is None or self.left + self.size > self.bound):
            self.done.set_result(None)

    def _chunks(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while True:
            if self.chunk_left:
                take = bytes(buffer[: self.chunk_left])
                del buffer[: len(take)]
                self.chunk_left -= len(take)
                self._keep(take)
                if self.size >= self.bound:
                    self.done.set_result(None)
                    return
                if self.chunk_left:
                    return
                self.chunk_left = -1  # the CRLF after a chunk's data
            end = buffer.find(b"\r\n")
            if end < 0:
                if len(buffer) > MAX_LINE:
                    raise _NotHttp("chunk line too long")
                return
            line = bytes(buffer[:end])
            del buffer[: end + 2]
            if self.chunk_left == -1:
                if line:
                    raise _NotHttp("no CRLF after a chunk")
                self.chunk_left = 0
            elif self.in_trailers:
                if not line:
                    self.whole = not buffer
                    self.done.set_result(None)
                    return
            else:
                size = line.split(b";", 1)[0].strip()
                try:
                    self.chunk_left = int(size, 16)
                except ValueError:
                    raise _NotHttp("not a chunk size") from None
                if self.chunk_left < 0 or not size:
                    raise _NotHttp("not a chunk size")
                if not self.chunk_left:
                    self.in_trailers = True

    def charset(self) -> str | None:
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip('"') or None
        return None

    def content(self) -> bytes:
        """The body as the session hands it over: decoded when gzip or deflate, bounded."""
        body = b"".join(self.body)
        coding = self.headers.get("content-encoding", "").strip().lower()
        if coding in ("br", "zstd"):
            raise Unsupported(f"content coding {coding!r}")
        if coding not in ("gzip", "deflate") or not body:  # the session passes others as they are
            return body
        if coding == "gzip":
            wbits = 16 + zlib.MAX_WBITS
        else:  # a zlib stream, or raw deflate as some servers send
            wbits = zlib.MAX_WBITS if body[0] & 0x0F == 8 else -zlib.MAX_WBITS
        decoder = zlib.decompressobj(wbits)
        whole = self.left is not None and self.size <= self.bound
        try:
            found = decoder.decompress(body, 0 if whole else self.bound)
        except zlib.error as error:
            raise _NotHttp(f"cannot decode the body: {error}") from None
        if whole and not decoder.eof:
            raise _NotHttp("the coded body is cut")
        return found if whole else found[: self.bound]


def _request(here: URL, headers: dict | None) -> bytes:
    fields = {"User-Agent": _engine.USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}
    for name, value in (headers or {}).items():  # a probe's own header replaces the default
        fields = {key: kept for key, kept in fields.items() if key.lower() != name.lower()}
        fields[name] = value
    lines = [f"GET {here.raw_path_qs} HTTP/1.1", f"Host: {here.host_port_subcomponent}"]
    lines += [f"{name}: {value}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connect(here: URL, addresses: list[str], context, exchange: _Exchange) -> asyncio.Transport:
    """Connect to the pinned addresses as aiohttp does (happy eyeballs, then one address fewer
    after each failure), its exception types around what went wrong."""
    loop = asyncio.get_running_loop()
    host, port = here.raw_host or "", here.port or 0
    key = ConnectionKey(host, port, context is not None, context or True, None, None, None)
    server_hostname = host.rstrip(".") if context is not None else None
    infos = [
        (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
        if ":" in a
        else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
        for a in addresses
    ]
    last: Exception | None = None
    while infos:
        try:
            sock = await aiohappyeyeballs.start_connection(infos, happy_eyeballs_delay=0.25, loop=loop)
            transport, _ = await loop.create_connection(
                lambda: exchange, sock=sock, ssl=context, server_hostname=server_hostname
            )
            return transport
        except ssl.CertificateError as error:
            raise aiohttp.ClientConnectorCertificateError(key, error) from error
        except ssl.SSLError as error:
            raise aiohttp.ClientConnectorSSLError(key, error) from error
        except OSError as error:
            last = aiohttp.ClientConnectorError(key, error)
            aiohappyeyeballs.pop_addr_infos_interleave(infos, None)
    assert last is not None
    raise last


async def fetch(
    prober, url: str, verify: bool, redirects: bool, values: dict[str, Any], policy, headers=None
):
    """A check's GET: the light client, or the session (asked again from the start) for what the
    light client does not cover. (status, charset, body), as ``Prober.get``."""
    try:
        return await get(prober, url, verify, redirects, values, policy, headers)
    except Unsupported:
        values.clear()
        return await prober.get(url, verify, redirects, values, policy, headers)


class _Kept:
    """Kept-alive connections of one run, by origin and TLS context: as the session's pool, so
    checks of one host:port do not connect every time. A connection is kept only after a whole
    answer of HTTP/1.1 that did not ask to close; it goes only to a check of the same host name
    and port, whose policy has just allowed that host's pinned addresses (the connection went
    to one of them). At most ``limit`` are kept (the oldest closed first: 10,000 hosts must
    not hold 10,000 sockets); one idle for KEEP_ALIVE seconds or more is closed rather than
    reused (the session's keep-alive timeout), and all are closed when the run's prober ends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.idle: dict[tuple, list[tuple[asyncio.Transport, float]]] = {}
        self.count = 0

    def take(self, key: tuple) -> asyncio.Transport | None:
        found = self.idle.get(key)
        now = time.monotonic()
        while found:
            transport, since = found.pop()
            self.count -= 1
            if not transport.is_closing() and now - since < KEEP_ALIVE:
                if not found:
                    del self.idle[key]
                return transport
            transport.abort()
        self.idle.pop(key, None)
        return None

    def put(self, key: tuple, transport: asyncio.Transport) -> None:
        self.idle.setdefault(key, []).append((transport, time.monotonic()))
        self.count += 1
        while self.count > self.limit:
            oldest = next(iter(self.idle))
            kept = self.idle[oldest]
            kept.pop(0)[0].abort()
            self.count -= 1
            if not kept:
                del self.idle[oldest]

    def close(self) -> None:
        for kept in self.idle.values():
            for transport, _since in kept:
                transport.abort()
        self.idle.clear()
        self.count = 0


KEEP_ALIVE = 15.0  # seconds (aiohttp's keepalive_timeout)
_NO_KEPT = _Kept(0)  # (a retry connects anew)


def _kept(prober) -> _Kept:
    kept = prober.kept.get("http")
    if kept is None:
        kept = prober.kept["http"] = _Kept(4 * prober._concurrency)
    return kept


async def _send(kept, key, here, addresses, context, request, follow, loop):
    """The exchange started on a kept-alive connection of ``key`` or a new one: (exchange,
    transport, reused)."""
    exchange = _Exchange(request, follow, loop)
    transport = kept.take(key)
    if transport is not None:
        transport.set_protocol(exchange)
        exchange.connection_made(transport)
        return exchange, transport, True
    return exchange, await _connect(here, addresses, context, exchange), False


async def get(prober, url: str, verify: bool, redirects: bool, values: dict[str, Any], policy, headers=None):
    """``Prober.get`` on the light path: (status, charset, body), recording latency_ms, http_status
    and for https cert_days_left; Unsupported when the session must do it."""
    start = time.perf_counter()
    here = URL(url)
    if here.user is not None or here.password is not None or here.scheme not in ("http", "https"):
        raise Unsupported("the URL needs the session")
    loop = asyncio.get_running_loop()
    kept = _kept(prober)
    for hop in range(_engine.MAX_REDIRECTS + 1):
        addresses = await prober.pins.resolve(here.raw_host or "", policy, here.port)
        https = here.scheme == "https"
        context = (_verified_context() if verify else prober._unverified) if https else None
        key = (here.raw_host, here.port, id(context))
        follow = redirects and hop < _engine.MAX_REDIRECTS
        request = _request(here, headers)
        exchange, transport, reused = await _send(kept, key, here, addresses, context, request, follow, loop)
        complete = False
        try:
            try:
                await exchange.done
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if not reused:
                    raise
                # A kept connection the server had closed meanwhile: once more on a new one,
                # as the session retries an idempotent request on a persistent connection.
                transport.abort()
                exchange, transport, reused = await _send(
                    _NO_KEPT, key, here, addresses, context, request, follow, loop
                )
                await exchange.done
            if exchange.redirected:
                here = _engine.redirected_within(here, exchange.headers["location"])
                continue
            body = exchange.content()
            complete = True
        finally:
            if exchange.head_done and not (exchange.redirected or exchange.head_failed):
                # As the session's: known from the head on, even when the body then fails.
                values["http_status"] = exchange.status
                if https:
                    _certificate_days(transport, values)
            if complete and exchange.keep and exchange.whole and not transport.is_closing():
                kept.put(key, transport)
            else:
                transport.abort()
        break
    values["latency_ms"] = ms(time.perf_counter() - start)
    return exchange.status, exchange.charset(), body


def _certificate_days(transport: asyncio.Transport, values: dict[str, Any]) -> None:
    ssl_object = transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if der:
        left = certificate_not_after(der) - datetime.now(UTC)
        values["cert_days_left"] = round(left.total_seconds() / 86400, 2)
