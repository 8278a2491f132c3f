"""Secret ballot boxes (비밀 투표함): sealed when cast, opened by the tally worker in shuffled batches, receipts
kept apart from choices. Polls (엠보팅) use it; participatory budgeting uses it the same way.

What it guarantees, for any box
-------------------------------
- The transaction that records that a person voted (the channel's participation row) writes the ballot only
  *sealed* to the box's public key (a libsodium sealed box: X25519 + XSalsa20-Poly1305 with a throw-away sender
  key). The plaintext carries the receipt's SHA-256 and the chosen ids, padded to the box's capacity, so every
  sealed ballot of a box has the same length whatever was chosen. The private key is not in the database
  (core/tally_keys.py).
- The tally worker opens the sealed ballots only once at least `MIX_BATCH` of them wait (or at the close,
  `final=True`), all of them in one transaction of its own: it writes the plaintext ballots and, separately,
  the receipt hashes, each list in its own random order (a CSPRNG shuffle), and deletes the sealed rows. So no
  plaintext choice shares a transaction id (PostgreSQL's xmin), a commit (SQLite's WAL), a storage order or a
  time with its voter; an observer can place a voter in a batch, and within the batch no better than chance.
- A sealed ballot that does not open, is malformed, names ids that the box does not accept or repeats a
  receipt is set aside (kept sealed, `problem` noted), counted as invalid, and staff are alerted; the rest of
  the batch is written. Any error while writing rolls the whole batch back: the sealed rows are still there
  and the next run opens them again, so a worker killed mid-batch never counts a ballot twice.

How a channel declares a box
----------------------------
1. Its box model mixes in `BoxColumns` (public key, batches opened, invalid ballots, key problem).
2. A sealed-ballot model and a receipt model mix in `SealedBallotColumns` / `ReceiptColumns` and name the box
   table in `__box_table__` (the foreign key column is `<box table>_id`, the attribute `box_id`)::

       class BudgetSealedBallot(SealedBallotColumns, Base):
           __tablename__ = "budget_sealed_ballot"
           __box_table__ = "budget"
           __table_args__ = {"sqlite_with_rowid": False}

3. A `BallotBox` subclass says what a valid ballot is and where plaintext ballots go::

       class BudgetBox(BallotBox):
           kind = "budget"                  # key file names (budget-7.key), job keys, audit subject
           model, sealed_model, receipt_model = Budget, BudgetSealedBallot, BudgetReceipt

           def capacity(self, box) -> int:          # most ids one ballot can hold (the padding)
               return len(box.projects)

           def accepts(self, box_id) -> Callable[[tuple[int, ...]], bool]:   # read once per batch
               costs, budget = ...
               return lambda ids: set(ids) <= costs.keys() and sum(costs[i] for i in ids) <= budget

           def store(self, box_id, ballots: list[tuple[int, ...]]) -> None:  # already in random order
               ...insert the channel's plaintext ballot rows, in this order...

           def staff_url(self, box_id) -> str:      # the link in a staff alert
               return f"/budgets/{box_id}/manage"

4. `BUDGET_BOX = register(BudgetBox())`, in a module the channel's tasks import.
5. The vote: `sealed = box.seal(box_row, receipt_hash, ids)`, then in the same transaction as the participation
   row `box.cast(box_row.id, sealed)`. The key: `prepare_key(box, box_id)` from a worker job when the box is
   created (the box takes no ballot until `public_key` is set). The tally job: `open_batch(box, box_id,
   final=closed)` then count the channel's plaintext rows. The bulletin: `receipts(box, box_id, up_to_batch)`
   and `receipts_digest(...)`.
"""

import hashlib
import logging
import secrets
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox
from sqlalchemy import ForeignKey, LargeBinary, String, delete, func, insert, or_, select, update
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from participation.core import tally_keys
from participation.core.audit import audit
from participation.extensions import db

log = logging.getLogger(__name__)

# The plaintext of a sealed ballot: version, receipt SHA-256, number of ids, the ids, zero padding.
VERSION = 1
HEADER = struct.Struct(">B32sH")
ID = struct.Struct(">Q")
# Why a sealed ballot was set aside.
UNDECRYPTABLE, MALFORMED, NOT_ACCEPTED, DUPLICATE_RECEIPT = "undecryptable", "malformed", "not_accepted", "duplicate"
DIGEST_BATCH = 50_000


