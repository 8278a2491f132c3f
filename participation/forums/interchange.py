"""A forum's open data in Pol.is's export format, and Pol.is conversations imported as forums (forums/polis.py
reads and writes the files).

**Export** (the forum page, the API, `flask --app wsgi forums export-polis FORUM_ID DIR`): the four files of
a Pol.is export, so that researchers can check our groups with their own tools and set them against Pol.is's.
Comments are the forum's statements, numbered 0, 1, 2 … in the order they were written (statements are never
deleted, so the numbers never change); the text is given only for approved statements (moderated 1: a pending
statement is 0, a rejected one −1, both without text). Participants are anonymous numbers (forum_participant)
and never user ids; `group-id` is the opinion group of the last recount, numbered from 0 as Pol.is does (group
1 on the page is 0). Times are rounded down to the day (midnight in Seoul), so that a reaction cannot be
matched with a named forum comment written at the same moment.

**Import** (`flask --app wsgi forums import-polis DIR`, staff): a closed forum with the conversation's
statements (comment-id order, so the numbering survives), one placeholder account per participant (no e-mail,
no password, closed: nobody can sign in to it and it appears in no list of people) with the export's
participant numbers, and every participant's last vote as a reaction. Such a forum is a copy for study: only
staff see it, it is never counted as a forum opened here (no `opened_at`), and its state does not change. Its
first recount starts from the export's number of groups (summary.csv), so that exporting a forum and importing
the export gives the same groups."""

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from flask import Response, current_app, has_request_context, send_file, url_for
from sqlalchemy import BigInteger, cast, func, insert, select

from participation.accounts.models import User
from participation.core.audit import audit
from participation.core.csv import csv_chunks
from participation.core.time import utcnow
from participation.extensions import db
from participation.forums import counts as forum_counts
from participation.forums import polis, queries
from participation.forums.models import (
    IMPORTED_FROM_MAX,
    STATEMENT_STORED_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Forum,
    ForumState,
    Participant,
    Reaction,
    ReactionValue,
    Statement,
    StatementState,
)

MODERATED = {StatementState.approved: polis.SHOWN, StatementState.pending: polis.UNMODERATED,
             StatementState.rejected: polis.MODERATED_OUT}
REACTION_OF = {1.0: ReactionValue.agree, -1.0: ReactionValue.disagree, 0.0: ReactionValue.pass_}
ROWS_PER_INSERT = 2_000
DAY = 86_400
SEOUL_OFFSET = 9 * 3600
ZIP_NAME = "polis-export.zip"
DOWNLOADS = (*polis.FILES, ZIP_NAME)


# ------------------------------------------------------------------------------------------------------ export
def export_files(forum: Forum) -> dict[str, Callable[[], Iterator[str]]]:
    """The four files of the forum's export: name → a function giving the file's text in chunks."""
    return {"summary.csv": lambda: _summary(forum), "comments.csv": lambda: _comments(forum),
            "votes.csv": lambda: _votes(forum), "participants-votes.csv": lambda: _participants_votes(forum)}


