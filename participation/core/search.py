"""The public lists' keyword search (petitions, proposals): the one place that says how "every term appears in the
title or the body" is asked, on either database, with the same results.

PostgreSQL: `LIKE '%term%'` on title and body, which its pg_trgm indexes answer (migration 0011). SQLite: the FTS5
trigram table of the same columns (migration 0033, kept by triggers) for a term of three characters or more; a
shorter term has no trigram to look up (nor on PostgreSQL), so it is `instr()` over the rows, as LIKE would be.
Both are case-sensitive substring matches, as LIKE is on PostgreSQL."""

from sqlalchemy import Integer, and_, func, or_, text
from sqlalchemy.sql.elements import ColumnElement

from participation.extensions import db

# On SQLite each searched table (core.database.SEARCHED_TABLES) has its `<table>_search` FTS5 table.
TRIGRAM = 3


def contains_every(model, terms: list[str]) -> ColumnElement:
    """A WHERE clause: each of `terms` is found in the row's title or body."""
    terms = [term for term in terms if term]
    if db.session.get_bind().dialect.name != "sqlite":
        return and_(*(or_(model.title.contains(term, autoescape=True), model.body.contains(term, autoescape=True))
                      for term in terms))
    indexed = [term for term in terms if len(term) >= TRIGRAM]
    clauses = [or_(func.instr(model.title, term) > 0, func.instr(model.body, term) > 0)
               for term in terms if len(term) < TRIGRAM]
    if indexed:
        index = f"{model.__tablename__}_search"
        # Each term a phrase (a `"` inside doubled): FTS5 reads nothing else in it as syntax.
        query = " AND ".join('"' + term.replace('"', '""') + '"' for term in indexed)
        rows = text(f"SELECT rowid FROM {index} WHERE {index} MATCH :search_query").bindparams(
            search_query=query).columns(rowid=Integer)
        clauses.append(model.id.in_(rows))
    return and_(*clauses)
