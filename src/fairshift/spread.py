"""Spreading the hard days: month-end shifts, weekend days and public-holiday days.

The last fairness stage of the objective spreads three *categories* of hard days, one after
the other in this fixed order (:data:`CATEGORIES`):

1. ``month_end_shifts``: month-end windows held;
2. ``weekend_days``: Saturdays and Sundays on call in a weekly role (primary or secondary)
   that are not one of the holder's own public holidays;
3. ``holiday_days``: the holder's own public holidays on call in a weekly role.

Each category has its *eligible* engineers: for month-end shifts, those who meet
``month_end.min_seniority`` and could take at least one window (leave and employment
allowing); for weekend and holiday days, everyone who can hold a weekly role. An eligible
engineer's *fair count* is the category's total split in proportion to availability among
the eligible, and their *excess* is their count minus their fair count. The stage minimises
the largest excess of each category in turn, each optimum fixed before the next. Engineers
who are not eligible have no fair count and no excess ("n/a"), never a 0 that would widen a
spread.

Counts are whole numbers that add up to the category's total, so the largest excess cannot
fall below an *apportionment bound* (:func:`apportionment_bound`): the least ``z`` for which
every engineer may hold ``floor(fair count + z)`` (capped by what they could hold at all) and
those caps still add up to the total. A schedule that meets it proves the category optimal.

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
from .calendar import WEEKLY_ROLES, Role, ShiftCalendar, Slot, covered_dates, expand
from .scenario import Scenario

if TYPE_CHECKING:
    from .schedule import Assignment

#: The categories, in the order the objective spreads them.
CATEGORIES = ("month_end_shifts", "weekend_days", "holiday_days")

#: How people name one unit of each category.
UNITS = {"month_end_shifts": "shifts", "weekend_days": "days", "holiday_days": "days"}

#: Human names of the categories.
LABELS = {
    "month_end_shifts": "month-end shifts",
    "weekend_days": "weekend days",
    "holiday_days": "public-holiday days",
}


def dates_count(
    category: str, role: Role, dates: Iterable[dt.date], own: Mapping[dt.date, str]
) -> int:
    """How many units of ``category`` holding ``role`` over ``dates`` counts for its holder.

    ``own`` are the holder's public holidays. A public holiday on a weekend is a holiday day,
    not a weekend day.
    """
    if category == "month_end_shifts":
        return 1 if role is Role.MONTH_END else 0
    if role not in WEEKLY_ROLES:
        return 0
    if category == "weekend_days":
        return sum(1 for day in dates if day.weekday() >= 5 and day not in own)
    if category == "holiday_days":
        return sum(1 for day in dates if day in own)
    raise ValueError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")


def unit_count(calendar: ShiftCalendar, category: str, handle: str, role: Role, slot: Slot) -> int:
    """Units of ``category`` that ``handle`` collects by holding ``role`` in ``slot``."""
    return dates_count(category, role, slot.dates, calendar.holidays[handle])


def eligible(calendar: ShiftCalendar, category: str) -> tuple[str, ...]:
    """Handles of the engineers a category is spread among, in scenario order."""
    scenario = calendar.scenario
    if category == "month_end_shifts":
        minimum = scenario.month_end.min_seniority
        return tuple(
            e.handle
            for e in scenario.engineers
            if e.seniority >= minimum
            and any(calendar.blocked(e, window) is None for window in calendar.month_ends)
        )
    return tuple(e.handle for e in scenario.engineers if calendar.available_weeks(e) > 0)


@dataclass(frozen=True)
class Spread:
    """How one category is spread in a schedule.

    Attributes
    ----------
    category
        One of :data:`CATEGORIES`.
    counts
        Per engineer (everyone, in scenario order), the units held.
    fair
        Per eligible engineer, the fair count; the others are absent.
    """

    category: str
    counts: dict[str, int]
    fair: dict[str, Fraction]

    @property
    def total(self) -> int:
        """Units held by anyone."""
        return sum(self.counts.values())

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
        return {h: Fraction(total, max(len(among), 1)) for h in among}
    return {h: Fraction(total) * shares[h] / pool for h in among}


def spread_of(scenario: Scenario, assignments: Iterable[Assignment], category: str) -> Spread:
    """Counts, fair counts and excesses of ``category`` in a schedule's rows.

    Rows naming someone outside the team, or unfilled, are ignored.
    """
    calendar = expand(scenario)
    zone = scenario.rotation.timezone
    counts = dict.fromkeys(scenario.handles, 0)
    for a in assignments:
        if a.engineer in counts:
            own = calendar.holidays[a.engineer]
            counts[a.engineer] += dates_count(
                category, a.role, covered_dates(a.start, a.end, zone), own
            )
    among = eligible(calendar, category)
    fair = fair_counts(sum(counts.values()), availability(calendar), among)
    return Spread(category, counts, fair)


def spreads(scenario: Scenario, assignments: Iterable[Assignment]) -> dict[str, Spread]:
    """:func:`spread_of` for every category, in :data:`CATEGORIES` order."""
    rows = list(assignments)
    return {category: spread_of(scenario, rows, category) for category in CATEGORIES}


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
