"""Bulk data for the benchmarks: executemany on SQLite, COPY on PostgreSQL. Never through the API.

`bulk_insert(table, rows)` takes dicts keyed by column name; columns that a row leaves out get a
plausible value for their type when they are NOT NULL without a default, so that a channel adding a
column does not break the benchmark (its own values are given explicitly where they matter).
"""

import contextlib
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from participation.core.database import SEARCHED_TABLES
from participation.extensions import db

CHUNK = 20_000
NOW = datetime.now(UTC).replace(microsecond=0)


def table(name: str) -> sa.Table:
    import participation.models  # noqa: F401  (every table)

    return db.metadata.tables[name]


def has_table(name: str) -> bool:
    import participation.models  # noqa: F401

    return name in db.metadata.tables


def filler(column: sa.Column, index: int):
    """A value for a NOT NULL column the caller did not give."""
    kind = column.type
    python = None
    with contextlib.suppress(NotImplementedError, AttributeError):
        python = kind.python_type
    if python is bool:
        return False
    if python is int:
        return 0
    if python is float:
        return 0.0
    if python is datetime:
        return NOW
    if python is dict:
        return {}
    if python is list:
        return []
    if python is str:
        length = getattr(kind, "length", None) or 40
        return f"b{index}"[:length]
    return None


def complete(tbl: sa.Table, rows: list[dict]) -> list[dict]:
    """Fill every NOT NULL column without a default (client or server side) that the rows leave out."""
    if not rows:
        return rows
    given = set(rows[0])
    missing = []
    for column in tbl.columns:
        if column.name in given or column.nullable or (column.primary_key and column.autoincrement):
            continue
        if column.default is not None:
            default = column.default
            if default.is_scalar:
                missing.append((column.name, lambda i, v=default.arg: v))
            elif default.is_callable:
                # SQLAlchemy wraps callable defaults to take the execution context.
                missing.append((column.name, lambda i, f=default.arg: f(None)))
            continue
        if column.server_default is not None:
            continue
        missing.append((column.name, lambda i, c=column: filler(c, i)))
    if missing:
        for i, row in enumerate(rows):
            for name, make in missing:
                row[name] = make(i)
    return rows


def bulk_insert(tbl: sa.Table | str, rows, chunk: int = CHUNK) -> int:
    """Insert an iterable of dicts in chunks, committing at the end. Returns the row count."""
    if isinstance(tbl, str):
        tbl = table(tbl)
    engine = db.engine
    total = 0
    batch: list[dict] = []
    with engine.begin() as connection, _search_index_filled_once(connection, tbl.name):
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                total += _write(connection, tbl, complete(tbl, batch))
                batch = []
        if batch:
            total += _write(connection, tbl, complete(tbl, batch))
    return total


@contextlib.contextmanager
def _search_index_filled_once(connection, name: str):
    """On SQLite, a table with a keyword search index (migration 0033) fills it through a trigger, one statement per
    row (4× the work of indexing the rows in one statement): a bulk load sets the trigger aside and indexes the new
    rows once, in the same transaction, then puts the trigger back as it was."""
    if connection.dialect.name != "sqlite" or name not in SEARCHED_TABLES:
        yield
        return
    trigger = f"{name}_search_insert"
    (definition,) = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                               (trigger,)).one()
    after = connection.exec_driver_sql(f'SELECT coalesce(max(id), 0) FROM "{name}"').scalar()
    connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
    yield
    connection.exec_driver_sql(f'INSERT INTO {name}_search (rowid, title, body) SELECT id, title, body FROM "{name}" '
                               "WHERE id > ?", (after,))
    connection.exec_driver_sql(definition)


