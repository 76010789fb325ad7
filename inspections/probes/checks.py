"""What to check: one frozen dataclass per kind of check, validated when it is built.

A check is plain data. Its target is parsed and checked here (scheme, host, port) and every
threshold must be a number of the right kind; a malformed one raises ``ValueError`` with a clear
message, so a bad asset never reaches the engine. Nothing in a check is ever passed to a shell or
executed: the engine opens sockets itself, including ICMP's for ``PingCheck`` (see ``icmp``).
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

__all__ = [
    "ANY_VALUE",
    "DEFAULT_IGNORED_FSTYPES",
    "Check",
    "HttpCheck",
    "NodeExporterCheck",
    "PingCheck",
    "PostgresCheck",
    "TcpCheck",
]

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\.?$){_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
_JSON_KEY = re.compile(r"[^.\s]+")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")

# Pseudo and in-memory file systems a node_exporter reports but nobody fills up.
DEFAULT_IGNORED_FSTYPES = frozenset(
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
        "devtmpfs", "fuse.lxcfs", "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay",
        "proc", "procfs", "pstore", "ramfs", "rootfs", "rpc_pipefs", "securityfs", "selinuxfs",
        "squashfs", "sysfs", "tmpfs", "tracefs",
    }
)  # fmt: skip


class _AnyValue:
    """The default of ``HttpCheck.json_value``: the path must exist, any value will do."""

    def __repr__(self) -> str:
        return "ANY_VALUE"


ANY_VALUE: Any = _AnyValue()


def _fail(owner: object, message: str) -> None:
    raise ValueError(f"{type(owner).__name__}: {message}")


def _number(
    owner: object, name: str, value: object, *, above: float | None = 0.0, integer: bool = False
) -> None:
    """None, or a finite int/float (an int if ``integer``) greater than ``above`` (no lower bound
    if None, ``-1`` for "zero or more" counts). A bool is not a number here."""
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        wanted = "an integer" if integer else "a number"
        _fail(owner, f"{name} must be {wanted}, not {type(value).__name__} {value!r}")
    if not math.isfinite(value):  # type: ignore[arg-type]
        _fail(owner, f"{name} must be a finite number, not {value!r}")
    if above is not None and value <= above:  # type: ignore[operator]
        bound = "zero or more" if above == -1 else f"above {above:g}"
        _fail(owner, f"{name} must be {bound}, not {value!r}")


def _host(owner: object, host: object) -> None:
    if not isinstance(host, str) or not host:
        _fail(owner, f"host must be a non-empty string, not {host!r}")
    try:
        ipaddress.ip_address(host)  # type: ignore[arg-type]
        return
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")  # type: ignore[union-attr]
    except UnicodeError:
        ascii_host = ""
    if not _HOSTNAME.fullmatch(ascii_host):
        _fail(owner, f"{host!r} is not a host name or IP address")


def _port(owner: object, port: object) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        _fail(owner, f"port must be an integer from 1 to 65535, not {port!r}")


def _url(owner: object, url: object) -> str:
    """Checks an http(s) URL with a host and no credentials; returns its scheme."""
    if not isinstance(url, str) or not url:
        _fail(owner, f"url must be a non-empty string, not {url!r}")
    if _CONTROL_OR_SPACE.search(url):  # type: ignore[arg-type]
        _fail(owner, f"url {url!r} contains spaces or control characters")
    parts = urlsplit(url)  # type: ignore[arg-type]
    if parts.scheme not in ("http", "https"):
        _fail(owner, f"url {url!r} must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        _fail(owner, f"url {url!r} must not carry a user name or password")
    try:
        port = parts.port
    except ValueError:
        _fail(owner, f"url {url!r} has an invalid port")
    if port == 0:
        _fail(owner, f"url {url!r} has an invalid port")
    if not parts.hostname:
        _fail(owner, f"url {url!r} has no host")
    _host(owner, parts.hostname)
    return parts.scheme


def _bool(owner: object, name: str, value: object) -> None:
    if not isinstance(value, bool):
        _fail(owner, f"{name} must be True or False, not {value!r}")


@dataclass(frozen=True, slots=True)
class HttpCheck:
    """GET ``url``: the status, optionally a keyword in the body or a JSON value at a dotted path
    (``data.items.0.state``; digits index lists), a latency limit, and for https the certificate's
    days left. ``verify_tls`` off (the default: bureaus' internal systems mostly have self-signed
    certificates) still reads the certificate's expiry; on, an untrusted certificate fails."""

    kind: ClassVar[str] = "http"
    url: str
    expected_status: int = 200
    keyword: str | None = None
    json_path: str | None = None
    json_value: Any = ANY_VALUE
    max_latency_ms: float | None = None
    min_cert_days: float | None = None
    verify_tls: bool = False
    follow_redirects: bool = False
    timeout: float | None = None  # seconds; None takes run_checks' timeout

    def __post_init__(self) -> None:
        scheme = _url(self, self.url)
        if isinstance(self.expected_status, bool) or not isinstance(self.expected_status, int):
            _fail(self, f"expected_status must be an integer, not {self.expected_status!r}")
        if not 100 <= self.expected_status <= 599:
            _fail(self, f"expected_status must be from 100 to 599, not {self.expected_status}")
        if self.keyword is not None and (not isinstance(self.keyword, str) or not self.keyword):
            _fail(self, f"keyword must be a non-empty string or None, not {self.keyword!r}")
        if self.json_path is not None:
            if not isinstance(self.json_path, str) or not all(
                _JSON_KEY.fullmatch(key) for key in self.json_path.split(".")
            ):
                _fail(self, f"json_path must be dotted keys like 'data.status', not {self.json_path!r}")
        elif self.json_value is not ANY_VALUE:
            _fail(self, "json_value needs a json_path")
        if self.json_value is not ANY_VALUE and not isinstance(
            self.json_value, str | int | float | bool | type(None)
        ):
            _fail(self, f"json_value must be a string, number, boolean or None, not {self.json_value!r}")
        _number(self, "max_latency_ms", self.max_latency_ms)
        _number(self, "min_cert_days", self.min_cert_days, above=None)
        if self.min_cert_days is not None and scheme != "https":
            _fail(self, "min_cert_days needs an https:// url")
        _bool(self, "verify_tls", self.verify_tls)
        _bool(self, "follow_redirects", self.follow_redirects)
        _number(self, "timeout", self.timeout)

    @property
    def json_path_keys(self) -> tuple[str, ...]:
        return tuple(self.json_path.split(".")) if self.json_path else ()


