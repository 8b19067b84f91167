"""Large-neighbourhood search over engineers, deterministic for a given seed.

One CP-SAT worker has no large-neighbourhood search of its own, and on teams of more than a
handful of engineers the full model stalls soon after its first schedule: moving one shift
from an overloaded engineer to an underloaded one means changing a few variables among
thousands. Each step here keeps every engineer's shifts fixed except those of a small group
(the most overloaded, the most underloaded and a seeded random few) and lets CP-SAT
reshuffle the group's shifts among themselves, under every hard rule and every earlier
stage's optimum.

The sub-problem minimises the stage's objective, with ties broken towards a balanced group
(total excess over a target for the largest-deviation stage, total shortfall under one for
the smallest), or towards a larger total burden when one heavy shift sets the largest
deviation's bound. A step is kept only if it improves ``(stage value, tie-breaker)`` on the
whole team, so the incumbent never gets worse. Every step has a deterministic work limit,
and the group size adapts to whether steps finish, so the same seed gives the same steps.
Groups start small on small teams (many cheap steps) and at eight engineers on large ones.
Given a patience, the search also stops when it stalls, so that the caller can try to prove
what it has (see :meth:`NeighbourhoodSearch.improve`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model, cp_model_helper

from ..runner import Interrupt, plain_solver, run
from .objective import lower_bound, upper_bound
from .variables import Variables

#: Teams of at most this many engineers are left to the full model...
MIN_TEAM = 5
#: ...and so are larger ones with at most this many choices (engineer and shift pairs the
#: rules allow), about what five engineers have in a year of the default shape: measured on
#: follow-the-sun with 12 engineers in three regions (588 choices), the full model proved
#: stage 1 in 28 s where the search stalled 0.08 days above the bound.
WHOLE_CHOICES = 600
#: The first step's group has one engineer per this many in the team...
TEAM_PER_MEMBER = 8
#: ...but at least this many (and never the whole team)...
MIN_GROUP = 3
#: ...and at most this many.
START_GROUP = 8
#: A group shrinks by two after a step that did not finish (never below two under its first
#: size, nor below :data:`MIN_GROUP`) and grows by two after one that did, up to this many
#: (a step must stay small to be fast).
MAX_GROUP = 48
#: Linearization level of a step.
STEP_LINEARIZATION = 2
#: CP-SAT's deterministic work units per step: at least this much...
STEP_WORK = 0.05
#: ...this much per (shift held in the group x group member)...
STEP_WORK_PER_CHOICE = 0.0005
#: ...and at most this much.
MAX_STEP_WORK = 1.0

#: A flattened linear expression: ``{variable index: coefficient}`` and the constant.
Linear = tuple[dict[int, int], int]

#: ``run(solver, model) -> status``: how a step is solved (the caller handles Ctrl-C).
Runner = Callable[[cp_model.CpSolver, cp_model.CpModel], cp_model.CpSolverStatus]


@dataclass(frozen=True)
class Goal:
    """What the search improves.

    Attributes
    ----------
    expression
        The stage's objective.
    maximize
        Whether the stage maximises ``expression``.
    deviations
        Each engineer's scaled deviation variable (empty for stages without a tie-breaker).
    target
        For the deviation stages: the bound the stage aims at; excess over it (stage 1) or
        shortfall under it (stage 2) breaks ties.
    bound
        The best proven bound on ``expression``; the search stops when it is reached.
    total
        The team's total burden ``T``. If given, a larger total breaks ties instead: a larger
        total raises every fair share, which is what lowers a largest deviation set by one
        heavy shift (stage 1).
    """

    expression: cp_model.LinearExprT
    maximize: bool
    deviations: Sequence[cp_model.IntVar] = ()
    target: int | None = None
    bound: int | None = None
    total: cp_model.IntVar | None = None


@dataclass(frozen=True)
class Outcome:
    """The best solution found, as values of every model variable, and what the search did."""

    values: list[int]
    value: int
    steps: int
    improvements: int
    work: float
    stalled: bool = False


class NeighbourhoodSearch:
    """Improve a solution of ``model`` by re-solving one group of engineers at a time.

    Parameters
    ----------
    model
        The model with its hard rules and earlier stages' constraints (it is copied, never
        changed).
    groups
        Per engineer, the indices of their assignment variables (in team order).
    seed
        Seeds the choice of groups.
    run
        Solves a step. Every step has a deterministic work limit, so the result is the same
        on any machine.
    """

    def __init__(
        self,
        model: cp_model.CpModel,
        groups: Sequence[Sequence[int]],
        *,
        seed: int,
        run: Runner,
    ) -> None:
        self._base = model
        self._groups = [list(g) for g in groups]
        self._rng = random.Random(seed)
        self._run = run

    def improve(
        self,
        goal: Goal,
        values: list[int],
        *,
        seconds: float,
        work: float | None,
        on_improve: Callable[[int], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
        patience: float | None = None,
    ) -> Outcome:
        """Run steps from ``values`` until the bound, the time or the work budget is reached.

        With ``patience``, also stop once the steps since the last improvement have spent as
        much work as all the steps before it, and at least ``patience`` units: the search
        has stalled (:attr:`Outcome.stalled`).
        """
        started = time.perf_counter()
        sign = -1 if goal.maximize else 1
        size = len(self._groups)
        # One copy of the model, whose domains each step narrows in place.
        copy = self._prepare(goal, sign)
        state: dict[int, int] = {}  # index -> -1 free, else fixed
        best = list(values)
        stage = _linear(goal.expression)  # flattened once: keys are computed every step
        best_key = self._key(goal, stage, best, sign)
        group, smallest = _group_sizes(size)
        steps = improvements = 0
        spent = 0.0
        improved_at = 0.0  # the work spent when the incumbent last improved
        stalled = False
        while not stop():
            if goal.bound is not None and best_key[0] <= goal.bound * sign:
                break
            left = seconds - (time.perf_counter() - started)
            if left <= 0.05 or (work is not None and spent >= work):
                break
            if patience is not None and spent - improved_at >= max(patience, improved_at):
                stalled = True
                break
            chosen = self._choose(goal, best, group, self._rng)
            self._restrict(copy, state, chosen, best)
            solver = plain_solver(left, seed=steps)
            params = solver.parameters
            # Harder steps get more work: the group's shifts can go to any of its members.
            held = sum(best[i] for e in chosen for i in self._groups[e])
            step_work = min(
                max(STEP_WORK, STEP_WORK_PER_CHOICE * held * len(chosen)), MAX_STEP_WORK
            )
            params.max_deterministic_time = (
                step_work if work is None else max(min(step_work, work - spent), 0.01)
            )
            params.linearization_level = STEP_LINEARIZATION
            params.cp_model_probing_level = 0
            status = self._run(solver, copy)
            steps += 1
            spent += solver.response_proto.deterministic_time
            if status == cp_model.OPTIMAL:
                group = min(group + 2, MAX_GROUP, size - 1)
            else:
                group = max(group - 2, smallest)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue
            candidate = list(solver.response_proto.solution)[: len(best)]
            key = self._key(goal, stage, candidate, sign)
            if key < best_key:  # the step is kept if it improves
                best_key, best = key, candidate
                improvements += 1
                improved_at = spent
                if on_improve is not None:
                    on_improve(best_key[0] * sign)
        return Outcome(best, best_key[0] * sign, steps, improvements, spent, stalled)

    def _prepare(self, goal: Goal, sign: int) -> cp_model.CpModel:
        """A copy of the model minimising the stage's value, then its tie-breaker."""
        model = self._base.clone()
        model.clear_hints()  # type: ignore[no-untyped-call]
        weight = max(len(self._groups), 1)
        tie = (
            self._tie_breaker(model, goal)
            if goal.total is None
            else -model.get_int_var_from_proto_index(goal.total.index)
        )
        model.minimize(cp_model.LinearExpr.weighted_sum([goal.expression, tie], [sign * weight, 1]))
        return model

    def _restrict(
        self, model: cp_model.CpModel, state: dict[int, int], chosen: set[int], best: list[int]
    ) -> None:
        """Free the chosen engineers' variables, fix everyone else's, hint the incumbent."""
        domains = model.proto.variables
        for engineer, indices in enumerate(self._groups):
            free = engineer in chosen
            for index in indices:
                wanted = -1 if free else best[index]
                if state.get(index) != wanted:  # only touch domains that change
                    domain = domains[index].domain
                    domain[0], domain[1] = (0, 1) if free else (wanted, wanted)
                    state[index] = wanted
        model.clear_hints()  # type: ignore[no-untyped-call]
        hint = model.proto.solution_hint
        hint.vars.extend(range(len(best)))
        hint.values.extend(best)

    # -- helpers ----------------------------------------------------------------------------

    def _tie_breaker(self, model: cp_model.CpModel, goal: Goal) -> cp_model.LinearExprT:
        """Total excess over (stage 1) or shortfall under (stage 2) the target."""
        if goal.target is None or not goal.deviations:
            return 0
        terms = []
        for deviation in goal.deviations:
            low, high = lower_bound(deviation), upper_bound(deviation)
            gap = (high - goal.target) if not goal.maximize else (goal.target - low)
            excess = model.new_int_var(0, max(gap, 0), "")
            if goal.maximize:
                model.add(excess >= goal.target - deviation)
            else:
                model.add(excess >= deviation - goal.target)
            terms.append(excess)
        return sum(terms)

    def _key(self, goal: Goal, stage: Linear, values: list[int], sign: int) -> tuple[int, int]:
        """``(signed stage value, tie-breaker)``: smaller is better."""
        value = _value(stage, values)
        if goal.total is not None:
            return sign * value, -values[goal.total.index]
        if goal.target is None or not goal.deviations:
            return sign * value, 0
        deviations = [values[d.index] for d in goal.deviations]
        if goal.maximize:
            tie = sum(max(0, goal.target - d) for d in deviations)
        else:
            tie = sum(max(0, d - goal.target) for d in deviations)
        return sign * value, tie

    def _choose(
        self, goal: Goal, values: list[int], size: int, rng: random.Random | None = None
    ) -> set[int]:
        """The most overloaded and underloaded engineers, and a random few."""
        rng = self._rng if rng is None else rng
        everyone = list(range(len(self._groups)))
        if not goal.deviations:
            return set(rng.sample(everyone, size))
        ranked = sorted(everyone, key=lambda e: (-values[goal.deviations[e].index], e))
        extremes = max(1, size // 3)
        chosen = set(ranked[:extremes]) | set(ranked[-extremes:])
        rest = [e for e in everyone if e not in chosen]
        chosen |= set(rng.sample(rest, max(0, min(size - len(chosen), len(rest)))))
        return chosen


def search_for(
    model: cp_model.CpModel,
    variables: Variables,
    *,
    seed: int,
    interrupt: Interrupt | None = None,
) -> NeighbourhoodSearch | None:
    """A search over the team's engineers, or ``None`` for a team small enough to solve whole.

    Ctrl-C during a step stops it and sets ``interrupt``.
    """
    from ..spread import forbidden

    handles = variables.handles
    if len(handles) <= MIN_TEAM:
        return None
    calendar = variables.calendar
    choices = sum(
        1 for duty in calendar.duties for h in handles if not forbidden(calendar, h, duty)
    )
    if choices <= WHOLE_CHOICES:
        return None
    groups: dict[str, list[int]] = {h: [] for h in handles}
    for handle, _duty, var in variables.items():
        groups[handle].append(var.index)

    def run_one(solver: cp_model.CpSolver, copy: cp_model.CpModel) -> cp_model.CpSolverStatus:
        return run(solver, copy, interrupt=interrupt)

    return NeighbourhoodSearch(model, [groups[h] for h in handles], seed=seed, run=run_one)


def _group_sizes(team: int) -> tuple[int, int]:
    """The first group size for a team of ``team`` engineers, and the smallest it shrinks to.

    Small groups suit small teams (measured in ``benchmarks/RESULTS.md``: groups of 3 or 4
    took 16 x 104 from 0.43 to -0.05 days in 20 s, but 64 x 104 from 0.81 to 1.21).
    """
    first = min(max(team // TEAM_PER_MEMBER, MIN_GROUP), START_GROUP, team - 1)
    return first, min(max(first - 2, MIN_GROUP), first)


def evaluate(expression: cp_model.LinearExprT, values: list[int]) -> int:
    """Value of a linear expression under a full assignment of the model's variables."""
    return _value(_linear(expression), values)


def _value(linear: Linear, values: list[int]) -> int:
    coefficients, constant = linear
    return constant + sum(c * values[i] for i, c in coefficients.items())


def _linear(expression: cp_model.LinearExprT) -> Linear:
    """``{variable index: coefficient}`` and the constant of a linear expression."""
    if not isinstance(expression, cp_model.LinearExpr):
        return {}, int(expression)
    flat = cp_model_helper.FlatIntExpr(expression)
    coefficients: dict[int, int] = {}
    for var, coefficient in zip(flat.vars, flat.coeffs, strict=True):
        coefficients[var.index] = coefficients.get(var.index, 0) + int(coefficient)
    return coefficients, int(flat.offset)