class BoxColumns:
    """Columns of a box model (a poll, a budget process)."""

    # The box's X25519 public key, set by `prepare_key` (a worker job); NULL: no ballot can be cast yet.
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # Batches opened so far; each receipt carries the number of its batch (the bulletin covers batches 1..n).
    mixed_batches: Mapped[int] = mapped_column(default=0, server_default="0")
    # Sealed ballots set aside (undecryptable, malformed, not accepted, a repeated receipt).
    invalid_ballots: Mapped[int] = mapped_column(default=0, server_default="0")
    # Why the worker cannot open this box's ballots ("key_missing", "key_mismatch"), until that is fixed.
    key_problem: Mapped[str | None] = mapped_column(String(20))


class SealedBallotColumns:
    """A ballot as cast: a random id and the sealed bytes. No user, no time, nothing in the clear."""

    __box_table__: ClassVar[str]

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # Set when the worker set the ballot aside (it stays sealed); NULL while it waits to be opened.
    problem: Mapped[str | None] = mapped_column(String(20))

    @declared_attr
    def box_id(cls) -> Mapped[int]:
        return mapped_column(f"{cls.__box_table__}_id", ForeignKey(f"{cls.__box_table__}.id", ondelete="CASCADE"),
                             index=True)


class ReceiptColumns:
    """A receipt's SHA-256 on the public bulletin: no link to its ballot or its voter; the batch it came in."""

    __box_table__: ClassVar[str]

    receipt_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch: Mapped[int]

    @declared_attr
    def box_id(cls) -> Mapped[int]:
        return mapped_column(f"{cls.__box_table__}_id", ForeignKey(f"{cls.__box_table__}.id", ondelete="CASCADE"),
                             primary_key=True)


@dataclass(frozen=True)
class Batch:
    """What one opening of a box did."""

    number: int
    opened: int
    set_aside: dict[str, int]


class BallotBox:
    """A kind of secret ballot box; channels subclass it (see the module's docstring)."""

    kind: ClassVar[str]
    model: ClassVar[type]
    sealed_model: ClassVar[type]
    receipt_model: ClassVar[type]

    def capacity(self, box) -> int:
        raise NotImplementedError

    def accepts(self, box_id: int) -> Callable[[tuple[int, ...]], bool]:
        raise NotImplementedError

    def store(self, box_id: int, ballots: list[tuple[int, ...]]) -> None:
        raise NotImplementedError

    def staff_url(self, box_id: int) -> str:
        """Where staff manage the box (the link in an alert)."""
        raise NotImplementedError

    # --- the web side: seal and cast ------------------------------------------------------------------------

    def seal(self, box, receipt_hash: str, ids: Sequence[int]) -> bytes:
        """The ballot sealed to the box's public key (the box must have one: see `prepare_key`)."""
        capacity = self.capacity(box)
        if not 0 < len(ids) <= capacity:
            raise ValueError("a ballot holds between one id and the box's capacity")
        plaintext = (HEADER.pack(VERSION, bytes.fromhex(receipt_hash), len(ids))
                     + b"".join(ID.pack(value) for value in ids)).ljust(HEADER.size + ID.size * capacity, b"\0")
        return SealedBox(PublicKey(box.public_key)).encrypt(plaintext)

    def cast(self, box_id: int, sealed: bytes) -> None:
        """Insert the sealed ballot in the caller's transaction (the one that writes the participation row): a
        plain INSERT on the table, no unit of work and no ORM bulk insert (a third of the cost of the vote's
        inserts)."""
        sealed_model = self.sealed_model
        db.session.execute(insert(sealed_model.__table__), {
            "id": secrets.token_hex(16), f"{sealed_model.__box_table__}_id": box_id, "ciphertext": sealed})

    # --- the worker side ------------------------------------------------------------------------------------

    def waiting(self, box_id: int) -> int:
        """Sealed ballots waiting to be opened."""
        sealed = self.sealed_model
        return db.session.scalar(select(func.count()).select_from(sealed).where(
            sealed.box_id == box_id, sealed.problem.is_(None))) or 0


# Every kind of box, by `kind` (the command line's `tally-keys` finds them here).
BOXES: dict[str, BallotBox] = {}


def register(box: BallotBox) -> BallotBox:
    BOXES[box.kind] = box
    return box


def prepare_key(box: BallotBox, box_id: int) -> bytes:
    """Worker job body: make the box's key pair if it has none and publish its public key (idempotent)."""
    public_key = tally_keys.create(box.kind, box_id)
    db.session.execute(update(box.model).where(box.model.id == box_id, box.model.public_key.is_(None))
                       .values(public_key=public_key).execution_options(synchronize_session=False))
    stored = db.session.scalar(select(box.model.public_key).where(box.model.id == box_id))
    if stored is not None and bytes(stored) != public_key:
        log.error("%s %s: the key file does not match the public key in the database", box.kind, box_id)
        raise tally_keys.TallyKeyMismatch()
    return public_key


