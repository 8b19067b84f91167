"""Neighbourhood search: never worse, never breaks a rule, same seed gives the same steps."""

from __future__ import annotations

import datetime as dt

import pytest
from ortools.sat.python import cp_model

import fairshift as fs
from conftest import MONDAY, engineer, scenario
from fairshift.model.neighbourhood import (
    MIN_TEAM,
    Goal,
    NeighbourhoodSearch,
    Outcome,
    _group_sizes,
    evaluate,
)
from fairshift.solve import BuiltModel, build_model


def big_team() -> fs.Scenario:
    """Fourteen engineers over half a year, with leave, a part-timer and mixed seniority."""
    levels = ["senior", "mid", "mid", "junior"]
    team = []
    for i in range(14):
        leave = ()
        if i % 3 == 0:
            first = MONDAY + dt.timedelta(weeks=2 + i)
            leave = (fs.Leave(first, first + dt.timedelta(days=11)),)
        team.append(
            engineer(
                f"e{i:02}",
                levels[i % 4],
                leave=leave,
                fte=0.5 if i == 5 else 1,
                history=[0, 1.5, -2][i % 3],
            )
        )
    assert len(team) > MIN_TEAM
    return scenario(tuple(team), weeks=26, month_end_days=2)


def first_schedule(built: BuiltModel) -> tuple[cp_model.IntVar, list[int]]:
    """Stage 1's objective and CP-SAT's first solution (a poor start on purpose)."""
    objective = built.objective
    assert objective is not None
    top = objective.largest_deviation()
    built.model.minimize(top)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = True
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return top, list(solver.response_proto.solution)


def search(
    built: BuiltModel, top: cp_model.IntVar, start: list[int], patience: float | None = None
) -> Outcome:
    objective = built.objective
    assert objective is not None
    groups = [
        [var.index for h, _, var in built.vars.items() if h == handle]
        for handle in built.vars.handles
    ]
    runner = NeighbourhoodSearch(
        built.model, groups, seed=7, run=lambda solver, model: solver.solve(model)
    )
    goal = Goal(top, False, tuple(objective.deviation.values()), target=0)
    return runner.improve(goal, start, seconds=600, work=2.0, patience=patience)


def rows(built: BuiltModel, values: list[int]) -> fs.Schedule:
    assignments = tuple(
        fs.Assignment(duty.id, duty.seat, duty.start, duty.end, handle, duty.shift)
        for handle, duty, var in built.vars.items()
        if values[var.index]
    )
    return fs.Schedule(built.calendar.scenario, assignments)


@pytest.fixture(scope="module")
def outcome() -> tuple[BuiltModel, cp_model.IntVar, list[int], Outcome]:
    built = build_model(big_team())
    top, start = first_schedule(built)
    return built, top, start, search(built, top, start)


def test_search_improves_and_keeps_every_rule(
    outcome: tuple[BuiltModel, cp_model.IntVar, list[int], Outcome],
) -> None:
    """The result is no worse than the start, breaks no rule, and the steps found something."""
    built, top, start, result = outcome
    assert result.steps > 0
    assert result.value == evaluate(top, result.values)
    assert result.value <= evaluate(top, start)
    if result.improvements:
        assert result.value < evaluate(top, start) or result.values != start
    assert fs.validate(built.calendar.scenario, rows(built, result.values)) == []


def test_same_seed_same_steps(
    outcome: tuple[BuiltModel, cp_model.IntVar, list[int], Outcome],
) -> None:
    """With a work budget instead of a clock, two runs take the same steps to the same result."""
    built, top, start, result = outcome
    again = search(built, top, start)
    assert again.values == result.values
    assert again.steps == result.steps


def test_a_patient_search_stops_once_it_stalls(
    outcome: tuple[BuiltModel, cp_model.IntVar, list[int], Outcome],
) -> None:
    """Steps since the last improvement may spend as much as the steps before it, no more.

    Started again from where a full budget left it, the search stops well inside the same
    budget and says it stalled; without patience it never does.
    """
    built, top, _start, result = outcome
    assert not result.stalled
    again = search(built, top, result.values, patience=0.1)
    assert again.stalled
    assert again.work < 2.0
    assert again.value <= result.value
    assert fs.validate(built.calendar.scenario, rows(built, again.values)) == []


def test_solve_with_a_work_limit_is_reproducible_on_a_large_team() -> None:
    """Whole solves that use the neighbourhood search repeat exactly under a work limit."""
    s = big_team()
    first = fs.solve(s, time_limit=600, work_limit=3.0)
    second = fs.solve(s, time_limit=600, work_limit=3.0)
    assert first.assignments == second.assignments
    assert fs.validate(s, first) == []
    assert [stage.value for stage in first.stages] == [stage.value for stage in second.stages]


def test_a_search_given_the_total_breaks_ties_by_the_larger_total(
    outcome: tuple[BuiltModel, cp_model.IntVar, list[int], Outcome],
) -> None:
    """A step is kept only if it lowers the value or, at the same value, raises the total
    burden; the result still keeps every rule."""
    built, top, start, _ = outcome
    objective = built.objective
    assert objective is not None
    total = objective.total
    groups = [
        [var.index for h, _, var in built.vars.items() if h == handle]
        for handle in built.vars.handles
    ]
    runner = NeighbourhoodSearch(
        built.model, groups, seed=7, run=lambda solver, model: solver.solve(model)
    )
    by_total = Goal(top, False, tuple(objective.deviation.values()), target=0, total=total)
    result = runner.improve(by_total, start, seconds=600, work=2.0)
    assert result.steps > 0
    before = (evaluate(top, start), -start[total.index])
    after = (result.value, -result.values[total.index])
    assert after <= before
    assert fs.validate(built.calendar.scenario, rows(built, result.values)) == []


@pytest.mark.parametrize(
    ("team", "first", "smallest"),
    [(6, 3, 3), (16, 3, 3), (32, 4, 3), (64, 8, 6), (200, 8, 6)],
)
def test_groups_start_small_on_small_teams(team: int, first: int, smallest: int) -> None:
    """A group starts with one engineer in eight (3 to 8), and shrinks at most two below."""
    assert _group_sizes(team) == (first, smallest)
