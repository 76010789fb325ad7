"""Every message a probe can give, for the translators.

The probes store English msgids with %-parameters (``Problem``) and the portal translates them
when it shows a result; ``makemessages`` finds only strings marked for translation, so they are
listed here. ``tests/inspections/test_probe_messages.py`` fails when a probe's message is missing.
"""


def gettext_noop(message: str) -> str:
    # Django's own name for "mark only": makemessages looks for it; the probes import no Django.
    return message


MESSAGES = frozenset(
    {
        gettext_noop("%(errors)s network errors, limit %(limit)s"),
        gettext_noop("%(loss_pct)s%% of pings lost, limit %(limit)s%%"),
        gettext_noop("Answered in %(latency_ms)s ms, limit %(limit_ms)s ms"),
        gettext_noop("Connected in %(latency_ms)s ms, limit %(limit_ms)s ms"),
        gettext_noop("Connection failed: %(reason)s"),
        gettext_noop("Connection refused"),
        gettext_noop("File system %(mount)s %(pct)s%% used, limit %(limit)s%%"),
        gettext_noop("HTTP status %(got)s, expected %(expected)s"),
        gettext_noop("Keyword %(keyword)r not found"),
        gettext_noop("Load %(load)s per CPU, limit %(limit)s"),
        gettext_noop("Memory %(pct)s%% used, limit %(limit)s%%"),
        gettext_noop("Metric %(metric)s is missing from the page"),
        gettext_noop("No answer to %(sent)s pings"),
        gettext_noop("No answer within %(timeout)s s"),
        gettext_noop("No JSON value at %(path)s"),
        gettext_noop("No TLS certificate to read"),
        gettext_noop("Not a node_exporter page"),
        gettext_noop("OK"),
        gettext_noop("Ping is not permitted on this system"),
        gettext_noop("Ping took %(latency_ms)s ms on average, limit %(limit_ms)s ms"),
        gettext_noop("Probe error: %(reason)s"),
        gettext_noop("The answer is not JSON"),
        gettext_noop("The server closed the connection"),
        gettext_noop("TLS certificate expires in %(days)s days, minimum %(minimum)s"),
        gettext_noop("TLS certificate not trusted: %(reason)s"),
        gettext_noop("TLS handshake failed: %(reason)s"),
        gettext_noop("Database login refused: no such database or user"),
        gettext_noop("Database login refused: wrong user name or password"),
        gettext_noop("Redirected to another host; not followed"),
        gettext_noop("The answer is not valid HTTP"),
        gettext_noop("The JSON value at %(path)s did not equal the expected value"),
        gettext_noop("The server did not complete a PostgreSQL login"),
        gettext_noop("The target is a link-local address"),
        gettext_noop("The target is a loopback address"),
        gettext_noop("The target is not an address a check may reach"),
        gettext_noop("The target is one of the portal's own services"),
        gettext_noop("The target is outside the networks allowed for this contract"),
        gettext_noop("The target spells an IP address in a non-standard form"),
    }
)
