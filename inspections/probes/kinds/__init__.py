"""The registry of kinds of automated check: one module per kind (see ``base.ProbeKind``).

Adding a kind: write its module, list it in ``_MODULES``, and make the model's migration (its
choices come from here). ``tests/inspections/test_probe_kinds.py`` checks every kind is complete.
"""

from __future__ import annotations

import importlib

from inspections.probes.kinds.base import NUMBER, Option, ProbeKind

__all__ = ["CHECK_TYPES", "KINDS", "NUMBER", "Option", "ProbeKind", "all_options", "for_check", "get"]

_MODULES = ("http", "tcp", "ping", "node_exporter", "postgres", "mysql", "snmp")

KINDS: dict[str, ProbeKind] = {
    kind.code: kind for kind in (importlib.import_module(f"{__name__}.{name}").KIND for name in _MODULES)
}
_BY_TYPE = {kind.check_type: kind for kind in KINDS.values()}
CHECK_TYPES: tuple[type, ...] = tuple(_BY_TYPE)


def get(code: str) -> ProbeKind | None:
    return KINDS.get(code)


def for_check(check: object) -> ProbeKind:
    return _BY_TYPE[type(check)]


def all_options() -> dict[str, Option]:
    """Every option by name, across kinds (a name means the same option in every kind)."""
    found: dict[str, Option] = {}
    for kind in KINDS.values():
        for option in kind.options:
            found.setdefault(option.name, option)
    return found
