"""Values of time written in scenario files: lengths, daily windows and date windows.

``"2 weeks"`` and ``"64 hours"`` (:class:`Span`), ``"09:00-17:00"`` (:class:`DailyHours`)
and ``{ from = "12-24", to = "12-26" }`` (:class:`DateWindow`); each reads what people write
and says how to write it when it cannot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import ScenarioError


@dataclass(frozen=True)
class Span:
    """A length of time written ``"N days"``, ``"N weeks"`` or ``"N hours"``.

    Days and weeks are wall-clock (a day across a DST change lasts 23 or 25 hours); hours
    are elapsed.

    Examples
    --------
    >>> Span.parse("2 weeks", "every")
    Span(amount=14, unit='days')
    """

    amount: int
    unit: str  # "days" or "hours"

    @classmethod
    def parse(cls, value: object, field: str, *, hours: bool = False, limit: int = 3660) -> Span:
        """Read ``"N days"``/``"N weeks"`` (and ``"N hours"`` when ``hours``)."""
        units = ("days", "weeks", "hours") if hours else ("days", "weeks")
        example = '"8 hours", "1 day" or "2 weeks"' if hours else '"1 day" or "2 weeks"'
        found = re.fullmatch(r"\s*(\d+)\s*(day|days|week|weeks|hour|hours)\s*", str(value))
        if not isinstance(value, str) or found is None:
            raise ScenarioError(field, f"{value!r} is not a length", f"write e.g. {example}")
        amount, unit = int(found.group(1)), found.group(2).rstrip("s") + "s"
        if unit not in units:
            raise ScenarioError(field, f"{value!r} is in {unit}", f"write e.g. {example}")
        if unit == "weeks":
            amount, unit = amount * 7, "days"
        days = amount if unit == "days" else amount / 24
        if amount < 1 or days > limit:
            raise ScenarioError(
                field, f"{value!r} is out of range", f"use at least 1 hour and at most {limit} days"
            )
        return cls(amount, unit)

    def __str__(self) -> str:
        if self.unit == "days" and self.amount % 7 == 0:
            weeks = self.amount // 7
            return f"{weeks} week" + ("s" if weeks != 1 else "")
        return f"{self.amount} {self.unit[:-1]}" + ("s" if self.amount != 1 else "")


@dataclass(frozen=True)
class DailyHours:
    """A daily on-call window, local time; an end at or before the start wraps past midnight.

    Examples
    --------
    >>> DailyHours.parse("17:00-01:00", "hours").wraps
    True
    """

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, value: object, field: str) -> DailyHours:
        """Read ``"HH:MM-HH:MM"``."""
        found = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", str(value))
        fix = 'write e.g. "09:00-17:00" ("17:00-01:00" wraps past midnight)'
        if not isinstance(value, str) or found is None:
            raise ScenarioError(field, f"{value!r} is not a daily window", fix)
        try:
            start = dt.time.fromisoformat(found.group(1).zfill(5))
            end = dt.time.fromisoformat(found.group(2).zfill(5))
        except ValueError:
            raise ScenarioError(field, f"{value!r} is not a daily window", fix) from None
        return cls(start, end)

    @property
    def wraps(self) -> bool:
        """Whether the window ends the next day."""
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class DateWindow:
    """Dates from ``start`` to ``end``, inclusive.

    Written ``"MM-DD"``, the window repeats every year and may wrap the year end
    (``12-20`` to ``01-02``); written as dates, it holds those dates only.
    """

    start: dt.date | tuple[int, int]
    end: dt.date | tuple[int, int]

    @classmethod
    def parse(cls, value: object, field: str) -> DateWindow:
        """Read ``{ from = ..., to = ... }``."""
        fix = 'write { from = "12-24", to = "12-26" } or { from = 2027-11-25, to = 2027-11-25 }'
        if not isinstance(value, dict) or set(value) != {"from", "to"}:
            raise ScenarioError(field, f"{value!r} is not a date window", fix)
        ends = [_month_day_or_date(value[key], f"{field}.{key}") for key in ("from", "to")]
        if type(ends[0]) is not type(ends[1]):
            raise ScenarioError(field, "mixes a yearly day with a date", fix)
        start, end = ends
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise ScenarioError(field, f"ends on {end} before it starts on {start}", fix)
        return cls(start, end)

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` lies in the window."""
        if isinstance(self.start, dt.date) and isinstance(self.end, dt.date):
            return self.start <= day <= self.end
        assert isinstance(self.start, tuple) and isinstance(self.end, tuple)
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end  # wraps the year end


def _month_day_or_date(value: object, field: str) -> dt.date | tuple[int, int]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d{2})-(\d{2})\s*", value)
        if found:
            month, day = int(found.group(1)), int(found.group(2))
            try:
                dt.date(2028, month, day)  # a leap year: 02-29 is a day some years have
            except ValueError:
                pass
            else:
                return (month, day)
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ScenarioError(
        field, f"{value!r} is not a day", 'write "MM-DD" (every year) or a date YYYY-MM-DD'
    )
