"""Swaps: who could take an engineer's shift in exchange for one of their own shifts.

Every candidate swap is checked by the solver-independent validator, so a swap this module
offers never breaks a hard rule; candidates are ranked by the fairness of the swapped
schedule (largest absolute deviation, then the sum of squared deviations).
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import replace
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from .calendar import expand
from .errors import FairshiftError
from .fairness import deviations
from .roster import _ordered
from .scenario import Scenario
from .schedule import Assignment, Schedule
from .validate import validate

#: Columns of :func:`swaps`.
SWAP_COLUMNS = (
    "engineer",
    "name",
    "gives_slot",
    "gives_start",
    "seat",
    "max_abs_deviation",
    "sum_of_squares",
    "change_in_max_abs_deviation",
)
#: Columns of :func:`swaps` for the default shape: ``role`` (the seat's name) for ``seat``.
DEFAULT_SWAP_COLUMNS = tuple("role" if c == "seat" else c for c in SWAP_COLUMNS)


class SwapError(FairshiftError, ValueError):
    """A swap cannot be considered (notice period, unknown slot or engineer)."""


def _fairness(scenario: Scenario, schedule: Schedule) -> tuple[Fraction, Fraction]:
    """Largest absolute deviation and sum of squared deviations, exactly."""
    values = deviations(scenario, schedule).values()
    return max((abs(v) for v in values), default=Fraction(0)), sum(
        (v * v for v in values), Fraction(0)
    )


def swaps(
    scenario: Scenario,
    schedule: Schedule,
    engineer: str,
    slot_id: str,
    *,
    today: dt.date | str | None = None,
) -> pd.DataFrame:
    """List the swaps of ``engineer``'s shift in ``slot_id`` that keep every hard rule.

    A swap gives the shift to another engineer, who gives back one of their own turns in the
    same seat.

    Parameters
    ----------
    scenario
        The inputs.
    schedule
        The current rota (it should itself pass :func:`fairshift.validate`).
    engineer
        Handle of the engineer who wants to give the shift away.
    slot_id
        The turn (``"week-012"``, ``"month-end-2027-05"``, ``"day-004"``).
    today
        Date the swap is agreed (default: the current date). Both shifts must start at least
        ``scenario.rules.swap_notice_days`` days after it.

    Returns
    -------
    pandas.DataFrame
        One row per possible swap (columns :data:`SWAP_COLUMNS`, or
        :data:`DEFAULT_SWAP_COLUMNS` for the default shape): the partner, the slot they
        give in return, and the fairness of the swapped schedule in days: the largest
        absolute deviation, the sum of squared deviations, and the change in the largest
        absolute deviation. Best first (smallest largest deviation, then sum of squares).

    Raises
    ------
    SwapError
        When the slot starts within the notice period, or ``engineer`` does not hold it.

    Examples
    --------
    >>> import fairshift as fs
    >>> s = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
    >>> fs.swaps(s, fs.solve(s), "lisa", "week-019", today="2027-04-01")  # doctest: +SKIP
    """
    if isinstance(today, str):
        today = dt.date.fromisoformat(today)
    if today is None:
        today = dt.datetime.now(ZoneInfo(scenario.rotation.timezone)).date()
    if engineer not in scenario.handles:
        raise SwapError(f"{engineer!r} is not an engineer of this scenario")
    mine = [a for a in schedule.assignments if a.slot == slot_id and a.engineer == engineer]
    if not mine:
        raise SwapError(f"{engineer} holds no shift in slot {slot_id!r}")
    given = mine[0]
    notice = scenario.rules.swap_notice_days
    earliest = dt.datetime.combine(
        today + dt.timedelta(days=notice), dt.time(0), tzinfo=ZoneInfo(scenario.rotation.timezone)
    )
    if given.start < earliest:
        raise SwapError(
            f"{slot_id} starts {given.start.date()}, within the {notice}-day swap notice "
            f"period from {today}; swaps must be agreed by "
            f"{(given.start.date() - dt.timedelta(days=notice))}"
        )
    before_max, _ = _fairness(scenario, schedule)
    default = scenario.default_shape
    names = {e.handle: e.name for e in scenario.engineers}
    rows = []
    for theirs in schedule.assignments:
        if (
            (theirs.shift, theirs.seat) != (given.shift, given.seat)
            or theirs.engineer in ("", engineer)
            or theirs.slot == slot_id
            or theirs.start < earliest
        ):
            continue
        swapped = _swap(schedule, given, theirs)
        if validate(scenario, swapped):
            continue
        largest, squares = _fairness(scenario, swapped)
        rows.append(
            (
                theirs.engineer,
                names[theirs.engineer],
                theirs.slot,
                theirs.start.isoformat(),
                given.seat if default else f"{given.shift}.{given.seat}",
                float(largest),
                float(squares),
                float(largest - before_max),
                (largest, squares, theirs.start, theirs.engineer),
            )
        )
    rows.sort(key=lambda row: row[-1])
    columns = DEFAULT_SWAP_COLUMNS if default else SWAP_COLUMNS
    return pd.DataFrame([row[:-1] for row in rows], columns=list(columns))


def _swap(schedule: Schedule, given: Assignment, theirs: Assignment) -> Schedule:
    """``schedule`` with the holders of ``given`` and ``theirs`` exchanged."""
    changed = []
    for a in schedule.assignments:
        if a == given:
            changed.append(replace(a, engineer=theirs.engineer))
        elif a == theirs:
            changed.append(replace(a, engineer=given.engineer))
        else:
            changed.append(a)
    return replace(schedule, assignments=tuple(_ordered(changed, schedule.scenario)))


def slot_at(scenario: Scenario, seat: str, day: dt.date) -> str:
    """Id of the turn of ``seat`` (``"shift.seat"``, or a seat name) covering ``day``.

    Raises
    ------
    SwapError
        When no such turn covers that date, or the seat is unknown.
    """
    calendar = expand(scenario)
    pattern = calendar.pattern
    if "." not in seat:
        found = [s.name for s in pattern.shifts if any(x.name == seat for x in s.seats)]
        seat = f"{found[0]}.{seat}" if len(found) == 1 else seat
    try:
        shift, name = pattern.resolve(seat, "--seat")
    except FairshiftError as error:
        raise SwapError(str(error)) from None
    for duty in calendar.duties_of(shift, name):
        if day in duty.dates or duty.start.date() == day:
            return duty.id
    raise SwapError(f"no {seat} turn covers {day}")


# -- command line ---------------------------------------------------------------------------


def add_cli(commands: Any) -> None:
    """Add ``fairshift swaps SCENARIO SCHEDULE --engineer H --week DATE [--today DATE]``."""
    parser = commands.add_parser("swaps", help="list the swaps that keep every hard rule")
    parser.add_argument("scenario", help="scenario TOML")
    parser.add_argument("schedule", help="schedule CSV, or the plan directory")
    parser.add_argument("--engineer", required=True, help="handle giving the shift away")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--date", type=dt.date.fromisoformat, help="a date the turn covers")
    where.add_argument(
        "--week", type=dt.date.fromisoformat, help="a date in the week (default shape: primary)"
    )
    where.add_argument(
        "--month-end", type=dt.date.fromisoformat, help="a date in the month-end window"
    )
    parser.add_argument("--seat", help="the seat, e.g. weekly.secondary or day.p1 (with --date)")
    parser.add_argument("--today", type=dt.date.fromisoformat, help="default: the current date")
    parser.set_defaults(run=cmd_swaps)


def cmd_swaps(args: argparse.Namespace) -> int:
    """Print the possible swaps, best first."""
    from .terminal import warn

    scenario = Scenario.from_toml(args.scenario)
    warn([scenario.outside_horizon(args.today, "--today") if args.today else None])
    schedule = Schedule.read_csv(scenario, args.schedule)
    if args.date is not None:
        if not args.seat:
            raise SwapError("--date needs --seat, e.g. --seat weekly.primary")
        seat, day = args.seat, args.date
    elif args.week is not None:
        seat, day = args.seat or "weekly.primary", args.week
    else:
        seat, day = args.seat or "month-end.month_end", args.month_end
    slot_id = slot_at(scenario, seat, day)
    table = swaps(scenario, schedule, args.engineer, slot_id, today=args.today)
    if table.empty:
        print(f"no swap for {args.engineer} in {slot_id} keeps every hard rule")
    else:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0
