"""The lexicographic objective as a list of stages, each with its goal and its proof.

:func:`fairness_stages` lists them in order:

1. ``max_deviation``: minimise the largest deviation (lattice bound);
2. ``min_deviation``: maximise the smallest deviation (lattice bound);
3. ``sum_of_squares``: minimise squared deviations in quarter days (CP-SAT's LP bound, and
   what stages 1 and 2 force: see :meth:`~fairshift.model.objective.Objective.least_squares`);
4. one stage per category of :func:`fairshift.spread.categories`, in that order (spread
   seats such as ``month_end_shifts_excess``, then ``weekend_days_excess`` and
   ``holiday_days_excess``): minimise the largest excess over the fair count among the
   eligible (apportionment bound).

The deviation stages and the spread categories also carry a :class:`Split`: the totals
of burden the lattice allows a schedule that meets a value, so that the search for one can
ask about each total in turn.

A stage's :class:`StageGoal` is built only when the stage starts, from the values the earlier
stages reached, so its variables and constraints never weigh on an earlier stage. Stage 4's
categories are *best effort*: each gets a small share of the time and of the work, and a
category that cannot be proven in it is reported with its gap instead of holding the plan.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ortools.sat.python import cp_model

from ..spread import categories, eligible
from .classbound import Budget, ClassBound
from .lattice import Lattice, lattice
from .objective import Objective

#: A bound in the model's integer units or in reported units.
Number = TypeVar("Number", int, float)

#: Deterministic work units (CP-SAT's ``deterministic_time``) a best-effort stage may use,
#: and as much again per minute of a time limit longer than one minute (teams of at most
#: five engineers, the bundled example among them, get the smaller budget below).
BEST_EFFORT_WORK = 0.5
#: The same budget for teams of at most :data:`~fairshift.model.neighbourhood.MIN_TEAM`
#: engineers, which search each category within the incumbent's total burden (see
#: :class:`Split`). Measured on the bundled example, seeds 0 to 5: 0.3 units prove month-end
#: excess 0 on every seed (0.2 units: 4 of 6) and end weekend days at 2 to 9 (median 4) and
#: public-holiday days at 0.25 to 5.75 (median 0.9), in 1.4 s for the whole solve on
#: average. 0.1 units lose the month-end proof of a small team under a ten-minute limit
#: (tests/test_spread.py), and 8 engineers x 52 weeks lose value at 0.1 (month-end excess
#: 1.92 against 0.89), so larger teams keep :data:`BEST_EFFORT_WORK`.
SMALL_TEAM_BEST_EFFORT_WORK = 0.3


@dataclass(frozen=True)
class StageGoal:
    """What one stage optimises.

    Attributes
    ----------
    expression
        The objective, in the model's integer units.
    known
        A bound proven outside CP-SAT (lattice or apportionment), or ``None``: a schedule
        that meets it is proven optimal at once.
    to_report
        Converts a value of ``expression`` to the unit people read (days, shifts).
    next_value
        The least value above a given one that ``expression`` could take, when it is known
        (a minimised stage only): once no schedule meets a value, that is a proven bound.
    split
        A way to split the search for a schedule that meets a value into smaller ones, or
        ``None``.
    tighten
        ``tighten(bound, value, budget)``: a proven bound between ``bound`` (proven) and a
        schedule's ``value``, as tight as ``budget`` allows (the class-count bound of
        :mod:`fairshift.model.classbound`), or ``None``.
    rebound
        ``rebound(raw, exact)``: ``known`` again, once later stages improved earlier ones or
        proved them optimal (see ``build`` of :class:`StageSpec`), or ``None`` when it
        cannot change.
    probe
        Whether ``known`` is worth a probe before the optimisation (see
        :func:`fairshift.solve._ladder`): not for stage 3, whose bound is rarely met and
        whose probe, undecided, took half the stage on weekly-standby.
    """

    expression: cp_model.LinearExprT
    known: int | None
    to_report: Callable[[float], float]
    next_value: Callable[[int], int | None] | None = None
    split: Split | None = None
    tighten: Callable[[int, int, Budget], int] | None = None
    rebound: Callable[[Mapping[str, int], frozenset[str]], int] | None = None
    probe: bool = True


@dataclass(frozen=True)
class Split:
    """The values ``by`` can take in a schedule that meets a stage's value.

    Every such schedule has one of ``cases(value)``, so a search for one can ask about each
    case in turn, and none exists once every case is ruled out. Measured on the bundled
    example: with the total burden fixed, the question "every deviation at most 0" is
    decided in 0.01 to 0.4 units of work, where the whole question takes 0.3 to over 3.

    Attributes
    ----------
    by
        The expression whose value splits the search (the total burden).
    cases
        Its possible values for a stage value, most promising first; an empty list means
        that no schedule meets the value.
    """

    by: cp_model.LinearExprT
    cases: Callable[[int], list[int]]


@dataclass(frozen=True)
class StageSpec:
    """One stage of the lexicographic objective.

    Attributes
    ----------
    name
        Stage id, e.g. ``"max_deviation"``.
    description
        What it does, in words (shown in summaries and reports).
    maximize
        Whether the stage maximises its expression.
    share
        Relative share of the time left when the stage starts.
    build
        Builds the goal from the earlier stages' values (``{name: integer value}``) and the
        names of those proven optimal (whose value every schedule now has exactly).
    balanced
        Neighbourhood steps break ties towards the known bound (the deviation stages).
    best_effort
        The stage gets at most :data:`BEST_EFFORT_WORK` units of work (more for time limits
        over a minute), so that a hard category never holds the plan.
    unit
        The unit of the reported value and bound.
    """

    name: str
    description: str
    maximize: bool
    share: float
    build: Callable[[Mapping[str, int], frozenset[str]], StageGoal]
    balanced: bool = False
    best_effort: bool = False
    unit: str = ""


class LatticeBounds:
    """Lattice bounds for the two deviation stages, tightened by the class-count bound.

    They are not added to the model: measured on the bundled example, the cut made CP-SAT miss
    the optimum it otherwise proves in seconds. They prove optimality when a schedule meets
    them, stop the search there, and tighten the reported bound. The totals the class-count
    relaxation refuted are left out of the probes' cases.
    """

    def __init__(self, objective: Objective) -> None:
        self._objective = objective

    @functools.cached_property
    def _lattice(self) -> Lattice | None:
        return lattice(self._objective)

    @functools.cached_property
    def _classes(self) -> ClassBound | None:
        found = self._lattice
        if found is None or not self._objective.deviation:
            return None
        return ClassBound.of(self._objective, found)

    def tighten_largest(self, bound: int, value: int, budget: Budget) -> int:
        """Stage 1's bound ``bound`` raised towards a schedule's ``value``."""
        classes = self._classes
        return bound if classes is None else classes.raise_largest(bound, value, budget)

    def tighten_smallest(self, largest: int) -> Callable[[int, int, Budget], int]:
        """Stage 2's bound lowered towards a schedule's value, given stage 1's ``largest``."""

        def tighten(bound: int, value: int, budget: Budget) -> int:
            classes = self._classes
            if classes is None:
                return bound
            return classes.lower_smallest(largest, bound, value, budget)

        return tighten

    def _possible(self, largest: int, smallest: int | None) -> list[int]:
        """The totals the lattice allows, less those the class-count bound refuted."""
        found = self._lattice
        assert found is not None
        totals = found.totals_meeting(largest, smallest)
        classes = self._classes
        if classes is not None:
            totals = classes.still_open(largest, smallest, totals)
        return _middle_first(totals)

    @functools.cached_property
    def largest(self) -> int | None:
        """Stage 1's lattice bound."""
        found = self._lattice
        if found is None or not self._objective.deviation:
            return None
        return found.largest_deviation_bound(*self._objective.deviation_domain())

    def smallest(self, largest: int) -> int | None:
        """Stage 2's lattice bound, given stage 1's value ``largest``."""
        found = self._lattice
        if found is None or not self._objective.deviation:
            return None
        low, _high = self._objective.deviation_domain()
        return found.smallest_deviation_bound(low, _high, largest)

    def split_largest(self) -> Split | None:
        """Stage 1's probes split by total burden (the totals that pass the lattice test)."""
        found = self._lattice
        if found is None or not self._objective.deviation:
            return None
        return Split(self._objective.total, lambda z: self._possible(z, None))

    def split_smallest(self, largest: int) -> Split | None:
        """Stage 2's probes split by total burden, given stage 1's value ``largest``."""
        found = self._lattice
        if found is None or not self._objective.deviation:
            return None
        return Split(self._objective.total, lambda y: self._possible(largest, y))

    def split_within(self, raw: Mapping[str, int]) -> Split | None:
        """Later probes split by total burden, given the deviation stages' values ``raw``.

        The totals are those at which the deviations can lie between stage 2's and stage 1's
        values; they do not depend on the later stage's own value.
        """
        found = self._lattice
        if found is None or "max_deviation" not in raw or "min_deviation" not in raw:
            return None
        totals = self._possible(raw["max_deviation"], raw["min_deviation"])
        return Split(self._objective.total, lambda _value: list(totals))

    @functools.cached_property
    def set_by_one_shift(self) -> bool:
        """Whether stage 1's lattice bound is what one heavy shift alone imposes.

        That is, the bound equals the single-shift floor at the most favourable total: the
        heaviest shift's best holder sets the largest deviation, and a larger total (a larger
        fair share for everyone) is what lowers it, so the search breaks ties by total.
        """
        found = self._lattice
        if found is None or found.single is None:
            return False
        return int(found.single.min()) == self.largest


