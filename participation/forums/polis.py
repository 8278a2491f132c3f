"""Pol.is's export format (compdemocracy.org/export): reading a conversation's export and writing a forum's.

An export is a directory of CSV files, as Pol.is's report page serves them (`server/src/server.ts`,
`handle_GET_reportExport`) and as the published conversations in github.com/compdemocracy/openData are:

- `summary.csv`: `key,value` rows: topic, url, voters, voters-in-conv, commenters, comments, groups,
  conversation-description (Pol.is's own also has `views`, which this platform does not count);
- `comments.csv`: timestamp, datetime, comment-id, author-id, agrees, disagrees, moderated (1 shown, 0 not
  yet moderated, −1 moderated out), comment-body;
- `votes.csv`: timestamp, datetime, comment-id, voter-id, vote (1 agree, −1 disagree, 0 pass);
- `participants-votes.csv`: participant, group-id, n-comments, n-votes, n-agree, n-disagree, then one column
  per comment id holding the participant's last vote on it (empty: not seen).

Participants and comments are anonymous numbers from 0. Timestamps are milliseconds since the epoch (older
exports; seconds in some newer ones, read as such). This module reads the files and names their columns; it
knows nothing of the database (`forums/interchange.py` maps them to forums and writes them with the platform's
CSV writer, core/csv.py)."""

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from participation.core.csv import TRIGGERS
from participation.core.time import KST

FILES = ("summary.csv", "comments.csv", "votes.csv", "participants-votes.csv")
SUMMARY_KEYS = ("topic", "url", "voters", "voters-in-conv", "commenters", "comments", "groups",
                "conversation-description")
COMMENT_COLUMNS = ("timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
                   "comment-body")
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")
VOTE_VALUES = {"1": 1.0, "-1": -1.0, "0": 0.0, "1.0": 1.0, "-1.0": -1.0, "0.0": 0.0}
SHOWN, UNMODERATED, MODERATED_OUT = 1, 0, -1
SECONDS_BEFORE = 10**11  # a timestamp below this is in seconds (year 5138 in milliseconds)
MAX_FILE_BYTES = 512 * 2**20


class FormatError(ValueError):
    """The directory is not a Pol.is export this platform can read; the message says where and why."""


@dataclass
class Comment:
    number: int
    author: int | None
    timestamp_ms: int | None
    moderated: int
    body: str


@dataclass
class Conversation:
    """An export, read: `votes` is participants × comments (rows in `participants` order, columns by comment
    number), 1 / −1 / 0 and NaN where not seen."""

    topic: str
    url: str
    description: str
    groups: int | None
    comments: list[Comment]
    participants: list[int]
    group_ids: list[int | None]
    votes: np.ndarray
    vote_times: dict[tuple[int, int], int] = field(default_factory=dict)  # (participant, comment) → ms

    @property
    def moderated_out(self) -> np.ndarray:
        return np.array([comment.moderated == MODERATED_OUT for comment in self.comments], dtype=bool)


