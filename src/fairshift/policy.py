"""The rules of a rotation: horizon, month-end window, hard rules and fairness weights."""

from __future__ import annotations

import datetime as dt
import enum
import numbers
from dataclasses import dataclass
from fractions import Fraction

from .errors import ScenarioError
from .team import (
    NAME_LENGTH,
    Seniority,
    parse_date,
    parse_number,
    parse_region,
    parse_text,
    parse_zone,
)


def _check_int(value: object, field: str, *, minimum: int, maximum: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ScenarioError(field, f"{value!r} is not a whole number", fix)
    if not minimum <= int(value) <= maximum:
        raise ScenarioError(field, f"{int(value)} is out of range", fix)
    return int(value)


def _check_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(field, f"{value!r} is not true or false", "write true or false")
    return value


def parse_time(value: object, field: str) -> dt.time:
    """Read a local time of day written ``"HH:MM"`` (or a ``datetime.time``)."""
    if isinstance(value, dt.time) and value.tzinfo is None:
        return value
    if isinstance(value, str):
        try:
            parsed = dt.time.fromisoformat(value.strip())
            if parsed.tzinfo is None:
                return parsed
        except ValueError:
            pass
    raise ScenarioError(
        field, f"{value!r} is not a local time", 'write it as "HH:MM", e.g. "09:00"'
    )


@dataclass(frozen=True)
class Rotation:
    """The horizon of a rotation: weekly handoffs from ``start`` for ``weeks`` weeks.

    Examples
    --------
    >>> Rotation("On-call", dt.date(2027, 1, 4), 52).end_date
    datetime.date(2028, 1, 3)
    """

    name: str
    start: dt.date
    weeks: int
    handoff: dt.time = dt.time(9, 0)
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        parse_text(self.name, "name", limit=NAME_LENGTH, required=True)
        object.__setattr__(self, "start", parse_date(self.start, "start"))
        weeks = _check_int(
            self.weeks, "weeks", minimum=1, maximum=520, fix="use 1 to 520 weeks (10 years)"
        )
        object.__setattr__(self, "weeks", weeks)
        object.__setattr__(self, "handoff", parse_time(self.handoff, "handoff"))
        object.__setattr__(self, "timezone", parse_zone(self.timezone, "timezone"))

    @property
    def end_date(self) -> dt.date:
        """The date of the last handoff (the end of the horizon)."""
        return self.start + dt.timedelta(weeks=self.weeks)


@dataclass(frozen=True)
class MonthEnd:
    """The critical month-end window: the last ``business_days`` business days of each month.

    Business days are Monday to Friday, minus the public holidays of ``calendar``.
    ``business_days = 0`` switches month-end shifts off.
    """

    business_days: int = 3
    calendar: str = "US"
    min_seniority: Seniority = Seniority.MID

    def __post_init__(self) -> None:
        days = _check_int(
            self.business_days, "business_days", minimum=0, maximum=10, fix="use 0 (off) to 10"
        )
        object.__setattr__(self, "business_days", days)
        object.__setattr__(self, "calendar", parse_region(self.calendar, "calendar"))
        object.__setattr__(
            self, "min_seniority", Seniority.parse(self.min_seniority, "min_seniority")
        )


class HolidayMode(enum.StrEnum):
    """How public holidays are treated."""

    SOFT = "soft"  # weighted in fairness only
    HARD = "hard"  # nobody is primary over their own public holiday


@dataclass(frozen=True)
class Rules:
    """Hard rules of the rotation.

    Parameters
    ----------
    max_consecutive_weeks
        At most this many consecutive weeks holding a weekly role (primary or secondary).
    primary_back_to_back
        ``False``: nobody is primary two weeks running.
    junior_primary_needs
        Minimum seniority of the secondary when the primary is junior; ``None`` disables.
    month_end_not_primary
        The month-end holder is not the weekly primary of any week overlapping the window.
    public_holidays
        ``"soft"`` (weighted in fairness) or ``"hard"`` (nobody is primary over their own
        public holiday).
    swap_notice_days
        Swaps must be agreed at least this many days before the slot starts.
    """

    max_consecutive_weeks: int = 2
    primary_back_to_back: bool = False
    junior_primary_needs: Seniority | None = Seniority.SENIOR
    month_end_not_primary: bool = True
    public_holidays: HolidayMode = HolidayMode.SOFT
    swap_notice_days: int = 7

    def __post_init__(self) -> None:
        most = _check_int(
            self.max_consecutive_weeks,
            "max_consecutive_weeks",
            minimum=1,
            maximum=520,
            fix="use 1 to 520 weeks",
        )
        object.__setattr__(self, "max_consecutive_weeks", most)
        _check_bool(self.primary_back_to_back, "primary_back_to_back")
        needs = self.junior_primary_needs
        if isinstance(needs, str) and needs.strip().lower() == "none":
            needs = None
        if needs is not None:
            needs = Seniority.parse(needs, "junior_primary_needs")
        object.__setattr__(self, "junior_primary_needs", needs)
        _check_bool(self.month_end_not_primary, "month_end_not_primary")
        try:
            mode = HolidayMode(self.public_holidays)
        except ValueError:
            raise ScenarioError(
                "public_holidays", f"{self.public_holidays!r} is not a mode", 'use "soft" or "hard"'
            ) from None
        object.__setattr__(self, "public_holidays", mode)
        notice = _check_int(
            self.swap_notice_days, "swap_notice_days", minimum=0, maximum=365, fix="use 0 to 365"
        )
        object.__setattr__(self, "swap_notice_days", notice)


#: Weights are exact decimals with at most this many places: the model counts burden in
#: whole multiples of their common grain, and finer weights made the numbers too large to
#: bound (0.3333 with 1.3333 ran for minutes; 0.333 plans in seconds).
WEIGHT_DECIMALS = 3


@dataclass(frozen=True)
class Weights:
    """Burden of one day on call, by kind of day.

    A secondary day counts ``secondary_factor`` of a primary day; month-end days weigh
    ``month_end`` each for the holder of the month-end shift.
    """

    weekday: Fraction = Fraction(1)
    weekend: Fraction = Fraction(3, 2)
    public_holiday: Fraction = Fraction(2)
    month_end: Fraction = Fraction(2)
    secondary_factor: Fraction = Fraction(1, 2)

    def __post_init__(self) -> None:
        for key in ("weekday", "weekend", "public_holiday", "month_end", "secondary_factor"):
            value = parse_number(
                getattr(self, key), key, decimals=WEIGHT_DECIMALS, low=0, high=1000
            )
            object.__setattr__(self, key, value)
        if self.secondary_factor > 1:
            raise ScenarioError(
                "secondary_factor",
                f"{float(self.secondary_factor):g} is above 1",
                "a secondary day counts a fraction (0 to 1) of a primary day",
            )


@dataclass(frozen=True)
class CalendarOptions:
    """Options for the iCalendar feeds.

    Parameters
    ----------
    handoff_meeting
        Add a meeting at each weekly handoff for the outgoing and incoming primary.
    handoff_meeting_minutes
        Length of that meeting.
    refresh_hours
        How often subscribers should re-read the feeds.
    """

    handoff_meeting: bool = False
    handoff_meeting_minutes: int = 30
    refresh_hours: int = 12

    def __post_init__(self) -> None:
        _check_bool(self.handoff_meeting, "handoff_meeting")
        minutes = _check_int(
            self.handoff_meeting_minutes,
            "handoff_meeting_minutes",
            minimum=5,
            maximum=240,
            fix="use 5 to 240",
        )
        object.__setattr__(self, "handoff_meeting_minutes", minutes)
        hours = _check_int(
            self.refresh_hours, "refresh_hours", minimum=1, maximum=168, fix="use 1 to 168 hours"
        )
        object.__setattr__(self, "refresh_hours", hours)


@dataclass(frozen=True)
class Ownership:
    """Pipeline-ownership policy: minimum seniority of an investor-facing pipeline's owner."""

    investor_min_seniority: Seniority = Seniority.SENIOR

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "investor_min_seniority",
            Seniority.parse(self.investor_min_seniority, "investor_min_seniority"),
        )


__all__ = [
    "CalendarOptions",
    "HolidayMode",
    "MonthEnd",
    "Ownership",
    "Rotation",
    "Rules",
    "Weights",
    "parse_time",
]
