"""Seoul facts the whole platform shares: districts, age bands, categories."""

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


def suppressed(cells: Mapping[K, int], minimum: int = MIN_CELL_SIZE, hidden: Iterable[K] = ()) -> dict[K, int | None]:
    """The cells of one breakdown (people per district, per age band, …) as they may be shown: None for a cell
    that is not.

    Primary suppression: a cell of fewer than `minimum` people is not shown, zero included, so a hidden cell
    always means the same ("0 to minimum - 1 people, or hidden to protect such a cell"), never "nobody".
    Secondary suppression: the breakdown's total is public (or follows from other figures), so if any cell is
    hidden, the hidden cells together must be at least two and hold at least `minimum` people; otherwise the
    smallest shown cells are hidden too, one by one. Then no hidden cell can be worked out from the total and
    the shown cells, and neither can a small sum of hidden cells. `hidden` names cells never shown (e.g.
    "unknown district"): they count as hidden. Ties go by the order of `cells`."""
    never_shown = set(hidden)
    hide = {key for key, count in cells.items() if count < minimum or key in never_shown}
    if hide:
        candidates = sorted((key for key in cells if key not in hide), key=lambda key: cells[key])
        while candidates and (len(hide) < 2 or sum(cells[key] for key in hide) < minimum):
            hide.add(candidates.pop(0))
    return {key: None if key in hide else count for key, count in cells.items()}


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
