"""Turn a scenario's horizon into shift slots, and tag the days they cover.

Time semantics (shared by the model, the validator and every statistic):

- weekly slot ``k`` runs from ``start + 7k`` at the handoff time to ``start + 7(k+1)`` at the
  handoff time, local rotation time; durations are computed in UTC, so a week across a DST
  change lasts 167 or 169 hours;
- a month-end slot runs from 00:00 of the first of the month's last ``business_days``
  business days to 00:00 after the last, rotation time; only windows wholly inside the
  horizon count;
- a slot *covers* calendar date ``D`` when it contains 12:00 of ``D`` (rotation time), start
  inclusive, end exclusive. A weekly slot therefore covers exactly 7 dates.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from .scenario import Scenario
from .team import Engineer, Leave, region_holidays

NOON = dt.time(12, 0)


class Role(enum.StrEnum):
    """What a slot asks of its holder."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    MONTH_END = "month_end"


WEEKLY_ROLES = (Role.PRIMARY, Role.SECONDARY)


@dataclass(frozen=True)
class Slot:
    """One shift to fill.

    Attributes
    ----------
    id
        Stable name: ``"week-001"`` or ``"month-end-2027-01"``.
    index
        Position among slots of the same kind.
    start, end
        Timezone-aware datetimes in the rotation's zone.
    dates
        Calendar dates the slot covers (noon rule).
    """

    id: str
    index: int
    start: dt.datetime
    end: dt.datetime
    dates: tuple[dt.date, ...]
    # The same two instants in UTC, for fast overlap tests.
    _utc: tuple[dt.datetime, dt.datetime] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_utc", (utc(self.start), utc(self.end)))

    @property
    def hours(self) -> float:
        """Length in real elapsed hours (DST-correct).

        Aware datetimes sharing one ``ZoneInfo`` subtract as wall-clock times, so both ends
        are converted to UTC first.
        """
        return (utc(self.end) - utc(self.start)).total_seconds() / 3600

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether ``[start, end)`` overlaps this slot's ``[start, end)``, as instants."""
        begin, finish = self._utc
        return begin < utc(end) and utc(start) < finish


def utc(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC.

    Python compares and subtracts aware datetimes that share a ``ZoneInfo`` as wall-clock
    times, and a wall time in a DST gap or overlap never equals one in another zone, so every
    comparison of instants goes through UTC.
    """
    return moment.astimezone(dt.UTC)


def local(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """The aware datetime of a wall-clock ``time`` on ``day`` in ``zone``."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone))


def covered_dates(start: dt.datetime, end: dt.datetime, zone: str) -> tuple[dt.date, ...]:
    """Dates ``D`` whose noon (in ``zone``) lies in ``[start, end)``."""
    first = start.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1)
    last = end.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=1)
    days = []
    day = first
    begin, finish = utc(start), utc(end)
    while day <= last:
        if begin <= utc(local(day, NOON, zone)) < finish:
            days.append(day)
        day += dt.timedelta(days=1)
    return tuple(days)


def weekly_slots(scenario: Scenario) -> tuple[Slot, ...]:
    """The weekly primary/secondary slots of the horizon, in order."""
    rotation = scenario.rotation
    slots = []
    for k in range(rotation.weeks):
        start = local(rotation.start + dt.timedelta(weeks=k), rotation.handoff, rotation.timezone)
        end = local(rotation.start + dt.timedelta(weeks=k + 1), rotation.handoff, rotation.timezone)
        slots.append(
            Slot(f"week-{k + 1:03d}", k, start, end, covered_dates(start, end, rotation.timezone))
        )
    return tuple(slots)


def business_days_of_month(year: int, month: int, holidays: dict[dt.date, str]) -> list[dt.date]:
    """Monday-to-Friday dates of a month that are not in ``holidays``."""
    day = dt.date(year, month, 1)
    days = []
    while day.month == month:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def month_end_slots(scenario: Scenario) -> tuple[Slot, ...]:
    """Month-end slots: the last N business days of each month, wholly inside the horizon."""
    rotation, policy = scenario.rotation, scenario.month_end
    if policy.business_days == 0:
        return ()
    horizon_start = local(rotation.start, rotation.handoff, rotation.timezone)
    horizon_end = local(rotation.end_date, rotation.handoff, rotation.timezone)
    calendar = region_holidays(policy.calendar, rotation.start.year, rotation.end_date.year)
    slots: list[Slot] = []
    year, month = rotation.start.year, rotation.start.month
    while dt.date(year, month, 1) <= rotation.end_date:
        window = business_days_of_month(year, month, calendar)[-policy.business_days :]
        if window:
            start = local(window[0], dt.time(0), rotation.timezone)
            end = local(window[-1] + dt.timedelta(days=1), dt.time(0), rotation.timezone)
            if utc(horizon_start) <= utc(start) and utc(end) <= utc(horizon_end):
                dates = covered_dates(start, end, rotation.timezone)
                slots.append(Slot(f"month-end-{year}-{month:02d}", len(slots), start, end, dates))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(slots)


def unavailable_interval(
    engineer: Engineer, first: dt.date, last: dt.date, zone: str
) -> tuple[dt.datetime, dt.datetime]:
    """``[first 00:00, last+1 00:00)`` in ``zone``: the span of whole days first..last."""
    return local(first, dt.time(0), zone), local(last + dt.timedelta(days=1), dt.time(0), zone)