@dataclass(frozen=True, slots=True)
class TcpCheck:
    """Connect to ``host:port`` and close: the port is open (optionally within a latency limit)."""

    kind: ClassVar[str] = "tcp"
    host: str
    port: int
    max_latency_ms: float | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        _host(self, self.host)
        _port(self, self.port)
        _number(self, "max_latency_ms", self.max_latency_ms)
        _number(self, "timeout", self.timeout)


@dataclass(frozen=True, slots=True)
class PingCheck:
    """ICMP echo to an IPv4 ``host``: ``count`` requests; fails with no reply, with more loss than
    ``max_loss_pct``, or an average round trip over ``max_latency_ms``. Where the system allows
    neither ICMP datagram nor raw sockets the result is an error that says so."""

    kind: ClassVar[str] = "ping"
    host: str
    count: int = 3
    max_loss_pct: float | None = None
    max_latency_ms: float | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        _host(self, self.host)
        if ":" in self.host:
            _fail(self, "ping is IPv4 only")
        _number(self, "count", self.count, integer=True)
        if not 1 <= self.count <= 10:
            _fail(self, f"count must be from 1 to 10, not {self.count!r}")
        _number(self, "max_loss_pct", self.max_loss_pct, above=-1)
        if self.max_loss_pct is not None and self.max_loss_pct >= 100:
            _fail(self, f"max_loss_pct must be below 100, not {self.max_loss_pct!r}")
        _number(self, "max_latency_ms", self.max_latency_ms)
        _number(self, "timeout", self.timeout)


@dataclass(frozen=True, slots=True)
class NodeExporterCheck:
    """Fetch a Prometheus node_exporter page (``http://vm:9100/metrics``) and judge the VM by it.

    Measured from one page: memory used % (MemAvailable / MemTotal), each file system's used %
    (avail / size; the fstypes in ``ignored_fstypes`` skipped), network errors (receive + transmit
    error counters, summed over devices: a total since boot, not a rate) and load1 per CPU. CPU
    busy % needs two pages some seconds apart and is not measured. A threshold left at None is not
    checked; one that is set needs its metrics on the page, or the result is an error."""

    kind: ClassVar[str] = "node_exporter"
    url: str
    max_memory_used_pct: float | None = None
    max_filesystem_used_pct: float | None = None
    max_network_errors: int | None = None
    max_load1_per_cpu: float | None = None
    ignored_fstypes: frozenset[str] = DEFAULT_IGNORED_FSTYPES
    verify_tls: bool = False
    timeout: float | None = None

    def __post_init__(self) -> None:
        _url(self, self.url)
        _number(self, "max_memory_used_pct", self.max_memory_used_pct)
        _number(self, "max_filesystem_used_pct", self.max_filesystem_used_pct)
        _number(self, "max_network_errors", self.max_network_errors, above=-1, integer=True)
        _number(self, "max_load1_per_cpu", self.max_load1_per_cpu)
        for name in ("max_memory_used_pct", "max_filesystem_used_pct"):
            value = getattr(self, name)
            if value is not None and value > 100:
                _fail(self, f"{name} is a percentage, at most 100, not {value!r}")
        if not isinstance(self.ignored_fstypes, frozenset) or not all(
            isinstance(fstype, str) for fstype in self.ignored_fstypes
        ):
            _fail(self, "ignored_fstypes must be a frozenset of strings")
        _bool(self, "verify_tls", self.verify_tls)
        _number(self, "timeout", self.timeout)

    @classmethod
    def for_host(cls, host: str, port: int = 9100, **thresholds: Any) -> NodeExporterCheck:
        probe = TcpCheck(host, port)  # validates host and port before they go into a URL
        literal = f"[{probe.host}]" if ":" in probe.host else probe.host
        return cls(f"http://{literal}:{probe.port}/metrics", **thresholds)


@dataclass(frozen=True, slots=True)
class PostgresCheck:
    """Log in to a PostgreSQL database and run ``SELECT 1`` (psycopg2, in a worker thread)."""

    kind: ClassVar[str] = "postgres"
    host: str
    dbname: str
    user: str
    password: str | None = field(default=None, repr=False)
    port: int = 5432
    sslmode: str = "prefer"
    max_latency_ms: float | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        _host(self, self.host)
        _port(self, self.port)
        for name in ("dbname", "user"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or "\x00" in value:
                _fail(self, f"{name} must be a non-empty string, not {value!r}")
        if self.password is not None and (not isinstance(self.password, str) or "\x00" in self.password):
            _fail(self, "password must be a string or None")
        if self.sslmode not in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"):
            _fail(self, f"sslmode {self.sslmode!r} is not a libpq sslmode")
        _number(self, "max_latency_ms", self.max_latency_ms)
        _number(self, "timeout", self.timeout)


# The kinds' registry (inspections.probes.kinds) knows every check type, those defined in their own
# kind module (MysqlCheck, SnmpCheck) too.
Check = HttpCheck | TcpCheck | PingCheck | NodeExporterCheck | PostgresCheck
