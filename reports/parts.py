"""Long PDFs laid out in bounded parts, then joined into one (issue 17).

WeasyPrint keeps every box of a document, with its computed style, until the PDF is written: a
191-page annual report took 783 MB in one pass. Here a document is a list of blocks (the head,
each section, the signatures) whose long lists (incidents, the work log) are split by rows; its
units — a whole block, or one row — are laid out a part at a time, and each part is written to
PDF bytes and freed before the next. All parts share one ``pdf.Renderer`` (fonts, fetcher,
pdf.css parsed once).

Where a part ends the page is seldom full, so the pages holding the part's last units are not
kept: the next part starts with the first unit of those pages, and the pages fall where a single
pass would put them. Each unit's element carries ``data-u`` (its number), by which the units of a
laid-out page are read back from its boxes.

The parts have no footer: "第 N 页 / 共 M 页" needs M, known only at the end, so the footers are
laid out last on empty pages (cheap, a hundred at a time) and each drawn onto its page as a form
XObject, in the same CJK font: the page's own content is wrapped, never parsed or re-encoded.
The outline is rebuilt from the kept pages' bookmarks. Another PDF's pages (a stored, signed
report in an acceptance package) can be appended with their outline, read from a file one at a
time; they keep their own footer and get the joined document's number in the corner. The joined
PDF can be written to a file (``write``) rather than held as bytes.

What follows a forced page break depends on nothing before it: a layout with one (a long incident
list, month by month) is cut there in two halves, and the second is laid out at the same time in
a fork of the render (reports.forked), on the worker's second core; its parts come back as PDF
bytes and are joined after the first half's.
"""

import gc
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html

PART = "reports/pdf/part.html"
FOOTERS = "reports/pdf/footers.html"
# Pages a part aims at: its boxes are what a render holds (about 3 MB a page of a dense table).
PART_PAGES = 24
# Footers laid out at once: an empty page's boxes are small, but a term's package has 500 pages.
FOOTER_PAGES = 100
# Units of the first part, before the pages they fill are known (a later part is sized by the
# pages per unit of the parts before it).
FIRST_UNITS = 120
# How much smaller the parts are when a layout is laid out in two halves at once.
HALVES_SMALLER = 3
PX = 0.75  # WeasyPrint's CSS pixel, in PDF points


@dataclass
class Block:
    """A template the document prints whole, or by rows when ``rows`` is given: its ``section``
    then gets the part's slice as ``rows``, ``lead`` (print the heading) and ``row_u0`` (the unit
    number of its first row) — see the incidents_table section."""

    template: str
    context: dict = field(default_factory=dict)
    rows: Sequence | None = None

    @property
    def units(self) -> int:
        return len(self.rows) if self.rows else 1


@dataclass
class Layout:
    """A document to render in parts: ``frame`` is the context of part.html (doc, title, draft,
    signature=None), ``base`` what every block's template sees besides its own context."""

    frame: dict
    base: dict
    blocks: list[Block]

    def __post_init__(self):
        self.starts, first = [], 0
        # Units printed after a forced page break (a row marked new_page: a month of a long
        # incident list): the pages before them do not depend on them, nor they on those pages.
        self.breaks = []
        for block in self.blocks:
            self.starts.append(first)
            self.breaks += [first + i for i, row in enumerate(block.rows or ()) if _new_page(row)]
            first += block.units
        self.units = first

    def split(self) -> int | None:
        """The forced break nearest the middle, where the layout can be cut in two halves laid
        out apart (None: it has none)."""
        return min(self.breaks, key=lambda unit: abs(2 * unit - self.units), default=None)

    def html(self, start: int, end: int) -> str:
        """The HTML of units ``[start, end)``: whole blocks, and the slices of split ones."""
        body = []
        for block, u0 in zip(self.blocks, self.starts, strict=True):
            if u0 + block.units <= start or u0 >= end:
                continue
            context = {**self.base, **block.context}
            if block.rows is None:
                body.append(format_html('<div data-u="{}">{}</div>', u0, render(block.template, context)))
                continue
            lo, hi = max(start, u0) - u0, min(end, u0 + block.units) - u0
            section = {**context.get("section", {}), "u0": u0, "row_u0": u0 + lo, "lead": lo == 0}
            section["rows"] = block.rows[lo:hi]
            body.append(render(block.template, {**context, "section": section}))
        # Each piece is already safe (a rendered template): part.html prints them as they are.
        frame = {**self.frame, "body": body, "continued": start > 0, "after_break": start in self.breaks}
        return render(PART, frame)


def _new_page(row) -> bool:
    return isinstance(row, dict) and bool(row.get("new_page"))


def render(template: str, context: dict) -> str:
    return render_to_string(template, context)


