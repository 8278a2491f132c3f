"""The question types of a survey, one class each: how a question of the type is defined (the builder), how an
answer to it is read (the pages and the API alike), and how its answers are summed up (the results).

    KINDS[question.type].parse(question, value)

A new type is a class here and a member of QuestionType; nothing else switches on the type."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from participation.core.input import clean_text
from participation.core.seoul import suppressed, suppressed_table
from participation.surveys import statistics
from participation.surveys.models import (
    LIKERT_MAX,
    LIKERT_MIN,
    OPTION_LABEL_MAX,
    TEXT_ANSWER_MAX,
    Question,
    QuestionType,
)

MAX_OPTIONS = 50
LABEL_MAX = 60
DEFAULT_LOW_LABEL = _l("전혀 그렇지 않다")
DEFAULT_HIGH_LABEL = _l("매우 그렇다")
UNKNOWN = "-"  # a respondent without a district or an age band: in the totals, never a group of its own


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Figures:
    """What the results read from the submitted responses, per (district, age band) cell: how many answered
    each question, chose each option, gave each number; and the post-stratification weights (may be empty)."""

    answered: dict = field(default_factory=dict)  # question id -> {cell: respondents}
    chosen: dict = field(default_factory=dict)  # option id -> {cell: count}
    numbers: dict = field(default_factory=dict)  # question id -> {value: {cell: count}}
    weights: dict = field(default_factory=dict)  # cell -> weight

    def weighted(self, cells: dict) -> float:
        return sum(value * self.weights[cell] for cell, value in cells.items() if cell in self.weights)


def by_group(cells: dict, dimension: int) -> dict[str, float]:
    """Cells summed by district (dimension 0) or age band (1); no district or band is UNKNOWN."""
    totals: dict[str, float] = defaultdict(float)
    for cell, value in cells.items():
        totals[UNKNOWN if cell[dimension] is None else cell[dimension]] += value
    return totals


class QuestionKind:
    type: QuestionType

    def clean(self, spec: dict, clean: dict, errors: dict) -> None:
        """Fill in the type's own fields of a definition (`clean`); problems go into `errors` by field."""

    def definition_problem(self, question: Question, number: int) -> str | None:
        """What stops a survey with this question (its `number`) from opening."""
        return None

    def parse(self, question: Question, value) -> list[dict]:
        """The answer rows for a value given (empty: no answer). Raises ValueError with the message."""
        raise NotImplementedError

    def summarise(self, question: Question, entry: dict, figures: Figures, groups: dict) -> None:
        """Add the question's aggregates to its `entry` of the results."""


