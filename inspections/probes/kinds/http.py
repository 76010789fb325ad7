"""HTTP(S): GET a URL; status, keyword, a JSON value, latency and the certificate's days left."""

from typing import Any

from inspections.probes.checks import HttpCheck
from inspections.probes.kinds import http_client
from inspections.probes.kinds._shared import MAX_LATENCY_MS, VERIFY_TLS
from inspections.probes.kinds.base import NUMBER, Option, ProbeKind, gettext_noop
from inspections.probes.results import Problem
from inspections.probes.verdicts import http_problems


def build(target, port, timeout, options, secrets, previous=None):
    return HttpCheck(target, timeout=timeout, **options)


async def probe(prober, check: HttpCheck, values: dict[str, Any], timeout: float, policy) -> list[Problem]:
    # The light client (half the session's CPU), the session for what it does not cover.
    status, charset, body = await http_client.fetch(
        prober, check.url, check.verify_tls, check.follow_redirects, values, policy
    )
    return http_problems(check, status, charset, body, values)


KIND = ProbeKind(
    code="http",
    label=gettext_noop("HTTP(S)"),
    check_type=HttpCheck,
    target="url",
    options=(
        Option(
            "expected_status",
            int,
            "int",
            gettext_noop("Expected HTTP status"),
            help=gettext_noop("Blank: 200."),
            minimum=100,
            maximum=599,
        ),
        Option("keyword", str, "text", gettext_noop("Keyword the page must contain")),
        Option(
            "json_path",
            str,
            "text",
            gettext_noop("JSON path"),
            help=gettext_noop("Dotted keys, e.g. “data.status”."),
        ),
        Option(
            "json_value",
            (str, int, float, bool, type(None)),
            "json_scalar",
            gettext_noop("Value expected at the JSON path"),
            help=gettext_noop(
                "Blank: any value. 200, true and null are read as JSON; put text in quotes to keep “200” a text."  # noqa: E501 (the msgid as it is)
            ),
        ),
        MAX_LATENCY_MS,
        Option(
            "min_cert_days",
            NUMBER,
            "float",
            gettext_noop("Least days the TLS certificate must still be valid"),
            help=gettext_noop("https:// only."),
        ),
        VERIFY_TLS,
        Option("follow_redirects", bool, "bool", gettext_noop("Follow redirects")),
    ),
    build=build,
    probe=probe,
    messages=frozenset(
        {
            gettext_noop("HTTP status %(got)s, expected %(expected)s"),
            gettext_noop("Keyword %(keyword)r not found"),
            gettext_noop("The answer is not JSON"),
            gettext_noop("No JSON value at %(path)s"),
            gettext_noop("The JSON value at %(path)s did not equal the expected value"),
            gettext_noop("Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"),
            gettext_noop("No TLS certificate to read"),
            gettext_noop("TLS certificate expires in %(days)s days, minimum %(minimum)s"),
            gettext_noop("Redirected to another host; not followed"),
        }
    ),
)
