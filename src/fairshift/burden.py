"""Burden: what holding a duty costs its holder, and each engineer's fair share of the total.

The burden of holding a seat in a turn is the sum, over the dates the turn covers, of the
fraction of the date covered times the day weight times the seat's weight times the shift
type's weight. The day weight is ``public_holiday`` on the holder's own public holidays,
else ``weekend`` on Saturday and Sunday, else ``weekday``; on a month-end shift type every
covered date weighs ``month_end``. Fair share splits the period's total burden in proportion
to availability (``fte`` times the horizon dates on which the engineer is employed and not on
leave). Deviation = burden - fair share + history.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

from .calendar import Duty, ShiftCalendar
from .policy import Weights
from .team import Engineer
from .turns import Interval

if TYPE_CHECKING:
    from .roster import Assignment


def day_weight(weights: Weights, day: dt.date, own_holidays: Mapping[dt.date, str]) -> Fraction:
    """Weight of one on-call day for an engineer whose public holidays are ``own_holidays``."""
    if day in own_holidays:
        return weights.public_holiday
    if day.weekday() >= 5:
        return weights.weekend
    return weights.weekday


def covered_burden(
    calendar: ShiftCalendar,
    engineer: Engineer,
    shift: str,
    seat: str,
    covered: tuple[tuple[dt.date, Fraction], ...],
) -> Fraction:
    """Burden of holding ``seat`` of ``shift`` over ``covered`` ``(date, fraction)`` pairs."""
    weights = calendar.scenario.weights
    kind = calendar.shift_type(shift)
    own = calendar.holidays[engineer.handle]
    if kind.month_end:
        days = sum((share * weights.month_end for _, share in covered), Fraction(0))
    else:
        days = sum((share * day_weight(weights, d, own) for d, share in covered), Fraction(0))
    return days * kind.seat(seat).weight * kind.weight


def duty_burden(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> Fraction:
    """Burden of ``engineer`` holding ``duty``."""
    return covered_burden(calendar, engineer, duty.shift, duty.seat, duty.turn.covered)


def row_burden(
    calendar: ShiftCalendar, engineer: Engineer, row: Assignment, duty: Duty | None
) -> Fraction:
    """Burden of a schedule row: its duty's, or (a row that matches no duty) its own span's."""
    if duty is not None:
        return duty_burden(calendar, engineer, duty)
    shift = row.shift or next(
        (s.name for s in calendar.pattern.shifts if any(x.name == row.seat for x in s.seats)),
        None,
    )
    if shift is None or not any(x.name == row.seat for x in calendar.shift_type(shift).seats):
        return Fraction(0)
    covered = Interval(row.start, row.end).covered(calendar.scenario.rotation.timezone)
    return covered_burden(calendar, engineer, shift, str(row.seat), covered)


def availability(calendar: ShiftCalendar) -> dict[str, Fraction]:
    """Availability per engineer: ``fte`` times horizon dates employed and not on leave."""
    return {e.handle: calendar.availability(e) for e in calendar.scenario.engineers}


def fair_shares(total: Fraction, available: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """Split ``total`` burden in proportion to availability (zero for nobody available)."""
    pool = sum(available.values(), Fraction(0))
    if pool == 0:
        return dict.fromkeys(available, Fraction(0))
    return {handle: total * share / pool for handle, share in available.items()}


def quantum(calendar: ShiftCalendar) -> int:
    """Smallest integer scale that makes every duty's burden and every history integral.

    With the default weights (1, 1.5, 2, 2 and a secondary factor of 0.5) and weekly turns it
    is 4: burdens are counted in quarter days. Eight-hour shifts add thirds.
    """
    scale = 1
    people = calendar.scenario.engineers
    seen: set[tuple[object, ...]] = set()
    for duty in calendar.duties:
        for engineer in people:
            own = calendar.holidays[engineer.handle]
            key = (duty.shift, duty.seat, duty.turn.covered, tuple(d in own for d in duty.dates))
            if key in seen:
                continue
            seen.add(key)
            scale = math.lcm(scale, duty_burden(calendar, engineer, duty).denominator)
    for engineer in people:
        scale = math.lcm(scale, Fraction(engineer.history).denominator)
    return scale
