"""Running checks: many at once on one asyncio loop, each bounded by a hard timeout.

``run_checks`` starts every check as a task; a semaphore lets ``concurrency`` of them probe at
once, and each probe runs under ``asyncio.timeout`` so a target that never answers costs at most
the timeout (counted from when the check gets its turn, not from when it was queued). HTTP and
node_exporter checks share one aiohttp session, so checks of the same host:port reuse kept-alive
connections; database logins run in a thread pool (psycopg2 blocks) with libpq's connect_timeout.
Each kind's probe lives in its module (``inspections.probes.kinds``) and uses what ``_Prober``
shares: the guard's pins, ``get`` (HTTP through the session) and ``in_thread``.

Every probe resolves its host through ``guard.Pins`` and connects to the addresses its policy
allowed (the HTTP session's resolver answers from the pins only); redirects are followed by hand,
to the same scheme, host and port only. A result says what differed from the expectation, never
what the target answered: a hostile check must not read a service's answers through its results.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import resource
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import aiohttp
from yarl import URL

from inspections.probes import kinds
from inspections.probes.checks import (
    Check,
)
from inspections.probes.guard import STRICT, Pins, Refused, TargetPolicy
from inspections.probes.results import Problem, Result, Status, Verdict, ms, reason
from inspections.probes.tls import certificate_not_after

__all__ = ["MAX_BODY_BYTES", "run_checks", "run_checks_sync"]

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024  # read at most this much of an answer
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "om-portal-probe/1"


_Verdict = Verdict  # raised by a probe to end a check with this status and message


_ms, _reason = ms, reason


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    if response.content_length is not None and response.content_length <= MAX_BODY_BYTES:
        return await response.read()
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES]


class _PinnedResolver(aiohttp.abc.AbstractResolver):
    """The HTTP session's resolver: the addresses a probe pinned (and its policy allowed) for a
    host, and nothing for a host no probe resolved. aiohttp connects to these addresses and keeps
    the host name for the Host header, SNI and certificate checks."""

    def __init__(self, pins: Pins) -> None:
        self._pins = pins

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_UNSPEC) -> list[dict]:
        addresses = self._pins.pinned(host)
        if not addresses:
            raise OSError(f"{host} was not resolved by the probe")
        flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": flags,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        pass


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    """The TLS context of checks that do not verify (they still read the certificate): made once,
    as loading the default certificates costs ~30 ms of CPU, more than a hundred probes."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def redirected_within(here: URL, location: str) -> URL:
    """Where a redirect from ``here`` leads, followed only within the same origin (scheme, host
    and port): another host is a check's verdict, never a request the guard did not see."""
    try:
        there = here.join(URL(location))
        same = there.origin() == here.origin()
    except ValueError:
        same = False
    if not same:
        raise _Verdict(Status.FAILED, "Redirected to another host; not followed")
    return there


