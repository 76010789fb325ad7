"""The kinds of periodic report, one module each: everything that makes a weekly report weekly.

A kind's module says which days its period covers and how the period is named, which figures its
snapshot holds beyond those every report has, which sections its PDF prints in which order, the
headings of the parts the vendor writes (English msgids, their Chinese in the .po: the form, the
API and the PDF read the same words) and when it falls due where the contract does not say.
The rest of ``reports`` asks the registry (``get(code)``) instead of keeping tables by kind.

Adding a kind: copy the closest module, list it in ``_MODULES`` below, append its msgids to the
.po and make the migration its new choice asks for (``Report.kind`` takes its choices from here).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.utils.functional import Promise


@dataclass(frozen=True)
class Due:
    """When a report is due where the contract is silent: ``offset`` days (``unit``, a
    ``Milestone.OffsetUnit``) after its period ends. A contract's requirement may say otherwise."""

    offset: int
    unit: str


@dataclass(frozen=True)
class Kind:
    code: str  # stored in Report.kind and ReportRequirement.kind, at most 12 characters
    name: str  # the member of reports.models.ReportKind: ReportKind.WEEKLY
    label: Promise  # "Weekly report"; its Chinese titles the PDF
    # (contract, day) → the calendar period holding the day, before clipping to the term.
    period: Callable[..., tuple[dt.date, dt.date]]
    # (start, end, full) → how the report names the period ("2026年6月"), or None for the
    # plain "start 至 end"; ``full`` is False for a period clipped to the term.
    period_label: Callable[[dt.date, dt.date, bool], str | None]
    # (data, figures) → adds the kind's own figures to the snapshot (see reports.building).
    build: Callable[..., None]
    # The PDF's sections in print order: (template under reports/pdf/sections/, its Chinese
    # title), or ("narrative", key) for a part the vendor writes.
    sections: tuple[tuple[str, str], ...]
    # The parts the vendor writes, in print order: (key, heading as a gettext_lazy msgid).
    narrative: tuple[tuple[str, Promise], ...]
    due: Due

    def __str__(self):
        return str(self.label)

    def heading(self, key: str) -> Promise | str:
        return dict(self.narrative).get(key, key)


_REGISTRY: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in _REGISTRY:
        raise ValueError(f"report kind {kind.code!r} is registered twice")
    _REGISTRY[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    """The kind of that code; ValueError for an unknown one (a snapshot from a later version)."""
    try:
        return _REGISTRY[code]
    except KeyError:
        raise ValueError(f"unknown report kind {code!r}") from None


def all() -> list[Kind]:
    """Every kind, in the order the choices list them."""
    return list(_REGISTRY.values())


# In the order the choices list them.
_MODULES = ["weekly", "monthly", "quarterly", "half_yearly", "annual"]

for _module in _MODULES:
    import_module(f"{__name__}.{_module}")
