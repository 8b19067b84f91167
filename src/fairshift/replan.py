"""Re-plan with minimal change: keep the past and the frozen weeks, re-optimise the rest.

People plan their lives around a published rota, so a re-plan keeps every slot that has
started, plus the next ``freeze_weeks`` weeks, exactly as they were. The remaining slots are
re-optimised with the usual lexicographic fairness stages, and a final stage then minimises
the number of assignments that differ from the previous schedule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from ortools.sat.python import cp_model

from . import arguments
from .calendar import ShiftCalendar, utc
from .errors import FairshiftError, InfeasibleError
from .model.build import BuiltModel, build_model
from .rules import RowContext
from .runner import Deadline, SolverOptions, run
from .scenario import Scenario
from .schedule import Schedule, Stage, Status
from .solve import optimise
from .validate import validate

#: Columns of :attr:`Replan.diff`.
DIFF_COLUMNS = ("slot", "shift", "seat", "start", "before", "after")
#: Columns of :func:`diff` for the default shape (``role``: the seat), as before patterns.
DEFAULT_DIFF_COLUMNS = ("slot", "role", "start", "before", "after")


@dataclass(frozen=True)
class Replan:
    """A re-planned schedule and what changed.

    Attributes
    ----------
    schedule
        The new schedule (valid for the new scenario).
    previous
        The schedule it replaces.
    frozen
        Ids of the turns kept exactly as they were (past and frozen weeks).
    diff
        One row per changed assignment: ``slot, role, start, before, after`` (handles).
    """

    schedule: Schedule
    previous: Schedule
    frozen: tuple[str, ...]
    diff: pd.DataFrame

    @property
    def changed(self) -> int:
        """Number of assignments (slot and role) whose holder changed."""
        return len(self.diff)

    def to_dataframe(self) -> pd.DataFrame:
        """The changed assignments (same as :attr:`diff`)."""
        return self.diff.copy()

    def by_engineer(self) -> pd.DataFrame:
        """Per engineer, the slots gained and lost: ``engineer, gained, lost``."""
        rows = []
        for handle in self.schedule.scenario.handles:
            gained = [f"{s} {r}" for s, r, a in self._moves() if a == handle]
            lost = [f"{s} {r}" for s, r, b in self._moves(before=True) if b == handle]
            if gained or lost:
                rows.append((handle, ", ".join(gained), ", ".join(lost)))
        return pd.DataFrame(rows, columns=["engineer", "gained", "lost"])

    def _moves(self, *, before: bool = False) -> list[tuple[str, str, str]]:
        column = "before" if before else "after"
        return [
            (
                str(row.slot),
                str(getattr(row, "seat", getattr(row, "role", ""))),
                str(getattr(row, column)),
            )
            for row in self.diff.itertuples(index=False)
        ]

    def __str__(self) -> str:
        head = f"{self.changed} assignment(s) changed; {len(self.frozen)} slot(s) frozen"
        if not self.changed:
            return head
        return f"{head}\n{self.diff.to_string(index=False)}"


def frozen_slots(
    calendar: ShiftCalendar, today: dt.date, freeze_weeks: int
) -> tuple[set[int], dt.datetime]:
    """Positions of the duties that may not change, and the instant the free part starts.

    Turns that started before ``today`` (midnight in the rotation's zone) are history. The
    free part starts with the first turn (of a shift type that may not overlap others)
    starting ``freeze_weeks`` weeks or more after that midnight; every duty whose turn starts
    before it is frozen. For the default shape: the weeks that started, the next
    ``freeze_weeks`` weeks, and the month-end windows starting before the first free week.
    """
    zone = ZoneInfo(calendar.scenario.rotation.timezone)
    midnight = utc(dt.datetime.combine(today, dt.time(0), tzinfo=zone))
    later = midnight + dt.timedelta(weeks=freeze_weeks)
    starts = [
        utc(turn.start)
        for shift in calendar.pattern.shifts
        if not shift.may_overlap
        for turn in calendar.turns[shift.name]
        if utc(turn.start) >= later
    ]
    horizon = min(starts) if starts else dt.datetime.max.replace(tzinfo=dt.UTC)
    frozen = {d.position for d in calendar.duties if utc(d.start) < horizon}
    return frozen, horizon


def replan(
    scenario: Scenario,
    previous: Schedule,
    *,
    today: dt.date | str,
    freeze_weeks: int = 1,
    slack: float = 0.0,
    time_limit: float = 60.0,
    seed: int = 0,
    deadline: Deadline | None = None,
) -> Replan:
    """Re-plan after a change of inputs, keeping the past and the frozen weeks as they were.

    Parameters
    ----------
    scenario
        The changed scenario (e.g. with new leave); same rotation as ``previous``.
    previous
        The schedule people have been working from.
    today
        Slots that started before this date, and the next ``freeze_weeks`` weekly slots (with
        the month-end windows starting before the end of that span), keep their holder.
    freeze_weeks
        Weeks after ``today`` that stay exactly as they were.
    slack
        Days by which the largest deviation may exceed its best value (given the frozen
        slots) in exchange for fewer changes; ``0`` keeps fairness optimal.
    time_limit
        Wall-clock seconds for the whole call, building the model included.
    seed
        Random seed.
    deadline
        An earlier end than ``time_limit`` allows (the command line keeps time back for
        writing the outputs).

    Returns
    -------
    Replan
        The new schedule and the diff against ``previous``. The largest deviation is
        minimised first (``best_max_deviation``) and then held within ``slack`` of it; the
        number of changed assignments is minimised next (``changes``); the fairness stages
        of :func:`fairshift.solve` then break the remaining ties among the minimal-change
        schedules. The schedule's stages list the re-plan's own largest deviation first,
        then ``best_max_deviation``, ``changes`` and the other fairness stages.

    Raises
    ------
    FairshiftError
        When a frozen assignment now breaks a hard rule (e.g. new leave inside the frozen
        weeks), naming the slot and the rule, or when ``previous`` leaves a frozen slot
        unfilled.

    Examples
    --------
    >>> import fairshift as fs
    >>> s = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
    >>> plan = fs.solve(s)  # doctest: +SKIP
    >>> r = fs.replan(s.with_leave("lisa", "2027-06-07", "2027-06-20"), plan,
    ...               today="2027-03-01")  # doctest: +SKIP
    >>> r.diff  # doctest: +SKIP
    """
    end = Deadline.after(time_limit)
    if deadline is not None and deadline.at < end.at:
        end = deadline
    options = SolverOptions(time_limit=time_limit, seed=seed)  # checks the time limit and seed
    if isinstance(today, str):
        today = dt.date.fromisoformat(today)
    if isinstance(slack, bool) or not isinstance(slack, int | float) or not 0 <= slack < math.inf:
        raise FairshiftError(f"slack {slack!r} must be a finite number of days, 0 or more")
    if isinstance(freeze_weeks, bool) or not isinstance(freeze_weeks, int) or freeze_weeks < 0:
        raise FairshiftError(f"freeze_weeks {freeze_weeks!r} must be a whole number >= 0")
    built = build_model(scenario, deadline=end)
    calendar = built.calendar
    frozen, _ = frozen_slots(calendar, today, freeze_weeks)
    # The previous plan's holder of each duty of this scenario (matched by seat and start).
    rows = RowContext(scenario, list(previous.assignments))
    before = {duty.position: row.engineer for row, duty in rows.matched if duty is not None}
    frozen_ids = {d.id for d in calendar.duties if d.position in frozen}

    # A frozen assignment that breaks a hard rule of the new scenario cannot be kept.
    broken = [
        f"frozen slot {v.slot}: {v.engineer} {v.message} (rule {v.rule_name})"
        for v in validate(scenario, previous)
        if v.slot in frozen_ids and v.rule != "coverage"
    ]
    if broken:
        raise FairshiftError(
            "; ".join(broken) + "; move today earlier, freeze fewer weeks, or agree a swap first"
        )
    for duty in calendar.duties:
        if duty.position not in frozen:
            continue
        if duty.position not in before:
            rotation = scenario.rotation
            raise FairshiftError(
                f"the previous plan has no {duty.seat} for the shift starting "
                f"{duty.start.isoformat()} (frozen slot {duty.id}): its shifts do not line "
                f"up with this scenario's, which start on {rotation.start} at "
                f"{rotation.handoff:%H:%M} {rotation.timezone}; re-plan with the scenario "
                "the plan was made from, changed only where something changed"
            )
        holder = before[duty.position]
        if holder not in scenario.handles:
            raise FairshiftError(
                f"frozen slot {duty.id}: the previous {duty.seat} holder "
                f"{holder or '(nobody)'!r} is not an engineer of this scenario"
            )
        built.model.add(built.vars.holds(holder, duty) == 1)

    kept = [
        var
        for handle, duty, var in built.vars.items()
        if duty.position not in frozen and before.get(duty.position) == handle
    ]
    free = sum(1 for duty in calendar.duties if duty.position not in frozen)

    def changes() -> cp_model.LinearExprT:
        # Each free duty either keeps its previous holder or counts as one change.
        return free - sum(kept)

    hint = {(handle, position): 1 for position, handle in before.items() if handle}
    objective = built.objective
    assert objective is not None
    own_stages: list[Stage] = []
    if objective.deviation:
        # Stage 1: the largest deviation, as good as the frozen slots allow (plus slack).
        largest = objective.largest_deviation()
        stage, best = _minimise(built, largest, hint, end, options, "best_max_deviation", share=0.4)
        stage = replace(
            stage,
            description="smallest largest deviation the frozen slots allow",
            value=objective.to_units(stage.value or 0),
            bound=objective.to_units(stage.bound or 0),
        )
        own_stages.append(stage)
        limit = best + math.floor(slack * objective.team_availability * objective.scale)
        built.model.add(largest <= limit)
    # Stage 2: the fewest changes among schedules as fair.
    stage, fewest = _minimise(built, changes(), hint, end, options, "changes", share=0.6)
    own_stages.append(replace(stage, description="minimise changed assignments"))
    built.model.add(changes() <= fewest)
    # The remaining fairness stages break ties among the minimal-change schedules.
    try:
        schedule = optimise(built, options, hint=hint, deadline=end)
    except InfeasibleError as error:  # pragma: no cover - stage 2 found a schedule
        raise FairshiftError(f"re-planning failed: {error}") from error
    # The re-plan's own largest deviation stays stage 1 (``Schedule.objective``); it equals
    # ``best_max_deviation`` unless slack was used.
    first, rest = schedule.stages[:1], schedule.stages[1:]
    stages = (*first, *own_stages, *rest)
    proven = all(stage.proven for stage in stages)
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    schedule = replace(schedule, stages=stages, status=status)
    return Replan(schedule, previous, tuple(sorted(frozen_ids)), diff(previous, schedule))


def _minimise(
    built: BuiltModel,
    expression: cp_model.LinearExprT,
    hint: dict[tuple[str, int], int],
    deadline: Deadline,
    options: SolverOptions,
    name: str,
    *,
    share: float,
) -> tuple[Stage, int]:
    """Minimise ``expression`` on ``built`` (hinted); return the stage and its integer optimum.

    The stage may use ``share`` of the time left, so that later stages keep some.

    Raises
    ------
    FairshiftError
        When no schedule keeps the frozen slots, or none is found in time.
    """
    model = built.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    for handle, duty, var in built.vars.items():
        model.add_hint(var, hint.get((handle, duty.position), 0))
    model.minimize(expression)
    solver = options.solver(share * deadline.left())
    started = time.perf_counter()
    status = run(solver, model)
    seconds = time.perf_counter() - started
    if status == cp_model.INFEASIBLE:
        raise FairshiftError(
            "no valid schedule keeps the frozen slots as they were; freeze fewer weeks, move "
            "today earlier or relax a rule"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise FairshiftError(
            f"no re-plan found within the time limit (stage {name}); raise the time limit"
        )
    value = round(solver.objective_value)
    for handle, duty, var in built.vars.items():
        hint[handle, duty.position] = solver.value(var)
    status_name = Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE
    stage = Stage(name, "", status_name, value, solver.best_objective_bound, seconds)
    return stage, value


def diff(previous: Schedule, schedule: Schedule) -> pd.DataFrame:
    """Assignments whose holder differs: ``slot, shift, seat, start, before, after``.

    For the default shape the columns are ``slot, role, start, before, after``.
    """
    default = schedule.scenario.default_shape
    old = RowContext(schedule.scenario, list(previous.assignments))
    new = RowContext(schedule.scenario, list(schedule.assignments))
    before = {duty.position: row.engineer for row, duty in old.matched if duty is not None}
    rows = [
        (
            duty.id,
            *((duty.seat,) if default else (duty.shift, duty.seat)),
            duty.start.isoformat(),
            before.get(duty.position, ""),
            row.engineer,
        )
        for row, duty in new.matched
        if duty is not None and before.get(duty.position, "") != row.engineer
    ]
    return pd.DataFrame(rows, columns=list(DEFAULT_DIFF_COLUMNS if default else DIFF_COLUMNS))


# -- command line ---------------------------------------------------------------------------


def add_cli(commands: Any) -> None:
    """Add ``fairshift replan SCENARIO --previous DIR --today DATE --out DIR``."""
    parser = commands.add_parser("replan", help="re-plan with minimal change after new inputs")
    parser.add_argument("scenario", help="the changed scenario TOML")
    parser.add_argument("--previous", required=True, help="directory with schedule.csv")
    parser.add_argument("--today", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument(
        "--freeze-weeks", type=arguments.weeks, default=1, help="weeks kept (default 1)"
    )
    parser.add_argument(
        "--slack",
        type=arguments.days,
        default=0.0,
        help="days of largest deviation to give up for fewer changes (default 0)",
    )
    parser.add_argument("--out", required=True, help="output directory")
    arguments.add_solve_options(
        parser, time_help="seconds for the whole command, outputs included (default 60)"
    )
    command: Callable[[argparse.Namespace], int] = cmd_replan
    parser.set_defaults(run=command)


def cmd_replan(args: argparse.Namespace) -> int:
    """Re-plan, write ``schedule.csv`` and ``changes.csv`` into ``--out`` and print the diff."""
    from pathlib import Path

    from .budget import command_deadline, output_reserve
    from .io import csv_text, write_atomic
    from .plandir import check_target, staged
    from .terminal import warn

    deadline = command_deadline(args.time_limit, getattr(args, "started", None))
    out = Path(args.out)
    check_target(out)
    scenario = Scenario.from_toml(args.scenario)
    warn([*scenario.warnings(), scenario.outside_horizon(args.today, "--today")])
    previous = Schedule.read_csv(scenario, Path(args.previous))
    # The previous plan's feeds decide which events changed (--previous may name its CSV).
    plan = Path(args.previous) if Path(args.previous).is_dir() else Path(args.previous).parent
    result = replan(
        scenario,
        previous,
        today=args.today,
        freeze_weeks=args.freeze_weeks,
        slack=args.slack,
        time_limit=args.time_limit,
        seed=args.seed,
        deadline=deadline.earlier(output_reserve(scenario, args.time_limit)),
    )
    with staged(out) as staging:
        result.schedule.write_tables(staging)
        write_atomic(staging / "changes.csv", csv_text(result.diff))
        # Feeds compare against the previous plan's, so only changed events bump SEQUENCE.
        result.schedule.to_ics(staging / "calendars", previous=plan / "calendars")
    print(result)
    print(f"\nwrote {out}/ (schedule.csv, changes.csv, fairness.csv, calendars/)")
    return 0
