"""Pabulib files in and out: `flask budgets import-pb` and `export-pb` on real files, the round trip keeps
the outcome, and a malformed file is a clear error naming its line, with nothing written."""

from pathlib import Path

import pytest
from pabutools.election import parse_pabulib
from sqlalchemy import func, select

from participation.budgets import pabulib, services
from participation.budgets.models import BudgetBallot, BudgetProcess
from participation.budgets.services import write_allocation
from participation.extensions import db
from tests.factories import UserFactory, budget_with_projects, staff

DATA = Path(__file__).parent / "pabulib"
NADWISLE = DATA / "poland_warszawa_2019_nadwisle.pb"
GROCHOW = DATA / "poland_warszawa_2019_grochow-centrum.pb"
NAD_NEREM = DATA / "poland_lodz_2022_nad-nerem.pb"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def cli(app, db_session):
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=["budgets", *map(str, args)])
        return result

    return run


def selected_codes(process: BudgetProcess) -> set[str]:
    return {project.pabulib_id for project in process.projects if project.funded}


def test_import_prints_the_id_last_and_allocates_like_the_file(cli):
    result = cli("import-pb", NADWISLE)
    assert result.exit_code == 0, result.output
    budget_id = int(result.output.strip().splitlines()[-1])
    process = db.session.get(BudgetProcess, budget_id)
    assert (process.state, process.source, process.currency, process.total_ballots) == (
        "tallied", "pabulib", "PLN", 205)
    assert process.budget == 135502 and process.ballot_kind == "knapsack" and process.district is None
    # The file's rule is greedy, and the city's own `selected` column is what greedy by votes gives.
    instance, _profile = parse_pabulib(str(NADWISLE))
    in_file = {project.name for project in instance if instance.project_meta[project]["selected"] == "1"}
    assert selected_codes(process) == in_file
    assert count(BudgetBallot) == 205


def test_round_trip_keeps_the_outcome_with_decimal_amounts(cli, tmp_path):
    first = db.session.get(BudgetProcess, int(cli("import-pb", GROCHOW).output.split()[-1]))
    assert first.decimals == 2 and first.budget == 37663474
    exported = tmp_path / "grochow.pb"
    result = cli("export-pb", first.id, exported)
    assert result.exit_code == 0, result.output
    text = exported.read_text(encoding="utf-8")
    assert "budget;376634.74" in text and text.splitlines()[text.splitlines().index("PROJECTS") + 1].endswith(
        ";selected")
    second = db.session.get(BudgetProcess, int(cli("import-pb", exported).output.split()[-1]))
    assert selected_codes(second) == selected_codes(first)
    assert second.spent == first.spent and second.total_ballots == first.total_ballots == 598
    assert {p.pabulib_id: p.votes for p in second.projects} == {p.pabulib_id: p.votes for p in first.projects}


def test_round_trip_of_an_approval_file_under_equal_shares(cli, tmp_path):
    original = NAD_NEREM.read_text(encoding="utf-8").replace("rule;greedy", "rule;equalshares")
    source = tmp_path / "nad-nerem-mes.pb"
    source.write_text(original, encoding="utf-8")
    first = db.session.get(BudgetProcess, int(cli("import-pb", source).output.split()[-1]))
    assert (first.rule, first.ballot_kind, first.max_projects) == ("equal_shares", "approval", 5)
    exported = tmp_path / "again.pb"
    cli("export-pb", first.id, exported)
    second = db.session.get(BudgetProcess, int(cli("import-pb", exported).output.split()[-1]))
    assert (second.rule, second.max_projects) == ("equal_shares", 5)
    assert selected_codes(second) == selected_codes(first)


def test_a_platform_process_goes_out_and_comes_back_with_the_same_outcome(cli, tmp_path):
    process = budget_with_projects((200, 100, 100), budget=300, rule="equal_shares", title="2026 마포구 주민참여예산")
    p, q, r = process.projects
    for number in range(30):
        services.cast_ballot(process, UserFactory(), [p.id] if number < 20 else [q.id, r.id])
    services.transition(process, "closed", staff(), "시험 마감")
    write_allocation(process.id)
    exported = tmp_path / "mapo.pb"
    assert cli("export-pb", process.id, exported).exit_code == 0
    parsed = pabulib.read(exported.read_text(encoding="utf-8"))
    assert parsed.meta["unit"] == "Seoul" and parsed.meta["subunit"] == "마포구" and parsed.meta["currency"] == "KRW"
    again = db.session.get(BudgetProcess, int(cli("import-pb", exported).output.split()[-1]))
    assert selected_codes(again) == selected_codes(process) == {str(p.id), str(q.id)}
    assert again.currency == "KRW" and again.rule == "equal_shares"


def test_export_needs_a_tallied_process(cli, tmp_path):
    process = budget_with_projects()
    result = cli("export-pb", process.id, tmp_path / "x.pb")
    assert result.exit_code != 0 and "집계가 끝난" in result.output
    assert cli("export-pb", 999_999, tmp_path / "x.pb").exit_code != 0


GOOD = """META
key;value
description;시험 파일
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
1;60;가
2;50;나
VOTES
voter_id;vote
1;1,2
2;2
"""


@pytest.mark.parametrize("change, line, words", [
    (("2;2\n", "2;3\n"), 13, "없는 사업 '3'"),
    (("1;60;가", "1;0;가"), 8, "0보다 큰 금액"),
    (("1;60;가", "1;-60;가"), 8, "0보다 큰 금액"),
    (("1;60;가", "1;육십;가"), 8, "0보다 큰 금액"),
    (("budget;100", "budget;"), 4, "budget"),
    (("vote_type;approval", "vote_type;ordinal"), 5, "approval"),
    (("2;50;나", "2;50"), 9, "칸이 2개"),
    (("2;50;나", "1;50;나"), 9, "두 번"),
    (("1;1,2", "1;1,1"), 12, "두 번"),
    (("2;2\n", "1;2\n"), 13, "voter_id '1'"),
    (("META\n", ""), 1, "META"),
    (("VOTES\nvoter_id;vote\n1;1,2\n2;2\n", ""), 9, "VOTES"),
    (("budget;100", "budget;100\nnum_votes;3"), 5, "num_votes"),
])
def test_a_malformed_file_names_its_line_and_writes_nothing(cli, tmp_path, change, line, words):
    path = tmp_path / "bad.pb"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    result = cli("import-pb", path)
    assert result.exit_code == 1
    assert f"bad.pb:{line}:" in result.output and words in result.output, result.output
    assert count(BudgetProcess) == 0 and count(BudgetBallot) == 0


def test_the_good_file_imports(cli, tmp_path):
    path = tmp_path / "good.pb"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("import-pb", path)
    assert result.exit_code == 0, result.output
    process = db.session.get(BudgetProcess, int(result.output.split()[-1]))
    assert selected_codes(process) == {"2"}  # 2 has two votes; 1 (60) no longer fits in the 50 left


def test_a_file_that_is_not_utf8_is_refused(cli, tmp_path):
    path = tmp_path / "latin.pb"
    path.write_bytes(GOOD.replace("시험 파일", "caf\u00e9").replace("가", "a").replace("나", "b").encode("latin-1"))
    result = cli("import-pb", path)
    assert result.exit_code == 1 and "UTF-8" in result.output
