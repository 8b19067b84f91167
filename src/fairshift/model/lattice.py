"""Lattice bounds on the deviation stages: what integrality alone rules out.

The LP relaxation splits shifts fractionally and meets every fair share exactly, so its bound
on the largest deviation is the team's mean deviation. Real burdens are sums of whole shifts:
engineer ``e`` can only carry a burden from the set ``R_e`` of sums of the shifts open to them
(at most one seat of each turn; every rule that keeps an engineer off a duty outright
respected: leave, employment, seniority, periods, working hours, hard holidays). A subset-sum
pass gives ``R_e`` exactly for that relaxation.

Largest deviation at most ``z`` means, for every engineer, ``A * B_e - a_e * T + h_e <= z``
(notation of :mod:`fairshift.model.objective`), so ``B_e`` is at most the largest value of
``R_e`` under ``(z + a_e * T - h_e) / A``; the burdens must still add up to the total ``T``,
which lies between the cheapest and the dearest holder of every shift. Heavy shifts need
holders whose cap they fit under, and every shift needs one holder; near the dearest total
only the dearest holders are possible, since any other lowers ``T`` by the difference. The
smallest ``z`` for which some ``T`` passes these tests is a valid lower bound on stage 1; the
same reasoning bounds the smallest deviation of stage 2 from above. Both are checked against
proven optima in the tests; a schedule that meets them is proven optimal at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..calendar import Duty
from ..spread import forbidden
from .objective import Objective

#: Beyond this magnitude the int64 arithmetic below could overflow: no bound is given.
_LIMIT = 2**61
#: Largest total of all engineers' heaviest possible burdens (bits of the subset sums).
_MAX_BITS = 2**24
#: Floor of a total that no assignment reaches (larger than any deviation tested).
_IMPOSSIBLE = 2**62

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ShiftClass:
    """Shifts that must be held at a weight of at least ``weight``.

    An engineer holding ``c`` of them carries at least ``c * weight``.

    Attributes
    ----------
    count
        How many shifts are held at ``weight`` or more: one number, or one per total ``T``
        (from ``total_low``).
    weight
        The weight level.
    open
        Per engineer, how many shifts weigh at least ``weight`` for them.
    """

    count: IntArray | int
    weight: int
    open: IntArray


@dataclass(frozen=True)
class Lattice:
    """Achievable burdens per engineer and the range of the total burden.

    Attributes
    ----------
    values
        All achievable burdens of all engineers, engineer ``i``'s shifted by ``i * stride``,
        sorted (so one ``searchsorted`` rounds every engineer's cap at once).
    stride
        Larger than any burden.
    availability, offset
        ``a_e`` and ``h_e`` per engineer, in the objective's order.
    team_availability
        ``A``.
    total_low, total_high
        Smallest and largest possible total burden ``T``.
    classes
        Heavy shifts that need distinct holders.
    single
        Per total ``T`` (from ``total_low``), the largest deviation some holder of a single
        shift must reach: the maximum over shifts of the minimum over their possible holders.
    """

    values: IntArray
    stride: int
    availability: IntArray
    offset: IntArray
    team_availability: int
    total_low: int
    total_high: int
    classes: tuple[ShiftClass, ...] = ()
    single: IntArray | None = None

    @property
    def size(self) -> int:
        """Number of engineers."""
        return len(self.availability)

    def _caps(self, z: IntArray, totals: IntArray) -> IntArray:
        """``(z + a_e * T - h_e) / A`` rounded down, per total (rows) and engineer (columns)."""
        raw = z[:, None] + self.availability[None, :] * totals[:, None] - self.offset[None, :]
        return np.floor_divide(raw, self.team_availability)

    def _ceil_caps(self, y: IntArray, totals: IntArray) -> IntArray:
        """``(y + a_e * T - h_e) / A`` rounded up, per total (rows) and engineer (columns)."""
        raw = y[:, None] + self.availability[None, :] * totals[:, None] - self.offset[None, :]
        return -np.floor_divide(-raw, self.team_availability)

    def _round_down(self, caps: IntArray) -> IntArray:
        """Largest achievable burden ``<= cap`` per cell; -1 where there is none."""
        clipped = np.clip(caps, -1, self.stride - 1)
        base = np.arange(self.size, dtype=np.int64)[None, :] * self.stride
        keys = base + clipped
        index = np.searchsorted(self.values, keys, side="right") - 1
        found = self.values[np.maximum(index, 0)]
        result = found - base
        return np.where((clipped >= 0) & (index >= 0) & (result >= 0), result, -1)

    def _round_up(self, floors: IntArray) -> IntArray:
        """Smallest achievable burden ``>= floor`` per cell; ``stride`` where there is none."""
        clipped = np.clip(floors, 0, self.stride)
        base = np.arange(self.size, dtype=np.int64)[None, :] * self.stride
        index = np.searchsorted(self.values, base + clipped, side="left")
        found = self.values[np.minimum(index, len(self.values) - 1)]
        result = found - base
        ok = (index < len(self.values)) & (result < self.stride)
        return np.where(ok, result, self.stride)

    def _max_fits(self, z: IntArray, totals: IntArray) -> npt.NDArray[np.bool_]:
        """Whether every deviation can be ``<= z`` with burdens adding up to each total."""
        caps = self._caps(z, totals)
        highs = self._round_down(caps)
        fits = np.asarray((highs >= 0).all(axis=1) & (highs.sum(axis=1) >= totals), dtype=bool)
        fits &= self._singles_fit(z, totals)
        return self._holders_fit(caps, totals, fits)

    def _singles_fit(self, z: IntArray, totals: IntArray) -> npt.NDArray[np.bool_]:
        """Whether every single shift has a possible holder whose deviation stays ``<= z``."""
        if self.single is None:
            return np.ones(len(totals), dtype=bool)
        return np.asarray(self.single[totals - self.total_low] <= z, dtype=bool)

    def _holders_fit(
        self, caps: IntArray, totals: IntArray, fits: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        """``fits``, and whether every class finds enough holders whose burden stays under the cap.

        Engineer ``e`` can hold at most ``cap_e // weight`` shifts of a class (and no more than
        weigh that much for them); together they must cover the class. Only the rows (totals)
        still fitting are checked.
        """
        rows = np.flatnonzero(fits)
        if len(rows) == 0 or not self.classes:
            return fits
        caps = np.maximum(caps[rows], 0)
        ok = np.ones(len(rows), dtype=bool)
        most: dict[int, IntArray] = {}  # per weight: how many of that weight each cap allows
        for shift_class in self.classes:
            weight = shift_class.weight
            if weight not in most:
                most[weight] = caps // weight
            held = np.minimum(most[weight], shift_class.open[None, :]).sum(axis=1)
            count = shift_class.count
            if not isinstance(count, int):
                count = count[totals[rows] - self.total_low]
            ok &= held >= count
        result = np.zeros_like(fits)
        result[rows] = ok
        return result

    def _min_fits(self, y: IntArray, z: int, totals: IntArray) -> npt.NDArray[np.bool_]:
        """Whether deviations can lie in ``[y, z]`` with burdens adding up to each total."""
        caps = self._caps(np.full_like(y, z), totals)
        highs = self._round_down(caps)
        lows = self._round_up(self._ceil_caps(y, totals))
        ok = np.asarray((highs >= 0).all(axis=1) & (lows <= highs).all(axis=1), dtype=bool)
        ok &= self._singles_fit(np.full_like(y, z), totals)
        ok &= (lows.sum(axis=1) <= totals) & (highs.sum(axis=1) >= totals)
        return self._holders_fit(caps, totals, ok)

    def totals_meeting(self, largest: int, smallest: int | None = None) -> list[int]:
        """The totals ``T`` at which deviations can lie in ``[smallest, largest]``.

        Every schedule whose deviations do has one of these totals (the test is a
        relaxation), so a search for one can be split by total. ``smallest=None`` leaves the
        smallest deviation free.

        Examples
        --------
        Two engineers, equally available, each able to carry 0, 1 or 2 (two shifts of weight
        1); the total lies in [2, 2]: only ``T = 2`` has both deviations at most 0.

        >>> one = np.array([0, 1, 2, 4, 5, 6], dtype=np.int64)
        >>> grid = Lattice(one, 4, np.array([1, 1]), np.array([0, 0]), 2, 2, 2)
        >>> grid.totals_meeting(0)
        [2]
        """
        totals = np.arange(self.total_low, self.total_high + 1, dtype=np.int64)
        if smallest is None:
            fits = self._max_fits(np.full(len(totals), largest, dtype=np.int64), totals)
        else:
            y = np.full(len(totals), smallest, dtype=np.int64)
            fits = self._min_fits(y, largest, totals)
        return [int(t) for t in totals[fits]]

    def largest_deviation_bound(self, low: int, high: int) -> int:
        """Smallest ``z`` in ``[low, high]`` that passes the lattice test (a lower bound)."""
        totals = np.arange(self.total_low, self.total_high + 1, dtype=np.int64)
        lo = np.full(len(totals), low, dtype=np.int64)
        hi = np.full(len(totals), high + 1, dtype=np.int64)  # high + 1: no z fits this total
        while (lo < hi).any():
            mid = (lo + hi) // 2
            active = lo < hi
            fits = self._max_fits(mid, totals)
            hi = np.where(active & fits, mid, hi)
            lo = np.where(active & ~fits, mid + 1, lo)
        return int(min(lo.min(), high))

    def smallest_deviation_bound(self, low: int, high: int, largest: int) -> int:
        """Largest ``y`` in ``[low, high]`` that fits under a largest deviation ``largest``."""
        totals = np.arange(self.total_low, self.total_high + 1, dtype=np.int64)
        lo = np.full(len(totals), low - 1, dtype=np.int64)  # low - 1: no y fits this total
        hi = np.full(len(totals), high, dtype=np.int64)
        while (lo < hi).any():
            mid = (lo + hi + 1) // 2
            active = lo < hi
            fits = self._min_fits(mid, largest, totals)
            lo = np.where(active & fits, mid, lo)
            hi = np.where(active & ~fits, mid - 1, hi)
        return int(max(hi.max(), low))


def lattice(objective: Objective) -> Lattice | None:
    """The achievable burdens of every engineer, or ``None`` if the numbers are too large."""
    calendar = objective.calendar
    scenario = calendar.scenario
    reachable: list[list[int]] = []
    # Per duty (seat id, position): the engineers (by position) it is open to, and its weight.
    holders: dict[tuple[str, int], dict[int, int]] = {
        (duty.seat_id, duty.position): {} for duty in calendar.duties
    }
    # An engineer holds at most one seat of a turn (see ShiftCalendar.one_of).
    turns: dict[tuple[str, int, str], list[Duty]] = {}
    for duty in calendar.duties:
        turns.setdefault(calendar.one_of(duty), []).append(duty)

    def open_to(position: int, duty: Duty) -> int:
        weight = objective.slot_weight(scenario.engineers[position].handle, duty)
        holders[duty.seat_id, duty.position][position] = weight
        return weight

    # The subset sums below are bit sets as long as the largest burden: refuse (no lattice
    # bound, the stage still runs) when that would take more than a moment.
    budget = _MAX_BITS
    for engineer in scenario.engineers:
        budget -= sum(
            max(objective.slot_weight(engineer.handle, duty) for duty in duties)
            for duties in turns.values()
        )
        if budget < 0:
            return None
    for position, engineer in enumerate(scenario.engineers):
        sums = 1  # bit b set: burden b is achievable
        for duties in turns.values():
            choices = [
                open_to(position, duty)
                for duty in duties
                if not forbidden(calendar, engineer.handle, duty)
            ]
            if choices:
                sums |= _shifted(sums, choices)
        reachable.append(_bits(sums))
    if not all(holders.values()):
        return None  # nobody can hold some shift: the model is infeasible anyway
    total_low = sum(min(weights.values()) for weights in holders.values())
    total_high = sum(max(weights.values()) for weights in holders.values())
    stride = max(max(r) for r in reachable) + 2
    availability = [objective.availability[e.handle] for e in scenario.engineers]
    offset = [
        int(objective.team_availability * e.history * objective.scale) for e in scenario.engineers
    ]
    big = objective.team_availability
    magnitude = (
        stride * len(reachable) + max(availability) * total_high + max(map(abs, offset)) + big
    ) * 4
    if magnitude * max(big, 1) > _LIMIT or big == 0:
        return None
    values = np.array(
        [i * stride + b for i, sums_e in enumerate(reachable) for b in sums_e], dtype=np.int64
    )
    shares = np.array(availability, dtype=np.int64)
    offsets = np.array(offset, dtype=np.int64)
    return Lattice(
        values,
        stride,
        shares,
        offsets,
        big,
        total_low,
        total_high,
        _heavy_classes(holders, len(reachable), total_low, total_high),
        _single_shift_floor(holders, big, shares, offsets, total_low, total_high),
    )


def _bits(sums: int) -> list[int]:
    """Positions of the set bits of ``sums``, ascending."""
    data = np.frombuffer(sums.to_bytes((sums.bit_length() + 7) // 8 or 1, "little"), np.uint8)
    return [int(b) for b in np.flatnonzero(np.unpackbits(data, bitorder="little"))]


def _shifted(sums: int, choices: list[int]) -> int:
    result = 0
    for choice in choices:
        result |= sums << choice
    return result


def _heavy_classes(
    holders: dict[tuple[str, int], dict[int, int]], size: int, total_low: int, total_high: int
) -> tuple[ShiftClass, ...]:
    """Per weight level, how many shifts must be held at that weight or more, per total.

    Levels are taken per seat and over all seats together (one engineer's burden counts every
    shift they hold, whatever its seat). A shift whose lightest holder reaches the level is
    always counted. One that only some holders weigh that much escapes the level by going to
    a lighter holder, which lowers the total ``T`` below ``total_high`` by at least
    ``max weight - lighter weight``; the escapes together cannot cost more than
    ``total_high - T``, so near the largest total few shifts escape.
    """
    seats = list(dict.fromkeys(key[0] for key in holders))
    groups = [[key for key in holders if key[0] == seat] for seat in seats]
    groups.append(list(holders))
    slack = total_high - np.arange(total_low, total_high + 1, dtype=np.int64)
    classes = []
    for keys in groups:
        levels = sorted({w for key in keys for w in holders[key].values() if w > 0})
        for level in levels:
            forced = 0
            costs = []
            opened = np.zeros(size, dtype=np.int64)
            for key in keys:
                weights = holders[key]
                heavy = [position for position, w in weights.items() if w >= level]
                if not heavy:
                    continue
                opened[heavy] += 1
                lighter = [w for w in weights.values() if w < level]
                if lighter:
                    costs.append(max(weights.values()) - max(lighter))
                else:
                    forced += 1
            spent = np.cumsum(np.sort(np.array(costs, dtype=np.int64)))
            escaped = np.searchsorted(spent, slack, side="right")
            count = forced + len(costs) - escaped
            if count.max() > 0:
                classes.append(ShiftClass(count, level, opened))
    return tuple(classes)


def _single_shift_floor(
    holders: dict[tuple[str, int], dict[int, int]],
    big: int,
    share: IntArray,
    history: IntArray,
    total_low: int,
    total_high: int,
) -> IntArray:
    """Per total ``T``: max over shifts of the smallest deviation any possible holder reaches.

    Whoever holds shift ``s`` carries at least its weight ``w``, so their deviation is at
    least ``A * w - a_e * T + h_e``; the best holder gives the shift's floor. A holder for whom
    the shift weighs ``w`` is possible only for totals within ``w - min weight`` of
    ``total_low`` and ``max weight - w`` of ``total_high``; a total that leaves some shift
    without a possible holder cannot occur (its floor is :data:`_IMPOSSIBLE`).
    """
    totals = np.arange(total_low, total_high + 1, dtype=np.int64)
    floor = np.full(len(totals), np.iinfo(np.int64).min, dtype=np.int64)
    for weights in holders.values():
        who = np.array(list(weights), dtype=np.int64)
        weight = np.array(list(weights.values()), dtype=np.int64)
        deviations = (big * weight + history[who])[:, None] - share[who][:, None] * totals[None, :]
        possible = (totals[None, :] >= total_low + weight[:, None] - weight.min()) & (
            totals[None, :] <= total_high - (weight.max() - weight[:, None])
        )
        best = np.where(possible, deviations, _IMPOSSIBLE).min(axis=0)
        floor = np.maximum(floor, best)
    return floor
