"""The ``fairshift`` command line: a thin layer over the public API.

Exit codes: 0 success, 1 schedule has violations (``check``, ``score``, ``export``,
``publish``), 2 invalid input, 3 no schedule exists, 4 no schedule found within the time
limit, 130 Ctrl-C (``plan`` writes the best schedule found so far, when there is one), 143
``SIGTERM`` (nothing new written).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, arguments
from .budget import command_deadline, output_reserve
from .calendar import expand
from .errors import (
    FairshiftError,
    InfeasibleError,
    NoSolutionFoundError,
    ScenarioError,
)
from .plandir import check_file_target, check_target, staged
from .scenario import Scenario
from .schedule import Schedule
from .terminal import terminal_text, warn

if TYPE_CHECKING:
    import pandas as pd

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_TIMEOUT = 0, 1, 2, 3, 4
#: Ctrl-C: the best plan found so far was written (``plan``), or nothing was (elsewhere).
EXIT_INTERRUPTED = 130
#: ``SIGTERM``: nothing new was written; an existing plan is left as it was.
EXIT_TERMINATED = 143


@dataclass(frozen=True)
class PlanRun:
    """What the outputs of ``fairshift plan`` are written from.

    Attributes
    ----------
    schedule
        The plan.
    comparison
        The plan beside the round-robin and greedy baselines (:func:`fairshift.compare`).
    previous
        The plan directory being replaced (its feeds decide which events changed).
    """

    schedule: Schedule
    comparison: pd.DataFrame
    previous: Path


#: Outputs of ``fairshift plan``: each writes into the staging directory.
PlanOutput = Callable[[PlanRun, Path], None]


def _write_tables(run: PlanRun, out: Path) -> None:
    run.schedule.write_tables(out)


def _write_scenario(run: PlanRun, out: Path) -> None:
    from .io import write_atomic

    # The inputs beside the plan: `publish --pagerduty` and later re-plans read them back.
    write_atomic(out / "scenario.toml", run.schedule.scenario.to_toml())


def _write_calendars(run: PlanRun, out: Path) -> None:
    from .ical import write_feeds

    # The previous feeds (whose state decides which events changed) are in the final
    # directory; ``out`` is the staging directory that replaces it.
    write_feeds(run.schedule, out / "calendars", previous=run.previous / "calendars")


def _write_report(run: PlanRun, out: Path) -> None:
    from .report import write_report

    write_report(run.schedule.scenario, run.schedule, out, comparison=run.comparison)


#: Outputs written by ``fairshift plan``, in order.
PLAN_OUTPUTS: tuple[PlanOutput, ...] = (
    _write_tables,
    _write_scenario,
    _write_calendars,
    _write_report,
)


def _progress(stage: str, value: float, bound: float, elapsed: float) -> None:
    print(
        f"  {stage:<24} best {value:10.2f}  bound {bound:10.2f}  {elapsed:6.1f} s",
        file=sys.stderr,
        flush=True,
    )


def cmd_plan(args: argparse.Namespace) -> int:
    """Solve a scenario and write schedule.csv, fairness.csv and the other outputs."""
    deadline = command_deadline(args.time_limit, args.started)
    scenario = Scenario.from_toml(args.scenario)
    warn([*scenario.warnings(), expand(scenario).gap_warning()])
    if args.history is not None:
        from .fairness import read_history

        balances = read_history(scenario, args.history)
        scenario = scenario.with_history({h: float(v) for h, v in balances.items()})
    out = Path(args.out)
    check_target(out)  # before solving: a plan that cannot be written is not worth a minute
    if any(not p.owner or not p.backup_owner for p in scenario.pipelines):
        from .ownership import assign_owners

        # Runbooks need an owner and a backup per pipeline; given owners are kept.
        scenario = scenario.replace(
            pipelines=assign_owners(
                scenario, seed=args.seed, time_limit=max(min(10.0, 0.1 * deadline.left()), 0.1)
            )
        )
    from .plots import preload
    from .solve import solve

    # The report's pictures need matplotlib: import it while the solver searches. Several
    # workers fork processes, which must not happen in the middle of an import in another
    # thread: then it is imported first.
    if args.workers == 1:
        threading.Thread(target=preload, name="preload-matplotlib", daemon=True).start()
    else:
        preload()
    schedule = solve(
        scenario,
        time_limit=args.time_limit,
        seed=args.seed,
        workers=args.workers,
        progress=_progress if args.progress else None,
        work_limit=args.work_limit,
        deadline=deadline.earlier(output_reserve(scenario, args.time_limit)),
    )
    from .report import default_comparison

    comparison = default_comparison(scenario, schedule)
    try:
        with staged(out) as staging:
            run = PlanRun(schedule, comparison, out)
            for write in PLAN_OUTPUTS:
                write(run, staging)
    except OSError as error:
        raise ScenarioError(
            "--out",
            f"cannot write the plan to {str(out)!r} ({error.strerror or error}); the "
            "previous plan there, if any, is unchanged",
            "free some space or give a directory you can write to",
        ) from None
    print(schedule.summary())
    print(f"\n{_versus_round_robin(schedule, comparison)}")
    print(
        f"\nwrote the plan to {out}/ (schedule.csv, fairness.csv, scenario.toml, report.md, "
        "report.html, calendars/)"
    )
    if schedule.interrupted:
        print("fairshift: interrupted; the plan written is the best found so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _versus_round_robin(schedule: Schedule, comparison: pd.DataFrame) -> str:
    """How the plan compares with a round-robin rotation of the same scenario."""
    from .compare import versus

    name = schedule.label or "fairshift"
    return versus(comparison, name, "round-robin")


def cmd_check(args: argparse.Namespace) -> int:
    """Re-check a schedule CSV against a scenario's hard rules."""
    from .validate import validate

    scenario = Scenario.from_toml(args.scenario)
    schedule = Schedule.read_csv(scenario, args.schedule)
    violations = validate(scenario, schedule)
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} violation(s) in {args.schedule}")
        return EXIT_VIOLATIONS
    print(f"{args.schedule}: every hard rule holds ({len(schedule.assignments)} shifts)")
    return EXIT_OK


