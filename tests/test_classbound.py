"""Class-count bounds: valid (never past a proven optimum) and stronger than the lattice.

A schedule that meets a bound is declared optimal and ends its stage, so a bound that was
too strong would claim a proof that does not exist; the property test compares the bounds
with optima proven by CP-SAT alone, as the lattice's does.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given
from ortools.sat.python import cp_model

import fairshift as fs
from conftest import EXAMPLE, ROOT, engineer, scenario
from fairshift.model.classbound import Budget, ClassBound, turn_classes
from fairshift.model.lattice import Lattice, lattice
from fairshift.model.neighbourhood import evaluate
from fairshift.model.objective import Objective
from fairshift.model.stages import LatticeBounds, StageGoal, StageSpec, fairness_stages
from fairshift.runner import Deadline
from fairshift.schedule import Stage
from fairshift.solve import _reread, build_model
from test_hypothesis import SETTINGS, scenarios
from test_lattice import proven_optima


def plenty() -> Budget:
    """A budget no test case here exhausts."""
    return Budget(20.0, 60.0, Deadline.after(60))


def relaxation(s: fs.Scenario) -> tuple[Objective, ClassBound]:
    objective = build_model(s).objective
    assert objective is not None
    found = lattice(objective)
    assert found is not None
    classes = ClassBound.of(objective, found)
    assert classes is not None
    return objective, classes


@SETTINGS
@given(scenarios())
def test_class_bounds_never_cut_off_an_optimum(s: fs.Scenario) -> None:
    """Stage 1's bound is at most its optimum, stage 2's at least; the optimum stays open.

    The bisection runs over the whole deviation range, so a refutation of any value at or
    past the optimum would show. The optimal schedule's total must stay among the cases the
    probes ask about.
    """
    optima = proven_optima(s)
    if optima is None:
        return  # infeasible, or not proven within the limit
    largest, smallest, total = optima
    objective = build_model(s).objective
    assert objective is not None
    found = lattice(objective)
    if found is None:
        return
    classes = ClassBound.of(objective, found)
    assert classes is not None
    low, high = objective.deviation_domain()
    assert classes.raise_largest(found.largest_deviation_bound(low, high), high, plenty()) <= (
        largest
    )
    upper = found.smallest_deviation_bound(low, high, largest)
    assert classes.lower_smallest(largest, upper, low, plenty()) >= smallest
    assert classes.still_open(largest, None, [total]) == [total]
    assert classes.still_open(largest, smallest, [total]) == [total]


def test_class_bound_sees_what_the_lattice_cannot() -> None:
    """Two full-time and two half-time engineers, four weeks, one of them with a holiday.

    In half days a primary week weighs 16 (18 with the holiday, 19 January 2026) and a
    secondary 8 (9); the total is 99, so the full-timers' fair share is 33 and the
    half-timers' 16.5. Alone, each engineer can come within 0.5 half days of their share
    (33 = 16 + 8 + 9; 17 = 8 + 9), so the lattice bound is 0.25 days. But the holiday week
    has one secondary seat: only one engineer can use it, and the optimum is 0.5 days, which
    the class-count bound proves.
    """
    team = (
        engineer("ana", fte=0.5),
        engineer("bo"),
        engineer("cy", fte=0.5),
        engineer("di"),
    )
    s = scenario(team, weeks=4, start=dt.date(2026, 1, 2))
    objective, classes = relaxation(s)
    unit = objective.team_availability * objective.scale
    assert [c.count for c in turn_classes(objective)] == [3, 1]
    found = lattice(objective)
    assert found is not None
    low, high = objective.deviation_domain()
    bound = found.largest_deviation_bound(low, high)
    assert Fraction(bound, unit) == Fraction(1, 4)
    raised = classes.raise_largest(bound, high, plenty())
    assert Fraction(raised, unit) == Fraction(1, 2)
    assert proven_optima(s) is not None
    assert proven_optima(s)[0] == raised  # type: ignore[index]
    schedule = fs.solve(s, time_limit=30)
    assert (schedule.stages[0].status, schedule.stages[0].value) == ("OPTIMAL", 0.5)


def test_a_shift_type_that_may_overlap_lets_one_engineer_hold_two_seats() -> None:
    """One week: a lead seat of weight 3, and two standby seats that may overlap anything.

    The fair share is 20 days each. The optimum gives one engineer the lead (24 days) and
    the other both standby seats (16), a deviation of 4: a bound that kept one seat per
    turn would see only 32 and 8 (a deviation of 12) and claim a false proof.
    """
    text = """
        [rotation]
        name = "Overlap"
        start = 2027-04-19
        weeks = 1
        handoff = "09:00"
        timezone = "America/New_York"

        [[shifts]]
        name = "duty"
        every = "1 week"
        weight = 3
        seats = ["lead"]

        [[shifts]]
        name = "standby"
        every = "1 week"
        may_overlap = true
        seats = ["a", "b"]

        [[engineers]]
        handle = "ann"
        name = "Ann"
        seniority = "mid"
        holidays = "US"

        [[engineers]]
        handle = "bob"
        name = "Bob"
        seniority = "mid"
        holidays = "US"
    """
    s = fs.Scenario.from_dict(tomllib.loads(text.replace("\n        ", "\n")))
    objective, classes = relaxation(s)
    assert [c.exclusive for c in turn_classes(objective)] == [True, False]
    unit = objective.team_availability * objective.scale
    low, high = objective.deviation_domain()
    assert Fraction(classes.raise_largest(low, high, plenty()), unit) == 4
    schedule = fs.solve(s, time_limit=30)
    assert (schedule.stages[0].status, schedule.stages[0].value) == ("OPTIMAL", 4.0)
    standby = {a.engineer for a in schedule.assignments if a.shift == "standby"}
    assert len(standby) == 1


def per_pipeline() -> tuple[Objective, ClassBound, Lattice, int, int]:
    """The per-pipeline example's relaxation, lattice, stage-1 lattice bound and top value."""
    objective, classes = relaxation(fs.Scenario.from_toml(ROOT / "examples" / "per-pipeline.toml"))
    found = lattice(objective)
    assert found is not None
    low, high = objective.deviation_domain()
    return objective, classes, found, found.largest_deviation_bound(low, high), high


