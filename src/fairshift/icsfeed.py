"""Read one iCalendar feed into the occurrences it has within a scenario's horizon.

This module knows about feeds, not about engineers, seats or turns: it reads a feed's bytes
and expands its events into :class:`Occurrence` values, each timed in UTC, for
:mod:`fairshift.readics` to match. How:

- **Bytes.** A feed is a path, or its content (bytes, or text starting with ``BEGIN:``). A
  file larger than :data:`MAX_FEED_BYTES`, a directory, text that is not UTF-8 or does not
  start with ``BEGIN:VCALENDAR``, and iCalendar that icalendar cannot parse are refused.
- **Events.** Every VEVENT of the feed; recurring events are expanded over the scenario's
  horizon by ``recurring-ical-events`` (RRULE, RDATE, EXDATE and moved occurrences), unless
  they would have more than :data:`MAX_EVENTS` occurrences up to the horizon's end. All-day
  events (DATE values) span whole days, 00:00 to 00:00 in the rotation's zone.
- **Time zones.** Times that cannot be placed are refused: floating times (no TZID, no
  ``Z``) without an ``X-WR-TIMEZONE``, an ``X-WR-TIMEZONE`` that is not a zone, and a TZID
  that is neither an IANA zone nor defined by a VTIMEZONE in the feed.

Every refusal is a :class:`~fairshift.ScenarioError` naming the feed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

from .errors import ScenarioError
from .scenario import Scenario
from .turns import horizon, local, utc

#: A feed: a path, or the feed's text or bytes.
Source = str | bytes | Path

#: The largest feed read, in bytes.
MAX_FEED_BYTES = 64 * 1024 * 1024
#: The most occurrences a feed's events may have up to the horizon's end (a runaway RRULE
#: is refused before it is expanded).
MAX_EVENTS = 200_000
#: Characters of an event's title quoted in messages.
SHOWN_CHARACTERS = 80
_MALFORMED = (AttributeError, IndexError, KeyError, OverflowError, TypeError, ValueError)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a VEVENT that lies in the horizon; times in UTC.

    Attributes
    ----------
    component
        The VEVENT of the occurrence (for a recurring event, with this occurrence's times).
    start, end
        The occurrence's boundaries.
    timed
        Whether DTSTART is a time (``False``: a DATE, 00:00 in the rotation's zone).
    """

    component: Any
    start: dt.datetime
    end: dt.datetime
    timed: bool


