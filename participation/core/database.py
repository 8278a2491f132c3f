"""The database around the models: engine set-up that the ORM cannot express, the statements that differ by
dialect (inserts that meet a unique constraint: `insert_once`, `insert_missing`, `upsert`), and the one
registry of what runs when a transaction ends (`after_commit`, `after_rollback`)."""

import logging
import threading
from collections.abc import Callable

from flask import has_request_context, request
from sqlalchemy import Engine, Select, TextClause, bindparam, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

# Indexes that only PostgreSQL has (migration 0011): pg_trgm indexes for the petition and proposal keyword search.
# SQLite has nothing equivalent, so the models cannot declare them; comparing the schema with the models
# (`alembic check`, autogenerate) leaves them out.
POSTGRESQL_ONLY_INDEXES = {
    "ix_petition_title_trgm": ("petition", "title"), "ix_petition_body_trgm": ("petition", "body"),
    "ix_proposal_title_trgm": ("proposal", "title"), "ix_proposal_body_trgm": ("proposal", "body"),
}


# Tables that only SQLite has (migration 0033): the FTS5 trigram tables of the same search, with their shadow
# tables (core/search.py), kept by triggers rather than by the models.
SEARCHED_TABLES = ("petition", "proposal")
SQLITE_ONLY_TABLES = {f"{table}_search{part}" for table in SEARCHED_TABLES
                      for part in ("", "_data", "_idx", "_docsize", "_config")}


def include_in_comparison(_object, name, type_, reflected, compare_to) -> bool:
    """alembic's `include_object` hook: skip the PostgreSQL-only indexes and the SQLite-only search tables found in
    the database."""
    if not reflected or compare_to is not None:
        return True
    return not ((type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
                or (type_ == "table" and name in SQLITE_ONLY_TABLES))


def configure_sqlite(engine: Engine) -> None:
    """Make the embedded SQLite behave like a real transactional database.

    pysqlite opens transactions lazily on its own terms, which breaks SAVEPOINTs and lets two writers
    interleave; we take over: foreign keys on, WAL so that readers never block the writer, and an explicit
    BEGIN. Requests that may write (and jobs) take the write lock up front with BEGIN IMMEDIATE, so two
    concurrent writers queue (busy timeout) instead of failing on a lock upgrade; GET requests only read.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        reading = connection.get_execution_options().get(READ_ONLY) or (
            has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"))
        # SQLite's count of changed rows: without_write_lock() ends a transaction that has written nothing.
        connection.info[CHANGES_AT_BEGIN] = connection.connection.dbapi_connection.total_changes
        if reading:
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        _take_writer(dbapi_connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _give_writer_back(dbapi_connection)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection):
        if not connection.invalidated:
            _give_writer_back(connection.connection.dbapi_connection)

    @event.listens_for(engine.pool, "reset")
    def on_reset(dbapi_connection, _record, _state):
        _give_writer_back(dbapi_connection)

    @event.listens_for(engine.pool, "invalidate")
    @event.listens_for(engine.pool, "close")
    def on_lost(dbapi_connection, *_args):
        _give_writer_back(dbapi_connection)


# SQLite has one writer at a time. The threads of one process queue for it here, each woken the moment the
# writer before it ends, instead of in SQLite's busy handler, which sleeps 1, 2, 5 … 25 ms between tries and
# leaves the lock idle while its waiters sleep: with four threads writing, most of a vote's time was that
# sleep. Only the other processes' writers still wait in the busy handler. A connection holds the lock from
# its BEGIN IMMEDIATE to its commit or rollback (or until the pool resets, invalidates or closes it).
SQLITE_BUSY_TIMEOUT = 30
_writer = threading.Lock()
_writers: set = set()  # the DBAPI connections that hold _writer


def _take_writer(dbapi_connection) -> None:
    # Past the busy timeout, BEGIN IMMEDIATE goes ahead and fails on SQLite's own lock, as it would without this.
    if _writer.acquire(timeout=SQLITE_BUSY_TIMEOUT):
        _writers.add(dbapi_connection)


def _give_writer_back(dbapi_connection) -> None:
    if dbapi_connection in _writers:
        _writers.discard(dbapi_connection)
        _writer.release()


# An execution option: this transaction only reads (on SQLite a plain BEGIN instead of BEGIN IMMEDIATE).
READ_ONLY = "participation_read_only"
# Connection.info key: SQLite's count of changed rows when the transaction began (a transaction that has written
# nothing since may be ended without committing anything).
CHANGES_AT_BEGIN = "participation_changes_at_begin"


def without_write_lock(work, *args, **kwargs):
    """Run CPU-bound `work(*args, **kwargs)` (argon2, decoding a picture) without holding SQLite's write lock.

    SQLite has one write lock, and a request that may write takes it with its first statement (BEGIN IMMEDIATE,
    above): tens of milliseconds of CPU under it stall every vote and signature behind them, and a stream of wrong
    passwords would stall them all. If the session's transaction has written nothing yet (no pending objects, no
    changed rows since BEGIN), it is ended here (committing nothing; loaded objects reload when next used) and the
    next statement begins a new one. A transaction that has written keeps its lock: call this before the first
    write. Checks made before the call are made again by the services that write after it. On PostgreSQL, which
    locks rows and not the database, it only runs `work`."""
    from participation.extensions import db

    session = db.session()
    transaction = session.get_transaction()
    if transaction is not None and session.get_bind().dialect.name == "sqlite":
        connection = session.connection()
        unchanged = connection.info.get(CHANGES_AT_BEGIN) == connection.connection.dbapi_connection.total_changes
        if unchanged and not (session.new or session.dirty or session.deleted):
            session.commit()
    return work(*args, **kwargs)


def begin_reading() -> None:
    """Begin the session's transaction as one that only reads, for a job's long read: on SQLite a plain BEGIN,
    so that the read (a snapshot, in WAL mode) does not hold the one write lock and votes go on meanwhile.
    The caller commits (ends the snapshot) before it writes; the write then takes the lock as usual. A session
    already in a transaction (a caller's, or a test's) goes on in that one."""
    from participation.extensions import db

    session = db.session()
    if session.get_transaction() is None:
        session.connection(execution_options={READ_ONLY: True})


def dialect_insert(model):
    """`INSERT` in the session's dialect (PostgreSQL's or SQLite's), which both have ON CONFLICT."""
    from participation.extensions import db

    return (postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite).insert(model)


