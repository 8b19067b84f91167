"""Run CP-SAT: one place for solver parameters, deadlines and Ctrl-C.

Every solve of fairshift goes through :func:`run`, so a time limit is a wall-clock promise
(each call is cut to what is left of one :class:`Deadline`), Ctrl-C stops the search and keeps
what was found.

Workers. Every CP-SAT search runs one worker, which is deterministic: the same model,
parameters and seed give the same solution. ``workers=N`` runs N whole solves side by side,
each with one worker, and keeps the best (:mod:`fairshift.portfolio`). CP-SAT's own parallel
portfolio did worse than one worker on 4 to 32 engineers x 52 weeks in 10 s (e.g. 0.81 days
against 0.58 on 4 x 52), and its deterministic parallel mode (``interleave_search``) aborts
the process in OR-Tools 9.15 whenever a solution hint is given, which every stage after the
first has (``Check failed: solution->size() == postsolve_mapping.size()``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

#: Above this many assignment variables a model counts as large (presolve is lightened).
LARGE_MODEL = 5_000
#: CP-SAT seeds are 32-bit signed integers.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Deadline:
    """An instant on :func:`time.perf_counter`'s clock by which work must be done.

    Examples
    --------
    >>> later = Deadline.after(60)
    >>> 59 < later.left() <= 60
    True
    >>> later.sooner(5).left() <= 5
    True
    """

    at: float

    @classmethod
    def after(cls, seconds: float, *, start: float | None = None) -> Deadline:
        """The deadline ``seconds`` after ``start`` (a :func:`time.perf_counter` reading)."""
        begin = time.perf_counter() if start is None else start
        return cls(begin + seconds)

    def left(self) -> float:
        """Seconds left (0 once passed)."""
        return max(self.at - time.perf_counter(), 0.0)

    def expired(self, margin: float = 0.0) -> bool:
        """Whether at most ``margin`` seconds are left."""
        return self.left() <= margin

    def sooner(self, seconds: float) -> Deadline:
        """The earlier of this deadline and ``seconds`` from now."""
        return Deadline(min(self.at, time.perf_counter() + max(seconds, 0.0)))

    def earlier(self, seconds: float) -> Deadline:
        """``seconds`` before this deadline (time kept back for later work)."""
        return Deadline(self.at - max(seconds, 0.0))


@dataclass(frozen=True)
class SolverOptions:
    """Solver settings shared by every stage.

    Parameters
    ----------
    time_limit
        Wall-clock seconds for all stages together; at the limit the best schedule found is
        returned with status ``FEASIBLE`` and its gap.
    seed
        Random seed, 0 to 2**31 - 1; the same scenario and seed give the same schedule.
    workers
        Whole solves run side by side, one per core, each with one CP-SAT worker; the
        lexicographically best schedule is kept, the first solve's (this seed's) among
        equals (:mod:`fairshift.portfolio`). With a core per solve it is never worse than
        one worker. Under a work limit it is reproducible; under a time limit no solve is.
    log
        Print CP-SAT's search log.
    work_limit
        Optional budget in CP-SAT's deterministic time units for all stages together.
        Unlike the wall-clock limit, a solve cut short by it is reproducible on any machine
        (with one worker).
    """

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 1
    log: bool = False
    work_limit: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_limit) and self.time_limit > 0):
            raise ValueError(f"time_limit {self.time_limit!r} must be a positive number of seconds")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed {self.seed!r} must be a whole number")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed {self.seed} must lie between 0 and {MAX_SEED}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int):
            raise ValueError(f"workers {self.workers!r} must be a whole number")
        if self.workers < 1:
            raise ValueError(f"workers {self.workers} must be 1 or more")
        if self.work_limit is not None and not (
            math.isfinite(self.work_limit) and self.work_limit > 0
        ):
            raise ValueError(f"work_limit {self.work_limit!r} must be a positive number")

    def solver(
        self,
        seconds: float,
        work: float | None = None,
        *,
        large: bool = False,
    ) -> cp_model.CpSolver:
        """A new solver with these settings for ``seconds`` (see :meth:`configure`)."""
        solver = cp_model.CpSolver()
        self.configure(solver, seconds, work, large=large)
        return solver

    def configure(
        self,
        solver: cp_model.CpSolver,
        seconds: float,
        work: float | None = None,
        *,
        large: bool = False,
    ) -> None:
        """Set the parameters of ``solver`` for ``seconds`` of wall time.

        ``work`` caps CP-SAT's deterministic time (``None``: uncapped); ``large`` marks a
        model with more than :data:`LARGE_MODEL` assignment variables. CP-SAT always runs
        one worker (see the module docstring).
        """
        params = solver.parameters
        params.max_time_in_seconds = max(seconds, 0.01)
        if work is not None:
            params.max_deterministic_time = max(work, 0.001)
        params.random_seed = self.seed
        params.num_workers = 1
        params.interleave_search = False  # see the module docstring
        # The LP relaxation of the fairness terms is what proves the bounds; level 2 adds
        # cuts that also steer the search to balanced assignments (measured in benchmarks).
        params.linearization_level = 2
        if large:
            # Probing costs ~20 s per stage on 200 engineers x 52 weeks and buys nothing the
            # search needs (benchmarks/RESULTS.md); small models keep CP-SAT's default.
            params.cp_model_probing_level = 0
            # CP-SAT's presolve step that reads linear constraints against at-most-ones does
            # not watch the clock: on the stage-4 models of 100 engineers x 104 weeks it ran
            # 80 s under a 0.8 s limit. A zero inclusion work limit switches it off.
            params.presolve_inclusion_work_limit = 0
        params.log_search_progress = self.log
        # CP-SAT's own SIGINT handler would end the search without telling us; Ctrl-C is
        # handled by :func:`run` instead.
        params.catch_sigint_signal = False


def plain_solver(seconds: float, *, seed: int = 0) -> cp_model.CpSolver:
    """A one-worker solver with CP-SAT's own defaults, for ``seconds``.

    For the solves that are not fairness stages (infeasibility cores, pipeline owners,
    neighbourhood steps): only the time, the seed and one worker are set, and CP-SAT's own
    Ctrl-C handler is off (:func:`run` handles Ctrl-C).
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(seconds, 0.01)
    params.random_seed = seed
    params.num_workers = 1
    params.catch_sigint_signal = False
    return solver


