"""Fairness statistics computed from a schedule's rows alone (solved, baseline or hand-made).

:func:`fairness` is the entry point: a per-engineer table and a summary of how evenly the
burden is spread. Burden relative to fair share is scored with :mod:`fairshift.metrics`:
each engineer's load is their burden plus the history they carry, and their fair share the
period's total burden split in proportion to availability, so the deviations are exactly
those the solver minimises.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate, pairwise
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd

from . import metrics
from .burden import availability, fair_shares, row_burden
from .calendar import expand, local, utc
from .errors import ScenarioError
from .rules import RowContext
from .scenario import Scenario
from .spread import categories, spreads

if TYPE_CHECKING:
    from .roster import Roster

#: The default shape's day categories' excess columns (patterns add their spread seats').
EXCESS_COLUMNS = ("month_end_shifts_excess", "weekend_days_excess", "holiday_days_excess")

#: Columns of :func:`per_engineer` for the default shape. A pattern of its own has, instead of
#: ``primary_weeks, secondary_weeks, month_end_shifts``, one column per seat id (turns held)
#: and ``on_call_hours``, and one excess column per category of stage 4.
#: The columns after the turns held, for every shape.
_DAY_AND_SHARE_COLUMNS = (
    "weekday_days",
    "weekend_days",
    "holiday_days",
    "holidays",
    "burden",
    "availability",
    "fair_share",
    "history",
    "deviation",
    "deviation_pct",
    "shortest_gap_weeks",
    "longest_gap_weeks",
    "owns",
)
PER_ENGINEER_COLUMNS = (
    "engineer",
    "name",
    "seniority",
    "primary_weeks",
    "secondary_weeks",
    "month_end_shifts",
    *_DAY_AND_SHARE_COLUMNS,
    *EXCESS_COLUMNS,
)

#: Keys of :attr:`Fairness.summary` for the default shape (patterns: one excess per category).
SUMMARY_KEYS = (*metrics.SUMMARY_KEYS, *EXCESS_COLUMNS)

#: The default shape's seat columns.
_LEGACY = {
    "weekly.primary": "primary_weeks",
    "weekly.secondary": "secondary_weeks",
    "month-end.month_end": "month_end_shifts",
}


def summary_keys(scenario: Scenario) -> tuple[str, ...]:
    """Keys of :attr:`Fairness.summary` for ``scenario``."""
    names = [f"{kind.name}_excess" for kind in categories(expand(scenario))]
    if scenario.default_shape and "month_end_shifts_excess" not in names:
        names.insert(0, "month_end_shifts_excess")  # today's keys, without month-end windows too
    return (*metrics.SUMMARY_KEYS, *names)


def matched(scenario: Scenario, schedule: Roster) -> RowContext:
    """The schedule's rows matched to the scenario's duties (a :class:`RowContext`)."""
    return RowContext(scenario, list(schedule.assignments))


def burdens(scenario: Scenario, schedule: Roster) -> dict[str, Fraction]:
    """Exact burden per engineer (unknown handles and unfilled shifts are ignored)."""
    rows = matched(scenario, schedule)
    totals = dict.fromkeys(scenario.handles, Fraction(0))
    for row, duty in rows.matched:
        if row.engineer in totals:
            engineer = scenario.engineer(row.engineer)
            totals[row.engineer] += row_burden(rows.calendar, engineer, row, duty)
    return totals


def deviations(scenario: Scenario, schedule: Roster) -> dict[str, Fraction]:
    """Exact deviation per engineer: burden - fair share + history."""
    burden = burdens(scenario, schedule)
    shares = fair_shares(sum(burden.values(), Fraction(0)), availability(expand(scenario)))
    return {e.handle: burden[e.handle] - shares[e.handle] + e.history for e in scenario.engineers}


def week_number(scenario: Scenario, start: dt.datetime) -> int:
    """Index of the rotation week in which ``start`` falls (0 for the first week)."""
    rotation = scenario.rotation
    return (start.astimezone(ZoneInfo(rotation.timezone)).date() - rotation.start).days // 7


def on_call_weeks(scenario: Scenario, schedule: Roster) -> dict[str, list[int]]:
    """Sorted week indices in which each engineer starts a turn (``may_overlap`` types aside).

    For the default shape: the weeks in which they are primary or secondary.
    """
    calendar = expand(scenario)
    weeks: dict[str, set[int]] = {handle: set() for handle in scenario.handles}
    for a in schedule.assignments:
        shift = a.shift or _shift_name(scenario, a.seat)
        if a.engineer in weeks and shift and not calendar.shift_type(shift).may_overlap:
            weeks[a.engineer].add(week_number(scenario, a.start))
    return {handle: sorted(held) for handle, held in weeks.items()}


def _shift_name(scenario: Scenario, seat: str) -> str | None:
    found = [s.name for s in scenario.shape.shifts if any(x.name == seat for x in s.seats)]
    return found[0] if len(found) == 1 else None


def gaps(weeks: list[int]) -> list[int]:
    """Whole weeks off call between consecutive on-call weeks (0 for back-to-back weeks).

    Examples
    --------
    >>> gaps([0, 1, 5, 9])
    [0, 3, 3]
    """
    return [later - earlier - 1 for earlier, later in pairwise(weeks)]


def _ownership(scenario: Scenario, handle: str) -> str:
    """Pipelines ``handle`` owns or backs up, e.g. ``"Profit (owner); Growth (backup)"``."""
    owned = [
        f"{p.name} ({'owner' if p.owner == handle else 'backup'})"
        for p in scenario.pipelines
        if handle in (p.owner, p.backup_owner)
    ]
    return "; ".join(owned)


def per_engineer(scenario: Scenario, schedule: Roster) -> pd.DataFrame:
    """Per-engineer statistics, one row each, in scenario order.

    Columns (default shape): ``engineer, name, seniority, primary_weeks, secondary_weeks,
    month_end_shifts, weekday_days, weekend_days, holiday_days, holidays`` (names of the own
    public holidays on call), ``burden, availability`` (fte x horizon dates employed and not
    on leave), ``fair_share, history, deviation``, ``deviation_pct`` (deviation as a
    percentage of fair share; NaN when the share is 0), ``shortest_gap_weeks,
    longest_gap_weeks`` (whole weeks off call between two on-call weeks; empty with fewer than
    two on-call weeks), ``owns`` (pipelines the engineer owns or backs up) and, per category
    of stage 4 (:func:`fairshift.spread.categories`), ``<category>_excess``: the count minus
    the fair count, NaN (``n/a``) for an engineer the category is not spread among.

    With a pattern of its own, the three turn counts are one column per seat id (``day.p1``:
    turns held) followed by ``on_call_hours``. Day counts cover every shift type but month-end
    ones, in fractions of a day for shorter intervals; a public holiday is counted as a
    holiday, not as a weekend day.
    """
    rows = matched(scenario, schedule)
    calendar = rows.calendar
    seat_ids = calendar.pattern.seat_ids
    default = scenario.default_shape
    if default:
        # Today's columns, whether or not the rotation has month-end windows.
        seat_ids = tuple(_LEGACY)
    seat_columns = [_LEGACY.get(s, s) if default else s for s in seat_ids]
    turns: dict[str, dict[str, int]] = {h: dict.fromkeys(seat_ids, 0) for h in scenario.handles}
    days: dict[str, dict[str, Fraction]] = {h: defaultdict(Fraction) for h in scenario.handles}
    hours: dict[str, Fraction] = dict.fromkeys(scenario.handles, Fraction(0))
    holiday_names: dict[str, list[str]] = defaultdict(list)
    for handle, held in rows.held.items():
        own = calendar.holidays[handle]
        for _row, duty in held:
            turns[handle][duty.seat_id] += 1
            hours[handle] += duty.turn.on_call_hours
            if calendar.shift_type(duty.shift).month_end:
                continue
            for day, share in duty.turn.covered:
                if day in own:
                    days[handle]["holiday_days"] += share
                    name = f"{own[day]} ({day})"
                    if name not in holiday_names[handle]:  # a day held in several seats
                        holiday_names[handle].append(name)
                elif day.weekday() >= 5:
                    days[handle]["weekend_days"] += share
                else:
                    days[handle]["weekday_days"] += share
    burden = burdens(scenario, schedule)
    available = availability(calendar)
    shares = fair_shares(sum(burden.values(), Fraction(0)), available)
    weeks = on_call_weeks(scenario, schedule)
    spread = spreads(scenario, schedule.assignments)
    excess = {name: found.excess for name, found in spread.items()}
    if default and "month_end_shifts" not in excess:
        excess = {"month_end_shifts": {}, **excess}
    columns = [
        "engineer",
        "name",
        "seniority",
        *seat_columns,
        *(() if default else ("on_call_hours",)),
        *_DAY_AND_SHARE_COLUMNS,
        *(f"{name}_excess" for name in excess),
    ]
    table_rows = []
    for e in scenario.engineers:
        tally = days[e.handle]
        deviation = burden[e.handle] - shares[e.handle] + e.history
        share = shares[e.handle]
        between = gaps(weeks[e.handle])
        table_rows.append(
            (
                e.handle,
                e.name,
                e.seniority.label,
                *(turns[e.handle][s] for s in seat_ids),
                *(() if default else (float(hours[e.handle]),)),
                _count(tally["weekday_days"]),
                _count(tally["weekend_days"]),
                _count(tally["holiday_days"]),
                " | ".join(holiday_names[e.handle]),
                float(burden[e.handle]),
                float(available[e.handle]),
                float(share),
                float(e.history),
                float(deviation),
                float(100 * deviation / share) if share else math.nan,
                min(between) if between else pd.NA,
                max(between) if between else pd.NA,
                _ownership(scenario, e.handle),
                *(
                    float(excess[name][e.handle]) if e.handle in excess[name] else math.nan
                    for name in excess
                ),
            )
        )
    table = pd.DataFrame(table_rows, columns=columns)
    return table.astype({"shortest_gap_weeks": "Int64", "longest_gap_weeks": "Int64"})


def _count(value: Fraction) -> int | float:
    """A day count: whole days as ``int``, fractions of a day as ``float``."""
    return int(value) if value.denominator == 1 else float(value)


def cumulative_burden(scenario: Scenario, schedule: Roster) -> pd.DataFrame:
    """Burden accumulated by each engineer at every week boundary of the horizon.

    A duty counts in full at the first boundary at or after its end; duties ending after the
    horizon count at its end. The first row (the horizon's start) is all zeros and the last
    equals :func:`burdens`.

    Returns
    -------
    pandas.DataFrame
        Indexed by date (the rotation's handoff every 7 days), one column per engineer
        handle, values in days.
    """
    rows = matched(scenario, schedule)
    calendar = rows.calendar
    rotation = scenario.rotation
    handoffs = [
        local(rotation.start + dt.timedelta(weeks=k), rotation.handoff, rotation.timezone)
        for k in range(rotation.weeks + 1)
    ]
    instants = [utc(moment) for moment in handoffs]
    steps = {handle: [Fraction(0)] * len(handoffs) for handle in scenario.handles}
    for row, duty in rows.matched:
        if row.engineer not in steps:
            continue
        engineer = scenario.engineer(row.engineer)
        at = min(bisect_left(instants, utc(row.end)), len(handoffs) - 1)
        steps[row.engineer][at] += row_burden(calendar, engineer, row, duty)
    table = pd.DataFrame(
        {handle: [float(v) for v in accumulate(values)] for handle, values in steps.items()},
        index=pd.Index([moment.date() for moment in handoffs], name="handoff"),
    )
    return table


def summarize(scenario: Scenario, schedule: Roster) -> dict[str, float | tuple[float, ...]]:
    """Summary metrics of a schedule (keys :data:`SUMMARY_KEYS`); see :func:`fairness`."""
    calendar = expand(scenario)
    burden = burdens(scenario, schedule)
    available = availability(calendar)
    shares = fair_shares(sum(burden.values(), Fraction(0)), available)
    loads = {e.handle: burden[e.handle] + e.history for e in scenario.engineers}
    summary = metrics.summarize(loads, shares)
    # Someone with no availability and no burden is not part of this period's rota: leave
    # them out of the relative metrics (their deviation, i.e. their history, still counts).
    present = [h for h in loads if shares[h] > 0 or burden[h] != 0]
    relative = metrics.summarize(
        {h: loads[h] for h in present} or loads,
        {h: shares[h] for h in present} or shares,
    )
    for key in ("cv", "gini", "jain", "balance"):
        summary[key] = relative[key]
    for name, spread in spreads(scenario, schedule.assignments).items():
        largest = spread.largest_excess
        summary[f"{name}_excess"] = math.nan if largest is None else float(largest)
    summary.setdefault("month_end_shifts_excess", math.nan)
    return {key: summary[key] for key in summary_keys(scenario)}


@dataclass(frozen=True, eq=False)
class Fairness:
    """How fair a schedule is: a per-engineer table and a summary.

    Attributes
    ----------
    per_engineer
        One row per engineer (see :func:`per_engineer` for the columns).
    summary
        Over burden relative to fair share (history included): ``max_deviation``,
        ``min_deviation``, ``deviation_range`` and ``std`` in days; ``cv``, ``gini``, ``jain``
        and ``balance`` on relative loads (burden + history over fair share); ``leximax``,
        the deviations sorted from largest to smallest; and ``month_end_shifts_excess``,
        ``weekend_days_excess``, ``holiday_days_excess``: for each category, the largest
        excess over the fair count among the engineers it is spread among (NaN when nobody
        is), the objective's last stage (:mod:`fairshift.spread`). See
        :mod:`fairshift.metrics`.
    """

    per_engineer: pd.DataFrame
    summary: dict[str, float | tuple[float, ...]]

    def __str__(self) -> str:
        lines = []
        for key, value in self.summary.items():
            if isinstance(value, tuple):
                shown = ", ".join(f"{v:+.2f}" for v in value)
                lines.append(f"{key:<24} ({shown})")
            else:
                lines.append(f"{key:<24} {value:.3f}")
        columns = ["engineer", "burden", "fair_share", "history", "deviation", "deviation_pct"]
        table = self.per_engineer[columns].to_string(index=False, float_format=lambda v: f"{v:.2f}")
        return "\n".join([*lines, table])


def fairness(scenario: Scenario, schedule: Roster) -> Fairness:
    """Per-engineer statistics and summary metrics of any schedule.

    Parameters
    ----------
    scenario
        The inputs the schedule answers (weights, availability, history).
    schedule
        Solved, baseline or read from a hand-made table.

    Returns
    -------
    Fairness
        ``.per_engineer`` (DataFrame) and ``.summary`` (dict).

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = (fs.Engineer("ana", "Ana", "senior", "US"), fs.Engineer("bo", "Bo", "mid", "US"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> report = fs.fairness(scenario, fs.round_robin(scenario))
    >>> report.per_engineer["primary_weeks"].tolist()
    [2, 2]
    >>> report.summary["jain"] <= 1
    True
    """
    return Fairness(per_engineer(scenario, schedule), summarize(scenario, schedule))


def read_history(scenario: Scenario, path: str | Path) -> dict[str, Fraction]:
    """Balances to carry over from a previous plan: the ``deviation`` column of its fairness.csv.

    Deviations were computed with the previous scenario's weights; they are carried to the
    hundredth of a day.

    Parameters
    ----------
    scenario
        The new scenario; every engineer in the file must be one of its engineers.
    path
        The previous plan's output directory, or its ``fairness.csv`` itself.

    Returns
    -------
    dict
        ``{handle: balance}`` for the engineers listed in the file.

    Raises
    ------
    ScenarioError
        When the file is missing or unreadable, lacks the ``engineer`` or ``deviation``
        column, or names an engineer the scenario does not have.
    """
    source = Path(path)
    file = source / "fairness.csv" if source.is_dir() else source
    fix = "give the output directory of an earlier `fairshift plan`"
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ScenarioError("history", f"there is no {str(file)!r}", fix) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ScenarioError("history", f"cannot read {str(file)!r} ({error})", fix) from None
    missing = [c for c in ("engineer", "deviation") if c not in table.columns]
    if missing:
        raise ScenarioError("history", f"{str(file)!r} has no {' or '.join(missing)} column", fix)
    known = set(scenario.handles)
    balances: dict[str, Fraction] = {}
    for i, (handle, text) in enumerate(zip(table["engineer"], table["deviation"], strict=True)):
        handle = handle.strip()
        where = f"row {i + 2}"
        if handle not in known:
            raise ScenarioError(
                f"{where}.engineer",
                f"{handle!r} is not an engineer of this scenario",
                f"use one of {', '.join(scenario.handles)}, or drop the row",
                source=str(file),
            )
        if handle in balances:
            raise ScenarioError(
                f"{where}.engineer", f"{handle!r} is listed twice", "keep one row", source=str(file)
            )
        try:
            value = Fraction(text.strip())
        except ValueError:
            raise ScenarioError(
                f"{where}.deviation",
                f"{text!r} is not a number",
                "write e.g. -1.25",
                source=str(file),
            ) from None
        balances[handle] = Fraction(round(value * 100), 100)
    return balances