def open_batch(box: BallotBox, box_id: int, *, final: bool) -> Batch | None:
    """Open the box's waiting sealed ballots if there are at least MIX_BATCH of them, or any at all when `final`;
    None if there was nothing to open. Flushes; the caller commits (the batch and whatever the channel counts
    from it in one transaction). Raises `TallyKeyError` (nothing written) if the private key is missing or not
    the box's own."""
    model, sealed = box.model, box.sealed_model
    # Serialises the openings of one box (two workers, a retry and the reconciliation): the second waits, then
    # finds the ballots the first opened gone. FOR NO KEY UPDATE does not wait for votes in flight (they hold
    # the box row FOR KEY SHARE); closing the box (FOR UPDATE) waits for it. SQLite: the job's BEGIN IMMEDIATE.
    row = db.session.execute(select(model.id, model.public_key, model.mixed_batches).where(model.id == box_id)
                             .with_for_update(key_share=True)).one_or_none()
    if row is None:
        return None
    waiting = db.session.execute(select(sealed.id, sealed.ciphertext)
                                 .where(sealed.box_id == box_id, sealed.problem.is_(None))).all()
    if not waiting or (not final and len(waiting) < current_app.config["MIX_BATCH"]):
        return None
    opener = SealedBox(tally_keys.load(box.kind, box_id, row.public_key))
    decoded, problems = _open_each(opener, box.accepts(box_id), waiting)
    ballots, receipts = _without_repeated_receipts(box, box_id, decoded, problems)
    number = row.mixed_batches + 1
    shuffle = secrets.SystemRandom().shuffle  # the operating system's CSPRNG
    shuffle(ballots)
    shuffle(receipts)
    box.store(box_id, ballots)
    if receipts:
        db.session.execute(insert(box.receipt_model), [
            {"box_id": box_id, "receipt_hash": receipt_hash, "batch": number} for receipt_hash in receipts])
    opened = [ballot_id for ballot_id, _ciphertext in waiting if ballot_id not in problems]
    _settle_sealed(sealed, opened, problems)
    db.session.execute(update(model).where(model.id == box_id).values(
        mixed_batches=number, invalid_ballots=model.invalid_ballots + len(problems), key_problem=None)
        .execution_options(synchronize_session=False))
    set_aside = {problem: sum(1 for why in problems.values() if why == problem) for problem in set(problems.values())}
    if set_aside:
        alert_set_aside(box, box_id, number, set_aside)
    db.session.flush()
    return Batch(number=number, opened=len(opened), set_aside=set_aside)


def _open_each(opener: SealedBox, accepts, waiting) -> tuple[list, dict[str, str]]:
    """Each waiting ballot decrypted and read: (ballot id, receipt hash, choices) for those the box accepts, and
    {ballot id: problem} for the others (undecryptable, malformed, not acceptable)."""
    problems: dict[str, str] = {}
    decoded = []
    for ballot_id, ciphertext in waiting:
        try:
            receipt_hash, ids = decode(opener.decrypt(bytes(ciphertext)))
        except CryptoError:
            problems[ballot_id] = UNDECRYPTABLE
        except ValueError:
            problems[ballot_id] = MALFORMED
        else:
            if accepts(ids):
                decoded.append((ballot_id, receipt_hash, ids))
            else:
                problems[ballot_id] = NOT_ACCEPTED
    return decoded, problems


def _without_repeated_receipts(box: BallotBox, box_id: int, decoded: list, problems: dict[str, str]
                               ) -> tuple[list, list]:
    """The choices and receipt hashes to store. A sealed ballot copied (by someone who can write the table)
    repeats a receipt: the copy is set aside in `problems`."""
    seen = published(box, box_id, [receipt_hash for _ballot_id, receipt_hash, _ids in decoded])
    ballots, receipts = [], []
    for ballot_id, receipt_hash, ids in decoded:
        if receipt_hash in seen:
            problems[ballot_id] = DUPLICATE_RECEIPT
            continue
        seen.add(receipt_hash)
        ballots.append(ids)
        receipts.append(receipt_hash)
    return ballots, receipts


def _settle_sealed(sealed, opened: list[str], problems: dict[str, str]) -> None:
    """The opened sealed ballots go; those set aside stay sealed, each with its problem noted."""
    for chunk in chunks(opened):
        db.session.execute(delete(sealed).where(sealed.id.in_(chunk)).execution_options(synchronize_session=False))
    for problem in sorted(set(problems.values())):
        for chunk in chunks([ballot_id for ballot_id, why in problems.items() if why == problem]):
            db.session.execute(update(sealed).where(sealed.id.in_(chunk)).values(problem=problem)
                               .execution_options(synchronize_session=False))


