"""Pabulib `.pb` files (pabulib.org/format): read strictly, write faithfully.

A file has three sections, each a `;`-separated table with a header row: META (key;value), PROJECTS
(project_id;cost;…) and VOTES (voter_id;…;vote, the vote a comma-separated list of project ids). Only
approval votes (`vote_type` approval or choose-1) are read: that is the ballot this platform runs.

Reading checks everything before anything is stored and names the line of the first problem
(`PabulibError`). Amounts may have decimals (PLN with grosze): they are read exactly and returned as
integers in the file's smallest unit, with the number of decimal places (`decimals`).
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

MAX_DECIMALS = 4
APPROVAL_TYPES = ("approval", "choose-1")
SECTIONS = ("meta", "projects", "votes")


class PabulibError(ValueError):
    """A malformed file: the line (1-based) and what is wrong with it."""

    def __init__(self, line: int, message):
        self.line, self.message = line, message
        super().__init__(f"line {line}: {message}")

    def __str__(self) -> str:
        return str(_l("%(line)d번째 줄: %(message)s", line=self.line, message=self.message))


@dataclass
class PabulibProject:
    project_id: str
    cost: int
    fields: dict  # the row's other columns (name, category, votes, selected, …) as written
    line: int


@dataclass
class PabulibFile:
    meta: dict
    budget: int
    decimals: int
    projects: list[PabulibProject]
    votes: list[frozenset[str]] = field(default_factory=list)

    @property
    def max_length(self) -> int | None:
        value = self.meta.get("max_length")
        return int(value) if value and value.isdigit() else None


def parse_amount(text: str) -> Decimal | None:
    """A positive amount such as "150000", "376634.74" or "376634,74"; None if it is not one."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or -value.as_tuple().exponent > MAX_DECIMALS:
        return None
    return value


def scaled(value: Decimal, decimals: int) -> int:
    return int(value.scaleb(decimals))


def read(text: str) -> PabulibFile:
    """Parse a whole file; raise PabulibError naming the line of the first problem."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    reading = _Reading()
    section, header, seen = None, None, set()
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if len(row) == 1 and first.lower() in SECTIONS:
            section = first.lower()
            if section in seen:
                raise PabulibError(line, _l("%(section)s 구역이 두 번 나옵니다.", section=first))
            seen.add(section)
            header = None
            continue
        if section is None:
            raise PabulibError(line, _l("파일은 META 구역으로 시작해야 합니다."))
        if header is None:
            header = _header(section, row, line)
            if header is not None:
                continue
            # Some published files start META without its `key;value` header: the row is data.
            header = ["key", "value"]
        if len(row) != len(header):
            raise PabulibError(line, _l("칸이 %(found)d개입니다. 머리글에 맞게 %(expected)d개여야 합니다.",
                                        found=len(row), expected=len(header)))
        reading.row(section, dict(zip(header, (cell.strip() for cell in row), strict=True)), line)
    for section in SECTIONS:
        if section not in seen:
            raise PabulibError(reader.line_num or 1, _l("%(section)s 구역이 없습니다.", section=section.upper()))
    return finish(reading.meta, reading.meta_lines, reading.projects, reading.amounts, reading.raw_votes,
                  reader.line_num)


def _header(section: str, row: list[str], line: int) -> list[str] | None:
    """The section's header, checked; None when the row is META data without its `key;value` header."""
    cells = [cell.strip().lower() for cell in row]
    if section != "meta" or cells == ["key", "value"]:
        check_header(section, cells, line)
        return cells
    return None


@dataclass
class _Reading:
    """What the rows of a file have given so far."""

    meta: dict[str, str] = field(default_factory=dict)
    meta_lines: dict[str, int] = field(default_factory=dict)
    projects: dict[str, "PabulibProject"] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    raw_votes: list[tuple[int, str]] = field(default_factory=list)
    voter_ids: set[str] = field(default_factory=set)

    def row(self, section: str, cells: dict, line: int) -> None:
        if section == "meta":
            if not cells["key"]:
                raise PabulibError(line, _l("META의 key가 비어 있습니다."))
            self.meta[cells["key"]] = cells["value"]
            self.meta_lines[cells["key"]] = line
        elif section == "projects":
            read_project(cells, line, self.projects, self.amounts)
        else:
            voter = cells.get("voter_id", "")
            if voter and voter in self.voter_ids:
                raise PabulibError(line, _l("voter_id '%(voter)s'가 두 번 나옵니다.", voter=voter[:40]))
            self.voter_ids.add(voter)
            self.raw_votes.append((line, cells["vote"]))


