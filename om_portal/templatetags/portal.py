from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥708,000.00 — money as the contracts write it; blank for no value."""
    if value is None or value == "":
        return ""
    return f"¥{Decimal(value):,.2f}"