def export_response(forum: Forum, name: str) -> Response:
    """A download of one file of the export, or of all four in a ZIP (a folder `forum-<id>` holding them, ready
    for `forums import-polis`)."""
    if name == ZIP_NAME:
        spool = tempfile.SpooledTemporaryFile(max_size=32 * 2**20)  # noqa: SIM115 (send_file closes it)
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, chunks in export_files(forum).items():
                with archive.open(f"forum-{forum.id}/{member}", "w") as handle:
                    for chunk in chunks():
                        handle.write(chunk.encode("utf-8"))
        spool.seek(0)
        return send_file(spool, mimetype="application/zip", as_attachment=True,
                         download_name=f"forum-{forum.id}-{ZIP_NAME}", max_age=0)
    # The rows are read from the database here; the response then streams their text.
    response = Response(export_files(forum)[name](), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def write_export(forum: Forum, directory: str | Path) -> list[Path]:
    """Write the four files into `directory` (made if missing); the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chunks in export_files(forum).items():
        path = directory / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            for chunk in chunks():
                handle.write(chunk)
        written.append(path)
    return written


def _days_ms(seconds: np.ndarray) -> np.ndarray:
    """Milliseconds at the start of each moment's day in Seoul (the export's times are days), for Unix times in
    seconds. Seoul is UTC+9 (without summer time since 1988)."""
    return (seconds + SEOUL_OFFSET) // DAY * DAY * 1000 - SEOUL_OFFSET * 1000


def _day_ms(moment: datetime | None) -> int:
    return int(_days_ms(np.array([int((moment or utcnow()).timestamp())]))[0])


def _statement_numbers(forum_id: int) -> list[tuple[int, int, StatementState, str, int | None, datetime]]:
    """(number, id, state, text, author id, written at) of every statement, in order."""
    rows = db.session.execute(select(Statement.id, Statement.state, Statement.text, Statement.author_id,
                                     Statement.created_at).where(Statement.forum_id == forum_id)
                              .order_by(Statement.id))
    return [(number, *row) for number, row in enumerate(rows)]


def _numbers(forum_id: int) -> dict[int, int]:
    return dict(db.session.execute(select(Participant.user_id, Participant.number)
                                   .where(Participant.forum_id == forum_id)).all())


def _reactions(forum_id: int) -> np.ndarray:
    """(participant number, comment number, vote, day in ms) of every reaction by a numbered participant, sorted
    by comment, then participant (as Pol.is's votes.csv): one integer array, read without a Python object per
    reaction."""
    rows = queries.integer_rows(
        select(Participant.number, Reaction.statement_id, queries.reaction_vote(),
               cast(func.extract("epoch", Reaction.reacted_at), BigInteger))
        .join(Statement, Statement.id == Reaction.statement_id)
        .join(Participant, (Participant.forum_id == Statement.forum_id) & (Participant.user_id == Reaction.user_id))
        .where(Statement.forum_id == int(forum_id)), 4)
    statement_ids = np.array(db.session.scalars(select(Statement.id).where(Statement.forum_id == forum_id)
                                                .order_by(Statement.id)).all(), dtype=np.int64)
    rows[:, 1] = np.searchsorted(statement_ids, rows[:, 1])  # a statement's number is its place in that order
    rows[:, 3] = _days_ms(rows[:, 3])
    return rows[np.lexsort((rows[:, 0], rows[:, 1]))]


def _summary(forum: Forum) -> Iterator[str]:
    stored = forum.opinion_map or {}
    numbered = select(Participant.user_id).where(Participant.forum_id == forum.id)
    statements = select(Statement.id).where(Statement.forum_id == forum.id)
    reacted = select(Reaction.user_id, Reaction.statement_id).where(Reaction.statement_id.in_(statements),
                                                                    Reaction.user_id.in_(numbered)).subquery()
    voters = db.session.scalar(select(func.count(func.distinct(reacted.c.user_id)))) or 0
    comments = db.session.scalar(select(func.count(func.distinct(reacted.c.statement_id)))) or 0
    commenters = db.session.scalar(select(func.count(func.distinct(Statement.author_id)))
                                   .where(Statement.forum_id == forum.id)) or 0
    rows = [("topic", forum.title), ("url", _forum_url(forum)), ("voters", voters),
            ("voters-in-conv", stored.get("participants", 0)), ("commenters", commenters), ("comments", comments),
            ("groups", len(stored.get("groups", []))), ("conversation-description", forum.background)]
    return csv_chunks(rows[0], rows[1:], bom=False)


def _forum_url(forum: Forum) -> str:
    if forum.imported_from:
        return forum.imported_from
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("forums.detail", forum_id=forum.id, _external=True)
    return f"/forums/{forum.id}"


def _comments(forum: Forum) -> Iterator[str]:
    numbers = _numbers(forum.id)
    counts = {(statement_id, vote): count for statement_id, vote, count in db.session.execute(
        select(Reaction.statement_id, Reaction.value, func.count())
        .join(Statement, Statement.id == Reaction.statement_id)
        .where(Statement.forum_id == forum.id).group_by(Reaction.statement_id, Reaction.value))}
    rows = []
    for number, statement_id, state, text, author_id, created_at in _statement_numbers(forum.id):
        when = _day_ms(created_at)
        rows.append((when, polis.datetime_text(when), number, numbers.get(author_id, ""),
                     counts.get((statement_id, ReactionValue.agree), 0),
                     counts.get((statement_id, ReactionValue.disagree), 0), MODERATED[state],
                     text if state == StatementState.approved else ""))
    return csv_chunks(polis.COMMENT_COLUMNS, rows, bom=False)


def _votes(forum: Forum) -> Iterator[str]:
    reactions = _reactions(forum.id)
    dates = {int(day): polis.datetime_text(int(day)) for day in np.unique(reactions[:, 3])}
    return csv_chunks(polis.VOTE_COLUMNS, ((day, dates[day], comment, participant, vote)
                                           for participant, comment, vote, day in reactions.tolist()), bom=False)


def _participants_votes(forum: Forum) -> Iterator[str]:
    reactions = _reactions(forum.id)
    people, row_of = np.unique(reactions[:, 0], return_inverse=True)
    columns, column_of = np.unique(reactions[:, 1], return_inverse=True)
    cells = np.full((len(people), len(columns)), None, dtype=object)  # None: not seen (an empty cell)
    cells[row_of, column_of] = np.array([-1, 0, 1], dtype=object)[reactions[:, 2] + 1]
    seen = np.zeros((len(people), 3), dtype=np.int64)  # disagree, pass, agree per person
    np.add.at(seen, (row_of, reactions[:, 2] + 1), 1)
    authored = dict(db.session.execute(
        select(Participant.number, func.count()).join(Statement, (Statement.author_id == Participant.user_id)
                                                      & (Statement.forum_id == Participant.forum_id))
        .where(Participant.forum_id == forum.id).group_by(Participant.number)).all())
    group_of = {number: group - 1 for number, group, *_ in (forum.opinion_map or {}).get("members", [])}

    def rows():
        for participant, counts, row in zip(people.tolist(), seen.tolist(), cells, strict=True):
            yield [participant, group_of.get(participant), authored.get(participant, 0), sum(counts),
                   counts[2], counts[0], *row]

    return csv_chunks([*polis.PARTICIPANT_COLUMNS, *map(str, columns.tolist())], rows(), bom=False)


# ------------------------------------------------------------------------------------------------------ import
def import_conversation(conversation: polis.Conversation, actor=None, source: str = "") -> Forum:
    """A closed forum holding the conversation (see the module docstring); flushed, not committed. `source`:
    where it came from when summary.csv gives no URL (e.g. the directory's name)."""
    now = utcnow()
    title = conversation.topic or source or "Pol.is"
    forum = Forum(title=title[:TITLE_MAX], state=ForumState.closed, closed_at=now,
                  background=(conversation.description or title)[:TEXT_MAX],
                  imported_from=(conversation.url or source or "Pol.is")[:IMPORTED_FROM_MAX],
                  created_by_id=getattr(actor, "id", None))
    db.session.add(forum)
    numbers = sorted(set(conversation.participants)
                     | {comment.author for comment in conversation.comments if comment.author is not None})
    people = [User(deleted_at=now) for _ in numbers]
    db.session.add_all(people)
    db.session.flush()
    user_of = {number: person.id for number, person in zip(numbers, people, strict=True)}
    _insert(Participant, [{"forum_id": forum.id, "user_id": user_of[number], "number": number} for number in numbers])
    statements = [Statement(forum_id=forum.id, author_id=user_of.get(comment.author),
                            text=comment.body[:STATEMENT_STORED_MAX], created_at=_moment(comment.timestamp_ms) or now,
                            state=_state(comment))
                  for comment in conversation.comments]
    db.session.add_all(statements)
    db.session.flush()
    reactions = []
    rows, columns = np.nonzero(~np.isnan(conversation.votes))
    for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
        participant, comment = conversation.participants[row], conversation.comments[column]
        reactions.append({"statement_id": statements[column].id, "user_id": user_of[participant],
                          "value": REACTION_OF[float(conversation.votes[row, column])],
                          "reacted_at": _moment(conversation.vote_times.get((participant, column)))
                          or _moment(comment.timestamp_ms) or now})
    _insert(Reaction, reactions)
    audit(actor, "forum", forum.id, "imported->closed", forum.imported_from)
    forum_counts.refresh_forum(forum.id, previous_count=conversation.groups)
    return forum


def _state(comment: polis.Comment) -> StatementState:
    """Pol.is counts a comment not yet moderated (0) as shown. Without text (this platform's exports leave out the
    text of statements not approved) it stays what it was here: waiting (0) or rejected (−1)."""
    if comment.moderated == polis.MODERATED_OUT:
        return StatementState.rejected
    return StatementState.approved if comment.body.strip() else StatementState.pending


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        db.session.execute(insert(model), rows[start:start + ROWS_PER_INSERT])


def _moment(timestamp_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC) if timestamp_ms else None
