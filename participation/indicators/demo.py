"""This channel's part of the Korean demo: the catalogue, a few manual values marked as examples, and the
first count of the automatic measures from the other channels' demo rows."""

from participation.indicators import counts, services

DEMO_NOTE = "데모 예시 값입니다. 실제 서울시 통계가 아닙니다."
# (code, year, raw value): made-up example values, labelled as such on every page that shows them.
DEMO_VALUES = (
    ("1.2.b", 2024, 96),
    ("2.4.a", 2024, 48),
    ("2.4.b", 2024, 1),
    ("3.3.e", 2024, 27),
    ("3.3.f", 2024, 2),
    ("4.2.a", 2024, 2),
)


def seed(people) -> None:
    """Add demo items; `people` maps a role name to demo accounts."""
    if not services.catalogue_loaded():
        services.load_catalogue()
    staff = people["staff"][0]
    for code, year, value in DEMO_VALUES:
        services.set_manual_value(staff, code, year, value, DEMO_NOTE)
    for year in counts.years_so_far():
        counts.refresh(year)
