"""One-off: the rate of the total once, when the breach happens, however often it does.

Seed 002: 5%, 3% and 3% for its kinds of breach; seed 003: 20% for the vendor's breach.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy, ngettext

from contracts.shapes.base import HUNDRED, ClauseShape, figures, money, yuan


def price(item, rate_percent: Decimal, total: Decimal, day_amount: Decimal) -> Decimal:
    fmt = figures(item, rate_percent, total)
    amount = rate_percent / HUNDRED * total
    fmt["amount"] = yuan(money(amount))
    item.lines.append(
        ngettext(
            "One-off: %(rate)s%% × %(base)s = %(amount)s (%(count)s breach)",
            "One-off: %(rate)s%% × %(base)s = %(amount)s (%(count)s breaches, counted once)",
            item.breaches,
        )
        % fmt
    )
    return amount


SHAPE = ClauseShape(code="one_off", label=gettext_lazy("One-off"), price=price)