class Choice(QuestionKind):
    """Options to choose from: one (single, which may skip to a later section) or several (multiple)."""

    def clean(self, spec, clean, errors):
        raw_options = spec.get("options") or []
        if not isinstance(raw_options, list):
            errors["options"] = _l("보기는 목록이어야 합니다.")
            raw_options = []
        labels = []
        for raw in raw_options:
            entry = raw if isinstance(raw, dict) else {"label": raw}
            label = clean_text(entry.get("label"), "options", OPTION_LABEL_MAX, errors=errors,
                               missing=_l("보기는 1자 이상 %(max)d자 이내여야 합니다.", max=OPTION_LABEL_MAX))
            skip = entry.get("skip_to_section")
            if label and label in labels:
                errors["options"] = _l("같은 보기가 두 번 있습니다: %(label)s", label=label)
            elif skip is not None and not self.may_skip(skip):
                errors["options"] = _l("건너뛰기는 단일 선택 문항에서 뒤 섹션으로만 할 수 있습니다.")
            labels.append(label)
            clean["options"].append({"label": label, "skip_to_section": skip})
        if len(clean["options"]) > MAX_OPTIONS:
            errors["options"] = _l("보기는 %(max)d개까지입니다.", max=MAX_OPTIONS)

    def may_skip(self, skip) -> bool:
        return False

    def definition_problem(self, question, number):
        if not question.options:
            return _l("Q%(number)d: 보기가 없는 선택형 문항입니다.", number=number)
        return None

    def parse(self, question, value):
        if value is None or value == "" or value == []:
            return []
        values = value if isinstance(value, list) else [value]
        if self.one_only and len(values) != 1:
            raise ValueError(_l("보기 하나를 골라 주세요."))
        option_ids = {option.id for option in question.options}
        chosen = []
        for item in values:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int) or item not in option_ids:
                raise ValueError(_l("이 문항의 보기 중에서 골라 주세요."))
            if item not in chosen:
                chosen.append(item)
        if question.max_choices and len(chosen) > question.max_choices:
            raise ValueError(_l("최대 %(max)d개까지 고를 수 있습니다.", max=question.max_choices))
        return [{"option_id": option_id} for option_id in chosen]

    def summarise(self, question, entry, figures, groups):
        cells_n = figures.answered.get(question.id, {})
        n = entry["n"]
        weighted_base = figures.weighted(cells_n)
        entry["options"] = []
        for option in question.options:
            cells = figures.chosen.get(option.id, {})
            count = sum(cells.values())
            entry["options"].append({
                "id": option.id, "label": option.label, "count": count,
                "share": rounded(count / n) if n else None,
                "weighted_share": rounded(figures.weighted(cells) / weighted_base) if weighted_base else None,
            })
        for key, (dimension, names) in groups.items():
            entry[key] = self.crosstab(question, figures, dimension, names)

    def crosstab(self, question, figures: Figures, dimension: int, names: tuple) -> list:
        """Respondents per group and how many of them chose each option, as a two-way table suppressed by
        core.seoul.suppressed_table. A single-choice question's rows add up to the group's respondents; in a
        multiple-choice one a person counts under several options, so the group's respondents are given apart."""
        group_n = by_group(figures.answered.get(question.id, {}), dimension)
        per_option = {option.id: by_group(figures.chosen.get(option.id, {}), dimension) for option in question.options}
        groups = (*names, UNKNOWN)
        table = {name: {option_id: int(counts.get(name, 0)) for option_id, counts in per_option.items()}
                 for name in groups}
        people = None if self.rows_add_up else {name: int(group_n.get(name, 0)) for name in groups}
        cells, totals = suppressed_table(table, hidden_rows=[UNKNOWN], row_totals=people)
        return [{"group": name, "n": totals[name], "counts": [cells[name][option.id] for option in question.options]}
                for name in names if group_n.get(name)]

    rows_add_up = True
    one_only = False


class Single(Choice):
    type = QuestionType.single
    one_only = True

    def may_skip(self, skip) -> bool:
        return not isinstance(skip, bool) and isinstance(skip, int) and skip >= 1


class Multiple(Choice):
    type = QuestionType.multiple
    rows_add_up = False

    def clean(self, spec, clean, errors):
        super().clean(spec, clean, errors)
        max_choices = spec.get("max_choices")
        if max_choices in (None, ""):
            return
        try:
            clean["max_choices"] = int(max_choices)
        except (TypeError, ValueError):
            errors["max_choices"] = _l("정수여야 합니다.")
            return
        if isinstance(max_choices, bool | float) or not 1 <= clean["max_choices"] <= MAX_OPTIONS:
            errors["max_choices"] = _l("1에서 %(max)d 사이의 정수여야 합니다.", max=MAX_OPTIONS)

    def definition_problem(self, question, number):
        problem = super().definition_problem(question, number)
        if problem is None and question.max_choices and question.max_choices > len(question.options):
            problem = _l("Q%(number)d: 최대 선택 수가 보기 수보다 많습니다.", number=number)
        return problem


def read_number(value, limit: float | None = None) -> float:
    """A finite number (at most `limit` either side of zero) from a number or a string. Raises ValueError."""
    if isinstance(value, bool | list | dict):
        raise ValueError(_l("숫자여야 합니다."))
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(_l("숫자여야 합니다.")) from None
    if not math.isfinite(number) or (limit is not None and abs(number) > limit):
        raise ValueError(_l("숫자여야 합니다."))
    return number


