"""A long report laid out in parts (reports.parts): the same text as one pass, "第 N 页 / 共 M 页"
right across the parts, CJK fonts embedded in every part, the outline kept; read back with
poppler's pdftotext, pdfinfo and pdffonts."""

import copy
import datetime as dt
import re
import subprocess

import pytest

from reports import parts
from reports.building import build_data
from reports.pdf import write_pdf
from reports.rendering import _report, report_html, report_layout, report_parts, report_pdf
from tests.reports.report_data import june
from tests.reports.test_acceptance import _outline

pytestmark = pytest.mark.django_db

JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
SIGNATURE = {
    "vendor_org": "甲科技有限公司",
    "vendor_by": "王经理",
    "vendor_at": "2026-07-02",
    "client_org": "甲市公安局",
}
# Small parts: a few units each, so that a report of a dozen pages takes several.
SMALL = {"first_units": 6, "part_pages": 2}
FOOTER = re.compile(r"第 (\d+) 页 / 共 (\d+) 页")


def poppler(tool: str, pdf: bytes, tmp_path, *args) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pages_of(pdf: bytes, tmp_path) -> list[str]:
    return poppler("pdftotext", pdf, tmp_path, "-layout").split("\f")[:-1]


def page_count(pdf: bytes, tmp_path) -> int:
    return int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", pdf, tmp_path)).group(1))


def placed(pdf: bytes, tmp_path) -> list[list[tuple[str, float]]]:
    """Each page's words with their height on the page (pdftotext -bbox), footers left out: two
    PDFs that agree here print the same words at the same places, not only on the same pages."""
    html = poppler("pdftotext", pdf, tmp_path, "-bbox")
    pages, footer = [], re.compile(r"第|页|/|共|\d+")
    for page in html.split("<page ")[1:]:
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page)
        pages.append([(word, round(float(y), 1)) for y, word in words if not footer.fullmatch(word)])
    return pages


def body(page: str) -> str:
    """A page's words without its footer, spaces squeezed."""
    return re.sub(r"\s+", " ", FOOTER.sub("", page)).strip()


@pytest.fixture
def long_month(contract_a):
    """June's snapshot with its incidents and work log repeated: about a dozen pages."""
    june(contract_a)
    data = build_data(contract_a, "monthly", *JUNE)
    incidents = data["incidents"]["list"]
    data["incidents"]["list"] = [
        {**copy.deepcopy(incidents[i % len(incidents)]), "number": f"GZ-{i:04d}", "title": f"长报告故障{i}"}
        for i in range(40)
    ]
    data["work_log"] = [
        {**data["work_log"][i % len(data["work_log"])], "handler": f"工程师{i}"} for i in range(60)
    ]
    return data


def test_a_report_in_parts_reads_as_in_one_pass(long_month, tmp_path):
    narrative = {"summary": "本月运行平稳。", "plan": "下月计划扩容。"}
    once = write_pdf(report_html(long_month, narrative, signature=SIGNATURE))
    # The production path: laid out under zh-hans whatever language an earlier test left active.
    joined = report_parts(long_month, narrative, signature=SIGNATURE, **SMALL)
    in_parts = joined.pdf()
    assert joined.parts >= 3, joined.parts
    one, split = pages_of(once, tmp_path), pages_of(in_parts, tmp_path)
    # The same words, page by page: a part starts where a single pass turned the page.
    assert len(split) == len(one) >= 8
    assert [body(p) for p in split] == [body(p) for p in one]
    # At the same places: a part's first page lost the body's top margin as one pass's pages do.
    assert placed(in_parts, tmp_path) == placed(once, tmp_path)
    assert "长报告故障39" in split[-1] or "长报告故障39" in "".join(split)
    assert "签署" in split[-1]
    # The outline is the one-pass outline: the title, then each numbered section.
    assert _outline(in_parts) == _outline(once)
    assert any(title.startswith("一、") for title in _outline(in_parts))


def test_pages_are_numbered_across_the_parts(long_month, tmp_path):
    pdf = report_pdf(long_month, {}, **SMALL)
    total = page_count(pdf, tmp_path)
    pages = pages_of(pdf, tmp_path)
    assert len(pages) == total > 4
    # Each page has one footer, its own number over the whole document's count.
    for number, page in enumerate(pages, start=1):
        assert FOOTER.findall(page) == [(str(number), str(total))], (number, page[-200:])
    text = poppler("pdftotext", pdf, tmp_path)
    assert f"第 1 页 / 共 {total} 页" in text and f"第 {total} 页 / 共 {total} 页" in text


