"""One place that runs CP-SAT: deadlines, options, workers, and the command line's budget."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

import fairshift as fs
from conftest import EXAMPLE, scenario
from fairshift.budget import command_deadline, output_reserve
from fairshift.cli import main
from fairshift.runner import MAX_SEED, Deadline, Interrupt, SolverOptions, run, run_all


def test_deadline_counts_down_and_never_goes_negative() -> None:
    """left() shrinks to 0; sooner() and earlier() only ever move the deadline earlier."""
    deadline = Deadline.after(10)
    assert 9 < deadline.left() <= 10
    assert deadline.sooner(1).left() <= 1
    assert deadline.sooner(100).at == deadline.at
    assert deadline.earlier(4).left() <= 6
    past = Deadline.after(-1)
    assert past.left() == 0 and past.expired()


def test_command_deadline_counts_from_start_up() -> None:
    """The command line's limit counts from when the package was imported, unless told."""
    assert command_deadline(60).at == pytest.approx(fs.STARTED + 60)
    now = time.perf_counter()
    assert command_deadline(60, now).at == pytest.approx(now + 60)


def test_output_reserve_grows_with_the_team_but_stays_a_share() -> None:
    """Time kept back for writing files: more for larger teams, never most of the limit."""
    small = scenario()
    big = scenario(tuple(fs.Engineer(f"e{i}", f"E {i}", "senior", "US") for i in range(100)))
    assert output_reserve(big, 60) > output_reserve(small, 60)
    assert output_reserve(big, 2) <= 0.6 * 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": float("nan")}, "time_limit"),
        ({"seed": -1}, "seed"),
        ({"seed": MAX_SEED + 1}, "seed"),
        ({"workers": 0}, "workers"),
        ({"work_limit": float("inf")}, "work_limit"),
    ],
)
def test_solver_options_reject_out_of_range_values(options: dict[str, float], message: str) -> None:
    """Values CP-SAT would reject or crash on are caught, naming the option."""
    with pytest.raises(ValueError, match=message):
        SolverOptions(**options)  # type: ignore[arg-type]


def test_configure_never_interleaves_and_runs_one_worker_per_search() -> None:
    """Interleaved search aborts OR-Tools 9.15 with hints; parallel searches race instead."""
    solver = cp_model.CpSolver()
    SolverOptions(workers=4, seed=5).configure(solver, 3.0, 0.5)
    params = solver.parameters
    assert not params.interleave_search
    assert params.num_workers == 1
    assert params.random_seed == 5
    assert params.max_deterministic_time == 0.5
    assert not params.catch_sigint_signal


def test_run_all_solves_side_by_side_in_order() -> None:
    """Statuses come back in the order the jobs were given."""
    jobs = []
    for value in (3, 7):
        model = cp_model.CpModel()
        x = model.new_int_var(0, 10, "x")
        model.add(x == value)
        solver = cp_model.CpSolver()
        jobs.append((solver, model, None))
    assert run_all(jobs) == [cp_model.OPTIMAL, cp_model.OPTIMAL]
    assert [int(solver.objective_value) for solver, _, _ in jobs] == [0, 0]
    assert [solver.response_proto.solution[0] for solver, _, _ in jobs] == [3, 7]


def test_an_interrupted_solve_searches_no_more() -> None:
    """Once Ctrl-C was pressed, later searches return at once."""
    interrupt = Interrupt()
    interrupt.stop()
    model = cp_model.CpModel()
    model.new_bool_var("x")
    assert run(cp_model.CpSolver(), model, interrupt=interrupt) == cp_model.UNKNOWN


def test_two_workers_plan_without_crashing(tmp_path: Path) -> None:
    """--workers 2 used to abort the process (exit 134); now it plans and validates."""
    out = tmp_path / "plan"
    code = main(["plan", str(EXAMPLE), "--out", str(out), "--workers", "2", "--no-progress"])
    assert code == 0
    scenario_ = fs.Scenario.from_toml(EXAMPLE)
    schedule = fs.Schedule.read_csv(scenario_, out / "schedule.csv")
    assert fs.validate(scenario_, schedule) == []


def test_two_workers_on_a_large_team_keep_every_rule() -> None:
    """Whole solves side by side keep every hard rule, whichever of them wins."""
    team = tuple(fs.Engineer(f"e{i}", f"E {i}", "senior", "US-CA") for i in range(8))
    s = scenario(team, weeks=8)
    schedule = fs.solve(s, time_limit=5, workers=2)
    assert fs.validate(s, schedule) == []
    assert schedule.stages[0].bound is not None


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--workers", "0"),
        ("--seed", "2147483648"),
        ("--seed", "-1"),
        ("--work-limit", "nan"),
        ("--work-limit", "0"),
        ("--time-limit", "1e300"),
    ],
)
def test_bad_solver_arguments_exit_2_with_the_option_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    """Out-of-range solver options are input errors, caught before anything is solved."""
    code = main(["plan", str(EXAMPLE), "--out", str(tmp_path / "p"), option, value])
    assert code == 2
    err = capsys.readouterr().err
    assert option in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()


def test_help_says_when_more_workers_are_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    """A mode that is not always reproducible says when it is, where it is offered."""
    assert main(["plan", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Reproducible under --work-limit" in text and "NOT reproducible" in text
