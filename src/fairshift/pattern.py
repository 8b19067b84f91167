"""Rotation patterns: the shape of a rotation as data (shift types, seats, periods, rules).

A pattern says which shifts exist and who may hold them; :mod:`fairshift.turns` expands it
over a horizon into turns and on-call intervals. Every shape teams run is a pattern: a
weekly primary and secondary with month-end windows (:func:`default_pattern`, today's
shape), per-pipeline seats, follow-the-sun 8-hour shifts, business-hours and after-hours
splits, holiday seasons with daily turns.

Names. A shift type has a unique ``name`` (lower-case letters, digits, ``-`` and ``_``) and
one or more seats; a seat is named ``shift.seat`` in rules, or by the shift's name alone
when the shift has a single seat. ``senior`` and ``manager`` are reserved (escalation).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from .errors import ScenarioError
from .policy import HolidayMode, MonthEnd, Rules, Weights
from .team import NAME_LENGTH, Seniority, parse_number, parse_text, parse_whole
from .times import DailyHours, DateWindow, Span

#: Shift type and seat names: lower-case letters, digits, ``-`` and ``_``.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: Names escalation uses for itself.
RESERVED = frozenset({"senior", "manager"})
#: Weekday names as written in ``days``, Monday first.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: ``every`` of a month-end shift type.
MONTH_END = "month-end"


def parse_name(value: object, field: str, what: str) -> str:
    """A shift-type or seat name."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ScenarioError(
            field,
            f"{value!r} is not a valid {what} name",
            "use 1-40 lower-case letters, digits, '-' or '_', starting with a letter or digit",
        )
    if value in RESERVED:
        raise ScenarioError(
            field, f"{value!r} is reserved for escalation", f"give the {what} another name"
        )
    return value


@dataclass(frozen=True)
class Seat:
    """One holder a turn needs.

    Attributes
    ----------
    name
        Unique within its shift type.
    weight
        Burden factor of holding this seat (a secondary counts half: 0.5).
    min_seniority
        Least seniority of its holder.
    no_repeat
        Nobody holds this seat in two consecutive turns.
    holidays
        ``"soft"`` (weighted in fairness) or ``"hard"`` (the holder never covers one of their
        own public holidays).
    spread
        Stage 4 spreads this seat's turn counts among the engineers who can hold it.
    pipelines
        Pipelines the holder looks after (``("*",)``: all), shown in feeds and escalation.
    """

    name: str
    weight: Fraction = Fraction(1)
    min_seniority: Seniority = Seniority.JUNIOR
    no_repeat: bool = False
    holidays: HolidayMode = HolidayMode.SOFT
    spread: bool = False
    pipelines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShiftType:
    """A kind of turn and the seats each of its turns needs.

    Attributes
    ----------
    name
        Unique id of the shift type.
    every
        Turn length (``Span``), or :data:`MONTH_END` for the last business days of each month.
    first
        Local rotation time of turn 0's start; ``None``: the rotation's start at handoff.
    length
        On-call length of each turn from its start; ``None``: the whole turn.
    hours
        Daily on-call window within the turn; ``None``: all day.
    days
        Weekdays (0 = Monday) an on-call interval may start on; ``None``: every day.
    weight
        Burden factor of the whole shift type.
    max_in_a_row
        At most this many consecutive turns of this type per engineer; ``None``: no limit.
    within_working_hours
        Only engineers whose working hours contain every on-call interval may hold it.
    may_overlap
        Its seats may be held at the same time as seats of other shift types.
    active, excluded
        Turns exist only when their start date lies in an ``active`` window (when given)
        and in no ``excluded`` window (``except`` in files).
    seats
        What each turn needs.
    business_days, calendar
        Month-end shift types only: the last ``business_days`` business days of each month,
        public holidays of ``calendar`` excluded.
    prefix
        How turn ids start (default: the name), e.g. ``"week"`` for ``"week-001"``.
    """

    name: str
    every: Span | str
    seats: tuple[Seat, ...]
    first: dt.datetime | None = None
    length: Span | None = None
    hours: DailyHours | None = None
    days: frozenset[int] | None = None
    weight: Fraction = Fraction(1)
    max_in_a_row: int | None = None
    within_working_hours: bool = False
    may_overlap: bool = False
    active: tuple[DateWindow, ...] = ()
    excluded: tuple[DateWindow, ...] = ()
    business_days: int = 3
    calendar: str = "US"
    prefix: str = ""

    @property
    def month_end(self) -> bool:
        """Whether turns are month-end windows."""
        return self.every == MONTH_END

    def seat(self, name: str) -> Seat:
        """The seat called ``name``."""
        for seat in self.seats:
            if seat.name == name:
                return seat
        raise KeyError(name)


