"""Spreading the hard turns and days: stage 4 of the objective, and its statistics.

The last fairness stage spreads *categories*, one after the other in this fixed order
(:func:`categories`):

1. every seat marked ``spread`` (the default shape's month-end seat: ``month_end_shifts``),
   counting the turns held;
2. ``weekend_days``: Saturdays and Sundays on call (fractions of a day for shorter
   intervals) that are not one of the holder's own public holidays;
3. ``holiday_days``: the holder's own public holidays on call.

Weekend and holiday days count duties of every shift type but month-end ones. Each category
has its *eligible* engineers: for a seat, those whom no hard rule keeps off all of its
duties (seniority, leave, employment, ...); for the days, those who could hold some duty
that counts them. An eligible engineer's *fair count* is the category's total split in
proportion to availability among the eligible, and their *excess* is their count minus their
fair count. The stage minimises the largest excess of each category in turn, each optimum
fixed before the next. Engineers who are not eligible have no fair count and no excess
("n/a"), never a 0 that would widen a spread.

Counts add up to the category's total in whole units (turns, or the finest fraction of a day
the pattern covers), so the largest excess cannot fall below an *apportionment bound*
(:func:`apportionment_bound`): the least ``z`` for which every engineer may hold
``floor(fair count + z)`` (capped by what they could hold at all) and those caps still add
up to the total. A schedule that meets it proves the category optimal.

Everything here is computed from the calendar and from schedule rows alone; the CP-SAT model
(:mod:`fairshift.model.objective`) builds its expressions from :func:`unit_count`, so the
statistics and the objective are one definition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .burden import availability
from .calendar import Duty, ShiftCalendar, expand
from .scenario import Scenario

if TYPE_CHECKING:
    from .roster import Assignment

#: The day categories, after the seat categories.
DAY_CATEGORIES = ("weekend_days", "holiday_days")


@dataclass(frozen=True)
class Category:
    """One thing stage 4 spreads.

    Attributes
    ----------
    name
        Id, e.g. ``"month_end_shifts"``, ``"day_p1_turns"``, ``"weekend_days"``.
    label
        In words, e.g. ``"month-end shifts"``.
    unit
        ``"shifts"``, ``"turns"`` or ``"days"``.
    seat
        ``(shift, seat)`` for a seat category; ``None`` for a day category.
    """

    name: str
    label: str
    unit: str
    seat: tuple[str, str] | None = None


def categories(calendar: ShiftCalendar) -> tuple[Category, ...]:
    """Stage 4's categories, in order: spread seats, then weekend and holiday days."""
    found = []
    for shift in calendar.pattern.shifts:
        for seat in shift.seats:
            if not seat.spread:
                continue
            if calendar.scenario.default_shape and (shift.name, seat.name) == (
                "month-end",
                "month_end",
            ):
                found.append(
                    Category(
                        "month_end_shifts", "month-end shifts", "shifts", (shift.name, seat.name)
                    )
                )
                continue
            name = f"{shift.name}_{seat.name}".replace("-", "_") + "_turns"
            label = shift.name if len(shift.seats) == 1 else f"{shift.name}.{seat.name}"
            found.append(Category(name, f"{label} turns", "turns", (shift.name, seat.name)))
    found.append(Category("weekend_days", "weekend days", "days"))
    found.append(Category("holiday_days", "public-holiday days", "days"))
    return tuple(found)


def category(calendar: ShiftCalendar, name: str) -> Category:
    """The category called ``name``."""
    for found in categories(calendar):
        if found.name == name:
            return found
    raise ValueError(f"unknown category {name!r}")


def unit_count(calendar: ShiftCalendar, kind: Category, handle: str, duty: Duty) -> Fraction:
    """Units of ``kind`` that ``handle`` collects by holding ``duty``."""
    if kind.seat is not None:
        return Fraction(1) if (duty.shift, duty.seat) == kind.seat else Fraction(0)
    return day_count(calendar, kind.name, handle, duty.shift, duty.turn.covered)


def day_count(
    calendar: ShiftCalendar,
    name: str,
    handle: str,
    shift: str,
    covered: tuple[tuple[dt.date, Fraction], ...],
) -> Fraction:
    """Weekend or holiday days (``name``) in ``covered``, for ``handle``, on ``shift``."""
    if calendar.shift_type(shift).month_end:
        return Fraction(0)
    own = calendar.holidays[handle]
    if name == "weekend_days":
        return sum(
            (share for day, share in covered if day.weekday() >= 5 and day not in own), Fraction(0)
        )
    if name == "holiday_days":
        return sum((share for day, share in covered if day in own), Fraction(0))
    raise ValueError(f"unknown day category {name!r}; expected one of {', '.join(DAY_CATEGORIES)}")


def open_duties(calendar: ShiftCalendar, kind: Category) -> tuple[Duty, ...]:
    """The duties that count for ``kind``."""
    if kind.seat is not None:
        return calendar.duties_of(*kind.seat)
    return tuple(d for d in calendar.duties if not calendar.shift_type(d.shift).month_end)