def insert_once(model, unique: tuple[str, ...], **values):
    """Insert a row unless one with the same `unique` columns exists: the new object, or None.

    `INSERT … ON CONFLICT (unique) DO NOTHING RETURNING …`, the same statement on PostgreSQL and SQLite: the
    unique constraint decides, concurrent requests included (PostgreSQL makes the second wait for the first's
    commit), as when an IntegrityError is caught; but there is no savepoint to set and release around the insert,
    and a refusal leaves the transaction usable. A second signature, support or ballot is refused this way.

    SQLAlchemy does not cache the dialects' `ON CONFLICT` inserts (no cache key: every call built and compiled
    the statement again, a sixth of a vote's time); the statement is rendered once per shape and process as
    text with typed parameters, which SQLAlchemy's statement cache keeps. Python-side column defaults
    (`default=utcnow`) are filled in here, as the insert construct would have."""
    from participation.extensions import db

    statement, parameters = _insert_once(model, unique, values, load=True)
    return db.session.scalar(statement, parameters)


def inserted_once(model, unique: tuple[str, ...], **values):
    """`insert_once` for a caller that needs no object: the new row's primary key (a row, e.g. `.id`), or None if
    one with the same `unique` columns exists. The key comes back as a value, without the ORM loading an object
    (which cost as much as the insert)."""
    from participation.extensions import db

    statement, parameters = _insert_once(model, unique, values, load=False)
    return db.session.execute(statement, parameters).first()


# (model, unique columns, value names, dialect name, load) -> the statement, built and compiled once per process.
_insert_once_statements: dict[tuple, Select | TextClause] = {}


def _insert_once(model, unique: tuple[str, ...], values: dict, *, load: bool) -> tuple:
    from participation.extensions import db

    dialect = db.session.get_bind().dialect
    key = (model, unique, tuple(values), dialect.name, load)
    statement = _insert_once_statements.get(key)
    if statement is None:
        statement = _insert_once_statements[key] = _insert_once_statement(model, unique, tuple(values), dialect,
                                                                          load)
    parameters = dict(values)
    for column in model.__table__.columns:
        if column.key not in parameters and column.default is not None:
            parameters[column.key] = column.default.arg(None) if column.default.is_callable else column.default.arg
    return statement, parameters


def _insert_once_statement(model, unique: tuple[str, ...], names: tuple[str, ...], dialect,
                           load: bool) -> Select | TextClause:
    table = model.__table__
    defaults = [column for column in table.columns if column.key not in names and column.default is not None]
    for column in defaults:
        if not (column.default.is_scalar or column.default.is_callable):
            raise TypeError(f"insert_once cannot fill the default of {table.name}.{column.key}")
    columns = [table.c[name] for name in names] + defaults
    module = postgresql if dialect.name == "postgresql" else sqlite
    returned = table.columns if load else table.primary_key.columns
    insert = (module.insert(table).values({column.key: bindparam(column.key, type_=column.type) for column in columns})
              .on_conflict_do_nothing(index_elements=list(unique)).returning(*returned))
    # Rendered with named parameters (:name), the form a text() statement takes.
    sql = str(insert.compile(dialect=module.dialect(paramstyle="named")))
    textual = (text(sql).bindparams(*(bindparam(column.key, type_=column.type) for column in columns))
               .columns(*returned))
    return select(model).from_statement(textual) if load else textual