@dataclass(frozen=True)
class Period:
    """Dated requirement: every seat of every turn covering one of the dates needs seniority."""

    name: str
    dates: DateWindow
    min_seniority: Seniority
    shifts: tuple[str, ...] = ()  # empty: every shift type


@dataclass(frozen=True)
class Apart:
    """Never the same engineer in these seats on a shared covered date."""

    seats: tuple[str, ...]


@dataclass(frozen=True)
class Pairing:
    """When ``seat``'s holder is at most ``when``, the same turn's ``partner`` needs ``needs``."""

    seat: str
    when: Seniority
    partner: str
    needs: Seniority


@dataclass(frozen=True)
class Manager:
    """Who is called last."""

    name: str
    email: str = ""


@dataclass(frozen=True)
class Escalation:
    """Who is called, in order: seat ids, ``"senior"`` (the most senior off duty), ``"manager"``."""

    order: tuple[str, ...] = ()
    manager: Manager | None = None


@dataclass(frozen=True)
class Pattern:
    """The shape of a rotation: shift types, dated requirements, pattern-wide rules.

    A pattern without shift types stands for the default shape (:func:`default_pattern`),
    to which its periods and rules are added.
    """

    shifts: tuple[ShiftType, ...] = ()
    periods: tuple[Period, ...] = ()
    min_rest_hours: int = 0
    apart: tuple[Apart, ...] = ()
    pairing: tuple[Pairing, ...] = ()
    escalation: Escalation = field(default_factory=Escalation)

    def __post_init__(self) -> None:
        if self.shifts:
            self.check()

    def check(self) -> None:
        """Check every reference to a shift type or seat (raises :class:`ScenarioError`)."""
        names = [shift.name for shift in self.shifts]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ScenarioError(
                    f"shifts[{i}].name", f"duplicate shift type {name!r}", "give each a unique name"
                )
        for apart in self.apart:
            for seat in apart.seats:
                self.resolve(seat, "rules.apart.seats")
        for pairing in self.pairing:
            for seat in (pairing.seat, pairing.partner):
                self.resolve(seat, "rules.pairing")
        for period in self.periods:
            for shift in period.shifts:
                if shift not in names:
                    raise ScenarioError(
                        f"periods.{period.name}.shifts",
                        f"{shift!r} is not a shift type",
                        f"use one of {', '.join(names)}",
                    )
        for entry in self.escalation.order:
            if entry not in RESERVED:
                self.resolve(entry, "escalation.order")

    @property
    def seat_ids(self) -> tuple[str, ...]:
        """Every seat as ``shift.seat``, in order."""
        return tuple(f"{shift.name}.{seat.name}" for shift in self.shifts for seat in shift.seats)

    def shift(self, name: str) -> ShiftType:
        """The shift type called ``name``."""
        for shift in self.shifts:
            if shift.name == name:
                return shift
        raise KeyError(name)

    def resolve(self, seat_id: str, field: str) -> tuple[str, str]:
        """``(shift, seat)`` of a seat id (``shift.seat``, or a single-seat shift's name).

        Raises
        ------
        ScenarioError
            For an unknown seat, or a bare shift name with several seats.
        """
        known = ", ".join(self.seat_ids)
        if not isinstance(seat_id, str):
            raise ScenarioError(field, f"{seat_id!r} is not a seat", f"use one of {known}")
        shift_name, _, seat_name = seat_id.partition(".")
        try:
            shift = self.shift(shift_name)
        except KeyError:
            raise ScenarioError(
                field, f"{seat_id!r} is not a seat", f"use one of {known}"
            ) from None
        if not seat_name:
            if len(shift.seats) != 1:
                raise ScenarioError(
                    field,
                    f"{seat_id!r} has {len(shift.seats)} seats",
                    "name one: " + ", ".join(f"{shift.name}.{s.name}" for s in shift.seats),
                )
            return shift.name, shift.seats[0].name
        try:
            shift.seat(seat_name)
        except KeyError:
            raise ScenarioError(
                field, f"{seat_id!r} is not a seat", f"use one of {known}"
            ) from None
        return shift.name, seat_name


