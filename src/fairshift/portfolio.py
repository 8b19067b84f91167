"""Whole solves side by side: ``workers=N`` runs N one-worker solves and keeps the best.

The first solve runs in this process with the caller's seed: it is exactly the one-worker
solve. Each other one runs in a forked process with another seed (:func:`seeds`) and sends
its schedule back as plain data. The schedule kept is the lexicographically best over the
stages (the first solve's among equals), so on a machine with a core per solve, N workers
are never worse than one; under a work limit the result is reproducible too, as every solve
is. Where two solves agree on every stage before stage k, they solved the same stage-k
problem, and the tighter of their bounds holds for both: a stage proven by one is proven
for the other.

Why processes, and whole solves. Racing stage by stage (one search per seed, the best
schedule taken into the next stage) moved every solve off the one-worker path after its
first stage and ended worse than one worker on 2 to 4 of 21 benchmark instances; CP-SAT's
own parallel portfolio did worse than one worker in 10 s on 4 to 32 engineers x 52 weeks,
and its deterministic parallel mode aborts the process in OR-Tools 9.15 whenever a solution
hint is given (see :mod:`fairshift.runner`). Forked processes share the built model without
copying it by hand, and CP-SAT's C++ state is never shared between them.

Where processes cannot be forked (Windows, or inside a daemonic process pool worker), the
first solve runs alone.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from .errors import NoSolutionFoundError
from .roster import Assignment, Stage, Status
from .runner import MAX_SEED, Deadline
from .scenario import Scenario
from .schedule import Schedule

#: Seeds of the other solves are offset by this much per worker.
SEED_STEP = 1_000_003
#: After the deadline (or a Ctrl-C), how long to wait for another solve's schedule.
GRACE = 0.25


@dataclass(frozen=True)
class Outcome:
    """What a solve in another process sends back: its schedule as plain data."""

    seed: int
    assignments: tuple[Assignment, ...]
    stages: tuple[Stage, ...]
    interrupted: bool


def seeds(seed: int, workers: int) -> list[int]:
    """The seeds of ``workers`` solves: ``seed`` first, then offsets of :data:`SEED_STEP`.

    Examples
    --------
    >>> seeds(0, 3)
    [0, 1000003, 2000006]
    >>> seeds(2**31 - 1, 2)
    [2147483647, 1000002]
    """
    return [(seed + k * SEED_STEP) % (MAX_SEED + 1) for k in range(workers)]


def race(
    solve: Callable[[int, bool], Schedule],
    seed: int,
    workers: int,
    maximize: Sequence[bool],
    deadline: Deadline,
    scenario: Scenario,
) -> Schedule:
    """Run ``workers`` solves side by side and return the lexicographically best schedule.

    Parameters
    ----------
    solve
        ``solve(seed, first)`` runs one whole one-worker solve; ``first`` is true for the one
        in this process (which alone may report progress or print a log).
    seed
        The caller's seed, used by the solve in this process.
    workers
        How many solves.
    maximize
        Per stage, whether it is maximised (the stages every solve reports, in order).
    deadline
        When every solve ends; another solve's schedule is awaited until :data:`GRACE`
        seconds after it.
    scenario
        What is solved (for a schedule found only by another solve).

    Raises
    ------
    InfeasibleError
        As the solve in this process raises it (every solve shares the hard rules).
    NoSolutionFoundError
        When no solve found a schedule.
    """
    children = _start(solve, seeds(seed, workers)[1:])
    try:
        first: Schedule | None = solve(seed, True)
        missing = None
    except NoSolutionFoundError as error:
        first, missing = None, error
    except BaseException:
        _stop(children, 0.0)
        raise
    wait = GRACE if first is not None and first.interrupted else deadline.left() + GRACE
    others = _collect(children, wait)
    if first is None:
        if not others:
            assert missing is not None
            raise missing
        first = _schedule(scenario, others[0])
        others = others[1:]
    return _best(first, others, maximize)


def _start(
    solve: Callable[[int, bool], Schedule], others: Sequence[int]
) -> list[tuple[Any, Connection]]:
    """Fork a process per seed in ``others``; none where this platform or process can't."""
    if not others or "fork" not in multiprocessing.get_all_start_methods():
        return []
    context = multiprocessing.get_context("fork")
    started: list[tuple[Any, Connection]] = []
    for other in others:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(solve, other, send), daemon=True)
        try:
            process.start()
        except (AssertionError, OSError):  # a daemonic process may not have children
            receive.close()
            send.close()
            break
        send.close()
        started.append((process, receive))
    return started


