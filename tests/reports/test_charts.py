"""reports.charts: server-made SVG, escaped, deterministic, with nothing fetched from outside."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from reports.charts import bar_chart, percent_ring, trend_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    # Our own output, no entities: well-formed XML, or this raises.
    return ET.fromstring(str(svg))  # noqa: S314


def texts(svg) -> list[str]:
    return [t.text for t in parse(svg).iter(f"{SVG}text")]


def rects(svg) -> list[ET.Element]:
    return list(parse(svg).iter(f"{SVG}rect"))


def assert_self_contained(svg: str) -> None:
    # The only URL is the SVG namespace: no links, images, scripts, styles or fonts to fetch.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    for forbidden in ("href", "url(", "<script", "<image", "<style", "<foreignObject", "@import"):
        assert forbidden not in svg


HOSTILE = '<script>alert("x")</script>&<b>'


def test_bar_chart_escapes_labels_and_units_and_is_deterministic():
    svg = bar_chart([(HOSTILE, 3), ("一般", 1.5)], unit="<i>件")
    assert isinstance(svg, SafeString)
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg
    assert "&lt;script&gt;" in svg
    assert_self_contained(svg)
    # Parsed back, the texts are the originals (escaped once, not twice).
    assert texts(bar_chart([(HOSTILE, 3)], width=900))[0] == HOSTILE
    assert "1.5<i>件" in texts(svg)
    assert bar_chart([(HOSTILE, 3), ("一般", 1.5)], unit="<i>件") == svg


def test_bar_lengths_follow_the_values_and_the_scale():
    def widths(svg):
        return [float(r.get("width")) for r in rects(svg)]

    # 50 is half of the largest value, 100: half its length.
    half, full = widths(bar_chart([("a", 50), ("b", 100)]))
    assert half == pytest.approx(full / 2, abs=0.1)
    # Scaled to 200, 100 takes half the room that 200 would.
    scaled = widths(bar_chart([("a", 50), ("b", 100)], max_value=200))
    assert scaled[1] == pytest.approx(full / 2, abs=0.1) and scaled[0] == pytest.approx(full / 4, abs=0.1)
    # Above the scale the bar stops at its end; None draws no bar and prints a dash.
    over = widths(bar_chart([("a", 300), ("b", 100)], max_value=100))
    assert over[0] == pytest.approx(over[1], abs=0.1)
    svg = bar_chart([("无数据", None), ("b", 2)], unit="%")
    assert len(rects(svg)) == 1 and "—" in texts(svg)


def test_a_long_label_is_cut_so_it_does_not_cover_the_bars():
    label = "非常长的服务项目名称" * 6
    svg = bar_chart([(label, 1)], width=300)
    shown = texts(svg)[0]
    assert shown.endswith("…") and len(shown) < len(label)
    # The full label stays in the title, for screen readers and tooltips.
    assert label in parse(svg).find(f"{SVG}title").text


def test_an_empty_bar_chart_is_still_a_chart():
    svg = bar_chart([])
    assert texts(svg) == ["—"] and rects(svg) == []


def test_trend_chart_columns_skip_gaps_and_name_the_series():
    svg = trend_chart(["6月", "7月", "8月"], [("故障<数>", [3, None, 1]), ("超时", [1, 0, None])], unit="起")
    assert isinstance(svg, SafeString)
    assert_self_contained(svg)
    # Columns: 3 and 1 of the first series, 1 and 0 of the second (a zero is drawn, flat); plus a
    # legend square per series.
    columns = [r for r in rects(svg) if r.get("width") != "10"]
    assert len(columns) == 4
    assert "故障<数>" in texts(svg) and "&lt;数&gt;" in svg
    assert (
        trend_chart(["6月", "7月", "8月"], [("故障<数>", [3, None, 1]), ("超时", [1, 0, None])], unit="起")
        == svg
    )


def test_trend_chart_lines_break_at_gaps():
    svg = trend_chart(
        ["a", "b", "c", "d", "e"], [("SLA", [90, 80, None, 70, 60])], unit="%", max_value=100, style="lines"
    )
    lines = list(parse(svg).iter(f"{SVG}polyline"))
    # Two runs (a–b and d–e) around the gap, each with two points; a dot per value.
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(list(parse(svg).iter(f"{SVG}circle"))) == 4
    assert "100%" in texts(svg) and "50%" in texts(svg)


def test_many_labels_are_thinned_so_they_do_not_overlap():
    labels = [f"第{i}周" for i in range(1, 53)]
    svg = trend_chart(labels, [("故障", [1.0] * 52)])
    shown = [t for t in texts(svg) if t and t.startswith("第")]
    assert 1 < len(shown) < 52 and shown[0] == "第1周"


def test_percent_ring_fills_its_share_and_shows_the_figure():
    svg = percent_ring(75, label="SLA <达成率>")
    assert_self_contained(svg)
    circles = list(parse(svg).iter(f"{SVG}circle"))
    filled, whole = (float(v) for v in circles[1].get("stroke-dasharray").split())
    assert filled == pytest.approx(whole * 0.75, abs=0.1)
    assert texts(svg) == ["75.0%", "SLA <达成率>"]
    # Nothing to measure: an empty ring and a dash; above 100 it is full, not more.
    assert (
        texts(percent_ring(None)) == ["—"] and len(list(parse(percent_ring(None)).iter(f"{SVG}circle"))) == 1
    )
    over = list(parse(percent_ring(130)).iter(f"{SVG}circle"))[1].get("stroke-dasharray").split()
    assert float(over[0]) == pytest.approx(float(over[1]), abs=0.1)