@functools.cache
def _open_files_to_hard_limit() -> None:
    """A run holds up to ``concurrency`` sockets probing plus 4 × that kept alive (the HTTP
    client's pool): 1,000 at the default 200, next to the process's own files. Many systems start
    a process at a soft limit of 1,024 open files, under a hard one far above; past the soft limit
    a connect fails with "Too many open files" and a healthy target reads as down. The soft limit
    goes to the hard one, once per process (the hard one is the administrator's to set)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # an unlimited hard limit some kernels refuse as a soft one
            logger.warning("open files stay limited to %s", soft)


class _Prober:
    """The resources one run shares: an HTTP session (its connection pool) and database threads."""

    def __init__(self, concurrency: int) -> None:
        _open_files_to_hard_limit()
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._pins = Pins()
        self._unverified = _unverified_context()
        # What a kind keeps for the run, by kind (the light HTTP client's kept-alive
        # connections); each has a close() called at the end.
        self.kept: dict[str, Any] = {}

    async def __aenter__(self) -> _Prober:
        connector = aiohttp.TCPConnector(
            limit=self._concurrency, limit_per_host=0, resolver=_PinnedResolver(self._pins)
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),  # run() bounds each check as a whole
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": USER_AGENT},
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for kept in self.kept.values():
            kept.close()
        if self._session is not None:
            await self._session.close()
        if self._threads is not None:  # a login past its timeout ends by libpq's connect_timeout
            self._threads.shutdown(wait=False, cancel_futures=True)

    async def run(self, check: Check, timeout: float, policy: TargetPolicy) -> Result:
        probe = kinds.for_check(check).probe
        values: dict[str, Any] = {}
        started = datetime.now(UTC)
        try:
            async with asyncio.timeout(timeout):
                problems = await probe(self, check, values, timeout, policy)
            status = Status.FAILED if problems else Status.OK
        except Refused as refused:
            status, problems = Status.ERROR, [Problem(refused.message, refused.params)]
        except _Verdict as verdict:
            status, problems = verdict.status, [verdict.problem]
        except TimeoutError:
            status, problems = (
                Status.TIMEOUT,
                [Problem("No answer within %(timeout)s s", {"timeout": timeout})],
            )
        except Exception as error:  # every failure becomes a result
            status, problems = self._classify(error)
        finished = datetime.now(UTC)
        first = problems[0] if problems else Problem("OK")
        return Result(
            check=check,
            ok=status is Status.OK,
            status=status,
            message=first.message,
            params=first.params,
            values=values,
            started=started,
            finished=finished,
            problems=tuple(problems),
        )

    @staticmethod
    def _classify(error: Exception) -> tuple[Status, list[Problem]]:
        cause = getattr(error, "os_error", None) or error  # aiohttp wraps the socket's error
        reason = {"reason": _reason(cause)}
        if isinstance(cause, ConnectionRefusedError):
            return Status.FAILED, [Problem("Connection refused")]
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            return Status.FAILED, [Problem("TLS certificate not trusted: %(reason)s", reason)]
        if isinstance(error, aiohttp.ClientSSLError | ssl.SSLError):
            return Status.FAILED, [Problem("TLS handshake failed: %(reason)s", reason)]
        if isinstance(error, aiohttp.ServerDisconnectedError | ConnectionResetError):
            return Status.FAILED, [Problem("The server closed the connection")]
        if isinstance(error, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
            # Not the parser's reason: it quotes the bytes the target sent.
            return Status.ERROR, [Problem("The answer is not valid HTTP")]
        if isinstance(error, OSError):  # aiohttp's connection errors are OSErrors too
            return Status.FAILED, [Problem("Connection failed: %(reason)s", reason)]
        logger.warning("probe error", exc_info=error)
        return Status.ERROR, [Problem("Probe error: %(reason)s", reason)]

    @property
    def pins(self) -> Pins:
        """The guard's pins: a probe resolves its host here and connects only to what it gets."""
        return self._pins

    async def in_thread(self, function, *args):
        """Run a blocking call (a database driver's login) in the run's thread pool."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(
                max_workers=min(self._concurrency, 32), thread_name_prefix="probe-db"
            )
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)

    def _ssl(self, verify: bool) -> ssl.SSLContext | bool:
        return True if verify else self._unverified

    async def get(
        self,
        url: str,
        verify: bool,
        redirects: bool,
        values: dict[str, Any],
        policy: TargetPolicy,
        headers: dict | None = None,
    ) -> tuple[int, str | None, bytes]:
        """GET url: (status, charset, body); records latency_ms, http_status and for https the
        certificate's cert_days_left in ``values``. A redirect is followed (``redirects``) only
        to the same scheme, host and port, its address checked again."""
        assert self._session is not None
        start = time.perf_counter()
        here = URL(url)
        for hop in range(MAX_REDIRECTS + 1):
            await self._pins.resolve(here.raw_host or "", policy, here.port)
            async with self._session.get(
                here, ssl=self._ssl(verify), allow_redirects=False, headers=headers
            ) as response:
                location = response.headers.get("Location")
                if redirects and response.status in REDIRECTS and location and hop < MAX_REDIRECTS:
                    here = redirected_within(here, location)
                    continue
                values["http_status"] = response.status
                if response.url.scheme == "https":
                    await self._certificate_days(response, values)
                body = await _read_body(response)
                break
        values["latency_ms"] = _ms(time.perf_counter() - start)
        return response.status, response.charset, body

    async def _certificate_days(self, response: aiohttp.ClientResponse, values: dict[str, Any]) -> None:
        connection = response.connection
        transport = connection.transport if connection is not None else None
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None:  # already released (an empty body): ask the server once more
            host, port = response.url.raw_host or "", response.url.port
            address = (self._pins.pinned(host) or [host])[0]  # resolved and allowed by _get
            _reader, writer = await asyncio.open_connection(
                address, port, ssl=self._unverified, server_hostname=host
            )
            ssl_object = writer.get_extra_info("ssl_object")
            writer.close()
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der:
            left = certificate_not_after(der) - datetime.now(UTC)
            values["cert_days_left"] = round(left.total_seconds() / 86400, 2)


def _validated(checks: Iterable[Check], concurrency: int, timeout: float) -> list[Check]:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, not {concurrency!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    checks = list(checks)
    for check in checks:
        if not isinstance(check, kinds.CHECK_TYPES):
            raise TypeError(f"not a check: {check!r}")
    return checks


def _start_order(count: int, first: Iterable[int]) -> list[int]:
    ahead = list(dict.fromkeys(first))
    if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < count for i in ahead):
        raise ValueError(f"first must hold indexes of the checks (0 to {count - 1})")
    chosen = set(ahead)
    return ahead + [i for i in range(count) if i not in chosen]


Policies = TargetPolicy | Sequence[TargetPolicy]


def _policies(policy: Policies, count: int) -> list[TargetPolicy]:
    if isinstance(policy, TargetPolicy):
        return [policy] * count
    policies = list(policy)
    if len(policies) != count or not all(isinstance(p, TargetPolicy) for p in policies):
        raise ValueError("policy must be a TargetPolicy or one per check")
    return policies


async def run_checks(
    checks: Iterable[Check],
    *,
    concurrency: int = 200,
    timeout: float = 2.0,
    first: Iterable[int] = (),
    policy: Policies = STRICT,
) -> list[Result]:
    """Run the checks, at most ``concurrency`` at once, each within its own ``timeout`` (or this
    one); one Result per check, in the checks' order. Never raises for a target's failure.

    ``first``: indexes of checks to start before the others, e.g. those that failed or timed out
    last time. Checks start in list order otherwise, and a dead target near the end of the list
    adds its whole timeout after the live ones are done; started first, the dead overlap them.

    A check's task is created only once the semaphore lets it run, so a sweep of 10,000 keeps
    ``concurrency`` tasks alive, not 10,000.

    ``policy``: where the checks may connect (``guard.TargetPolicy``), one for all or one per
    check; the default refuses loopback, link-local and the other internal addresses."""
    checks = _validated(checks, concurrency, timeout)
    policies = _policies(policy, len(checks))
    order = _start_order(len(checks), first)
    results: list[Result | None] = [None] * len(checks)
    semaphore = asyncio.Semaphore(concurrency)

    async def run_one(prober: _Prober, index: int) -> None:
        try:
            check = checks[index]
            results[index] = await prober.run(check, check.timeout or timeout, policies[index])
        finally:
            semaphore.release()

    async with _Prober(concurrency) as prober, asyncio.TaskGroup() as group:
        for index in order:
            await semaphore.acquire()
            group.create_task(run_one(prober, index))
    return results  # type: ignore[return-value] — every slot is filled once the group is done


def run_checks_sync(
    checks: Iterable[Check],
    *,
    concurrency: int = 200,
    timeout: float = 2.0,
    first: Iterable[int] = (),
    policy: Policies = STRICT,
) -> list[Result]:
    """``run_checks`` for synchronous callers (a Celery task): runs its own event loop, in a
    helper thread when the caller's thread already runs one."""
    checks = _validated(checks, concurrency, timeout)
    first = list(first)
    _start_order(len(checks), first)  # bad input raises here, not inside the loop
    policy = _policies(policy, len(checks))
    run = run_checks(checks, concurrency=concurrency, timeout=timeout, first=first, policy=policy)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run)
    with ThreadPoolExecutor(max_workers=1) as helper:
        return helper.submit(asyncio.run, run).result()
