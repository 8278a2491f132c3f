"""Seoul facts the whole platform shares: districts, age bands, categories, and the one small-cell rule."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TypeVar

from flask_babel import lazy_gettext as _l

# The 25 autonomous districts (자치구), in the city's usual order.
DISTRICTS = (
    "종로구", "중구", "용산구", "성동구", "광진구", "동대문구", "중랑구", "성북구", "강북구", "도봉구",
    "노원구", "은평구", "서대문구", "마포구", "양천구", "강서구", "구로구", "금천구", "영등포구", "동작구",
    "관악구", "서초구", "강남구", "송파구", "강동구",
)

DISTRICT_NAMES_EN = {
    "종로구": "Jongno-gu", "중구": "Jung-gu", "용산구": "Yongsan-gu", "성동구": "Seongdong-gu",
    "광진구": "Gwangjin-gu", "동대문구": "Dongdaemun-gu", "중랑구": "Jungnang-gu", "성북구": "Seongbuk-gu",
    "강북구": "Gangbuk-gu", "도봉구": "Dobong-gu", "노원구": "Nowon-gu", "은평구": "Eunpyeong-gu",
    "서대문구": "Seodaemun-gu", "마포구": "Mapo-gu", "양천구": "Yangcheon-gu", "강서구": "Gangseo-gu",
    "구로구": "Guro-gu", "금천구": "Geumcheon-gu", "영등포구": "Yeongdeungpo-gu", "동작구": "Dongjak-gu",
    "관악구": "Gwanak-gu", "서초구": "Seocho-gu", "강남구": "Gangnam-gu", "송파구": "Songpa-gu",
    "강동구": "Gangdong-gu",
}

# Age bands as the plan's statistics use them: 14–19, 20s … 70+.
AGE_BANDS = ("14-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70+")
AGE_BAND_LABELS = {
    "14-19": _l("14–19세"), "20-29": _l("20대"), "30-39": _l("30대"), "40-49": _l("40대"),
    "50-59": _l("50대"), "60-69": _l("60대"), "70+": _l("70세 이상"),
}
MINIMUM_AGE = 14

CATEGORIES = {
    "transport": _l("교통"),
    "safety": _l("안전"),
    "environment": _l("환경"),
    "welfare": _l("복지"),
    "housing": _l("주택"),
    "economy": _l("경제·일자리"),
    "culture": _l("문화·관광"),
    "education": _l("교육"),
    "health": _l("보건·의료"),
    "administration": _l("행정"),
    "other": _l("기타"),
}

# Statistics never show a cell with fewer people than this.
MIN_CELL_SIZE = 10
K = TypeVar("K")
R = TypeVar("R")
C = TypeVar("C")


def suppressed(cells: Mapping[K, int], minimum: int = MIN_CELL_SIZE, hidden: Iterable[K] = (),
               people: Mapping[K, int] | None = None) -> dict[K, int | None]:
    """The cells of one breakdown (people per district, per age band, per month …) as they may be shown: None
    for a cell that is not. The breakdown's total is taken as public (it is shown, or follows from other
    figures).

    Primary suppression: a cell with fewer than `minimum` people is not shown, zero included, so that a hidden
    cell always means the same — "0 to minimum - 1 people, or hidden to protect such a cell" — and never
    "nobody". `people` gives the number of different people behind each cell when the cells count acts (a
    person may sign many petitions in a month); by default the cells count people.
    Secondary suppression: if any cell is hidden, the hidden cells together must be at least two and hold at
    least `minimum`; otherwise the smallest shown cells are hidden too, one by one. Then no hidden cell can be
    worked out from the total and the shown cells, and neither can a small sum of hidden ones.
    `hidden` names cells never shown (e.g. an unknown district): they count as hidden. Ties go by the order of
    `cells`."""
    heads = cells if people is None else people
    hide = {key for key in cells if heads.get(key, 0) < minimum} | set(hidden)
    if hide:
        candidates = sorted((key for key in cells if key not in hide), key=lambda key: cells[key])
        while candidates and (len(hide) < 2 or sum(cells.get(key, 0) for key in hide) < minimum):
            hide.add(candidates.pop(0))
    return {key: None if key in hide else count for key, count in cells.items()}


def suppressed_table(table: Mapping[R, Mapping[C, int]], minimum: int = MIN_CELL_SIZE, *,
                     hidden_rows: Iterable[R] = (), row_totals: Mapping[R, int] | None = None
                     ) -> tuple[dict[R, dict[C, int | None]], dict[R, int | None]]:
    """A two-way table (rows: districts or age bands; columns: stances, answer options …) as it may be shown:
    (cells, row totals), None where a figure is not.

    Public alongside it: each column's total over every row (hidden rows included), and each row's total as
    returned here — the sum of its cells, or `row_totals` when a person can count in several columns (a
    multiple-choice question; its row total is then people, and no cell exceeds it). The row totals are
    suppressed as one breakdown (`suppressed`); a row whose total is hidden shows no cell. In the cells,
    primary suppression as in `suppressed`, then secondary suppression until, in every column and every row
    whose cells add up to its shown total, the hidden cells are two or more and hold at least `minimum`, and
    every hidden cell lies on a cycle of hidden cells (alternately in one row and one column, or through rows
    whose totals say nothing): a hidden cell on no such cycle could be worked out from the totals. Then no
    hidden cell can be worked out from the shown figures (tests/foundation/test_suppression.py checks that with
    linear programming on random tables)."""
    rows = list(table)
    columns = list(dict.fromkeys(column for row in rows for column in table[row]))
    count = {(row, column): table[row].get(column, 0) for row in rows for column in columns}
    adds_up = row_totals is None
    totals = {row: sum(table[row].values()) for row in rows} if adds_up else dict(row_totals)
    shown_totals = suppressed(totals, minimum, hidden=hidden_rows)
    # Rows whose cells are tied to a shown total by an equation; the others constrain nothing.
    bound = {row for row in rows if adds_up and shown_totals[row] is not None}
    hide = {cell for cell, value in count.items() if value < minimum or shown_totals[cell[0]] is None}
    lines = [[(row, column) for column in columns] for row in bound]
    lines += [[(row, column) for row in rows] for column in columns]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if any(cell in hide for cell in line):
                visible = suppressed({cell: count[cell] for cell in line}, minimum,
                                     hidden=[cell for cell in line if cell in hide])
                added = {cell for cell, value in visible.items() if value is None} - hide
                if added:
                    hide |= added
                    changed = True
        bridge = _first_bridge(hide, bound)
        if bridge is not None:
            row, column = bridge
            neighbours = [cell for cell in ([(row, other) for other in columns] if row in bound else [])
                          + [(other, column) for other in rows] if cell not in hide]
            if neighbours:
                hide.add(min(neighbours, key=lambda cell: count[cell]))
                changed = True
    cells = {row: {column: None if (row, column) in hide else count[(row, column)] for column in columns}
             for row in rows}
    return cells, shown_totals


def _first_bridge(hide: set, bound: set):
    """A hidden cell that is a bridge of the graph whose nodes are the bound rows, the columns and one node
    for all other rows, and whose edges are the hidden cells (None: every hidden cell lies on a cycle)."""
    edges = [((("row", row) if row in bound else ("free",)), ("column", column)) for row, column in sorted(
        hide, key=repr)]
    cells = sorted(hide, key=repr)
    adjacent = defaultdict(list)
    for index, (a, b) in enumerate(edges):
        adjacent[a].append((b, index))
        adjacent[b].append((a, index))
    order, low, clock = {}, {}, [0]
    for start in adjacent:
        if start in order:
            continue
        order[start] = low[start] = clock[0]
        clock[0] += 1
        stack = [(start, None, iter(adjacent[start]))]
        while stack:
            node, via, neighbours = stack[-1]
            for neighbour, index in neighbours:
                if index == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = clock[0]
                    clock[0] += 1
                    stack.append((neighbour, index, iter(adjacent[neighbour])))
                    break
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        return cells[via]
    return None


def age_on(birth_year: int, day: date) -> int:
    """Age in whole years on a day, counting from the middle of the birth year (only the year is kept)."""
    return day.year - birth_year


def age_band(birth_year: int | None, day: date) -> str | None:
    if birth_year is None:
        return None
    age = age_on(birth_year, day)
    if age < 14:
        return None
    if age < 20:
        return "14-19"
    if age >= 70:
        return "70+"
    decade = age // 10 * 10
    return f"{decade}-{decade + 9}"


def district_label(name: str, locale: str) -> str:
    return DISTRICT_NAMES_EN.get(name, name) if locale == "en" else name
