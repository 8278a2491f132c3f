"""The shipped catalogue against every number of the plan (../shared/plan/indicators.md)."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.indicators.models import Indicator
from participation.indicators.services import load_catalogue, read_catalogue

PLAN = Path(__file__).resolve().parents[2].parent / "shared" / "plan" / "indicators.md"
SCALES = {"천건": 1000, "만명": 10000, "억원": 100_000_000}
# Measures the platform has learnt to count since the plan's table was written (the issue that made each one
# automatic): manual in the table, auto in the catalogue.
AUTOMATED_SINCE = {"3.2.b": "#22 participatory budgeting"}


def plan_rows() -> list[dict]:
    if not PLAN.exists():
        pytest.skip(f"the plan's table is not next to the repository ({PLAN})")
    rows = []
    for line in PLAN.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 9 or not re.fullmatch(r"\d\.\d\.[a-z]", cells[0]):
            continue
        code, where, name_ko, name_en, unit, baseline, target, total, feed = cells

        def number(text):
            return int(re.match(r"[\d,]+", text).group().replace(",", ""))

        rows.append({"code": code, "where": where, "name_ko": name_ko, "name_en": name_en, "unit": unit.split()[0],
                     "baseline": number(baseline), "target": number(target), "total": number(total),
                     "feed": feed})
    return rows


def test_the_plan_table_has_forty_measures():
    rows = plan_rows()
    assert len(rows) == 40
    assert len({row["code"] for row in rows}) == 40


def test_every_number_of_the_catalogue_matches_the_plan():
    plan = {row["code"]: row for row in plan_rows()}
    shipped = {row["code"]: row for row in read_catalogue()}
    assert list(shipped) == sorted(plan)
    for code, row in plan.items():
        mine = shipped[code]
        scale = SCALES.get(row["unit"], 1)
        assert mine["name_ko"] == row["name_ko"], code
        assert mine["name_en"].lower() == row["name_en"].replace('"', "").lower(), code
        assert mine["unit_ko"] == row["unit"], code
        assert mine["scale"] == scale, code
        assert mine["baseline_2024"] == row["baseline"] * scale, code
        assert mine["target_2027"] == row["target"] * scale, code
        assert mine["total_4yr"] == row["total"] * scale, code
        assert (mine["feed"] == "manual") == (row["feed"] == "manual" and code not in AUTOMATED_SINCE), code
        assert mine["feed"] == "manual" or mine["feed"].startswith("auto:"), code
        # "1 적극적 정보 제공 · 1 디지털 행정정보 공개" where the plan names them, "1 · 1" elsewhere
        strategy, task = (part.strip() for part in row["where"].split("·"))
        assert strategy.split()[0] == code.split(".")[0] and task.split()[0] == code.split(".")[1], code
        if len(strategy.split()) > 1:
            assert mine["strategy_ko"] == strategy.split(" ", 1)[1], code
        if len(task.split()) > 1:
            assert mine["task_ko"] == task.split(" ", 1)[1], code


def test_the_plans_units_and_notes_are_read_as_the_notes_say():
    shipped = {row["code"]: row for row in read_catalogue()}
    assert shipped["3.1.d"]["baseline_2024"] == 4_300_000
    assert shipped["3.2.b"]["baseline_2024"] == 50_000_000_000
    assert shipped["1.1.a"]["stock_or_flow"] == "stock"
    assert shipped["2.4.d"]["total_4yr"] == 160_000
    assert sorted(code for code, row in shipped.items() if row["feed"] != "manual") == [
        "2.1.a", "2.2.a", "2.2.b", "2.2.c", "2.4.d", "3.1.c", "3.1.d", "3.1.e", "3.1.f", "3.2.b", "3.3.b"]


def test_implied_2025_plus_2026(catalogue):
    assert catalogue["1.1.b"].implied_2025_2026 == 17_600
    assert catalogue["3.1.d"].implied_2025_2026 == 10_100_000


def test_loading_twice_changes_nothing(db_session):
    assert load_catalogue() == 40
    first = dict(db.session.execute(select(Indicator.code, Indicator.id)).all())
    assert load_catalogue() == 40
    assert dict(db.session.execute(select(Indicator.code, Indicator.id)).all()) == first
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 40


def test_loading_restores_an_edited_row(catalogue):
    catalogue["3.1.d"].target_2027 = 1
    db.session.flush()
    load_catalogue()
    assert db.session.scalar(select(Indicator.target_2027).where(Indicator.code == "3.1.d")) == 5_800_000


def test_load_command_is_idempotent(app, db_session):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["indicators", "load"])
        assert result.exit_code == 0, result.output
        assert "40 measures" in result.output
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 40
