"""What every CSV and .xlsx export of the portal writes into a cell, and what an import takes back.

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return before one)
as a formula: a complaint's subject ``=HYPERLINK("http://x","y")`` becomes a live link in the
auditor's Excel (CSV or formula injection, OWASP). Every export therefore goes through here:

- in a CSV, such text is written with a leading apostrophe, which Excel and WPS show as the
  text itself (OWASP's advice); text that already starts with apostrophes and then one of those
  characters gets one more, so an import that takes one apostrophe off (``unquote``) gets back
  exactly what was exported;
- in an .xlsx, the same text is a string cell with the "quote prefix" set: what Excel stores when
  someone types the apostrophe, so the cell shows and holds the text, never a formula, and the
  value read back is unchanged.
"""

import csv
import datetime as dt
import re
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from om_portal.validators import without_bidi_controls

FORMULA = re.compile(r"'*[=+\-@\t\r]")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and FORMULA.match(value) is not None


def defuse(value):
    """The value as a CSV cell: text a spreadsheet would run gets a leading apostrophe; no
    bidirectional controls (a cell reads in the order it was typed)."""
    value = without_bidi_controls(value)
    return f"'{value}" if is_formula_like(value) else value


def unquote(value):
    """The inverse of ``defuse`` for a cell read from a CSV the portal may have written."""
    return value[1:] if isinstance(value, str) and value.startswith("'") and is_formula_like(value) else value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([defuse(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options):
    """``csv.writer`` whose every cell goes through ``defuse``."""
    return _SafeWriter(csv.writer(out, **options))


def xlsx_value(value):
    """Text made safe for an .xlsx cell: control characters that break the file's XML removed,
    and bidirectional controls (a cell reads in the order it was typed)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", without_bidi_controls(value)) if isinstance(value, str) else value


def xlsx_defuse(cell):
    """Mark an openpyxl cell (a worksheet's or a write-only one) holding formula-like text as
    quoted text; returns the cell."""
    if is_formula_like(cell.value):
        cell.data_type = "s"  # openpyxl would otherwise write text starting with "=" as a formula
        cell.quotePrefix = True
    return cell


# --- Lists as workbooks -------------------------------------------------------------------------

# Beijing, written out rather than read from TIME_ZONE: an export says what the contract's clocks
# say, whatever zone a deployment's settings name.
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
# Excel's last row, less the header: past it the file would not open.
MAX_ROWS = 1_048_575
DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    """One column of a list's export: its header (a translated label, never a field's name), how a
    row gives its value, and its width in characters."""

    label: Any
    value: Callable[[Any], Any]
    width: int = 16


@dataclass
class Sheet:
    title: Any
    columns: list[Column]
    rows: Iterable[Any]
    written: int = field(default=0, init=False)


def cell_value(value):
    """A Python value as an .xlsx cell holds it: moments in Beijing time (Excel has no time
    zones), lazy labels as text, booleans as 是/否, lists joined."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BEIJING)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value if item not in (None, ""))
    return value


def write_workbook(sheets: list[Sheet], out) -> None:
    """Write the sheets to ``out`` (a path or a binary file) as .xlsx, one row at a time: openpyxl's
    write-only mode keeps rows in a temporary file, not as cell objects in memory, so a list of
    100,000 rows costs what a few rows do. Each sheet's ``written`` says how many rows it got."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet_name(str(sheet.title)))
        worksheet.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, 1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, value=xlsx_value(str(column.label)))
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in sheet.rows:
            if sheet.written >= MAX_ROWS:
                break
            worksheet.append([_cell(worksheet, WriteOnlyCell, column.value(row)) for column in sheet.columns])
            sheet.written += 1
    workbook.save(out)


def _cell(worksheet, cell_class, value):
    value = cell_value(value)
    if isinstance(value, str):
        value = xlsx_value(value)
        if is_formula_like(value):
            return xlsx_defuse(cell_class(worksheet, value=value))
        return value
    if isinstance(value, dt.datetime):
        cell = cell_class(worksheet, value=value)
        cell.number_format = DATE_TIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = cell_class(worksheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


def sheet_name(name: str) -> str:
    # Excel refuses these characters in a sheet's name and more than 31 of them.
    return re.sub(r"[\[\]:*?/\\]", "", name)[:31] or "Sheet1"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_response(sheets: list[Sheet], filename: str):
    """The sheets as a download, streamed from a temporary file: neither the rows nor the file are
    held in memory, and the file goes when the response is closed."""
    from django.http import FileResponse

    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
    try:
        write_workbook(sheets, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def list_export(request, what: str, sheets: list[Sheet], stem: str, *, contract=None):
    """A list page's export: the workbook of ``sheets`` (the page's rows, restricted and filtered
    by the view), on the audit trail as a download with the filters it was asked with and how
    many rows it held. ``stem`` names the file; the date of the day in Beijing follows it."""
    from django.utils import timezone

    from om_portal import audit

    response = workbook_response(sheets, f"{stem}-{timezone.localtime(timezone.now(), BEIJING):%Y%m%d}.xlsx")
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    audit.record_export(
        request, what, contract=contract, detail={"query": query, "count": sum(s.written for s in sheets)}
    )
    return response
