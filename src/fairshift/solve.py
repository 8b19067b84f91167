"""Solve a scenario: build the CP-SAT model, run the lexicographic stages, read the schedule.

Each stage is solved to proven optimality when time allows; its optimum is then fixed as a
constraint and the solution is handed to the next stage as a hint. The two deviation stages
also get a lattice bound (:mod:`fairshift.model.lattice`): a schedule that meets it is proven
optimal at once. On teams of more than
:data:`~fairshift.model.neighbourhood.MIN_TEAM` engineers the full model runs for a short share
of each stage and a neighbourhood search (:mod:`fairshift.model.neighbourhood`) uses the
rest. The search is deterministic for a given seed (one CP-SAT worker, or CP-SAT's
interleaved search), as long as every stage finishes within its time limit; a work limit
makes even a solve cut short reproducible.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .calendar import ShiftCalendar, expand
from .errors import InfeasibleError, NoSolutionFoundError
from .model.constraints import CONSTRAINTS, RuleContext
from .model.lattice import Lattice, lattice
from .model.neighbourhood import MIN_TEAM, Goal, NeighbourhoodSearch, evaluate
from .model.objective import Objective
from .model.variables import Variables
from .model.warmstart import greedy_hint
from .scenario import Scenario
from .schedule import Assignment, Schedule, Stage, Status, _ordered

#: Above this many assignment variables a model counts as large (presolve is lightened).
LARGE_MODEL = 5_000

#: ``progress(stage, value, bound, elapsed_seconds)``, called on every improving solution.
Progress = Callable[[str, float, float, float], None]


@dataclass(frozen=True)
class SolverOptions:
    """Solver settings.

    Parameters
    ----------
    time_limit
        Wall-clock seconds for all stages together; at the limit the best schedule found is
        returned with status ``FEASIBLE`` and its gap.
    seed
        Random seed; the same scenario and seed give the same schedule.
    workers
        Search workers. One worker (the default) is deterministic; more workers run CP-SAT's
        interleaved portfolio, which is deterministic too but pays for it in speed, unless
        ``deterministic=False`` lets them race freely.
    deterministic
        Whether the same scenario and seed must give the same schedule.
    log
        Print CP-SAT's search log.
    work_limit
        Optional budget in CP-SAT's deterministic time units for all stages together.
        Unlike the wall-clock limit, a solve cut short by it is reproducible on any machine.
    """

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 1
    deterministic: bool = True
    log: bool = False
    work_limit: float | None = None

    def apply(
        self, solver: cp_model.CpSolver, seconds: float, share: float = 1.0, *, large: bool = False
    ) -> None:
        """Set the parameters of ``solver`` for a stage with ``seconds`` left.

        ``share`` is the stage's fraction of :attr:`work_limit`; ``large`` marks a model with
        more than :data:`LARGE_MODEL` assignment variables.
        """
        params = solver.parameters
        params.max_time_in_seconds = max(seconds, 0.01)
        if self.work_limit is not None:
            params.max_deterministic_time = max(self.work_limit * share, 0.01)
        params.random_seed = self.seed
        params.num_workers = max(1, self.workers)
        params.interleave_search = self.deterministic and self.workers > 1
        # The LP relaxation of the fairness terms is what proves the bounds; level 2 adds
        # cuts that also steer the search to balanced assignments (measured in benchmarks).
        params.linearization_level = 2
        if large:
            # Probing costs ~20 s per stage on 200 engineers x 52 weeks and buys nothing the
            # search needs (benchmarks/RESULTS.md); small models keep CP-SAT's default.
            params.cp_model_probing_level = 0
        params.log_search_progress = self.log


@dataclass
class BuiltModel:
    """A CP-SAT model of a scenario with its variables and objective expressions."""

    model: cp_model.CpModel
    vars: Variables
    calendar: ShiftCalendar
    context: RuleContext
    objective: Objective | None


def build_model(scenario: Scenario, *, explain: bool = False) -> BuiltModel:
    """Build the model: variables, every hard rule of :data:`CONSTRAINTS`, fairness terms.

    With ``explain=True`` every rule instance is guarded by an assumption literal and the
    fairness terms are left out, so that a conflict can only come from the hard rules.
    """
    calendar = expand(scenario)
    model = cp_model.CpModel()
    variables = Variables(model, calendar)
    context = RuleContext(model, variables, calendar, explain=explain)
    for add_rule in CONSTRAINTS.values():
        add_rule(context)
    objective = None if explain else Objective(model, variables, calendar)
    return BuiltModel(model, variables, calendar, context, objective)


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution, and stops the search once a known bound is met.

    CP-SAT cannot see the lattice bound (as a cut it would only steer the search), so a
    schedule that meets it would otherwise be followed by a proof CP-SAT cannot finish.
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


#: Relative share of the time limit per stage (the headline proof, stage 1, gets half).
_STAGE_SHARE = {"max_deviation": 4.0, "min_deviation": 1.0, "sum_of_squares": 1.0, "spread": 2.0}


def _hint_everything(model: cp_model.CpModel, decisions: dict[int, int]) -> list[int] | None:
    """Hint every variable, not only the decisions, so CP-SAT can take the hint as it is.

    With only the assignment hinted, a large model spends its first minute re-deriving
    burdens and deviations under the LP; fixing the decisions in a copy and reading the rest
    off costs a fraction of a second. A hint that breaks a rule is passed on as it is.

    Returns the completed values of every variable, or ``None`` if the decisions break a rule.
    """
    copy = model.clone()
    for index, value in decisions.items():
        copy.add(copy.get_int_var_from_proto_index(index) == value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10.0
    solver.parameters.num_workers = 1
    hint = model.proto.solution_hint
    if solver.solve(copy) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        completed = list(solver.response_proto.solution)[: len(model.proto.variables)]
        hint.vars.extend(range(len(completed)))
        hint.values.extend(completed)
        return completed
    hint.vars.extend(list(decisions))
    hint.values.extend(list(decisions.values()))
    return None


class _Interrupt:
    """Whether Ctrl-C stopped the search (truthy once it has)."""

    def __init__(self) -> None:
        self.hit = False

    def __bool__(self) -> bool:
        return self.hit


@contextlib.contextmanager
def _stop_on_interrupt(solver: cp_model.CpSolver) -> Iterator[_Interrupt]:
    """Turn Ctrl-C into ``solver.stop_search()`` so the best solution so far is kept."""
    flag = _Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def stop(_signum: int, _frame: object) -> None:
        flag.hit = True
        solver.stop_search()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _solve(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None,
) -> cp_model.CpSolverStatus:
    """Solve in a worker thread so that the main thread stays free to receive Ctrl-C.

    CP-SAT's own SIGINT handler is switched off: it would end the stage but not tell us,
    and the remaining stages would run on.
    """
    solver.parameters.catch_sigint_signal = False
    outcome: list[cp_model.CpSolverStatus] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(solver.solve(model, callback))
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    worker = threading.Thread(target=run, name="cp-sat")
    worker.start()
    while worker.is_alive():
        worker.join(0.1)  # short waits let Python run the signal handler
    if failure:
        raise failure[0]
    return outcome[0]


#: With a neighbourhood search to follow, the full model gets this share of a stage's time.
_FULL_MODEL_SHARE = 0.15
#: Stages whose neighbourhood steps break ties towards the stage's lattice bound.
_BALANCED_STAGES = frozenset({"max_deviation", "min_deviation"})


def _neighbourhoods(
    built: BuiltModel, options: SolverOptions, interrupt: _Interrupt
) -> NeighbourhoodSearch | None:
    """A neighbourhood search over the team, or ``None`` for teams small enough to solve whole.

    Ctrl-C during a step stops the step and sets ``interrupt``.
    """
    handles = built.vars.handles
    if len(handles) <= MIN_TEAM:
        return None
    groups: dict[str, list[int]] = {h: [] for h in handles}
    for handle, _role, _slot, var in built.vars.items():
        groups[handle].append(var.index)

    def run(solver: cp_model.CpSolver, model: cp_model.CpModel) -> cp_model.CpSolverStatus:
        with _stop_on_interrupt(solver) as hit:
            status = _solve(solver, model, None)
        interrupt.hit = interrupt.hit or bool(hit)
        return status

    return NeighbourhoodSearch(
        built.model, [groups[h] for h in handles], seed=options.seed, run=run
    )


class _LatticeBounds:
    """Lattice bounds for the two deviation stages.

    They are not added to the model: measured on the bundled example, the cut made CP-SAT miss
    the optimum it otherwise proves in seconds. They prove optimality when a schedule meets
    them, stop the search there, and tighten the reported bound.
    """

    def __init__(self, objective: Objective) -> None:
        self._objective = objective

    @functools.cached_property
    def _lattice(self) -> Lattice | None:
        return lattice(self._objective)

    def bound(self, stage: str, raw: dict[str, int]) -> int | None:
        """The stage's lattice bound (``None`` if it has none)."""
        if stage not in _BALANCED_STAGES or not self._objective.deviation:
            return None
        if stage == "max_deviation":
            return self._largest
        found = self._lattice
        if found is None:
            return None
        low, high = self._objective.deviation_domain()
        return found.smallest_deviation_bound(low, high, raw.get("max_deviation", high))

    @functools.cached_property
    def _largest(self) -> int | None:
        found = self._lattice
        if found is None:
            return None
        return found.largest_deviation_bound(*self._objective.deviation_domain())

    def set_by_one_shift(self, stage: str) -> bool:
        """Whether stage 1's lattice bound is what one heavy shift alone imposes.

        That is, the bound equals the single-shift floor at the most favourable total: the
        heaviest shift's best holder sets the largest deviation, and a larger total (a larger
        fair share for everyone) is what lowers it, so the search breaks ties by total.
        """
        found = self._lattice if stage == "max_deviation" else None
        if found is None or found.single is None:
            return False
        return int(found.single.min()) == self._largest


