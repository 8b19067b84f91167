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
from .burden import availability, fair_shares, shift_burden
from .calendar import WEEKLY_ROLES, Role, covered_dates, expand
from .errors import ScenarioError
from .scenario import Scenario
from .spread import CATEGORIES, spreads

if TYPE_CHECKING:
    from .schedule import Schedule

#: Per category of :data:`fairshift.spread.CATEGORIES`: the excess over the fair count
#: (:func:`per_engineer`) and the largest such excess (:attr:`Fairness.summary`).
EXCESS_COLUMNS = tuple(f"{category}_excess" for category in CATEGORIES)

#: Columns of :func:`per_engineer`.
PER_ENGINEER_COLUMNS = (
    "engineer",
    "name",
    "seniority",
    "primary_weeks",
    "secondary_weeks",
    "month_end_shifts",
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
    *EXCESS_COLUMNS,
)

#: Keys of :attr:`Fairness.summary`, in order.
SUMMARY_KEYS = (*metrics.SUMMARY_KEYS, *EXCESS_COLUMNS)


def burdens(scenario: Scenario, schedule: Schedule) -> dict[str, Fraction]:
    """Exact burden per engineer (unknown handles and unfilled shifts are ignored)."""
    calendar = expand(scenario)
    totals = dict.fromkeys(scenario.handles, Fraction(0))
    for a in schedule.assignments:
        if a.engineer in totals:
            engineer = scenario.engineer(a.engineer)
            totals[a.engineer] += shift_burden(calendar, engineer, a.role, a.start, a.end)
    return totals


def deviations(scenario: Scenario, schedule: Schedule) -> dict[str, Fraction]:
    """Exact deviation per engineer: burden - fair share + history."""
    burden = burdens(scenario, schedule)
    shares = fair_shares(sum(burden.values(), Fraction(0)), availability(expand(scenario)))
    return {e.handle: burden[e.handle] - shares[e.handle] + e.history for e in scenario.engineers}


def week_number(scenario: Scenario, start: dt.datetime) -> int:
    """Index of the rotation week in which ``start`` falls (0 for the first week)."""
    rotation = scenario.rotation
    return (start.astimezone(ZoneInfo(rotation.timezone)).date() - rotation.start).days // 7


def on_call_weeks(scenario: Scenario, schedule: Schedule) -> dict[str, list[int]]:
    """Sorted week indices in which each engineer holds a weekly role (primary or secondary)."""
    weeks: dict[str, set[int]] = {handle: set() for handle in scenario.handles}
    for a in schedule.assignments:
        if a.engineer in weeks and a.role in WEEKLY_ROLES:
            weeks[a.engineer].add(week_number(scenario, a.start))
    return {handle: sorted(held) for handle, held in weeks.items()}


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


def per_engineer(scenario: Scenario, schedule: Schedule) -> pd.DataFrame:
    """Per-engineer statistics, one row each, in scenario order.

    Columns: ``engineer, name, seniority, primary_weeks, secondary_weeks, month_end_shifts,
    weekday_days, weekend_days, holiday_days, holidays`` (names of the own public holidays on
    call), ``burden, availability`` (weeks x fte), ``fair_share, history, deviation``,
    ``deviation_pct`` (deviation as a percentage of fair share; NaN when the share is 0),
    ``shortest_gap_weeks, longest_gap_weeks`` (whole weeks off call between two on-call weeks;
    empty with fewer than two on-call weeks), ``owns`` (pipelines the engineer owns or backs up)
    and, per category of :data:`fairshift.spread.CATEGORIES`, ``<category>_excess``: the count
    minus the fair count, NaN (``n/a``) for an engineer the category is not spread among.
    Day counts cover weekly roles (primary and secondary); a public holiday is counted as a
    holiday, not as a weekend day.
    """
    calendar = expand(scenario)
    zone = scenario.rotation.timezone
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    holiday_names: dict[str, list[str]] = defaultdict(list)
    for a in schedule.assignments:
        if a.engineer not in calendar.holidays:
            continue
        tally = counts[a.engineer]
        tally[f"{a.role.value}_count"] += 1
        if a.role is Role.MONTH_END:
            continue
        own = calendar.holidays[a.engineer]
        for day in covered_dates(a.start, a.end, zone):
            if day in own:
                tally["holiday_days"] += 1
                holiday_names[a.engineer].append(f"{own[day]} ({day})")
            elif day.weekday() >= 5:
                tally["weekend_days"] += 1
            else:
                tally["weekday_days"] += 1
    burden = burdens(scenario, schedule)
    available = availability(calendar)
    shares = fair_shares(sum(burden.values(), Fraction(0)), available)
    weeks = on_call_weeks(scenario, schedule)
    excess = {c: spread.excess for c, spread in spreads(scenario, schedule.assignments).items()}
    rows = []
    for e in scenario.engineers:
        tally = counts[e.handle]
        deviation = burden[e.handle] - shares[e.handle] + e.history
        share = shares[e.handle]
        between = gaps(weeks[e.handle])
        rows.append(
            (
                e.handle,
                e.name,
                e.seniority.label,
                tally["primary_count"],
                tally["secondary_count"],
                tally["month_end_count"],
                tally["weekday_days"],
                tally["weekend_days"],
                tally["holiday_days"],
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
                    float(excess[c][e.handle]) if e.handle in excess[c] else math.nan
                    for c in CATEGORIES
                ),
            )
        )
    table = pd.DataFrame(rows, columns=list(PER_ENGINEER_COLUMNS))
    return table.astype({"shortest_gap_weeks": "Int64", "longest_gap_weeks": "Int64"})


def cumulative_burden(scenario: Scenario, schedule: Schedule) -> pd.DataFrame:
    """Burden accumulated by each engineer at every weekly handoff of the horizon.

    A shift counts in full at the first handoff at or after its end (a month-end window at
    the handoff that follows it); shifts ending after the horizon count at its last handoff.
    The first row (the first handoff) is all zeros and the last equals :func:`burdens`.

    Returns
    -------
    pandas.DataFrame
        Indexed by handoff date, one column per engineer handle, values in days.
    """
    calendar = expand(scenario)
    handoffs = [calendar.weeks[0].start, *(week.end for week in calendar.weeks)]
    steps = {handle: [Fraction(0)] * len(handoffs) for handle in scenario.handles}
    for a in schedule.assignments:
        if a.engineer not in steps:
            continue
        engineer = scenario.engineer(a.engineer)
        at = min(bisect_left(handoffs, a.end), len(handoffs) - 1)
        steps[a.engineer][at] += shift_burden(calendar, engineer, a.role, a.start, a.end)
    table = pd.DataFrame(
        {handle: [float(v) for v in accumulate(values)] for handle, values in steps.items()},
        index=pd.Index([moment.date() for moment in handoffs], name="handoff"),
    )
    return table


def summarize(scenario: Scenario, schedule: Schedule) -> dict[str, float | tuple[float, ...]]:
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
    for category, spread in spreads(scenario, schedule.assignments).items():
        largest = spread.largest_excess
        summary[f"{category}_excess"] = math.nan if largest is None else float(largest)
    return {key: summary[key] for key in SUMMARY_KEYS}


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


def fairness(scenario: Scenario, schedule: Schedule) -> Fairness:
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
