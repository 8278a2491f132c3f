"""Participation statistics for staff: per channel, per KST month of a year, and by district and age band.

Every figure is one aggregate query per channel and measure (never one per month or per item). A row's
KST month is a CASE over the twelve month boundaries (UTC instants computed in Python from
`core.time`), grouped in an outer query, so SQLite and PostgreSQL count the same way: an act at 23:30 KST
on the last day of a month counts for that month.

Figures that count people are suppressed as core.seoul.suppressed says: a cell with fewer than MIN_CELL_SIZE
different people behind it (zero included) is None, and so is any cell that, with the row's or column's total,
would give such a cell away. New items (petitions filed, polls opened) count items, not people: shown as
they are.

Definitions (written on the page too):
- new items: petitions and proposals by the time they were submitted (the indicator feeds' "received"),
  polls, surveys and forums by the time they opened;
- participations: signatures, supports, poll participations, submitted survey responses and forum
  comments made in the month (one person can take part in several items); signatures and supports that staff
  voided (a burst from one network, core/networks.py) do not count, here as in the items' own counts;
- conversion: for the items that opened (petitions/proposals: were published) in the month, everything
  they gathered so far divided by the number of those items, and for petitions and proposals the share
  that reached the answer (review) threshold they opened with.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, distinct, func, literal, select

from participation.accounts.models import User
from participation.core.seoul import AGE_BANDS, DISTRICTS, MIN_CELL_SIZE, age_band, suppressed
from participation.core.time import KST, kst_today, kst_year_bounds
from participation.extensions import db
from participation.forums.models import Comment as ForumComment
from participation.forums.models import Forum
from participation.petitions.models import Petition, Signature
from participation.polls.models import Participation, Poll, PollState
from participation.proposals.models import Proposal, Support
from participation.surveys.models import Response, Survey

MONTHS = tuple(range(1, 13))
CHANNELS = ("petitions", "proposals", "polls", "surveys", "forums")
CHANNEL_LABELS = {
    "petitions": _l("청원"), "proposals": _l("시민제안"), "polls": _l("엠보팅"),
    "surveys": _l("온라인 여론조사"), "forums": _l("공론장"),
}
# What each channel's rows mean, in the channel's own words.
ROW_LABELS = {
    ("petitions", "new"): _l("접수된 청원"),
    ("petitions", "participations"): _l("서명"),
    ("petitions", "per_item"): _l("청원당 서명 (해당 월 공개 청원)"),
    ("petitions", "reached"): _l("답변 기준 도달 청원 비율 (%)"),
    ("proposals", "new"): _l("접수된 시민제안"),
    ("proposals", "participations"): _l("공감"),
    ("proposals", "per_item"): _l("제안당 공감 (해당 월 공개 제안)"),
    ("proposals", "reached"): _l("검토 기준 도달 제안 비율 (%)"),
    ("polls", "new"): _l("시작한 투표"),
    ("polls", "participations"): _l("투표 참여"),
    ("polls", "per_item"): _l("투표당 참여자 (해당 월 시작 투표)"),
    ("surveys", "new"): _l("시작한 여론조사"),
    ("surveys", "participations"): _l("제출된 응답"),
    ("surveys", "per_item"): _l("조사당 응답 (해당 월 시작 조사)"),
    ("forums", "new"): _l("열린 공론장"),
    ("forums", "participations"): _l("댓글"),
    ("forums", "participants"): _l("댓글 참여자 (월별 중복 제외)"),
    ("forums", "per_item"): _l("공론장당 댓글 (해당 월 시작 공론장)"),
    ("forums", "people_per_item"): _l("공론장당 참여자 (해당 월 시작 공론장)"),
}

# Breakdown sources: (channel, act label, whether the district/age band is the one kept on the act).
BREAKDOWN_SOURCES = ("petition_signatures", "proposal_supports", "poll_participations", "survey_responses",
                     "forum_commenters")
BREAKDOWN_LABELS = {
    "petition_signatures": _l("청원 서명"),
    "proposal_supports": _l("시민제안 공감 (현재 거주 자치구 기준)"),
    "poll_participations": _l("엠보팅 참여"),
    "survey_responses": _l("여론조사 응답"),
    "forum_commenters": _l("공론장 댓글 참여자 (현재 거주 자치구 기준)"),
}
POLL_NOT_OPENED = (PollState.pending, PollState.rejected, PollState.draft, PollState.scheduled)
# Signatures and supports count unless staff voided them (the channels' counts.py skip them the same way).
SIGNATURE_COUNTS = Signature.void_id.is_(None)
SUPPORT_COUNTS = Support.void_id.is_(None)


UNKNOWN = "-"  # acts of people without a district or an age band: in the totals, never a row of their own


def month_bounds(year: int) -> list[tuple[int, datetime, datetime]]:
    """(month, start, end) of each KST month of the year, as UTC instants."""
    bounds = []
    for month in MONTHS:
        start = datetime(year, month, 1, tzinfo=KST)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=KST)
        bounds.append((month, start.astimezone(UTC), end.astimezone(UTC)))
    return bounds


def month_of(column, year: int):
    """SQL: the KST month (1–12) of a UTC timestamp column within the year (NULL outside it)."""
    return case(*[(column < end, literal(month)) for month, _start, end in month_bounds(year)], else_=None)


def in_year(column, year: int):
    start, end = kst_year_bounds(year)
    return (column >= start) & (column < end)


def _by_month(rows) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in rows if row[0] is not None}


def _grouped(inner, *aggregates):
    """Group an inner select (first column labelled `month`) by month: one round trip."""
    sub = inner.subquery()
    columns = [aggregate(sub) for aggregate in aggregates]
    return _by_month(db.session.execute(select(sub.c.month, *columns).group_by(sub.c.month)))


def _count_new(column, year: int, *conditions) -> dict[int, tuple]:
    inner = select(month_of(column, year).label("month")).where(in_year(column, year), *conditions)
    return _grouped(inner, lambda sub: func.count())


def _count_acts(column, user_column, year: int, *conditions) -> dict[int, tuple]:
    """Per month: (acts, different people)."""
    inner = (select(month_of(column, year).label("month"), user_column.label("person"))
             .where(in_year(column, year), *conditions))
    return _grouped(inner, lambda sub: func.count(), lambda sub: func.count(distinct(sub.c.person)))


def _conversion(item_model, opened_column, act_item_column, act_user_column, year: int,
                *conditions, threshold_column=None) -> dict[int, tuple]:
    """Per month of opening: (items, acts so far, people across the items, items that reached the
    threshold). People are summed per item (one person in two items counts twice, as acts do)."""
    acts = (select(act_item_column.label("item_id"), func.count().label("acts"),
                   func.count(distinct(act_user_column)).label("people"))
            .group_by(act_item_column).subquery())
    gathered = func.coalesce(acts.c.acts, 0)
    reached = (case((threshold_column.is_not(None) & (gathered >= threshold_column), 1), else_=0)
               if threshold_column is not None else literal(0))
    inner = (select(month_of(opened_column, year).label("month"), gathered.label("acts"),
                    func.coalesce(acts.c.people, 0).label("people"), reached.label("reached"))
             .select_from(item_model).outerjoin(acts, acts.c.item_id == item_model.id)
             .where(in_year(opened_column, year), *conditions))
    return _grouped(inner, lambda sub: func.count(), lambda sub: func.coalesce(func.sum(sub.c.acts), 0),
                    lambda sub: func.coalesce(func.sum(sub.c.people), 0),
                    lambda sub: func.coalesce(func.sum(sub.c.reached), 0))


@dataclass
class Row:
    channel: str
    measure: str
    months: list = field(default_factory=list)  # int, float or None (suppressed / nothing to divide)
    total: int | float | None = None
    suppressed: bool = False  # whether any cell is suppressed

    @property
    def label(self):
        return ROW_LABELS[(self.channel, self.measure)]

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("per_item", "people_per_item", "reached")


def _new_row(channel: str, counts: dict) -> Row:
    months = [counts.get(month, (0,))[0] for month in MONTHS]
    return Row(channel, "new", months, sum(months))


def _acts_row(channel: str, counts: dict, year_people: int, measure: str = "participations") -> Row:
    index = 0 if measure == "participations" else 1
    months = suppressed({month: counts.get(month, (0, 0))[index] for month in MONTHS},
                        people={month: counts.get(month, (0, 0))[1] for month in MONTHS})
    cells = [months[month] for month in MONTHS]
    total_acts = year_people if measure == "participants" else sum(counts.get(month, (0, 0))[index]
                                                                    for month in MONTHS)
    total = total_acts if year_people >= MIN_CELL_SIZE else None
    return Row(channel, measure, cells, total, suppressed=any(cell is None for cell in cells) or total is None)


def _ratio(numerator: int, denominator: int, people: int, percent: bool = False) -> float | None:
    if not denominator or people < MIN_CELL_SIZE:
        return None
    return round((100 if percent else 1) * numerator / denominator, 1)


def _conversion_rows(channel: str, counts: dict, measures: tuple[str, ...]) -> list[Row]:
    rows = []
    zero = (0, 0, 0, 0)
    total = tuple(sum(counts.get(month, zero)[index] for month in MONTHS) for index in range(4))
    for measure in measures:
        def value(cell, measure=measure):
            items, acts, people, reached = cell
            if measure == "per_item":
                return _ratio(acts, items, people)
            if measure == "people_per_item":
                return _ratio(people, items, people)
            # The share of items that reached the threshold: items, not people, are counted.
            return round(100 * reached / items, 1) if items else None
        cells = [value(counts.get(month, zero)) for month in MONTHS]
        suppressed = any(counts.get(month, zero)[0] and cell is None for month, cell in zip(MONTHS, cells,
                                                                                              strict=True))
        rows.append(Row(channel, measure, cells, value(total), suppressed=suppressed))
    return rows


def _year_people(user_column, column, year: int, *conditions) -> int:
    return db.session.scalar(select(func.count(distinct(user_column))).where(in_year(column, year), *conditions)
                             ) or 0


def monthly(year: int) -> list[Row]:
    """Every channel's rows for the KST year, in CHANNELS order."""
    rows: list[Row] = []
    # Petitions
    rows.append(_new_row("petitions", _count_new(Petition.submitted_at, year)))
    rows.append(_acts_row("petitions", _count_acts(Signature.created_at, Signature.user_id, year, SIGNATURE_COUNTS),
                          _year_people(Signature.user_id, Signature.created_at, year, SIGNATURE_COUNTS)))
    signatures = select(Signature.petition_id, Signature.user_id).where(SIGNATURE_COUNTS).subquery()
    rows += _conversion_rows("petitions", _conversion(
        Petition, Petition.published_at, signatures.c.petition_id, signatures.c.user_id, year,
        threshold_column=Petition.answer_threshold), ("per_item", "reached"))
    # Proposals
    rows.append(_new_row("proposals", _count_new(Proposal.submitted_at, year)))
    rows.append(_acts_row("proposals", _count_acts(Support.created_at, Support.user_id, year, SUPPORT_COUNTS),
                          _year_people(Support.user_id, Support.created_at, year, SUPPORT_COUNTS)))
    supports = select(Support.proposal_id, Support.user_id).where(SUPPORT_COUNTS).subquery()
    rows += _conversion_rows("proposals", _conversion(
        Proposal, Proposal.published_at, supports.c.proposal_id, supports.c.user_id, year,
        threshold_column=Proposal.review_threshold), ("per_item", "reached"))
    # Polls
    opened = Poll.state.not_in(POLL_NOT_OPENED)
    rows.append(_new_row("polls", _count_new(Poll.opens_at, year, opened)))
    rows.append(_acts_row("polls", _count_acts(Participation.created_at, Participation.user_id, year),
                          _year_people(Participation.user_id, Participation.created_at, year)))
    rows += _conversion_rows("polls", _conversion(
        Poll, Poll.opens_at, Participation.poll_id, Participation.user_id, year, opened),
        ("per_item",))
    # Surveys: submitted responses only
    submitted = Response.submitted_at.is_not(None)
    rows.append(_new_row("surveys", _count_new(Survey.opened_at, year)))
    rows.append(_acts_row("surveys", _count_acts(Response.submitted_at, Response.user_id, year, submitted),
                          _year_people(Response.user_id, Response.submitted_at, year, submitted)))
    survey_acts = select(Response.survey_id, Response.user_id).where(submitted).subquery()
    rows += _conversion_rows("surveys", _conversion(
        Survey, Survey.opened_at, survey_acts.c.survey_id, survey_acts.c.user_id, year),
        ("per_item",))
    # Forums
    rows.append(_new_row("forums", _count_new(Forum.opened_at, year)))
    comments = _count_acts(ForumComment.created_at, ForumComment.author_id, year)
    commenters = _year_people(ForumComment.author_id, ForumComment.created_at, year)
    rows.append(_acts_row("forums", comments, commenters))
    rows.append(_acts_row("forums", comments, commenters, measure="participants"))
    rows += _conversion_rows("forums", _conversion(
        Forum, Forum.opened_at, ForumComment.forum_id, ForumComment.author_id, year),
        ("per_item", "people_per_item"))
    return rows


