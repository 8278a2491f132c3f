"""What runs when a transaction ends: one registry (core/database.py), which every part registers with."""

import logging
import re
from pathlib import Path

import participation
from participation.core.database import after_commit, after_rollback
from participation.extensions import db
from tests import factories


def test_after_commit_runs_after_the_commit_and_never_after_a_rollback(db_session):
    ran: list = []
    factories.UserFactory()
    after_commit(ran.append, "committed")
    after_rollback(ran.append, "rolled back")
    assert ran == []
    db.session.commit()
    assert ran == ["committed"]
    factories.UserFactory()
    after_commit(ran.append, "second commit")
    after_rollback(ran.append, "second rollback")
    db.session.rollback()
    assert ran == ["committed", "second rollback"]
    db.session.commit()  # nothing is left over for the next transaction
    assert ran == ["committed", "second rollback"]


def test_a_savepoint_is_part_of_its_transaction(db_session):
    ran: list = []
    factories.UserFactory()
    after_commit(ran.append, "outer")
    with db.session.begin_nested():
        after_commit(ran.append, "kept savepoint")
    assert ran == []  # releasing a savepoint is not the commit
    savepoint = db.session.begin_nested()
    after_commit(ran.append, "undone savepoint")
    after_rollback(ran.append, "undone savepoint rolled back")
    savepoint.rollback()
    assert ran == ["undone savepoint rolled back"]
    db.session.commit()
    assert ran == ["undone savepoint rolled back", "outer", "kept savepoint"]


def test_a_failing_callback_is_logged_and_the_others_run(db_session, caplog):
    ran: list = []

    def broken():
        raise RuntimeError("보이지 않는 오류")

    factories.UserFactory()
    after_commit(broken)
    after_commit(ran.append, "after the broken one")
    with caplog.at_level(logging.ERROR, logger="participation.core.database"):
        db.session.commit()
    assert ran == ["after the broken one"]
    assert "broken" in caplog.text


def test_no_part_listens_to_every_session_or_engine_on_its_own():
    """Class-level listeners fire from a distance; parts register with core/database.py instead."""
    root = Path(participation.__file__).parent
    listening = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if re.search(r"listens_for\((Session|Engine)\b", path.read_text(encoding="utf-8"))]
    assert listening == ["core/database.py"]
