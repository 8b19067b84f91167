"""Fairness statistics computed from a schedule's rows alone (solved, baseline or hand-made)."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import TYPE_CHECKING

import pandas as pd

from .burden import availability, fair_shares, shift_burden
from .calendar import Role, covered_dates, expand
from .scenario import Scenario

if TYPE_CHECKING:
    from .schedule import Schedule

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
)


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
    return {
        e.handle: burden[e.handle] - shares[e.handle] + e.history for e in scenario.engineers
    }


def per_engineer(scenario: Scenario, schedule: Schedule) -> pd.DataFrame:
    """Per-engineer statistics, one row each, in scenario order.

    Columns: ``engineer, name, seniority, primary_weeks, secondary_weeks, month_end_shifts,
    weekday_days, weekend_days, holiday_days, holidays`` (names of the own public holidays on
    call), ``burden, availability`` (weeks x fte), ``fair_share, history, deviation``.
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
    rows = []
    for e in scenario.engineers:
        tally = counts[e.handle]
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
                "; ".join(holiday_names[e.handle]),
                float(burden[e.handle]),
                float(available[e.handle]),
                float(shares[e.handle]),
                float(e.history),
                float(burden[e.handle] - shares[e.handle] + e.history),
            )
        )
    return pd.DataFrame(rows, columns=list(PER_ENGINEER_COLUMNS))
