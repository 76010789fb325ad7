"""The price list: each priced row of the contract's table of services (category, name, amount,
and quantity × unit price when the row gives them), and whether the list adds up.

A table is found by its header row: a column that names the work (名称, 项目, 运维工作…) and one
that prices it (金额, 总价, 单价…); a table of payments (支付, 比例…) is not a price list. Rows
come as a .txt or .docx gives them (cells between tabs), as markdown-ish pipes, or as a PDF's
text layer lays them out (cells between runs of spaces). Amounts are in yuan unless the column's
header or the table's caption says 万元. A category written once in a merged first cell holds
for the rows under it; a row that lost its empty leading cells (a page break) is matched to the
columns by what its cells hold. 小计/合计 rows are sums, not items: they are checked.

Only rows with an amount are proposed; what a row does not say is left out.
"""

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from contracts.intake.header import capital_amount
from contracts.intake.price_columns import (
    NUMERIC_ROLES,
    ROLES,
    WAN,
    header_roles,
    money_scale,
    squeezed,
)
from contracts.intake.proposals import Conflict, Extraction, Proposal

MAX_TABLES = 20
MAX_ROWS = 2_000  # lines read per table
MAX_CELLS = 30
MAX_LINE = 5_000
CENT = Decimal("0.01")

_GRAND_TOTAL = re.compile(r"^(合计|总计|总价|共计|总金额|价税合计|合同总价|总费用|合同金额)")
# "小计", or "设备运维小计": a category's sum on a row of its own, its name before the word.
_SUBTOTAL = re.compile(r"^小计|小计$")
_PAGE_MARK = re.compile(r"^\s*(第\s*\d+\s*页.*|-\s*\d+\s*-|\d+\s*/\s*\d+|\d{1,3})\s*$")
_SENTENCE = re.compile(r"[，。；;,:：\"“”《》]")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_SPACES = re.compile(r"\s{2,}|\u3000+")
_CJK = r"\u4e00-\u9fff"
_NUMBER = re.compile(r"^[¥￥]?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(万元|万|元)?$")
_CAPITAL_CELL = re.compile(r"^[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+元(?:[零壹贰叁肆伍陆柒捌玖][角分]){0,2}整?$")
_SEQ = re.compile(r"^[(（]?(\d{1,3}|[一二三四五六七八九十]{1,3})[)）.．、]?$")
_CN_SEQ = re.compile(r"^[(（]?[一二三四五六七八九十]{1,3}[)）.．、]?$")
_LEADING_NUMBER = re.compile(r"^(?:[(（]?\d{1,3}[)）.．、]|[一二三四五六七八九十]{1,3}[、.．])\s*")
# Work priced by the person-month: "本次需提供3个人月的…" is the row's quantity.
_PERSON_TIME = re.compile(r"(\d+(?:\.\d+)?)\s*个?\s*(人月|人天|人日)")
_NOT_EXACT = re.compile(r"[<＜>＞≤≥≦≧]|不超过|不少于|至少|最多|以内|以上|合计|累计|单次|每次")


def _cells(line: str, kind: str) -> list[str]:
    if kind == "tab":
        return line.split("\t")[:MAX_CELLS]
    if kind == "pipe":
        inner = line.strip()
        inner = inner[1:] if inner.startswith("|") else inner
        inner = inner[:-1] if inner.endswith("|") else inner
        return inner.split("|")[:MAX_CELLS]
    return [c for c in _SPACES.split(line.strip()) if c][:MAX_CELLS]


def _kind(line: str) -> str | None:
    if "\t" in line:
        return "tab"
    if line.count("|") >= 2:
        return "pipe"
    if len(_SPACES.findall(line.strip())) >= 2:
        return "spaces"
    return None