def decode(plaintext: bytes) -> tuple[str, tuple[int, ...]]:
    """The receipt hash (hex) and the ids of an opened ballot; ValueError if it is not a well-formed one."""
    if len(plaintext) < HEADER.size:
        raise ValueError("short")
    version, receipt, count = HEADER.unpack_from(plaintext)
    end = HEADER.size + ID.size * count
    if version != VERSION or count == 0 or len(plaintext) < end or plaintext[end:].strip(b"\0"):
        raise ValueError("not a ballot of this format")
    ids = tuple(ID.unpack_from(plaintext, HEADER.size + ID.size * index)[0] for index in range(count))
    if len(set(ids)) != count:
        raise ValueError("an id twice")
    return receipt.hex(), ids


def published(box: BallotBox, box_id: int, receipt_hashes: list[str]) -> set[str]:
    """Which of these receipt hashes the box's earlier batches already hold."""
    found: set[str] = set()
    for chunk in chunks(receipt_hashes):
        found.update(db.session.scalars(select(box.receipt_model.receipt_hash).where(
            box.receipt_model.box_id == box_id, box.receipt_model.receipt_hash.in_(chunk))))
    return found


def chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def alert_set_aside(box: BallotBox, box_id: int, number: int, set_aside: dict[str, int]) -> None:
    detail = ", ".join(f"{problem} {count}" for problem, count in sorted(set_aside.items()))
    alert_staff(box, box_id, "ballots_set_aside", f"batch {number}: {detail}",
                _l("투표함 %(kind)s %(id)s: 열 수 없거나 올바르지 않은 봉인 투표 %(count)d표를 무효로 따로 두었습니다.",
                   kind=box.kind, id=box_id, count=sum(set_aside.values())))


def report_key_problem(box: BallotBox, box_id: int, problem: tally_keys.TallyKeyError) -> None:
    """The box cannot be opened (its key is missing or not its own): note it on the box, once, and tell staff.
    Flushes; the caller commits. Nothing else changes: the sealed ballots wait for the key."""
    model = box.model
    changed = db.session.execute(update(model).where(model.id == box_id, or_(
        model.key_problem.is_(None), model.key_problem != problem.problem)).values(key_problem=problem.problem)
        .execution_options(synchronize_session=False)).rowcount
    if changed:
        alert_staff(box, box_id, problem.problem, str(problem.message), problem.message)


def alert_staff(box: BallotBox, box_id: int, act: str, detail: str, message=None) -> None:
    """Staff hear of it: a note to every staff member and admin (and mail), the box's history, the error log."""
    from participation.accounts.models import User, UserRole
    from participation.core.notifications import notify
    from participation.core.permissions import Role

    log.error("%s %s: %s (%s)", box.kind, box_id, act, detail)
    audit(None, box.kind, box_id, act, detail)
    staff = db.session.scalars(select(User).where(User.id.in_(
        select(UserRole.user_id).where(UserRole.role.in_([Role.staff, Role.admin]))))).all()
    text = str(message or _l("투표함 %(kind)s %(id)s: 확인이 필요합니다 (%(act)s).", kind=box.kind, id=box_id, act=act))
    notify(staff, f"[{box.kind} {box_id}] {text}"[:300], box.staff_url(box_id))


def receipts(box: BallotBox, box_id: int, up_to_batch: int):
    """The bulletin: receipt hashes of batches 1..up_to_batch, sorted by hash (never by order of voting)."""
    model = box.receipt_model
    return (select(model.receipt_hash).where(model.box_id == box_id, model.batch <= up_to_batch)
            .order_by(model.receipt_hash))


def receipts_digest(box: BallotBox, box_id: int, up_to_batch: int) -> tuple[str, int]:
    """SHA-256 of the bulletin's receipt hashes, sorted and joined with newlines, and how many there are.

    Streamed in hash order from the (box, receipt_hash) key (a server-side cursor on PostgreSQL), a batch at a
    time, each batch joined by C code and fed to hashlib at once."""
    digest = hashlib.sha256()
    count = 0
    statement = receipts(box, box_id, up_to_batch).execution_options(stream_results=True,
                                                                     max_row_buffer=DIGEST_BATCH)
    for batch in db.session.connection().execute(statement).scalars().partitions(DIGEST_BATCH):
        digest.update((("\n" if count else "") + "\n".join(batch)).encode())
        count += len(batch)
    return digest.hexdigest(), count
