"""Fairness objective of the rota model, in exact integer units.

Burdens are scaled by the weight quantum ``s`` (4 with the default weights: quarter days) and
availabilities by their common denominator, so every deviation is an integer::

    D_e = A * B_e - a_e * T + A * s * history_e        (= A * s * deviation_e)

where ``B_e`` is the scaled burden, ``T`` the scaled total and ``a_e`` / ``A`` the scaled
availability of ``e`` and of the whole team. Stages (lexicographic):

1. minimise the largest deviation ``max_e D_e``;
2. maximise the smallest deviation ``min_e D_e``;
3. minimise the sum of squared deviations, measured in quarter days and encoded with
   unary "at least k" literals (linear, so CP-SAT's LP bound proves it);
4. spread month-end shifts, weekend days and public-holiday days among the eligible, one
   category after the other: minimise the largest excess over the fair count
   (:mod:`fairshift.spread`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from ..burden import availability, duty_burden, quantum
from ..calendar import Duty, ShiftCalendar
from ..errors import ScenarioError
from ..spread import apportionment_bound, category, eligible, forbidden, open_duties, unit_count
from .variables import Variables

#: Resolution of stage 3: squared deviations are counted in quarter days.
SQUARE_RESOLUTION = 4
#: Largest magnitude a scaled deviation may reach; CP-SAT's integers are 64-bit.
MAX_MAGNITUDE = 2**60
#: Above this many unary literals per engineer, stage 3 falls back to a product constraint.
MAX_UNARY_LEVELS = 400


@dataclass
class Objective:
    """Burden, deviation and spread expressions over the assignment variables."""

    model: cp_model.CpModel
    vars: Variables
    calendar: ShiftCalendar
    scale: int = 0
    team_availability: int = 0
    availability: dict[str, int] = field(default_factory=dict)
    burden: dict[str, cp_model.IntVar] = field(default_factory=dict)
    deviation: dict[str, cp_model.IntVar] = field(default_factory=dict)
    weights: dict[tuple[str, int], int] = field(default_factory=dict)
    total: cp_model.IntVar = field(init=False)

    def __post_init__(self) -> None:
        self.scale = quantum(self.calendar)
        shares = availability(self.calendar)
        denominator = math.lcm(*(share.denominator for share in shares.values()))
        self.availability = {h: int(share * denominator) for h, share in shares.items()}
        self.team_availability = sum(self.availability.values())
        self._build_burdens()
        self._check_magnitude()
        if self.team_availability > 0:
            self._build_deviations()

    # -- burden and deviation -------------------------------------------------------------

    def slot_weight(self, handle: str, duty: Duty) -> int:
        """Scaled burden of ``handle`` holding ``duty``."""
        return self.weights[handle, duty.position]

    def _build_burdens(self) -> None:
        calendar = self.calendar
        people = {e.handle: e for e in calendar.scenario.engineers}
        # A duty weighs the same for everyone with public holidays on the same of its dates:
        # compute each (duty, holidays) once, not once per engineer.
        known: dict[tuple[int, tuple[bool, ...]], int] = {}
        variables: dict[str, list[cp_model.IntVar]] = {h: [] for h in self.vars.handles}
        coefficients: dict[str, list[int]] = {h: [] for h in self.vars.handles}
        for handle, duty, var in self.vars.items():
            own = calendar.holidays[handle]
            key = (duty.position, tuple(day in own for day in duty.dates))
            if key not in known:
                value = duty_burden(calendar, people[handle], duty) * self.scale
                assert value.denominator == 1, "the weight quantum makes every burden integral"
                known[key] = int(value)
            self.weights[handle, duty.position] = known[key]
            variables[handle].append(var)
            coefficients[handle].append(known[key])
        for handle in self.vars.handles:
            upper = sum(coefficients[handle])
            self.burden[handle] = self.model.new_int_var(0, upper, f"burden:{handle}")
            self.model.add(
                self.burden[handle]
                == cp_model.LinearExpr.weighted_sum(variables[handle], coefficients[handle])
            )
        total_upper = sum(upper_bound(v) for v in self.burden.values())
        self.total = self.model.new_int_var(0, total_upper, "total_burden")
        self.model.add(self.total == sum(self.burden.values()))

    def _check_magnitude(self) -> None:
        """Refuse scenarios whose exact numbers would overflow CP-SAT's 64-bit arithmetic.

        Deviations are ``A * B_e - a_e * T + A * s * h_e`` in whole units of the weights'
        grain; finely divided weights, part-time fractions and long horizons multiply up.
        """
        big_a = max(self.team_availability, 1)
        history = max(abs(e.history) for e in self.calendar.scenario.engineers)
        largest = big_a * upper_bound(self.total) * 2 + int(history * big_a * self.scale)
        if largest > MAX_MAGNITUDE:
            raise ScenarioError(
                "fairness",
                "the weights, part-time fractions and history make the exact burden arithmetic "
                f"too large (about 2^{int(largest).bit_length()}, more than CP-SAT's 2^"
                f"{MAX_MAGNITUDE.bit_length() - 1})",
                "round the weights and fte values to at most 2 decimals, or plan a shorter horizon",
            )

    def _build_deviations(self) -> None:
        big_a = self.team_availability
        total_upper = upper_bound(self.total)
        for engineer in self.calendar.scenario.engineers:
            # Everyone has a deviation, even with no weekly availability (fair share 0): such an
            # engineer may still hold a month-end window, and that burden must count.
            handle, share = engineer.handle, self.availability[engineer.handle]
            offset = int(big_a * engineer.history * self.scale)
            upper_b = upper_bound(self.burden[handle])
            low = -share * total_upper + offset
            high = big_a * upper_b + offset
            deviation = self.model.new_int_var(low, high, f"deviation:{handle}")
            self.model.add(deviation == big_a * self.burden[handle] - share * self.total + offset)
            self.deviation[handle] = deviation
        # Redundant but strong: fair shares sum to T, so the deviations sum to the team's
        # history. Without it, propagation cannot see that pushing one deviation down lifts
        # another.
        self.model.add(
            sum(self.deviation.values())
            == sum(int(big_a * e.history * self.scale) for e in self.calendar.scenario.engineers)
        )

    def deviation_domain(self) -> tuple[int, int]:
        """Smallest and largest value any scaled deviation can take."""
        values = list(self.deviation.values())
        return (
            min(lower_bound(v) for v in values),
            max(upper_bound(v) for v in values),
        )

    def to_units(self, value: int | float) -> float:
        """Convert a scaled deviation back to burden units (days)."""
        return float(Fraction(int(value), self.team_availability * self.scale))

    # -- stages ---------------------------------------------------------------------------

    def largest_deviation(self) -> cp_model.IntVar:
        """A variable bounded below by every deviation (minimise it for stage 1)."""
        low, high = self.deviation_domain()
        top = self.model.new_int_var(low, high, "largest_deviation")
        self.model.add_max_equality(top, list(self.deviation.values()))
        return top

    def smallest_deviation(self) -> cp_model.IntVar:
        """A variable bounded above by every deviation (maximise it for stage 2)."""
        low, high = self.deviation_domain()
        bottom = self.model.new_int_var(low, high, "smallest_deviation")
        self.model.add_min_equality(bottom, list(self.deviation.values()))
        return bottom

    def sum_of_squares(self, low: int, high: int) -> cp_model.LinearExprT:
        """Sum over engineers of (deviation in quarter days)^2, given ``low <= D_e <= high``.

        ``q_e`` is the deviation rounded to the nearest quarter day; its square is a sum of
        ordered unary literals ``q_e >= k`` with increasing costs ``2k - 1``, which is linear
        and convex, so the LP relaxation gives CP-SAT a strong bound.
        """
        unit = self.team_availability * self.scale  # D_e / unit = deviation in days
        res = SQUARE_RESOLUTION
        q_low = _nearest(low * res, unit)
        q_high = _nearest(high * res, unit)
        terms: list[cp_model.LinearExprT] = []
        for handle, deviation in self.deviation.items():
            q = self.model.new_int_var(q_low, q_high, f"quarters:{handle}")
            # q = round(res * D / unit):  (2q - 1) * unit <= 2 * res * D <= (2q + 1) * unit - 1
            self.model.add((2 * q - 1) * unit <= 2 * res * deviation)
            self.model.add(2 * res * deviation <= (2 * q + 1) * unit - 1)
            terms.append(self._square(q, q_low, q_high, handle))
        return sum(terms)

    def least_squares(
        self, low: int, high: int, low_reached: bool = False, high_reached: bool = False
    ) -> int:
        """A lower bound on :meth:`sum_of_squares` given ``low <= D_e <= high``.

        Every engineer's rounded deviation ``q_e`` lies between those of ``low`` and
        ``high``, so each square is at least the least square there. When stage 1's value
        ``high`` is proven optimal (``high_reached``), some engineer's deviation is exactly
        ``high``; likewise someone is at ``low`` when ``low_reached``, and, unless every
        deviation is equal, that is someone else.

        Examples
        --------
        With 100 units a day, deviations of 0.10 and -0.15 days are 0.4 and -0.6 quarter
        days, which round to 0 and -1: three engineers square to at least 0 + 1 + 0 once
        both values are reached, and to at least 0 before.

        >>> from types import SimpleNamespace
        >>> fake = SimpleNamespace(team_availability=25, scale=4, deviation={1: 0, 2: 0, 3: 0})
        >>> Objective.least_squares(fake, -15, 10, True, True)
        1
        >>> Objective.least_squares(fake, -15, 10)
        0
        """
        unit = self.team_availability * self.scale
        res = SQUARE_RESOLUTION
        q_low, q_high = _nearest(low * res, unit), _nearest(high * res, unit)
        least = 0 if q_low <= 0 <= q_high else min(q_low * q_low, q_high * q_high)
        size = len(self.deviation)
        if size == 0:
            return 0
        if low == high and (low_reached or high_reached):
            return size * q_low * q_low
        total = size * least
        if high_reached:
            total += q_high * q_high - least
        if low_reached and size > 1:
            total += q_low * q_low - least
        return total

    def _square(self, q: cp_model.IntVar, low: int, high: int, handle: str) -> cp_model.LinearExprT:
        if high - low > MAX_UNARY_LEVELS:
            square = self.model.new_int_var(0, max(low * low, high * high), f"sq:{handle}")
            self.model.add_multiplication_equality(square, [q, q])
            return square
        levels = [self.model.new_bool_var(f"{handle}>={k}") for k in range(low + 1, high + 1)]
        for below, above in itertools.pairwise(levels):
            self.model.add_implication(above, below)
        self.model.add(q == low + sum(levels))
        return low * low + sum(
            (2 * k - 1) * level for k, level in zip(range(low + 1, high + 1), levels, strict=True)
        )

    def spread(self, name: str) -> SpreadTerm | None:
        """Stage 4's term for one category (see :func:`fairshift.spread.categories`).

        The largest scaled excess ``A_c * count_e - a_e * N_c`` over the category's eligible
        engineers, where ``N_c`` is the category's total, ``a_e`` an eligible engineer's
        availability and ``A_c`` theirs together (equal shares when all are 0). Counts are
        whole multiples of the category's finest fraction of a day (1 for turns). ``None``
        when nobody is eligible.
        """
        calendar = self.calendar
        kind = category(calendar, name)
        among = eligible(calendar, kind)
        if not among:
            return None
        shares = [self.availability[h] for h in among]
        if sum(shares) == 0:
            shares = [1] * len(among)
        big_a = sum(shares)
        duties = open_duties(calendar, kind)
        units = {(h, d.position): unit_count(calendar, kind, h, d) for d in duties for h in among}
        grain = math.lcm(1, *(u.denominator for u in units.values()))
        counts: dict[str, list[tuple[cp_model.IntVar, int]]] = {h: [] for h in among}
        # Per engineer and turn: the most one turn adds (one seat of a turn at a time, see
        # ShiftCalendar.one_of).
        most: dict[str, dict[tuple[str, int, str], int]] = {h: {} for h in among}
        # Per duty: the smallest and largest count any possible holder would add.
        extremes: dict[int, tuple[int, int]] = {}
        for duty in duties:
            for handle in among:
                if forbidden(calendar, handle, duty):
                    continue
                value = int(units[handle, duty.position] * grain)
                if value:
                    counts[handle].append((self.vars.holds(handle, duty), value))
                    place = calendar.one_of(duty)
                    most[handle][place] = max(most[handle].get(place, 0), value)
                low, high = extremes.get(duty.position, (value, value))
                extremes[duty.position] = (min(low, value), max(high, value))
        caps = {h: sum(most[h].values()) for h in among}
        n_low = sum(low for low, _ in extremes.values())
        n_high = sum(high for _, high in extremes.values())
        total = self.model.new_int_var(n_low, n_high, f"{name}:total")
        expressions = {
            h: cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms])
            for h, terms in counts.items()
        }
        self.model.add(total == sum(expressions.values()))
        width = big_a * sum(caps.values()) + max(shares) * n_high
        largest = self.model.new_int_var(-width, width, f"{name}:largest_excess")
        self.model.add_max_equality(
            largest,
            [
                big_a * expressions[h] - share * total
                for h, share in zip(among, shares, strict=True)
            ],
        )
        bound = apportionment_bound(shares, [caps[h] for h in among], range(n_low, n_high + 1))
        return SpreadTerm(
            name,
            largest,
            big_a * grain,
            bound,
            tuple(shares),
            tuple(caps[h] for h in among),
            n_low,
            n_high,
            grain,
        )


@dataclass(frozen=True)
class SpreadTerm:
    """Stage 4's objective for one category (see :meth:`Objective.spread`).

    Attributes
    ----------
    category
        One of :data:`fairshift.spread.CATEGORIES`.
    largest
        The largest scaled excess over the eligible engineers (minimise it).
    scale
        ``A_c`` times the grain: divide a scaled excess by it for units of the category.
    bound
        The apportionment bound on ``largest`` (``None`` if the caps cannot hold the total).
    shares, caps, total_low, total_high
        The eligible engineers' availabilities and most counts, and the total's range.
    grain
        Counts are in multiples of ``1 / grain`` of a unit.
    """

    category: str
    largest: cp_model.IntVar
    scale: int
    bound: int | None
    shares: tuple[int, ...] = ()
    caps: tuple[int, ...] = ()
    total_low: int = 0
    total_high: int = 0
    grain: int = 1

    def to_units(self, value: int | float) -> float:
        """A scaled excess in units of the category."""
        return float(Fraction(round(value), self.scale))

    def next_value(self, value: int) -> int | None:
        """The least largest excess above ``value`` that whole counts could give.

        A largest excess is ``A_c * count - a_e * N`` for some eligible engineer, a count
        within their cap and a total ``N`` of the category (counts in grains).
        """
        big_a = sum(self.shares)
        best: int | None = None
        for share, cap in zip(self.shares, self.caps, strict=True):
            for total in range(self.total_low, self.total_high + 1):
                count = (value + share * total) // big_a + 1
                if 0 <= count <= cap:
                    found = big_a * count - share * total
                    best = found if best is None else min(best, found)
        return best


def lower_bound(var: cp_model.IntVar) -> int:
    """Lower bound of a variable's domain."""
    return int(next(iter(var.proto.domain)))


def upper_bound(var: cp_model.IntVar) -> int:
    """Upper bound of a variable's domain."""
    return int(list(var.proto.domain)[-1])


def _nearest(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` with halves rounded up, in exact integers."""
    return (2 * numerator + denominator) // (2 * denominator)