# ----------------------------------------------------------------------------------------------------- reading
def read_export(directory: str | Path) -> Conversation:
    """Read an export directory: comments.csv and participants-votes.csv are required, summary.csv and
    votes.csv (the times of the votes) are read when present. Raises FormatError."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FormatError(f"{directory}: not a directory")
    summary = _read_summary(directory / "summary.csv")
    comments = _read_comments(directory / "comments.csv")
    participants, group_ids, votes = _read_participants_votes(directory / "participants-votes.csv", len(comments))
    vote_times = _read_vote_times(directory / "votes.csv", len(comments)) if (directory / "votes.csv").exists() \
        else {}
    groups = summary.get("groups", "")
    return Conversation(topic=summary.get("topic", "").strip(), url=summary.get("url", "").strip(),
                        description=summary.get("conversation-description", "").strip(),
                        groups=int(groups) if groups.strip().isdigit() else None, comments=comments,
                        participants=participants, group_ids=group_ids, votes=votes, vote_times=vote_times)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row ends, cells) of a CSV file in UTF-8 (with or without a byte-order mark)."""
    if not path.is_file():
        raise FormatError(f"{path.name}: missing")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FormatError(f"{path.name}: larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as error:
        raise FormatError(f"{path.name}: not UTF-8 ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise FormatError(f"{path.name}: {error}") from None


def _table(path: Path, required: Sequence[str]) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise FormatError(f"{path.name}: empty") from None
    header = [name.strip() for name in header]
    missing = [name for name in required if name not in header]
    if missing:
        raise FormatError(f"{path.name}: no column {', '.join(missing)} (columns: {', '.join(header)})")

    def records():
        for line, row in rows:
            if row:
                yield line, dict(zip(header, (_unneutralised(cell) for cell in row), strict=False))
    return header, records()


def _number(path: Path, line: int, name: str, text: str | None, *, empty_ok: bool = False) -> int | None:
    text = (text or "").strip()
    if text == "" and empty_ok:
        return None
    try:
        return int(float(text)) if re.fullmatch(r"-?\d+(\.0+)?", text) else int(text)
    except ValueError:
        raise FormatError(f"{path.name}, line {line}: {name} {text!r} is not a whole number") from None


def _read_summary(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {row[0].strip(): _unneutralised(row[1]) if len(row) > 1 else "" for _, row in _rows(path) if row}


def _read_comments(path: Path) -> list[Comment]:
    _, records = _table(path, ("comment-id", "author-id", "moderated", "comment-body"))
    comments = {}
    for line, record in records:
        number = _number(path, line, "comment-id", record.get("comment-id"))
        moderated = _number(path, line, "moderated", record.get("moderated"))
        if moderated not in (SHOWN, UNMODERATED, MODERATED_OUT):
            raise FormatError(f"{path.name}, line {line}: moderated must be 1, 0 or -1, not {moderated}")
        if number in comments:
            raise FormatError(f"{path.name}, line {line}: comment-id {number} appears twice")
        comments[number] = Comment(number=number, author=_number(path, line, "author-id", record.get("author-id"),
                                                                 empty_ok=True),
                                   timestamp_ms=_milliseconds(_number(path, line, "timestamp",
                                                                      record.get("timestamp"), empty_ok=True)),
                                   moderated=moderated, body=record.get("comment-body") or "")
    if sorted(comments) != list(range(len(comments))):
        # Comments are numbered 0, 1, 2 … in every Pol.is export; a forum keeps that numbering by order.
        gaps = sorted(set(range(max(comments, default=-1) + 1)) - set(comments))[:5]
        problem = f"missing: {', '.join(map(str, gaps))}" if gaps else "negative ids"
        raise FormatError(f"{path.name}: comment-id must number the comments 0, 1, 2 … without gaps ({problem})")
    return [comments[number] for number in range(len(comments))]


def _milliseconds(timestamp: int | None) -> int | None:
    if timestamp is None or timestamp <= 0:
        return None
    return timestamp * 1000 if timestamp < SECONDS_BEFORE else timestamp


def _read_participants_votes(path: Path, comment_count: int) -> tuple[list[int], list[int | None], np.ndarray]:
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise FormatError(f"{path.name}: empty") from None
    header = [name.strip() for name in header]
    missing = [name for name in ("participant", "group-id", "n-disagree") if name not in header]
    if missing:
        raise FormatError(f"{path.name}: no column {', '.join(missing)}")
    first = header.index("n-disagree") + 1
    columns = []
    for name in header[first:]:
        number = _number(path, 1, "comment column", name)
        if not 0 <= number < comment_count:
            raise FormatError(f"{path.name}: column {name} names no comment of comments.csv")
        columns.append(number)
    participant_at, group_at = header.index("participant"), header.index("group-id")
    participants, group_ids, seen = [], [], set()
    matrix = []
    for line, row in rows:
        if not row:
            continue
        if len(row) != len(header):
            raise FormatError(f"{path.name}, line {line}: {len(row)} cells for {len(header)} columns")
        participant = _number(path, line, "participant", row[participant_at])
        if participant in seen:
            raise FormatError(f"{path.name}, line {line}: participant {participant} appears twice")
        seen.add(participant)
        participants.append(participant)
        group_ids.append(_number(path, line, "group-id", row[group_at], empty_ok=True))
        values = np.full(comment_count, np.nan)
        for column, cell in zip(columns, row[first:], strict=True):
            cell = cell.strip()
            if cell:
                if cell not in VOTE_VALUES:
                    raise FormatError(f"{path.name}, line {line}: vote {cell!r} on comment {column} "
                                      "is not 1, -1 or 0")
                values[column] = VOTE_VALUES[cell]
        matrix.append(values)
    votes = np.array(matrix) if matrix else np.zeros((0, comment_count))
    return participants, group_ids, votes


def _read_vote_times(path: Path, comment_count: int) -> dict[tuple[int, int], int]:
    """The time of each participant's last vote on each comment (votes.csv is the history of every vote)."""
    _, records = _table(path, ("timestamp", "comment-id", "voter-id"))
    times: dict[tuple[int, int], int] = {}
    for line, record in records:
        comment = _number(path, line, "comment-id", record.get("comment-id"))
        if not 0 <= comment < comment_count:
            raise FormatError(f"{path.name}, line {line}: comment-id {comment} names no comment of comments.csv")
        key = (_number(path, line, "voter-id", record.get("voter-id")), comment)
        when = _milliseconds(_number(path, line, "timestamp", record.get("timestamp"), empty_ok=True))
        if when is not None and when >= times.get(key, 0):
            times[key] = when
    return times


def _unneutralised(cell: str) -> str:
    """A cell as written before the platform's CSV writer put `'` before a formula trigger (core/csv.py)."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in TRIGGERS else cell


# ----------------------------------------------------------------------------------------------------- writing
def datetime_text(timestamp_ms: int) -> str:
    """Pol.is's `datetime` column (Java's Date.toString), in Seoul time: `Wed Jun 18 08:16:54 KST 2014`."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).astimezone(KST)
    return moment.strftime("%a %b %d %H:%M:%S KST %Y")


def milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
