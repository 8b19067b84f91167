"""Stage 4: month-end shifts, weekend days and holiday days spread among the eligible."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from fractions import Fraction

import pytest

import fairshift as fs
from conftest import EXAMPLE, engineer, scenario, solve
from fairshift.calendar import expand
from fairshift.model.objective import SpreadTerm
from fairshift.solve import build_model
from fairshift.spread import (
    apportionment_bound,
    categories,
    eligible,
    fair_counts,
    least_excess,
    spread_of,
)


def test_least_excess_by_hand() -> None:
    """Whole counts that add up to the total: the largest excess no schedule can beat."""
    # Four units, shares 1:1:2: fair counts 1, 1, 2 are whole, so nobody need exceed.
    assert least_excess([1, 1, 2], [9, 9, 9], 4) == 0
    # Five units among three equals: fair 5/3 each, someone holds 2: excess 1/3 (A = 3).
    assert least_excess([1, 1, 1], [9, 9, 9], 5) == 1
    # A cap forces the rest onto the other: fair 1.5 each, but the first can hold none, so
    # the second holds 3, 1.5 over (scaled by A = 2: 3).
    assert least_excess([1, 1], [0, 5], 3) == 3
    # Caps that cannot hold the total: no bound (the scenario is infeasible anyway).
    assert least_excess([1, 1], [1, 1], 3) is None
    # Nothing to hold: every count and fair count is 0.
    assert least_excess([1, 2], [0, 0], 0) == 0


def test_apportionment_bound_takes_the_best_total() -> None:
    """With a total that depends on who holds what, the bound is the least over totals."""
    assert apportionment_bound([1, 1, 1], [9, 9, 9], [5, 6]) == 0  # 6 splits evenly
    assert apportionment_bound([1, 1, 1], [9, 9, 9], [4, 5]) == 1


@pytest.mark.parametrize("total", range(0, 13))
def test_least_excess_is_met_by_some_counts(total: int) -> None:
    """The bound is exact without other rules: some whole counts meet it (brute force)."""
    shares, caps = [2, 3, 5], [4, 6, 12]
    bound = least_excess(shares, caps, total)
    big_a = sum(shares)
    best = min(
        max(big_a * c - a * total for c, a in zip(counts, shares, strict=True))
        for counts in _splits(total, caps)
    )
    assert bound == best


def _splits(total: int, caps: list[int]) -> list[tuple[int, ...]]:
    found: list[tuple[int, ...]] = []
    for a in range(min(total, caps[0]) + 1):
        for b in range(min(total - a, caps[1]) + 1):
            c = total - a - b
            if c <= caps[2]:
                found.append((a, b, c))
    return found


def test_next_value_is_the_least_possible_excess_above() -> None:
    """Between a value and the next possible one no largest excess can lie."""
    term = SpreadTerm("month_end_shifts", None, 10, 0, (5, 5), (3, 3), 3, 3)  # type: ignore[arg-type]
    # Possible scaled excesses: 10 * count - 5 * 3 = -15, -5, 5, 15.
    assert term.next_value(-5) == 5
    assert term.next_value(0) == 5
    assert term.next_value(5) == 15
    assert term.next_value(15) is None


def test_fair_counts_split_by_availability_among_the_eligible() -> None:
    """Only the eligible share the total; an all-zero availability splits it evenly."""
    shares = {"a": Fraction(2), "b": Fraction(1), "c": Fraction(1)}
    assert fair_counts(8, shares, ["a", "b"]) == {"a": Fraction(16, 3), "b": Fraction(8, 3)}
    assert fair_counts(3, dict.fromkeys("ab", Fraction(0)), ["a", "b"]) == {
        "a": Fraction(3, 2),
        "b": Fraction(3, 2),
    }


def test_eligibility_changes_the_answer() -> None:
    """A junior who may not hold month-end shifts is not counted: n/a, not a 0 in a spread.

    The senior holds 2 of 3 windows, the mid-level 1: among the two who may hold them the
    fair count is 1.5 each, so the largest excess is 0.5. Counting the junior as well (a fair
    count of 1 each) would make it 1.
    """
    team = (engineer("ana", "senior"), engineer("bo", "mid"), engineer("jo", "junior"))
    s = scenario(team, weeks=13, start=dt.date(2027, 1, 4), month_end_days=2)
    calendar = expand(s)
    assert len(calendar.month_ends) == 3
    assert eligible(calendar, "month_end_shifts") == ("ana", "bo")
    rows = [
        fs.Assignment(w.id, fs.Role.MONTH_END, w.start, w.end, who)
        for w, who in zip(calendar.month_ends, ("ana", "bo", "ana"), strict=True)
    ]
    spread = spread_of(s, rows, "month_end_shifts")
    assert spread.counts == {"ana": 2, "bo": 1, "jo": 0}
    assert spread.fair == {"ana": Fraction(3, 2), "bo": Fraction(3, 2)}
    assert spread.largest_excess == Fraction(1, 2)
    table = fs.per_engineer(s, fs.Schedule(s, tuple(rows)))
    excess = table.set_index("engineer")["month_end_shifts_excess"]
    assert excess["ana"] == 0.5 and excess["bo"] == -0.5 and math.isnan(excess["jo"])


def test_someone_on_leave_for_every_window_is_not_eligible() -> None:
    """Eligibility for month-end needs at least one window the engineer could take."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", "mid", leave=(fs.Leave(dt.date(2027, 1, 1), dt.date(2027, 2, 28)),)),
        engineer("cy", "mid"),
    )
    s = scenario(team, weeks=12, start=dt.date(2027, 1, 4), month_end_days=2)
    assert len(expand(s).month_ends) == 2  # January and February
    assert eligible(expand(s), "month_end_shifts") == ("ana", "cy")
    assert "bo" in eligible(expand(s), "weekend_days")  # bo still has whole weeks after leave


