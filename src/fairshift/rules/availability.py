"""Rules about when someone can be on call at all: leave, employment, working hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from ..calendar import Duty, ShiftCalendar
from ..team import Engineer
from ..turns import utc
from .base import ModelContext, RowContext, Rule, Violation, midnight


def _leave(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> str | None:
    return calendar.leave_conflict(engineer, duty)


def _check_leave(rows: RowContext) -> Iterator[Violation]:
    # Independent of the calendar's own test: whole days 00:00-24:00 in the engineer's zone
    # against every on-call interval of the duty.
    for handle, held in sorted(rows.held.items()):
        engineer = rows.engineer(handle)
        zone = rows.zone_of(engineer)
        for row, duty in held:
            for period in engineer.leave:
                begins = midnight(period.start, zone)
                ends = midnight(period.end + dt.timedelta(days=1), zone)
                if any(utc(i.start) < ends and begins < utc(i.end) for i in duty.turn.intervals):
                    yield Violation(
                        "leave",
                        handle,
                        rows.label(row, duty),
                        f"is {rows.phrase(duty)} but on leave {period.start} to {period.end}",
                    )


def _encode_leave(ctx: ModelContext) -> None:
    ctx.forbid(LEAVE)


LEAVE = Rule(
    "leave",
    "Nobody is on call during their leave",
    _encode_leave,
    _check_leave,
    "{who} moves leave away from {where}",
    _leave,
)


def _employment(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> str | None:
    return calendar.employment_conflict(engineer, duty)


def _check_employment(rows: RowContext) -> Iterator[Violation]:
    for handle, held in sorted(rows.held.items()):
        engineer = rows.engineer(handle)
        zone = rows.zone_of(engineer)
        for row, duty in held:
            first = min(utc(i.start) for i in duty.turn.intervals)
            last = max(utc(i.end) for i in duty.turn.intervals)
            if engineer.joined and first < midnight(engineer.joined, zone):
                yield Violation(
                    "employment",
                    handle,
                    rows.label(row, duty),
                    f"is {rows.phrase(duty)} before joining on {engineer.joined}",
                )
            if engineer.left and last > midnight(engineer.left + dt.timedelta(days=1), zone):
                yield Violation(
                    "employment",
                    handle,
                    rows.label(row, duty),
                    f"is {rows.phrase(duty)} after leaving on {engineer.left}",
                )


def _encode_employment(ctx: ModelContext) -> None:
    ctx.forbid(EMPLOYMENT)


EMPLOYMENT = Rule(
    "employment",
    "Nobody is on call before joining or after leaving",
    _encode_employment,
    _check_employment,
    "{who} starts earlier or stays longer (covering {where})",
    _employment,
)


def outside_working_hours(engineer: Engineer, duty: Duty, zone: str) -> dt.datetime | None:
    """The first on-call moment outside the engineer's daily working window, if any.

    An interval lies inside the union of the daily windows (own zone) when every instant of
    it falls in the window of some day; windows that wrap past midnight are allowed.
    """
    hours = engineer.working_hours
    if hours is None:
        return None
    tz = ZoneInfo(zone)
    for interval in duty.turn.intervals:
        moment = utc(interval.start)
        end = utc(interval.end)
        while moment < end:
            here = moment.astimezone(tz)
            day = here.date()
            windows = []
            for base in (day - dt.timedelta(days=1), day):
                opens = dt.datetime.combine(base, hours.start, tzinfo=tz)
                closes = dt.datetime.combine(
                    base + dt.timedelta(days=1) if hours.wraps else base, hours.end, tzinfo=tz
                )
                windows.append((utc(opens), utc(closes)))
            inside = [close for open_, close in windows if open_ <= moment < close]
            if not inside:
                return here
            moment = max(inside)
    return None


def _working_hours(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> str | None:
    if not calendar.shift_type(duty.shift).within_working_hours:
        return None
    zone = engineer.timezone or calendar.scenario.rotation.timezone
    outside = outside_working_hours(engineer, duty, zone)
    if outside is None:
        return None
    return (
        f"works {engineer.working_hours} {zone} and would be on call at "
        f"{outside:%Y-%m-%d %H:%M} there"
    )


def _encode_working(ctx: ModelContext) -> None:
    ctx.forbid(WORKING_HOURS)


def _check_working(rows: RowContext) -> Iterator[Violation]:
    for handle, held in sorted(rows.held.items()):
        engineer = rows.engineer(handle)
        for row, duty in held:
            why = _working_hours(rows.calendar, engineer, duty)
            if why is not None:
                yield Violation(
                    "working_hours", handle, rows.label(row, duty), f"{why}, as {rows.phrase(duty)}"
                )


WORKING_HOURS = Rule(
    "working_hours",
    "Follow-the-sun shifts lie inside their holder's working hours",
    _encode_working,
    _check_working,
    "let {who} be on call outside their working hours ({where})",
    _working_hours,
)
