from django import template

register = template.Library()


@register.filter
def css_string(value) -> str:
    """The value as the inside of a double-quoted CSS string (``content: "…"``).

    Backslash, quote and line breaks are written as CSS escapes, and ``<`` too so that the value
    cannot close the ``<style>`` element it sits in.
    """
    out = []
    for ch in str(value):
        if ch in '\\"<>' or ch in "\n\r\f" or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


@register.simple_tag
def pdf_static(path: str) -> str:
    """The URL of a static file for the PDF renderer, whose fetcher serves only these."""
    from reports.pdf import BASE_URL

    return BASE_URL + path.lstrip("/")