def _best_bound(solver_bound: float, known: int | None, maximize: bool) -> int:
    """The tighter of CP-SAT's bound and a known one, rounded inwards (values are integers)."""
    if maximize:
        rounded = math.floor(solver_bound + 1e-6)
        return rounded if known is None else min(rounded, known)
    rounded = math.ceil(solver_bound - 1e-6)
    return rounded if known is None else max(rounded, known)


@dataclass(frozen=True)
class _StageSpec:
    name: str
    description: str
    maximize: bool
    to_report: Callable[[float], float]


def solve(
    scenario: Scenario,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    deterministic: bool = True,
    log: bool = False,
    progress: Progress | None = None,
    work_limit: float | None = None,
) -> Schedule:
    """Plan a provably fair rotation.

    Parameters
    ----------
    scenario
        Team, leave, rules and weights.
    time_limit
        Seconds for the whole solve, building the model included.
    seed
        Random seed (same scenario and seed, same schedule).
    workers
        CP-SAT workers (see :class:`SolverOptions`).
    deterministic
        Keep results reproducible when ``workers > 1``.
    log
        Print CP-SAT's search log.
    progress
        Called as ``progress(stage, value, bound, elapsed)`` on every improving solution.
    work_limit
        Optional deterministic work budget (see :class:`SolverOptions`).

    Returns
    -------
    Schedule
        Status ``OPTIMAL`` when every stage was proven, ``FEASIBLE`` when a time limit cut a
        proof short (the gap says how far from proven).

    Raises
    ------
    InfeasibleError
        No schedule satisfies the hard rules; ``.explanation`` names the conflicting facts.
    NoSolutionFoundError
        The time limit ran out before any schedule was found.
    """
    started = time.perf_counter()  # the time limit covers building the model too
    options = SolverOptions(time_limit, seed, workers, deterministic, log, work_limit)
    built = build_model(scenario)
    assert built.objective is not None
    hint = greedy_hint(built.objective)
    return optimise(built, options, progress=progress, hint=hint, started=started)


