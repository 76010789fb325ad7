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
import re

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