def _units_on(page) -> set[int]:
    found = set()
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and element.get("data-u") is not None:
            found.add(int(element.get("data-u")))
    return found


def _cut(on: list[set[int]], start: int) -> tuple[int, int] | None:
    """(pages to keep, first unit of the next part): the pages before the one where the first
    unit of the pages given to the next part begins — at least the last page, and every page
    that holds a piece of a unit on them. None when that would keep nothing: the part is then
    too short to cut (its units, in document order, fill its pages from the first). ``on``: the
    units of each page of the part."""
    drop = len(on) - 1
    if drop < 1 or not on[drop]:
        return None
    carry = min(on[drop])
    while True:
        while drop > 0 and carry in on[drop - 1]:
            drop -= 1
        lowest = min(min(units) for units in on[drop:] if units)
        if lowest == carry:
            break
        carry = lowest
    if carry <= start or drop == 0:
        return None
    return drop, carry


class Joined:
    """The joined PDF being made: pages (pypdf), their outline entries, and which pages came
    from another PDF (they keep their own footer)."""

    def __init__(self, renderer=None):
        from pypdf import PdfWriter

        from reports.pdf import Renderer

        self.renderer = renderer or Renderer()
        self.writer = PdfWriter()
        self.bookmarks: list[tuple[int, str, int, float, float, bool]] = []
        self.appended: list[bool] = []
        self.parts = 0
        self.title = ""

    def _add(self, pdf, appended: bool):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
        first = len(self.writer.pages)
        # No annotations: a part has no links, and a stored report's signature widget belongs to
        # its own file (kept whole in the package's ZIP), not to the package.
        self.writer.append(reader, import_outline=False, excluded_fields=["/Annots", "/B"])
        self.appended += [appended] * len(reader.pages)
        return first, reader

    def add_layout(
        self,
        layout: Layout,
        *,
        part_pages: int = PART_PAGES,
        first_units: int = FIRST_UNITS,
        processes: int | None = None,
    ):
        """Lay ``layout`` out part by part and add its pages and bookmarks. With ``processes`` of
        2 (settings.REPORT_RENDER_PROCESSES) and a forced page break in it, the half after the
        break nearest the middle is laid out at the same time in a forked copy of this process:
        the same pages in 0.6-0.7 of the time, at about 60 MB more in all (bench/reports.py)."""
        from reports import forked
        from reports.pdf import rarely_collected

        if processes is None:
            processes = settings.REPORT_RENDER_PROCESSES
        self.title = self.title or layout.frame.get("title", "")
        sizes = (part_pages, first_units)
        half = layout.split() if processes > 1 and forked.can_fork() else None
        with rarely_collected():
            if half is None:
                for part in self._parts(layout, 0, layout.units, *sizes):
                    self._add_part(*part)
                return
            # Two processes hold a part each: parts of a third the size keep the two within about
            # 60 MB of what one process held (bench/reports.py).
            sizes = (max(1, part_pages // HALVES_SMALLER), max(1, first_units // HALVES_SMALLER))
            other = forked.Forked(lambda: list(self._parts(layout, half, layout.units, *sizes)))
            try:
                for part in self._parts(layout, 0, half, *sizes):
                    self._add_part(*part)
                for part in other.result():
                    self._add_part(*part)
            finally:
                other.close()

    def _parts(self, layout: Layout, start: int, stop: int, part_pages: int, first_units: int):
        """The parts of units ``[start, stop)`` — each a PDF and its bookmarks (level, label,
        page of the part, left, top, open) — laid out one at a time; ``stop`` is the layout's end
        or a forced break."""
        from reports.pdf import give_back_freed

        budget = first_units
        while start < stop:
            end = min(stop, start + budget)
            while True:
                document = self.renderer.document(layout.html(start, end))
                cut = _cut([_units_on(p) for p in document.pages], start) if end < stop else None
                if cut or end == stop:
                    break
                # Too short to give its last page to the next part: lay out more units instead.
                end = min(stop, start + 2 * (end - start))
                del document
            keep, following = cut or (len(document.pages), end)
            bookmarks = [
                (level, label, number, x * PX, (page.height - y) * PX, state != "closed")
                for number, page in enumerate(document.pages[:keep])
                for level, label, (x, y), state in page.bookmarks
            ]
            pdf = document.copy(document.pages[:keep]).write_pdf()
            # The next part's units fill about part_pages, at the pages per unit of this one.
            budget = max(1, min(budget * 4, (following - start) * part_pages // max(keep, 1)))
            start = following
            del document
            gc.collect()  # the boxes hold cycles: free them before the next part is laid out
            give_back_freed()
            yield pdf, bookmarks

    def _add_part(self, pdf: bytes, bookmarks: list):
        first, reader = self._add(pdf, appended=False)
        self.bookmarks += [(level, label, first + page, *rest) for level, label, page, *rest in bookmarks]
        self._done(reader, first)
        self.parts += 1

    def add_pdf(self, pdf):
        """Append another PDF's pages, and its outline at the levels it had. ``pdf``: its bytes, or a
        seekable binary file, read here and not needed afterwards (the pages are copied)."""
        first, reader = self._add(pdf, appended=True)

        def walk(items, level):
            for item in items:
                if isinstance(item, list):
                    walk(item, level + 1)
                    continue
                number = reader.get_destination_page_number(item)
                left, top = getattr(item, "left", None), getattr(item, "top", None)
                self.bookmarks.append(
                    (level, str(item.title), first + number, float(left or 0), float(top or 0), True)
                )

        walk(reader.outline, 1)
        self._done(reader, first)

    def _done(self, reader, first: int = 0):
        """Let go of ``reader`` once its pages are copied (pages ``first`` on). pypdf's writer
        keeps every reader it copied from, and so its file and every object it parsed, until the
        end: for later copies, and for the links of appended pages, which are left out here."""
        writer = self.writer
        writer.reset_translation(reader)
        for number in range(first, len(writer.pages)):
            writer.pages[number].__dict__.pop("original_page", None)
        writer._merged_in_pages = {
            old: new
            for old, new in writer._merged_in_pages.items()
            if getattr(old, "pdf", None) is not reader
        }

    def _outline(self):
        from pypdf.generic import Fit

        stack: list[tuple[int, object]] = []
        for level, label, page, left, top, is_open in self.bookmarks:
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = stack[-1][1] if stack else None
            item = self.writer.add_outline_item(
                label, page, parent=parent, fit=Fit.xyz(left, top, None), is_open=is_open
            )
            stack.append((level, item))

    def stamp(self, label: str = "", *, chunk: int = FOOTER_PAGES):
        """Lay the footers out on empty pages, ``chunk`` at a time, and draw each onto its page."""
        from pypdf import PdfReader

        from reports.pdf import rarely_collected

        total = len(self.writer.pages)
        for first in range(0, total, chunk):
            numbered = [(first + i + 1, a) for i, a in enumerate(self.appended[first : first + chunk])]
            html = render(FOOTERS, {"pages": numbered, "total": total, "label": label})
            with rarely_collected():
                footers = self.renderer.document(html).write_pdf()
            reader = PdfReader(io.BytesIO(footers))
            for number, footer in zip(range(first, first + len(numbered)), reader.pages, strict=True):
                _draw_over(self.writer, self.writer.pages[number], footer, number)
            self._done(reader, len(self.writer.pages))  # it added no page
            del footers, reader

    def write(self, out, *, label: str = ""):
        """Write the joined PDF to the binary file ``out``: footers stamped (``label`` before the
        number on appended pages), outline made, titled after its first layout."""
        self.stamp(label)
        self._outline()
        # The appended reports' form (their signature fields, whose widgets were left out) stays
        # in their own files; the joined PDF's signature makes its own.
        self.writer.root_object.pop("/AcroForm", None)
        if self.title:
            self.writer.add_metadata({"/Title": self.title})
        self.writer.write(out)

    def pdf(self, *, label: str = "") -> bytes:
        """The joined PDF as bytes (``write``)."""
        out = io.BytesIO()
        self.write(out, label=label)
        return out.getvalue()


def _draw_over(writer, page, footer, number: int):
    """Draw ``footer`` (a page of another PDF, the same size) over ``page`` as a form XObject.
    The page's content streams are kept as they are, between q and Q, so that whatever graphics
    state they leave does not move the footer; its resources are copied (WeasyPrint shares them
    between pages) with the form added."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

    form = DecodedStreamObject()
    form.set_data(footer.get_contents().get_data())
    form = form.flate_encode()
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): footer.mediabox,
            NameObject("/Resources"): footer["/Resources"].get_object().clone(writer),
        }
    )
    name = NameObject(f"/OmFooter{number}")

    def stream(data: bytes):
        content = DecodedStreamObject()
        content.set_data(data)
        return writer._add_object(content)

    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else ArrayObject()
    kept = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
    kept = [c if isinstance(c, IndirectObject) else writer._add_object(c) for c in kept]
    page[NameObject("/Contents")] = ArrayObject(
        [stream(b"q\n"), *kept, stream(b"\nQ q " + name.encode() + b" Do Q\n")]
    )
    resources = DictionaryObject(page.get("/Resources", DictionaryObject()).get_object())
    xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
    xobjects[name] = writer._add_object(form)
    resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources


def layout_pdf(layout: Layout, **sizes) -> bytes:
    """The layout's PDF, laid out in parts, with its footers and outline."""
    joined = Joined()
    joined.add_layout(layout, **sizes)
    return joined.pdf()
