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
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from .errors import NoSolutionFoundError
from .model.stages import tighter_bound
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
    children: list[_Child] = []
    try:
        children = _start(solve, seeds(seed, workers)[1:])
        try:
            first: Schedule | None = solve(seed, True)
            missing = None
        except NoSolutionFoundError as error:
            first, missing = None, error
        if first is not None and first.status == Status.OPTIMAL:
            return first  # every stage proven: no other schedule can be better
        interrupted = first is not None and first.interrupted
        wait = GRACE if interrupted else deadline.left() + GRACE
        others, stopped = _collect(children, wait)
    finally:
        _stop(children)
    if first is None:
        if not others:
            assert missing is not None
            raise missing
        first = _schedule(scenario, others[0])
        others = others[1:]
    best = _best(first, others, maximize)
    return replace(best, interrupted=True) if stopped else best


@dataclass
class _Child:
    """A solve in another process, and the end of the pipe its schedule comes through."""

    process: Any
    receive: Connection


def _start(solve: Callable[[int, bool], Schedule], others: Sequence[int]) -> list[_Child]:
    """Fork a process per seed in ``others``; none where this platform or process can't."""
    if not others or "fork" not in multiprocessing.get_all_start_methods():
        return []
    context = multiprocessing.get_context("fork")
    started: list[_Child] = []
    for other in others:
        try:
            receive, send = context.Pipe(duplex=False)
        except OSError:  # e.g. out of file descriptors: fewer solves
            break
        # The new process closes its copies of the pipes to the earlier ones, so that a
        # solve whose reader is gone is not kept waiting on a copy of its own.
        inherited = [child.receive for child in started] + [receive]
        process = context.Process(target=_child, args=(solve, other, send, inherited), daemon=True)
        try:
            process.start()
        except (AssertionError, OSError):  # a daemonic process may not have children
            receive.close()
            send.close()
            break
        send.close()
        started.append(_Child(process, receive))
    return started


def _child(
    solve: Callable[[int, bool], Schedule],
    seed: int,
    send: Connection,
    inherited: Sequence[Connection],
) -> None:
    """In the forked process: solve, and send the schedule back (nothing if none).

    The handlers the caller installed for ``SIGTERM`` are not this process's business: it
    ends at once when stopped. Ctrl-C stops its search (as in the caller's process), and is
    ignored once the schedule is being sent. It also ends when the caller's process does.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for connection in inherited:
        connection.close()
    parent = multiprocessing.parent_process()
    if parent is not None:
        sentinel = parent.sentinel
        threading.Thread(target=_end_with, args=(sentinel,), daemon=True).start()
    try:
        schedule = solve(seed, False)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        send.send(Outcome(seed, schedule.assignments, schedule.stages, schedule.interrupted))
    except BaseException:  # the solve in the caller's process reports errors
        pass
    finally:
        send.close()


def _end_with(sentinel: int) -> None:
    """End this process as soon as the process ``sentinel`` belongs to has ended."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _collect(children: Sequence[_Child], wait: float) -> tuple[list[Outcome], bool]:
    """The schedules the other solves send within ``wait`` seconds, read as they come.

    Returns them, and whether Ctrl-C cut the wait short.
    """
    outcomes: list[Outcome] = []
    deadline = Deadline.after(wait)
    pending = {child.receive: child for child in children}
    stopped = False
    while pending and not deadline.expired():
        try:
            # Short waits: Ctrl-C is seen at once, and no timeout overflows select().
            ready = multiprocessing.connection.wait(list(pending), min(deadline.left(), 0.1))
        except KeyboardInterrupt:
            stopped = True
            deadline = Deadline.after(GRACE)  # the others stop too (same process group)
            continue
        for receive in ready:
            assert isinstance(receive, Connection)
            del pending[receive]
            with contextlib.suppress(EOFError, OSError):
                outcome = receive.recv()
                if isinstance(outcome, Outcome):
                    outcomes.append(outcome)
    return outcomes, stopped


def _stop(children: Sequence[_Child]) -> None:
    """End the other solves and reap them, in at most about :data:`GRACE` seconds."""
    for child in children:
        child.receive.close()
        if child.process.is_alive():
            child.process.terminate()
    deadline = Deadline.after(GRACE)
    for child in children:
        child.process.join(deadline.left())
        if child.process.is_alive():
            child.process.kill()
            child.process.join()


def _key(stages: Sequence[Stage], maximize: Sequence[bool]) -> tuple[float, ...]:
    """Stage values, smaller better, for a lexicographic comparison (unsolved: worst)."""
    return tuple(
        math.inf if stage.value is None else (-stage.value if up else stage.value)
        for stage, up in zip(stages, maximize, strict=True)
    )


def _status(stages: Sequence[Stage]) -> str:
    """``OPTIMAL`` when every stage is proven, else ``FEASIBLE`` (as a solve reports it)."""
    proven = all(stage.status == Status.OPTIMAL for stage in stages)
    return Status.OPTIMAL if proven else Status.FEASIBLE


def _schedule(scenario: Scenario, outcome: Outcome) -> Schedule:
    """Another solve's schedule, as the solve in this process would have returned it."""
    return Schedule(
        scenario,
        outcome.assignments,
        _status(outcome.stages),
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
    return replace(
        first,
        assignments=chosen.assignments,
        status=_status(stages),
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
        bound = tighter_bound(mine.bound, theirs.bound, maximize[k])
        if bound == mine.value:
            merged[k] = replace(mine, status=Status.OPTIMAL, bound=mine.value)
        elif bound != mine.bound:
            merged[k] = replace(mine, bound=bound)
    return merged
