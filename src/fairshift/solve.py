"""Solve a scenario: build the CP-SAT model, run the lexicographic stages, read the schedule.

The stages (:mod:`fairshift.model.stages`) run in order. Each is solved to proven
optimality when time allows; its optimum is then fixed as a constraint and the solution is
handed to the next stage as a hint. A stage stops as soon as it is proven: by CP-SAT, or by
a schedule meeting a bound proven outside CP-SAT (the lattice bound of the deviation stages,
the apportionment bound of the spread categories). On teams of more than
:data:`~fairshift.model.neighbourhood.MIN_TEAM` engineers with more than
:data:`~fairshift.model.neighbourhood.WHOLE_CHOICES` choices, the full model runs for a short
share of each stage and a neighbourhood search (:mod:`fairshift.model.neighbourhood`) uses
the rest.

Teams solved whole first ask whether a schedule meets the known bound (a *probe*), split by
total burden where the lattice allows (:class:`~fairshift.model.stages.Split`): with the
total fixed, every engineer's burden is fixed, which CP-SAT decides in a fraction of the
time. Their best-effort stages search within the incumbent's total burden, then the whole
model from there for a bound that holds for every schedule.

Time. ``time_limit`` is wall-clock time for the whole call, building the model included;
every solve is cut to what is left of one :class:`~fairshift.runner.Deadline`. With one
worker the search is deterministic for a given seed, as long as every stage finishes before
its share of the time runs out; a work limit makes even a solve cut short reproducible.
``workers=N`` runs N such solves side by side and keeps the best (:mod:`fairshift.portfolio`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from . import portfolio
from .errors import InfeasibleError, NoSolutionFoundError
from .model.build import BuiltModel, build_model
from .model.classbound import Budget
from .model.neighbourhood import (
    MIN_TEAM,
    Goal,
    NeighbourhoodSearch,
    Outcome,
    evaluate,
    search_for,
)
from .model.stages import (
    BEST_EFFORT_WORK,
    SMALL_TEAM_BEST_EFFORT_WORK,
    LatticeBounds,
    StageGoal,
    StageSpec,
    fairness_stages,
    tighter_bound,
)
from .model.warmstart import greedy_hint
from .roster import _ordered
from .runner import (
    LARGE_MODEL,
    MAX_SEED,
    Deadline,
    Interrupt,
    SolverOptions,
    run,
    solver_like,
)
from .scenario import Scenario
from .schedule import Assignment, Schedule, Stage, Status

__all__ = [
    "LARGE_MODEL",
    "BuiltModel",
    "ExtraStage",
    "Progress",
    "SolverOptions",
    "build_model",
    "optimise",
    "solve",
]

#: ``progress(stage, value, bound, elapsed_seconds)``, called on every improving solution.
Progress = Callable[[str, float, float, float], None]


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution, and stops the search once a known bound is met.

    CP-SAT cannot see the lattice or apportionment bounds (as cuts they would only steer the
    search), so a schedule that meets one would otherwise be followed by a proof CP-SAT
    cannot finish.
    """

    def __init__(
        self,
        stage: str,
        scale: Callable[[float], float],
        progress: Progress | None,
        known: int | None,
        maximize: bool,
    ) -> None:
        super().__init__()
        self._stage, self._scale, self._progress = stage, scale, progress
        self._known, self._maximize = known, maximize
        self._start = time.perf_counter()

    def on_solution_callback(self) -> None:
        value = self.objective_value
        if self._progress is not None:
            self._progress(
                self._stage,
                self._scale(value),
                self._scale(self.best_objective_bound),
                time.perf_counter() - self._start,
            )
        if self._known is not None:
            met = value >= self._known - 1e-6 if self._maximize else value <= self._known + 1e-6
            if met:
                self.stop_search()


class _Settled:
    """A finished solver's results, with a bound proved by another search."""

    def __init__(self, solver: cp_model.CpSolver | _Settled, bound: float) -> None:
        self.response_proto: cp_model.CpSolverResponse = solver.response_proto
        self.objective_value: float = solver.objective_value
        self.best_objective_bound: float = bound


def _hint_everything(
    model: cp_model.CpModel, decisions: dict[int, int], seconds: float
) -> list[int] | None:
    """Hint every variable, not only the decisions, so CP-SAT can take the hint as it is.

    With only the assignment hinted, a large model spends its first minute re-deriving
    burdens and deviations under the LP; fixing the decisions in a copy and reading the rest
    off costs a fraction of a second. A hint that breaks a rule is passed on as it is.

    Returns the completed values of every variable, or ``None`` if the decisions break a rule
    (or ``seconds`` run out first).
    """
    hint = model.proto.solution_hint
    if seconds > 0.05:
        copy = model.clone()
        for index, value in decisions.items():
            copy.add(copy.get_int_var_from_proto_index(index) == value)
        solver = SolverOptions().solver(min(seconds, 10.0))
        if run(solver, copy) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            completed = list(solver.response_proto.solution)[: len(model.proto.variables)]
            _hint_all(model, completed)
            return completed
    hint.vars.extend(list(decisions))
    hint.values.extend(list(decisions.values()))
    return None


#: With a neighbourhood search to follow, the full model gets this share of a stage's time.
_FULL_MODEL_SHARE = 0.15
#: Share of the time left that preparing a stage's hint may take.
_HINT_SHARE = 0.25


#: A probe for a schedule that meets a stage's known bound gets this share of the stage...
_PROBE_SHARE = 0.5
#: ...(a ladder of probes, this share)...
_LADDER_SHARE = 0.5
#: ...and at most this much deterministic work...
_PROBE_WORK = 8.0
#: ...in attempts of at most this much each.
_ATTEMPT_WORK = 0.5
#: A probe split into cases (:class:`~fairshift.model.stages.Split`) gives each case this
#: much work in its first round, and twice as much in each round after.
_CASE_WORK = 0.1