def _number(cell: str) -> Decimal | None:
    """A figure in a cell: 1,234.5, ¥4500, 7.2万; 大写 numerals through cn2an."""
    raw = squeezed(cell)
    if not raw:
        return None
    match = _NUMBER.match(raw)
    if match:
        try:
            value = Decimal(match[1].replace(",", ""))
        except InvalidOperation:
            return None
        return value * WAN if match[2] in ("万", "万元") else value
    if _CAPITAL_CELL.match(raw):
        return capital_amount(raw)
    return None


# "12台", "1套", "2人": a count with its measure word in the quantity cell.
_COUNTED = re.compile(rf"^(\d+(?:\.\d+)?)\s*([{_CJK}]{{1,2}})$")


def _quantity(cell: str) -> tuple[Decimal | None, str]:
    """A quantity cell's figure, and the measure word written beside it if any."""
    value = _number(cell)
    if value is not None:
        return value, ""
    match = _COUNTED.match(squeezed(cell))
    return (Decimal(match[1]), match[2]) if match else (None, "")


def _scaled(cell: str, scale: Decimal) -> Decimal | None:
    """A money cell in yuan: a figure that says 万 itself is not scaled again."""
    value = _number(cell)
    if value is None:
        return None
    if "万" in cell or not _NUMBER.match(squeezed(cell)):
        return value
    return value * scale


def _fit(cell: str, role: str | None) -> int:
    """How well a cell's content suits a column: figures in figure columns, words in word ones."""
    text = squeezed(cell)
    numeric = _number(cell) is not None or (role == "quantity" and _quantity(cell)[0] is not None)
    if role == "seq":
        return 3 if _SEQ.match(text) else -3
    if role in NUMERIC_ROLES:
        return {"amount": 3, "quantity": 2, "unit_price": 2, "subtotal": 1}[role] if numeric else -3
    if numeric:
        return -3
    long = len(text) > 20 or bool(re.search(r"[，。；,;]", text))
    if role == "unit":
        return 3 if len(text) <= 4 else -3
    if role == "description":
        return 3 if long else 1
    if role == "name":
        return 1 if len(text) > 40 else 3
    if role == "category":
        return 2 if len(text) <= 15 else 0
    return 0


def _aligned(cells: list[str], roles: list, near: list[int | None] | None = None) -> dict[str, str]:
    """The row's cells by column role. A row with the header's count of cells is read by
    position; one with fewer (a merged or page-broken row, a PDF's empty cells) by the best
    in-order match of its non-empty cells to the columns, as is every row of a PDF's layout
    (``near``: the column each cell stands under)."""
    if len(cells) == len(roles) and near is None:
        pairs = list(zip(roles, cells, strict=True))
    else:
        filled = [c for c in cells if c.strip()]
        n, h = len(filled), len(roles)
        if n > h or n == 0:
            return {}
        # best[i][j]: the best score placing the first i cells in the first j columns.
        neg = -(10**6)
        best = [[neg] * (h + 1) for _ in range(n + 1)]
        best[0] = [0] * (h + 1)
        for i in range(1, n + 1):
            for j in range(i, h + 1):
                # In a PDF's layout, a cell under a column's heading more likely belongs to it.
                bonus = 3 if near and near[i - 1] == j - 1 else 0
                best[i][j] = max(
                    best[i][j - 1], best[i - 1][j - 1] + _fit(filled[i - 1], roles[j - 1]) + bonus
                )
        pairs, i, j = [], n, h
        while i > 0:
            if j > i and best[i][j] == best[i][j - 1]:
                j -= 1
                continue
            pairs.append((roles[j - 1], filled[i - 1]))
            i, j = i - 1, j - 1
        pairs.reverse()
    row: dict[str, str] = {}
    for role, cell in pairs:
        if role and cell.strip():
            joined = role == "description" and role in row
            row[role] = f"{row[role]} {cell.strip()}" if joined else cell.strip()
    return row


