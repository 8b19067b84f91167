"""Lattice bounds: valid (never above a proven optimum) and stronger than the LP bound.

A schedule that meets a lattice bound is declared optimal and ends its stage, so a bound that
was too strong would claim a proof that does not exist; the property test below compares the
bounds with optima proven by CP-SAT alone.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
from hypothesis import given
from ortools.sat.python import cp_model

import fairshift as fs
from conftest import EXAMPLE, engineer, scenario, solve
from fairshift.calendar import Role
from fairshift.model.lattice import (
    _IMPOSSIBLE,
    Lattice,
    ShiftClass,
    _heavy_classes,
    _single_shift_floor,
    lattice,
)
from fairshift.model.stages import LatticeBounds
from fairshift.solve import build_model
from test_hypothesis import SETTINGS, scenarios


def proven_optima(s: fs.Scenario) -> tuple[int, int, int] | None:
    """Stage 1 and stage 2 optima proven by CP-SAT alone, and the total burden there."""
    built = build_model(s)
    objective = built.objective
    assert objective is not None
    if not objective.deviation:
        return None
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10.0
    solver.parameters.num_workers = 1
    top = objective.largest_deviation()
    built.model.minimize(top)
    if solver.solve(built.model) != cp_model.OPTIMAL:
        return None
    largest = round(solver.objective_value)
    built.model.add(top <= largest)
    bottom = objective.smallest_deviation()
    built.model.maximize(bottom)
    if solver.solve(built.model) != cp_model.OPTIMAL:
        return None
    return largest, round(solver.objective_value), solver.value(objective.total)


@SETTINGS
@given(scenarios())
def test_lattice_bounds_never_cut_off_an_optimum(s: fs.Scenario) -> None:
    """Stage 1's bound is at most its optimum; stage 2's is at least its optimum.

    The probes split by total burden (:meth:`Lattice.totals_meeting`) must keep the total of
    the optimal schedule among their cases, or they would rule out a schedule that exists.
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
    low, high = objective.deviation_domain()
    assert found.largest_deviation_bound(low, high) <= largest
    assert found.smallest_deviation_bound(low, high, largest) >= smallest
    assert total in found.totals_meeting(largest)
    assert total in found.totals_meeting(largest, smallest)


def test_lattice_bound_sees_what_the_lp_cannot() -> None:
    """Five engineers, two weeks: four shifts of 8, 8, 4 and 4 days against shares of 4.8.

    Someone holds a primary week, so the largest deviation is at least 8 - 4.8 = 3.2 days,
    while the LP relaxation (fractional shifts) would allow 0. The lattice bound is exactly
    3.2, so the solver proves the optimum at once.
    """
    team = tuple(engineer(h) for h in ("ana", "bo", "cy", "di", "ed"))
    s = scenario(team, weeks=2)
    objective = build_model(s).objective
    assert objective is not None
    found = lattice(objective)
    assert found is not None
    low, high = objective.deviation_domain()
    bound = found.largest_deviation_bound(low, high)
    assert Fraction(bound, objective.team_availability * objective.scale) == Fraction(16, 5)
    schedule = solve(s)
    assert schedule.stages[0].status == "OPTIMAL"
    assert schedule.stages[0].value == 3.2
    assert schedule.stages[0].bound == 3.2
    # The bound is what the primary week alone imposes on its holder.
    assert LatticeBounds(objective).set_by_one_shift


def test_a_bound_from_the_totals_is_not_set_by_one_shift() -> None:
    """On the bundled example every engineer can meet their share: no shift sets the bound."""
    objective = build_model(fs.Scenario.from_toml(EXAMPLE)).objective
    assert objective is not None
    assert LatticeBounds(objective).largest == 0
    assert not LatticeBounds(objective).set_by_one_shift


def test_heavy_shifts_need_distinct_holders() -> None:
    """A shift heavier than any share lifts the bound above what the total allows.

    Three engineers with equal availability can each carry 0, 4, 8 or 12 units and the total
    is 12: by totals alone everyone can hold exactly their share (deviation 0). If one shift
    weighs 12, its holder carries 12 against a share of 4: deviation ``3 * 12 - 12 = 24``.
    """
    values = np.array([i * 20 + b for i in range(3) for b in (0, 4, 8, 12)], dtype=np.int64)
    ones = np.ones(3, dtype=np.int64)
    plain = Lattice(values, 20, ones, 0 * ones, 3, 12, 12)
    assert plain.largest_deviation_bound(-100, 100) == 0
    heavy = dataclasses.replace(plain, classes=(ShiftClass(1, 12, ones),))
    assert heavy.largest_deviation_bound(-100, 100) == 24
    # Stage 2 under a largest deviation of 24: the true optimum is -12 (the other two carry
    # nothing); the bound may be weaker, never below it.
    assert -12 <= heavy.smallest_deviation_bound(-100, 100, 24) <= 0


def test_the_total_decides_who_can_hold_a_shift() -> None:
    """A shift weighing 8 for one engineer and 12 for the other sets the total burden.

    With a second shift of 4 for both, the total is 12 (first engineer) or 16 (second): no
    holder is possible for the totals between, and each end has only its own holder.
    """
    holders = {(Role.PRIMARY, 0): {0: 8, 1: 12}, (Role.SECONDARY, 0): {0: 4, 1: 4}}
    share = np.array([1, 1], dtype=np.int64)
    history = np.zeros(2, dtype=np.int64)
    floor = _single_shift_floor(holders, 2, share, history, 12, 16)
    # T = 12: the first engineer holds it (2 * 8 - 12 = 4); T = 16: the second (2 * 12 - 16).
    assert floor[0] == 4
    assert floor[4] == 8
    assert (floor[1:4] == _IMPOSSIBLE).all()
    # Going to the lighter holder lowers the total by 12 - 8 = 4 below the largest: from 13
    # on, the shift must be held at 12.
    twelve = next(c for c in _heavy_classes(holders, 2, 12, 16) if c.weight == 12)
    assert not isinstance(twelve.count, int)
    assert twelve.count.tolist() == [0, 1, 1, 1, 1]
    assert twelve.open.tolist() == [0, 1]


def test_heavy_classes_span_roles() -> None:
    """Heavy shifts of every role count against one cap: a class spans the roles."""
    holders = {(Role.PRIMARY, 0): {0: 10, 1: 10}, (Role.MONTH_END, 0): {0: 10, 1: 10}}
    classes = _heavy_classes(holders, 2, 20, 20)
    across = [c for c in classes if c.weight == 10 and int(np.max(c.count)) == 2]
    assert len(across) == 1
    assert across[0].open.tolist() == [2, 2]
    values = np.array([i * 30 + b for i in range(2) for b in (0, 10, 20)], dtype=np.int64)
    ones = np.ones(2, dtype=np.int64)
    plain = Lattice(values, 30, ones, 0 * ones, 2, 20, 20)
    # Each engineer holds one shift (deviation 2 * 10 - 20 = 0): the bound is that optimum.
    assert dataclasses.replace(plain, classes=classes).largest_deviation_bound(-50, 50) == 0