def _meets(values: list[int] | None, goal: StageGoal, spec: StageSpec) -> bool:
    """Whether ``values`` already reach the stage's known bound."""
    if values is None or goal.known is None:
        return False
    value = evaluate(goal.expression, values)
    return value >= goal.known if spec.maximize else value <= goal.known


def _ladder(
    state: _Run, goal: StageGoal, maximize: bool, seconds: float, work: float
) -> tuple[list[int] | None, int | None, float]:
    """Probe the known bound, and climb to the next possible value while none meets it.

    Each probe asks for a schedule that meets a value, without the objective. Measured on
    the bundled example and on 4 engineers x 52 weeks, this feasibility question is often
    answered in a fraction of a second where the optimisation takes many seconds (or stalls
    just above the bound). A probe that proves no schedule meets its value proves the next
    possible value (:attr:`StageGoal.next_value`) a bound, and the ladder climbs to it; each
    probe gets half of what is left. A probe with a :attr:`StageGoal.split` asks case by case
    (:func:`_probe_cases`). A bound with neither is probed again and again, each time with
    another seed and at most :data:`_ATTEMPT_WORK` units: measured on 4 x 52, the same
    question took 0.95 to 9 units depending on the seed. Returns the schedule found (proven
    optimal), the best proven bound, and the deterministic work spent.
    """
    known = goal.known
    started = time.perf_counter()
    spent = 0.0
    attempt = 0  # probes of the same value restart with another seed and a fresh budget
    while known is not None and not state.interrupt:
        seconds_left = seconds - (time.perf_counter() - started)
        work_left = work - spent
        if seconds_left <= 0.01 or work_left <= 0.001:
            break
        climbing = goal.next_value is not None
        if climbing:
            budget = (seconds_left * 0.5, work_left * 0.5)
        elif goal.split is not None:  # the cases take their own rounds
            budget = (seconds_left, work_left)
        else:  # the work limit cuts an attempt; the clock only guards the stage's share
            budget = (seconds_left, min(work_left, _ATTEMPT_WORK))
        if goal.split is not None:
            found, none, used = _probe_cases(
                state, goal, known, maximize, *budget, single_shot=True
            )
        else:
            found, none, used = _probe(state, goal, known, maximize, *budget, attempt)
        spent += used
        if found is not None:
            return found, known, spent
        if not none:
            if climbing or goal.split is not None:
                break
            attempt += 1  # heavy-tailed: a short run with another seed often decides it
            continue
        if goal.next_value is None:
            # No schedule meets the bound: the next integer is a proven bound.
            return None, known - 1 if maximize else known + 1, spent
        climbed = goal.next_value(known)
        if climbed is None:
            break  # nothing above: the incumbent is optimal, which the search will prove
        known = climbed
    return None, known, spent


def _probe_cases(
    state: _Run,
    goal: StageGoal,
    value: int,
    maximize: bool,
    seconds: float,
    work: float,
    incumbent: list[int] | None = None,
    single_shot: bool = False,
) -> tuple[list[int] | None, bool, float]:
    """Look for a schedule that meets ``value``, one case of ``goal.split`` at a time.

    Each round probes every case not yet ruled out, with :data:`_CASE_WORK` units in the
    first round and twice as much in each round after (and another seed). With
    ``single_shot``, a single case gets all the work at once. The case of
    ``incumbent`` (default: the latest stage's schedule) goes first. Returns the schedule
    found (or ``None``), whether none exists (every case ruled out), and the work spent.
    """
    assert goal.split is not None
    pending = goal.split.cases(value)
    incumbent = state.values if incumbent is None else incumbent
    if incumbent is not None:
        # The incumbent's case first: it holds a schedule that keeps every earlier stage.
        held = evaluate(goal.split.by, incumbent)
        if held in pending:
            pending.remove(held)
            pending.insert(0, held)
    started = time.perf_counter()
    # Rounds share the work between cases, and restart with another seed. A single case
    # probed with ``single_shot`` gets all the work at once: measured, follow-the-sun's
    # stage-1 bound needs one search of about 5 units, which rounds of 0.1 to 1.6 never
    # reached. The halving's probes keep the rounds: with single searches, 8 x 52 stayed
    # unproven in 2 runs of 2 (one search of 12 units undecided), where rounds prove its
    # stage 1 in 17 s; 16 x 52 went the other way in one run (proven in 21.7 s, against
    # unproven with rounds in most runs).
    single = single_shot and len(pending) == 1
    spent, budget, attempt = 0.0, math.inf if single else _CASE_WORK, 0
    while pending and not state.interrupt:
        for case in list(pending):
            seconds_left = seconds - (time.perf_counter() - started)
            work_left = work - spent
            if seconds_left <= 0.01 or work_left <= 0.001 or state.interrupt:
                return None, False, spent
            found, none, used = _probe(
                state, goal, value, maximize, seconds_left, min(work_left, budget), attempt, case
            )
            spent += used
            if found is not None:
                return found, False, spent
            if none:
                pending.remove(case)
        budget *= 2
        attempt += 1
    return None, not pending, spent


