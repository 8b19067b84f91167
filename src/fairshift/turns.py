"""Expand a rotation pattern over its horizon: turns, their on-call intervals, covered dates.

Semantics (the model, the validator and every statistic follow these):

- **Turns.** Turn ``k`` of a shift type starts at ``first + k * every`` in wall-clock local
  rotation time (a one-day turn across a DST change lasts 23 or 25 hours; a wall time that
  does not exist is read with ``fold=0``) and ends where turn ``k + 1`` starts. It belongs
  to the rotation when it lies wholly inside the horizon (from the rotation's start at
  handoff to ``weeks * 7`` days later) and its start date lies in an ``active`` window
  (when there are any) and in no ``except`` window. Month-end turns are the last business
  days of each month, from 00:00 of the first to 00:00 after the last.
- **On-call intervals** of a turn are the turn itself, cut to ``length``. With ``hours``
  they are the daily intervals ``[D at start, D or D+1 at end)`` clipped to the turn (and to
  ``length``) for the dates ``D`` whose weekday is in ``days``; without ``hours``, ``days``
  keeps the interval only if it starts on one of those weekdays. A turn with no on-call
  interval does not exist.
- **Covered dates.** An interval of 24 elapsed hours or more covers each date whose noon
  (rotation time) it contains, counting 1 day each. A shorter interval covers the date on
  which it starts, counting its elapsed hours / 24 of a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

from .pattern import Pattern, ShiftType
from .team import region_holidays
from .times import Span

NOON = dt.time(12, 0)
_DAY = dt.timedelta(days=1)


def utc(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC (aware datetimes sharing a zone compare as wall times)."""
    return moment.astimezone(dt.UTC)