def cmd_regions(args: argparse.Namespace) -> int:
    """List holiday region codes (countries, or one country's subdivisions)."""
    import holidays

    supported = holidays.list_supported_countries()
    if args.country:
        country = args.country.upper()
        if country not in supported:
            raise ScenarioError(
                "country", f"unknown country {args.country!r}", "run `fairshift regions`"
            )
        codes = [country, *(f"{country}-{s}" for s in supported[country])]
    else:
        codes = sorted(supported)
    print("\n".join(codes))
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Solve several scenarios in parallel and write the comparison as CSV."""
    from .io import csv_text, write_atomic
    from .sweep import sweep

    check_file_target(Path(args.out), "sweep.csv")
    scenarios = {str(path): Scenario.from_toml(path) for path in args.scenarios}
    executor = None
    client = None
    if args.scheduler:
        try:
            import distributed
        except ImportError:
            raise ScenarioError(
                "--scheduler", "needs Dask", 'install it with pip install "fairshift[sweep]"'
            ) from None
        try:
            client = distributed.Client(args.scheduler, timeout=10)  # type: ignore[no-untyped-call]
        except OSError as error:
            raise ScenarioError(
                "--scheduler", f"cannot reach {args.scheduler!r} ({error})", "check the address"
            ) from None
        executor = client.get_executor()  # type: ignore[no-untyped-call]

    def done(name: str, finished: int, total: int) -> None:
        bar = "#" * (20 * finished // total)
        print(f"\r[{bar:<20}] {finished}/{total} {name}", end="", file=sys.stderr, flush=True)

    try:
        table = sweep(
            scenarios, executor=executor, time_limit=args.time_limit, seed=args.seed, on_done=done
        )
    finally:
        print(file=sys.stderr)
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]
    write_atomic(args.out, csv_text(table, index=True, float_format="%.4f"))
    columns = ["status", "proven", "violations", "max_deviation", "seconds", "weeks_changed"]
    print(table[[c for c in columns if c in table.columns]].to_string(float_format="%.2f"))
    print(f"\nwrote {args.out}")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Send one seat to PagerDuty (``--pagerduty``), or the feeds to CalDAV (``--caldav``)."""
    if args.pagerduty:
        if args.user:
            raise ScenarioError(
                "--user",
                "applies to --caldav only",
                "drop it; the token comes from PAGERDUTY_API_TOKEN",
            )
        from .pdpublish import cmd_publish_pagerduty

        return cmd_publish_pagerduty(args)
    if args.seat or args.apply or args.scenario:
        raise ScenarioError(
            "--seat/--apply/--scenario",
            "apply to --pagerduty only",
            "drop them, or publish with --pagerduty ID",
        )
    from .publish import cmd_publish as publish_caldav_command

    return publish_caldav_command(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="fairshift", description="Provably fair on-call rotations."
    )
    parser.add_argument("--version", action="version", version=f"fairshift {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="solve a scenario and write the plan")
    plan.add_argument("scenario", help="scenario TOML file")
    plan.add_argument("--out", default="plan", help="output directory (default: plan)")
    arguments.add_solve_options(
        plan, time_help="seconds for the whole command, outputs included (default 60)"
    )
    plan.add_argument(
        "--workers",
        type=arguments.workers,
        default=1,
        help="whole solves side by side, one per core (default 1): the first with --seed, "
        "the others with seeds of their own; the best schedule is kept. Reproducible under "
        "--work-limit; under the time limit, NOT reproducible (no solve cut short by the clock "
        "is)",
    )
    plan.add_argument(
        "--work-limit",
        type=arguments.work,
        default=None,
        help="deterministic work budget: a solve cut short by it is still reproducible",
    )
    plan.add_argument(
        "--no-progress", dest="progress", action="store_false", help="hide solver progress"
    )
    plan.add_argument(
        "--history",
        metavar="PREVIOUS",
        help="carry each engineer's balance from an earlier plan (its --out directory)",
    )
    plan.set_defaults(run=cmd_plan)

    check = commands.add_parser("check", help="re-check a schedule CSV against the hard rules")
    check.add_argument("scenario", help="scenario TOML file")
    check.add_argument(
        "schedule", help="schedule CSV (start, end, role, engineer), or the plan directory"
    )
    check.set_defaults(run=cmd_check)

    from .score import add_arguments as add_score_arguments
    from .score import cmd_score

    score = commands.add_parser(
        "score",
        help="score the rota you have (iCalendar feeds or a schedule CSV) beside fairshift's plan",
    )
    add_score_arguments(score)
    score.set_defaults(run=cmd_score)

    sweep = commands.add_parser("sweep", help="solve several scenarios and compare them")
    sweep.add_argument("scenarios", nargs="+", help="scenario TOML files")
    sweep.add_argument("--out", default="sweep.csv", help="CSV to write (default sweep.csv)")
    arguments.add_solve_options(sweep, time_help="seconds per scenario (default 60)")
    sweep.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    sweep.set_defaults(run=cmd_sweep)

    from .export import add_cli as add_export_cli
    from .replan import add_cli as add_replan_cli
    from .swaps import add_cli as add_swaps_cli

    add_replan_cli(commands)
    add_swaps_cli(commands)
    add_export_cli(commands)

    regions = commands.add_parser("regions", help="list holiday region codes")
    regions.add_argument("country", nargs="?", help="list this country's subdivisions")
    regions.set_defaults(run=cmd_regions)

    from .publish import cmd_serve

    upload = commands.add_parser(
        "publish", help="send the plan to a CalDAV server (feeds) or to PagerDuty (one seat)"
    )
    upload.add_argument(
        "directory", metavar="DIR", help="plan directory (or a folder of .ics for --caldav)"
    )
    target = upload.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--caldav",
        metavar="URL",
        help="calendar home on the server, e.g. http://127.0.0.1:5232/alex/",
    )
    target.add_argument(
        "--pagerduty",
        metavar="SCHEDULE_ID",
        help="PagerDuty schedule whose overrides become the seat's (token from "
        "PAGERDUTY_API_TOKEN)",
    )
    upload.add_argument(
        "--user", help="--caldav: user name (password from FAIRSHIFT_CALDAV_PASSWORD, or asked for)"
    )
    upload.add_argument(
        "--seat",
        help="--pagerduty: seat to publish, e.g. primary, weekly.secondary (default: the first "
        "seat of the first shift type)",
    )
    upload.add_argument(
        "--apply",
        action="store_true",
        help="--pagerduty: send the changes (default: a dry run that prints them)",
    )
    upload.add_argument(
        "--scenario",
        metavar="FILE",
        help="--pagerduty: the scenario the plan was made from (default: DIR/scenario.toml)",
    )
    upload.set_defaults(run=cmd_publish)

    serve = commands.add_parser("serve", help="serve the calendar feeds on 127.0.0.1 (webcal)")
    serve.add_argument("directory", metavar="DIR", help="plan directory (or a folder of .ics)")
    serve.add_argument("--port", type=arguments.port, default=8080, help="TCP port (default 8080)")
    serve.set_defaults(run=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Time limits count from start-up when the arguments come from the command line
    (``argv`` is ``None``), and from this call when a caller passes ``argv``.
    """
    started = None if argv is None else time.perf_counter()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a bad argument (exit 2)
        return done.code if isinstance(done.code, int) else EXIT_INPUT
    args.started = started
    with _terminate_as_exception():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run one command and turn every expected failure into a message and an exit code."""
    try:
        code: int = args.run(args)
        return code
    except InfeasibleError as error:
        _error(f"no schedule exists.\n{error.explanation}")
        return EXIT_INFEASIBLE
    except NoSolutionFoundError as error:
        _error(str(error))
        return EXIT_TIMEOUT
    except FairshiftError as error:
        _error(f"error: {error}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _error("interrupted; nothing was written")
        return EXIT_INTERRUPTED
    except Terminated:
        _error("terminated; nothing was written")
        return EXIT_TERMINATED
    except BrokenPipeError:
        # The reader of our output went away (``fairshift plan ... | head``): not an error.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout for the rest of the run
        return EXIT_OK


def _error(message: str) -> None:
    print(f"fairshift: {terminal_text(message)}", file=sys.stderr)


class Terminated(BaseException):
    """``SIGTERM`` arrived: unwind (cleaning up staging) and exit with 143."""


@contextlib.contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """Turn ``SIGTERM`` into :class:`Terminated` while a command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
