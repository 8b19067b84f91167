"""Whole solves side by side: the best schedule is kept, proofs are shared, nothing crashes."""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path

import pytest

import fairshift as fs
import fairshift.portfolio as portfolio
from conftest import EXAMPLE, scenario
from fairshift.errors import NoSolutionFoundError
from fairshift.portfolio import Outcome, race, seeds
from fairshift.roster import Assignment, Stage, Status
from fairshift.runner import MAX_SEED, Deadline

EXAMPLE_SCENARIO = fs.Scenario.from_toml(EXAMPLE)
#: max_deviation is minimised, min_deviation maximised, sum_of_squares minimised.
MAXIMIZE = [False, True, False]


def stages(*rows: tuple[str, float, float]) -> tuple[Stage, ...]:
    """Stages from ``(status, value, bound)`` in the order of :data:`MAXIMIZE`."""
    names = ["max_deviation", "min_deviation", "sum_of_squares"]
    return tuple(
        Stage(name, name, status, value, bound, 1.0)
        for name, (status, value, bound) in zip(names, rows, strict=True)
    )


def schedule(rows: tuple[Stage, ...], seed: int = 0) -> fs.Schedule:
    proven = all(stage.status == Status.OPTIMAL for stage in rows)
    return fs.Schedule(
        EXAMPLE_SCENARIO,
        (),
        Status.OPTIMAL if proven else Status.FEASIBLE,
        rows,
        seed=seed,
    )


def test_seeds_start_with_the_callers_and_stay_in_range() -> None:
    assert seeds(7, 1) == [7]
    assert seeds(MAX_SEED, 3)[0] == MAX_SEED
    assert all(0 <= seed <= MAX_SEED for seed in seeds(MAX_SEED, 8))
    assert len(set(seeds(0, 8))) == 8


def test_the_lexicographically_best_schedule_wins() -> None:
    """Stage 1 decides; a maximised stage 2 counts higher as better; then stage 3."""
    first = schedule(stages(("FEASIBLE", 0.5, 0.1), ("FEASIBLE", -0.9, 0.0), ("FEASIBLE", 9, 0)))
    worse = Outcome(
        11, (), stages(("FEASIBLE", 0.6, 0.1), ("FEASIBLE", -0.1, 0.0), ("FEASIBLE", 1, 0)), False
    )
    better = Outcome(
        22, (), stages(("FEASIBLE", 0.5, 0.1), ("FEASIBLE", -0.8, 0.0), ("FEASIBLE", 99, 0)), False
    )
    best = portfolio._best(first, [worse, better], MAXIMIZE)
    assert best.seed == 22
    assert [stage.value for stage in best.stages] == [0.5, -0.8, 99]


def test_the_first_solve_wins_among_equals() -> None:
    rows = stages(("FEASIBLE", 0.5, 0.1), ("FEASIBLE", -0.5, 0.0), ("FEASIBLE", 3, 0))
    best = portfolio._best(schedule(rows, seed=5), [Outcome(6, (), rows, False)], MAXIMIZE)
    assert best.seed == 5


def test_a_bound_proven_by_another_solve_proves_the_same_stage() -> None:
    """Equal values on stages 1 and 2 mean both solved the same stage 2 and stage 3."""
    first = schedule(stages(("OPTIMAL", 0.5, 0.5), ("FEASIBLE", -0.5, 0.0), ("FEASIBLE", 3, 1)))
    other = Outcome(
        9, (), stages(("OPTIMAL", 0.5, 0.5), ("OPTIMAL", -0.5, -0.5), ("FEASIBLE", 4, 2)), False
    )
    best = portfolio._best(first, [other], MAXIMIZE)
    assert best.seed == 0  # stage 3: 3 beats 4
    assert best.stages[1].status == Status.OPTIMAL and best.stages[1].bound == -0.5
    # Stage 3's problem is the same too (stages 1 and 2 agree): the tighter bound, 2, holds.
    assert best.stages[2].status == Status.FEASIBLE and best.stages[2].bound == 2
    assert best.status == Status.FEASIBLE


