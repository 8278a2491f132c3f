"""Import of the national proposal portal's export (국민제안 · 국민신문고): CSV in UTF-8 or CP949, or XLSX.

Staff map the file's columns to our fields, look at a dry run (what is new, what changes, which rows are
wrong and why, by row number), and only then confirm. The portal's proposal number is unique here, so
importing the same export twice changes nothing; rows with errors are never imported."""

import csv
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.core import storage
from participation.core.audit import audit
from participation.core.errors import Conflict, ValidationError
from participation.core.input import refuse_nul_in_file
from participation.core.permissions import Role, require_role
from participation.core.seoul import CATEGORIES
from participation.core.time import KST, utcnow
from participation.extensions import db
from participation.proposals import services
from participation.proposals.models import PORTAL_ID_MAX, Proposal, ProposalSource, ProposalState

# field -> (label, required, header names the portal's exports use)
FIELDS = {
    "portal_id": (_l("제안번호"), True, ("제안번호", "접수번호", "신청번호", "portal_id")),
    "title": (_l("제목"), True, ("제목", "제안제목", "제안명", "title")),
    "body": (_l("제안 내용"), True, ("제안내용", "내용", "제안요지", "body")),
    "category": (_l("분야"), True, ("분야", "제안분야", "category")),
    "received_at": (_l("접수일"), True, ("접수일", "접수일자", "접수일시", "신청일", "received_at")),
    "problem": (_l("현황 및 문제점"), False, ("현황및문제점", "문제점", "현황", "problem")),
    "expected_effect": (_l("기대 효과"), False, ("기대효과", "expected_effect")),
    "district": (_l("자치구"), False, ("자치구", "지역", "district")),
}
CITY_WIDE = {"", "서울시", "서울특별시", "서울시 전체", "전체", "시 전체"}
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y.%m.%d", "%Y. %m. %d", "%Y/%m/%d",
                "%Y%m%d")
COMPARED = ("title", "body", "problem", "expected_effect", "category", "district", "submitted_at")
CHANGED_LABELS = {"title": FIELDS["title"][0], "body": FIELDS["body"][0], "problem": FIELDS["problem"][0],
                  "expected_effect": FIELDS["expected_effect"][0], "category": FIELDS["category"][0],
                  "district": FIELDS["district"][0], "submitted_at": FIELDS["received_at"][0]}


# Uploaded exports wait in the shared storage between the dry run and the confirmation, which any web process
# may receive; unconfirmed ones are removed after a day.
STAGED = "imports"
STALE_AFTER = timedelta(hours=24)
STAGED_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def stage(data: bytes, extension: str) -> str:
    """Keep an uploaded export until it is confirmed; its stored name (the caller commits)."""
    name = f"{secrets.token_hex(16)}.{extension}"
    storage.save(f"{STAGED}/{name}", data, STAGED_TYPES[extension])
    return name


def staged(name: str) -> bytes | None:
    return storage.read(f"{STAGED}/{name}")


def unstage(name: str) -> None:
    """The export is imported: remove it with the import's commit."""
    storage.delete(f"{STAGED}/{name}")


def remove_stale_uploads() -> int:
    return storage.remove_older_than(f"{STAGED}/", STALE_AFTER)


@dataclass
class Row:
    line: int
    portal_id: str = ""
    action: str = "error"  # new | update | unchanged | error
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    changed: list = field(default_factory=list)  # for an update: the fields that differ


@dataclass
class Plan:
    rows: list[Row]
    imported: bool = False

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.action == "error"]


def _normalise(header: str) -> str:
    return "".join(str(header or "").split()).lower()


