"""An itemised bill of a schedule's fairness: every objective term with its value.

A manager reading it sees where the burden went (per-engineer burden, fair share, history and
deviation), how evenly weekends, public holidays and month-end shifts were spread, and what
each lexicographic stage achieved and proved.
"""

from __future__ import annotations

import pandas as pd

from .fairness import per_engineer, summarize
from .schedule import Schedule

#: Columns of :func:`itemise`.
ITEM_COLUMNS = ("section", "term", "engineer", "value", "bound", "status", "unit")

#: Per-engineer terms: (column of :func:`fairshift.fairness.per_engineer`, unit).
ENGINEER_TERMS = (
    ("burden", "days"),
    ("fair_share", "days"),
    ("history", "days"),
    ("deviation", "days"),
)

#: Spread terms of the objective's last fairness stage.
SPREAD_TERMS = (
    ("weekend_days_spread", "weekend days"),
    ("holiday_days_spread", "holiday days"),
    ("month_end_shifts_spread", "month-end shifts"),
)


def itemise(schedule: Schedule) -> pd.DataFrame:
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
            for weekend days, public-holiday days and month-end shifts, the range over
            engineers of each count minus its share in proportion to availability;
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
    for key in ("max_deviation", "min_deviation", "deviation_range"):
        value = summary[key]
        assert isinstance(value, float)
        rows.append(("team", key, "", value, None, "", "days"))
    for stage in schedule.stages:
        rows.append(
            ("stage", stage.name, "", stage.value, stage.bound, stage.status, stage.description)
        )
    return pd.DataFrame(rows, columns=list(ITEM_COLUMNS))