def test_per_pipeline_bounds_reach_the_best_schedules() -> None:
    """The per-pipeline example: the lattice allows 0.077 days, the classes 0.109.

    0.109 days is what the best schedules reach (the benchmarks prove it), and the bound is
    found within a small budget. Refuted totals are left out of the probes' cases.
    """
    objective, classes, found, bound, high = per_pipeline()
    budget = Budget(2.0, 60.0, Deadline.after(60))
    raised = classes.raise_largest(bound, high, budget)
    unit = objective.team_availability * objective.scale
    assert round(float(Fraction(bound, unit)), 3) == 0.077
    assert round(float(Fraction(raised, unit)), 3) == 0.109
    assert budget.work > 0
    below = found.totals_meeting(raised - 1)
    assert below and classes.still_open(raised - 1, None, below) == []
    bounds = LatticeBounds(objective)
    assert bounds.tighten_largest(bound, high, plenty()) == raised
    split = bounds.split_largest()
    assert split is not None and split.cases(raised - 1) == []


def test_an_exhausted_budget_keeps_the_bound_it_was_given() -> None:
    _objective, classes, _found, bound, high = per_pipeline()
    assert classes.raise_largest(bound, high, Budget(0.0, 60.0, Deadline.after(60))) == bound
    assert classes.raise_largest(bound, high, Budget(5.0, 60.0, Deadline.after(0))) == bound
    assert classes.raise_largest(bound, high, Budget(5.0, 0.0, Deadline.after(60))) == bound


def test_a_later_stage_that_reaches_a_bound_proves_the_earlier_stage() -> None:
    """Stages stopped unproven are read again after each stage, as in a cut-short solve.

    On the example's optimal schedule (deviations all 0), stage 1 is recorded as stopped
    at 1 unit against its bound of 0. The re-read proves it, and fixes the better value for
    the stages still to come.
    """
    s = fs.Scenario.from_toml(EXAMPLE)
    built = build_model(s)
    objective = built.objective
    assert objective is not None
    specs = fairness_stages(objective, LatticeBounds(objective))
    goal = specs[0].build({}, frozenset())
    built.model.minimize(goal.expression)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) == cp_model.OPTIMAL
    values = list(solver.response_proto.solution)
    assert evaluate(goal.expression, values) == 0 == goal.known
    stages = [Stage(specs[0].name, specs[0].description, "FEASIBLE", 0.1, 0.0, 1.0)]
    state = SimpleNamespace(built=built, values=values)
    raw = {"max_deviation": 1}
    exact: set[str] = set()
    _reread(state, stages, [(0, specs[0], goal, {})], raw, exact)  # type: ignore[arg-type]
    assert (stages[0].status, stages[0].value, stages[0].bound) == ("OPTIMAL", 0.0, 0.0)
    assert raw == {"max_deviation": 0}
    assert exact == {"max_deviation"}