def _probe(
    state: _Run,
    goal: StageGoal,
    value: int,
    maximize: bool,
    seconds: float,
    work: float,
    attempt: int = 0,
    case: int | None = None,
) -> tuple[list[int] | None, bool, float]:
    """Look for a schedule that meets ``value``, without the objective.

    ``case`` fixes the value of ``goal.split.by``. Returns the schedule found (or ``None``),
    whether none exists, and the work spent.
    """
    model = state.built.model
    conditions: list[Condition] = [
        goal.expression >= value if maximize else goal.expression <= value
    ]
    if case is not None:
        assert goal.split is not None
        conditions.append(goal.split.by == case)
    # One worker: measured on the example, the portfolio of two took 1.3 s where one took 0.1 s.
    solver = state.options.solver(seconds, work, large=state.large)
    solver.parameters.random_seed = (state.options.seed + attempt) % (MAX_SEED + 1)
    with _only_while(model, conditions):
        model.clear_objective()  # type: ignore[no-untyped-call]
        try:
            status = run(solver, model, interrupt=state.interrupt)
        finally:
            if maximize:
                model.maximize(goal.expression)
            else:
                model.minimize(goal.expression)
    if state.progress is not None and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        elapsed = solver.response_proto.wall_time
        found = goal.to_report(evaluate(goal.expression, list(solver.response_proto.solution)))
        state.progress("probe", found, goal.to_report(value), elapsed)
    spent = solver.response_proto.deterministic_time
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return list(solver.response_proto.solution), False, spent
    return None, status == cp_model.INFEASIBLE, spent


#: A deviation stage with a :class:`~fairshift.model.stages.Split` keeps this share of its
#: time (and work) for :func:`_halve`, after its first schedule. Measured at a 60 s limit,
#: stages 1 and 2 are then proven on 4, 8 and 16 engineers x 52 weeks (ending 0.02 to 0.04
#: days above their bounds before); 32 x 52 ends 0.03 days worse.
_HALVING_SHARE = 0.5
#: A stage keeps its share for :func:`_halve` only with at least this many seconds (or units
#: of work, under a work limit). At a 10 s limit (5 to 5.7 s for stage 1) the probes were
#: undecided in the time they had, and the optimisation or the search alone did better:
#: 16 x 52 ended at -0.224 days against -0.048, and 4 x 104 lost its proof. At a 60 s
#: limit stage 2 gets about 8 s.
_HALVING_MIN = 7.0
#: :func:`_halve` probes a third of the way from the bound to the best schedule: probes that
#: no schedule meets are decided faster than those that find one.
_PARTS = 3


def _halve(
    state: _Run,
    goal: StageGoal,
    maximize: bool,
    values: list[int],
    proven: int,
    seconds: float,
    work: float,
) -> tuple[list[int], int, float, bool]:
    """Close the gap between the best schedule and the proven bound with probes.

    Each probe asks for a schedule strictly better than the best one so far (case by case,
    :func:`_probe_cases`), at the value a third of the way from the bound (:func:`_between`;
    once the two are one apart, that is the value just better than the best). A probe that
    finds a schedule makes it the best; one that proves none exists moves the bound past its
    value; one left undecided is followed by an easier one, halfway back to the best
    schedule. If the first probe is undecided, the probes stop there: they are unlikely to
    pay on this stage. Measured on 4 engineers x 52 weeks, probes that no
    schedule meets are decided in 0.5 to 0.9 units and those that find one in 1 to 5, where
    CP-SAT's optimisation ended 0.035 days above its bound after a minute.

    Returns the best schedule, the proven bound, the work spent and whether any probe was
    decided.
    """
    sign = -1 if maximize else 1
    value = evaluate(goal.expression, values)
    started = time.perf_counter()
    spent = 0.0
    decided = False
    target = _between(proven, value, maximize)
    while sign * target >= sign * proven and not state.interrupt:
        seconds_left = seconds - (time.perf_counter() - started)
        work_left = work - spent
        if seconds_left <= 0.05 or work_left <= 0.01:
            break
        # Half of what is left, so that an undecided probe leaves room for an easier one.
        found, none, used = _probe_cases(
            state, goal, target, maximize, seconds_left / 2, work_left / 2, values
        )
        spent += used
        if found is not None:
            values, value = found, evaluate(goal.expression, found)
            target = _between(proven, value, maximize)
        elif none:
            proven = target + sign
            target = _between(proven, value, maximize)
        elif not decided or target == value - sign:
            break  # the first question, or even the easiest one, is undecided
        else:
            target = _between(target + sign, value, maximize, 2)
        decided = True
    return values, proven, spent, decided


def _between(bound: int, value: int, maximize: bool, parts: int = _PARTS) -> int:
    """A target between ``bound`` and just better than ``value``: ``1/parts`` of the way.

    Examples
    --------
    >>> _between(10, 20, maximize=False), _between(10, 20, maximize=False, parts=2)
    (13, 14)
    >>> _between(20, 10, maximize=True), _between(20, 10, maximize=True, parts=2)
    (17, 16)
    >>> _between(10, 11, maximize=False), _between(11, 10, maximize=True)
    (10, 11)
    """
    if maximize:
        return bound - (bound - value - 1) // parts
    return bound + (value - 1 - bound) // parts


#: The share of a stage searched within one case that the whole model gets afterwards.
_WHOLE_SHARE = 0.25