def load(source: Source) -> tuple[str, list[Any]]:
    r"""``(name, calendars)`` of a feed given as a path or as its content.

    Parameters
    ----------
    source
        A path to the feed, or its content (bytes, or text starting with ``BEGIN:``).

    Returns
    -------
    tuple of str and list
        The feed's name in messages (its path, or ``"the feed"``) and its VCALENDARs.

    Raises
    ------
    ScenarioError
        For a feed that cannot be read, is too large or is not iCalendar.

    Examples
    --------
    >>> name, calendars = load("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n")
    >>> name, len(calendars)
    ('the feed', 1)
    """
    if isinstance(source, bytes):
        return "the feed", _parse(source, "the feed")
    if isinstance(source, str) and (source.lstrip("\ufeff \t\r\n").startswith("BEGIN:")):
        return "the feed", _parse(source.encode("utf-8"), "the feed")
    path = Path(source)
    name = str(path)
    try:
        if path.is_dir():
            raise ScenarioError(
                "", "is a directory", "give the .ics file of one schedule", source=name
            )
        size = path.stat().st_size
        if size > MAX_FEED_BYTES:
            raise ScenarioError(
                "",
                f"is {size // 2**20} MiB, more than a feed needs",
                f"export the horizon's events alone (at most {MAX_FEED_BYTES // 2**20} MiB)",
                source=name,
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("", f"no such feed {name!r}", "check the path") from None
    except (OSError, ValueError) as error:  # ValueError: a path holding a NUL character
        reason = getattr(error, "strerror", None) or error
        raise ScenarioError("", f"cannot read {name!r} ({reason})", "check the path") from None
    return name, _parse(data, name)


def _parse(data: bytes, name: str) -> list[Any]:
    not_ical = ScenarioError(
        "",
        "is not an iCalendar feed (it does not start with BEGIN:VCALENDAR)",
        "give the .ics file your calendar or paging tool exports",
        source=name,
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_ical from None
    if "\x00" in text or not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise not_ical
    try:
        found = icalendar.Calendar.from_ical(text, multiple=True)
    except _MALFORMED as error:
        raise ScenarioError(
            "",
            f"is not valid iCalendar ({error})",
            "export the feed again, or fix the line named",
            source=name,
        ) from None
    calendars = [c for c in found if getattr(c, "name", "") == "VCALENDAR"]
    if not calendars:
        raise not_ical
    return calendars


def occurrences(scenario: Scenario, name: str, calendars: list[Any]) -> list[Occurrence]:
    """The occurrences in the scenario's horizon of a feed's events, in time order per calendar.

    Parameters
    ----------
    scenario
        Gives the horizon, and the rotation's zone for DATE values.
    name
        The feed's name in messages.
    calendars
        The feed's VCALENDARs, as :func:`load` returns them.

    Returns
    -------
    list of Occurrence
        Empty for a feed without events.

    Raises
    ------
    ScenarioError
        For times that cannot be placed, recurrences that would not end, and a feed with
        events none of which falls in the horizon.
    """
    zone = scenario.rotation.timezone
    for calendar in calendars:
        _check_zones(calendar, name, zone)
    found = [o for calendar in calendars for o in _occurrences(calendar, name, scenario)]
    if not found:
        count = sum(len(c.walk("VEVENT")) for c in calendars)
        if count:
            begin, end = horizon(scenario.rotation)
            raise ScenarioError(
                "",
                f"none of its {count} event(s) falls in the scenario's horizon "
                f"({begin:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {zone})",
                "export the feed for that period, or set rotation.start and rotation.weeks "
                "to the period the feed covers",
                source=name,
            )
    return found


def _check_zones(calendar: Any, name: str, zone: str) -> None:
    """Refuse times that cannot be placed: floating without X-WR-TIMEZONE, unknown TZIDs."""
    default = calendar.get("X-WR-TIMEZONE")
    if default is not None:
        try:
            ZoneInfo(str(default))
        except (ZoneInfoNotFoundError, ValueError):
            raise ScenarioError(
                "X-WR-TIMEZONE",
                f"{str(default)!r} is not a time zone",
                "use an IANA name such as America/Los_Angeles",
                source=name,
            ) from None
    for event in calendar.walk("VEVENT"):
        for key in ("DTSTART", "DTEND"):
            prop = event.get(key)
            if prop is None:
                if key == "DTSTART":
                    summary = str(event.get("SUMMARY", ""))
                    raise ScenarioError(
                        "",
                        f"event {shown(summary)} has no DTSTART",
                        "export the feed again",
                        source=name,
                    )
                continue
            value = getattr(prop, "dt", None)
            if not isinstance(value, dt.datetime) or value.tzinfo is not None:
                continue
            summary = str(event.get("SUMMARY", ""))
            when = f"event {shown(summary)} at {value:%Y-%m-%d %H:%M}"
            tzid = prop.params.get("TZID")
            if tzid:
                raise ScenarioError(
                    "",
                    f"{when} has TZID {str(tzid)!r}, which is neither an IANA zone nor "
                    "defined by a VTIMEZONE in the feed",
                    f"export the feed with IANA zone names (such as {zone}) or in UTC",
                    source=name,
                )
            if default is None:
                raise ScenarioError(
                    "",
                    f"{when} has a floating time (no TZID, no UTC 'Z'), so its zone is unknown",
                    "export the feed with time zones, or add the line "
                    f"X-WR-TIMEZONE:{zone} after BEGIN:VCALENDAR if its times are {zone} times",
                    source=name,
                )


def _occurrences(calendar: Any, name: str, scenario: Scenario) -> list[Occurrence]:
    """Every occurrence of one VCALENDAR's events in the horizon, in time order."""
    zone = scenario.rotation.timezone
    begin, finish = (utc(moment) for moment in horizon(scenario.rotation))
    _check_recurrences(calendar, name, zone, finish)
    found = []
    try:
        for component in recurring_ical_events.of(calendar).between(begin, finish):
            start, timed = _moment(component.get("DTSTART"), zone)
            end_prop = component.get("DTEND")
            if end_prop is None:
                end = start + (dt.timedelta(0) if timed else dt.timedelta(days=1))
            else:
                end, _ = _moment(end_prop, zone)
            # ``between`` includes both ends; an event that only touches the horizon is not in it.
            if start < finish and end > begin:
                found.append(Occurrence(component, start, end, timed))
    except _MALFORMED as error:
        raise ScenarioError(
            "",
            f"its events cannot be expanded ({error})",
            "check the recurrence rules (RRULE, RDATE, EXDATE) of the feed",
            source=name,
        ) from None
    found.sort(key=lambda o: (o.start, o.end, str(o.component.get("SUMMARY", ""))))
    return found


#: The shortest step of each RRULE frequency, in seconds (a month is at least 28 days).
_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
#: RRULE parts that can add occurrences within one step.
_EXPANDING = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO")


def _check_recurrences(calendar: Any, name: str, zone: str, finish: dt.datetime) -> None:
    """Refuse a feed whose recurrences would take too long to expand up to the horizon's end.

    Expansion walks every series from its first occurrence, so the bound counts from DTSTART:
    a rule repeating every second since 1990 is refused before it is expanded.
    """
    total = 0.0
    for event in calendar.walk("VEVENT"):
        total += 1
        prop = event.get("DTSTART")
        value = getattr(prop, "dt", None)
        if isinstance(value, dt.datetime):
            first = utc(value) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        elif isinstance(value, dt.date):
            first = utc(local(value, dt.time(0), zone))
        else:
            continue
        span = max((finish - first).total_seconds(), 0.0)
        for rule in as_list(event.get("RRULE")):
            total += _most_occurrences(rule, span)
        for dates in as_list(event.get("RDATE")):
            total += len(getattr(dates, "dts", ()))
        if total > MAX_EVENTS:
            summary = str(event.get("SUMMARY", ""))
            raise ScenarioError(
                "",
                f"its events, up to the horizon's end, would be more than {MAX_EVENTS} "
                f"(event {shown(summary)} recurs from {first:%Y-%m-%d})",
                "check its recurrence rules (RRULE), or export the horizon's events alone",
                source=name,
            )


def _most_occurrences(rule: Any, seconds: float) -> float:
    """An upper bound on the occurrences of an RRULE within ``seconds`` of its start."""
    try:
        freq = str(_first(rule.get("FREQ"), "DAILY")).upper()
        interval = max(int(_first(rule.get("INTERVAL"), 1)), 1)
        count = rule.get("COUNT")
        most = seconds / (_FREQ_SECONDS.get(freq, 1) * interval) + 1
        for key in _EXPANDING:
            most *= max(len(as_list(rule.get(key))), 1)
        return min(most, float(_first(count, 0))) if count else most
    except _MALFORMED:
        return 0.0  # the expansion itself reports a malformed rule


def _first(value: Any, default: Any) -> Any:
    found = as_list(value)
    return found[0] if found else default


def _moment(prop: Any, zone: str) -> tuple[dt.datetime, bool]:
    """A DTSTART or DTEND in UTC, and whether it was a time (a DATE is 00:00 in ``zone``)."""
    value = prop.dt
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # _check_zones refuses these first; an RDATE may slip by
            raise ValueError(f"floating time {value:%Y-%m-%d %H:%M}")
        return utc(value), True
    return utc(local(value, dt.time(0), zone)), False


def as_list(value: Any) -> list[Any]:
    """A property's values as a list (absent: none; one property, or a list of them).

    Examples
    --------
    >>> as_list(None), as_list("x"), as_list(["x", "y"])
    ([], ['x'], ['x', 'y'])
    """
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def shown(summary: str) -> str:
    """A title as messages quote it: at most :data:`SHOWN_CHARACTERS` characters.

    Examples
    --------
    >>> shown("Primary: Alex Chen")
    "'Primary: Alex Chen'"
    >>> len(shown("x" * 200)) == SHOWN_CHARACTERS + 2
    True
    """
    if len(summary) > SHOWN_CHARACTERS:
        summary = summary[: SHOWN_CHARACTERS - 3] + "..."
    return repr(summary)


__all__ = [
    "MAX_EVENTS",
    "MAX_FEED_BYTES",
    "SHOWN_CHARACTERS",
    "Occurrence",
    "Source",
    "as_list",
    "load",
    "occurrences",
    "shown",
]