def _clean_name(text: str) -> str:
    """Spaces a layout put between Chinese characters go; ASCII brackets in Chinese become
    full-width; a row number written into the name goes."""
    text = re.sub(r"\s+", " ", text).strip(" *_·")
    text = re.sub(rf"(?<=[{_CJK}（）()])\s+(?=[{_CJK}（）()])", "", text)
    if re.search(rf"[{_CJK}]", text):
        text = text.replace("(", "（").replace(")", "）")
    return _LEADING_NUMBER.sub("", text).strip()


def _person_time(description: str, amount: Decimal) -> dict:
    """Quantity and unit price from a description that says how many person-months the row
    buys, once and exactly (not "单次不超过2人月"), when the amount divides to the cent."""
    found = list(_PERSON_TIME.finditer(description))
    if len(found) != 1:
        return {}
    match = found[0]
    if _NOT_EXACT.search(description[max(0, match.start() - 8) : match.start()]):
        return {}
    quantity = Decimal(match[1])
    if quantity <= 0:
        return {}
    unit_price = amount / quantity
    if unit_price != unit_price.quantize(CENT):
        return {}
    return {"quantity": quantity, "unit": match[2], "unit_price": unit_price.quantize(CENT)}


class _Table:
    def __init__(self, header: list[str], roles: list, kind: str, caption: str, header_at: list[int]):
        self.roles = roles
        self.kind = kind
        self.header, self.caption, self.header_at = header, caption, header_at
        self.scales = money_scale(header, roles, caption)
        self.pending: tuple[dict, tuple[int, int], dict, dict | None] | None = None
        self.lines = 0
        self.items: list[Proposal] = []
        self.stated: tuple[Decimal, int, int] | None = None  # the 合计 row
        self.conflicts: list[Conflict] = []
        self.category = ""
        self.group: list[int] = []  # the rows of the current category, by index in items
        self.groups: list[tuple[list[int], tuple[Decimal, int, int]]] = []
        self.other_reading: dict[int, Proposal] = {}
        self.group_stated: tuple[Decimal, int, int] | None = None
        self.done = False

    def scale(self, role: str) -> Decimal:
        return self.scales[self.roles.index(role)] if role in self.roles else Decimal(1)

    def money(self, row: dict, role: str) -> Decimal | None:
        return _scaled(row[role], self.scale(role)) if role in row else None

    def close(self):
        """The table's sums: each category's rows against its 小计, all rows against the 合计.
        A PDF row whose description ends in a figure ("…共涉及 150 | 10.8") reads two ways;
        where the first reading breaks a sum the other keeps, the other is taken."""
        self.flush()
        self.close_group()
        checks = [(group, stated) for group, stated in self.groups]
        if self.stated:
            checks.append((list(range(len(self.items))), self.stated))
        for group, (stated, _start, _end) in checks:
            amounts = [self.items[i].value["amount"] for i in group]
            if sum(amounts, Decimal(0)) == stated:
                continue
            off = sum(amounts, Decimal(0)) - stated
            fixes = [
                i
                for i in group
                if i in self.other_reading
                and self.items[i].value["amount"] - self.other_reading[i].value["amount"] == off
            ]
            if len(fixes) == 1:
                self.items[fixes[0]] = self.other_reading.pop(fixes[0])
        for group, (stated, start, end) in self.groups:
            summed = sum((self.items[i].value["amount"] for i in group), Decimal(0))
            if summed != stated:
                rows = (self.items[group[0]].start, self.items[group[-1]].end)
                self.conflicts.append(Conflict("price_list", (summed, stated), (rows, (start, end))))

    def close_group(self):
        """A category's rows, kept with the 小计 stated for them (in a column or a row of its own)."""
        if self.group_stated and self.group:
            self.groups.append((self.group, self.group_stated))
        self.group, self.group_stated = [], None

    def read(self, line: str, start: int):
        if self.done or _PIPE_RULE.match(line):
            return
        span = (start + len(line) - len(line.lstrip()), start + len(line.rstrip()))
        if self.kind == "spaces":
            self.read_spaced(line, span)
            return
        row = _aligned(_cells(line, self.kind), self.roles)
        if row:
            self.take(row, span)

    def read_spaced(self, line: str, span: tuple[int, int]):
        """A PDF's text layer: a row is the line with its figures at the right; the lines under
        it without figures hold the rest of its wrapped cells (a long name, a category written
        over two lines, the description)."""
        words = line.split()
        figures = []
        numeric = sum(role in NUMERIC_ROLES for role in self.roles)
        while words and _number(words[-1]) is not None and len(figures) < numeric:
            figures.insert(0, words.pop())
        text_end = 0
        if words:
            text_end = line.index(words[-1], line.index(words[0])) + len(words[-1])
        cells = self.split_at_columns(
            [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line[:text_end])]
        )
        if not figures:
            if self.pending is None and not self.items and "万元" in line:
                self.caption += line  # the header's unit, wrapped under it
                self.scales = money_scale(self.header, self.roles, self.caption)
            elif self.pending is not None:
                self.wrapped(cells, span)
            return
        roles = list(self.roles)
        row: dict[str, str] = {}
        if "category" in roles:
            # The words under the category's heading, if any: a row without them is under the
            # category of the rows above (a merged cell).
            under = [
                c for c in cells if self.column_at(c[0]) == roles.index("category") and _number(c[1]) is None
            ]
            if under:
                row["category"] = under[0][1]
                cells.remove(under[0])
            roles = [None if r == "category" else r for r in roles]
        texts = [c for _x, c in cells]
        near = [self.column_at(x) for x, _c in cells] + [None] * len(figures)
        other = None
        if len(figures) > 1 and texts and "category" not in row:
            # The first figure may end the description instead: "…共涉及的 150 10.8" (not in a
            # category's first row, where the second figure is the category's merged 小计).
            other = dict(row) | _aligned(
                texts + figures[1:], roles, near[: len(texts)] + [None] * (len(figures) - 1)
            )
            if "description" in other:
                other["description"] += " " + figures[0]
            else:
                other = None
        row |= _aligned(texts + figures, roles, near)
        if self.pending is not None and not {"name", "category", "seq"} & row.keys():
            # Only words under the description and a figure: a description wrapped onto a line
            # of its own that ends in a figure ("…本年度共涉及 | 12").
            self.wrapped([*cells, *((span[1], f) for f in figures)], span)
            return
        self.flush()
        at = {role: x for x, c in cells for role, value in row.items() if value == c}
        self.pending = (row, span, at, other)

    def split_at_columns(self, cells: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """A cell that runs into the next column with a single space between (a PDF's layout
        of a full cell) is cut where a word starts under the next column's heading."""
        out = []
        for x, cell in cells:
            own = self.column_at(x)
            for gap in [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", cell)]:
                word_at = x + gap + 1
                column = self.column_at(word_at)
                if column is not None and column != own and abs(word_at - self.header_at[column]) <= 6:
                    out.append((x, cell[:gap]))
                    x, cell, own = word_at, cell[gap + 1 :], column
                    break
            out.append((x, cell))
        return out

    def column_at(self, x: int) -> int | None:
        """The text column whose heading starts nearest to ``x``."""
        text_columns = [
            (abs(x - at), i) for i, at in enumerate(self.header_at) if self.roles[i] not in NUMERIC_ROLES
        ]
        return min(text_columns)[1] if text_columns else None

    def wraps(self, line: str) -> bool:
        """In a PDF's layout, a line of the table with its cells a single space apart: indented,
        or a few words before a gap."""
        if self.kind != "spaces":
            return False
        return bool(re.match(r" {2}| *\S(?:\S| (?=\S)){0,13} {2}", line))

    def wrapped(self, cells: list[tuple[int, str]], line_span: tuple[int, int]):
        row, span, at, other = self.pending
        for x, cell in cells:
            if "category" in row and self.column_at(x) == self.roles.index("category"):
                role = "category"
            elif "name" in row and "description" in row:
                long = len(cell) > 12 or re.search(r"[，。；,;]", cell)
                near = abs(x - at.get("name", 0)) < abs(x - at.get("description", 0))
                role = "name" if near and not long else "description"
            elif "name" in row:
                role = "name"
            else:
                continue
            joint = " " if re.match(r"[A-Za-z0-9]", cell) and re.search(r"[A-Za-z0-9]$", row[role]) else ""
            row[role] += joint + cell
            if other is not None and role in other:
                other[role] += joint + cell
        self.pending = (row, (span[0], line_span[1]), at, other)

    def flush(self):
        if self.pending is not None:
            row, span, _at, other = self.pending
            self.pending = None
            if row:
                self.take(row, span, other)

    def take(self, row: dict, span: tuple[int, int], other: dict | None = None):
        labels = [squeezed(row.get(r, "")) for r in ("seq", "category", "name")]
        amount = self.money(row, "amount")
        if any(_GRAND_TOTAL.match(label) for label in labels):
            value = amount if amount is not None else self.money(row, "subtotal")
            if value is not None:
                self.stated = (value.quantize(CENT), *span)
            self.close_group()
            self.done = True
            return
        if any(_SUBTOTAL.search(label) for label in labels):
            if amount is not None:
                self.group_stated = (amount, *span)
            self.close_group()
            return
        category = row.get("category", "")
        if category:
            # A category written again on each of its rows goes on, up to its 小计 row.
            if _clean_name(category) != self.category:
                self.close_group()
            self.category = _clean_name(category)
        elif amount is None and _CN_SEQ.match(squeezed(row.get("seq", ""))) and row.get("name"):
            # A heading row ("一 | 硬件运维 | |"): the category of the rows under it.
            self.close_group()
            self.category = _clean_name(row["name"])
            return
        subtotal = self.money(row, "subtotal")
        if subtotal is not None and category:
            # A merged 小计 cell sits in its category's first row.
            self.group_stated = (subtotal, *span)
        name = _clean_name(row.get("name", "")) or (self.category if category else "")
        proposal = self.item(row, span, name)
        if proposal is not None:
            self.items.append(proposal)
            self.group.append(len(self.items) - 1)
            if other is not None and (also := self.item(other, span, name)) is not None:
                self.other_reading[len(self.items) - 1] = also

    def item(self, row: dict, span: tuple[int, int], name: str) -> Proposal | None:
        amount = self.money(row, "amount")
        quantity, measure = _quantity(row["quantity"]) if "quantity" in row else (None, "")
        unit_price = self.money(row, "unit_price")
        product = quantity * unit_price if quantity is not None and unit_price is not None else None
        if amount is None:
            amount = product
        if amount is None or amount <= 0 or not name or not re.search(rf"[{_CJK}A-Za-z]", name):
            return None
        if _SENTENCE.search(name) or len(name) > 40 or _SENTENCE.search(self.category):
            return None  # a name is a few words, not a sentence: the cells were not told apart
        value = {"category": self.category, "name": name, "amount": amount.quantize(CENT)}
        confidence = 0.9
        if product is not None:
            value |= {"quantity": quantity, "unit_price": unit_price.quantize(CENT)}
            if row.get("unit") or measure:
                value["unit"] = squeezed(row.get("unit", "")) or measure
            if product.quantize(CENT) != value["amount"]:
                values = (value["amount"], product.quantize(CENT))
                self.conflicts.append(Conflict("service_item", values, (span, span)))
                confidence = 0.5
        elif row.get("description"):
            value |= _person_time(row["description"], value["amount"])
        if row.get("description"):
            value["description"] = re.sub(r"\s+", " ", row["description"])[:500]
        return Proposal("prices", "service_item", value, *span, confidence, "price-row")


def _header_cells(line: str) -> tuple[list[int], list[str]]:
    """A PDF layout's header cells and where each starts; narrow columns' headings stand a
    single space apart ("金额 小计"): a cell whose words each name a column is split."""
    at, cells = [], []
    for match in re.finditer(r"\S+(?: \S+)*", line):
        words = [(match.start() + w.start(), w.group()) for w in re.finditer(r"\S+", match.group())]
        named = [next((name for name, rule in ROLES if rule.search(word)), None) for _x, word in words]
        if len(words) > 1 and all(named):
            at += [x for x, _w in words]
            cells += [w for _x, w in words]
        else:
            at.append(match.start())
            cells.append(match.group())
    return at, cells


def _tables(text: str) -> list[_Table]:
    tables: list[_Table] = []
    table: _Table | None = None
    quiet = 0
    offset = 0
    recent: list[str] = []
    for raw in text.splitlines(keepends=True):
        start, offset = offset, offset + len(raw)
        line = raw.rstrip("\r\n")[:MAX_LINE]
        if table is not None:
            table.lines += 1
            kind = _kind(line)
            if not line.strip() or _PAGE_MARK.match(line):
                quiet += 1
                if quiet <= 3:
                    continue
            elif table.lines <= MAX_ROWS and (kind == table.kind or table.wraps(line)):
                quiet = 0
                table.read(line, start)
                if not table.done:
                    continue
            table.close()
            table = None
        kind = _kind(line)
        if kind and len(tables) < MAX_TABLES:
            at = []
            if kind == "spaces":
                at, cells = _header_cells(line)
            else:
                cells = [c.strip() for c in _cells(line, kind)]
            roles = header_roles(cells)
            if roles:
                caption = " ".join(recent[-3:]) + " " + line
                table = _Table(cells, roles, kind, caption, at)
                tables.append(table)
                quiet = 0
                continue
        if line.strip():
            recent = [*recent[-2:], line]
    if table is not None:
        table.close()
    return [t for t in tables if t.items]


def prices(text: str, known: Extraction | None = None) -> Extraction:
    """The rows of the contract's price lists, and the conflicts of their sums with the
    table's 合计 row and with the total ``known`` proposes (header.total)."""
    out = Extraction()
    tables = _tables(text)
    total = next((p for p in (known.proposals if known else []) if p.field == "total"), None)
    if total is not None and len(tables) > 1:
        # Several tables that together overshoot the total, some of which add up to it (the
        # others an optional extra; a summary by category also adds up): the most detailed
        # of those is the price list.
        whole = [t for t in tables if sum((p.value["amount"] for p in t.items), Decimal(0)) == total.value]
        every = sum((p.value["amount"] for t in tables for p in t.items), Decimal(0))
        if whole and every != total.value:
            tables = [max(whole, key=lambda t: len(t.items))]
    for table in tables:
        out.proposals += table.items
        out.conflicts += table.conflicts
    if not tables:
        return out
    summed = sum((p.value["amount"] for p in out.proposals), Decimal(0))
    span = (tables[0].items[0].start, tables[-1].items[-1].end)
    for table in tables:
        if table.stated is None:
            continue
        stated, start, end = table.stated
        items_sum = sum((p.value["amount"] for p in table.items), Decimal(0))
        if items_sum != stated:
            out.conflicts.append(Conflict("price_list", (items_sum, stated), (span, (start, end))))
        if total is not None and total.value != stated:
            # Two totals in the text: the contract's and the price list's 合计.
            spans = ((total.start, total.end), (start, end))
            out.conflicts.append(Conflict("total", (total.value, stated), spans))
    if total is not None and summed != total.value:
        out.conflicts.append(Conflict("price_list", (summed, total.value), (span, (total.start, total.end))))
    if any(c.field == "price_list" for c in out.conflicts):
        # Rows that do not add up may be misread: the reviewer checks them first.
        out.proposals = [replace(p, confidence=min(p.confidence, 0.6)) for p in out.proposals]
    return out