def test_bounds_after_a_different_stage_are_not_shared() -> None:
    """Another stage-1 value means another stage-2 problem: its bound says nothing here."""
    first = schedule(stages(("FEASIBLE", 0.5, 0.1), ("FEASIBLE", -0.5, 0.0), ("FEASIBLE", 3, 0)))
    other = Outcome(
        9, (), stages(("FEASIBLE", 0.7, 0.3), ("OPTIMAL", -0.5, -0.5), ("OPTIMAL", 3, 3)), False
    )
    best = portfolio._best(first, [other], MAXIMIZE)
    assert best.stages[0].bound == 0.3  # stage 1's problem is the same in both: 0.3 holds
    assert best.stages[1].status == Status.FEASIBLE and best.stages[1].bound == 0.0
    assert best.stages[2].status == Status.FEASIBLE and best.stages[2].bound == 0


def test_a_stage_proven_by_both_bounds_together_becomes_optimal() -> None:
    first = schedule(stages(("FEASIBLE", 0.5, 0.1), ("OPTIMAL", -0.5, -0.5), ("OPTIMAL", 3, 3)))
    other = Outcome(
        9, (), stages(("FEASIBLE", 0.6, 0.5), ("OPTIMAL", -0.4, -0.4), ("OPTIMAL", 2, 2)), False
    )
    best = portfolio._best(first, [other], MAXIMIZE)
    assert best.stages[0].status == Status.OPTIMAL and best.stages[0].bound == 0.5
    assert best.status == Status.OPTIMAL


def fake_solve(
    values: dict[int, float], *, fail: Collection[int] = ()
) -> Callable[[int, bool], fs.Schedule]:
    """A solve whose stage 1 value depends on the seed (raising for seeds in ``fail``)."""

    def solve(seed: int, _first: bool) -> fs.Schedule:
        if seed in fail:
            raise NoSolutionFoundError("nothing found")
        value = values.get(seed, 1.0)
        return schedule(
            stages(("FEASIBLE", value, 0.0), ("FEASIBLE", -1.0, 0.0), ("FEASIBLE", 5, 0)), seed
        )

    return solve


def test_race_keeps_another_process_s_better_schedule() -> None:
    other = seeds(3, 2)[1]
    best = race(
        fake_solve({3: 0.9, other: 0.4}), 3, 2, MAXIMIZE, Deadline.after(5), EXAMPLE_SCENARIO
    )
    assert best.seed == other and best.stages[0].value == 0.4


def test_race_falls_back_to_another_process_when_the_first_finds_nothing() -> None:
    best = race(fake_solve({}, fail={0}), 0, 2, MAXIMIZE, Deadline.after(5), EXAMPLE_SCENARIO)
    assert best.seed == seeds(0, 2)[1] and best.scenario is EXAMPLE_SCENARIO


def test_race_raises_when_no_process_finds_anything() -> None:
    with pytest.raises(NoSolutionFoundError):
        race(
            fake_solve({}, fail=set(seeds(0, 3))),
            0,
            3,
            MAXIMIZE,
            Deadline.after(5),
            EXAMPLE_SCENARIO,
        )


