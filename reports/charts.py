"""Charts drawn on the server as inline SVG, for the report PDFs and the dashboard.

No JavaScript and no external references: police networks are closed and the PDF renderer fetches
nothing but the project's static files. Every label is escaped here, so the returned SafeString
can be put in a template as it is. The output depends only on the arguments (no ids, no
randomness), so the same snapshot draws the same chart years later.
"""

import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = '"Noto Sans CJK SC", "OM Portal Sans SC", sans-serif'
FONT_SIZE = 11
# Colour per series, in order; chosen to stay apart when printed in grey.
PALETTE = ("#2f6db3", "#e07b39", "#3a9d5d", "#b8404a", "#7d5ba6", "#8c8c8c")
TEXT = "#222"
GRID = "#d6d9de"
EMPTY = "—"


def _fmt(value: float | None) -> str:
    """A figure as printed on a chart: whole numbers without decimals, others with one."""
    if value is None:
        return EMPTY
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _fmt_unit(value: float | None, unit: str) -> str:
    return EMPTY if value is None else _fmt(value) + unit


def _num(value: float) -> str:
    """A coordinate, short and stable (no float noise such as 12.000000001)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rough drawn width: wide (CJK) characters take a full em, others a little over half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def _fit(text: str, room: float, size: float = FONT_SIZE) -> str:
    """The text cut with an ellipsis so it fits in ``room``; a long label must not cover the bars."""
    if _text_width(text, size) <= room:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch + "…", size) > room:
            break
        out += ch
    return out + "…"


def _svg(width: float, height: float, body: list[str], title: str) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'font-family="{escape(FONT)}" font-size="{FONT_SIZE}">'
    )
    # Safe: every text that went into ``body`` and the title was escaped where it was added.
    return mark_safe(head + f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")  # noqa: S308


def _scale_max(values, max_value: float | None) -> float:
    if max_value is not None and max_value > 0:
        return float(max_value)
    biggest = max((float(v) for v in values if v is not None), default=0.0)
    return biggest if biggest > 0 else 1.0


def bar_chart(
    rows: list[tuple[str, float]], *, unit: str = "", max_value: float | None = None, width: int = 480
) -> SafeString:
    """Horizontal bars, one per row: the label on the left, the value after the bar.

    ``max_value`` fixes the scale (100 for percentages); otherwise the largest value fills the
    width. A value of None draws no bar and prints "—".
    """
    row_h, bar_h, pad = 22, 14, 4
    rows = [(str(label), value) for label, value in rows]
    label_room = min(max((_text_width(label) for label, _ in rows), default=0.0), width * 0.35)
    value_room = max((_text_width(_fmt_unit(v, unit)) for _, v in rows), default=0.0) + 6
    x0 = pad + label_room + 6
    bar_room = max(width - x0 - value_room - pad, 10.0)
    top = max_value if max_value is not None and max_value > 0 else None
    scale = _scale_max([v for _, v in rows], top)
    height = max(len(rows), 1) * row_h + 2 * pad
    body = []
    if not rows:
        body.append(
            f'<text x="{_num(width / 2)}" y="{_num(height / 2 + 4)}" text-anchor="middle" fill="{TEXT}">'
            f"{EMPTY}</text>"
        )
    for i, (label, value) in enumerate(rows):
        y = pad + i * row_h
        mid = y + row_h / 2 + 4
        body.append(
            f'<text x="{_num(x0 - 6)}" y="{_num(mid)}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_fit(label, label_room))}</text>"
        )
        length = 0.0
        if value is not None:
            length = max(0.0, min(float(value), scale)) / scale * bar_room
            body.append(
                f'<rect x="{_num(x0)}" y="{_num(y + (row_h - bar_h) / 2)}" width="{_num(length)}" '
                f'height="{bar_h}" fill="{PALETTE[0]}"/>'
            )
        body.append(
            f'<text x="{_num(x0 + length + 4)}" y="{_num(mid)}" fill="{TEXT}">'
            f"{escape(_fmt_unit(value, unit))}</text>"
        )
    title = "; ".join(f"{label}: {_fmt_unit(value, unit)}" for label, value in rows)
    return _svg(width, height, body, title or EMPTY)


def trend_chart(
    labels: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    unit: str = "",
    max_value: float | None = None,
    width: int = 520,
    height: int = 200,
    style: str = "columns",
) -> SafeString:
    """A value per label for one or more series, with a legend: grouped columns, or lines when
    ``style="lines"``. None is a gap (no column, a break in the line), not a zero."""
    labels = [str(label) for label in labels]
    series = [(str(name), list(values)) for name, values in series]
    pad, legend_h, axis_h = 4, 18 if series else 0, 18
    scale = _scale_max([v for _, values in series for v in values], max_value)
    scale_text = _fmt(scale) + unit
    x0 = pad + _text_width(scale_text) + 6
    x1 = width - pad
    y_top = pad + legend_h + 6
    y_base = height - pad - axis_h
    plot_h = max(y_base - y_top, 10.0)
    n = max(len(labels), 1)
    slot = (x1 - x0) / n
    body = [
        # The axis: a baseline, a grid line at the top of the scale and at its half.
        f'<line x1="{_num(x0)}" y1="{_num(y_base)}" x2="{_num(x1)}" y2="{_num(y_base)}" '
        'stroke="#888" stroke-width="1"/>',
    ]
    for frac in (0.5, 1.0):
        y = y_base - frac * plot_h
        body.append(
            f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x1)}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        body.append(
            f'<text x="{_num(x0 - 4)}" y="{_num(y + 4)}" text-anchor="end" font-size="9" fill="{TEXT}">'
            f"{escape(_fmt(scale * frac) + unit)}</text>"
        )
    body.append(
        f'<text x="{_num(x0 - 4)}" y="{_num(y_base + 4)}" text-anchor="end" font-size="9" '
        f'fill="{TEXT}">0</text>'
    )

    # Print every label when they fit, else every k-th so they do not run into each other.
    widest = max((_text_width(label, 9) for label in labels), default=0.0)
    step = 1
    while step < n and widest + 4 > slot * step:
        step += 1
    for i, label in enumerate(labels):
        if i % step:
            continue
        cx = x0 + slot * (i + 0.5)
        body.append(
            f'<text x="{_num(cx)}" y="{_num(y_base + 13)}" text-anchor="middle" font-size="9" fill="{TEXT}">'
            f"{escape(_fit(label, slot * step - 2, 9))}</text>"
        )

    def y_of(value: float) -> float:
        return y_base - max(0.0, min(float(value), scale)) / scale * plot_h

    k = max(len(series), 1)
    col_w = max(slot * 0.8 / k, 1.0)
    for s, (_name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        if style == "lines":
            run: list[str] = []
            runs = [run]
            for i, value in enumerate(values[: len(labels)]):
                if value is None:
                    run = []
                    runs.append(run)
                    continue
                run.append(f"{_num(x0 + slot * (i + 0.5))},{_num(y_of(value))}")
            for points in runs:
                if len(points) > 1:
                    body.append(
                        f'<polyline points="{" ".join(points)}" fill="none" '
                        f'stroke="{colour}" stroke-width="1.8"/>'
                    )
                for point in points:
                    cx, cy = point.split(",")
                    body.append(f'<circle cx="{cx}" cy="{cy}" r="2.2" fill="{colour}"/>')
        else:
            for i, value in enumerate(values[: len(labels)]):
                if value is None:
                    continue
                x = x0 + slot * i + slot * 0.1 + s * col_w
                y = y_of(value)
                body.append(
                    f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(col_w)}" height="{_num(y_base - y)}" '
                    f'fill="{colour}"/>'
                )

    # The legend, left to right above the plot.
    x = x0
    for s, (name, _values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        body.append(f'<rect x="{_num(x)}" y="{_num(pad + 3)}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{_num(x + 14)}" y="{_num(pad + 12)}" fill="{TEXT}">{escape(name)}</text>')
        x += 14 + _text_width(name) + 14

    title = "; ".join(
        f"{name}: "
        + ", ".join(f"{label} {_fmt_unit(v, unit)}" for label, v in zip(labels, values, strict=False))
        for name, values in series
    )
    return _svg(width, height, body, title or EMPTY)


def percent_ring(value: float | None, *, label: str = "") -> SafeString:
    """A ring filled to ``value`` percent with the figure in the middle and the label below;
    None (nothing to measure) draws an empty ring with "—"."""
    size, r, stroke, width = 120, 44, 12, 160
    cx, cy = width / 2, size / 2
    label_h = 20 if label else 0
    circumference = 2 * 3.141592653589793 * r
    text = EMPTY if value is None else f"{float(value):.1f}%"
    body = [
        f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{r}" fill="none" '
        f'stroke="{GRID}" stroke-width="{stroke}"/>',
    ]
    if value is not None:
        filled = max(0.0, min(float(value), 100.0)) / 100 * circumference
        # Start at twelve o'clock and go clockwise.
        body.append(
            f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{r}" fill="none" stroke="{PALETTE[0]}" '
            f'stroke-width="{stroke}" stroke-dasharray="{_num(filled)} {_num(circumference)}" '
            f'transform="rotate(-90 {_num(cx)} {_num(cy)})"/>'
        )
    body.append(
        f'<text x="{_num(cx)}" y="{_num(cy + 6)}" text-anchor="middle" font-size="17" '
        f'fill="{TEXT}">{escape(text)}</text>'
    )
    if label:
        body.append(
            f'<text x="{_num(cx)}" y="{_num(size + 14)}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(_fit(label, width - 4))}</text>"
        )
    return _svg(width, size + label_h, body, f"{label}: {text}" if label else text)
