"""Count threshold: the rate of the total each time N events happen within a contract year.

Seed 004: more than two replacements of resident staff in a contract year cost 1%. The staffing
service counts the events and records one breach per crossing, so the clause prices crossings.
"""

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy, ngettext

from contracts.shapes.base import HUNDRED, ClauseShape, figures, money, yuan


def price(item, rate_percent: Decimal, total: Decimal, day_amount: Decimal) -> Decimal:
    n = item.breaches
    amount = rate_percent / HUNDRED * total * n
    fmt = figures(item, rate_percent, total) | {
        "amount": yuan(money(amount)),
        "threshold": item.clause.threshold_count,
    }
    item.lines.append(
        ngettext(
            "%(count)s crossing of the threshold (%(threshold)s events in a contract year) "
            "× %(rate)s%% × %(base)s = %(amount)s",
            "%(count)s crossings of the threshold (%(threshold)s events in a contract year) "
            "× %(rate)s%% × %(base)s = %(amount)s",
            n,
        )
        % fmt
    )
    return amount


def check(clause) -> dict[str, str]:
    if not clause.threshold_count:
        return {"threshold_count": gettext("A count-threshold clause needs its count.")}
    return {}


SHAPE = ClauseShape(
    code="count_threshold",
    label=gettext_lazy("Count threshold within a contract year"),
    price=price,
    check=check,
)