#: A final stage added by a caller: ``(name, description, expression)``, minimised last.
ExtraStage = tuple[str, str, Callable[[], cp_model.LinearExprT]]


def optimise(
    built: BuiltModel,
    options: SolverOptions,
    *,
    progress: Progress | None = None,
    extra_stages: tuple[ExtraStage, ...] = (),
    hint: dict[tuple[str, str, str], int] | None = None,
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
        Initial values ``{(handle, role, slot_id): 0 or 1}`` for the first stage.
    started
        The :func:`time.perf_counter` reading the time limit counts from (default: now).
    """
    scenario = built.calendar.scenario
    started = time.perf_counter() if started is None else started
    deadline = started + options.time_limit
    time_limit = options.time_limit
    seed = options.seed
    objective = built.objective
    assert objective is not None
    stages: list[Stage] = []
    raw: dict[str, int] = {}  # each finished stage's value in the model's integer units
    evaluated: list[tuple[int, cp_model.LinearExprT, _StageSpec]] = []
    solution: dict[int, int] | None = None

    if not objective.deviation:
        specs: list[tuple[_StageSpec, Callable[[], cp_model.LinearExprT]]] = [
            (_StageSpec("feasibility", "any valid schedule", False, float), lambda: 0)
        ]
    else:
        count_unit = objective.team_availability
        specs = [
            (
                _StageSpec(
                    "max_deviation", "minimise the largest deviation", False, objective.to_units
                ),
                objective.largest_deviation,
            ),
            (
                _StageSpec(
                    "min_deviation", "maximise the smallest deviation", True, objective.to_units
                ),
                objective.smallest_deviation,
            ),
            (
                _StageSpec(
                    "sum_of_squares", "minimise squared deviations (quarter days^2)", False, float
                ),
                lambda: objective.sum_of_squares(
                    raw.get("min_deviation", objective.deviation_domain()[0]),
                    raw.get("max_deviation", objective.deviation_domain()[1]),
                ),
            ),
            (
                _StageSpec(
                    "spread",
                    "spread weekends, holidays, month-ends (days)",
                    False,
                    lambda v: v / count_unit,
                ),
                objective.spread,
            ),
        ]
    specs += [
        (_StageSpec(name, description, False, float), expression)
        for name, description, expression in extra_stages
    ]
    # A caller's hint seeds the first stage only; it is never returned as a solution.
    initial = (
        {
            var.index: hint.get((handle, role.value, slot.id), 0)
            for handle, role, slot, var in built.vars.items()
        }
        if hint is not None
        else None
    )

    weights = [_STAGE_SHARE.get(spec.name, 1.0) for spec, _ in specs]
    large = len(built.vars.all()) > LARGE_MODEL
    interrupt = _Interrupt()  # set when Ctrl-C stops a neighbourhood step
    search = _neighbourhoods(built, options, interrupt)
    bounds = _LatticeBounds(objective)
    stopped = False
    values: list[int] | None = None  # every model variable, from the latest stage
    for i, (spec, make_expression) in enumerate(specs):
        remaining = deadline - time.perf_counter()
        if solution is not None and (remaining <= 0.05 or stopped):
            stages.append(Stage(spec.name, spec.description, "SKIPPED", None, None, 0.0))
            continue
        expression = make_expression()
        known = bounds.bound(spec.name, raw)
        model = built.model
        model.clear_hints()  # type: ignore[no-untyped-call]
        seed_values = solution if solution is not None else initial
        completed = _hint_everything(model, seed_values) if seed_values is not None else None
        if spec.maximize:
            model.maximize(expression)
        else:
            model.minimize(expression)
        solver = cp_model.CpSolver()
        # Each stage gets its share of what is left (after the preparation above, which takes
        # seconds on large teams); time a stage does not use rolls over.
        remaining = max(deadline - time.perf_counter(), 0.0)
        stage_seconds = remaining * weights[i] / sum(weights[i:])
        stage_work = weights[i] / sum(weights)
        # With a neighbourhood search to follow, the full model only needs a first schedule
        # and whatever it proves early; the search gets the rest.
        first = _FULL_MODEL_SHARE if search is not None else 1.0
        options.apply(solver, stage_seconds * first, stage_work * first, large=large)
        callback = (
            _Reporter(spec.name, spec.to_report, progress, known, spec.maximize)
            if progress is not None or known is not None
            else None
        )
        # Large teams can start their search from the previous stage's (completed) schedule.
        start_from_hint = search is not None and completed is not None
        stage_start = time.perf_counter()
        with _stop_on_interrupt(solver) as interrupted:
            status = _solve(solver, model, callback)
            left = deadline - time.perf_counter()
            if (
                status == cp_model.UNKNOWN
                and solution is None
                and left > 0.05
                and not interrupted
                and not start_from_hint
            ):
                # Nothing found within the first stage's share: it may use all the time left,
                # but with a search to follow, only until the first schedule.
                options.apply(solver, left, large=large)
                solver.parameters.stop_after_first_solution = search is not None
                status = _solve(solver, model, callback)
        if interrupted and solution is None and status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise KeyboardInterrupt
        # Ctrl-C: keep the best schedule so far; the remaining stages are not run.
        stopped = stopped or bool(interrupted)

        if status == cp_model.INFEASIBLE and solution is None:
            from .diagnose import explain_infeasible

            raise InfeasibleError(explain_infeasible(scenario, time_limit=max(remaining, 10.0)))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = round(solver.objective_value)
            bound: int | None = _best_bound(solver.best_objective_bound, known, spec.maximize)
            values = list(solver.response_proto.solution)
        elif solution is None and not start_from_hint:
            raise NoSolutionFoundError(
                f"no schedule found within {time_limit:g} s (none was proven impossible "
                "either); raise the time limit"
            )
        elif start_from_hint and completed is not None and not stopped:
            # The full model found nothing better in its share, but the previous stage's
            # schedule (completed above) is a valid start for the neighbourhood search.
            status = cp_model.FEASIBLE
            values, value, bound = completed, evaluate(expression, completed), known
        else:
            seconds = time.perf_counter() - stage_start
            stages.append(Stage(spec.name, spec.description, "UNKNOWN", None, None, seconds))
            continue
        steps = 0
        proven = status == cp_model.OPTIMAL or value == bound
        if not proven and search is not None and not stopped:
            goal = Goal(
                expression,
                spec.maximize,
                deviations=tuple(objective.deviation.values()),
                target=known if spec.name in _BALANCED_STAGES else None,
                bound=bound,
                total=objective.total if bounds.set_by_one_shift(spec.name) else None,
            )

            def report(
                found: int,
                spec: _StageSpec = spec,
                bound: int | None = bound,
                start: float = stage_start,
            ) -> None:
                if progress is not None:
                    elapsed = time.perf_counter() - start
                    limit = spec.to_report(bound) if bound is not None else float("nan")
                    progress(spec.name, spec.to_report(found), limit, elapsed)

            outcome = search.improve(
                goal,
                values,
                seconds=stage_seconds - (time.perf_counter() - stage_start),
                work=None if options.work_limit is None else options.work_limit * stage_work,
                on_improve=report,
                stop=lambda: bool(interrupt),
            )
            stopped = stopped or bool(interrupt)
            values, value, steps = outcome.values, outcome.value, outcome.steps
            proven = value == bound
        seconds = time.perf_counter() - stage_start
        shown = value if proven else bound
        stages.append(
            Stage(
                spec.name,
                spec.description,
                "OPTIMAL" if proven else "FEASIBLE",
                spec.to_report(value),
                None if shown is None else spec.to_report(shown),
                seconds,
                steps,
            )
        )
        solution = {var.index: values[var.index] for var in built.vars.all()}
        evaluated.append((len(stages) - 1, expression, spec))
        # Fix this stage's optimum before the next one (integral, so no rounding slack).
        raw[spec.name] = value
        if spec.maximize:
            model.add(expression >= value)
        else:
            model.add(expression <= value)

    assert solution is not None and values is not None
    # A stage stopped by the time limit may still be improved by later stages (each only
    # fixes an upper bound), so every value is read again on the final schedule.
    for i, expression, spec in evaluated:
        if not isinstance(expression, int):
            final = spec.to_report(evaluate(expression, values))
            stages[i] = dataclasses.replace(stages[i], value=final)
    assignments = [
        Assignment(slot.id, role, slot.start, slot.end, handle)
        for handle, role, slot, var in built.vars.items()
        if solution[var.index]
    ]
    proven = all(stage.status == "OPTIMAL" for stage in stages)
    return Schedule(
        scenario,
        tuple(_ordered(assignments)),
        Status.OPTIMAL if proven else Status.FEASIBLE,
        tuple(stages),
        time.perf_counter() - started,
        seed,
    )
