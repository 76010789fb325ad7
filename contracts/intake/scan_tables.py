"""A scanned page's bordered tables, rebuilt. Tesseract reads a table's rows as loose lines (a
cell that wraps puts its words on several lines, among the other cells' words); here the table's
ruling lines are found in the page's image, each word Tesseract read is put into the cell its box
lies in, and the table's rows replace its loose lines as ``| cell | cell |`` rows, a layout the
price list's reader (prices.py) reads and the OCR's cleaning keeps as rows.

The rules are found with Pillow's C code and bytes.find (the image shrunk along the rules' length
and thresholded, then long runs of ink found in its bytes, rows and then columns): some 0.02 s of
CPU a page of A4 at 200 dpi, where a pure-Python pass over the pixels cost 2 s. A rule is a long
horizontal run, or a vertical run that joins two horizontal rules; a table is a set of rules that
cross. A cell merged over rows (a category written once) has no rule between its rows: its text
is its first row's, and the rows under it have that cell empty, as a .docx's merged cell reads.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image

DARK = 160  # below this grey a pixel is ink
# A horizontal rule is at least this share of the page's width; a vertical one, this share of
# its height, and it must join two horizontal rules (a character's stroke joins none).
MIN_RULE_WIDTH = 0.08
MIN_RULE_HEIGHT = 0.012
NEAR = 5  # pixels: runs this close are one rule; a rule this close to a cell's edge is its edge
MAX_TABLES = 8
MAX_RULES = 400
SHRINK = 4  # the image is shrunk this many times along the rules sought (a rule stays dark)
_INK = [0] * DARK + [255] * (256 - DARK)
RULE_READ = 6  # pixels: a word's box this close to a column's rule may hold the rule, misread
_READ_AS_RULE = "|丨[]lI!“”\"'‘’"


@dataclass
class _Rule:
    at: int  # y of a horizontal rule, x of a vertical one
    start: int  # where it begins along its length
    end: int


@dataclass
class Word:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    line: int  # the index of the Tesseract line it belongs to

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2


@dataclass
class Table:
    ys: list[int]  # the rows' edges, top to bottom
    xs: list[int]  # the columns' edges, left to right
    horizontal: list[_Rule]
    vertical: list[_Rule]
    open_top: bool = False  # its rules run to the top of the page and no rule closes them
    open_bottom: bool = False

    def contains(self, x: float, y: float) -> bool:
        return self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]

    def has_rule_above(self, row: int, column: int) -> bool:
        if row == 0:
            return True
        mid = (self.xs[column] + self.xs[column + 1]) / 2
        y = self.ys[row]
        return any(abs(h.at - y) <= NEAR and h.start <= mid <= h.end for h in self.horizontal)

    def has_rule_left(self, row: int, column: int) -> bool:
        if column == 0:
            return True
        mid = (self.ys[row] + self.ys[row + 1]) / 2
        x = self.xs[column]
        return any(abs(v.at - x) <= NEAR and v.start <= mid <= v.end for v in self.vertical)

    def off_the_rules(self, word: Word, advance: float | None = None) -> Word:
        """The word without what Tesseract read of a column's rule beside it: a word of nothing
        but |, “ or the like across a rule, and a figure's leading 1 that its box leaves out
        (the box is no wider than the figure without it, at ``advance`` pixels a digit)."""
        text = word.text.replace("|", "")
        # A word with a bar in it was read with a rule, wherever its box (of the figure) lies.
        near = any(word.left - RULE_READ <= x <= word.right + RULE_READ for x in self.xs)
        beside = near or "|" in word.text
        bare = text.strip(_READ_AS_RULE)
        if beside and (bare == "" or re.fullmatch(r"[\d,.]+", bare)):
            text = bare  # and a figure's quote (“0.6) is the rule beside it
        figure = re.fullmatch(r"1([\d,.]+)", text)
        if figure and advance and word.right - word.left < (_digits(figure[1]) + 0.25) * advance:
            text = figure[1]
        return Word(text, word.left, word.top, word.right, word.bottom, word.line)

    def split_at_rule(self, word: Word) -> list[Word]:
        """A figure read as one word across a column's rule: a quantity of 1 and the unit price
        beside it ("1" and "150000" as "1150000"). Its 1 goes to the column on the left."""
        crossed = [x for x in self.xs if word.left + RULE_READ < x < word.right - RULE_READ]
        if not crossed or not re.fullmatch(r"1[\d,.]+", word.text):
            return [word]
        x = crossed[0]
        return [
            Word("1", word.left, word.top, x - 1, word.bottom, word.line),
            Word(word.text[1:], x + 1, word.top, word.right, word.bottom, word.line),
        ]

    def owners(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Each grid cell's merged cell, by the cell at its top left."""
        owner: dict[tuple[int, int], tuple[int, int]] = {}
        for row in range(len(self.ys) - 1):
            for column in range(len(self.xs) - 1):
                if not self.has_rule_left(row, column):
                    owner[row, column] = owner[row, column - 1]
                elif not self.has_rule_above(row, column):
                    owner[row, column] = owner[row - 1, column]
                else:
                    owner[row, column] = (row, column)
        return owner

    def rows(self, words: list[Word]) -> list[list[str]]:
        """The table's rows of cell texts, from the words whose centre lies in it."""
        owner = self.owners()
        found: dict[tuple[int, int], list[Word]] = {}
        # A digit's advance in the table's figures that do not begin with 1 (a 1's ink is
        # narrow): what a figure's box should measure.
        widths = sorted(
            (w.right - w.left) / _digits(w.text) for w in words if re.fullmatch(r"[02-9][\d,.]{2,}", w.text)
        )
        advance = widths[len(widths) // 2] if widths else None
        clipped = (self.split_at_rule(self.off_the_rules(w, advance)) for w in _unoverlapped(words))
        for word in (part for parts in clipped for part in parts):
            x, y = word.centre
            row, column = bisect_right(self.ys, y) - 1, bisect_right(self.xs, x) - 1
            if 0 <= row < len(self.ys) - 1 and 0 <= column < len(self.xs) - 1:
                found.setdefault(owner[row, column], []).append(word)
        out = []
        for row in range(len(self.ys) - 1):
            cells = [
                _cell_text(found.get((row, column), [])) if owner[row, column] == (row, column) else ""
                for column in range(len(self.xs) - 1)
            ]
            if any(cells):
                out.append(cells)
        return out


def _unoverlapped(words: list[Word]) -> list[Word]:
    """Each word's box ending where the next word of its line begins. Tesseract may give a figure
    the box of the two figures beside it ("0.54" over "0.54 | 2.52", the next word's box inside
    it): its centre would then lie in the next column."""
    out = []
    by_line: dict[int, list[Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    for line in by_line.values():
        line.sort(key=lambda w: w.left)
        for word, following in zip(line, [*line[1:], None], strict=True):
            if following is not None and word.left < following.left < word.right:
                word = Word(word.text, word.left, word.top, following.left - 1, word.bottom, word.line)
            out.append(word)
    return out


def _digits(figure: str) -> float:
    """A figure's width in digits: a point or comma is half a digit."""
    return sum(0.5 if c in ".," else 1 for c in figure)


def _joint(before: str, after: str) -> str:
    """No space between Chinese (or its punctuation) and what follows; a space between words."""
    if not before or not after:
        return ""
    if re.match(r"[A-Za-z0-9]", before[-1]) and re.match(r"[A-Za-z0-9]", after[0]):
        return " "
    return ""


def _cell_text(words: list[Word]) -> str:
    """A cell's words, line after line (a wrapped cell is one text again)."""
    lines: dict[int, list[Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    ordered = sorted(lines.values(), key=lambda ws: sum(w.centre[1] for w in ws) / len(ws))
    text = ""
    for line in ordered:
        for word in sorted(line, key=lambda w: w.left):
            piece = word.text.replace("|", "").strip()
            if piece:
                text += _joint(text, piece) + piece
    return text


_LIGHT = re.compile(b"[^\\x00]")


def _runs(image: Image.Image, min_length: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of each run of ink at least ``min_length`` long along the image's rows.
    ``bytes.find`` of a run of that length skips through the page fast (a regular expression
    tried at each dark pixel cost 0.3 s a page)."""
    width = image.width
    data = image.tobytes()
    needle = b"\x00" * min_length
    out = []
    at = data.find(needle)
    while at >= 0 and len(out) < 50 * MAX_RULES:
        row, start = divmod(at, width)
        if start + min_length > width:  # the found run wraps onto the next row
            at = data.find(needle, (row + 1) * width)
            continue
        light = _LIGHT.search(data, at + min_length, (row + 1) * width)
        end = light.start() - row * width if light else width
        out.append((row, start, end))
        at = data.find(needle, row * width + end)
    return out


def _merged(runs: list[tuple[int, int, int]]) -> list[_Rule]:
    """Runs on neighbouring rows that overlap: one rule (a rule is 1 to 3 pixels thick)."""
    rules: list[tuple[list[int], int, int]] = []
    for row, start, end in sorted(runs):
        for rule in rules:
            rows, r_start, r_end = rule
            if row - rows[-1] <= 2 and start <= r_end and end >= r_start:
                rows.append(row)
                rules[rules.index(rule)] = (rows, min(start, r_start), max(end, r_end))
                break
        else:
            rules.append(([row], start, end))
        if len(rules) > MAX_RULES:
            return []
    return [_Rule(round(sum(rows) / len(rows)), start, end) for rows, start, end in rules]


def _clusters(values: list[int]) -> list[int]:
    out: list[list[int]] = []
    for value in sorted(values):
        if out and value - out[-1][-1] <= NEAR:
            out[-1].append(value)
        else:
            out.append([value])
    return [round(sum(c) / len(c)) for c in out]


def _joins(h: _Rule, v: _Rule) -> bool:
    return h.start - NEAR <= v.at <= h.end + NEAR and v.start - NEAR <= h.at <= v.end + NEAR


def find_tables(image: Image.Image) -> list[Table]:
    """The bordered tables of a page's image (greyscale), top to bottom."""
    grey = image.convert("L")
    width, height = grey.size
    # Shrunk along the rules' length (a rule stays dark, a character's strokes fade): fewer
    # bytes to search.
    along = grey.reduce((SHRINK, 1)).point(_INK)
    horizontal = [
        _Rule(r.at, r.start * SHRINK, r.end * SHRINK)
        for r in _merged(_runs(along, max(8, int(MIN_RULE_WIDTH * width) // SHRINK)))
    ]
    if len(horizontal) < 2:
        return []
    down = grey.reduce((1, SHRINK)).point(_INK).transpose(Image.Transpose.ROTATE_90)
    vertical = [  # a column of the page is a row of ``down``
        _Rule(width - 1 - r.at, r.start * SHRINK, r.end * SHRINK)
        for r in _merged(_runs(down, max(4, int(MIN_RULE_HEIGHT * height) // SHRINK)))
    ]
    # Components of rules that cross: each with two rules of each kind is a table.
    joined = [[i for i, h in enumerate(horizontal) if _joins(h, v)] for v in vertical]
    parent = list(range(len(horizontal)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for hs in joined:
        for other in hs[1:]:
            parent[root(other)] = root(hs[0])
    groups: dict[int, tuple[list[_Rule], list[_Rule]]] = {}
    for v, hs in zip(vertical, joined, strict=True):
        if len(hs) >= 2:
            groups.setdefault(root(hs[0]), ([], []))[1].append(v)
    for i, h in enumerate(horizontal):
        if root(i) in groups:
            groups[root(i)][0].append(h)
    tables = [] if len(groups) >= MAX_TABLES else _fragments(horizontal, vertical, joined, set(groups), root)
    for hs, vs in groups.values():
        xs = _clusters([v.at for v in vs])
        ys = _clusters([h.at for h in hs])
        if len(xs) < 2 or len(ys) < 2:
            continue
        table = Table(ys, xs, hs, vs)
        # A table broken by the page: its vertical rules run on past its last (or first) rule.
        top, bottom = min(v.start for v in vs), max(v.end for v in vs)
        if bottom - ys[-1] > 2 * NEAR:
            table.ys.append(bottom)
            table.horizontal.append(_Rule(bottom, xs[0], xs[-1]))
            table.open_bottom = True
        if ys[0] - top > 2 * NEAR:
            table.ys.insert(0, top)
            table.horizontal.append(_Rule(top, xs[0], xs[-1]))
            table.open_top = True
        tables.append(table)
    return sorted(tables, key=lambda t: t.ys[0])[:MAX_TABLES]


def _fragments(horizontal, vertical, joined, grouped, root) -> list[Table]:
    """The piece of a table a page break leaves: one row under (or over) the page's edge, whose
    vertical rules run from the page's margin to its one horizontal rule. Two or more such rules
    hanging from a rule of no table are a table open at that end."""
    out = []
    for i, h in enumerate(horizontal):
        if root(i) in grouped:
            continue
        alone = [v for v, hs in zip(vertical, joined, strict=True) if hs == [i]]
        above = [v for v in alone if v.start < h.at - 2 * NEAR and abs(v.end - h.at) <= NEAR]
        below = [v for v in alone if v.end > h.at + 2 * NEAR and abs(v.start - h.at) <= NEAR]
        for hanging, at_top in ((above, True), (below, False)):
            xs = _clusters([v.at for v in hanging])
            if len(xs) < 3 or xs[0] < h.start - NEAR or xs[-1] > h.end + NEAR:
                continue
            far = min(v.start for v in hanging) if at_top else max(v.end for v in hanging)
            ys = sorted([far, h.at])
            edge = _Rule(far, xs[0], xs[-1])
            out.append(Table(ys, xs, [h, edge], hanging, open_top=at_top, open_bottom=not at_top))
    return out


def words_of(tsv: str) -> list[Word]:
    """The words of Tesseract's TSV output, each with the index of its line among the lines that
    hold text: the n-th such line is the n-th line of its text output that holds anything."""
    words: list[Word] = []
    line_of: dict[tuple[str, ...], int] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        key = tuple(cells[1:5])
        line_of.setdefault(key, len(line_of))
        left, top, w, h = (int(c) for c in cells[6:10])
        words.append(Word(cells[11].strip(), left, top, left + w, top + h, line_of[key]))
    return words


def pipe_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "") for c in cells) + " |"


@dataclass
class PageTables:
    """A page's text and its tables' rows, each in place of its loose lines if it is kept."""

    lines: list[str]
    spans: list[tuple[int, int]]  # each table's first and last line in the text
    rows: list[list[list[str]]]
    open_ends: list[tuple[bool, bool]]  # each table runs on past the page's top, its bottom
    filled: tuple[int, int]  # the page's first and last line that holds anything

    def starts_page(self, index: int) -> bool:
        return self.spans[index][0] == self.filled[0]

    def ends_page(self, index: int) -> bool:
        return self.spans[index][1] == self.filled[1]

    def adjoins(self, index: int) -> bool:
        """No line holds anything between the table and the one before it."""
        between = self.lines[self.spans[index - 1][1] + 1 : self.spans[index][0]]
        return not any(line.strip() for line in between)

    def text(self, keep: set[int]) -> str:
        lines: list[str | None] = list(self.lines)
        for index in sorted(keep):
            first, last = self.spans[index]
            for at in range(first + 1, last + 1):
                lines[at] = None  # its loose lines, and the blank lines between them
            lines[first] = "\n".join(pipe_row(r) for r in self.rows[index])
        return "\n".join(line for line in lines if line is not None)


def page_tables(text: str, tsv: str, tables: list[Table]) -> PageTables | None:
    """The page's tables read from Tesseract's words. The text's lines that hold anything are
    Tesseract's lines in order; if they do not match, there is nothing to rebuild."""
    words = words_of(tsv)
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    count = 1 + max((w.line for w in words), default=-1)
    if not tables or not filled or count != len(filled):
        return None
    by_line: dict[int, list[Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    inside: dict[int, int] = {}  # a line -> the table most of its words lie in
    for number, line_words in by_line.items():
        for index, table in enumerate(tables):
            if sum(table.contains(*w.centre) for w in line_words) * 2 > len(line_words):
                inside[number] = index
                break
    spans: dict[int, list[int]] = {}
    for number, at in enumerate(filled):
        if number in inside:
            spans.setdefault(inside[number], [at, at])[1] = at
    found = sorted(spans, key=lambda index: spans[index][0])
    # Two tables' lines interleaved (psm 4 read them as one column): neither span is clean.
    owner = {at: inside.get(number) for number, at in enumerate(filled)}
    for index in found:
        first, last = spans[index]
        if any(owner.get(at) not in (index, None) for at in range(first, last + 1)):
            return None
    out = PageTables(lines, [], [], [], (filled[0], filled[-1]))
    for index in found:
        table_words = [w for n, ws in by_line.items() if inside.get(n) == index for w in ws]
        out.spans.append(tuple(spans[index]))
        out.rows.append(tables[index].rows(table_words))
        out.open_ends.append((tables[index].open_top, tables[index].open_bottom))
    return out


def rebuilt(text: str, tsv: str, tables: list[Table]) -> str:
    """The page's text with every table's loose lines replaced by its rows."""
    page = page_tables(text, tsv, tables)
    return text if page is None else page.text(set(range(len(page.rows))))


def chosen(pages: list[PageTables | None]) -> list[str | None]:
    """The pages' texts with their price lists rebuilt: a table whose first row is a price
    list's header, and a table that goes on from one at the foot of the page before (its head
    there). Other tables (signatures, service levels) keep Tesseract's lines, which the other
    readers are tuned to. ``None`` for a page without tables."""
    from contracts.intake.price_columns import header_roles

    texts: list[str | None] = []
    going_on = False
    roles: list | None = None  # the columns of the last price list's header
    for page in pages:
        if page is None:
            texts.append(None)
            going_on = False
            continue
        keep: set[int] = set()
        for index, rows in enumerate(page.rows):
            header = header_roles(rows[0]) if rows else None
            # A table right under a kept one (no line between: its rows are the same list's,
            # printed with other columns) goes on from it, as one at the top of the page does.
            follows = going_on and page.starts_page(0) if index == 0 else page.adjoins(index)
            if header is not None or (follows and (index == 0 or index - 1 in keep)):
                keep.add(index)
                roles = header or roles
                if roles is not None:
                    page.rows[index] = [row if len(row) != len(roles) else priced(row, roles) for row in rows]
                page.rows[index] = [_total_row(row) for row in page.rows[index]]
        last = len(page.rows) - 1
        going_on = last in keep and page.ends_page(last)
        texts.append(page.text(keep))
    return texts


# What Tesseract reads a quantity of 1 as, alone in its cell.
_READ_FOR_ONE = {"1", "l", "I", "|", "丨", "]", "工"}


def _figure(cell: str) -> Decimal | None:
    text = cell.replace(",", "").replace(" ", "")
    return Decimal(text) if re.fullmatch(r"\d+(?:\.\d+)?", text) else None


def _readings(cell: str) -> list[tuple[str, int]]:
    """A figure as read, and without a leading 1 a column's rule may have added (180000 for
    80000): each with how many changes it takes."""
    text = cell.replace(" ", "")
    out = [(text, 0)] if _figure(text) is not None else []
    if re.fullmatch(r"1\d[\d,.]*", text) and not text.startswith("1."):
        out.append((text[1:], 1))
    return out


def priced(cells: list[str], roles: list) -> list[str]:
    """A row of a scanned price list whose quantity, unit price and amount do not agree, made to
    agree by the fewest undoings of Tesseract's known misreadings: a quantity of 1 read as 工 or
    lost into the unit price (1 and 80000 as 180000), a spurious leading 1. A row that cannot be
    made to agree loses its amount and unit price: a misread amount proposed is worse than none."""
    if not {"quantity", "unit_price", "amount"} <= set(roles):
        return cells
    q, u, a = roles.index("quantity"), roles.index("unit_price"), roles.index("amount")
    quantity, unit, amount = (cells[i].strip() for i in (q, u, a))
    if not unit and not amount:
        return cells
    quantities = _readings(quantity) or ([("1", 1)] if quantity in _READ_FOR_ONE else [])
    units = _readings(unit)
    if not quantity and re.fullmatch(r"1\d[\d,.]*", unit):
        quantities, units = [("1", 1)], [(unit[1:], 0)]
    amounts = _readings(amount)
    if not quantities or not units or not amounts:
        return cells  # nothing to check the row against
    agreeing = [
        (qc + uc + ac, qt, ut, at)
        for qt, qc in quantities
        for ut, uc in units
        for at, ac in amounts
        if _figure(qt) * _figure(ut) == _figure(at)
    ]
    out = list(cells)
    if not agreeing:
        out[u] = out[a] = ""
        return out
    _changes, out[q], out[u], out[a] = min(agreeing)
    return out


def _total_row(cells: list[str]) -> list[str]:
    """A price list's 合计 (总计) written down a narrow first cell, one character a line, whose
    second line Tesseract lost: 合 or 总 alone in the first cell is no item's name but the
    total's label."""
    if cells and cells[0].strip() in ("合", "总"):
        return [cells[0].strip() + "计", *cells[1:]]
    return cells


def _cells_of(row: str) -> list[str]:
    return [c.strip() for c in row.strip()[1:-1].split("|")]


def rows_rejoined(pages: list[str], open_ends: list[tuple[bool, bool] | None]) -> list[str]:
    """The pages' texts, a table's row broken by the page one row again: the last row of a page
    whose table runs on past its bottom and the first of the next page's table, open at its top.
    The blank lines between a table's rows on two pages go (the price list's reader takes so many
    blank lines for the table's end)."""
    pages = list(pages)
    for index in range(len(pages) - 1):
        this = pages[index].rstrip().split("\n")
        following = pages[index + 1].lstrip().split("\n")
        if not (this[-1].startswith("|") and following[0].startswith("|")):
            continue
        ends, starts = open_ends[index], open_ends[index + 1]
        top, bottom = _cells_of(this[-1]), _cells_of(following[0])
        if ends and ends[1] and starts and starts[0] and len(top) == len(bottom):
            this[-1] = pipe_row([a + _joint(a, b) + b for a, b in zip(top, bottom, strict=True)])
            following = following[1:]
        pages[index] = "\n".join(this)
        pages[index + 1] = "\n".join(following)
    return pages


# The rows of a rebuilt table, set aside while the page's text is cleaned (ocr_fixes): its
# line-length statistic, on which a wrapped sentence is joined, would count a row of long cells
# as a line; each cell is cleaned on its own instead, and the rows are put back.
_ROWS = re.compile(r"(?:^\| .* \|$\n?)+", re.M)
_MARK = re.compile(r"[ \t]*\[\[scan-table-(\d+)\]\][ \t]*")


def set_aside(text: str) -> tuple[str, list[str]]:
    """The text with each run of table rows as a mark ``[[scan-table-N]]``, and the runs."""
    runs: list[str] = []

    def mark(found: re.Match) -> str:
        runs.append(found[0].rstrip("\n"))
        return f"[[scan-table-{len(runs) - 1}]]" + ("\n" if found[0].endswith("\n") else "")

    return _ROWS.sub(mark, text), runs


def put_back(text: str, runs: list[str]) -> str:
    """The rows set aside in place of their marks (a mark a wrapped line was joined to is on a
    line of its own again), each cell cleaned as the text was."""
    from contracts.intake.ocr_fixes import ocr_cleaned

    def rows(found: re.Match) -> str:
        index = int(found[1])
        if index >= len(runs):
            return found[0]
        cleaned = [
            pipe_row([ocr_cleaned(cell, skip=("wrapped_lines",)) for cell in _cells_of(row)])
            for row in runs[index].split("\n")
        ]
        before = "" if found.start() == 0 or text[found.start() - 1] == "\n" else "\n"
        after = "" if found.end() == len(text) or text[found.end()] == "\n" else "\n"
        return before + "\n".join(cleaned) + after

    return _MARK.sub(rows, text)