def seat_from(value: object, field: str, *, defaults: Seat | None = None) -> Seat:
    """Read a seat: a name, or a table with ``name`` and optional keys."""
    if isinstance(value, str):
        return Seat(parse_name(value, field, "seat"))
    if not isinstance(value, dict):
        raise ScenarioError(field, f"{value!r} is not a seat", 'write "name" or { name = ... }')
    keys = ("name", "weight", "min_seniority", "no_repeat", "holidays", "spread", "pipelines")
    for key in value:
        if key not in keys:
            raise ScenarioError(f"{field}.{key}", "unknown key", f"valid keys: {', '.join(keys)}")
    if "name" not in value:
        raise ScenarioError(f"{field}.name", "is missing", "every seat needs a name")
    base = defaults or Seat("seat")
    holidays = value.get("holidays", base.holidays)
    try:
        mode = HolidayMode(holidays)
    except ValueError:
        raise ScenarioError(
            f"{field}.holidays", f"{holidays!r} is not a mode", 'use "soft" or "hard"'
        ) from None
    pipelines = value.get("pipelines", list(base.pipelines))
    if not isinstance(pipelines, list):
        raise ScenarioError(
            f"{field}.pipelines", f"{pipelines!r} is not a list", 'write ["Profit"] or ["*"]'
        )
    for key in ("no_repeat", "spread"):
        if key in value and not isinstance(value[key], bool):
            raise ScenarioError(
                f"{field}.{key}", f"{value[key]!r} is not true/false", "write true or false"
            )
    return Seat(
        parse_name(value["name"], f"{field}.name", "seat"),
        parse_number(
            value.get("weight", base.weight), f"{field}.weight", decimals=3, low=0, high=100
        ),
        Seniority.parse(value.get("min_seniority", base.min_seniority), f"{field}.min_seniority"),
        bool(value.get("no_repeat", base.no_repeat)),
        mode,
        bool(value.get("spread", base.spread)),
        tuple(parse_text(p, f"{field}.pipelines", limit=NAME_LENGTH) for p in pipelines),
    )


class Policies(Protocol):
    """What :func:`default_pattern` reads of a scenario (a :class:`~fairshift.Scenario`)."""

    @property
    def rules(self) -> Rules:
        """The ``[rules]`` table."""

    @property
    def weights(self) -> Weights:
        """The ``[fairness]`` table."""

    @property
    def month_end(self) -> MonthEnd:
        """The ``[month_end]`` table."""

    @property
    def pattern(self) -> Pattern:
        """The scenario's own pattern (its rules and periods extend the default shape)."""


