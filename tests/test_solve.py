"""The solver: statuses, stage reports, consistency with the independent statistics."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

import fairshift as fs
from conftest import EXAMPLE, engineer, scenario, solve
from fairshift.fairness import deviations

if TYPE_CHECKING:
    from fairshift.model.stages import StageGoal
    from fairshift.solve import _Run


def test_stage_values_match_statistics_from_rows() -> None:
    """Stage 1 and 2 equal the largest and smallest deviation recomputed from the rows."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", fte=0.5),
        engineer("cy", history=3.5),
        engineer("jo", "junior", holidays="US-NY"),
    )
    s = scenario(team, weeks=8, start=dt.date(2027, 1, 4), month_end_days=2)
    schedule = solve(s)
    assert [stage.name for stage in schedule.stages] == [
        "max_deviation",
        "min_deviation",
        "sum_of_squares",
        "month_end_shifts_excess",
        "weekend_days_excess",
        "holiday_days_excess",
    ]
    assert all(stage.proven for stage in schedule.stages[:3])
    summary = fs.fairness(s, schedule).summary
    for stage in schedule.stages[3:]:
        # Stage 4 is best effort: proven or not, its value is the statistic from the rows.
        assert stage.value == pytest.approx(summary[stage.name])
        assert stage.bound is not None and stage.bound <= stage.value + 1e-9
    exact = deviations(s, schedule)
    assert schedule.stages[0].value == float(max(exact.values()))
    assert schedule.stages[1].value == float(min(exact.values()))
    assert schedule.gap == 0 and schedule.bound == schedule.objective
    assert fs.validate(s, schedule) == []


def test_history_shifts_burden_to_who_is_owed() -> None:
    """An engineer who did 10 days too many last period gets less now."""
    even = scenario(weeks=8)
    owed = even.with_history({"ana": 10})
    burden = {r.engineer: r.burden for r in solve(owed).fairness().itertuples()}
    assert burden["ana"] < min(b for h, b in burden.items() if h != "ana")


def test_part_timer_gets_a_proportional_share() -> None:
    """Fair share follows fte: a 0.5 fte engineer's share is half a full-timer's."""
    s = scenario(weeks=8).with_engineer_changes("bo", fte=0.5)
    table = solve(s).fairness().set_index("engineer")
    assert table.loc["bo", "fair_share"] * 2 == table.loc["ana", "fair_share"]


def test_same_seed_gives_the_same_schedule() -> None:
    """Determinism: two solves with one seed give identical tables."""
    s = scenario(weeks=10, start=dt.date(2027, 1, 4), month_end_days=3)
    first = solve(s, seed=7).to_dataframe()
    second = solve(s, seed=7).to_dataframe()
    assert first.equals(second)


def test_time_limit_returns_best_found_with_gap_reported() -> None:
    """A tiny time limit still returns a valid schedule; unproven stages say so."""
    s = fs.Scenario.from_toml(__import__("conftest").EXAMPLE)
    schedule = fs.solve(s, time_limit=2.0)
    assert schedule.status in (fs.Status.FEASIBLE, fs.Status.OPTIMAL)
    assert fs.validate(s, schedule) == []
    for stage in schedule.stages:
        assert stage.status in ("OPTIMAL", "FEASIBLE", "SKIPPED", "UNKNOWN")
        if stage.status == "FEASIBLE":
            assert stage.gap is not None


def test_summary_and_dataframe_shape(example: fs.Scenario) -> None:
    """to_dataframe has one row per shift with ISO times; summary names status and stages."""
    s = scenario(weeks=3)
    schedule = solve(s)
    table = schedule.to_dataframe()
    assert list(table.columns[:5]) == ["slot", "role", "start", "end", "engineer"]
    assert len(table) == 6
    assert table.loc[0, "start"].endswith("-07:00")
    text = str(schedule)
    assert "OPTIMAL" in text and "stage 1" in text and "ana" in text
    # With no history, deviations from fair share cancel out exactly.
    assert abs(schedule.fairness()["deviation"].sum()) < 1e-9


def test_ctrl_c_returns_best_schedule_so_far(example: fs.Scenario) -> None:
    """Ctrl-C during stage 1 keeps the best schedule found, marks it FEASIBLE, skips the rest."""
    import os
    import signal

    sent: list[bool] = []

    def interrupt(stage: str, value: float, bound: float, elapsed: float) -> None:
        if not sent:  # on the first solution of the first stage
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    schedule = fs.solve(example, time_limit=60, progress=interrupt)
    assert sent
    assert schedule.status in (fs.Status.FEASIBLE, fs.Status.OPTIMAL)
    assert [stage.status for stage in schedule.stages[1:]] == ["SKIPPED"] * 5
    assert schedule.interrupted
    assert fs.validate(example, schedule) == []


def test_engineer_without_weekly_availability_counts_in_the_objective() -> None:
    """Regression: a joiner with no whole week in the horizon can still hold a month-end window;
    their burden counts in stage 1, which equals the largest deviation of the fairness table."""
    start = dt.date(2027, 1, 18)
    team = (
        engineer("ana", "senior"),
        engineer("bo"),
        engineer("cy"),
        engineer("di", "senior"),
        engineer("new", joined=dt.date(2027, 1, 26)),
    )
    s = scenario(team, weeks=2, start=start, month_end_days=3)
    schedule = solve(s)
    table = schedule.fairness()
    assert schedule.stages[0].value == pytest.approx(table["deviation"].max())
    assert schedule.stages[1].value == pytest.approx(table["deviation"].min())
    assert schedule.holder("month_end", "month-end-2027-01") != "new"


