"""Pabulib files in and out of the database: an imported file becomes a closed process (its projects and its
anonymous votes, no voters); a tallied process goes out as a file with each project's votes and `selected`.

Importing then exporting keeps everything the outcome depends on: the budget, each project's id and cost,
the ballots, the ballot kind and the rule, so importing the export gives the same outcome.
"""

import secrets
from datetime import UTC, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert

from participation.budgets import pabulib, queries
from participation.budgets.allocation import natural_key
from participation.budgets.models import (
    TITLE_MAX,
    BallotKind,
    BudgetBallot,
    BudgetBallotProject,
    BudgetProcess,
    BudgetProject,
    ProcessSource,
    ProcessState,
    ProjectStatus,
    Rule,
)
from participation.budgets.services import SUBJECT
from participation.core.audit import audit
from participation.core.errors import Conflict
from participation.core.time import KST, to_kst, utcnow
from participation.extensions import db

# Pabulib files rarely name their currency; their country does.
CURRENCY_BY_COUNTRY = {"poland": "PLN", "netherlands": "EUR", "france": "EUR", "germany": "EUR", "italy": "EUR",
                       "spain": "EUR", "portugal": "EUR", "switzerland": "CHF", "united states": "USD",
                       "usa": "USD", "canada": "CAD", "south korea": "KRW", "korea": "KRW", "brazil": "BRL",
                       "mexico": "MXN", "united kingdom": "GBP"}
BATCH = 5000
RECOUNTED_META = ("num_projects", "num_votes", "budget", "vote_type")


def currency_of(meta: dict) -> str:
    stated = meta.get("currency", "").strip().upper()
    if len(stated) == 3 and stated.isalpha() and stated.isascii():
        return stated
    return CURRENCY_BY_COUNTRY.get(meta.get("country", "").strip().lower(), "XXX")


def parse_date(text: str | None) -> datetime | None:
    """Pabulib dates: "30.06.2017" (or 2017-06-30); the end of that KST day is when voting ended."""
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
        return datetime.combine(day, time(23, 59, 59), tzinfo=KST).astimezone(UTC)
    return None


def import_file(parsed: pabulib.PabulibFile, actor=None) -> BudgetProcess:
    """Store a parsed file as a closed process (flushes; the caller commits and allocates)."""
    meta = parsed.meta
    title = meta.get("description") or " ".join(
        part for part in (meta.get("unit"), meta.get("subunit"), meta.get("instance")) if part) or "Pabulib"
    max_length = parsed.max_length
    approval = max_length is not None and max_length < len(parsed.projects)
    rule = Rule.equal_shares if meta.get("rule", "").lower().startswith("equalshares") else Rule.greedy
    ended = parse_date(meta.get("date_end")) or utcnow()
    process = BudgetProcess(
        title=title[:TITLE_MAX], state=ProcessState.closed, source=ProcessSource.pabulib,
        description=str(_l("Pabulib 파일에서 가져온 사업입니다 (%(unit)s, %(instance)s). 투표는 익명으로 옮겼습니다.",
                           unit=meta.get("unit", "-"), instance=meta.get("instance", "-"))),
        budget=parsed.budget, decimals=parsed.decimals, currency=currency_of(meta),
        ballot_kind=BallotKind.approval if approval else BallotKind.knapsack,
        max_projects=max_length if approval else None, rule=rule, categories=[], eligible_age_bands=[],
        voting_opened_at=parse_date(meta.get("date_begin")), voting_closes_at=ended, closed_at=ended,
        pabulib_meta=dict(meta), author_id=getattr(actor, "id", None))
    db.session.add(process)
    db.session.flush()
    ids = {}
    for item in parsed.projects:
        fields = dict(item.fields)
        name = fields.pop("name", "") or item.project_id
        project = BudgetProject(budget_id=process.id, code=item.project_id, title=name[:TITLE_MAX],
                                estimated_cost=item.cost, cost=item.cost, status=ProjectStatus.feasible,
                                pabulib_fields=fields)
        db.session.add(project)
        db.session.flush()
        ids[item.project_id] = project.id
    ballots, choices = [], []
    # The file's votes are anonymous already (no voter, no receipt): they go straight into the opened tables.
    for vote in parsed.votes:
        ballot_id = secrets.token_hex(16)
        ballots.append({"id": ballot_id, "budget_id": process.id})
        choices += [{"ballot_id": ballot_id, "project_id": ids[name], "budget_id": process.id} for name in vote]
    for start in range(0, len(ballots), BATCH):
        db.session.execute(insert(BudgetBallot), ballots[start:start + BATCH])
    for start in range(0, len(choices), BATCH):
        db.session.execute(insert(BudgetBallotProject), choices[start:start + BATCH])
    audit(actor, SUBJECT, process.id, "imported:closed", f"pabulib: {len(parsed.projects)} projects, "
                                                         f"{len(parsed.votes)} votes")
    db.session.flush()
    return process


