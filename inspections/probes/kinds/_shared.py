"""Options that several kinds share: one definition, so a form box means the same for each."""

from inspections.probes.kinds.base import NUMBER, Option, gettext_noop

MAX_LATENCY_MS = Option("max_latency_ms", NUMBER, "float", gettext_noop("Latency limit (ms)"), minimum=0.001)
VERIFY_TLS = Option("verify_tls", bool, "bool", gettext_noop("Verify the TLS certificate"))
LATENCY_MESSAGE = gettext_noop("Answered in %(latency_ms)s ms, limit %(limit_ms)s ms")
