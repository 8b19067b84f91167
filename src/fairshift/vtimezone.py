"""VTIMEZONE components (RFC 5545) with yearly rules, generated from the zone database.

:func:`vtimezone` describes a zone over a span as STANDARD and DAYLIGHT parts with yearly
RRULEs where the changes follow a rule (the second Sunday of March, the last Sunday of
October), and single observances where they do not. Calendar clients such as ical.js misread
the long RDATE lists other generators write, so rules are preferred wherever they hold.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import icalendar


@dataclass(frozen=True)
class _State:
    offset: dt.timedelta
    name: str
    dst: bool


@dataclass(frozen=True)
class _Transition:
    at: int  # POSIX seconds of the change
    before: _State
    after: _State

    @property
    def onset(self) -> dt.datetime:
        """Local wall time of the change, in the offset in force before it (RFC 5545)."""
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=self.at) + self.before.offset


def _state(zone: ZoneInfo, seconds: int) -> _State:
    moment = dt.datetime.fromtimestamp(seconds, zone)
    offset = moment.utcoffset() or dt.timedelta(0)
    return _State(offset, moment.tzname() or "", bool(moment.dst()))


def _transitions(zone: ZoneInfo, first: int, last: int) -> list[_Transition]:
    """Every change of offset, name or DST flag in ``[first, last)``, to the second."""
    found = []
    now, state = first, _state(zone, first)
    while now < last:
        step = min(now + 86_400, last)
        if _state(zone, step) == state:
            now = step
            continue
        low, high = now, step  # state(low) is the old state, state(high) is not
        while high - low > 1:
            middle = (low + high) // 2
            if _state(zone, middle) == state:
                low = middle
            else:
                high = middle
        after = _state(zone, high)
        found.append(_Transition(high, state, after))
        now, state = high, after
    return found


def _rule_candidates(day: dt.date) -> set[tuple[str, int, int]]:
    """Yearly rules that put an onset on ``day``: n-th or last weekday, or the day of month."""
    rules = {("day", day.day, 0)}
    nth = (day.day - 1) // 7 + 1
    if nth <= 4:
        rules.add(("nth", nth, day.weekday()))
    if day.day + 7 > _calendar.monthrange(day.year, day.month)[1]:
        rules.add(("last", -1, day.weekday()))
    return rules


_RULE_PREFERENCE = {"last": 0, "nth": 1, "day": 2}
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class _Run:
    """Consecutive yearly onsets that one RRULE describes."""

    kind: str
    first: _Transition
    last: _Transition
    rules: set[tuple[str, int, int]]
    count: int = 1


def _component(run: _Run, *, open_ended: bool) -> icalendar.Component:
    part: icalendar.Component = (
        icalendar.TimezoneDaylight() if run.kind == "DAYLIGHT" else icalendar.TimezoneStandard()
    )
    part.add("DTSTART", run.first.onset)
    if run.count > 1:
        kind, number, weekday = min(run.rules, key=lambda r: (_RULE_PREFERENCE[r[0]], r))
        rule: dict[str, Any] = {"FREQ": "YEARLY", "BYMONTH": run.first.onset.month}
        if kind == "day":
            rule["BYMONTHDAY"] = number
        else:
            rule["BYDAY"] = f"{number}{_WEEKDAY_CODES[weekday]}"
        if not open_ended:
            # A day past the last onset: clients that compare UNTIL with local times
            # (dateutil does) would otherwise drop the last onset east of UTC.
            rule["UNTIL"] = dt.datetime.fromtimestamp(run.last.at + 86_400, dt.UTC)
        part.add("RRULE", rule)
    part.add("TZNAME", run.first.after.name)
    part.add("TZOFFSETFROM", run.first.before.offset)
    part.add("TZOFFSETTO", run.first.after.offset)
    return part


def vtimezone(zone: str, start: dt.datetime, end: dt.datetime) -> icalendar.Timezone:
    """Build a VTIMEZONE for ``zone`` that is exact from ``start`` to a year after ``end``.

    Offsets come from the IANA database (``zoneinfo``). Changes that recur each year on the
    same rule (the n-th or last weekday of a month, or a fixed day) are written as one
    sub-component with a yearly RRULE, as Google Calendar and tzurl.org do; a rule still in
    force at the end of the range has no UNTIL. No RDATE is ever written.

    Parameters
    ----------
    zone
        IANA name, e.g. ``"America/Los_Angeles"``.
    start, end
        Aware datetimes: the span the times using this zone fall into.

    Returns
    -------
    icalendar.Timezone
        The VTIMEZONE component.

    Examples
    --------
    >>> import datetime as dt
    >>> first = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)
    >>> text = vtimezone("Europe/Berlin", first, first).to_ical().decode()
    >>> "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text, "RDATE" in text
    (True, False)
    """
    tz = ZoneInfo(zone)
    low = int(dt.datetime(min(start, end).year - 1, 1, 1, tzinfo=dt.UTC).timestamp())
    high = int(dt.datetime(max(start, end).year + 2, 1, 1, tzinfo=dt.UTC).timestamp())
    last_year = max(start, end).year + 1
    changes = _transitions(tz, low, high)
    runs: list[_Run] = []
    open_runs: dict[tuple[object, ...], _Run] = {}
    for change in changes:
        onset = change.onset
        kind = "DAYLIGHT" if change.after.dst else "STANDARD"
        key = (kind, change.before, change.after, onset.time(), onset.month)
        rules = _rule_candidates(onset.date())
        run = open_runs.get(key)
        if run is not None and run.last.onset.year == onset.year - 1 and run.rules & rules:
            run.rules &= rules
            run.last = change
            run.count += 1
        else:
            run = _Run(kind, change, change, rules)
            open_runs[key] = run
            runs.append(run)
    component = icalendar.Timezone()
    component.add("TZID", zone)
    horizon_start = int(min(start, end).timestamp())
    if not changes or changes[0].at > horizon_start:
        # The offset in force before the first change (or always, in a zone without any).
        initial = _state(tz, low)
        anchor = _Transition(low, initial, initial)
        component.add_component(
            _component(
                _Run("DAYLIGHT" if initial.dst else "STANDARD", anchor, anchor, set()),
                open_ended=True,
            )
        )
    for run in runs:
        component.add_component(_component(run, open_ended=run.last.onset.year >= last_year))
    return component