def _child(solve: Callable[[int, bool], Schedule], seed: int, send: Connection) -> None:
    """In the forked process: solve, and send the schedule back (nothing if none)."""
    try:
        schedule = solve(seed, False)
        send.send(Outcome(seed, schedule.assignments, schedule.stages, schedule.interrupted))
    except BaseException:  # the solve in the caller's process reports errors
        pass
    finally:
        send.close()


def _collect(children: Sequence[tuple[Any, Connection]], wait: float) -> list[Outcome]:
    """The schedules the other solves send within ``wait`` seconds; then stop them."""
    outcomes: list[Outcome] = []
    deadline = Deadline.after(wait)
    for _process, receive in children:
        with contextlib.suppress(EOFError, OSError):
            if receive.poll(deadline.left()):
                outcome = receive.recv()
                if isinstance(outcome, Outcome):
                    outcomes.append(outcome)
    _stop(children, 0.2)
    return outcomes


def _stop(children: Sequence[tuple[Any, Connection]], wait: float) -> None:
    """End the other solves (after ``wait`` seconds each for those that are finishing)."""
    for process, receive in children:
        receive.close()
        process.join(wait)
        if process.is_alive():
            process.terminate()
            process.join()


def _key(stages: Sequence[Stage], maximize: Sequence[bool]) -> tuple[float, ...]:
    """Stage values, smaller better, for a lexicographic comparison (unsolved: worst)."""
    return tuple(
        math.inf if stage.value is None else (-stage.value if up else stage.value)
        for stage, up in zip(stages, maximize, strict=True)
    )


def _schedule(scenario: Scenario, outcome: Outcome) -> Schedule:
    """Another solve's schedule, as the solve in this process would have returned it."""
    proven = all(stage.status == Status.OPTIMAL for stage in outcome.stages)
    return Schedule(
        scenario,
        outcome.assignments,
        Status.OPTIMAL if proven else Status.FEASIBLE,
        outcome.stages,
        seed=outcome.seed,
        interrupted=outcome.interrupted,
    )


def _best(first: Schedule, others: Sequence[Outcome], maximize: Sequence[bool]) -> Schedule:
    """The lexicographically best schedule (``first`` among equals), with merged proofs."""
    results: list[Schedule | Outcome] = [first, *others]
    keys = [_key(result.stages, maximize) for result in results]
    winner = min(range(len(results)), key=lambda i: keys[i])  # the earliest among equals
    stages = list(results[winner].stages)
    for i, result in enumerate(results):
        if i != winner:
            stages = _merge(stages, keys[winner], result.stages, keys[i], maximize)
    chosen = results[winner]
    proven = all(stage.status == Status.OPTIMAL for stage in stages)
    return replace(
        first,
        assignments=chosen.assignments,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        stages=tuple(stages),
        seed=chosen.seed,
        interrupted=first.interrupted or chosen.interrupted,
    )


def _merge(
    stages: list[Stage],
    key: tuple[float, ...],
    others: Sequence[Stage],
    other_key: tuple[float, ...],
    maximize: Sequence[bool],
) -> list[Stage]:
    """``stages`` with bounds tightened by another solve's, where both solved one problem.

    Stage k's problem is fixed by the values of the stages before it, so the other solve's
    bound on stage k holds here as long as both agree on every earlier stage.
    """
    merged = list(stages)
    for k, (mine, theirs) in enumerate(zip(stages, others, strict=True)):
        if key[:k] != other_key[:k]:
            break
        if mine.value is None or theirs.bound is None or mine.status == Status.OPTIMAL:
            continue
        bounds = [b for b in (mine.bound, theirs.bound) if b is not None]
        bound = min(bounds) if maximize[k] else max(bounds)
        if bound == mine.value:
            merged[k] = replace(mine, status=Status.OPTIMAL, bound=mine.value)
        elif bound != mine.bound:
            merged[k] = replace(mine, bound=bound)
    return merged
