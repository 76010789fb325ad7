"""What a penalty-clause shape is, the clause options a shape may take, and the money helpers
every shape prices with.

The models take their choices from here, so nothing in this package imports a model: a shape
reads the clause it is given by its fields.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FEN = Decimal("0.01")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def percent(value: Decimal) -> str:
    # Stored with four places: 0.3000 prints as 0.3, 10.0000 as 10.
    return format(value.normalize(), "f")


# --- The options of a clause beyond its rate and cap ----------------------------------------------


class Base(models.TextChoices):
    TOTAL = "total", _("Contract total")
    OVERDUE_AMOUNT = "overdue_amount", _("Overdue amount")


class Escalation(models.TextChoices):
    REPLACES = "replaces", _("Replaces the per-occurrence amounts")
    ADDS = "adds", _("Adds to the per-occurrence amounts")


class RateSource(models.TextChoices):
    FIXED = "fixed", _("The rate written in the clause")
    # Seed 003: "按照合同生效当日的1年期LPR": the annual rate in force on the day the contract
    # took effect, charged per day at a 365th of it.
    LPR_ONE_YEAR = "lpr_one_year", _("One-year LPR in force when the contract took effect, per day 1/365")


# What a shape names in ``takes`` when it prices a clause that sets the option; a clause of a
# shape that does not take it is refused (``contracts.shapes.check``).
OVERDUE_BASE = "overdue_base"  # base = overdue amount
LPR_RATE = "lpr_rate"  # rate source = the LPR
ESCALATION = "escalation"  # escalation_at and its rate
OPTIONS = (OVERDUE_BASE, LPR_RATE, ESCALATION)


def no_errors(clause) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class ClauseShape:
    """One shape of penalty clause: its stored code (an API value, never shown), its label, and
    how it prices the clause's counted breaches.

    ``price(item, rate_percent, total, day_amount)`` returns the amount before the clause's cap
    and appends one explanation line per step to ``item.lines``; ``item`` is a
    ``contracts.penalties.ClauseAmount`` with at least one breach counted, ``rate_percent`` the
    rate applied (the clause's own, or the LPR's daily one), ``total`` the contract total and
    ``day_amount`` Σ days late × overdue amount of its breaches.
    """

    code: str
    label: Promise
    price: Callable[..., Decimal]
    # Each breach needs its days late (the producers then count them, an SLA clock daily).
    counts_days: bool = False
    takes: frozenset[str] = field(default_factory=frozenset)
    # The clause's own fields this shape requires: {field: message}.
    check: Callable[..., dict[str, str]] = no_errors


def figures(item, rate_percent: Decimal, total: Decimal) -> dict:
    """The figures every explanation line may name."""
    return {
        "rate": percent(rate_percent.quantize(Decimal("0.000001"))),
        "base": yuan(total),
        "count": item.breaches,
        "days": item.days,
    }
