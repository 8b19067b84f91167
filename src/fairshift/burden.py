"""Burden: what one shift costs its holder, and each engineer's fair share of the total.

Burden of an engineer = sum over the dates their slots cover of the day weight
(``public_holiday`` if the date is a public holiday in *their* region, else ``weekend`` on
Saturday/Sunday, else ``weekday``), times ``secondary_factor`` for secondary slots; a month-end
slot weighs ``month_end`` per covered date. Fair share splits the period's total burden in
proportion to availability (weekly slots an engineer could take given leave and employment,
times ``fte``). Deviation = burden - fair share + history.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

from .calendar import Role, ShiftCalendar, covered_dates
from .policy import Weights
from .team import Engineer


def day_weight(weights: Weights, day: dt.date, own_holidays: Mapping[dt.date, str]) -> Fraction:
    """Weight of one on-call day for an engineer whose public holidays are ``own_holidays``."""
    if day in own_holidays:
        return weights.public_holiday
    if day.weekday() >= 5:
        return weights.weekend
    return weights.weekday


def dates_burden(
    weights: Weights, role: Role, dates: Iterable[dt.date], own_holidays: Mapping[dt.date, str]
) -> Fraction:
    """Burden of holding ``role`` over ``dates``."""
    if role is Role.MONTH_END:
        return weights.month_end * sum(1 for _ in dates)
    total = sum((day_weight(weights, day, own_holidays) for day in dates), Fraction(0))
    return total * weights.secondary_factor if role is Role.SECONDARY else total


def shift_burden(
    calendar: ShiftCalendar,
    engineer: Engineer,
    role: Role,
    start: dt.datetime,
    end: dt.datetime,
) -> Fraction:
    """Burden of ``engineer`` holding ``role`` from ``start`` to ``end`` (any shift, any times)."""
    dates = covered_dates(start, end, calendar.scenario.rotation.timezone)
    return dates_burden(calendar.scenario.weights, role, dates, calendar.holidays[engineer.handle])


def availability(calendar: ShiftCalendar) -> dict[str, Fraction]:
    """Availability per engineer: weekly slots open to them (leave, employment) times fte."""
    return {e.handle: calendar.available_weeks(e) * e.fte for e in calendar.scenario.engineers}


def fair_shares(total: Fraction, available: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """Split ``total`` burden in proportion to availability (zero for nobody available)."""
    pool = sum(available.values(), Fraction(0))
    if pool == 0:
        return dict.fromkeys(available, Fraction(0))
    return {handle: total * share / pool for handle, share in available.items()}


def quantum(calendar: ShiftCalendar) -> int:
    """Smallest integer scale that makes every slot burden and every history integral.

    With the default weights (1, 1.5, 2, 2 and a secondary factor of 0.5) it is 4: burdens
    are counted in quarter days.
    """
    weights = calendar.scenario.weights
    values = [
        weights.weekday,
        weights.weekend,
        weights.public_holiday,
        weights.month_end,
        *(
            w * weights.secondary_factor
            for w in (weights.weekday, weights.weekend, weights.public_holiday)
        ),
        *(e.history for e in calendar.scenario.engineers),
    ]
    scale = 1
    for value in values:
        scale = math.lcm(scale, Fraction(value).denominator)
    return scale