def pabulib_date(moment: datetime | None) -> str | None:
    return to_kst(moment).strftime("%d.%m.%Y") if moment else None


def export_meta(process: BudgetProcess, projects: int, votes: int) -> dict:
    if process.source == ProcessSource.pabulib:
        meta = {key: value for key, value in process.pabulib_meta.items() if key not in RECOUNTED_META}
    else:
        year = to_kst(process.voting_opened_at or process.created_at).year
        meta = {"description": process.title, "country": "South Korea", "unit": "Seoul",
                "subunit": process.district or "Seoul", "instance": str(year)}
        meta.update({key: value for key, value in (("date_begin", pabulib_date(process.voting_opened_at)),
                                                   ("date_end", pabulib_date(process.closed_at))) if value})
        meta.update({"language": "korean", "currency": process.currency,
                     "rule": "equalshares" if process.rule == Rule.equal_shares else "greedy"})
    meta.update({"num_projects": str(projects), "num_votes": str(votes),
                 "budget": pabulib.format_amount(process.budget, process.decimals), "vote_type": "approval"})
    meta.setdefault("rule", "equalshares" if process.rule == Rule.equal_shares else "greedy")
    if process.ballot_kind == BallotKind.approval:
        meta["max_length"] = str(process.max_projects)
        meta.pop("max_sum_cost", None)
    else:
        meta.setdefault("max_sum_cost", pabulib.format_amount(process.budget, process.decimals))
        meta.pop("max_length", None)
    return meta


def export_text(process: BudgetProcess) -> str:
    """A tallied process as a Pabulib file."""
    if process.state != ProcessState.tallied:
        raise Conflict(_l("집계가 끝난 사업만 내보낼 수 있습니다."), code="not_tallied")
    on_ballot = sorted((project for project in process.projects if project.funded is not None),
                       key=lambda project: natural_key(project.pabulib_id))
    names = {project.id: project.pabulib_id for project in on_ballot}
    rows = []
    for project in on_ballot:
        row = {"project_id": project.pabulib_id, "cost": pabulib.format_amount(project.cost, process.decimals),
               "votes": str(project.votes), "name": project.title}
        if process.source == ProcessSource.platform:
            row["category"] = project.category or ""
        row.update({key: value for key, value in project.pabulib_fields.items() if key not in ("votes", "selected")})
        row["selected"] = "1" if project.funded else "0"
        rows.append(row)
    columns = [column for column in dict.fromkeys(column for row in rows for column in row) if column != "selected"]
    columns.append("selected")
    rows = [{column: row.get(column, "") for column in columns} for row in rows]
    votes = [sorted((names[project_id] for project_id in ballot), key=natural_key)
             for ballot in queries.ballot_rows(process)]
    return pabulib.write(export_meta(process, len(rows), len(votes)), rows, votes)


def file_name(process: BudgetProcess) -> str:
    return f"budget-{process.id}.pb"