def test_stage_values_equal_the_statistics_and_bounds_hold() -> None:
    """Each category's stage value is the fairness statistic, and its bound is below it."""
    s = fs.Scenario.from_toml(EXAMPLE).with_horizon(weeks=13)
    schedule = solve(s)
    summary = fs.fairness(s, schedule).summary
    names = [stage.name for stage in schedule.stages]
    assert names[3:] == [f"{kind.name}_excess" for kind in categories(expand(s))]
    for stage in schedule.stages[3:]:
        assert stage.value == pytest.approx(summary[stage.name])
        assert stage.bound is not None and stage.bound <= stage.value + 1e-9
        if stage.proven:
            assert stage.bound == pytest.approx(stage.value)
    assert fs.validate(s, schedule) == []


def test_a_schedule_meeting_the_apportionment_bound_is_proven() -> None:
    """Four equal engineers, eight weeks: every category can be met exactly and is proven."""
    s = scenario(weeks=8, start=dt.date(2027, 1, 4))
    schedule = solve(s)
    built = build_model(s)
    assert built.objective is not None
    for stage in schedule.stages[3:]:
        category = stage.name.removesuffix("_excess")
        term = built.objective.spread(category)
        assert term is not None and term.bound is not None
        assert stage.status == "OPTIMAL"
        assert stage.value == pytest.approx(term.to_units(term.bound))


def test_probes_climb_past_the_apportionment_bound_and_prove() -> None:
    """Where stages 1-3 leave no schedule at the apportionment bound, probes prove the next.

    Two month-end windows among a senior and two mid-levels (one half-time): the bound
    from whole counts alone is 0.2 shifts, but once burden is balanced the best is 0.6,
    which the probes prove (given the work a ten-minute limit allows).
    """
    team = (
        engineer("ana", "senior"),
        engineer("bo", fte=0.5),
        engineer("cy", history=3.5),
        engineer("jo", "junior", holidays="US-NY"),
    )
    s = scenario(team, weeks=8, start=dt.date(2027, 1, 4), month_end_days=2)
    schedule = solve(s, time_limit=600)
    month_end = next(st for st in schedule.stages if st.name == "month_end_shifts_excess")
    built = build_model(s)
    assert built.objective is not None
    term = built.objective.spread("month_end_shifts")
    assert term is not None and term.bound is not None
    assert term.to_units(term.bound) == pytest.approx(0.2)
    assert month_end.status == "OPTIMAL"
    assert month_end.bound == pytest.approx(month_end.value)
    assert month_end.value > 0.2


def test_headline_says_what_was_proven(example: fs.Scenario) -> None:
    """The first lines of the summary say which stages are proven, in words."""
    schedule = solve(example.with_horizon(weeks=13))
    text = schedule.summary().splitlines()
    assert text[1] == schedule.headline
    if schedule.status == fs.Status.OPTIMAL:
        assert schedule.headline == "fairness proven optimal (every stage)"
    else:
        assert schedule.headline.startswith("fairness proven optimal (stages 1-3)")
    unproven = dataclasses.replace(schedule.stages[4], status="FEASIBLE", value=3.0, bound=1.0)
    stages = (*schedule.stages[:4], unproven, *schedule.stages[5:])
    headline = fs.Schedule(example, schedule.assignments, "FEASIBLE", stages).headline
    assert "weekend days within 2.00 days of its bound" in headline


OVERLAPPING = """
[rotation]
name = "Standby beside duty"
start = 2027-04-19
weeks = 1
handoff = "09:00"
timezone = "America/New_York"

[[shifts]]
name = "duty-a"
every = "1 week"
seats = ["on"]

[[shifts]]
name = "duty-b"
every = "1 week"
seats = ["on"]

[[shifts]]
name = "standby"
every = "1 week"
may_overlap = true
seats = [
  { name = "s1", min_seniority = "senior" },
  { name = "s2", min_seniority = "senior" },
  { name = "s3", min_seniority = "senior" },
  { name = "s4", min_seniority = "senior" },
]

[[engineers]]
handle = "ann"
name = "Ann"
seniority = "senior"
holidays = "US"

[[engineers]]
handle = "bob"
name = "Bob"
seniority = "mid"
holidays = "US"
fte = 0.25

[[engineers]]
handle = "cy"
name = "Cy"
seniority = "mid"
holidays = "US"
fte = 0.25
"""


def test_one_engineer_may_hold_every_seat_of_a_shift_type_that_may_overlap() -> None:
    """Six seats of 2 weekend days each, fair counts 8, 2 and 2: an excess of 0 exists.

    Ann (the only senior) holds the four standby seats, which may run beside anything,
    and Bob and Cy one duty each. A cap of one seat per turn would give Ann at most 6
    weekend days and a false bound of 1 day.
    """
    import tomllib

    s = fs.Scenario.from_dict(tomllib.loads(OVERLAPPING))
    objective = build_model(s).objective
    assert objective is not None
    term = objective.spread("weekend_days")
    assert term is not None
    assert term.to_units(term.bound) == 0
    schedule = fs.solve(s, time_limit=30)
    stage = next(st for st in schedule.stages if st.name == "weekend_days_excess")
    assert (stage.status, stage.value) == ("OPTIMAL", 0.0)
    assert {a.engineer for a in schedule.assignments if a.shift == "standby"} == {"ann"}