def test_every_part_prints_chinese_in_embedded_cjk_fonts(long_month, tmp_path):
    pdf = report_pdf(long_month, {}, draft=True, **SMALL)
    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts
    for line in fonts:
        # name, type, encoding, emb, sub, uni: every font embedded, CJK, with a Unicode map.
        assert re.search(r"(Noto-Sans-CJK-SC|OM-Portal-Sans-SC)", line), line
        assert re.search(r"\byes\s+yes\s+yes\b", line), line
    pages = pages_of(pdf, tmp_path)
    assert all("草稿" in page for page in pages)  # the draft mark on every page of every part
    assert "\ufffd" not in "".join(pages) and "□" not in "".join(pages)
    assert "违约事项" in "".join(pages) and "工程师59" in "".join(pages)


def test_a_short_report_takes_one_part(contract_a, tmp_path):
    june(contract_a)
    data = build_data(contract_a, "monthly", *JUNE)
    joined = parts.Joined()
    joined.add_layout(report_layout(_report(data, {}, None, False)))
    pdf = joined.pdf()
    assert joined.parts == 1
    total = page_count(pdf, tmp_path)
    assert f"第{total}页/共{total}页" in "".join(poppler("pdftotext", pdf, tmp_path).split())


def test_the_joined_report_signs_and_verifies(long_month):
    from reports.signing import sign_pdf, verify_pdf

    signed = sign_pdf(report_pdf(long_month, {}, signature=SIGNATURE, **SMALL), reason="test", record=False)
    verdict = verify_pdf(signed)
    assert verdict.intact and verdict.valid and verdict.trusted


@pytest.mark.parametrize(
    ("units_by_page", "start", "cut"),
    [
        # The last page's unit began a page up, and so did that page's first: three pages go.
        ([{0, 1}, {2, 3}, {3, 4}, {4}], 0, (1, 2)),
        ([{0, 1}, {2, 3}, {4}], 0, (2, 4)),
        # A dropped page also holds the end of a unit begun before it (5, then 2): nothing to keep.
        ([{0, 1, 2}, {2, 3, 4, 5}, {5, 6, 7}, {7}], 0, None),
        ([{0, 1, 2}, {2, 3, 4, 5}, {5, 6, 7}, {7, 8}, {9}], 0, (4, 9)),
        ([{4, 5}, {6}], 4, (1, 6)),
        ([{4, 5}], 4, None),  # one page: too short to cut
        ([{4, 5}, {5}], 4, None),
    ],
)
def test_a_part_is_cut_before_the_pages_its_last_units_share(units_by_page, start, cut):
    assert parts._cut(units_by_page, start) == cut


def test_footers_laid_out_in_batches_number_the_whole_document(long_month, tmp_path):
    """A batch of footers starts anywhere in the document: its numbers are written out, not
    counted, and match the ones of a single batch, appended pages with their label."""
    from reports.signing import sign_pdf

    report = sign_pdf(report_pdf(long_month, {}, **SMALL), reason="test", record=False)
    texts = []
    for chunk in (3, 1000):
        joined = parts.Joined()
        joined.add_layout(report_layout(_report(long_month, {}, None, False)), **SMALL)
        joined.add_pdf(report)
        joined.stamp("验收材料", chunk=chunk)
        joined.stamp = lambda label: None  # stamped above, in batches of ``chunk``
        texts.append(pages_of(joined.pdf(), tmp_path))
    batched, whole = texts
    assert batched == whole
    total = len(whole)
    own = total - page_count(report, tmp_path)
    for number, page in enumerate(whole, start=1):
        if number <= own:
            assert FOOTER.findall(page) == [(str(number), str(total))], (number, page[-200:])
        else:  # the report's own footer, and the package's number in the corner
            assert f"验收材料第{number}页/共{total}页" in "".join(page.split()), (number, page[-200:])


def test_an_appended_pdf_is_not_kept_once_its_pages_are_copied():
    """A package appends a term's reports one file at a time: pypdf's writer would otherwise keep
    every reader it copied from, with its file and every object it parsed, to the end."""
    import gc
    import io
    import weakref

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    source = io.BytesIO()
    writer.write(source)
    joined = parts.Joined()
    joined.add_pdf(source)
    gone = weakref.ref(source)
    del source
    gc.collect()
    assert gone() is None
    assert len(joined.writer.pages) == 1


def test_parts_are_laid_out_with_the_collector_held_back_and_given_back(long_month, monkeypatch):
    """The cyclic collector ran about 850 times for a part of 22 pages (a fifth of its CPU time):
    while parts and footers are laid out its thresholds are raised and what lived before is
    frozen; afterwards the worker's thresholds are as they were and nothing stays frozen."""
    import gc

    from reports.pdf import LAYOUT_GC_THRESHOLD, Renderer

    seen = []
    layout = Renderer.document

    def watched(self, html):
        seen.append((gc.get_threshold(), gc.get_freeze_count() > 0))
        return layout(self, html)

    monkeypatch.setattr(Renderer, "document", watched)
    before = gc.get_threshold()
    report_pdf(long_month, {}, **SMALL)
    assert len(seen) > 2  # parts, then footers
    assert seen == [(LAYOUT_GC_THRESHOLD, True)] * len(seen)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
