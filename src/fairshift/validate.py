"""Solver-independent re-check of every hard rule, from the inputs and the rows alone.

This is the oracle for the tests and for hand-edited schedules: it never looks at a solver
variable. Each rule of :data:`fairshift.rules.REGISTRY` re-checks itself on the rows (see
:class:`fairshift.rules.RowContext`).
"""

from __future__ import annotations

import pandas as pd

from .rules import REGISTRY, RowContext, Violation
from .scenario import Scenario
from .schedule import Schedule

__all__ = ["Violation", "validate"]


def validate(scenario: Scenario, schedule: Schedule | pd.DataFrame) -> list[Violation]:
    """Re-check every hard rule of ``scenario`` on ``schedule``.

    Parameters
    ----------
    scenario
        The inputs.
    schedule
        A :class:`Schedule` or a table with ``start, end, role, engineer`` columns.

    Returns
    -------
    list of Violation
        Empty when the schedule satisfies every hard rule.

    Examples
    --------
    >>> import fairshift as fs
    >>> scenario = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
    >>> fs.validate(scenario, fs.solve(scenario).to_dataframe())  # doctest: +SKIP
    []
    """
    if isinstance(schedule, pd.DataFrame):
        schedule = Schedule.from_dataframe(scenario, schedule)
    rows = RowContext(scenario, list(schedule.assignments))
    return [violation for rule in REGISTRY for violation in rule.check(rows)]