# What one export may hold (the national portal's exports are a few thousand rows of a dozen columns). Past these
# a file is refused before it is read whole: an XLSX is a zip, and a few megabytes of it can expand to gigabytes
# of shared strings, which openpyxl reads into memory.
MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_CELL = 20_000
MAX_EXPANDED_BYTES = 64 * 1024 * 1024


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the non-empty rows (with their row numbers, the header being row 1), within the caps."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                expanded = sum(item.file_size for item in archive.infolist())
            if expanded > MAX_EXPANDED_BYTES:
                raise ValidationError({"file": _l("XLSX 파일의 압축을 푼 크기가 너무 큽니다 (%(mb)dMB까지).",
                                                  mb=MAX_EXPANDED_BYTES // 2**20)})
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            table = _capped(sheet.iter_rows(values_only=True))
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, IndexError):
            raise ValidationError({"file": _l("XLSX 파일을 읽을 수 없습니다.")}) from None
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "cp949"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError({"file": _l("파일의 문자 인코딩을 읽을 수 없습니다 (UTF-8 또는 CP949).")})
        refuse_nul_in_file(text, "file")
        try:
            table = _capped(csv.reader(io.StringIO(text, newline="")))
        except csv.Error:
            raise ValidationError({"file": _l("CSV 형식이 올바르지 않습니다.")}) from None
    else:
        raise ValidationError({"file": _l("CSV 또는 XLSX 파일을 올려 주세요.")})
    if not table:
        raise ValidationError({"file": _l("빈 파일입니다.")})
    headers = ["" if cell is None else str(cell).strip() for cell in table[0]]
    rows = [(number, row) for number, row in enumerate(table[1:], start=2)
            if any(cell not in (None, "") and str(cell).strip() for cell in row)]
    return headers, rows


def _capped(rows) -> list[list]:
    """The rows as lists, refused (ValidationError) as soon as one passes a cap: nothing past them is read."""
    table = []
    for row in rows:
        row = list(row)
        if len(table) > MAX_ROWS:
            raise ValidationError({"file": _l("한 번에 %(max)d행까지 가져올 수 있습니다.", max=MAX_ROWS)})
        if len(row) > MAX_COLUMNS and any(cell not in (None, "") for cell in row[MAX_COLUMNS:]):
            raise ValidationError({"file": _l("열은 %(max)d개까지 읽습니다.", max=MAX_COLUMNS)})
        if any(len(str(cell)) > MAX_CELL for cell in row if cell is not None):
            raise ValidationError({"file": _l("한 칸에 %(max)d자까지 읽습니다.", max=MAX_CELL)})
        table.append(row[:MAX_COLUMNS])
    return table


def default_mapping(headers: list[str]) -> dict[str, str]:
    """Our field -> the file's column, guessed from the header names the portal uses."""
    known = {_normalise(header): header for header in headers}
    mapping = {}
    for name, (_label, _required, aliases) in FIELDS.items():
        mapping[name] = next((known[_normalise(alias)] for alias in aliases if _normalise(alias) in known), "")
    return mapping


def _check_mapping(headers: list[str], mapping: dict) -> dict[str, int]:
    columns, errors = {}, {}
    for name, (label, required, _aliases) in FIELDS.items():
        header = mapping.get(name) or ""
        if header and header in headers:
            columns[name] = headers.index(header)
        elif header or required:
            errors[f"map_{name}"] = _l("'%(field)s'에 맞는 열을 골라 주세요.", field=label)
    if errors:
        raise ValidationError(errors)
    return columns


def _category_code(value: str) -> str | None:
    if value in CATEGORIES:
        return value
    with force_locale("ko"):
        by_label = {_normalise(str(label)): code for code, label in CATEGORIES.items()}
    return by_label.get(_normalise(value))


def _received_at(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = str(value or "").strip()
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KST)
    return moment.astimezone(UTC)


def _cell(row: list, index: int | None):
    if index is None or index >= len(row) or row[index] is None:
        return ""
    return row[index]


def _check_row(number: int, row: list, columns: dict[str, int], seen: dict[str, int]) -> Row:
    result = Row(line=number)
    text = {name: str(_cell(row, index)).strip() for name, index in columns.items() if name != "received_at"}
    portal_id = text["portal_id"]
    if portal_id.endswith(".0") and portal_id[:-2].isdigit():
        portal_id = portal_id[:-2]  # a number that a spreadsheet stored as a float
    result.portal_id = portal_id
    if not portal_id:
        result.errors.append(_l("제안번호가 비어 있습니다."))
    elif len(portal_id) > PORTAL_ID_MAX:
        result.errors.append(_l("제안번호가 너무 깁니다."))
    elif portal_id in seen:
        result.errors.append(_l("같은 제안번호가 %(line)d행에도 있습니다.", line=seen[portal_id]))
    else:
        seen[portal_id] = number
    category = _category_code(text["category"])
    if category is None:
        result.errors.append(_l("알 수 없는 분야입니다: %(value)s", value=text["category"][:40]))
    district = text.get("district", "")
    received = _received_at(_cell(row, columns["received_at"]))
    if received is None:
        result.errors.append(_l("접수일을 읽을 수 없습니다 (예: 2024-03-15)."))
    elif received > utcnow():
        result.errors.append(_l("접수일이 미래입니다."))
    try:
        cleaned = services.clean_fields({
            "title": text["title"], "body": text["body"], "problem": text.get("problem", ""),
            "expected_effect": text.get("expected_effect", ""), "category": category or "other",
            "district": None if district in CITY_WIDE else district})
    except ValidationError as error:
        for name, messages in error.fields.items():
            result.errors.append(f"{CHANGED_LABELS.get(name, name)}: {' '.join(messages)}")
        cleaned = {}
    if not result.errors:
        result.values = {**cleaned, "category": category, "submitted_at": received}
    return result


def plan_import(data: bytes, filename: str, mapping: dict | None = None) -> tuple[Plan, list[str], dict]:
    """What importing this file would do; changes nothing."""
    headers, table = read_table(data, filename)
    mapping = mapping if mapping is not None else default_mapping(headers)
    columns = _check_mapping(headers, mapping)
    seen: dict[str, int] = {}
    rows = [_check_row(number, row, columns, seen) for number, row in table]
    valid = {row.portal_id: row for row in rows if not row.errors}
    existing = {}
    ids = list(valid)
    for start in range(0, len(ids), 500):
        for proposal in db.session.scalars(select(Proposal).where(Proposal.portal_id.in_(ids[start:start + 500]))):
            existing[proposal.portal_id] = proposal
    for portal_id, row in valid.items():
        proposal = existing.get(portal_id)
        row.changed = [] if proposal is None else [
            name for name in COMPARED if getattr(proposal, name) != row.values[name]]
        row.action = "new" if proposal is None else ("update" if row.changed else "unchanged")
    return Plan(rows=rows), headers, mapping


def run_import(actor, data: bytes, filename: str, mapping: dict | None = None, *, confirm: bool = False) -> Plan:
    """Dry run unless confirmed; when confirmed, the valid rows are written and the rows in error skipped."""
    require_role(actor, Role.staff)
    plan, _headers, _mapping = plan_import(data, filename, mapping)
    if not confirm:
        return plan
    now, rules = utcnow(), services.opening_rules()
    changes = [row for row in plan.rows if row.action in ("new", "update")]
    try:
        with db.session.begin_nested():
            current = {proposal.portal_id: proposal for proposal in db.session.scalars(
                select(Proposal).where(Proposal.portal_id.in_([row.portal_id for row in changes
                                                                if row.action == "update"])))}
            touched = []
            for row in changes:
                if row.action == "new":
                    proposal = Proposal(source=ProposalSource.national_portal, portal_id=row.portal_id,
                                        entered_by_id=actor.id, state=ProposalState.open, **row.values)
                    services.start_support_period(proposal, now, rules)
                    db.session.add(proposal)
                else:
                    proposal = current[row.portal_id]
                    for name, value in row.values.items():
                        setattr(proposal, name, value)
                touched.append((row.action, proposal))
            db.session.flush()
            for action, proposal in touched:
                audit(actor, services.SUBJECT, proposal.id, "imported->open" if action == "new" else "import_updated")
    except IntegrityError:
        raise Conflict(_l("다른 가져오기와 겹쳤습니다. 미리 보기를 다시 해 주세요."), code="import_conflict") from None
    audit(actor, "proposal_import", 0, f"imported new={plan.count('new')} updated={plan.count('update')} "
          f"unchanged={plan.count('unchanged')} errors={len(plan.errors)}", filename[:200])
    plan.imported = True
    return plan
