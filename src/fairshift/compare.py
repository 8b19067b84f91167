"""Line schedules up side by side: fairness summary, rule violations and gaps per schedule."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from .errors import FairshiftError, InfeasibleError, NoSolutionFoundError
from .fairness import SUMMARY_KEYS, summarize
from .rules import RowContext
from .scenario import Scenario
from .schedule import Schedule, Status
from .validate import validate

#: Columns of :func:`compare`, in order (the index holds the names given).
COMPARE_COLUMNS = (
    "status",
    "proven",
    "violations",
    "unfilled",
    *SUMMARY_KEYS,
    "seconds",
    "reason",
    "weeks_changed",
)

#: What :func:`compare` accepts per name: a schedule, or the error that stopped one.
Outcome = Schedule | FairshiftError


def unfilled_slots(scenario: Scenario, schedule: Schedule) -> int:
    """Count the shifts of the scenario that no engineer of the scenario holds.

    Counts rows with ``engineer == ""``, rows naming someone outside the team and shifts with
    no row at all.
    """
    rows = RowContext(scenario, list(schedule.assignments))
    team = set(scenario.handles)
    held = {duty.position for row, duty in rows.matched if duty and row.engineer in team}
    return sum(1 for duty in rows.calendar.duties if duty.position not in held)


def _schedule_row(schedule: Schedule) -> dict[str, object]:
    if schedule.status == Status.INFEASIBLE or not schedule.assignments:
        reason = str(schedule.explanation) if schedule.explanation else "no assignments"
        return _failed_row(schedule.status, reason, schedule.seconds)
    scenario = schedule.scenario
    return {
        "status": schedule.status,
        "proven": schedule.status == Status.OPTIMAL,
        "violations": len(validate(scenario, schedule)),
        "unfilled": unfilled_slots(scenario, schedule),
        **summarize(scenario, schedule),
        "seconds": schedule.seconds,
        "reason": "",
    }


def _failed_row(status: str, reason: str, seconds: float = math.nan) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(COMPARE_COLUMNS, math.nan)
    row.update(status=status, proven=False, seconds=seconds, reason=reason)
    row["leximax"] = ()
    return row


def _error_row(error: FairshiftError) -> dict[str, object]:
    if isinstance(error, InfeasibleError):
        return _failed_row(Status.INFEASIBLE, str(error.explanation))
    if isinstance(error, NoSolutionFoundError):
        return _failed_row("UNKNOWN", str(error))
    return _failed_row("ERROR", str(error))


def compare(schedules: Mapping[str, Outcome]) -> pd.DataFrame:
    """One table comparing schedules: status, proof, rule violations, gaps and fairness.

    Parameters
    ----------
    schedules
        ``{name: schedule}``; each is validated against and scored on its own scenario, so
        what-if variants of one team can stand side by side. A value may also be the
        :class:`~fairshift.FairshiftError` that stopped a plan (e.g. an
        :class:`~fairshift.InfeasibleError`): its row gives the status and the reason, and
        NaN for every metric.

    Returns
    -------
    pandas.DataFrame
        Indexed by name, columns :data:`COMPARE_COLUMNS`: ``status``, ``proven`` (every stage
        proven optimal), ``violations`` (hard-rule violations found by
        :func:`fairshift.validate`), ``unfilled`` (shifts nobody holds), the summary metrics
        of :func:`fairshift.fairness`, ``seconds`` (solve time) and ``reason`` (why there is
        no schedule), and ``weeks_changed``: the weekly shifts each engineer gains (+) or loses
        (-) against the first schedule.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 6), team)
    >>> table = fs.compare({"rr": fs.round_robin(scenario), "greedy": fs.greedy(scenario)})
    >>> table["status"].tolist(), table["unfilled"].tolist()
    (['GIVEN', 'GIVEN'], [0, 0])
    """
    rows = []
    for name, outcome in schedules.items():
        if isinstance(outcome, Schedule):
            rows.append(_schedule_row(outcome))
        elif isinstance(outcome, FairshiftError):
            rows.append(_error_row(outcome))
        else:
            raise TypeError(
                f"{name!r}: expected a Schedule or a FairshiftError, got {type(outcome).__name__}"
            )
    table = pd.DataFrame(rows, index=pd.Index(list(schedules), name="schedule"))
    reference = next(iter(schedules.values()), None)
    table["weeks_changed"] = [
        weeks_changed(reference, outcome)
        if isinstance(reference, Schedule) and isinstance(outcome, Schedule)
        else ""
        for outcome in schedules.values()
    ]
    # Patterns spread seats of their own: their excess columns join the default ones, and a
    # default category no schedule has (month-end, in a pattern without it) is left out.
    measured = [name for name, o in schedules.items() if isinstance(o, Schedule) and o.assignments]
    if any(o.scenario.default_shape for o in schedules.values() if isinstance(o, Schedule)):
        measured = []  # the default shape keeps today's columns
    extra = [c for c in table.columns if c.endswith("_excess") and c not in COMPARE_COLUMNS]
    columns = [
        c
        for c in COMPARE_COLUMNS
        if not (
            c.endswith("_excess")
            and measured
            and (c not in table.columns or table.loc[measured, c].isna().all())
        )
    ]
    at = columns.index("seconds")
    return table.reindex(columns=[*columns[:at], *extra, *columns[at:]])


def weeks_changed(reference: Schedule, other: Schedule) -> str:
    """Turns gained (+) or lost (-) per engineer, relative to ``reference``.

    Month-end windows are not counted: for the default shape these are the primary and
    secondary weeks.

    Examples
    --------
    An engineer listed as ``lisa -3`` holds three fewer primary or secondary weeks.
    """

    def weeks(schedule: Schedule) -> dict[str, int]:
        shape = schedule.scenario.shape
        windows = {(s.name, x.name) for s in shape.shifts if s.month_end for x in s.seats}
        single = {x.name: s.name for s in shape.shifts for x in s.seats}
        counts: dict[str, int] = {}
        for a in schedule.assignments:
            if (a.shift or single.get(a.seat, ""), a.seat) not in windows and a.engineer:
                counts[a.engineer] = counts.get(a.engineer, 0) + 1
        return counts

    if not set(reference.scenario.handles) & set(other.scenario.handles):
        return ""  # different teams: nothing to compare engineer by engineer
    before, after = weeks(reference), weeks(other)
    changes = [
        f"{handle} {after.get(handle, 0) - before.get(handle, 0):+d}"
        for handle in dict.fromkeys([*before, *after])
        if after.get(handle, 0) != before.get(handle, 0)
    ]
    return ", ".join(changes) or "no change"


def _missing(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _category_words(column: str) -> str:
    """``"month_end_shifts_excess"`` -> ``"month-end shifts"``."""
    name = column.removesuffix("_excess")
    if name == "month_end_shifts":
        return "month-end shifts"
    return "holiday days" if name == "holiday_days" else name.replace("_", " ")


def versus(table: pd.DataFrame, subject: str, baseline: str) -> str:
    """Describe how row ``subject`` of a :func:`compare` table fares against ``baseline``.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 6), team)
    >>> table = fs.compare({"rr": fs.round_robin(scenario), "greedy": fs.greedy(scenario)})
    >>> print(versus(table, "greedy", "rr").splitlines()[0])
    greedy compared with rr on the same inputs:
    """
    ours: dict[Hashable, Any] = table.loc[subject].to_dict()
    theirs: dict[Hashable, Any] = table.loc[baseline].to_dict()
    lines = [f"{subject} compared with {baseline} on the same inputs:"]
    if ours["reason"] or theirs["reason"]:
        for name, row in ((subject, ours), (baseline, theirs)):
            if row["reason"]:
                lines.append(f"  {name}: {row['status']}: {row['reason']}")
        return "\n".join(lines)
    rows: tuple[tuple[str, str, str], ...] = (
        ("largest deviation (days)", "max_deviation", "{:+.2f}"),
        ("smallest deviation (days)", "min_deviation", "{:+.2f}"),
        ("deviation range (days)", "deviation_range", "{:.2f}"),
        ("std of deviations (days)", "std", "{:.2f}"),
        ("Gini (0 = even)", "gini", "{:.4f}"),
        ("Jain's index (1 = even)", "jain", "{:.4f}"),
        ("balance score (1 = even)", "balance", "{:.4f}"),
        *(
            (f"{_category_words(key)}: largest excess", key, "{:+.2f}")
            for key in table.columns
            if key.endswith("_excess")
        ),
        ("rule violations", "violations", "{:d}"),
        ("unfilled shifts", "unfilled", "{:d}"),
    )
    width = max(len(label) for label, _, _ in rows)
    lines.append(f"  {'':<{width}}  {subject:>12}  {baseline:>12}")
    for label, key, form in rows:
        a, b = ours[key], theirs[key]
        if key.endswith("_excess") and _missing(a) and _missing(b):
            continue  # the category is empty (no month-end shifts, no public holidays)
        if form == "{:d}":
            a, b = int(a), int(b)
        shown = ["n/a" if _missing(v) else form.format(v) for v in (a, b)]
        lines.append(f"  {label:<{width}}  {shown[0]:>12}  {shown[1]:>12}")
    ranges = float(ours["deviation_range"]), float(theirs["deviation_range"])
    if ranges[1] > 0:
        change = 1 - ranges[0] / ranges[1]
        lines.append(
            f"  the gap between the most and the least loaded engineer is {ranges[0]:.2f} days "
            f"instead of {ranges[1]:.2f} ({change:.0%} smaller)"
            if change >= 0
            else f"  the gap between the most and the least loaded engineer is {ranges[0]:.2f} "
            f"days instead of {ranges[1]:.2f} ({-change:.0%} larger)"
        )
    return "\n".join(lines)