def _example_stage_one() -> tuple[_Run, StageGoal]:
    """The bundled example's model, ready for stage 1's probes, and stage 1's goal."""
    from fairshift.model.stages import LatticeBounds, StageGoal
    from fairshift.runner import Deadline, Interrupt, SolverOptions
    from fairshift.solve import _Run, build_model

    built = build_model(fs.Scenario.from_toml(EXAMPLE))
    objective = built.objective
    assert objective is not None
    bounds = LatticeBounds(objective)
    assert bounds.largest is not None
    split = bounds.split_largest()
    goal = StageGoal(objective.largest_deviation(), bounds.largest, objective.to_units, None, split)
    state = _Run(
        built, SolverOptions(), Deadline.after(120), None, Interrupt(), None, bounds, False
    )
    return state, goal


def test_a_probe_split_by_total_finds_a_case_or_rules_out_every_one() -> None:
    """Stage 1's probe asks case by case (one total burden each): a schedule it finds meets
    the bound with the total of one of its cases, and it proves that no schedule meets the
    bound only once every case is ruled out."""
    from fairshift.model.neighbourhood import evaluate
    from fairshift.model.stages import Split, StageGoal
    from fairshift.solve import _probe_cases

    state, goal = _example_stage_one()
    objective, bounds, split = state.built.objective, state.bounds, goal.split
    assert objective is not None and split is not None and bounds.largest is not None
    found, none, spent = _probe_cases(state, goal, bounds.largest, False, 60.0, 30.0)
    assert found is not None and not none and spent > 0
    assert evaluate(goal.expression, found) <= bounds.largest
    assert evaluate(objective.total, found) in split.cases(bounds.largest)
    # Totals no schedule has: once each is ruled out, no schedule meets the bound.
    lattice = bounds._lattice
    assert lattice is not None
    beyond = Split(objective.total, lambda _v: [lattice.total_high + 1, lattice.total_low - 1])
    goal = StageGoal(goal.expression, bounds.largest, objective.to_units, None, beyond)
    found, none, _ = _probe_cases(state, goal, bounds.largest, False, 60.0, 30.0)
    assert found is None and none


def test_halving_probes_close_the_gap_from_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probes between the bound and the best schedule: a found schedule lowers the value, a
    value no schedule meets raises the bound, and an undecided probe is followed by an easier
    one, until the two meet or the easiest question is undecided too (here, an oracle whose
    optimum is 37, and which cannot decide 18 or 36)."""
    import sys

    from ortools.sat.python import cp_model

    from fairshift.model.stages import StageGoal

    module = sys.modules["fairshift.solve"]
    asked: list[int] = []

    def oracle(state, goal, value, maximize, seconds, work, incumbent=None):  # type: ignore[no-untyped-def]
        asked.append(value)
        if value >= 37:
            return [37], False, 1.0
        if value in (18, 36):
            return None, False, 1.0
        return None, True, 0.5

    monkeypatch.setattr(module, "_probe_cases", oracle)
    model = cp_model.CpModel()
    goal = StageGoal(model.new_int_var(0, 1000, "x"), 10, float)
    state = type("State", (), {"interrupt": False})()
    values, proven, spent, decided = module._halve(state, goal, False, [100], 10, 60.0, 1000.0)
    # A third of the way from the bound (39: found 37), then from 10 to 37 (18: undecided),
    # then halfway from 19 to 37 (27: none, so the bound is 28), and on by thirds.
    assert asked == [39, 18, 27, 30, 32, 34, 35, 36]
    assert values == [37] and proven == 36 and spent == 5.5 and decided
    # An undecided first question ends the probes at once: the time goes back to the search.
    asked.clear()
    values, proven, spent, decided = module._halve(state, goal, False, [100], 5, 60.0, 1000.0)
    assert asked == [36] and values == [100] and proven == 5 and spent == 1.0 and not decided
    # With every value decided, the two meet: 37 is proven optimal.
    asked.clear()
    monkeypatch.setattr(
        module,
        "_probe_cases",
        lambda *a, **k: ([37], False, 1.0) if a[2] >= 37 else (None, True, 0.5),
    )
    values, proven, _, decided = module._halve(state, goal, False, [100], 10, 60.0, 1000.0)
    assert values == [37] and proven == 37 and decided
    # Maximising mirrors it: the bound is above, the best schedule below.
    monkeypatch.setattr(
        module,
        "_probe_cases",
        lambda *a, **k: ([37], False, 1.0) if a[2] <= 37 else (None, True, 0.5),
    )
    values, proven, _, decided = module._halve(state, goal, True, [0], 90, 60.0, 1000.0)
    assert values == [37] and proven == 37 and decided


def test_halving_proves_the_example_optimal_from_a_weak_bound() -> None:
    """On the bundled example, from a poor schedule and a bound well below the lattice's,
    the probes end at the proven optimum: values below it are ruled out, and a schedule
    that meets it is found."""
    from fairshift.model.neighbourhood import evaluate
    from fairshift.solve import _halve, _probe_cases

    state, goal = _example_stage_one()
    objective, bounds = state.built.objective, state.bounds
    assert objective is not None and bounds.largest is not None
    day = objective.team_availability * objective.scale  # one day in the model's units
    optimum = round(solve(fs.Scenario.from_toml(EXAMPLE)).stages[0].value * day)
    poor, _, _ = _probe_cases(state, goal, optimum + 4 * day, False, 60.0, 30.0)
    assert poor is not None
    start = evaluate(goal.expression, poor)
    assert start > optimum  # a schedule to improve on
    weak = bounds.largest - 2 * day  # two days below: a valid, weaker bound
    values, proven, spent, decided = _halve(state, goal, False, poor, weak, 60.0, 30.0)
    assert spent > 0 and decided
    assert evaluate(goal.expression, values) == proven <= start
    assert proven == bounds.largest == optimum