def forbidden(calendar: ShiftCalendar, handle: str, duty: Duty) -> bool:
    """Whether a hard rule keeps ``handle`` off ``duty`` outright."""
    from .rules import FORBIDDING

    cache = calendar.memo("forbidden", dict)
    key = (handle, duty.position)
    if key not in cache:
        engineer = calendar.scenario.engineer(handle)
        cache[key] = any(
            rule.forbids(calendar, engineer, duty) is not None  # type: ignore[misc]
            for rule in FORBIDDING
        )
    return bool(cache[key])


def eligible(calendar: ShiftCalendar, kind: Category | str) -> tuple[str, ...]:
    """Handles of the engineers a category is spread among, in scenario order."""
    if isinstance(kind, str):
        kind = category(calendar, kind)
    duties = open_duties(calendar, kind)
    return tuple(
        e.handle
        for e in calendar.scenario.engineers
        if any(not forbidden(calendar, e.handle, d) for d in duties)
    )


@dataclass(frozen=True)
class Spread:
    """How one category is spread in a schedule.

    Attributes
    ----------
    category
        The category's name.
    counts
        Per engineer (everyone, in scenario order), the units held.
    fair
        Per eligible engineer, the fair count; the others are absent.
    """

    category: str
    counts: dict[str, Fraction]
    fair: dict[str, Fraction]

    @property
    def total(self) -> Fraction:
        """Units held by anyone."""
        return sum(self.counts.values(), Fraction(0))

    @property
    def excess(self) -> dict[str, Fraction]:
        """Count minus fair count, per eligible engineer."""
        return {h: self.counts[h] - share for h, share in self.fair.items()}

    @property
    def largest_excess(self) -> Fraction | None:
        """The stage's objective: the largest excess (``None`` when nobody is eligible)."""
        return max(self.excess.values()) if self.fair else None


def fair_counts(
    total: int | Fraction, shares: Mapping[str, Fraction], among: Sequence[str]
) -> dict[str, Fraction]:
    """Split ``total`` among ``among`` in proportion to ``shares`` (evenly if all are zero)."""
    pool = sum((shares[h] for h in among), Fraction(0))
    if pool == 0:
        return {h: Fraction(total) / max(len(among), 1) for h in among}
    return {h: Fraction(total) * shares[h] / pool for h in among}


def spread_of(scenario: Scenario, assignments: Iterable[Assignment], name: str) -> Spread:
    """Counts, fair counts and excesses of category ``name`` in a schedule's rows.

    Rows naming someone outside the team, or unfilled, are ignored.
    """
    from .rules import RowContext

    calendar = expand(scenario)
    kind = category(calendar, name)
    rows = RowContext(scenario, list(assignments))
    counts = dict.fromkeys(scenario.handles, Fraction(0))
    for handle, held in rows.held.items():
        for _row, duty in held:
            counts[handle] += unit_count(calendar, kind, handle, duty)
    among = eligible(calendar, kind)
    fair = fair_counts(sum(counts.values(), Fraction(0)), availability(calendar), among)
    return Spread(name, counts, fair)


def spreads(scenario: Scenario, assignments: Iterable[Assignment]) -> dict[str, Spread]:
    """:func:`spread_of` for every category, in :func:`categories` order."""
    rows = list(assignments)
    calendar = expand(scenario)
    return {kind.name: spread_of(scenario, rows, kind.name) for kind in categories(calendar)}


# -- the apportionment bound ----------------------------------------------------------------


def least_excess(shares: Sequence[int], caps: Sequence[int], total: int) -> int | None:
    """The least scaled largest excess with which whole counts can add up to ``total``.

    With ``A = sum(shares)``, an engineer of share ``a`` whose scaled excess
    ``A * count - a * total`` is at most ``z`` holds at most ``floor((z + a * total) / A)``
    units (and at most their cap). The result is the least integer ``z`` for which those
    limits add up to ``total``, or ``None`` when even the caps do not.

    Examples
    --------
    Five units among three equal engineers: someone holds two, a fair count of 5/3, so the
    largest excess is 1/3 (scaled by ``A = 3``: 1).

    >>> least_excess([1, 1, 1], [9, 9, 9], 5)
    1
    """
    if total == 0:
        return 0  # nothing to hold: every count and every fair count is 0
    if total < 0 or not shares or sum(caps) < total:
        return None
    big_a = sum(shares)
    if big_a <= 0:
        raise ValueError("shares must add up to more than 0 (give equal shares instead)")

    def fits(z: int) -> bool:
        held = 0
        for a, cap in zip(shares, caps, strict=True):
            held += max(0, min(cap, (z + a * total) // big_a))
        return held >= total

    low, high = -max(shares) * total - 1, big_a * total  # fits(high) holds when caps do
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return high


def apportionment_bound(
    shares: Sequence[int], caps: Sequence[int], totals: Iterable[int]
) -> int | None:
    """:func:`least_excess` minimised over every possible ``total`` (``None`` if none fits)."""
    found = [z for total in totals if (z := least_excess(shares, caps, total)) is not None]
    return min(found) if found else None
