"""An itemised bill of a schedule's fairness: every objective term with its value.

A manager reading it sees where the burden went (per-engineer burden, fair share, history and
deviation), how evenly weekends, public holidays and month-end shifts were spread, and what
each lexicographic stage achieved and proved.
"""

from __future__ import annotations

import pandas as pd

from .fairness import per_engineer, summarize
from .roster import Roster

#: Columns of :func:`itemise`.
ITEM_COLUMNS = ("section", "term", "engineer", "value", "bound", "status", "unit")

#: Per-engineer terms: (column of :func:`fairshift.fairness.per_engineer`, unit).
ENGINEER_TERMS = (
    ("burden", "days"),
    ("fair_share", "days"),
    ("history", "days"),
    ("deviation", "days"),
)

#: Spread terms of the objective's last fairness stage, in its order.
SPREAD_TERMS = (
    ("month_end_shifts_excess", "shifts"),
    ("weekend_days_excess", "days"),
    ("holiday_days_excess", "days"),
)


def itemise(schedule: Roster) -> pd.DataFrame:
    """Every objective term of ``schedule`` with its value, like an itemised bill.

    Parameters
    ----------
    schedule
        A solved, re-planned or hand-made schedule (stages appear only when it was solved).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ITEM_COLUMNS`. Sections, in order:

        ``engineer``
            burden, fair share, history and deviation (burden - fair share + history) of
            each engineer, in days;
        ``spread``
            for month-end shifts, weekend days and public-holiday days, the largest excess
            of a count over its fair count among the engineers the category is spread among
            (NaN when nobody is), as :mod:`fairshift.spread` defines them; and per engineer
            each excess (NaN, "n/a", for an engineer the category is not spread among);
        ``team``
            the largest and smallest deviation and their range, in days;
        ``stage``
            each lexicographic stage's value, proven bound and status.

    Examples
    --------
    >>> import fairshift as fs
    >>> s = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
    >>> fs.itemise(fs.solve(s)).query("section == 'stage'")  # doctest: +SKIP
    """
    scenario = schedule.scenario
    rows: list[tuple[str, str, str, float | None, float | None, str, str]] = []
    table = per_engineer(scenario, schedule)
    for row in table.itertuples(index=False):
        for column, unit in ENGINEER_TERMS:
            rows.append(
                ("engineer", column, str(row.engineer), getattr(row, column), None, "", unit)
            )
    summary = summarize(scenario, schedule)
    for key, unit in SPREAD_TERMS:
        value = summary[key]
        assert isinstance(value, float)
        rows.append(("spread", key, "", value, None, "", unit))
        for row in table.itertuples(index=False):
            excess = getattr(row, key)
            rows.append(("spread", key, str(row.engineer), excess, None, "", unit))
    for key in ("max_deviation", "min_deviation", "deviation_range"):
        value = summary[key]
        assert isinstance(value, float)
        rows.append(("team", key, "", value, None, "", "days"))
    for stage in schedule.stages:
        rows.append(
            ("stage", stage.name, "", stage.value, stage.bound, stage.status, stage.description)
        )
    return pd.DataFrame(rows, columns=list(ITEM_COLUMNS))