def solver_like(solver: cp_model.CpSolver, seed: int) -> cp_model.CpSolver:
    """A new solver with the parameters of ``solver`` but another seed."""
    other = cp_model.CpSolver()
    other.parameters.copy_from(solver.parameters)
    other.parameters.random_seed = seed % (MAX_SEED + 1)
    return other


class Interrupt:
    """Ctrl-C for a whole solve: truthy once it was pressed.

    Within :meth:`catching`, Ctrl-C sets the flag and stops the searches that are running
    (see :meth:`watching`), so the best solutions found so far are kept, whether it comes
    during a search or between two.
    """

    def __init__(self) -> None:
        self.hit = False
        self._running: list[cp_model.CpSolver] = []
        self._catching = False

    def __bool__(self) -> bool:
        return self.hit

    def stop(self) -> None:
        """Stop every running search and remember that Ctrl-C was pressed."""
        self.hit = True
        for solver in list(self._running):
            solver.stop_search()

    @contextlib.contextmanager
    def catching(self) -> Iterator[None]:
        """Turn Ctrl-C into :meth:`stop` (main thread only; elsewhere nothing changes)."""
        if self._catching or threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(_signum: int, _frame: object) -> None:
            self.stop()

        previous = signal.signal(signal.SIGINT, handler)
        self._catching = True
        try:
            yield
        finally:
            self._catching = False
            signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def watching(self, solvers: Sequence[cp_model.CpSolver]) -> Iterator[None]:
        """Register running searches so that Ctrl-C stops them."""
        self._running.extend(solvers)
        try:
            yield
        finally:
            for solver in solvers:
                self._running.remove(solver)


#: One solve for :func:`run_all`: the solver (parameters set), the model and a callback.
Job = tuple[cp_model.CpSolver, cp_model.CpModel, cp_model.CpSolverSolutionCallback | None]


def run_all(
    jobs: Sequence[Job], *, interrupt: Interrupt | None = None
) -> list[cp_model.CpSolverStatus]:
    """Solve several models side by side, one thread each; statuses in the order given.

    The searches run in worker threads (CP-SAT releases the interpreter while it searches)
    so that the main thread stays free to receive Ctrl-C, which stops every search (the best
    solutions so far are kept) and sets ``interrupt``. Once ``interrupt`` is set, nothing
    more is searched: every status is ``UNKNOWN``.
    """
    flag = interrupt if interrupt is not None else Interrupt()
    if flag:
        return [cp_model.UNKNOWN for _ in jobs]
    outcome: dict[int, cp_model.CpSolverStatus] = {}
    failure: list[BaseException] = []

    def work(i: int, job: Job) -> None:
        solver, model, callback = job
        try:
            outcome[i] = solver.solve(model, callback)
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    for solver, _model, _callback in jobs:
        # CP-SAT's own handler would end the search without telling us.
        solver.parameters.catch_sigint_signal = False
    solvers = [job[0] for job in jobs]
    with flag.catching(), flag.watching(solvers):
        # Daemon threads: an exception in the main thread (SIGTERM) must not wait for them.
        threads = [
            threading.Thread(target=work, args=(i, job), name=f"cp-sat-{i}", daemon=True)
            for i, job in enumerate(jobs)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.05)  # short waits let Python run signal handlers
        except BaseException:
            for solver in solvers:
                solver.stop_search()
            raise
    if failure:
        raise failure[0]
    return [outcome[i] for i in range(len(jobs))]


def run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    *,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    interrupt: Interrupt | None = None,
) -> cp_model.CpSolverStatus:
    """Solve ``model`` with the parameters already set on ``solver`` (see :func:`run_all`)."""
    return run_all([(solver, model, callback)], interrupt=interrupt)[0]