@dataclass(frozen=True)
class ShiftCalendar:
    """A scenario expanded into slots, holidays and availability.

    Build it with :func:`expand`; it is cached per scenario.
    """

    scenario: Scenario
    weeks: tuple[Slot, ...]
    month_ends: tuple[Slot, ...]
    holidays: dict[str, dict[dt.date, str]]  # handle -> {date: holiday name}
    # handle -> each leave period with its span in UTC, filled on first use.
    _leave_spans: dict[str, tuple[tuple[Leave, dt.datetime, dt.datetime], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # handle -> the scenario's engineer, filled on first use.
    _people: dict[str, Engineer] = field(default_factory=dict, repr=False, compare=False)
    # (handle, slot id) -> why the engineer cannot take the slot, filled on first use.
    _blocked: dict[tuple[str, str], str | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def zone_of(self, engineer: Engineer) -> str:
        """The engineer's own zone (the rotation's when none is set)."""
        return engineer.timezone or self.scenario.rotation.timezone

    def leave_conflict(self, engineer: Engineer, slot: Slot) -> str | None:
        """Why ``engineer`` cannot take ``slot`` because of leave, or ``None``."""
        spans = self._leave_spans.get(engineer.handle)
        if spans is None:
            zone = self.zone_of(engineer)
            found = []
            for period in engineer.leave:
                start, end = unavailable_interval(engineer, period.start, period.end, zone)
                found.append((period, utc(start), utc(end)))
            spans = tuple(found)
            self._leave_spans[engineer.handle] = spans
        for period, start, end in spans:
            if slot.overlaps(start, end):
                return f"is on leave {period.start} to {period.end}"
        return None

    def employment_conflict(self, engineer: Engineer, slot: Slot) -> str | None:
        """Why ``engineer`` cannot take ``slot`` because of joining/leaving dates, or ``None``."""
        zone = self.zone_of(engineer)
        if engineer.joined and utc(slot.start) < utc(local(engineer.joined, dt.time(0), zone)):
            return f"joins on {engineer.joined}"
        if engineer.left and utc(slot.end) > utc(
            local(engineer.left + dt.timedelta(days=1), dt.time(0), zone)
        ):
            return f"leaves on {engineer.left}"
        return None

    def blocked(self, engineer: Engineer, slot: Slot) -> str | None:
        """Leave or employment reason that keeps ``engineer`` off ``slot``, or ``None``."""
        key = (engineer.handle, slot.id)
        if not self._people:
            self._people.update((e.handle, e) for e in self.scenario.engineers)
        if self._people.get(engineer.handle) is not engineer:
            # Not one of this scenario's engineers (e.g. an edited copy): nothing cached.
            return self.leave_conflict(engineer, slot) or self.employment_conflict(engineer, slot)
        if key not in self._blocked:
            self._blocked[key] = self.leave_conflict(engineer, slot) or self.employment_conflict(
                engineer, slot
            )
        return self._blocked[key]

    def available_weeks(self, engineer: Engineer) -> int:
        """Weekly slots the engineer could take given leave and employment alone."""
        return sum(1 for slot in self.weeks if self.blocked(engineer, slot) is None)

    def weeks_overlapping(self, slot: Slot) -> tuple[Slot, ...]:
        """Weekly slots that share a covered date with ``slot`` (a month-end window).

        "On overlapping days": the primary of a week that ends at the Monday handoff does not
        overlap a window starting that Monday, although their time spans touch.
        """
        dates = set(slot.dates)
        return tuple(week for week in self.weeks if dates.intersection(week.dates))

    def holiday_dates(self, engineer: Engineer, slot: Slot) -> tuple[dt.date, ...]:
        """Dates of ``slot`` that are public holidays in the engineer's region."""
        own = self.holidays[engineer.handle]
        return tuple(day for day in slot.dates if day in own)

    def slot(self, role: Role, start: dt.datetime) -> Slot | None:
        """The slot of ``role`` starting at ``start`` (any zone), or ``None``."""
        pool = self.month_ends if role is Role.MONTH_END else self.weeks
        instant = utc(start)
        for candidate in pool:
            if utc(candidate.start) == instant:
                return candidate
        return None


@lru_cache(maxsize=64)
def expand(scenario: Scenario) -> ShiftCalendar:
    """Expand a scenario into a :class:`ShiftCalendar` (cached; scenarios are immutable).

    Examples
    --------
    >>> import datetime as dt
    >>> from fairshift import Engineer, Rotation, Scenario
    >>> team = (Engineer("ana", "Ana", "senior", "US"), Engineer("bo", "Bo", "mid", "US"))
    >>> cal = expand(Scenario(Rotation("Ops", dt.date(2027, 3, 8), 1, timezone="US/Pacific"), team))
    >>> cal.weeks[0].hours  # the week of the spring DST change is an hour short
    167.0
    """
    rotation = scenario.rotation
    first_year, last_year = rotation.start.year - 1, rotation.end_date.year + 1
    holidays = {
        engineer.handle: region_holidays(engineer.holidays, first_year, last_year)
        for engineer in scenario.engineers
    }
    return ShiftCalendar(scenario, weekly_slots(scenario), month_end_slots(scenario), holidays)