def insert_missing(model, rows, *, columns: list[str] | None = None) -> None:
    """`INSERT … ON CONFLICT DO NOTHING` of many rows — a list of dicts, or a select with the `columns` it fills —
    leaving out those that a unique constraint already holds (a merged proposal's supports: who supported both
    counts once; the numbers two recounts of a forum gave at once)."""
    from participation.extensions import db

    statement = dialect_insert(model)
    statement = statement.from_select(columns, rows) if columns is not None else statement.values(rows)
    db.session.execute(statement.on_conflict_do_nothing())


def upsert(model, values: dict, unique: list[str], update: list[str], where=None):
    """`INSERT … ON CONFLICT (unique) DO UPDATE SET update[…] [WHERE where]`: one statement that leaves the same
    row however many run at once (an indicator's value; `where` keeps a staff override)."""
    from participation.extensions import db

    statement = dialect_insert(model).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=unique, set_={name: statement.excluded[name] for name in update}, where=where)
    return db.session.execute(statement)


# --- When the transaction ends ----------------------------------------------------------------------------
#
# What may happen only once the current transaction has committed — enqueue a job (core/jobs.py), count a
# participation for the staff's trending list (core/trending.py), delete a stored file whose row is gone
# (core/storage.py), let other requests see a changed setting (core/settings.py) — or only if it rolls back
# (delete a file written for a row that will never exist), is registered with the transaction by the code that
# causes it, where a reader sees it:
#
#     after_commit(enqueue, job)
#     after_rollback(storage.delete_now, [key])
#
# Redis work after the commit is registered with `after_commit_pipelined`: every such callback of the
# transaction queues its commands on one pipeline, sent in one round trip (core/redis.py, `send_pipelined`).
#
# Two listeners below run them: after the commit, every after_commit callback in the order registered, then the
# pipelined ones; after a rollback, the after_rollback callbacks. A savepoint is part of its transaction: releasing
# one runs nothing, and rolling one back undoes what was registered inside it (its after_rollback callbacks run, its
# after_commit callbacks are dropped). A callback that fails is logged and the others still run: the transaction is
# over.

AFTER = "participation_after_transaction"  # session.info: [(kind, transaction, callback, args)]


def after_commit(callback: Callable, *args) -> None:
    """Run `callback(*args)` once the current transaction has committed (never, if it rolls back)."""
    _register("commit", callback, args)


def after_commit_pipelined(queue: Callable, *args) -> None:
    """Once the current transaction has committed, `queue(pipeline, *args)` adds its commands to the one Redis
    pipeline (no MULTI) that every such callback of the transaction shares, sent in one round trip. If it returns
    a function, that is then called with the replies of its own commands (an error reply as an exception object)."""
    _register("pipelined", queue, args)


def before_commit(callback: Callable, *args) -> None:
    """Run `callback(*args)` within the current transaction, just before it commits (never, if it rolls back)."""
    _register("before", callback, args)


def after_rollback(callback: Callable, *args) -> None:
    """Run `callback(*args)` if the current transaction (or the savepoint it is in) rolls back."""
    _register("rollback", callback, args)


def _register(kind: str, callback: Callable, args: tuple) -> None:
    from participation.extensions import db

    session = db.session()
    # The innermost transaction open now (None before the session's first statement: the outermost one).
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(AFTER, []).append((kind, transaction, callback, args))


def _run(entries, kind: str) -> None:
    for entry_kind, _transaction, callback, args in entries:
        if entry_kind == kind:
            try:
                callback(*args)
            except Exception:
                log.exception("%s callback %s failed", kind, getattr(callback, "__qualname__", callback))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return
    entries = session.info.get(AFTER, [])
    if any(entry[0] == "before" for entry in entries):
        session.info[AFTER] = [entry for entry in entries if entry[0] != "before"]
        _run(entries, "before")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: its callbacks wait for the transaction's own commit
    entries = session.info.pop(AFTER, ())
    _run(entries, "commit")
    pipelined = [(queue, args) for kind, _transaction, queue, args in entries if kind == "pipelined"]
    if pipelined:
        from participation.core.redis import send_pipelined

        send_pipelined(pipelined)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    entries = session.info.get(AFTER)
    if not entries:
        return
    kept, undone = [], []
    for entry in entries:
        (undone if previous.parent is None or _inside(entry[1], previous) else kept).append(entry)
    session.info[AFTER] = kept
    _run(undone, "rollback")


def _inside(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False


def close_sessions_quietly(app) -> None:
    """End each request's session without letting a lost connection turn its answer into a 500.

    Flask-SQLAlchemy removes the session after the response is made; when the database went away in the
    meantime (a restart), the rollback of the finished transaction fails. The work was committed or not
    already; the connection is invalidated by SQLAlchemy and the pool replaces it (pre-ping)."""
    from participation.extensions import db

    @app.teardown_appcontext
    def remove_session(_error) -> None:  # runs before Flask-SQLAlchemy's own (registered earlier)
        try:
            db.session.remove()
        except SQLAlchemyError as error:
            log.warning("database connection lost while closing a session: %s", error.__class__.__name__)
            try:
                db.session.remove()
            except SQLAlchemyError:
                db.session.registry.clear()
