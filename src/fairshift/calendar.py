"""A scenario expanded over its horizon: turns, duties, public holidays and availability.

The rotation pattern (:attr:`fairshift.Scenario.shape`) expands into turns
(:mod:`fairshift.turns`, where the time semantics are written down); every seat of every
turn is a :class:`Duty`, which one engineer holds. The model, the validator and every
statistic read the same expansion.

Availability is ``fte`` times the number of horizon dates (dates whose noon lies in the
horizon) on which the engineer is employed and not on leave; fair shares split the total
burden in proportion to it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from .pattern import Pattern, Seat, ShiftType
from .scenario import Scenario
from .team import Engineer, Leave, region_holidays
from .turns import Turn, expand_pattern, horizon, local, noon_dates, utc
from .turns import business_days_of_month as business_days_of_month

NOON = dt.time(12, 0)
T = TypeVar("T")

#: A turn (kept under its older name: a week or a month-end window of the default shape).
Slot = Turn


class Role(enum.StrEnum):
    """The seats of the default shape, by name (a seat of any pattern is a plain string)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    MONTH_END = "month_end"


#: The default shape's weekly seats.
WEEKLY_ROLES = (Role.PRIMARY, Role.SECONDARY)

#: The default shape's shift type of each of its seats.
DEFAULT_SHIFTS = {Role.PRIMARY: "weekly", Role.SECONDARY: "weekly", Role.MONTH_END: "month-end"}


@dataclass(frozen=True)
class Duty:
    """One seat of one turn: what one engineer holds.

    Attributes
    ----------
    shift
        Shift type name.
    seat
        Seat name.
    turn
        The turn.
    position
        Index in :attr:`ShiftCalendar.duties` (time order).
    """

    shift: str
    seat: str
    turn: Turn
    position: int

    @property
    def id(self) -> str:
        """The turn's id, e.g. ``"week-012"`` (a duty is that turn's seat)."""
        return self.turn.id

    @property
    def seat_id(self) -> str:
        """``"shift.seat"``."""
        return f"{self.shift}.{self.seat}"

    @property
    def start(self) -> dt.datetime:
        """The turn's start."""
        return self.turn.start

    @property
    def end(self) -> dt.datetime:
        """The turn's end."""
        return self.turn.end

    @property
    def index(self) -> int:
        """The turn's number within its shift type."""
        return self.turn.index

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """Covered dates."""
        return self.turn.dates

    @property
    def key(self) -> tuple[str, str, int]:
        """``(shift, seat, turn index)``."""
        return (self.shift, self.seat, self.turn.index)


def unavailable_interval(
    engineer: Engineer, first: dt.date, last: dt.date, zone: str
) -> tuple[dt.datetime, dt.datetime]:
    """``[first 00:00, last+1 00:00)`` in ``zone``: the span of whole days first..last."""
    return local(first, dt.time(0), zone), local(last + dt.timedelta(days=1), dt.time(0), zone)


