"""A long incident list month by month, and a long report laid out in two halves at once
(reports.rendering._by_month, reports.parts, reports.forked): the same pages as one pass."""

import copy
import datetime as dt

import pytest
from django.utils import translation

from reports import forked, parts, rendering
from reports.building import build_data
from reports.pdf import write_pdf
from reports.rendering import report_html, report_parts
from tests.reports.report_data import june
from tests.reports.test_acceptance import _outline
from tests.reports.test_pdf_parts import pages_of, placed

pytestmark = pytest.mark.django_db

QUARTER = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
SMALL = {"first_units": 6, "part_pages": 2}


@pytest.fixture
def long_quarter(contract_a, monkeypatch):
    """A quarter's snapshot with 90 incidents, 30 a month: "long" from 20 rows here."""
    monkeypatch.setattr(rendering, "MONTHS_FROM_ROWS", 20)
    june(contract_a)
    data = build_data(contract_a, "quarterly", *QUARTER)
    june_data = build_data(contract_a, "monthly", dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    model = june_data["incidents"]["list"][0]
    data["incidents"]["list"] = [
        {
            **copy.deepcopy(model),
            "number": f"GZ-{i:04d}",
            "title": f"季度故障{i}",
            "reported_at": f"2026-{7 + i // 30:02d}-{1 + i % 30:02d}T09:00:00+08:00",
            "resolved_at": f"2026-{7 + i // 30:02d}-{1 + i % 30:02d}T11:00:00+08:00",
        }
        for i in range(90)
    ]
    return data


@pytest.fixture
def fork_spy(monkeypatch):
    """Forks allowed here (pytest-xdist's worker runs a thread of its own, which lays nothing
    out), and counted."""
    started = []
    real = forked.Forked

    class Spy(real):
        def __init__(self, work):
            started.append(work)
            super().__init__(work)

    monkeypatch.setattr(forked, "can_fork", lambda: True)
    monkeypatch.setattr(forked, "Forked", Spy)
    return started


def test_a_long_list_prints_month_by_month_each_from_a_new_page(long_quarter, tmp_path):
    pages = pages_of(write_pdf(report_html(long_quarter, {})), tmp_path)

    def page_of(text):
        return next(n for n, page in enumerate(pages) if text in page)

    july = page_of("2026 年 7 月（30 起）")
    assert page_of("季度故障0") == july  # July follows the list's heading, on its page
    # August and September each open a page, their first rows beneath their heading.
    for heading, first, last_before in (("2026 年 8 月（30 起）", 30, 29), ("2026 年 9 月（30 起）", 60, 59)):
        assert page_of(heading) == page_of(f"季度故障{first} ") > page_of(f"季度故障{last_before} ")
        lines = [line.strip() for line in pages[page_of(heading)].splitlines() if line.strip()]
        assert lines[1] == heading, lines[:3]  # under the page's header, nothing above it


def test_a_short_list_has_no_months(long_quarter, monkeypatch, tmp_path):
    monkeypatch.setattr(rendering, "MONTHS_FROM_ROWS", 90)
    text = "".join(pages_of(write_pdf(report_html(long_quarter, {})), tmp_path))
    assert "季度故障89" in text and "年 8 月（" not in text


def test_two_halves_at_once_make_the_pages_of_one_pass(long_quarter, fork_spy, tmp_path):
    once = write_pdf(report_html(long_quarter, {}))
    alone = report_parts(long_quarter, {}, processes=1, **SMALL)
    assert not fork_spy
    halves = report_parts(long_quarter, {}, processes=2, **SMALL)
    assert len(fork_spy) == 1  # the half after a month's break went to a forked process
    for joined in (alone, halves):
        pdf = joined.pdf()
        assert placed(pdf, tmp_path) == placed(once, tmp_path)
        assert _outline(pdf) == _outline(once)
    assert halves.parts >= 4
    assert {"2026 年 7 月（30 起）", "2026 年 8 月（30 起）", "2026 年 9 月（30 起）"} <= set(_outline(once))


def test_a_layout_is_split_at_the_break_nearest_its_middle(long_quarter):
    with translation.override("zh-hans"):
        layout = rendering.report_layout(rendering._report(long_quarter, {}, None, False))
    first = next(u0 for u0, block in zip(layout.starts, layout.blocks, strict=True) if block.rows)
    assert layout.breaks == [first + 30, first + 60]
    assert layout.split() == min(layout.breaks, key=lambda unit: abs(2 * unit - layout.units))
    assert parts.Layout(frame={}, base={}, blocks=[parts.Block("x.html")]).split() is None


def test_without_a_fork_the_halves_are_laid_out_here(long_quarter, monkeypatch, tmp_path):
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    started = []
    monkeypatch.setattr(forked, "Forked", lambda work: started.append(work))
    joined = report_parts(long_quarter, {}, processes=2, **SMALL)
    assert not started
    assert "季度故障89" in "".join(pages_of(joined.pdf(), tmp_path))