def _snapshot_breakdown(model, column_name: str, time_column, year: int, *conditions) -> dict:
    column = getattr(model, column_name)
    rows = db.session.execute(select(column, func.count(), func.count(distinct(model.user_id)))
                              .where(in_year(time_column, year), *conditions).group_by(column))
    return {value or UNKNOWN: (count, people) for value, count, people in rows}


def _profile_breakdown(act_model, act_user_column, time_column, dimension: str, year: int, *conditions) -> dict:
    """By the person's district or birth year as it is now (the act keeps neither)."""
    column = User.district if dimension == "district" else User.birth_year
    rows = db.session.execute(select(column, func.count(), func.count(distinct(act_user_column)))
                              .join(User, User.id == act_user_column)
                              .where(in_year(time_column, year), *conditions).group_by(column))
    if dimension == "district":
        return {value or UNKNOWN: (count, people) for value, count, people in rows}
    today = kst_today()
    bands: dict[str, tuple[int, int]] = {}
    for birth_year, count, people in rows:
        band = age_band(birth_year, today) or UNKNOWN
        acts, persons = bands.get(band, (0, 0))
        bands[band] = (acts + count, persons + people)  # a person has one birth year: sums are exact
    return bands


def breakdown(year: int) -> dict[str, dict[str, dict[str, int | None]]]:
    """{dimension: {district or band: {source: count or None (suppressed)}}}, every key present."""
    submitted = Response.submitted_at.is_not(None)
    result = {}
    for dimension, keys in (("district", DISTRICTS), ("age_band", AGE_BANDS)):
        raw = {
            "petition_signatures": _snapshot_breakdown(Signature, dimension, Signature.created_at, year,
                                                       SIGNATURE_COUNTS),
            "proposal_supports": _profile_breakdown(Support, Support.user_id, Support.created_at, dimension, year,
                                                    SUPPORT_COUNTS),
            "poll_participations": _snapshot_breakdown(Participation, dimension, Participation.created_at, year),
            "survey_responses": _snapshot_breakdown(Response, dimension, Response.submitted_at, year, submitted),
            "forum_commenters": _profile_breakdown(ForumComment, ForumComment.author_id, ForumComment.created_at,
                                                   dimension, year),
        }
        columns = {}
        for source in BREAKDOWN_SOURCES:
            counts = {key: raw[source].get(key, (0, 0)) for key in (*keys, UNKNOWN)}
            # The forum column counts people, not comments.
            acts = {key: people if source == "forum_commenters" else count for key, (count, people) in counts.items()}
            columns[source] = suppressed(acts, people={key: people for key, (_, people) in counts.items()},
                                         hidden=[UNKNOWN])
        table = {key: {source: columns[source][key] for source in BREAKDOWN_SOURCES} for key in keys}
        result[dimension] = table
    return result


