"""The shapes of penalty clause: one module each, registered here, read by the models, forms,
the API, the admin and the pricing of ``contracts.penalties``.

A shape's code is an API value that scripts send and filter on (``per_day``...): it never
changes and never reaches a person, who reads its label. Each shape module holds how it prices
a clause's breaches (``price``), the options it takes (a base of the overdue amount, a rate from
the LPR, an escalation), and the clause fields it requires; a new shape is a module listed in
``_SHAPES`` and named by the kinds of breach (``contracts.obligations``) it may price.
"""

from django.db import models
from django.utils.translation import gettext

from contracts.shapes import count_threshold, one_off, per_day, per_occurrence
from contracts.shapes.base import (
    ESCALATION,
    LPR_RATE,
    OVERDUE_BASE,
    Base,
    ClauseShape,
    Escalation,
    RateSource,
)

__all__ = ["SHAPES", "Base", "Escalation", "RateSource", "Shape", "check", "choices", "counts_days", "get"]

_SHAPES = (per_day.SHAPE, per_occurrence.SHAPE, one_off.SHAPE, count_threshold.SHAPE)

SHAPES: dict[str, ClauseShape] = {shape.code: shape for shape in _SHAPES}

# PenaltyClause.Shape: the members (Shape.PER_DAY...) that code names, built from the registry.
Shape = models.TextChoices("Shape", [(s.code.upper(), (s.code, s.label)) for s in _SHAPES])


def get(code: str) -> ClauseShape | None:
    return SHAPES.get(code)


def choices() -> list[tuple[str, str]]:
    """(code, label) pairs for the clause's field; a callable, so a new shape needs no migration."""
    return [(shape.code, shape.label) for shape in _SHAPES]


def counts_days(code: str) -> bool:
    """Whether a breach priced by a clause of this shape needs its days late."""
    shape = SHAPES.get(code)
    return shape is not None and shape.counts_days


def _taking(option: str) -> str:
    return ", ".join(f"“{shape.label}”" for shape in _SHAPES if option in shape.takes)


def check(clause) -> dict[str, str]:
    """What the clause's shape cannot price (an option it does not take, a field it requires),
    by field; an unknown shape is the field's own choices' error."""
    shape = SHAPES.get(clause.shape)
    if shape is None:
        return {}
    errors = {}
    if clause.base == Base.OVERDUE_AMOUNT and OVERDUE_BASE not in shape.takes:
        errors["base"] = gettext(
            "Only a clause of shape %(shapes)s can be a share of the overdue amount."
        ) % {"shapes": _taking(OVERDUE_BASE)}
    if clause.rate_source == RateSource.LPR_ONE_YEAR and LPR_RATE not in shape.takes:
        errors["rate_source"] = gettext("Only a clause of shape %(shapes)s takes its rate from the LPR.") % {
            "shapes": _taking(LPR_RATE)
        }
    if clause.escalation_at is not None and ESCALATION not in shape.takes:
        errors["escalation_at"] = gettext("Only a clause of shape %(shapes)s escalates.") % {
            "shapes": _taking(ESCALATION)
        }
    return errors | shape.check(clause)
