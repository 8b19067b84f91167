"""Checks a paging tool's API leaves to its clients, run on every export.

PagerDuty's published OpenAPI spec declares ``start`` and ``end`` as strings with
``format: date-time`` but does not enforce the format, allows any extra property, and says
nothing of order or overlaps. An export that passes the spec can still be refused, or worse,
accepted and wrong. These checks close that gap for the bodies :mod:`fairshift.pager`
builds:

- ``time``: every time is ISO 8601 with an explicit offset (``2027-01-04T09:00:00-08:00``
  or ``...Z``);
- ``order``: every end is after its start;
- ``overlap``: no two entries of the seat overlap;
- ``zone``: every ``time_zone`` is an IANA zone name.

Each function returns the problems found as :class:`Problem` (plain data); none means the
body passed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_ISO_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True)
class Problem:
    """One failed check.

    Attributes
    ----------
    check
        ``time``, ``order``, ``overlap`` or ``zone``.
    where
        The entry, e.g. ``overrides[3].end``.
    message
        What is wrong.
    """

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} ({self.check})"


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def parse_time(value: object) -> dt.datetime | None:
    """``value`` as an aware datetime if it is ISO 8601 with an offset, else ``None``.

    Examples
    --------
    >>> parse_time("2027-01-04T09:00:00-08:00").utcoffset()
    datetime.timedelta(days=-1, seconds=57600)
    >>> parse_time("2027-01-04T09:00:00") is None
    True
    """
    if not isinstance(value, str) or not _ISO_WITH_OFFSET.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def check_spans(
    entries: Sequence[Mapping[str, Any]], start: str, end: str, where: str
) -> list[Problem]:
    """Check ``start``/``end`` keys of each entry: ``time``, ``order`` and ``overlap``."""
    problems: list[Problem] = []
    spans: list[tuple[dt.datetime, dt.datetime, int]] = []
    for i, entry in enumerate(entries):
        times = []
        for key in (start, end):
            moment = parse_time(entry.get(key))
            if moment is None:
                problems.append(
                    Problem(
                        "time",
                        f"{where}[{i}].{key}",
                        f"{entry.get(key)!r} is not ISO 8601 with an offset",
                    )
                )
            times.append(moment)
        first, last = times
        if first is None or last is None:
            continue
        if last <= first:
            problems.append(
                Problem("order", f"{where}[{i}]", f"ends at {entry[end]}, not after its start")
            )
            continue
        spans.append((first, last, i))
    spans.sort()
    reach: tuple[dt.datetime, int] | None = None  # the latest end so far, and whose
    for begin, finish, i in spans:
        if reach is not None and begin < reach[0]:
            problems.append(
                Problem("overlap", f"{where}[{i}]", f"starts before {where}[{reach[1]}] ends")
            )
        if reach is None or finish > reach[0]:
            reach = (finish, i)
    return problems


def check_zones(values: Iterable[tuple[str, object]]) -> list[Problem]:
    """Check that each ``(where, value)`` is an IANA time zone name."""
    return [
        Problem("zone", where, f"{value!r} is not an IANA time zone name")
        for where, value in values
        if not isinstance(value, str) or value not in _zones()
    ]


def check_pagerduty_overrides(body: Mapping[str, Any]) -> list[Problem]:
    """Check a ``POST /schedules/{id}/overrides`` body (PagerDuty REST API v2)."""
    entries = body.get("overrides", [])
    problems = check_spans(entries, "start", "end", "overrides")
    problems += check_zones(
        (f"overrides[{i}].time_zone", entry.get("time_zone")) for i, entry in enumerate(entries)
    )
    return problems


def check_pagerduty_custom_shifts(body: Mapping[str, Any]) -> list[Problem]:
    """Check a ``POST /v3/schedules/{id}/custom_shifts`` body (PagerDuty v3)."""
    return check_spans(body.get("custom_shifts", []), "start_time", "end_time", "custom_shifts")


def check_opsgenie_overrides(bodies: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Check Opsgenie ``POST /v2/schedules/{id}/overrides`` bodies."""
    return check_spans(bodies, "startDate", "endDate", "overrides")
