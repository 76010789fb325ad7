"""The asset ledger (台账) in and out of spreadsheets: .xlsx and .csv with one fixed header.

An export imports back unchanged. On import an empty cell means the field's default (no port,
quantity 1, in service, no attributes); a column left out of the file leaves that field of the
existing rows alone. Nothing is written unless every row is valid.
"""

import codecs
import csv
import datetime as dt
import functools
import io
import itertools
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import Asset, Contract
from om_portal import audit, spreadsheets

MODES = ("upsert", "add")
BATCH = 1000
MAX_ERRORS = 200  # listed for one file; a file wrong on every row is not worth more
CHUNK = 64 * 1024
ROW = "__row__"  # the key of read_rows()' dicts that holds the spreadsheet's row number


class Column(NamedTuple):
    key: str
    label: str  # the Chinese header an export writes
    width: int  # in Excel's character widths; a Chinese character takes two
    aliases: tuple[str, ...] = ()


COLUMNS = [
    Column("kind", "类型", 12, ("资产类型",)),
    Column("name", "名称", 32, ("资产名称",)),
    Column("system", "所属系统", 24, ("系统",)),
    Column("security_zone", "安全区域", 14, ("安全域",)),
    Column("host", "主机", 18, ("IP", "IP地址", "主机/IP")),
    Column("port", "端口", 8, ("端口号",)),
    Column("url", "URL", 36, ("链接",)),
    Column("os_version", "操作系统/版本", 20, ("版本",)),
    Column("quantity", "数量", 8),
    Column("status", "状态", 10),
    Column("warranty_ends_on", "维保到期", 12, ("保修到期", "维保到期日")),
    Column("attributes", "属性", 40, ("扩展属性",)),
]
KEYS = [column.key for column in COLUMNS]
REQUIRED = ("kind", "name")
TEXT_FIELDS = ("name", "system", "security_zone", "host", "url", "os_version")
RANGES = {"port": (1, 65535), "quantity": (0, 2147483647)}

# The file format must not depend on the translation catalogue, so the Chinese labels of the
# choices are fixed here; the first one is what an export writes.
CHOICES_ZH = {
    "kind": {
        "vm": ("虚拟机",),
        "server": ("物理服务器", "服务器", "物理机"),
        "network": ("网络设备",),
        "security": ("安全设备",),
        "storage": ("存储设备", "存储"),
        "database": ("数据库",),
        "middleware": ("中间件",),
        "interface": ("接口",),
        "data_source": ("数据源",),
        "terminal": ("终端", "终端设备"),
        "application": ("应用系统", "应用"),
        "other": ("其他",),
    },
    "status": {
        "in_service": ("在用", "在运行", "运行中", "正常"),
        "maintenance": ("维护中",),
        "faulty": ("故障",),
        "retired": ("已退役", "退役", "停用", "已停用"),
    },
}
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# 2026-05-28, 2026/5/28, 2026.5.28 or 2026年5月28日
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class RowError(NamedTuple):
    row: int | None  # as the spreadsheet numbers it; None for the file as a whole
    column: str  # the header as the file writes it
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


class FileProblem(ValueError):
    """The file cannot be read as a table at all."""


def _normalize(name) -> str:
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return re.sub(r"[\s_\-/*]", "", text)


def _translations(text) -> list[str]:
    # Accept the labels the portal shows too, in either language, whatever the catalogue says.
    names = []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            names.append(str(text))
    return names


@functools.cache
def _header_lookup() -> dict[str, str]:
    lookup = {}
    for column in COLUMNS:
        verbose_name = Asset._meta.get_field(column.key).verbose_name
        for name in [column.key, column.label, *column.aliases, *_translations(verbose_name)]:
            lookup[_normalize(name)] = column.key
    return lookup


@functools.cache
def _choice_lookup(key: str) -> dict[str, str]:
    choices = Asset.Kind if key == "kind" else Asset.Status
    lookup = {}
    for value, label in choices.choices:
        for name in [value, *CHOICES_ZH[key][value], *_translations(label)]:
            lookup[_normalize(name)] = value
    return lookup