def stub_stages(tighten: bool) -> tuple[SimpleNamespace, list[StageSpec], list[int]]:
    """Two stages on a model of two variables: ``x`` minimised, then ``y`` maximised.

    Stage 2's bound is ``4 + s1`` from stage 1's value ``s1``, or ``3 + s1`` without a
    tightening, which here proves any value it is given.
    """
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    y = model.new_int_var(0, 10, "y")
    first = StageSpec(
        "s1", "x", False, 1.0, lambda _raw, _exact: StageGoal(x, 0, float, tighten=None)
    )

    def second_goal(raw: Mapping[str, int], _exact: frozenset[str]) -> StageGoal:
        if tighten:
            return StageGoal(y, 4 + raw["s1"], float, tighten=lambda _b, value, _budget: value)
        return StageGoal(y, 3 + raw["s1"], float, tighten=lambda bound, _v, _budget: bound)

    second = StageSpec("s2", "y", True, 1.0, second_goal)
    state = SimpleNamespace(
        built=SimpleNamespace(model=model),
        values=[0, 3],
        options=SimpleNamespace(work_limit=None),
        deadline=Deadline.after(60),
        interrupt=None,
        large=False,
    )
    return state, [first, second], [0, 3]


@pytest.mark.parametrize("tighten", [False, True])
def test_a_stage_built_on_an_improved_earlier_value_gets_its_bound_again(tighten: bool) -> None:
    """Stage 2 was built while stage 1 stood at 2; the re-read proves stage 1 at 0.

    Stage 2's bound, 5 when built, is built again from 0 (3, or 4 tightened to the
    schedule's 3), and stage 2's value 3 is then proven. While stage 1 is unproven, stage
    2's bound stays as built.
    """
    state, (first, second), _values = stub_stages(tighten)
    goals = [first.build({}, frozenset()), second.build({"s1": 2}, frozenset())]
    assert goals[1].known == (6 if tighten else 5)
    stages = [
        Stage("s1", "x", "FEASIBLE", 2.0, 0.0, 1.0),
        Stage("s2", "y", "FEASIBLE", 3.0, float(goals[1].known), 1.0),
    ]
    evaluated = [(0, first, goals[0], {}), (1, second, goals[1], {"s1": 2})]
    raw = {"s1": 2, "s2": 3}
    exact: set[str] = set()
    _reread(state, stages, evaluated, raw, exact)  # type: ignore[arg-type]
    assert exact == {"s1", "s2"}
    assert [(s.status, s.value, s.bound) for s in stages] == [
        ("OPTIMAL", 0.0, 0.0),
        ("OPTIMAL", 3.0, 3.0),
    ]

    # The same, but stage 1 cannot be proven: its bound is 0 and its value stays 1.
    state, (first, second), _values = stub_stages(tighten)
    state.values = [1, 3]
    stages = [
        Stage("s1", "x", "FEASIBLE", 2.0, 0.0, 1.0),
        Stage("s2", "y", "FEASIBLE", 3.0, float(goals[1].known), 1.0),
    ]
    evaluated = [(0, first, goals[0], {}), (1, second, goals[1], {"s1": 2})]
    raw = {"s1": 2, "s2": 3}
    exact = set()
    _reread(state, stages, evaluated, raw, exact)  # type: ignore[arg-type]
    assert exact == set() and raw == {"s1": 1, "s2": 3}
    assert stages[1].bound == float(goals[1].known)


def test_a_schedule_at_the_optimum_is_proven_in_two_questions() -> None:
    """Per-pipeline: the lattice bound first, then the schedule's value less one."""
    _objective, classes, _found, bound, high = per_pipeline()
    optimum = classes.raise_largest(bound, high, plenty())
    asked: list[int] = []
    fresh = per_pipeline()[1]
    ask = fresh.rules_out

    def counted(largest: int, smallest: int | None, budget: Budget) -> bool:
        asked.append(largest)
        return ask(largest, smallest, budget)

    fresh.rules_out = counted  # type: ignore[method-assign]
    assert fresh.raise_largest(bound, optimum, plenty()) == optimum
    assert asked == [bound, optimum - 1]


def squares_optimum(s: fs.Scenario, largest: int, smallest: int) -> int | None:
    """Stage 3's optimum proven by CP-SAT alone, with stages 1 and 2 at their optima."""
    built = build_model(s)
    objective = built.objective
    assert objective is not None
    built.model.add(objective.largest_deviation() == largest)
    built.model.add(objective.smallest_deviation() == smallest)
    built.model.minimize(objective.sum_of_squares(smallest, largest))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10.0
    solver.parameters.num_workers = 1
    if solver.solve(built.model) != cp_model.OPTIMAL:
        return None
    return round(solver.objective_value)


@SETTINGS
@given(scenarios())
def test_the_squares_bound_never_cuts_off_an_optimum(s: fs.Scenario) -> None:
    """What stages 1 and 2 force on stage 3 is at most its optimum proven by CP-SAT."""
    optima = proven_optima(s)
    if optima is None:
        return
    largest, smallest, _total = optima
    optimum = squares_optimum(s, largest, smallest)
    if optimum is None:
        return
    objective = build_model(s).objective
    assert objective is not None
    assert objective.least_squares(smallest, largest, True, True) <= optimum
    assert objective.least_squares(smallest, largest) <= optimum