def check_header(section: str, header: list[str], line: int) -> None:
    required = {"meta": ("key", "value"), "projects": ("project_id", "cost"), "votes": ("vote",)}[section]
    missing = [name for name in required if name not in header]
    if missing:
        raise PabulibError(line, _l("%(section)s 머리글에 %(columns)s 칸이 없습니다.", section=section.upper(),
                                    columns=", ".join(missing)))
    if len(set(header)) != len(header):
        raise PabulibError(line, _l("머리글에 같은 칸 이름이 두 번 있습니다."))


def read_project(cells: dict, line: int, projects: dict, amounts: dict) -> None:
    project_id = cells["project_id"]
    if not project_id or "," in project_id or len(project_id) > 60:
        raise PabulibError(line, _l("project_id가 비었거나 쉼표가 있거나 60자를 넘습니다."))
    if project_id in projects:
        raise PabulibError(line, _l("project_id '%(id)s'가 두 번 나옵니다.", id=project_id))
    cost = parse_amount(cells["cost"])
    if cost is None:
        raise PabulibError(line, _l("사업 '%(id)s'의 비용 '%(cost)s'는 0보다 큰 금액이어야 합니다 "
                                    "(소수점 %(max)d자리까지).",
                                    id=project_id, cost=cells["cost"][:40], max=MAX_DECIMALS))
    amounts[project_id] = cost
    fields = {name: value for name, value in cells.items() if name not in ("project_id", "cost")}
    projects[project_id] = PabulibProject(project_id=project_id, cost=0, fields=fields, line=line)


def finish(meta: dict, meta_lines: dict, projects: dict, amounts: dict, raw_votes: list, last_line: int) -> PabulibFile:
    def meta_line(key: str) -> int:
        return meta_lines.get(key, 2)

    vote_type = meta.get("vote_type", "").lower()
    if vote_type not in APPROVAL_TYPES:
        raise PabulibError(last_line if not vote_type else meta_line("vote_type"),
                           _l("vote_type '%(type)s'는 읽을 수 없습니다. 찬성(approval) 투표만 가져올 수 있습니다.",
                              type=vote_type[:40] or "-"))
    budget = parse_amount(meta.get("budget", ""))
    if budget is None:
        raise PabulibError(meta_line("budget"), _l("META의 budget은 0보다 큰 금액이어야 합니다."))
    if not projects:
        raise PabulibError(last_line, _l("PROJECTS 구역에 사업이 없습니다."))
    decimals = max(-min(value.as_tuple().exponent, 0) for value in (budget, *amounts.values()))
    for project_id, project in projects.items():
        project.cost = scaled(amounts[project_id], decimals)
    votes = []
    for line, vote in raw_votes:
        names = [name.strip() for name in vote.split(",") if name.strip()]
        unknown = [name for name in names if name not in projects]
        if unknown:
            raise PabulibError(line, _l("투표에 없는 사업 '%(id)s'가 있습니다.", id=unknown[0][:60]))
        if len(set(names)) != len(names):
            raise PabulibError(line, _l("투표에 같은 사업이 두 번 있습니다."))
        votes.append(frozenset(names))
    for key, actual in (("num_projects", len(projects)), ("num_votes", len(votes))):
        stated = meta.get(key)
        if stated is not None and stated.isdigit() and int(stated) != actual:
            raise PabulibError(meta_line(key), _l("META의 %(key)s는 %(stated)s인데 실제로는 %(actual)d개입니다.",
                                                        key=key, stated=stated, actual=actual))
    return PabulibFile(meta=meta, budget=scaled(budget, decimals), decimals=decimals,
                       projects=list(projects.values()), votes=votes)


def format_amount(value: int, decimals: int) -> str:
    if not decimals:
        return str(value)
    return str(Decimal(value).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals)))


def write(meta: dict, projects: list[dict], votes: list[list[str]]) -> str:
    """A Pabulib file: `meta` in order, `projects` as rows (dicts with the same keys, project_id and cost
    first), `votes` as lists of project ids (voter ids are numbered from 1)."""
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in meta.items():
        writer.writerow([key, value])
    writer.writerow(["PROJECTS"])
    columns = list(projects[0]) if projects else ["project_id", "cost"]
    writer.writerow(columns)
    for row in projects:
        writer.writerow([row.get(column, "") for column in columns])
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote"])
    for number, vote in enumerate(votes, start=1):
        writer.writerow([number, ",".join(vote)])
    return output.getvalue()