class Scale(QuestionKind):
    """Answers that are numbers: their distribution, mean and median, and the mean per group."""

    def parse(self, question, value):
        if value is None or value == "" or value == []:
            return []
        number = read_number(value)
        self.check_range(question, number)
        return [{"number_value": number}]

    def check_range(self, question, number: float) -> None:
        raise NotImplementedError

    def distribution(self, values: dict) -> dict[float, int]:
        return {value: sum(cells.values()) for value, cells in values.items()}

    def summarise(self, question, entry, figures, groups):
        values = figures.numbers.get(question.id, {})
        distribution = self.distribution(values)
        weighted_totals = {value: figures.weighted(cells) for value, cells in values.items()}
        entry.update(
            mean=rounded(statistics.mean_from_counts(distribution)),
            median=statistics.median_from_counts(distribution),
            weighted_mean=rounded(statistics.mean_from_counts(weighted_totals)) if figures.weights else None,
            distribution=[{"value": value, "count": count} for value, count in sorted(distribution.items())])
        for key, (dimension, names) in groups.items():
            sums, counts = defaultdict(float), defaultdict(int)
            for value, cells in values.items():
                for name, count in by_group(cells, dimension).items():
                    sums[name] += value * count
                    counts[name] += int(count)
            shown = suppressed({name: counts.get(name, 0) for name in (*names, UNKNOWN)}, hidden=[UNKNOWN])
            entry[key] = [{"group": name, "n": shown[name],
                           "mean": rounded(sums[name] / counts[name]) if shown[name] else None}
                          for name in names if counts.get(name)]


class Likert(Scale):
    type = QuestionType.likert

    def clean(self, spec, clean, errors):
        for name, default in (("low_label", DEFAULT_LOW_LABEL), ("high_label", DEFAULT_HIGH_LABEL)):
            clean[name] = clean_text(spec.get(name), name, LABEL_MAX, required=False, errors=errors) or str(default)

    def check_range(self, question, number):
        if number != int(number) or not LIKERT_MIN <= number <= LIKERT_MAX:
            raise ValueError(_l("1에서 5 사이의 정수여야 합니다."))

    def distribution(self, values):
        counts = super().distribution(values)
        return {float(value): counts.get(float(value), 0) for value in range(LIKERT_MIN, LIKERT_MAX + 1)}


class Number(Scale):
    type = QuestionType.number

    def clean(self, spec, clean, errors):
        for name in ("min", "max"):
            value = spec.get(name)
            if value is None or value == "":
                continue
            try:
                clean[f"{name}_value"] = read_number(value, limit=1e12)
            except ValueError as error:
                errors[name] = error.args[0]
        if (clean["min_value"] is not None and clean["max_value"] is not None
                and clean["min_value"] > clean["max_value"]):
            errors["max"] = _l("최댓값은 최솟값보다 작을 수 없습니다.")

    def check_range(self, question, number):
        if question.min_value is not None and number < question.min_value:
            raise ValueError(_l("%(min)s 이상이어야 합니다.", min=f"{question.min_value:g}"))
        if question.max_value is not None and number > question.max_value:
            raise ValueError(_l("%(max)s 이하여야 합니다.", max=f"{question.max_value:g}"))


class Text(QuestionKind):
    """A short text: read by staff one by one (queries.text_answers), never summed up."""

    type = QuestionType.text

    def parse(self, question, value):
        if value is None or value == "" or value == []:
            return []
        if not isinstance(value, str):
            raise ValueError(_l("문자열이어야 합니다."))
        errors: dict = {}
        text = clean_text(value, "answer", TEXT_ANSWER_MAX, required=False, errors=errors)
        if errors:
            raise ValueError(errors["answer"])
        return [{"text_value": text}] if text else []


KINDS: dict[QuestionType, QuestionKind] = {kind.type: kind for kind in (Single(), Multiple(), Likert(), Number(),
                                                                         Text())}