def local(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """The aware datetime of a wall-clock ``time`` on ``day`` in ``zone`` (``fold=0``)."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone))


def elapsed_hours(start: dt.datetime, end: dt.datetime) -> Fraction:
    """Real elapsed hours from ``start`` to ``end`` (DST-correct), exactly."""
    seconds = (utc(end) - utc(start)) // dt.timedelta(seconds=1)
    return Fraction(seconds, 3600)


@dataclass(frozen=True)
class Interval:
    """One on-call stretch ``[start, end)``, aware datetimes in the rotation's zone."""

    start: dt.datetime
    end: dt.datetime

    @property
    def hours(self) -> Fraction:
        """Elapsed hours."""
        return elapsed_hours(self.start, self.end)

    def covered(self, zone: str) -> tuple[tuple[dt.date, Fraction], ...]:
        """``(date, fraction of a day)`` this interval covers (see the module docs)."""
        hours = self.hours
        if hours >= 24:
            return tuple((day, Fraction(1)) for day in noon_dates(self.start, self.end, zone))
        return ((self.start.astimezone(ZoneInfo(zone)).date(), hours / 24),)

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether ``[start, end)`` overlaps this interval, as instants."""
        return utc(self.start) < utc(end) and utc(start) < utc(self.end)


def noon_dates(start: dt.datetime, end: dt.datetime, zone: str) -> tuple[dt.date, ...]:
    """Dates ``D`` whose noon (in ``zone``) lies in ``[start, end)``."""
    tz = ZoneInfo(zone)
    day = start.astimezone(tz).date() - _DAY
    last = end.astimezone(tz).date() + _DAY
    begin, finish = utc(start), utc(end)
    found = []
    while day <= last:
        if begin <= utc(dt.datetime.combine(day, NOON, tzinfo=tz)) < finish:
            found.append(day)
        day += _DAY
    return tuple(found)


@dataclass(frozen=True)
class Turn:
    """One turn of a shift type: when it runs, when its holders are on call, what it covers.

    Attributes
    ----------
    shift
        Shift type name.
    index
        ``k``: turns are numbered from the first, skipped ones included, so that
        consecutive turns have consecutive numbers.
    id
        Stable name, e.g. ``"week-001"`` or ``"month-end-2027-03"``.
    start, end
        The turn's boundaries.
    intervals
        On-call intervals, in order.
    covered
        ``(date, fraction)`` over all intervals, in date order (a date twice is merged).
    """

    shift: str
    index: int
    id: str
    start: dt.datetime
    end: dt.datetime
    intervals: tuple[Interval, ...]
    covered: tuple[tuple[dt.date, Fraction], ...]

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """Covered dates, in order."""
        return tuple(day for day, _ in self.covered)

    @property
    def hours(self) -> Fraction:
        """Elapsed hours from start to end (DST-correct)."""
        return elapsed_hours(self.start, self.end)

    @property
    def on_call_hours(self) -> Fraction:
        """Elapsed hours on call: the intervals together."""
        return sum((i.hours for i in self.intervals), Fraction(0))

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether ``[start, end)`` overlaps the turn's ``[start, end)``, as instants."""
        return utc(self.start) < utc(end) and utc(start) < utc(self.end)


def expand_pattern(pattern: Pattern, rotation: object) -> dict[str, tuple[Turn, ...]]:
    """Every shift type's turns over the rotation's horizon, in order."""
    from .policy import Rotation

    assert isinstance(rotation, Rotation)
    return {shift.name: tuple(_turns(shift, rotation)) for shift in pattern.shifts}


def has_turns(shift: ShiftType, rotation: object) -> bool:
    """Whether ``shift`` has at least one turn in the rotation's horizon."""
    return next(_turns(shift, rotation), None) is not None


def horizon(rotation: object) -> tuple[dt.datetime, dt.datetime]:
    """The rotation's horizon: its start at handoff to ``weeks * 7`` days later."""
    from .policy import Rotation

    assert isinstance(rotation, Rotation)
    zone = rotation.timezone
    return (
        local(rotation.start, rotation.handoff, zone),
        local(rotation.end_date, rotation.handoff, zone),
    )


def _turns(shift: ShiftType, rotation: object) -> Iterator[Turn]:
    from .policy import Rotation

    assert isinstance(rotation, Rotation)
    zone = rotation.timezone
    begin, finish = (utc(moment) for moment in horizon(rotation))
    for index, ident, start, end in _bounds(shift, rotation):
        if utc(start) < begin or utc(end) > finish:
            continue
        day = start.astimezone(ZoneInfo(zone)).date()
        if shift.active and not any(window.contains(day) for window in shift.active):
            continue
        if any(window.contains(day) for window in shift.excluded):
            continue
        intervals = tuple(_intervals(shift, start, end, zone))
        if not intervals:
            continue
        yield Turn(shift.name, index, ident, start, end, intervals, _merge(intervals, zone))


def _bounds(
    shift: ShiftType, rotation: object
) -> Iterator[tuple[int, str, dt.datetime, dt.datetime]]:
    """``(index, id, start, end)`` of every candidate turn up to the horizon's end."""
    from .policy import Rotation

    assert isinstance(rotation, Rotation)
    zone = rotation.timezone
    prefix = shift.prefix or shift.name
    if shift.month_end:
        calendar = region_holidays(shift.calendar, rotation.start.year, rotation.end_date.year)
        year, month, index = rotation.start.year, rotation.start.month, 0
        while dt.date(year, month, 1) <= rotation.end_date:
            window = business_days_of_month(year, month, calendar)[-shift.business_days :]
            if window:
                start = local(window[0], dt.time(0), zone)
                end = local(window[-1] + _DAY, dt.time(0), zone)
                yield index, f"{prefix}-{year}-{month:02d}", start, end
                index += 1
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return
    assert isinstance(shift.every, Span) and shift.every.unit == "days"
    days = shift.every.amount
    first = shift.first or dt.datetime.combine(rotation.start, rotation.handoff)
    end_instant = utc(local(rotation.end_date, rotation.handoff, zone))
    index = 0
    while True:
        start = local(first.date() + dt.timedelta(days=index * days), first.time(), zone)
        if utc(start) >= end_instant:
            return
        end = local(first.date() + dt.timedelta(days=(index + 1) * days), first.time(), zone)
        yield index, f"{prefix}-{index + 1:03d}", start, end
        index += 1


def _cut(shift: ShiftType, start: dt.datetime, end: dt.datetime, zone: str) -> dt.datetime:
    """The end of the turn's on-call part: ``length`` from its start, never past its end."""
    if shift.length is None:
        return end
    if shift.length.unit == "days":
        day = start.astimezone(ZoneInfo(zone))
        cut = local(day.date() + dt.timedelta(days=shift.length.amount), day.time(), zone)
    else:
        cut = (utc(start) + dt.timedelta(hours=shift.length.amount)).astimezone(ZoneInfo(zone))
    return cut if utc(cut) < utc(end) else end


def _intervals(
    shift: ShiftType, start: dt.datetime, end: dt.datetime, zone: str
) -> Iterator[Interval]:
    stop = _cut(shift, start, end, zone)
    if shift.hours is None:
        if shift.days is None or start.astimezone(ZoneInfo(zone)).weekday() in shift.days:
            yield Interval(start, stop)
        return
    hours = shift.hours
    day = start.astimezone(ZoneInfo(zone)).date() - _DAY
    last = stop.astimezone(ZoneInfo(zone)).date()
    while day <= last:
        if shift.days is None or day.weekday() in shift.days:
            opens = local(day, hours.start, zone)
            closes = local(day + _DAY if hours.wraps else day, hours.end, zone)
            lo = max(utc(opens), utc(start))
            hi = min(utc(closes), utc(stop))
            if lo < hi:
                tz = ZoneInfo(zone)
                yield Interval(lo.astimezone(tz), hi.astimezone(tz))
        day += _DAY


def _merge(intervals: tuple[Interval, ...], zone: str) -> tuple[tuple[dt.date, Fraction], ...]:
    covered: dict[dt.date, Fraction] = {}
    for interval in intervals:
        for day, share in interval.covered(zone):
            covered[day] = covered.get(day, Fraction(0)) + share
    return tuple(sorted(covered.items()))


def business_days_of_month(year: int, month: int, holidays: dict[dt.date, str]) -> list[dt.date]:
    """Monday-to-Friday dates of a month that are not in ``holidays``."""
    day = dt.date(year, month, 1)
    days = []
    while day.month == month:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += _DAY
    return days