def _within_case(
    state: _Run,
    solver: cp_model.CpSolver,
    callback: _Reporter | None,
    goal: StageGoal,
    spec: StageSpec,
    case: int,
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver | _Settled, bool]:
    """Search the schedules of one case of ``goal.split``, then the whole model from there.

    The whole model gets the last :data:`_WHOLE_SHARE` of the budget, starting from the
    case's best schedule: its bound holds for every schedule, where the case's holds for the
    case only. Returns the status, the solver to read the best schedule from, and whether its
    bound holds for every schedule.
    """
    assert goal.split is not None
    model, known = state.built.model, goal.known
    params = solver.parameters
    started = time.perf_counter()
    seconds, work = params.max_time_in_seconds, params.max_deterministic_time
    inner = solver_like(solver, params.random_seed)
    inner.parameters.max_time_in_seconds = max(seconds * (1 - _WHOLE_SHARE), 0.01)
    inner.parameters.max_deterministic_time = max(work * (1 - _WHOLE_SHARE), 0.001)
    # Within one case CP-SAT's default search does better than restarts: month-end excess 0
    # on seeds 0 to 5 of the example, against 1 or 2 with restarts.
    inner.parameters.search_branching = cp_model.AUTOMATIC_SEARCH
    with _only_while(model, [goal.split.by == case]) as switch:
        status = run(inner, model, callback=callback, interrupt=state.interrupt)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or state.interrupt:
        return status, inner, False
    value = inner.objective_value
    if known is not None and (value >= known if spec.maximize else value <= known):
        return status, inner, True  # meets a bound that holds for every schedule
    values = list(inner.response_proto.solution)
    values[switch.index] = 0  # the case is off again: the hint keeps the model's domains
    model.clear_hints()  # type: ignore[no-untyped-call]
    _hint_all(model, values)
    params.max_time_in_seconds = max(seconds - (time.perf_counter() - started), 0.01)
    params.max_deterministic_time = max(work - inner.response_proto.deterministic_time, 0.001)
    whole = run(solver, model, callback=callback, interrupt=state.interrupt)
    if whole not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, inner, False
    sign = -1 if spec.maximize else 1
    if sign * solver.objective_value <= sign * value:
        return whole, solver, True
    return cp_model.FEASIBLE, _Settled(inner, solver.best_objective_bound), True


#: What ``model.add`` takes: a comparison of linear expressions.
Condition = cp_model.BoundedLinearExpression | bool | np.bool_


@contextlib.contextmanager
def _only_while(model: cp_model.CpModel, conditions: list[Condition]) -> Iterator[cp_model.IntVar]:
    """Within the block, ``model`` keeps ``conditions``; afterwards they are off for good.

    The conditions are enforced by a new switch variable, fixed to 1 inside the block and to
    0 after it (yielded, for callers that read a solution found inside).
    """
    switch = model.new_bool_var("while")
    for condition in conditions:
        model.add(condition).only_enforce_if(switch)
    domain = switch.proto.domain
    domain[0], domain[1] = 1, 1
    try:
        yield switch
    finally:
        domain[0], domain[1] = 0, 0


def _hint_all(model: cp_model.CpModel, values: list[int]) -> None:
    """Hint every variable of ``model`` with ``values`` (one per variable, in order)."""
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def _best_bound(solver_bound: float, known: int | None, maximize: bool) -> int:
    """The tighter of CP-SAT's bound and a known one, rounded inwards (values are integers)."""
    if maximize:
        rounded = math.floor(solver_bound + 1e-6)
        return rounded if known is None else min(rounded, known)
    rounded = math.ceil(solver_bound - 1e-6)
    return rounded if known is None else max(rounded, known)


def solve(
    scenario: Scenario,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    log: bool = False,
    progress: Progress | None = None,
    work_limit: float | None = None,
    deadline: Deadline | None = None,
) -> Schedule:
    """Plan a provably fair rotation.

    Parameters
    ----------
    scenario
        Team, leave, rules and weights.
    time_limit
        Wall-clock seconds for the whole call, building the model included.
    seed
        Random seed, 0 to 2**31 - 1 (same scenario and seed, same schedule).
    workers
        Whole solves side by side, one per core, each with one CP-SAT worker: this seed's,
        and N - 1 with seeds of their own. The lexicographically best schedule is kept
        (this seed's among equals), and its ``seed`` says which solve found it. Under
        ``work_limit`` the result is reproducible; see :mod:`fairshift.portfolio`.
    log
        Print CP-SAT's search log.
    progress
        Called as ``progress(stage, value, bound, elapsed)`` on every improving solution.
    work_limit
        Optional deterministic work budget (see :class:`~fairshift.runner.SolverOptions`).
    deadline
        An earlier end than ``time_limit`` allows (e.g. the command line's, which keeps time
        back for writing the outputs).

    Returns
    -------
    Schedule
        Status ``OPTIMAL`` when every stage was proven, ``FEASIBLE`` when a time limit cut a
        proof short (each stage's gap says how far from proven).

    Raises
    ------
    InfeasibleError
        No schedule satisfies the hard rules; ``.explanation`` names the conflicting facts.
    NoSolutionFoundError
        The time limit ran out before any schedule was found.
    ValueError
        For a time limit, seed, worker count or work limit out of range.
    """
    started = time.perf_counter()
    options = SolverOptions(time_limit, seed, workers, log, work_limit)
    end = Deadline.after(time_limit, start=started)
    if deadline is not None and deadline.at < end.at:
        end = deadline
    built = build_model(scenario, deadline=end)
    assert built.objective is not None
    hint = greedy_hint(built.objective)
    return optimise(built, options, progress=progress, hint=hint, deadline=end, started=started)


#: A final stage added by a caller: ``(name, description, expression)``, minimised last.
ExtraStage = tuple[str, str, Callable[[], cp_model.LinearExprT]]


def _extra(name: str, description: str, make: Callable[[], cp_model.LinearExprT]) -> StageSpec:
    return StageSpec(
        name, description, False, 1.0, lambda _raw, _exact: StageGoal(make(), None, float)
    )


@dataclass
class _Run:
    """What the stage loop carries from one stage to the next."""

    built: BuiltModel
    options: SolverOptions
    deadline: Deadline
    progress: Progress | None
    interrupt: Interrupt
    search: NeighbourhoodSearch | None
    bounds: LatticeBounds
    large: bool
    solution: dict[int, int] | None = None  # decision variables of the best schedule so far
    values: list[int] | None = None  # every model variable, from the latest stage