@dataclass(frozen=True)
class ShiftCalendar:
    """A scenario expanded into turns, duties, public holidays and availability.

    Build it with :func:`expand`; it is cached per scenario.
    """

    scenario: Scenario
    pattern: Pattern
    turns: dict[str, tuple[Turn, ...]]
    duties: tuple[Duty, ...]
    holidays: dict[str, dict[dt.date, str]]  # handle -> {date: holiday name}
    _by_key: dict[tuple[str, str, int], Duty] = field(repr=False, compare=False)
    _caches: dict[str, dict[object, object]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # -- the pattern -------------------------------------------------------------------

    def shift_type(self, name: str) -> ShiftType:
        """The shift type called ``name``."""
        return self.pattern.shift(name)

    def seat_of(self, duty: Duty) -> Seat:
        """The seat a duty fills."""
        return self.pattern.shift(duty.shift).seat(duty.seat)

    def one_of(self, duty: Duty) -> tuple[str, int, str]:
        """Duties with the same key go to different engineers: the seats of one turn.

        A shift type that may overlap lets one engineer hold several of its seats in one
        turn: each of its seats is a key of its own.
        """
        alone = duty.seat if self.shift_type(duty.shift).may_overlap else ""
        return (duty.shift, duty.index, alone)

    def duty(self, shift: str, seat: str, index: int) -> Duty | None:
        """The duty of ``seat`` in turn ``index`` of ``shift``, if that turn exists."""
        return self._by_key.get((shift, seat, index))

    def duties_of(self, shift: str, seat: str | None = None) -> tuple[Duty, ...]:
        """The duties of a shift type (or of one of its seats), in time order."""
        return tuple(
            d for d in self.duties if d.shift == shift and (seat is None or d.seat == seat)
        )

    def find(self, shift: str, seat: str, start: dt.datetime) -> Duty | None:
        """The duty of ``seat`` whose turn starts at ``start`` (any zone), if any."""
        cache = self._cache("find")
        if not cache:
            cache.update(((d.shift, d.seat, utc(d.start)), d) for d in self.duties)
        found = cache.get((shift, seat, utc(start)))
        return found if isinstance(found, Duty) else None

    @property
    def weeks(self) -> tuple[Turn, ...]:
        """The default shape's weekly turns (none for other patterns)."""
        return self.turns.get("weekly", ()) if self.scenario.default_shape else ()

    @property
    def month_ends(self) -> tuple[Turn, ...]:
        """The default shape's month-end windows (none for other patterns)."""
        return self.turns.get("month-end", ()) if self.scenario.default_shape else ()

    # -- people ------------------------------------------------------------------------

    def zone_of(self, engineer: Engineer) -> str:
        """The engineer's own zone (the rotation's when none is set)."""
        return engineer.timezone or self.scenario.rotation.timezone

    def _cache(self, name: str) -> dict[object, object]:
        return self._caches.setdefault(name, {})

    def memo(self, name: str, make: Callable[[], T]) -> T:
        """``make()``, computed once per calendar and kept under ``name``."""
        cache = self._cache("memo")
        if name not in cache:
            cache[name] = make()
        return cache[name]  # type: ignore[return-value]

    def _ours(self, engineer: Engineer) -> bool:
        people = self._cache("people")
        if not people:
            people.update((e.handle, e) for e in self.scenario.engineers)
        return people.get(engineer.handle) is engineer

    def _leave_spans(
        self, engineer: Engineer
    ) -> tuple[tuple[Leave, dt.datetime, dt.datetime], ...]:
        spans = self._cache("leave")
        if not self._ours(engineer) or engineer.handle not in spans:
            zone = self.zone_of(engineer)
            found = tuple(
                (
                    period,
                    *(
                        utc(m)
                        for m in unavailable_interval(engineer, period.start, period.end, zone)
                    ),
                )
                for period in engineer.leave
            )
            if not self._ours(engineer):
                return found  # type: ignore[return-value]
            spans[engineer.handle] = found
        return spans[engineer.handle]  # type: ignore[return-value]

    def leave_conflict(self, engineer: Engineer, duty: Duty | Turn) -> str | None:
        """Why ``engineer`` cannot hold ``duty``: an on-call interval meets their leave."""
        turn = duty.turn if isinstance(duty, Duty) else duty
        for period, start, end in self._leave_spans(engineer):
            if any(i.overlaps(start, end) for i in turn.intervals):
                return f"is on leave {period.start} to {period.end}"
        return None

    def employment_conflict(self, engineer: Engineer, duty: Duty | Turn) -> str | None:
        """Why ``engineer`` cannot hold ``duty``: it starts before joining or ends after leaving."""
        turn = duty.turn if isinstance(duty, Duty) else duty
        zone = self.zone_of(engineer)
        first, last = turn.intervals[0].start, turn.intervals[-1].end
        if engineer.joined and utc(first) < utc(local(engineer.joined, dt.time(0), zone)):
            return f"joins on {engineer.joined}"
        if engineer.left and utc(last) > utc(
            local(engineer.left + dt.timedelta(days=1), dt.time(0), zone)
        ):
            return f"leaves on {engineer.left}"
        return None

    def blocked(self, engineer: Engineer, duty: Duty | Turn) -> str | None:
        """Leave or employment reason that keeps ``engineer`` off ``duty``, or ``None``."""
        key = (engineer.handle, id(duty))
        cache = self._cache("blocked")
        if self._ours(engineer) and key in cache:
            return cache[key]  # type: ignore[return-value]
        why = self.leave_conflict(engineer, duty) or self.employment_conflict(engineer, duty)
        if self._ours(engineer):
            cache[key] = why
        return why

    def holiday_dates(self, engineer: Engineer, duty: Duty | Turn) -> tuple[dt.date, ...]:
        """Covered dates of ``duty`` that are public holidays in the engineer's region."""
        own = self.holidays[engineer.handle]
        return tuple(day for day in duty.dates if day in own)

    # -- availability -------------------------------------------------------------------

    @property
    def horizon_dates(self) -> tuple[dt.date, ...]:
        """Dates whose noon lies in the horizon."""
        begin, end = horizon(self.scenario.rotation)
        return noon_dates(begin, end, self.scenario.rotation.timezone)

    def available_dates(self, engineer: Engineer) -> int:
        """Horizon dates on which ``engineer`` is employed and not on leave."""
        cache = self._cache("available")
        if self._ours(engineer) and engineer.handle in cache:
            return cache[engineer.handle]  # type: ignore[return-value]
        count = 0
        for day in self.horizon_dates:
            if engineer.joined and day < engineer.joined:
                continue
            if engineer.left and day > engineer.left:
                continue
            if any(period.start <= day <= period.end for period in engineer.leave):
                continue
            count += 1
        if self._ours(engineer):
            cache[engineer.handle] = count
        return count

    def availability(self, engineer: Engineer) -> Fraction:
        """``fte`` times :meth:`available_dates`."""
        return self.available_dates(engineer) * engineer.fte

    def can_hold_any(self, engineer: Engineer, duties: tuple[Duty, ...] | None = None) -> bool:
        """Whether leave and employment leave ``engineer`` at least one of ``duties``."""
        return any(self.blocked(engineer, d) is None for d in (duties or self.duties))

    def uncovered(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """Stretches of the horizon no shift type covers, in time order.

        Shift types that run beside the others (month-end) do not count.
        """
        begin, end = horizon(self.scenario.rotation)
        spans = sorted(
            (utc(i.start), utc(i.end))
            for turn_list in self.turns.values()
            for turn in turn_list
            if not self.shift_type(turn.shift).may_overlap
            for i in turn.intervals
        )
        gaps = []
        reached = utc(begin)
        for start, finish in spans:
            if start > reached:
                gaps.append((reached, start))
            reached = max(reached, finish)
        if reached < utc(end):
            gaps.append((reached, utc(end)))
        return gaps

    def gap_warning(self) -> str | None:
        """A warning naming the time no shift covers, or ``None`` when there is none."""
        gaps = self.uncovered()
        if not gaps:
            return None
        zone = ZoneInfo(self.scenario.rotation.timezone)
        shown = "; ".join(
            f"{a.astimezone(zone):%Y-%m-%d %H:%M} to {b.astimezone(zone):%Y-%m-%d %H:%M}"
            for a, b in gaps[:3]
        )
        hours = sum((b - a).total_seconds() for a, b in gaps) / 3600
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        return (
            f"no shift covers {len(gaps)} stretch(es) of the horizon, {hours:g} hours in all "
            f"(rotation time): {shown}{more}; add a shift type or widen an active window if "
            "someone should be on call then"
        )

    # -- compatibility with the default shape ------------------------------------------------

    def available_weeks(self, engineer: Engineer) -> int:
        """Weekly turns the engineer could take given leave and employment alone."""
        return sum(1 for week in self.weeks if self.blocked(engineer, week) is None)

    def weeks_overlapping(self, turn: Turn) -> tuple[Turn, ...]:
        """Weekly turns that share a covered date with ``turn`` (a month-end window)."""
        dates = set(turn.dates)
        return tuple(week for week in self.weeks if dates.intersection(week.dates))

    def slot(self, role: str, start: dt.datetime) -> Turn | None:
        """The default shape's turn of seat ``role`` starting at ``start``, or ``None``."""
        shift = DEFAULT_SHIFTS.get(Role(role)) if role in Role._value2member_map_ else None
        duty = self.find(shift, role, start) if shift else None
        return duty.turn if duty else None


def covered_dates(start: dt.datetime, end: dt.datetime, zone: str) -> tuple[dt.date, ...]:
    """Dates ``D`` whose noon (in ``zone``) lies in ``[start, end)``."""
    return noon_dates(start, end, zone)


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
    Fraction(167, 1)
    """
    rotation = scenario.rotation
    pattern = scenario.shape
    turns = expand_pattern(pattern, rotation)
    order = {shift.name: i for i, shift in enumerate(pattern.shifts)}
    slots = sorted(
        (
            (turn, shift, seat)
            for shift in pattern.shifts
            for turn in turns[shift.name]
            for seat in shift.seats
        ),
        key=lambda item: (
            utc(item[0].start),
            order[item[1].name],
            item[1].seats.index(item[2]),
        ),
    )
    duties = tuple(
        Duty(shift.name, seat.name, turn, i) for i, (turn, shift, seat) in enumerate(slots)
    )
    first_year, last_year = rotation.start.year - 1, rotation.end_date.year + 1
    holidays = {
        engineer.handle: region_holidays(engineer.holidays, first_year, last_year)
        for engineer in scenario.engineers
    }
    return ShiftCalendar(
        scenario,
        pattern,
        turns,
        duties,
        holidays,
        {d.key: d for d in duties},
    )


def local_date(moment: dt.datetime, zone: str) -> dt.date:
    """The date of ``moment`` in ``zone``."""
    return moment.astimezone(ZoneInfo(zone)).date()


__all__ = [
    "DEFAULT_SHIFTS",
    "NOON",
    "WEEKLY_ROLES",
    "Duty",
    "Role",
    "ShiftCalendar",
    "Slot",
    "business_days_of_month",
    "covered_dates",
    "expand",
    "local",
    "local_date",
    "unavailable_interval",
    "utc",
]