def _write(connection, tbl: sa.Table, rows: list[dict]) -> int:
    if connection.dialect.name == "postgresql":
        return _copy(connection, tbl, rows)
    # SQLite: the DBAPI's executemany with tuples (each column's bind processor applied), in the same transaction.
    names = list(rows[0])
    processors = [tbl.c[name].type._cached_bind_processor(connection.dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    sql = f'INSERT INTO "{tbl.name}" ({columns}) VALUES ({", ".join("?" for _ in names)})'

    def values():
        for row in rows:
            yield tuple(row[name] if processor is None else processor(row[name])
                        for name, processor in zip(names, processors, strict=True))

    connection.exec_driver_sql("SELECT 1")  # the transaction has begun (BEGIN IMMEDIATE) before we go raw
    connection.connection.driver_connection.executemany(sql, values())
    return len(rows)


def _copy(connection, tbl: sa.Table, rows: list[dict]) -> int:
    """COPY through psycopg 3, values converted by each column's bind processor."""
    names = list(rows[0])
    columns = [tbl.c[name] for name in names]
    processors = [c.type._cached_bind_processor(connection.dialect) for c in columns]
    raw = connection.connection.driver_connection
    column_list = ", ".join(f'"{name}"' for name in names)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{tbl.name}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for name, processor in zip(names, processors, strict=True):
                value = row[name]
                if processor is not None:
                    value = processor(value)
                if isinstance(value, (dict, list)):
                    value = json.dumps(value)
                values.append(value)
            copy.write_row(values)
    return len(rows)


def reset_sequences() -> None:
    """After COPY with explicit ids, move PostgreSQL's sequences past the highest id."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for tbl in db.metadata.sorted_tables:
            if "id" in tbl.c and tbl.c.id.primary_key and isinstance(tbl.c.id.type, sa.Integer):
                connection.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{tbl.name}\"', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM \"{tbl.name}\"), 0) + 1, false)"))


def max_id(name: str) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.coalesce(sa.func.max(table(name).c.id), 0)))


def count(name: str) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table(name)))


# ---------------------------------------------------------------------------------------------- people

DISTRICTS = ("강남구", "서초구", "송파구", "마포구", "종로구", "중구", "용산구", "성동구", "광진구", "노원구")


def make_users(n: int, salt: str) -> list[tuple[int, str]]:
    """n verified citizens, each with one API token. Returns [(user id, plain token)], ids consecutive."""
    first = max_id("user") + 1
    rnd = random.Random(salt)
    tokens = [f"bench-{salt}-{first + i}-{rnd.getrandbits(64):016x}" for i in range(n)]

    def users():
        for i in range(n):
            uid = first + i
            yield {"id": uid, "email": f"bench{uid}@bench.example.com",
                   "email_canonical": f"bench{uid}@bench.example.com", "password_hash": "!bench-no-login",
                   "display_name": f"시민{uid}", "district": DISTRICTS[uid % len(DISTRICTS)],
                   "birth_year": 1950 + uid % 55, "locale": "ko", "email_verified_at": NOW,
                   "created_at": NOW - timedelta(days=30)}

    def api_tokens():
        for i, token in enumerate(tokens):
            yield {"user_id": first + i, "token_hash": hashlib.sha256(token.encode()).hexdigest(), "name": "bench",
                   "created_at": NOW, "expires_at": NOW + timedelta(days=90)}

    bulk_insert("user", users())
    bulk_insert("api_token", api_tokens())
    reset_sequences()
    analyze("user", "api_token")
    return [(first + i, token) for i, token in enumerate(tokens)]


def tokens_used_now(user_ids: list[int]) -> None:
    """The users' tokens as a token is once issued (services.new_token counts issuing as a use): used this hour, so
    that a read with one writes nothing. Bulk-loaded tokens are unused, and the first use of each in an hour is
    written (a vote's transaction carries that write; the vote rows measure it)."""
    api_token = table("api_token")
    with db.engine.begin() as connection:
        connection.execute(sa.update(api_token).where(api_token.c.user_id.in_(user_ids)).values(last_used_at=NOW))


def analyze(*tables: str) -> None:
    """Fresh statistics and visibility map after a bulk insert, as autovacuum gives a table that grew by use.
    Without statistics PostgreSQL guesses: it sorts deep pages instead of walking the index, reads the table for
    every index entry a deep page or a COUNT skips, and looks a token up by scanning every user (a seq scan
    judged to find one row, since it guesses that `deleted_at IS NULL` holds for 0.5 % of rows)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:  # outside a transaction
            for table in tables:
                connection.execute(sa.text(f'VACUUM ANALYZE "{table}"'))
        return
    with db.engine.connect() as connection:
        for table in tables:
            connection.execute(sa.text(f'ANALYZE "{table}"'))
        connection.commit()


def grant_role(user_id: int, role: str) -> None:
    bulk_insert("user_role", [{"user_id": user_id, "role": role, "granted_at": NOW}])