def optimise(
    built: BuiltModel,
    options: SolverOptions,
    *,
    progress: Progress | None = None,
    extra_stages: tuple[ExtraStage, ...] = (),
    hint: dict[tuple[str, int], int] | None = None,
    deadline: Deadline | None = None,
    started: float | None = None,
) -> Schedule:
    """Run the lexicographic stages on a built model (which callers may have constrained).

    Parameters
    ----------
    built
        From :func:`build_model`; extra constraints (e.g. frozen weeks) may already be added.
    options
        Solver settings.
    progress
        Progress callback.
    extra_stages
        Stages minimised after the fairness stages, e.g. the number of changed assignments
        when re-planning.
    hint
        Initial values ``{(handle, duty position): 0 or 1}`` for the first stage.
    deadline
        When everything must be done (default: ``options.time_limit`` from now).
    started
        The :func:`time.perf_counter` reading the reported solve time counts from.
    """
    started = time.perf_counter() if started is None else started
    end = deadline or Deadline.after(options.time_limit)
    objective = built.objective
    assert objective is not None
    bounds = LatticeBounds(objective)
    specs = [*fairness_stages(objective, bounds), *(_extra(*extra) for extra in extra_stages)]

    def alone(seed: int, first: bool) -> Schedule:
        """One whole one-worker solve (the caller's progress and log in the first only)."""
        one = dataclasses.replace(options, seed=seed, workers=1, log=options.log and first)
        interrupt = Interrupt()
        search = search_for(built.model, built.vars, seed=seed, interrupt=interrupt)
        large = len(built.vars.all()) > LARGE_MODEL
        shown = progress if first else None
        state = _Run(built, one, end, shown, interrupt, search, bounds, large)
        if hint is not None:
            state.solution = {
                var.index: hint.get((handle, duty.position), 0)
                for handle, duty, var in built.vars.items()
            }
        with interrupt.catching():
            return _optimise(state, specs, started)

    if options.workers == 1:
        return alone(options.seed, True)
    maximize = [spec.maximize for spec in specs]
    scenario = built.calendar.scenario
    best = portfolio.race(alone, options.seed, options.workers, maximize, end, scenario)
    return dataclasses.replace(best, seconds=time.perf_counter() - started)


def _optimise(state: _Run, specs: list[StageSpec], started: float) -> Schedule:
    """The stage loop of :func:`optimise` (Ctrl-C already caught)."""
    built, options, deadline = state.built, state.options, state.deadline
    interrupt = state.interrupt
    scenario = built.calendar.scenario
    total_work = sum(spec.share for spec in specs)
    stages: list[Stage] = []
    raw: dict[str, int] = {}  # each finished stage's value in the model's integer units
    exact: set[str] = set()  # the stages proven optimal: every later schedule has their value
    # Each finished stage, with the earlier stages' values its goal was built from.
    evaluated: list[tuple[int, StageSpec, StageGoal, dict[str, int]]] = []
    small_team = len(state.built.calendar.scenario.engineers) <= MIN_TEAM
    best_effort = SMALL_TEAM_BEST_EFFORT_WORK if small_team else BEST_EFFORT_WORK
    for i, spec in enumerate(specs):
        if state.values is not None and (deadline.expired(0.05) or interrupt):
            stages.append(
                Stage(spec.name, spec.description, "SKIPPED", None, None, 0.0, unit=spec.unit)
            )
            continue
        share = spec.share / sum(s.share for s in specs[i:])
        work = None
        if options.work_limit is not None:
            work = options.work_limit * spec.share / total_work
        if spec.best_effort:
            # A small budget that grows with time limits of more than a minute.
            cap = best_effort * max(1.0, options.time_limit / 60)
            work = cap if work is None else min(work, cap)
        stage, goal = _run_stage(state, spec, raw, exact, share, work)
        stages.append(stage)
        if stage.status in ("UNKNOWN", "SKIPPED"):
            continue
        assert state.values is not None
        evaluated.append((len(stages) - 1, spec, goal, dict(raw)))
        # Fix this stage's optimum before the next one (integral, so no rounding slack).
        value = evaluate(goal.expression, state.values)
        raw[spec.name] = value
        if stage.status == "OPTIMAL":
            exact.add(spec.name)
        if spec.maximize:
            built.model.add(goal.expression >= value)
        else:
            built.model.add(goal.expression <= value)
        _reread(state, stages, evaluated, raw, exact)

    if state.values is None or state.solution is None or not evaluated:
        raise NoSolutionFoundError(
            f"no schedule found within {options.time_limit:g} s (none was proven impossible "
            "either); raise the time limit"
        )
    assignments = [
        Assignment(duty.id, duty.seat, duty.start, duty.end, handle, duty.shift)
        for handle, duty, var in built.vars.items()
        if state.solution[var.index]
    ]
    proven = all(stage.status == "OPTIMAL" for stage in stages)
    return Schedule(
        scenario,
        tuple(_ordered(assignments, scenario)),
        Status.OPTIMAL if proven else Status.FEASIBLE,
        tuple(stages),
        time.perf_counter() - started,
        options.seed,
        interrupted=bool(interrupt),
    )


