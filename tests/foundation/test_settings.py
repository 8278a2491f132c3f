import pytest

from participation.core.errors import Forbidden, Paused, ValidationError
from participation.core.settings import get_setting, require_participation_open, set_setting, setting_history
from tests.factories import UserFactory, admin


def test_pause_switch_refuses_participation_and_keeps_history(db_session):
    boss = admin()
    require_participation_open()
    set_setting("PAUSE_PARTICIPATION", "true", boss, note="지방선거 기간")
    with pytest.raises(Paused):
        require_participation_open()
    set_setting("PAUSE_PARTICIPATION", "false", boss, note="선거 종료")
    require_participation_open()
    history = setting_history("PAUSE_PARTICIPATION")
    assert [(change.value, change.note) for change in history] == [(False, "선거 종료"), (True, "지방선거 기간")]
    assert get_setting("PAUSE_PARTICIPATION") is False


def test_only_admins_change_settings(db_session):
    with pytest.raises(Forbidden):
        set_setting("PAUSE_PARTICIPATION", "true", UserFactory())


def test_unknown_setting_is_refused(db_session):
    with pytest.raises(ValidationError):
        set_setting("NO_SUCH_THING", 1, admin())


def test_unexpected_errors_are_500_without_details(app, client, db_session, monkeypatch):
    def boom():
        raise RuntimeError("secret detail")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "accounts_api.categories", boom)
    monkeypatch.setitem(app.view_functions, "main.health", boom)
    response = client.get("/api/v1/categories")
    assert response.status_code == 500
    assert response.json == {"error": {"code": "internal_error",
                                       "message": "서버에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."}}
    page = client.get("/healthz")
    assert page.status_code == 500 and "서버 오류" in page.get_data(as_text=True)
    assert "secret" not in page.get_data(as_text=True)


def test_settings_are_read_once_per_cache_period_and_a_change_is_seen_at_once(db_session):
    from sqlalchemy import event

    from participation.extensions import db

    statements = []

    def record(*args):
        statements.append(args[2])

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        get_setting("PAUSE_PARTICIPATION")
        before = len(statements)
        for _ in range(5):
            require_participation_open()
        assert len(statements) == before  # cached: the pause switch is not read per vote
        boss = admin()
        with db.session.begin_nested() as nested:
            set_setting("PAUSE_PARTICIPATION", True, boss, note="지방선거 기간")
            with pytest.raises(Paused):
                require_participation_open()  # the process that changed it sees it at once
            nested.rollback()
        require_participation_open()  # the change was rolled back, and so was the cached value
    finally:
        event.remove(engine, "before_cursor_execute", record)
