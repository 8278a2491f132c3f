"""CSV for people's spreadsheets: UTF-8 with a byte-order mark, so that Excel shows Korean as Korean."""

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from flask import Response

BOM = "\ufeff"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_csv(rows: Iterable[dict], fields: Iterable[str]) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    fields = list(fields)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in fields])
    return buffer.getvalue()


def csv_response(rows: Iterable[dict], fields: Iterable[str], filename: str) -> Response:
    response = Response(to_csv(rows, fields).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