def _reread(
    state: _Run,
    stages: list[Stage],
    evaluated: list[tuple[int, StageSpec, StageGoal, dict[str, int]]],
    raw: dict[str, int],
    exact: set[str],
) -> None:
    """Read every finished stage's value again on the latest schedule.

    A stage stopped by the time limit may still be improved by later stages (each only fixes
    an upper bound). A better value is fixed for the stages still to come. One that reaches
    its stage's proven bound (``goal.known`` once the stage is done) is optimal: the later
    stages kept it, and their bounds hold under the looser value they were given, so they
    hold at the optimum too.

    A stage whose goal was built from earlier values that have since improved and been
    proven gets its bound again from those values (the class-count bound spends
    :func:`_reread_budget` on it), which may prove it too.
    """
    assert state.values is not None
    model = state.built.model
    for position, (i, spec, goal, basis) in enumerate(evaluated):
        if isinstance(goal.expression, int) or spec.name in exact:
            continue
        reached = evaluate(goal.expression, state.values)
        known = goal.known
        if goal.rebound is not None:
            # Earlier stages proven just now (in this loop) may tighten this stage's bound.
            known = goal.rebound(raw, frozenset(exact))
        elif (
            goal.tighten is not None
            and basis
            and basis.keys() <= exact
            and any(raw[name] != value for name, value in basis.items())
        ):
            # Built from earlier values that were improved (and proven) since.
            # The old bound still holds (tighter earlier values only lower the optimum).
            rebuilt = spec.build(raw, frozenset(exact))
            known = tighter_bound(goal.known, rebuilt.known, spec.maximize)
            if known is not None:
                known, _ = _tighten(state, rebuilt, reached, known, _reread_budget(state), None)
            basis = {name: raw[name] for name in basis}
        known = tighter_bound(goal.known, known, spec.maximize)
        if known is not None and known != goal.known:
            goal = dataclasses.replace(goal, known=known)
            stages[i] = dataclasses.replace(stages[i], bound=goal.to_report(known))
        evaluated[position] = (i, spec, goal, basis)
        final = goal.to_report(reached)
        if reached == goal.known:
            stages[i] = dataclasses.replace(stages[i], value=final, bound=final, status="OPTIMAL")
            exact.add(spec.name)
        else:
            stages[i] = dataclasses.replace(stages[i], value=final)
        if reached != raw[spec.name]:
            raw[spec.name] = reached
            model.add(goal.expression >= reached if spec.maximize else goal.expression <= reached)