def _middle_first(values: list[int]) -> list[int]:
    """``values`` from the middle outwards (the extreme totals are the least likely).

    Examples
    --------
    >>> _middle_first([1, 2, 3, 4, 5])
    [3, 2, 4, 1, 5]
    """
    middle = (len(values) - 1) // 2
    order = sorted(range(len(values)), key=lambda i: (abs(i - middle), i))
    return [values[i] for i in order]


def tighter_bound(first: Number | None, second: Number | None, maximize: bool) -> Number | None:
    """The tighter of two bounds on one stage's optimum (either may be unknown).

    Examples
    --------
    >>> tighter_bound(3, 5, False), tighter_bound(3, 5, True), tighter_bound(None, 2.5, False)
    (5, 3, 2.5)
    """
    if first is None or second is None:
        return second if first is None else first
    return min(first, second) if maximize else max(first, second)


def fairness_stages(objective: Objective, bounds: LatticeBounds) -> list[StageSpec]:
    """The fairness stages of ``objective`` in lexicographic order (see the module docs)."""
    if not objective.deviation:
        return [
            StageSpec(
                "feasibility",
                "any valid schedule",
                False,
                1.0,
                lambda _raw, _exact: StageGoal(0, 0, float),
            )
        ]
    high = objective.deviation_domain()[1]
    stages = [
        StageSpec(
            "max_deviation",
            "minimise the largest deviation",
            False,
            4.0,
            lambda _raw, _exact: StageGoal(
                objective.largest_deviation(),
                bounds.largest,
                objective.to_units,
                split=bounds.split_largest(),
                tighten=bounds.tighten_largest,
            ),
            balanced=True,
            unit="days",
        ),
        StageSpec(
            "min_deviation",
            "maximise the smallest deviation",
            True,
            1.0,
            lambda raw, _exact: StageGoal(
                objective.smallest_deviation(),
                bounds.smallest(raw.get("max_deviation", high)),
                objective.to_units,
                split=bounds.split_smallest(raw.get("max_deviation", high)),
                tighten=bounds.tighten_smallest(raw.get("max_deviation", high)),
            ),
            balanced=True,
            unit="days",
        ),
        StageSpec(
            "sum_of_squares",
            "minimise squared deviations (quarter days^2)",
            False,
            1.0,
            functools.partial(_squares_goal, objective),
            unit="quarter days^2",
        ),
    ]
    for kind in categories(objective.calendar):
        if not eligible(objective.calendar, kind):
            continue  # nobody to spread it among
        stages.append(
            StageSpec(
                f"{kind.name}_excess",
                f"spread {kind.label}: largest excess over the fair count among the "
                f"eligible ({kind.unit})",
                False,
                0.5,
                functools.partial(_spread_goal, objective, bounds, kind.name),
                best_effort=True,
                unit=kind.unit,
            )
        )
    return stages


def _squares_goal(objective: Objective, raw: Mapping[str, int], exact: frozenset[str]) -> StageGoal:
    low, high = objective.deviation_domain()

    def least(raw: Mapping[str, int], exact: frozenset[str]) -> int:
        return objective.least_squares(
            raw.get("min_deviation", low),
            raw.get("max_deviation", high),
            "min_deviation" in exact,
            "max_deviation" in exact,
        )

    return StageGoal(
        objective.sum_of_squares(raw.get("min_deviation", low), raw.get("max_deviation", high)),
        least(raw, exact),
        float,
        rebound=least,
        probe=False,
    )


def _spread_goal(
    objective: Objective,
    bounds: LatticeBounds,
    category: str,
    raw: Mapping[str, int],
    _exact: frozenset[str],
) -> StageGoal:
    term = objective.spread(category)
    assert term is not None, "only categories with eligible engineers become stages"
    return StageGoal(
        term.largest, term.bound, term.to_units, term.next_value, bounds.split_within(raw)
    )
