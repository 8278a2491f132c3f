"""The arithmetic of survey results, on counts the database has grouped: medians from distributions,
post-stratification weights, Kish's design effect and the margin of error, small-cell suppression."""

import math

Z_95 = 1.96


def mean_from_counts(counts: dict[float, float]) -> float | None:
    total = sum(counts.values())
    return sum(value * weight for value, weight in counts.items()) / total if total else None


def median_from_counts(counts: dict[float, int]) -> float | None:
    """The median of the values that `counts` lists (value -> how many), the mean of the middle two if even."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted(counts.items())

    def value_at(rank: int) -> float:  # 0-based rank in the sorted list
        seen = 0
        for value, count in ordered:
            seen += count
            if rank < seen:
                return value
        return ordered[-1][0]

    if total % 2:
        return value_at(total // 2)
    return (value_at(total // 2 - 1) + value_at(total // 2)) / 2


def post_stratification_weights(sample: dict[tuple, int], population: dict[tuple, int]) -> dict[tuple, float]:
    """Weight of a respondent in cell c = population share of c / sample share of c, over the cells that
    have both respondents and population (respondents in other cells are left out of weighted figures)."""
    cells = [cell for cell, n in sample.items() if n > 0 and population.get(cell, 0) > 0]
    sample_total = sum(sample[cell] for cell in cells)
    population_total = sum(population[cell] for cell in cells)
    return {cell: (population[cell] / population_total) / (sample[cell] / sample_total) for cell in cells}


def kish_design_effect(sample: dict[tuple, int], weights: dict[tuple, float]) -> float | None:
    """deff = n · Σw² / (Σw)² over the weighted respondents."""
    n = sum(sample[cell] for cell in weights)
    total = sum(sample[cell] * weight for cell, weight in weights.items())
    if not n or not total:
        return None
    return n * sum(sample[cell] * weight ** 2 for cell, weight in weights.items()) / total ** 2


def margin_of_error(n: int, design_effect: float = 1.0) -> float | None:
    """Half-width of the 95% interval of a share at its widest (p = 0.5), inflated by the design effect."""
    if n <= 0:
        return None
    return Z_95 * math.sqrt(design_effect * 0.25 / n)


def nice_step(span: float, bins: int) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) that covers `span` in about `bins` bins."""
    raw = span / bins
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def histogram(counts: dict[float, int], bins: int = 10) -> list[tuple[float, float, int]]:
    """Answers that are numbers as a histogram of (low, high, count): equal-width bins [low, high) with a round
    width (the last one closed), empty bins included, so that the bars' spacing is the numbers' spacing.
    Whole numbers over a short range get one bar per number (low == high)."""
    values = sorted(value for value, count in counts.items() if count)
    if not values:
        return []
    low, high = values[0], values[-1]
    if high == low:
        return [(low, low, counts[low])]
    if all(value == int(value) for value in values) and high - low < bins * 2:
        return [(float(value), float(value), counts.get(float(value), 0))
                for value in range(int(low), int(high) + 1)]
    step = nice_step(high - low, bins)
    edges = [math.floor(low / step) * step]
    while edges[-1] + step < high:
        edges.append(round(edges[0] + len(edges) * step, 10))  # no creeping rounding error (0.1 + 0.2)
    result = []
    for number, left in enumerate(edges):
        right, last = left + step, number == len(edges) - 1
        total = sum(count for value, count in counts.items() if left <= value < right or (last and value == right))
        result.append((left, right, total))
    return result


def number_label(value: float) -> str:
    """A number as people write it: thousands separated, no exponent, at most two decimals."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def bin_label(low: float, high: float) -> str:
    return number_label(low) if low == high else f"{number_label(low)}–{number_label(high)}"