def default_pattern(scenario: Policies) -> Pattern:
    """Today's shape from a scenario's ``[month_end]`` and ``[rules]`` keys.

    A weekly shift type ``weekly`` with seats ``primary`` and ``secondary`` (weight
    ``fairness.secondary_factor``), and a shift type ``month-end`` with one seat
    ``month_end``; ``apart`` between month-end and the primary when
    ``month_end_not_primary``, and ``pairing`` of a junior primary from
    ``junior_primary_needs``.
    """
    rules, weights, month_end = scenario.rules, scenario.weights, scenario.month_end
    weekly = ShiftType(
        "weekly",
        Span(7, "days"),
        (
            Seat(
                "primary",
                no_repeat=not rules.primary_back_to_back,
                holidays=rules.public_holidays,
            ),
            Seat("secondary", weight=weights.secondary_factor),
        ),
        max_in_a_row=rules.max_consecutive_weeks,
        prefix="week",
    )
    shifts = [weekly]
    if month_end.business_days > 0:
        shifts.append(
            ShiftType(
                "month-end",
                MONTH_END,
                (Seat("month_end", min_seniority=month_end.min_seniority, spread=True),),
                may_overlap=True,
                business_days=month_end.business_days,
                calendar=month_end.calendar,
            )
        )
    apart: tuple[Apart, ...] = ()
    if rules.month_end_not_primary and month_end.business_days > 0:
        apart = (Apart(("month-end.month_end", "weekly.primary")),)
    pairing: tuple[Pairing, ...] = ()
    if rules.junior_primary_needs is not None:
        pairing = (
            Pairing(
                "weekly.primary", Seniority.JUNIOR, "weekly.secondary", rules.junior_primary_needs
            ),
        )
    extra: Pattern = scenario.pattern
    return Pattern(
        tuple(shifts),
        extra.periods,
        extra.min_rest_hours,
        (*apart, *extra.apart),
        (*pairing, *extra.pairing),
        extra.escalation,
    )


# -- reading patterns from scenario files ----------------------------------------------------

#: Keys of ``[[shifts]]``.
SHIFT_KEYS = (
    "name",
    "every",
    "first",
    "length",
    "hours",
    "days",
    "weight",
    "max_in_a_row",
    "within_working_hours",
    "may_overlap",
    "active",
    "except",
    "seats",
    "business_days",
    "calendar",
)
#: Keys of ``[[periods]]``.
PERIOD_KEYS = ("name", "dates", "min_seniority", "shifts")
#: Keys of ``[rules]`` that belong to the pattern (the others are :class:`~fairshift.Rules`).
PATTERN_RULE_KEYS = ("min_rest_hours", "apart", "pairing")