# --- Reading ------------------------------------------------------------------------------------
# A few kilobytes can ask for gigabytes: a CSV header of 6,000 columns made a dict of 6,000 keys for
# each of 6,000 rows, and an .xlsx unpacks to a thousand times its size. So a file is read as a
# stream, row by row, and refused (FileProblem) as soon as it passes one of the limits in settings.
MAX_LINE_CHARS = 1024 * 1024


def _megabytes(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def _check_archive(file):
    """Refuse an .xlsx whose members would unpack past the limits, before any of it is unpacked.

    zipfile never yields more than a member's declared size (it fails the CRC instead), so the
    sizes in the central directory bound what openpyxl can be handed."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise FileProblem(_("The file could not be read as an .xlsx workbook.")) from error
    finally:
        file.seek(0)
    if len(members) > settings.ASSET_IMPORT_MAX_ARCHIVE_MEMBERS:
        raise FileProblem(
            _("The workbook holds %(count)s parts; an .xlsx ledger has at most %(max)s.")
            % {"count": len(members), "max": settings.ASSET_IMPORT_MAX_ARCHIVE_MEMBERS}
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > settings.ASSET_IMPORT_MAX_UNPACKED_BYTES:
        raise FileProblem(
            _("The workbook unpacks to %(size)s; at most %(max)s is read.")
            % {"size": _megabytes(unpacked), "max": _megabytes(settings.ASSET_IMPORT_MAX_UNPACKED_BYTES)}
        )
    ratio = settings.ASSET_IMPORT_MAX_COMPRESSION_RATIO
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > ratio * max(member.compress_size, 1):
            raise FileProblem(
                _("A part of the workbook is compressed more than %(ratio)s to 1: not a spreadsheet.")
                % {"ratio": ratio}
            )


def _xlsx_rows(file):
    import openpyxl

    _check_archive(file)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # a damaged or renamed file fails in zipfile, XML or openpyxl
        raise FileProblem(_("The file could not be read as an .xlsx workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong "dimension" into the sheet, which read-only mode trusts.
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    except FileProblem:
        raise
    except Exception as error:
        raise FileProblem(_("The file could not be read as an .xlsx workbook.")) from error
    finally:
        workbook.close()


def _encoding(file) -> str:
    # UTF-16 is Excel's "Unicode text"; GB18030 is what Excel on Chinese Windows saves. The file
    # is decoded once here to choose, in chunks, and once more as it is read.
    file.seek(0)
    if file.read(2) in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        file.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in iter(lambda: file.read(CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileProblem(_("The file is neither UTF-8 nor GB18030 text."))


def _lines(file, encoding):
    """The file's text line by line, each with its "\\n"; a line past MAX_LINE_CHARS is refused."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    for chunk in iter(lambda: file.read(CHUNK), b""):
        pending += decoder.decode(chunk)
        if "\n" in pending:
            *lines, pending = pending.split("\n")
            for line in lines:
                yield line + "\n"
        if len(pending) > MAX_LINE_CHARS:
            raise FileProblem(
                _("A line of the file is longer than %(max)s characters.") % {"max": MAX_LINE_CHARS}
            )
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _csv_rows(file):
    lines = _lines(file, _encoding(file))
    first_line = next(lines, "")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:  # a cell past csv's own limit of 131,072 characters, a NUL byte
        message = _("Line %(line)s cannot be read as CSV: %(problem)s.")
        raise FileProblem(message % {"line": reader.line_num, "problem": error}) from error


def _bounded(rows, *, unquote: bool):
    """(row number, cells) of each row, refusing a table past the row, column or cell limits."""
    max_rows = settings.ASSET_IMPORT_MAX_ROWS
    max_columns = settings.ASSET_IMPORT_MAX_COLUMNS
    max_chars = settings.ASSET_IMPORT_MAX_CELL_CHARS
    for number, row in enumerate(rows, 1):
        if number > max_rows + 1:  # the header and max_rows rows
            raise FileProblem(_("The file has more than %(max)s rows.") % {"max": max_rows})
        if len(row) > max_columns:
            if not all(map(_blank, row[max_columns:])):
                raise FileProblem(
                    _("Row %(row)s has more than %(max)s columns.") % {"row": number, "max": max_columns}
                )
            row = row[:max_columns]
        if any(isinstance(cell, str) and len(cell) > max_chars for cell in row):
            raise FileProblem(
                _("Row %(row)s holds a cell of more than %(max)s characters.")
                % {"row": number, "max": max_chars}
            )
        if any(isinstance(cell, str) and "\x00" in cell for cell in row):  # no column can hold one
            raise FileProblem(_("Row %(row)s holds a NUL character.") % {"row": number})
        if unquote:
            # An export quotes formula-like text with an apostrophe (om_portal.spreadsheets).
            row = [spreadsheets.unquote(cell) for cell in row]
        yield number, row


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_table(file, filename: str):
    """(header's row number, header names, an iterator of row dicts); FileProblem for a file
    that cannot be read or passes a limit, raised here or while the rows are iterated."""
    suffix = filename.lower().rsplit(".", 1)[-1]
    if suffix == "xlsx":
        table = _bounded(_xlsx_rows(file), unquote=False)
    elif suffix == "csv":
        table = _bounded(_csv_rows(file), unquote=True)
    else:
        raise FileProblem(_("Only .xlsx and .csv files can be imported."))
    header_row, header = next(((n, row) for n, row in table if not all(map(_blank, row))), (0, None))
    if header is None:
        raise FileProblem(_("The file has no header row."))
    header = [(index, str(name).strip()) for index, name in enumerate(header) if not _blank(name)]

    def rows():
        for number, cells in table:
            if all(map(_blank, cells)):
                continue
            row = {name: cells[index] if index < len(cells) else None for index, name in header}
            row[ROW] = number
            yield row

    return header_row, [name for _index, name in header], rows()


def read_rows(file, filename: str) -> list[dict]:
    """The data rows of the first sheet as dicts: header text as written → cell value.

    The header is the first non-empty row; columns without a header are left out; each dict
    holds its spreadsheet row number under ``ROW``. Raises FileProblem for an unreadable file.
    """
    return list(_read_table(file, filename)[2])


# --- Validating ---------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps "11" typed into a version cell as the number 11.0
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _whole_number(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = unicodedata.normalize("NFKC", _text(value))  # full-width digits from a Chinese IME
    if not WHOLE_NUMBER.fullmatch(text):
        raise ValueError(_("Not a whole number: “%(value)s”.") % {"value": _text(value)})
    return int(text)


def _date(value) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):  # an Excel date cell
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = DATE.fullmatch(unicodedata.normalize("NFKC", _text(value)))
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:  # 2026-02-30
            pass
    raise ValueError(_("Not a date: “%(value)s”; write it as 2026-05-28.") % {"value": _text(value)})


def _parse(key: str, value):
    """One cell → the field's value; a ValueError carries the message for the user."""
    if key == "warranty_ends_on":
        return _date(value)
    if key in TEXT_FIELDS:
        text, limit = _text(value), Asset._meta.get_field(key).max_length
        if len(text) > limit:
            raise ValueError(
                _("At most %(max)s characters (this has %(length)s).") % {"max": limit, "length": len(text)}
            )
        if key == "name" and not text:
            raise ValueError(_("Required."))
        return text
    if key in CHOICES_ZH:
        if _blank(value):
            if key == "kind":
                raise ValueError(_("Required."))
            return Asset.Status.IN_SERVICE
        found = _choice_lookup(key).get(_normalize(_text(value)))
        if found is None:
            allowed = "、".join(f"{names[0]} ({value})" for value, names in CHOICES_ZH[key].items())
            raise ValueError(
                _("Unknown value “%(value)s”; use one of: %(choices)s.")
                % {"value": _text(value), "choices": allowed}
            )
        return found
    if key in RANGES:
        if _blank(value):
            return None if key == "port" else 1
        number, (low, high) = _whole_number(value), RANGES[key]
        if not low <= number <= high:
            raise ValueError(_("Must be between %(min)s and %(max)s.") % {"min": low, "max": high})
        return number
    if _blank(value):  # attributes
        return {}
    try:
        parsed = json.loads(_text(value))
    except json.JSONDecodeError as error:
        raise ValueError(
            _("Not valid JSON (line %(line)s, column %(col)s).") % {"line": error.lineno, "col": error.colno}
        ) from None
    if not isinstance(parsed, dict):
        raise ValueError(_('Must be a JSON object, e.g. {"cpu": 8}.'))
    return parsed


def _map_header(header_row: int, names: list[str], errors: list[RowError]) -> dict[str, str]:
    """Header text as written → column key; unknown, doubled and missing columns are errors."""
    mapping, seen = {}, {}
    for name in names:
        key = _header_lookup().get(_normalize(name))
        if key is None:
            message = _("Unknown column; rename it to a column of the ledger or remove it.")
            errors.append(RowError(header_row, name, message))
        elif key in seen:
            message = _("The same column as “%(other)s”.") % {"other": seen[key]}
            errors.append(RowError(header_row, name, message))
        else:
            mapping[name], seen[key] = key, name
    for key in REQUIRED:
        if key not in seen:
            label = COLUMNS[KEYS.index(key)].label
            message = _("Required column is missing (“%(zh)s” or “%(en)s”).") % {"zh": label, "en": key}
            errors.append(RowError(header_row, label, message))
    return mapping


def _validate(header_row, names, rows, errors) -> tuple[list[str], list[tuple[int, dict]]]:
    mapping = _map_header(header_row, names, errors)
    name_column = next((name for name, key in mapping.items() if key == "name"), "")
    parsed, first_row = [], {}
    for row in rows:
        values = {}
        for name, key in mapping.items():
            try:
                values[key] = _parse(key, row[name])
            except ValueError as error:
                errors.append(RowError(row[ROW], name, str(error)))
        identity = (values.get("kind"), values.get("name"))
        earlier = first_row.setdefault(identity, row[ROW]) if None not in identity else row[ROW]
        if earlier != row[ROW]:
            message = _("Duplicate of row %(row)s (same kind and name).") % {"row": earlier}
            errors.append(RowError(row[ROW], name_column, message))
        if errors:
            parsed = []  # nothing will be written: only the errors are worth keeping
            if len(errors) >= MAX_ERRORS:
                del errors[MAX_ERRORS:]
                message = _("Only the first %(count)s problems are listed.") % {"count": MAX_ERRORS}
                errors.append(RowError(None, "", message))
                break
        else:
            parsed.append((row[ROW], values))
    return list(mapping.values()), parsed


# --- Importing ----------------------------------------------------------------------------------


def import_assets(contract: Contract, file, filename: str, *, mode: str = "upsert") -> ImportResult:
    """Validate the whole file, then write it in one transaction, or write nothing at all.

    "upsert" updates the rows of the ledger with the same kind and name and adds the others;
    "add" only adds, and a row already in the ledger is an error.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    result = ImportResult()
    try:
        header_row, names, rows = _read_table(file, filename)
        present, parsed = _validate(header_row, names, rows, result.errors)
    except FileProblem as problem:  # the file as a whole is refused: its rows' errors are moot
        result.errors[:] = [RowError(None, "", str(problem))]
        return result
    if not parsed and not result.errors:
        result.errors.append(RowError(None, "", _("The file has no data rows.")))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            # Imports into one contract queue up behind this lock instead of racing each other.
            Contract.objects.select_for_update().filter(pk=contract.pk).exists()
            _write(contract, present, parsed, mode, result)
            if result.errors:
                transaction.set_rollback(True)
    except IntegrityError:  # an asset added through the API or admin meanwhile
        result.created = result.updated = result.unchanged = 0
        message = _("Another change to the ledger conflicted with this import; try again.")
        result.errors.append(RowError(None, "", message))
    return result


def _write(contract, present, parsed, mode, result):
    existing = {(asset.kind, asset.name): asset for asset in Asset.objects.filter(contract=contract)}
    creates, updates, changed_fields = [], [], set()  # creates: the new rows' values
    now = timezone.now()
    for row, values in parsed:
        asset = existing.get((values["kind"], values["name"]))
        if asset is None:
            creates.append(values)
        elif mode == "add":
            message = _("Already in the ledger; import in update mode to change it.")
            result.errors.append(RowError(row, "", message))
        else:
            changed = {key for key in present if getattr(asset, key) != values[key]}
            if not changed:
                result.unchanged += 1
                continue
            for key in changed:
                setattr(asset, key, values[key])
            # bulk_update skips auto_now, so the time of the change is set here.
            asset.updated_at = now
            updates.append(asset)
            changed_fields |= changed
    if result.errors:
        return
    # Made a batch at a time: a model instance weighs a kilobyte or two, times 100,000 rows.
    for start in range(0, len(creates), BATCH):
        batch = [
            Asset(contract=contract, updated_at=now, **values) for values in creates[start : start + BATCH]
        ]
        Asset.objects.bulk_create(batch)
    if updates:
        Asset.objects.bulk_update(updates, [*sorted(changed_fields), "updated_at"], batch_size=BATCH)
    result.created, result.updated = len(creates), len(updates)
    # Written in bulk, so no per-row signal reaches the trail: one line says what the import did.
    audit.record_bulk(
        "import",
        Asset,
        len(creates) + len(updates),
        contract=contract,
        detail={"created": len(creates), "updated": len(updates), "mode": mode},
    )


# --- Exporting ----------------------------------------------------------------------------------


def _export_rows(queryset):
    for values in queryset.values_list(*KEYS):
        row = dict(zip(KEYS, values, strict=True))
        for key in CHOICES_ZH:
            row[key] = CHOICES_ZH[key][row[key]][0]
        attributes = row["attributes"]
        row["attributes"] = json.dumps(attributes, ensure_ascii=False, sort_keys=True) if attributes else ""
        yield [row[key] for key in KEYS]


def export_assets(queryset, fmt: str = "xlsx") -> bytes:
    """The ledger rows of the queryset as a file with the import's header, in its order."""
    if fmt == "csv":
        return _export_csv(queryset)
    if fmt == "xlsx":
        return _export_xlsx(queryset)
    raise ValueError(f"unknown format {fmt!r}")


def _export_csv(queryset) -> bytes:
    buffer = io.StringIO()
    writer = spreadsheets.csv_writer(buffer)
    writer.writerow([column.label for column in COLUMNS])
    for row in _export_rows(queryset):
        writer.writerow(row)
    # The BOM makes Excel read the file as UTF-8 rather than in the system's GB18030.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _export_xlsx(queryset) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook(write_only=True)  # streams the rows; the normal mode keeps every cell object
    sheet = workbook.create_sheet("台账")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for key, choices in CHOICES_ZH.items():
        # A drop-down of the Chinese labels; other accepted spellings may still be typed in.
        letter = get_column_letter(KEYS.index(key) + 1)
        labels = ",".join(names[0] for names in choices.values())
        validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}1048576")
        sheet.data_validations.append(validation)
    header = [WriteOnlyCell(sheet, value=column.label) for column in COLUMNS]
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for row in _export_rows(queryset):
        for index, value in enumerate(row):
            if spreadsheets.is_formula_like(value):
                value = spreadsheets.xlsx_defuse(WriteOnlyCell(sheet, value=spreadsheets.xlsx_value(value)))
            row[index] = spreadsheets.xlsx_value(value)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