def test_without_fork_the_first_solve_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    other = seeds(0, 2)[1]
    assert (
        race(fake_solve({other: 0.1}), 0, 2, MAXIMIZE, Deadline.after(5), EXAMPLE_SCENARIO).seed
        == other
    )
    monkeypatch.setattr(portfolio.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    best = race(fake_solve({other: 0.1}), 0, 2, MAXIMIZE, Deadline.after(5), EXAMPLE_SCENARIO)
    assert best.seed == 0


def test_a_first_solve_that_proves_every_stage_stops_the_others(tmp_path: Path) -> None:
    """Nothing can beat a proven schedule: the other solves are stopped, not awaited."""
    finished = tmp_path / "finished"

    def solve(seed: int, first: bool) -> fs.Schedule:
        if not first:
            time.sleep(30)
            finished.write_text("the other solve ran to its end")
        rows = stages(("OPTIMAL", 0.5, 0.5), ("OPTIMAL", -0.5, -0.5), ("OPTIMAL", 3, 3))
        return schedule(rows, seed)

    best = race(solve, 0, 2, MAXIMIZE, Deadline.after(60), EXAMPLE_SCENARIO)
    assert best.seed == 0 and best.status == Status.OPTIMAL
    assert multiprocessing.active_children() == []
    assert not finished.exists()


def test_an_error_in_this_process_stops_the_others() -> None:
    def solve(seed: int, first: bool) -> fs.Schedule:
        if first:
            raise RuntimeError("this process failed")
        time.sleep(30)
        raise AssertionError("not reached")

    with pytest.raises(RuntimeError, match="this process failed"):
        race(solve, 0, 3, MAXIMIZE, Deadline.after(60), EXAMPLE_SCENARIO)
    assert multiprocessing.active_children() == []


def test_a_crashing_solve_elsewhere_leaves_this_process_s_schedule() -> None:
    def solve(seed: int, first: bool) -> fs.Schedule:
        if not first:
            os._exit(3)  # as an abort in the solver would
        return fake_solve({})(seed, first)

    best = race(solve, 0, 2, MAXIMIZE, Deadline.after(60), EXAMPLE_SCENARIO)
    assert best.seed == 0
    assert multiprocessing.active_children() == []


def test_two_workers_under_a_work_limit_are_reproducible_and_never_worse() -> None:
    """Every solve is one deterministic worker, so the best of them is reproducible too."""
    team = tuple(
        fs.Engineer(f"e{i}", f"E {i}", ("senior", "mid", "junior")[i % 3], "US-CA")
        for i in range(6)
    )
    s = scenario(team, weeks=12)
    alone = fs.solve(s, time_limit=120, work_limit=1.5)
    first = fs.solve(s, time_limit=120, work_limit=1.5, workers=2)
    again = fs.solve(s, time_limit=120, work_limit=1.5, workers=2)
    assert first.assignments == again.assignments and first.seed == again.seed
    assert fs.validate(s, first) == []
    maximize = [stage.name == "min_deviation" for stage in first.stages]
    assert portfolio._key(first.stages, maximize) <= portfolio._key(alone.stages, maximize)
    # The seed reported is the solve that found it: one worker with it finds it again.
    found = fs.solve(s, time_limit=120, work_limit=1.5, seed=first.seed)
    assert found.assignments == first.assignments


def test_outcomes_are_plain_data() -> None:
    """What another process sends is its assignments and stages, never the scenario."""
    start = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)
    held = (Assignment("week-000", "primary", start, start + dt.timedelta(days=7), "ada"),)
    rows = stages(("OPTIMAL", 0.5, 0.5), ("OPTIMAL", -0.5, -0.5), ("OPTIMAL", 3, 3))
    data = pickle.dumps(Outcome(1, held, rows, False))
    assert b"Scenario" not in data
    assert pickle.loads(data).assignments == held


def test_nothing_buffered_is_printed_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked solve must not flush its copy of this process's buffered output at exit.

    (multiprocessing flushes the standard streams before it forks; a bare fork would not.)
    """
    path = tmp_path / "out.txt"
    with io.FileIO(path, "w") as raw:
        stream = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8")
        monkeypatch.setattr(sys, "stdout", stream)
        stream.write("planned so far")  # buffered: no newline, no flush

        def solve(seed: int, first: bool) -> fs.Schedule:
            if first:
                time.sleep(1.0)  # the other process sends its schedule and exits meanwhile
            return fake_solve({})(seed, first)

        race(solve, 0, 2, MAXIMIZE, Deadline.after(5), EXAMPLE_SCENARIO)
        stream.flush()
        monkeypatch.undo()
        stream.detach()
    assert path.read_text(encoding="utf-8").count("planned so far") == 1
