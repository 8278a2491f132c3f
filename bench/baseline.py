"""The baseline: a bare Flask endpoint returning a small JSON, served exactly like the app.

Beside it, the floor of a write (`POST /write`): the least that stores anything for good on the leg's database,
one INSERT committed through SQLAlchemy Core on an engine configured like the app's (same URL and pool options;
on SQLite the same pragmas and BEGIN IMMEDIATE), with no auth, checks, ORM, Redis or serialisation. It tells how
far any write through this stack can go on this machine, against the same bare endpoint."""

import json
import os

from flask import Flask, request
from sqlalchemy import create_engine, text

app = Flask(__name__)

FLOOR_TABLE = "bench_floor"


def floor_engine():
    # Only the engine, not the app: the baseline's processes stay as light as a bare Flask app.
    from participation.config import engine_settings
    from participation.core.database import configure_sqlite

    config = json.loads(os.environ["BENCH_CONFIG"])
    url, options = engine_settings(config["DATABASE_URL"], config["INSTANCE_PATH"])
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


engine = floor_engine() if "BENCH_CONFIG" in os.environ else None


@app.get("/ping")
def ping():
    return {"ok": True, "service": "baseline"}


@app.post("/write")
def write():
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {FLOOR_TABLE} (n) VALUES (:n)"), {"n": request.json["n"]})
    return {"ok": True}, 201
