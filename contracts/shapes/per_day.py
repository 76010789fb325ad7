"""Per day of delay: the rate for each day late, of the contract total or of the overdue amount.

Seed 000: 0.3% of the total a day; seed 001: 0.5% a day, at most 10% (the clause's cap); the
client's side of seed 000: 0.01% a day of the overdue amount; seed 003: the one-year LPR.
On the total, days are counted once each across the clause's breaches (DOMAIN.md: "每日 0.3%"
counts days, not events); on the overdue amount, each breach is its own overdue payment.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy, ngettext

from contracts.daycount import covered_days, days_line
from contracts.shapes.base import HUNDRED, LPR_RATE, OVERDUE_BASE, Base, ClauseShape, figures, money, yuan


def price(item, rate_percent: Decimal, total: Decimal, day_amount: Decimal) -> Decimal:
    n, lines = item.breaches, item.lines
    fmt = figures(item, rate_percent, total)
    overdue = item.clause.base == Base.OVERDUE_AMOUNT
    if overdue:
        # Each breach is its own overdue payment: its days × its amount, summed.
        item.days = sum(days * count for _day, days, count in item.spans)
        fmt["days"] = item.days
    else:
        runs = covered_days(item.spans)
        item.days = fmt["days"] = sum((last - first).days + 1 for first, last, _n in runs)
        if n > 1:
            lines.append(days_line(runs))
    amount = rate_percent / HUNDRED * (day_amount if overdue else total * item.days)
    fmt["amount"] = yuan(money(amount))
    if overdue and n > 1:
        fmt["sum"] = yuan(day_amount)
        lines.append(
            ngettext(
                "%(count)s breach: Σ days late × overdue amount = %(sum)s; × %(rate)s%% = %(amount)s",
                "%(count)s breaches: Σ days late × overdue amount = %(sum)s; × %(rate)s%% = %(amount)s",
                n,
            )
            % fmt
        )
    else:
        if overdue and item.days:
            # One breach: its overdue amount comes back out of the day-weighted sum.
            fmt["base"] = yuan(day_amount / item.days)
        lines.append(
            ngettext(
                "%(days)s day × %(rate)s%% × %(base)s = %(amount)s",
                "%(days)s days × %(rate)s%% × %(base)s = %(amount)s",
                item.days,
            )
            % fmt
        )
    return amount


SHAPE = ClauseShape(
    code="per_day",
    label=gettext_lazy("Per day of delay"),
    price=price,
    counts_days=True,
    takes=frozenset({OVERDUE_BASE, LPR_RATE}),
)
