"""Database engine set-up that the ORM cannot express in models, and the one statement that differs by dialect."""

import logging

from flask import has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# Indexes that only PostgreSQL has (migration 0011): pg_trgm indexes for the petition and proposal keyword search.
# SQLite has nothing equivalent, so the models cannot declare them; comparing the schema with the models
# (`alembic check`, autogenerate) leaves them out.
POSTGRESQL_ONLY_INDEXES = {
    "ix_petition_title_trgm": ("petition", "title"), "ix_petition_body_trgm": ("petition", "body"),
    "ix_proposal_title_trgm": ("proposal", "title"), "ix_proposal_body_trgm": ("proposal", "body"),
}


def include_in_comparison(_object, name, type_, reflected, compare_to) -> bool:
    """alembic's `include_object` hook: skip the PostgreSQL-only indexes found in the database."""
    return not (type_ == "index" and reflected and compare_to is None and name in POSTGRESQL_ONLY_INDEXES)


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
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


# An execution option: this transaction only reads (on SQLite a plain BEGIN instead of BEGIN IMMEDIATE).
READ_ONLY = "participation_read_only"


def begin_reading() -> None:
    """Begin the session's transaction as one that only reads, for a job's long read: on SQLite a plain BEGIN,
    so that the read (a snapshot, in WAL mode) does not hold the one write lock and votes go on meanwhile.
    The caller commits (ends the snapshot) before it writes; the write then takes the lock as usual. A session
    already in a transaction (a caller's, or a test's) goes on in that one."""
    from participation.extensions import db

    session = db.session()
    if session.get_transaction() is None:
        session.connection(execution_options={READ_ONLY: True})


# session.info key: this transaction inserted a row with insert_once (core/trending.py counts such requests).
INSERTED_ONCE = "participation_inserted_once"


def insert_once(model, unique: tuple[str, ...], **values):
    """Insert a row unless one with the same `unique` columns exists: the new object, or None.

    `INSERT … ON CONFLICT (unique) DO NOTHING RETURNING …`, the same statement on PostgreSQL and SQLite: the
    unique constraint decides, concurrent requests included (PostgreSQL makes the second wait for the first's
    commit), as when an IntegrityError is caught; but there is no savepoint to set and release around the insert,
    and a refusal leaves the transaction usable. A second signature, support or ballot is refused this way."""
    from participation.extensions import db

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique))
                 .returning(model))
    row = db.session.scalar(statement)
    if row is not None:
        db.session.info[INSERTED_ONCE] = True  # a flush of new objects shows itself; this statement does not
    return row


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