def _run_stage(
    state: _Run,
    spec: StageSpec,
    raw: dict[str, int],
    exact: set[str],
    share: float,
    work: float | None,
) -> tuple[Stage, StageGoal]:
    """Solve one stage: the full model first, then (large teams) the neighbourhood search.

    Raises
    ------
    InfeasibleError
        When the first stage proves that no schedule keeps the hard rules.
    NoSolutionFoundError
        When the first stage finds nothing in the time left.
    """
    built, options, deadline = state.built, state.options, state.deadline
    model = built.model
    stage_start = time.perf_counter()
    goal = spec.build(raw, frozenset(exact))
    model.clear_hints()  # type: ignore[no-untyped-call]
    completed = None
    if state.solution is not None:
        completed = _hint_everything(model, state.solution, deadline.left() * _HINT_SHARE)
    if spec.maximize:
        model.maximize(goal.expression)
    else:
        model.minimize(goal.expression)
    # Each stage gets its share of what is left (after the preparation above, which takes
    # seconds on large teams); time a stage does not use rolls over.
    stage_seconds = deadline.left() * share
    tightening = _tighten_budget(state, stage_seconds, work)
    tightened = 0.0  # seconds the tightening before the search took
    if completed is not None and goal.known is not None and not _meets(completed, goal, spec):
        # The previous stage's schedule (or the first stage's hint) caps the optimum: the
        # known bound can be raised towards it before the search. Its time and work come
        # out of the stage's.
        begun = time.perf_counter()
        start = evaluate(goal.expression, completed)
        tighter, work = _tighten(state, goal, start, goal.known, tightening, work)
        goal = dataclasses.replace(goal, known=tighter)
        tightened = time.perf_counter() - begun
    search = state.search
    # A deviation stage split by total keeps a share for halving the gap by probes.
    # (A stage of a few seconds is better spent without it: see _HALVING_MIN.)
    halving = (
        not spec.best_effort
        and goal.split is not None
        and not state.large
        and (stage_seconds if work is None else work) >= _HALVING_MIN
    )
    keep = _HALVING_SHARE if halving else 0.0
    # With a neighbourhood search to follow, the full model only needs a first schedule
    # and whatever it proves early; the search gets the rest.
    first = _FULL_MODEL_SHARE if search is not None else 1.0
    # Solved whole, the optimisation leaves the halving its share of what the probe of the
    # known bound (below) leaves.
    race = 1.0 - keep if search is None else 1.0
    solver = options.solver(
        max(stage_seconds * first * race - tightened, 0.01),
        None if work is None else work * first * race,
        large=state.large,
    )
    callback = (
        _Reporter(spec.name, goal.to_report, state.progress, goal.known, spec.maximize)
        if state.progress is not None or goal.known is not None
        else None
    )
    if spec.best_effort:
        # Measured on the example's spread categories: restarts get out of the previous
        # stage's schedule, where the default search stays (weekend days 7 instead of 10).
        solver.parameters.search_branching = cp_model.PORTFOLIO_WITH_QUICK_RESTART_SEARCH
    # A completed hint keeps every rule and every earlier stage's optimum: a valid schedule
    # to fall back on, and where the neighbourhood search can start.
    fallback = completed
    met = _meets(fallback, goal, spec)  # the previous stage's schedule meets the known bound
    known = goal.known
    probed = None
    # Probes pay on teams solved whole, and in stage 4 everywhere; on teams the
    # neighbourhood search handles, the lattice bound was never met within a probe
    # (8 to 32 engineers x 52 weeks), and the full model's short share is better spent on
    # the search's starting point.
    probing = (spec.best_effort or search is None) and goal.probe
    # A best-effort stage on a team solved whole searches among the schedules that share
    # the incumbent's case of ``goal.split`` (its total burden). Measured on the bundled
    # example (seeds 0, 1 and 3), 0.2 units of work found month-end excess 0 that way every
    # time, where the whole model found it in none: with the total fixed, every
    # engineer's burden is fixed too, which CP-SAT propagates far better.
    case, whole_bound = None, False
    if (
        spec.best_effort
        and search is None
        and goal.split is not None
        and known is not None
        and fallback is not None
        and not met
    ):
        case = evaluate(goal.split.by, fallback)
        probing = False
    if known is not None and probing and not state.large and not met:
        share_of_stage = _LADDER_SHARE if goal.next_value is not None else _PROBE_SHARE
        ladder_work = _PROBE_WORK if work is None else work * first * share_of_stage
        probed, known, spent = _ladder(
            state, goal, spec.maximize, stage_seconds * first * share_of_stage, ladder_work
        )
        remaining = stage_seconds * first - (time.perf_counter() - stage_start)
        options.configure(
            solver,
            max(remaining * race, 0.01),
            None if work is None else max((work * first - spent) * race, 0.001),
            large=state.large,
        )
        if known is not None and callback is not None:
            callback = _Reporter(spec.name, goal.to_report, state.progress, known, spec.maximize)
    result: cp_model.CpSolver | _Settled = solver
    if probed is not None:
        status = cp_model.FEASIBLE
    elif met:
        status = cp_model.UNKNOWN  # the previous stage's schedule already meets the bound
    elif case is not None:
        status, result, whole_bound = _within_case(state, solver, callback, goal, spec, case)
    else:
        status = run(solver, model, callback=callback, interrupt=state.interrupt)
    if (
        status == cp_model.UNKNOWN
        and fallback is None
        and state.values is None
        and not state.interrupt
        and not deadline.expired(0.05)
    ):
        # Nothing found within the first stage's share: it may use all the time left, but
        # with a search to follow, only until the first schedule.
        options.configure(solver, deadline.left(), options.work_limit, large=state.large)
        solver.parameters.stop_after_first_solution = search is not None
        status = run(solver, model, callback=callback, interrupt=state.interrupt)
        result = solver
    if status == cp_model.INFEASIBLE and state.values is None:
        from .diagnose import explain_infeasible

        raise InfeasibleError(
            explain_infeasible(built.calendar.scenario, time_limit=deadline.left())
        )
    if state.interrupt and fallback is None and status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise KeyboardInterrupt
    if probed is not None:
        values = probed
        value = evaluate(goal.expression, probed)
        bound: int | None = known
        proven = True
    elif status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = list(result.response_proto.solution)
        value = round(result.objective_value)
        if case is None or whole_bound:
            bound = _best_bound(result.best_objective_bound, known, spec.maximize)
            proven = status == cp_model.OPTIMAL or value == bound
        else:  # CP-SAT's bound holds within the case only
            bound, proven = known, value == known
    elif fallback is not None:
        # The full model found nothing in its share, but the previous stage's schedule
        # (completed above) is a valid start: it keeps every earlier stage's optimum.
        values, value, bound = fallback, evaluate(goal.expression, fallback), known
        proven = value == bound
    elif state.values is None:
        raise NoSolutionFoundError(
            f"no schedule found within {options.time_limit:g} s (none was proven impossible "
            "either); raise the time limit"
        )
    else:
        seconds = time.perf_counter() - stage_start
        stage = Stage(spec.name, spec.description, "UNKNOWN", None, None, seconds, unit=spec.unit)
        return stage, goal
    if not proven and bound is not None and not state.interrupt:
        tighter, work = _tighten(state, goal, value, bound, tightening, work)
        if tighter != bound:
            known = bound = tighter
        proven = value == bound
    steps = 0
    if not proven and search is not None and not state.interrupt:
        # Only where the tightening ran out of budget: otherwise the class-count bound has
        # said its last word, and stopping the search to ask it again only costs time.
        patient = goal.tighten is not None and tightening.exhausted()
        values, value, known, bound, steps = _search(
            state,
            spec,
            goal,
            values,
            known,
            bound,
            stage_start + stage_seconds * (1 - keep),
            None if work is None else work * (1 - first - keep),
            stage_start,
            patient,
        )
        proven = value == bound
    if halving and not proven and bound is not None and not state.interrupt:
        values, bound, spent, decided = _halve(
            state,
            goal,
            spec.maximize,
            values,
            bound,
            stage_seconds - (time.perf_counter() - stage_start),
            math.inf if work is None else work * keep,
        )
        value = evaluate(goal.expression, values)
        proven = value == bound
        left = stage_seconds - (time.perf_counter() - stage_start)
        if not decided and not proven and left > 0.1 and not state.interrupt:
            # Undecided probes: the rest goes back to improving the schedule, as without them.
            rest = None if work is None else max(work * keep - spent, 0.001)
            if search is not None:
                outcome = _neighbourhood(
                    state, spec, goal, values, known, bound, left, rest, stage_start
                )
                values, value, steps = outcome.values, outcome.value, steps + outcome.steps
            else:
                values, bound = _resume(state, spec, goal, callback, values, bound, left, rest)
                value = evaluate(goal.expression, values)
            proven = value == bound
    state.values = values
    state.solution = {var.index: values[var.index] for var in built.vars.all()}
    seconds = time.perf_counter() - stage_start
    shown = value if proven else bound
    stage = Stage(
        spec.name,
        spec.description,
        "OPTIMAL" if proven else "FEASIBLE",
        goal.to_report(value),
        None if shown is None else goal.to_report(shown),
        seconds,
        steps,
        spec.unit,
    )
    return stage, dataclasses.replace(goal, known=value if proven else bound)


