from django import template

from contracts.intake.sources import field_source_link, source_link

register = template.Library()


@register.simple_tag
def term_source(sources, obj):
    """ "依据：第六条第2款", linking to the term's sentence in its original, or nothing."""
    return source_link(sources, obj)


@register.simple_tag
def field_source(sources, name):
    """The same for a field of the contract itself ("total", "signed_on"...)."""
    return field_source_link(sources, name)