def _table(table: object, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(where, f"{table!r} is not a table", f"write it as [{where}]")
    for key in table:
        if key not in allowed:
            raise ScenarioError(
                f"{where}.{key}", "unknown key", f"valid keys: {', '.join(allowed)}"
            )
    return table


def _tables(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ScenarioError(where, "is not an array of tables", f"write each as [[{where}]]")
    return value


def _flag(table: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}.{key}", f"{value!r} is not true/false", "write true or false")
    return value


def _windows(value: object, where: str) -> tuple[DateWindow, ...]:
    if not isinstance(value, list):
        raise ScenarioError(
            where, f"{value!r} is not a list", 'write [{ from = "12-20", to = "01-02" }]'
        )
    return tuple(DateWindow.parse(item, f"{where}[{i}]") for i, item in enumerate(value))


def _first(value: object, where: str, every: Span, start: dt.date, handoff: dt.time) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is not None:
        raise ScenarioError(
            where,
            f"{value!r} is not a local date and time",
            "write it as 2027-01-04T09:00:00 (no offset: rotation time)",
        )
    default = dt.datetime.combine(start, handoff)
    latest = default + dt.timedelta(days=every.amount)
    if not default <= value < latest:
        raise ScenarioError(
            where,
            f"{value.isoformat()} lies outside its window",
            f"use a time from {default.isoformat()} to before {latest.isoformat()} "
            "(within one turn of the rotation's start at handoff)",
        )
    return value


def shift_from(table: object, where: str, *, start: dt.date, handoff: dt.time) -> ShiftType:
    """Read one ``[[shifts]]`` table (``start`` and ``handoff`` bound ``first``)."""
    from .team import parse_region

    found = _table(table, SHIFT_KEYS, where)
    if "name" not in found:
        raise ScenarioError(f"{where}.name", "is missing", "every shift type needs a name")
    name = parse_name(found["name"], f"{where}.name", "shift type")
    if "every" not in found:
        raise ScenarioError(f"{where}.every", "is missing", 'write e.g. "1 week" or "month-end"')
    every: Span | str = (
        MONTH_END if found["every"] == MONTH_END else Span.parse(found["every"], f"{where}.every")
    )
    month_end = every == MONTH_END
    for key in ("business_days", "calendar", "first"):
        if key in found and (key == "first") == month_end:
            fix = (
                "remove it: month-end turns have fixed dates"
                if month_end
                else ('it applies to month-end shift types only (every = "month-end")')
            )
            raise ScenarioError(f"{where}.{key}", "does not apply here", fix)
    first = None
    if "first" in found:
        assert isinstance(every, Span)
        first = _first(found["first"], f"{where}.first", every, start, handoff)
    days = None
    if "days" in found:
        listed = found["days"]
        if not isinstance(listed, list) or not listed or not all(d in WEEKDAYS for d in listed):
            raise ScenarioError(
                f"{where}.days",
                f"{listed!r} is not a list of weekdays",
                f'write e.g. ["mon", "tue"] using {", ".join(WEEKDAYS)}',
            )
        days = frozenset(WEEKDAYS.index(str(d)) for d in listed)
    seats_value = found.get("seats", ["month_end"] if month_end else None)
    if not isinstance(seats_value, list) or not seats_value:
        raise ScenarioError(
            f"{where}.seats", "is missing or empty", 'write seats = ["primary", "secondary"]'
        )
    base = Seat("seat", spread=True) if month_end else None
    seats = tuple(
        seat_from(item, f"{where}.seats[{i}]", defaults=base) for i, item in enumerate(seats_value)
    )
    names = [seat.name for seat in seats]
    for i, seat_name in enumerate(names):
        if seat_name in names[:i]:
            raise ScenarioError(
                f"{where}.seats[{i}].name",
                f"duplicate seat {seat_name!r}",
                "give each seat its own name",
            )
    return ShiftType(
        name,
        every,
        seats,
        first=first,
        length=(
            Span.parse(found["length"], f"{where}.length", hours=True)
            if "length" in found
            else None
        ),
        hours=DailyHours.parse(found["hours"], f"{where}.hours") if "hours" in found else None,
        days=days,
        weight=parse_number(found.get("weight", 1), f"{where}.weight", decimals=3, low=0, high=100),
        max_in_a_row=(
            parse_whole(found["max_in_a_row"], f"{where}.max_in_a_row", 1, 1000)
            if "max_in_a_row" in found
            else None
        ),
        within_working_hours=_flag(found, "within_working_hours", where, False),
        may_overlap=_flag(found, "may_overlap", where, month_end),
        active=_windows(found.get("active", []), f"{where}.active"),
        excluded=_windows(found.get("except", []), f"{where}.except"),
        business_days=parse_whole(found.get("business_days", 3), f"{where}.business_days", 1, 10),
        calendar=parse_region(found.get("calendar", "US"), f"{where}.calendar"),
    )


def period_from(table: object, where: str) -> Period:
    """Read one ``[[periods]]`` table."""
    found = _table(table, PERIOD_KEYS, where)
    for key in ("name", "dates", "min_seniority"):
        if key not in found:
            raise ScenarioError(f"{where}.{key}", "is missing", "every period needs it")
    shifts = found.get("shifts", [])
    if not isinstance(shifts, list):
        raise ScenarioError(
            f"{where}.shifts", f"{shifts!r} is not a list", 'write ["day", "evening"]'
        )
    return Period(
        parse_text(found["name"], f"{where}.name", limit=NAME_LENGTH, required=True),
        DateWindow.parse(found["dates"], f"{where}.dates"),
        Seniority.parse(found["min_seniority"], f"{where}.min_seniority"),
        tuple(parse_name(s, f"{where}.shifts", "shift type") for s in shifts),
    )


def _apart(rules: dict[str, Any]) -> tuple[Apart, ...]:
    found = []
    for i, item in enumerate(_tables(rules.get("apart", []), "rules.apart")):
        table = _table(item, ("seats",), f"rules.apart[{i}]")
        seats = table.get("seats")
        if not isinstance(seats, list) or len(seats) < 2:
            raise ScenarioError(
                f"rules.apart[{i}].seats",
                f"{seats!r} is not a list of two or more seats",
                'write seats = ["month-end", "weekly.primary"]',
            )
        found.append(Apart(tuple(str(seat) for seat in seats)))
    return tuple(found)


def _pairing(rules: dict[str, Any]) -> tuple[Pairing, ...]:
    found = []
    for i, item in enumerate(_tables(rules.get("pairing", []), "rules.pairing")):
        where = f"rules.pairing[{i}]"
        table = _table(item, ("seat", "when", "partner", "needs"), where)
        for key in ("seat", "when", "partner", "needs"):
            if key not in table:
                raise ScenarioError(
                    f"{where}.{key}", "is missing", "a pairing needs seat, when, partner, needs"
                )
        found.append(
            Pairing(
                str(table["seat"]),
                Seniority.parse(table["when"], f"{where}.when"),
                str(table["partner"]),
                Seniority.parse(table["needs"], f"{where}.needs"),
            )
        )
    return tuple(found)


def _escalation(value: object) -> Escalation:
    found = _table(value, ("order", "manager"), "escalation")
    order = found.get("order", [])
    if not isinstance(order, list) or not all(isinstance(o, str) for o in order):
        raise ScenarioError(
            "escalation.order",
            f"{order!r} is not a list of seats",
            'write ["weekly.primary", "senior", "manager"]',
        )
    manager = None
    if "manager" in found:
        table = _table(found["manager"], ("name", "email"), "escalation.manager")
        if "name" not in table:
            raise ScenarioError("escalation.manager.name", "is missing", "give the manager's name")
        manager = Manager(
            parse_text(table["name"], "escalation.manager.name", limit=NAME_LENGTH, required=True),
            parse_text(table.get("email", ""), "escalation.manager.email", limit=254),
        )
    if "manager" in order and manager is None:
        raise ScenarioError(
            "escalation.manager", "is missing", "name the manager the order calls on"
        )
    return Escalation(tuple(order), manager)


def pattern_from(data: dict[str, Any], *, start: dt.date, handoff: dt.time) -> Pattern:
    """The pattern of a parsed scenario file.

    Reads ``[[shifts]]``, ``[[periods]]``, the pattern's keys of ``[rules]``
    (:data:`PATTERN_RULE_KEYS`) and ``[escalation]``; every key is checked, and errors name
    it. Without ``[[shifts]]`` the result stands for the default shape.
    """
    shifts = tuple(
        shift_from(table, f"shifts[{i}]", start=start, handoff=handoff)
        for i, table in enumerate(_tables(data.get("shifts", []), "shifts"))
    )
    periods = tuple(
        period_from(table, f"periods[{i}]")
        for i, table in enumerate(_tables(data.get("periods", []), "periods"))
    )
    rules = data.get("rules", {})
    rules = rules if isinstance(rules, dict) else {}
    escalation = _escalation(data["escalation"]) if "escalation" in data else Escalation()
    return Pattern(
        shifts,
        periods,
        parse_whole(rules.get("min_rest_hours", 0), "rules.min_rest_hours", 0, 168),
        _apart(rules),
        _pairing(rules),
        escalation,
    )