#: Share of a stage's time (and of its work, under a work limit) that raising its known
#: bound with the class-count bound may take, at most :data:`_TIGHTEN_WORK` units; both
#: come out of the stage's own. Measured on per-pipeline, follow-the-sun and 4 x 52: 0.2
#: to 0.5 units, 0.2 to 0.9 s. Under a 10 s limit per-pipeline's stage 1 has 4.4 s, most of
#: it for the neighbourhood search, whose result a larger share made worse.
_TIGHTEN_SHARE = 0.25
_TIGHTEN_WORK = 2.0
#: Under a work limit, a stage's bound tightened again after the re-read (:func:`_reread`)
#: is budgeted as a stage with this share of the limit: its tightening may take
#: :data:`_TIGHTEN_SHARE` of that, 2 % of the limit (at most :data:`_TIGHTEN_WORK` units).
_REREAD_SHARE = 0.08
#: Work units without improvement after which the neighbourhood search hands over to the
#: class-count bound (doubled each time the bound moves without proving the schedule)...
_PATIENCE = 0.1
#: ...which may spend this share of the search's time and work left.
_RETIGHTEN_SHARE = 0.5


def _tighten_budget(
    state: _Run, seconds: float, work: float | None, share: float = _TIGHTEN_SHARE
) -> Budget:
    """What :func:`_tighten` may spend: ``share`` of ``seconds`` (or of ``work``).

    Under a work limit only the work and the deadline bound it, so that a solve cut short
    by the work limit stays reproducible.
    """
    return Budget(
        _TIGHTEN_WORK if work is None else min(_TIGHTEN_WORK, work * share),
        seconds * share if work is None else seconds,
        state.deadline,
        state.interrupt,
    )


def _reread_budget(state: _Run) -> Budget:
    """What tightening one stage's bound again after the re-read may spend."""
    limit = state.options.work_limit
    return _tighten_budget(
        state, state.deadline.left(), None if limit is None else limit * _REREAD_SHARE
    )


def _tighten(
    state: _Run, goal: StageGoal, value: int, bound: int, budget: Budget, work: float | None
) -> tuple[int, float | None]:
    """``bound`` tightened towards a schedule's ``value`` by :attr:`StageGoal.tighten`.

    Returns it and the stage's ``work`` less what the tightening spent.
    """
    if goal.tighten is None or state.large or bound == value:
        return bound, work
    before = budget.work
    tighter = goal.tighten(bound, value, budget)
    if work is not None:
        work = max(work - (before - budget.work), 0.001)
    return tighter, work


def _search(
    state: _Run,
    spec: StageSpec,
    goal: StageGoal,
    values: list[int],
    known: int | None,
    bound: int | None,
    until: float,
    work: float | None,
    stage_start: float,
    patient: bool,
) -> tuple[list[int], int, int | None, int | None, int]:
    """The neighbourhood search until ``until`` (a :func:`time.perf_counter` reading).

    A ``patient`` search that stalls hands its time to the class-count bound, which may
    prove the schedule it has; a bound that moves without proving it resumes the search,
    with twice the patience. Returns the schedule, its value, the known and proven bounds,
    and the number of steps.
    """
    patience = _PATIENCE if patient and bound is not None else None
    steps = 0
    while True:
        outcome = _neighbourhood(
            state,
            spec,
            goal,
            values,
            known,
            bound,
            until - time.perf_counter(),
            work,
            stage_start,
            patience,
        )
        values, value, steps = outcome.values, outcome.value, steps + outcome.steps
        if work is not None:
            work = max(work - outcome.work, 0.001)
        if value == bound or not outcome.stalled or state.interrupt or bound is None:
            return values, value, known, bound, steps
        budget = _tighten_budget(state, until - time.perf_counter(), work, _RETIGHTEN_SHARE)
        tighter, work = _tighten(state, goal, value, bound, budget, work)
        moved = tighter != bound
        known = bound = tighter
        if value == bound:
            return values, value, known, bound, steps
        patience = patience * 2 if moved and patience is not None else None


def _neighbourhood(
    state: _Run,
    spec: StageSpec,
    goal: StageGoal,
    values: list[int],
    known: int | None,
    bound: int | None,
    seconds: float,
    work: float | None,
    stage_start: float,
    patience: float | None = None,
) -> Outcome:
    """Improve ``values`` with the neighbourhood search for ``seconds`` (and ``work``).

    ``known`` is the stage's known bound, which balanced stages break ties towards;
    ``bound`` is the best proven bound, where the search stops.
    """
    built, search = state.built, state.search
    assert search is not None
    search_goal = Goal(
        goal.expression,
        spec.maximize,
        deviations=tuple(built.objective.deviation.values()) if built.objective else (),
        target=known if spec.balanced else None,
        bound=bound,
        total=(
            built.objective.total
            if built.objective is not None
            and spec.name == "max_deviation"
            and state.bounds.set_by_one_shift
            else None
        ),
    )

    def report(found: int) -> None:
        if state.progress is not None:
            limit = goal.to_report(bound) if bound is not None else float("nan")
            elapsed = time.perf_counter() - stage_start
            state.progress(spec.name, goal.to_report(found), limit, elapsed)

    return search.improve(
        search_goal,
        values,
        seconds=seconds,
        work=work,
        on_improve=report,
        stop=lambda: bool(state.interrupt),
        patience=patience,
    )


def _resume(
    state: _Run,
    spec: StageSpec,
    goal: StageGoal,
    callback: _Reporter | None,
    values: list[int],
    bound: int,
    seconds: float,
    work: float | None,
) -> tuple[list[int], int]:
    """Optimise the whole model again from ``values``; return the better schedule and bound."""
    model = state.built.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    _hint_all(model, values)
    solver = state.options.solver(seconds, work, large=state.large)
    status = run(solver, model, callback=callback, interrupt=state.interrupt)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return values, bound
    found = list(solver.response_proto.solution)[: len(values)]
    sign = -1 if spec.maximize else 1
    tighter = _best_bound(solver.best_objective_bound, bound, spec.maximize)
    if sign * evaluate(goal.expression, found) < sign * evaluate(goal.expression, values):
        return found, tighter
    return values, tighter
