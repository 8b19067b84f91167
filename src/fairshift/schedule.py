"""The result of planning: a :class:`~fairshift.roster.Roster` with its views.

:class:`Schedule` is what :func:`fairshift.solve`, the baselines and
:meth:`Schedule.read_csv` return: the roster's data plus its fairness table, itemised
objective, summary and calendar feeds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .fairness import per_engineer
from .ical import write_feeds
from .io import csv_text, write_atomic
from .itemise import itemise
from .roster import (
    COLUMNS,
    DEFAULT_COLUMNS,
    REQUIRED_COLUMNS,
    Assignment,
    Roster,
    Stage,
    Status,
    proof_headline,
    stage_labels,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_COLUMNS",
    "REQUIRED_COLUMNS",
    "Assignment",
    "Schedule",
    "Stage",
    "Status",
    "proof_headline",
    "stage_labels",
]


class Schedule(Roster):
    """A rota: assignments plus how they were obtained (see :class:`Roster` for the fields)."""

    def fairness(self) -> pd.DataFrame:
        """Per-engineer fairness table (see :func:`fairshift.fairness.per_engineer`)."""
        return per_engineer(self.scenario, self)

    def explain(self) -> pd.DataFrame:
        """Every objective term with its value, like an itemised bill.

        See :func:`fairshift.itemise` for the rows: per-engineer burden, fair share, history
        and deviation; weekend, holiday and month-end spreads; each stage's value and proof.
        """
        return itemise(self)

    def summary(self) -> str:
        """Status, each stage's value and proof, and the per-engineer burden table."""
        lines = [f"{self.scenario.rotation.name}: {self.status}"]
        if self.interrupted:
            lines[0] += " (interrupted: the best schedule found before Ctrl-C)"
        if self.stages:
            lines.append(self.headline)
            if self.objective is not None and self.bound is not None and self.gap is not None:
                lines.append(
                    f"largest deviation {self.objective:+.2f} days, proven bound "
                    f"{self.bound:+.2f}, gap {self.gap:.2f}; solved in {self.seconds:.2f} s "
                    f"(seed {self.seed})"
                )
            width = max(24, *(len(stage.name) for stage in self.stages))
            for label, stage in zip(stage_labels(self.stages), self.stages, strict=True):
                value = "-" if stage.value is None else f"{stage.value:.2f}"
                bound = "-" if stage.bound is None else f"{stage.bound:.2f}"
                lines.append(
                    f"  stage {label:<3} {stage.name:<{width}} {stage.status:<9} value {value:>8} "
                    f"bound {bound:>8}  {stage.seconds:6.2f} s  ({stage.description})"
                )
        if self.explanation is not None:
            lines.append(str(self.explanation))
        if self.assignments:
            if self.scenario.default_shape:
                held = ["primary_weeks", "secondary_weeks", "month_end_shifts"]
            else:
                held = [*self.scenario.shape.seat_ids, "on_call_hours"]
            table = self.fairness()[["engineer", *held, "burden", "fair_share", "deviation"]]
            lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_ics(self, directory: str | Path, *, previous: str | Path | None = None) -> list[Path]:
        """Write the iCalendar feeds (see :func:`fairshift.ical.write_feeds`).

        ``previous`` is the directory of the feeds this plan replaces: events that changed get
        a higher SEQUENCE, unchanged ones keep theirs. By default it is ``directory`` itself.
        """
        return write_feeds(self, directory, previous=directory if previous is None else previous)

    def write_tables(self, directory: str | Path) -> None:
        """Write ``schedule.csv`` and ``fairness.csv`` into ``directory``, each atomically."""
        self.to_csv(Path(directory) / "schedule.csv")
        write_atomic(
            Path(directory) / "fairness.csv",
            csv_text(self.fairness(), float_format="%.4f"),
        )
