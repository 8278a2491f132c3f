"""Database engine set-up that the ORM cannot express in models."""

from flask import has_request_context, request
from sqlalchemy import Engine, event


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
        reading = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
