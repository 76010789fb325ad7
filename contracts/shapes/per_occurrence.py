"""Per occurrence: the rate of the total each time, escalating at the N-th occurrence.

Seed 004: 1% each time, 20% at the third; the clause's mode says whether the escalated amount
replaces the single charges or adds to them.
"""

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy, ngettext

from contracts.shapes.base import ESCALATION, HUNDRED, ClauseShape, Escalation, figures, money, percent, yuan


def price(item, rate_percent: Decimal, total: Decimal, day_amount: Decimal) -> Decimal:
    clause, n, lines = item.clause, item.breaches, item.lines
    fmt = figures(item, rate_percent, total)
    amount = rate_percent / HUNDRED * total * n
    fmt["amount"] = yuan(money(amount))
    lines.append(
        ngettext(
            "%(count)s occurrence × %(rate)s%% × %(base)s = %(amount)s",
            "%(count)s occurrences × %(rate)s%% × %(base)s = %(amount)s",
            n,
        )
        % fmt
    )
    if not (clause.escalation_at and n >= clause.escalation_at):
        return amount
    escalated = clause.escalation_percent / HUNDRED * total
    esc = {**fmt, "at": clause.escalation_at, "rate": percent(clause.escalation_percent)}
    esc["amount"] = yuan(money(escalated))
    if clause.escalation_mode == Escalation.ADDS:
        lines.append(
            gettext("At occurrence %(at)s it escalates: %(rate)s%% × %(base)s = %(amount)s is added") % esc
        )
        lines.append(f"{fmt['amount']} + {esc['amount']} = {yuan(money(amount + escalated))}")
        return amount + escalated
    lines.append(
        gettext(
            "At occurrence %(at)s it escalates: %(rate)s%% × %(base)s = %(amount)s "
            "replaces the per-occurrence amounts"
        )
        % esc
    )
    return escalated


SHAPE = ClauseShape(
    code="per_occurrence",
    label=gettext_lazy("Per occurrence"),
    price=price,
    takes=frozenset({ESCALATION}),
)
