"""Class-count bound on the deviation stages: what the engineers' shared turns rule out.

The lattice bound (:mod:`fairshift.model.lattice`) looks at each engineer alone: which
burdens their open shifts can add up to. It cannot see that two engineers cannot both take
the one holiday week that would round each of them up. This relaxation can. It keeps:

- every seat of every turn held by exactly one engineer;
- at most one seat of a turn per engineer (unless the shift type may overlap);
- every rule that keeps an engineer off a duty outright (as the lattice does);

and forgets which turn is which. Turns whose seats weigh the same for every engineer and
are open to the same engineers form a *class*, and a schedule becomes the number of each
class's seats each engineer holds: a few hundred integers, where the full model has one
Boolean per engineer and duty and every rule between turns.

With the total burden ``T`` fixed, "every deviation at most ``z``" caps every engineer's
burden, and CP-SAT refutes that small model in hundredths of a second. A value ``z`` is
ruled out once every total the lattice still allows is refuted; since a larger ``z`` only
loosens the caps, the largest ruled-out value is found by bisection between the lattice
bound and the best schedule's value. The same holds for the smallest deviation of stage 2,
with stage 1's value fixed. Measured on the pattern examples, the bound of per-pipeline's
stage 1 rises from 0.077 to 0.109 days, and that of follow-the-sun from 0.123 to 0.540 days:
both are the values of the best schedules known.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ..calendar import Duty
from ..runner import Deadline, Interrupt, run
from ..spread import forbidden
from .lattice import Lattice
from .objective import Objective

#: Work units (CP-SAT's deterministic time) of one refutation; one that is not refuted
#: within them counts as possible. Measured: a refutation takes 0.001 to 0.02 units.
CHECK_WORK = 0.05
#: Above this many count variables the relaxation is not built (no class bound).
MAX_COUNTS = 6000


@dataclass(frozen=True)
class TurnClass:
    """Turns that look alike to the fairness terms.

    Attributes
    ----------
    count
        How many turns the class has.
    weights
        Per seat, per engineer (in scenario order): the scaled burden of holding it, or
        ``None`` where a rule keeps the engineer off it.
    exclusive
        Whether an engineer holds at most one seat of each turn.
    """

    count: int
    weights: tuple[tuple[int | None, ...], ...]
    exclusive: bool


def turn_classes(objective: Objective) -> list[TurnClass]:
    """The classes of the calendar's turns, in order of first appearance."""
    calendar = objective.calendar
    handles = [e.handle for e in calendar.scenario.engineers]
    turns: dict[tuple[str, int], list[Duty]] = {}
    for duty in calendar.duties:
        turns.setdefault((duty.shift, duty.index), []).append(duty)
    counted: Counter[tuple[tuple[tuple[int | None, ...], ...], bool]] = Counter()
    for (shift, _index), duties in turns.items():
        weights = tuple(
            tuple(
                None if forbidden(calendar, handle, duty) else objective.slot_weight(handle, duty)
                for handle in handles
            )
            for duty in duties
        )
        counted[weights, not calendar.shift_type(shift).may_overlap] += 1
    return [TurnClass(count, weights, exclusive) for (weights, exclusive), count in counted.items()]


@dataclass
class Budget:
    """What the refutations of one stage's bound may spend.

    Attributes
    ----------
    work
        Work units left (CP-SAT's deterministic time, summed over refutations).
    seconds
        Wall-clock seconds left, summed the same way.
    deadline
        When they must stop, whatever is left.
    interrupt
        Ctrl-C.
    """

    work: float
    seconds: float
    deadline: Deadline
    interrupt: Interrupt = field(default_factory=Interrupt)

    def exhausted(self) -> bool:
        """Whether nothing more may be spent."""
        return (
            self.work <= 0
            or self.seconds <= 0.01
            or self.deadline.expired(0.05)
            or bool(self.interrupt)
        )


