"""Rules about public holidays: a seat with hard holidays never covers its holder's own."""

from __future__ import annotations

from ..calendar import Duty, ShiftCalendar
from ..policy import HolidayMode
from ..team import Engineer
from .base import forbidding


def _holiday(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> str | None:
    if calendar.seat_of(duty).holidays is not HolidayMode.HARD:
        return None
    days = calendar.holiday_dates(engineer, duty)
    if not days:
        return None
    names = calendar.holidays[engineer.handle]
    listed = ", ".join(f"{names[d]} {d}" for d in days)
    return f"has a public holiday in {engineer.holidays} ({listed})"


HOLIDAYS = forbidding(
    "holidays",
    "Nobody covers their own public holiday in a seat that forbids it",
    _holiday,
    "let {who} be on call over their public holiday in {where}",
)
