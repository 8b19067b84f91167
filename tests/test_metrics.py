"""Metric functions on plain loads: hand-computed values, ties, errors and invariants."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairshift import metrics as m

# Loads drawn as exact quarter days, like fairshift burdens with the default weights.
load = st.integers(min_value=0, max_value=400).map(lambda q: Fraction(q, 4))
load_lists = st.lists(load, min_size=1, max_size=7)
positive_lists = st.lists(load.filter(lambda x: x > 0), min_size=2, max_size=7)


def test_hand_computed_values_for_one_two_four() -> None:
    """Loads 1, 1, 4 (mean 2) give the values worked out by hand, exactly."""
    loads = {"ana": 1, "bo": 1, "cy": 4}
    assert m.max_deviation(loads) == 2
    assert m.min_deviation(loads) == -1
    assert m.deviation_range(loads) == 3
    assert m.variance(loads) == 2  # (1 + 1 + 4) / 3
    assert m.std(loads) == pytest.approx(math.sqrt(2))
    assert m.coefficient_of_variation(loads) == pytest.approx(math.sqrt(2) / 2)
    assert m.gini(loads) == Fraction(1, 3)  # 2 * (3 + 3) / (2 * 9 * 2)
    assert m.jain_index(loads) == Fraction(2, 3)  # 36 / (3 * 18)
    assert m.balance_score(loads) == Fraction(1, 2)  # (1 + 1/4 + 1/4) / 3
    assert m.leximax(loads) == (2, -1, -1)


def test_tie_in_variance_gini_and_jain_is_broken_by_leximax() -> None:
    """1,1,4 and its mirror 3,3,0 tie on variance, Gini and Jain; leximax prefers 3,3,0."""
    spiky, mirrored = [1, 1, 4], [3, 3, 0]
    assert m.variance(spiky) == m.variance(mirrored) == 2
    assert m.gini(spiky) == m.gini(mirrored) == Fraction(1, 3)
    assert m.jain_index(spiky) == m.jain_index(mirrored) == Fraction(2, 3)
    assert m.deviation_range(spiky) == m.deviation_range(mirrored) == 3
    assert m.leximax(spiky) == (2, -1, -1)
    assert m.leximax(mirrored) == (1, 1, -2)
    assert m.leximax(mirrored) < m.leximax(spiky)
    # The pairwise balance score disagrees with leximax: it punishes the zero load.
    assert m.balance_score(mirrored) == Fraction(1, 3)
    assert m.balance_score(spiky) > m.balance_score(mirrored)


def test_leximax_separates_vectors_with_equal_maximum() -> None:
    """Equal worst deviation: leximax looks at the second worst."""
    assert m.max_deviation([5, 5, 2, 0]) == m.max_deviation([5, 4, 3, 0])
    assert m.leximax([5, 4, 3, 0]) < m.leximax([5, 5, 2, 0])


def test_shares_make_a_part_timer_fair() -> None:
    """With shares 4 and 2, loads 4 and 2 are perfectly fair; equal loads 3 and 3 are not."""
    shares = {"full": 4, "half": 2}
    fair = {"full": 4, "half": 2}
    assert m.max_deviation(fair, shares) == m.min_deviation(fair, shares) == 0
    assert m.gini(fair, shares) == 0
    assert m.jain_index(fair, shares) == 1
    assert m.balance_score(fair, shares) == 1
    assert m.coefficient_of_variation(fair, shares) == 0
    equal = {"full": 3, "half": 3}
    assert m.leximax(equal, shares) == (1, -1)
    # Relative loads 3/4 and 3/2: Gini 1.5 / (2 * 4 * 9/8), Jain (9/4)^2 / (2 * 45/16).
    assert m.gini(equal, shares) == Fraction(1, 6)
    assert m.jain_index(equal, shares) == Fraction(9, 10)
    assert m.balance_score(equal, shares) == Fraction(1, 2)


def test_floats_are_read_exactly() -> None:
    """Float loads are converted without rounding, so equal inputs give exact zeros."""
    assert m.max_deviation([0.25, 0.75], [0.25, 0.75]) == 0
    assert m.leximax([0.5, 1.5]) == (Fraction(1, 2), Fraction(-1, 2))
    assert m.gini([0.1, 0.1, 0.1]) == 0


def test_all_zero_loads_are_even() -> None:
    """Nobody on call is perfectly even by every measure."""
    zeros = [0, 0, 0]
    assert m.gini(zeros) == 0
    assert m.jain_index(zeros) == 1
    assert m.balance_score(zeros) == 1
    assert m.coefficient_of_variation(zeros) == 0
    assert m.leximax(zeros) == (0, 0, 0)


def test_zero_share_without_load_is_left_out_of_relative_metrics() -> None:
    """Someone with no share and no load (away all period) does not count as unfair."""
    assert m.gini({"a": 2, "b": 2, "gone": 0}, {"a": 2, "b": 2, "gone": 0}) == 0
    assert m.jain_index({"a": 2, "b": 2, "gone": 0}, {"a": 2, "b": 2, "gone": 0}) == 1


@pytest.mark.parametrize(
    ("loads", "shares", "message"),
    [
        ([], None, "no loads"),
        ({"a": 1}, {"b": 1}, "same keys"),
        ([1, 2], [1], "sequence of 2"),
        ([1, 2], [1, -1], "0 or more"),
        (["x"], None, "not a number"),
        ([math.inf], None, "not a finite number"),
    ],
)
def test_bad_inputs_raise_value_error(
    loads: list[object] | dict[str, int], shares: list[int] | dict[str, int] | None, message: str
) -> None:
    """Malformed loads or shares raise a ValueError that says what is wrong."""
    with pytest.raises(ValueError, match=message):
        m.max_deviation(loads, shares)  # type: ignore[arg-type]


def test_relative_metrics_reject_negative_loads_and_loads_without_share() -> None:
    """Gini and friends are undefined for a negative load or a load where the share is 0."""
    with pytest.raises(ValueError, match="0 or more"):
        m.gini([-1, 2])
    with pytest.raises(ValueError, match="fair share is 0"):
        m.jain_index({"a": 1, "b": 1}, {"a": 2, "b": 0})


def test_summarize_reports_undefined_relative_metrics_as_nan() -> None:
    """A summary always tabulates: undefined relative metrics become NaN, the rest stay."""
    summary = m.summarize([-1, 3])
    assert summary["max_deviation"] == 2
    assert summary["leximax"] == (2.0, -2.0)
    assert math.isnan(summary["gini"])  # type: ignore[arg-type]
    assert list(summary) == list(m.SUMMARY_KEYS)


@given(load_lists)
def test_bounds_of_gini_jain_and_balance(loads: list[Fraction]) -> None:
    """Gini lies in [0, 1 - 1/n], Jain in [1/n, 1], balance in [0, 1], CV is never negative."""
    n = len(loads)
    assert 0 <= m.gini(loads) <= 1 - Fraction(1, n)
    assert Fraction(1, n) <= m.jain_index(loads) <= 1
    assert 0 <= m.balance_score(loads) <= 1
    assert m.coefficient_of_variation(loads) >= 0


@given(load_lists)
def test_even_means_perfect_scores_and_uneven_means_imperfect(loads: list[Fraction]) -> None:
    """Gini is 0, Jain and balance are 1 exactly when every load is the same."""
    even = len(set(loads)) == 1
    assert (m.gini(loads) == 0) == even
    assert (m.jain_index(loads) == 1) == even
    assert (m.deviation_range(loads) == 0) == even


@settings(max_examples=50)
@given(st.lists(load, min_size=1, max_size=4))
def test_metrics_ignore_the_order_of_engineers(loads: list[Fraction]) -> None:
    """Relabelling engineers changes no metric."""
    reference = m.summarize(loads)
    for order in permutations(loads):
        assert m.summarize(list(order)) == reference


@given(positive_lists, st.integers(min_value=1, max_value=50))
def test_relative_metrics_ignore_the_unit(loads: list[Fraction], scale: int) -> None:
    """Counting in hours instead of days changes Gini, Jain, balance and CV not at all."""
    scaled = [x * scale for x in loads]
    assert m.gini(scaled) == m.gini(loads)
    assert m.jain_index(scaled) == m.jain_index(loads)
    assert m.balance_score(scaled) == m.balance_score(loads)
    assert m.coefficient_of_variation(scaled) == pytest.approx(m.coefficient_of_variation(loads))
    assert m.leximax(scaled) == tuple(d * scale for d in m.leximax(loads))


@given(load_lists, load)
def test_deviations_ignore_a_common_offset(loads: list[Fraction], offset: Fraction) -> None:
    """With equal shares, giving everyone the same extra load changes no deviation."""
    shifted = [x + offset for x in loads]
    assert m.leximax(shifted) == m.leximax(loads)
    assert m.variance(shifted) == m.variance(loads)


@given(load_lists)
def test_gini_matches_the_pairwise_definition(loads: list[Fraction]) -> None:
    """The sorted formula equals sum |x_i - x_j| / (2 n^2 mean)."""
    total = sum(loads, Fraction(0))
    pairwise = sum((abs(a - b) for a in loads for b in loads), Fraction(0))
    expected = Fraction(0) if total == 0 else pairwise / (2 * len(loads) * total)
    assert m.gini(loads) == expected


@given(positive_lists)
def test_jain_and_cv_agree(loads: list[Fraction]) -> None:
    """Jain's index is 1 / (1 + CV^2) for the population CV."""
    cv = m.coefficient_of_variation(loads)
    assert float(m.jain_index(loads)) == pytest.approx(1 / (1 + cv * cv))


@given(load_lists)
def test_leximax_is_sorted_and_sums_to_zero_with_equal_shares(loads: list[Fraction]) -> None:
    """Deviations come largest first, and with equal shares they cancel out."""
    vector = m.leximax(loads)
    assert list(vector) == sorted(vector, reverse=True)
    assert sum(vector) == 0
    assert vector[0] == m.max_deviation(loads) and vector[-1] == m.min_deviation(loads)