class ClassBound:
    """Refutes deviation ranges on the class-count relaxation, total by total.

    Refutations are remembered, so that :meth:`still_open` can tell a stage's probes which
    totals they need not ask about.
    """

    def __init__(self, objective: Objective, lattice: Lattice, classes: list[TurnClass]) -> None:
        self._lattice = lattice
        model = cp_model.CpModel()
        big = objective.team_availability
        low, high = objective.deviation_domain()
        size = lattice.size
        counts: list[list[cp_model.IntVar]] = [[] for _ in range(size)]
        weights_of: list[list[int]] = [[] for _ in range(size)]
        for i, turn_class in enumerate(classes):
            held: list[list[cp_model.IntVar]] = [[] for _ in range(size)]
            for j, weights in enumerate(turn_class.weights):
                seat = []
                for e, weight in enumerate(weights):
                    if weight is None:
                        continue
                    count = model.new_int_var(0, turn_class.count, f"n{i}.{j}.{e}")
                    seat.append(count)
                    held[e].append(count)
                    counts[e].append(count)
                    weights_of[e].append(weight)
                model.add(sum(seat) == turn_class.count)
            if turn_class.exclusive and len(turn_class.weights) > 1:
                for mine in held:
                    if len(mine) > 1:
                        model.add(sum(mine) <= turn_class.count)
        self._total = model.new_int_var(lattice.total_low, lattice.total_high, "total")
        self._largest = model.new_int_var(low, high, "largest")
        self._smallest = model.new_int_var(low, high, "smallest")
        burdens = []
        for e in range(size):
            burden = cp_model.LinearExpr.weighted_sum(counts[e], weights_of[e])
            burdens.append(burden)
            share, offset = int(lattice.availability[e]), int(lattice.offset[e])
            deviation = big * burden - share * self._total + offset
            model.add(deviation <= self._largest)
            model.add(deviation >= self._smallest)
        model.add(sum(burdens) == self._total)
        self._model = model
        self._domain = (low, high)
        # (largest, smallest) -> the totals refuted there, or shown possible (class counts
        # found); a refutation also holds for every smaller largest and larger smallest, a
        # possibility for every larger largest and smaller smallest.
        self._refuted: dict[tuple[int, int], set[int]] = {}
        self._possible: dict[tuple[int, int], set[int]] = {}

    @classmethod
    def of(cls, objective: Objective, lattice: Lattice) -> ClassBound | None:
        """The relaxation of ``objective``, or ``None`` when it would be too large to help."""
        classes = turn_classes(objective)
        size = sum(w is not None for c in classes for seat in c.weights for w in seat)
        return cls(objective, lattice, classes) if size <= MAX_COUNTS else None

    # -- one question ---------------------------------------------------------------------

    def _known(self, largest: int, floor: int, total: int) -> bool | None:
        """What earlier questions say of ``total`` for deviations in ``[floor, largest]``.

        ``True``: refuted; ``False``: shown possible; ``None``: not known yet.
        """
        for (z, y), totals in self._refuted.items():
            if total in totals and largest <= z and floor >= y:
                return True
        for (z, y), totals in self._possible.items():
            if total in totals and largest >= z and floor <= y:
                return False
        return None

    def _is_refuted(self, largest: int, smallest: int | None, total: int, budget: Budget) -> bool:
        """Whether no class counts have total ``total`` and deviations in the range.

        ``False`` also when the question was undecided within the budget.
        """
        floor = self._domain[0] if smallest is None else smallest
        known = self._known(largest, floor, total)
        if known is not None:
            return known
        if budget.exhausted():
            return False
        proto = self._model.proto
        for var, lo, hi in (
            (self._total, total, total),
            (self._largest, largest, largest),
            (self._smallest, floor, self._domain[1]),
        ):
            domain = proto.variables[var.index].domain  # one interval: [lo, hi]
            domain[0], domain[1] = lo, hi
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = 1
        params.random_seed = 0  # the same questions, the same answers
        params.max_deterministic_time = min(CHECK_WORK, budget.work)
        params.max_time_in_seconds = max(min(budget.seconds, budget.deadline.left()), 0.01)
        started = time.perf_counter()
        status = run(solver, self._model, interrupt=budget.interrupt)
        budget.work -= solver.deterministic_time
        budget.seconds -= time.perf_counter() - started
        if status == cp_model.INFEASIBLE:
            self._refuted.setdefault((largest, floor), set()).add(total)
            return True
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self._possible.setdefault((largest, floor), set()).add(total)
        return False  # possible, or undecided within the budget (asked again next time)

    def rules_out(self, largest: int, smallest: int | None, budget: Budget) -> bool:
        """Whether no schedule has deviations in ``[smallest, largest]`` (within the budget)."""
        totals = self._lattice.totals_meeting(largest, smallest)
        # The totals found possible before are the likeliest to be possible again: ask first.
        seen = {t for found in self._possible.values() for t in found}
        ordered = sorted(totals, key=lambda t: (t not in seen, t))
        return all(self._is_refuted(largest, smallest, t, budget) for t in ordered)

    def still_open(self, largest: int, smallest: int | None, totals: Iterable[int]) -> list[int]:
        """``totals`` without those already refuted for this range (nothing is solved)."""
        floor = self._domain[0] if smallest is None else smallest
        return [t for t in totals if self._known(largest, floor, t) is not True]

    # -- bounds ---------------------------------------------------------------------------

    def raise_largest(self, bound: int, value: int, budget: Budget) -> int:
        """A proven bound on stage 1 in ``[bound, value]``: the least ``z`` not ruled out.

        ``bound`` is a proven bound and ``value`` a schedule's largest deviation.
        """
        low, high = bound, value  # invariant: every z < low is ruled out; high is possible
        # The bound itself first: where it is possible (the lattice is often exact), one
        # question settles it.
        if low < high and not budget.exhausted():
            if not self.rules_out(low, None, budget):
                return low
            low += 1
        # Then the schedule itself: after a search it is often optimal, and one question
        # proves it.
        if low < high - 1 and not budget.exhausted() and self.rules_out(high - 1, None, budget):
            return high
        while low < high and not budget.exhausted():
            middle = (low + high) // 2
            if self.rules_out(middle, None, budget):
                low = middle + 1
            else:
                high = middle
        return low

    def lower_smallest(self, largest: int, bound: int, value: int, budget: Budget) -> int:
        """A proven bound on stage 2 in ``[value, bound]``: the largest ``y`` not ruled out.

        ``largest`` is stage 1's value, ``bound`` a proven bound and ``value`` a schedule's
        smallest deviation.
        """
        low, high = value, bound  # invariant: every y > high is ruled out; low is possible
        if low < high and not budget.exhausted():
            if not self.rules_out(largest, high, budget):
                return high
            high -= 1
        # Then the schedule itself, as above.
        if low + 1 < high and not budget.exhausted() and self.rules_out(largest, low + 1, budget):
            return low
        while low < high and not budget.exhausted():
            middle = (low + high + 1) // 2
            if self.rules_out(largest, middle, budget):
                high = middle - 1
            else:
                low = middle
        return high
