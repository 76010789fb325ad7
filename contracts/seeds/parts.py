"""What the seed contracts' declarations share."""

from decimal import Decimal as D

W = D(10000)  # 万元


def items(category, *lines):
    return [{"category": category, "name": name, "amount": amount, **extra} for name, amount, extra in lines]


def sla(clock, target, unit, severity="", condition="", clause="", note=""):
    return {
        "clock": clock,
        "target": target,
        "unit": unit,
        "severity": severity,
        "condition": condition,
        "clause": clause,
        "note": note,
    }


SEVERITIES = ["emergency", "severe", "general"]