CSV_FIELDS = ("연도", "표", "채널", "항목", "구분", "값", "비고")


def csv_rows(year: int, rows: list[Row], table: dict, district_label, band_label) -> list[dict]:
    """The page's figures, one line per cell; suppressed cells are empty with a note."""
    hidden = str(_l("비공개: %(min)d명 미만이거나 그런 칸을 계산해 낼 수 있게 하는 칸", min=MIN_CELL_SIZE))
    lines = []
    for row in rows:
        for period, value in [*((f"{month:02d}", cell) for month, cell in zip(MONTHS, row.months, strict=True)),
                              (str(_l("합계")), row.total)]:
            lines.append({"연도": year, "표": str(_l("월별")), "채널": str(CHANNEL_LABELS[row.channel]),
                          "항목": str(row.label), "구분": period, "값": "" if value is None else value,
                          "비고": hidden if value is None and not row.is_ratio else ""})
    for dimension, label in (("district", district_label), ("age_band", band_label)):
        for key, cells in table[dimension].items():
            for source, value in cells.items():
                lines.append({"연도": year, "표": str(_l("자치구별") if dimension == "district" else _l("연령대별")),
                              "채널": str(BREAKDOWN_LABELS[source]), "항목": label(key), "구분": str(_l("연간")),
                              "값": "" if value is None else value, "비고": hidden if value is None else ""})
    return lines
