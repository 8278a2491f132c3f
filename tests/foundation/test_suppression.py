"""The one small-cell rule (core.seoul.suppressed, suppressed_table): no cell of fewer than ten people is shown,
zero included, and no hidden cell can be worked out from the totals and the shown cells — checked as an
adversary would, with linear programming over everything that is published."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from participation.core.seoul import MIN_CELL_SIZE, suppressed, suppressed_table


def test_a_row_of_cells_hides_small_ones_and_enough_others():
    assert suppressed({"종로구": 120, "중구": 45, "용산구": 3}) == {"종로구": 120, "중구": None, "용산구": None}
    # Zero means what any hidden cell means (0 to 9 people); it is not "nobody".
    assert suppressed({"종로구": 120, "중구": 45, "용산구": 0}) == {"종로구": 120, "중구": None, "용산구": None}
    # Two small cells that together hold ten or more protect each other.
    assert suppressed({"종로구": 120, "중구": 6, "용산구": 5}) == {"종로구": 120, "중구": None, "용산구": None}
    # Two small cells holding fewer than ten: the smallest shown cell joins them.
    assert suppressed({"a": 120, "b": 30, "c": 4, "d": 3}) == {"a": 120, "b": None, "c": None, "d": None}
    assert suppressed({"a": 50, "b": 40}) == {"a": 50, "b": 40}


def test_a_cell_never_shown_counts_as_hidden():
    # People without a district are in the total but never on the chart: one small district is then not alone.
    shown = suppressed({"종로구": 120, "중구": 45, "-": 8}, hidden=["-"])
    assert shown == {"종로구": 120, "중구": None, "-": None}
    # Unknown people alone would be the total minus the districts: a district is hidden with them.
    assert suppressed({"종로구": 120, "중구": 45, "-": 30}, hidden=["-"]) == {"종로구": 120, "중구": None, "-": None}


def test_acts_are_hidden_by_the_people_behind_them():
    # 40 signatures by 4 people in March: hidden; 12 by 12 people in April: shown.
    shown = suppressed({3: 40, 4: 12, 5: 300}, people={3: 4, 4: 12, 5: 80})
    assert shown[3] is None and shown[5] == 300


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.integers(0, 40), min_size=2, max_size=12))
def test_no_hidden_cell_of_a_row_follows_from_the_total(values):
    cells = dict(enumerate(values))
    shown = suppressed(cells)
    hidden = [key for key, value in shown.items() if value is None]
    assert all(shown[key] in (None, value) for key, value in cells.items())
    assert all(value is None for key, value in shown.items() if cells[key] < MIN_CELL_SIZE)
    if hidden and len(hidden) < len(cells):
        assert len(hidden) >= 2 and sum(cells[key] for key in hidden) >= MIN_CELL_SIZE


def bounds(table, cells, totals, row_totals):
    """What an adversary learns of each hidden cell: its least and greatest value consistent with every shown
    cell, every shown row total, every column total, and counts that are not negative."""
    rows, columns = list(table), list(next(iter(table.values())))
    hidden = [(row, column) for row in rows for column in columns if cells[row][column] is None]
    index = {cell: number for number, cell in enumerate(hidden)}
    equations, results = [], []
    for column in columns:
        known = sum(cells[row][column] for row in rows if cells[row][column] is not None)
        equations.append([1 if cell[1] == column else 0 for cell in hidden])
        results.append(sum(table[row][column] for row in rows) - known)
    upper = [None] * len(hidden)
    for row in rows:
        if totals[row] is None:
            continue
        if row_totals is None:
            known = sum(value for value in cells[row].values() if value is not None)
            equations.append([1 if cell[0] == row else 0 for cell in hidden])
            results.append(totals[row] - known)
        else:
            for cell in hidden:
                if cell[0] == row:
                    upper[index[cell]] = totals[row]
    found = {}
    for cell in hidden:
        objective = np.zeros(len(hidden))
        objective[index[cell]] = 1
        limits = list(zip([0] * len(hidden), upper, strict=True))
        least = linprog(objective, A_eq=equations, b_eq=results, bounds=limits, method="highs")
        most = linprog(-objective, A_eq=equations, b_eq=results, bounds=limits, method="highs")
        assert least.status == 0 and most.status == 0
        found[cell] = (round(least.fun), round(-most.fun))
    return found


tables = st.integers(2, 6).flatmap(lambda rows: st.integers(2, 4).flatmap(lambda columns: st.lists(
    st.lists(st.one_of(st.integers(0, 12), st.integers(0, 60)), min_size=columns, max_size=columns),
    min_size=rows, max_size=rows)))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(tables, st.booleans(), st.booleans())
def test_no_hidden_cell_of_a_two_way_table_can_be_worked_out(values, unknown_row, people_totals):
    """The column totals are published as they are (e.g. each stance's count overall), so each is at least ten
    here: a smaller one is itself a small cell, and no hiding of the cells under it could protect them."""
    table = {f"row{number}": {f"col{column}": value for column, value in enumerate(row)}
             for number, row in enumerate(values)}
    assume(all(sum(row[column] for row in values) >= MIN_CELL_SIZE for column in range(len(values[0]))))
    row_totals = None
    if people_totals:  # multiple choice: a row's people are at least its largest cell, at most its sum
        row_totals = {row: max(max(cells.values()), (sum(cells.values()) + 1) // 2) for row, cells in table.items()}
    cells, totals = suppressed_table(table, hidden_rows=["row0"] if unknown_row else (), row_totals=row_totals)
    for row, row_cells in cells.items():
        for column, value in row_cells.items():
            assert value in (None, table[row][column])
            if table[row][column] < MIN_CELL_SIZE:
                assert value is None
    if unknown_row:
        assert totals["row0"] is None and all(value is None for value in cells["row0"].values())
    for cell, (least, most) in bounds(table, cells, totals, row_totals).items():
        assert least < most, f"{cell} is {least} whatever else is true"


def test_a_two_way_table_example():
    # Stances by district: 종로구 has two people against; that cell, and what would give it away, is hidden.
    table = {"종로구": {"pro": 30, "con": 2, "other": 15}, "중구": {"pro": 25, "con": 12, "other": 11},
             "용산구": {"pro": 40, "con": 20, "other": 14}}
    cells, totals = suppressed_table(table)
    assert cells["종로구"]["con"] is None
    assert sum(value is None for value in cells["종로구"].values()) >= 2
    assert sum(cells[row]["con"] is None for row in table) >= 2
    assert totals == {"종로구": 47, "중구": 48, "용산구": 74}


def test_the_minimum_is_a_parameter():
    assert suppressed({"a": 7, "b": 100, "c": 100}, minimum=5) == {"a": 7, "b": 100, "c": 100}
    assert suppressed({"a": 7, "b": 100, "c": 100})["a"] is None
