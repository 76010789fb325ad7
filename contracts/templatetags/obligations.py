from django import template

from contracts import obligations

register = template.Library()


@register.filter
def kind_label(code) -> str:
    """A kind of breach as a person reads it: {{ u.kind|kind_label }} → 到达现场超时."""
    return obligations.label(code) if code else ""
