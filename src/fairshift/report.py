"""A report a manager can open: summary, per-engineer table, comparison, pictures.

:func:`write_report` draws the pictures once, gathers what the report says once
(:func:`report_content`), and writes it twice, each file atomically: ``report.md`` beside the
PNG pictures it links, and ``report.html``, one page with the same pictures embedded
(:mod:`fairshift.htmlreport`).
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .baselines import greedy, round_robin
from .calendar import expand
from .compare import compare, versus
from .fairness import fairness
from .htmlreport import ReportContent, render_html
from .io import write_atomic
from .plots import plot_burden, plot_calendar, plot_cumulative
from .scenario import Scenario
from .schedule import Status
from .spread import categories
from .validate import validate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .schedule import Schedule

#: Pictures of the report: file name, caption.
PICTURES = (
    ("burden.png", "Burden per engineer against fair share"),
    ("calendar.png", "Who is on call each week"),
    ("cumulative.png", "Burden accumulated over the horizon"),
)

_SUMMARY_LABELS = {
    "max_deviation": "largest deviation (days)",
    "min_deviation": "smallest deviation (days)",
    "deviation_range": "deviation range (days)",
    "std": "standard deviation of deviations (days)",
    "cv": "coefficient of variation",
    "gini": "Gini coefficient (0 = even)",
    "jain": "Jain's index (1 = even)",
    "balance": "balance score (1 = even)",
    "leximax": "deviations, largest first (days)",
    "month_end_shifts_excess": "month-end shifts: largest excess over fair count (shifts)",
    "weekend_days_excess": "weekend days: largest excess over fair count (days)",
    "holiday_days_excess": "public-holiday days: largest excess over fair count (days)",
}

_ENGINEER_COLUMNS = (
    ("name", "engineer"),
    ("seniority", "seniority"),
    ("primary_weeks", "primary weeks"),
    ("secondary_weeks", "secondary weeks"),
    ("month_end_shifts", "month-end shifts"),
    ("weekend_days", "weekend days"),
    ("holiday_days", "holiday days"),
    ("burden", "burden"),
    ("fair_share", "fair share"),
    ("history", "history"),
    ("deviation", "deviation"),
    ("deviation_pct", "deviation %"),
    ("shortest_gap_weeks", "shortest gap (weeks)"),
    ("longest_gap_weeks", "longest gap (weeks)"),
    ("month_end_shifts_excess", "month-end excess"),
    ("weekend_days_excess", "weekend excess"),
    ("holiday_days_excess", "holiday excess"),
)


def engineer_columns(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """``(column, heading)`` of the report's per-engineer table for ``scenario``.

    The default shape keeps its columns; a pattern of its own shows one column of turns per
    seat and the hours on call, and one excess column per category of stage 4.
    """
    if scenario.default_shape:
        return _ENGINEER_COLUMNS
    kinds = categories(expand(scenario))
    seats = tuple((seat_id, f"{seat_id} turns") for seat_id in scenario.shape.seat_ids)
    excess = tuple((f"{kind.name}_excess", f"{kind.label} excess") for kind in kinds)
    middle = tuple(c for c in _ENGINEER_COLUMNS[5:14])
    return (*_ENGINEER_COLUMNS[:2], *seats, ("on_call_hours", "hours on call"), *middle, *excess)


def _spread_words(scenario: Scenario) -> str:
    """Stage 4's categories in words: ``"Month-end shifts, weekend days and ..."``."""
    labels = [kind.label for kind in categories(expand(scenario))]
    text = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0]
    return text[:1].upper() + text[1:]


def summary_label(scenario: Scenario, key: str) -> str:
    """The report's words for summary key ``key``."""
    if key in _SUMMARY_LABELS:
        return _SUMMARY_LABELS[key]
    for kind in categories(expand(scenario)):
        if key == f"{kind.name}_excess":
            return f"{kind.label}: largest excess over fair count ({kind.unit})"
    return key


#: Characters with a meaning in Markdown, escaped with a backslash in text from inputs.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#!|~])")


def md(text: str) -> str:
    r"""Text from inputs, safe inside Markdown (and the HTML it becomes): no markup survives.

    HTML characters become entities, Markdown punctuation is escaped, and line breaks and
    other control characters become spaces.

    Examples
    --------
    >>> md("<script>alert(1)</script> # Ops_team")
    '&lt;script&gt;alert(1)&lt;/script&gt; \\# Ops\\_team'
    """
    flat = "".join(" " if not ch.isprintable() else ch for ch in str(text))
    return _MARKDOWN.sub(r"\\\1", html.escape(flat, quote=False))


def cell_text(value: Any) -> str:
    """A value as the report shows it, unescaped: numbers to at most four decimals.

    Examples
    --------
    >>> [cell_text(v) for v in (1.5, 2.0, float("nan"), None, True, (0.5, -1.0), "a|b")]
    ['1.5', '2', 'n/a', '', 'yes', '+0.50, -1.00', 'a|b']
    """
    if isinstance(value, tuple):
        return ", ".join(f"{v:+.2f}" for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "n/a"  # no such value, e.g. an excess where nothing is spread
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


def _cell(value: Any) -> str:
    return md(cell_text(value))


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render a GitHub-flavoured Markdown table (numbers to at most four decimals).

    Examples
    --------
    >>> print(markdown_table(["who", "load"], [["ana", 1.5], ["bo", 2.0]]))
    | who | load |
    | --- | --- |
    | ana | 1.5 |
    | bo | 2 |
    """
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _pictures(scenario: Scenario, schedule: Schedule) -> dict[str, bytes]:
    """PNG bytes per file name of :data:`PICTURES`, drawn once for both reports."""
    figures = (plot_burden, plot_calendar, plot_cumulative)
    return {
        name: _png(draw(scenario, schedule))
        for (name, _), draw in zip(PICTURES, figures, strict=True)
    }


def write_report(
    scenario: Scenario,
    schedule: Schedule,
    directory: str | Path,
    *,
    comparison: pd.DataFrame | None = None,
) -> Path:
    """Write ``report.md``, ``report.html`` and the pictures into ``directory``.

    The report gives the status and proof, the summary metrics, a comparison with the
    round-robin and greedy baselines on the same scenario, the per-engineer table, any rule
    violations, and three pictures: PNG files beside ``report.md``, embedded in
    ``report.html`` (one self-contained page that prints on A4). Neither file holds a time:
    the same inputs and seed give the same bytes.

    Parameters
    ----------
    scenario
        The inputs the schedule answers.
    schedule
        Solved, baseline or hand-made.
    directory
        Created if needed; existing files of the same names are replaced atomically.
    comparison
        A :func:`fairshift.compare` table to show instead of the default one (which compares
        the schedule, under its label, with ``round-robin`` and ``greedy``).

    Returns
    -------
    pathlib.Path
        The path of ``report.md``.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> path = fs.write_report(scenario, fs.greedy(scenario), tempfile.mkdtemp())
    >>> path.name
    'report.md'
    >>> sorted(p.name for p in path.parent.iterdir())
    ['burden.png', 'calendar.png', 'cumulative.png', 'report.html', 'report.md']
    """
    out = Path(directory)
    name = schedule.label or "schedule"
    if comparison is None:
        comparison = default_comparison(scenario, schedule)
    pictures = _pictures(scenario, schedule)
    for file, data in pictures.items():
        write_atomic(out / file, data)
    content = report_content(scenario, schedule, comparison, name=name)
    write_atomic(out / "report.html", render_html(content, pictures))
    path = out / "report.md"
    write_atomic(path, render_markdown(content))
    return path


def default_comparison(scenario: Scenario, schedule: Schedule) -> pd.DataFrame:
    """Compare ``schedule`` (under its label) with round-robin and greedy on ``scenario``."""
    name = schedule.label or "schedule"
    entries = {name: schedule}
    for baseline in (round_robin(scenario), greedy(scenario)):
        entries.setdefault(baseline.label, baseline)
    return compare(entries)


#: Words of the comparison's columns that are not summary metrics.
_COMPARISON_LABELS = {
    "status": "status",
    "proven": "proven optimal",
    "violations": "hard-rule violations",
    "unfilled": "unfilled shifts",
    "weeks_changed": "turns gained (+) or lost (-) against {first}",
}


def report_content(
    scenario: Scenario,
    schedule: Schedule,
    comparison: pd.DataFrame,
    *,
    name: str,
) -> ReportContent:
    """Gather what the report says, as plain text, for every renderer (see :func:`write_report`).

    Solve times are left out: the same inputs and seed give the same report.
    """
    rotation = scenario.rotation
    stats = fairness(scenario, schedule)
    subject = name in comparison.index and name != "round-robin"
    shown = [c for c in comparison.columns if c not in ("leximax", "reason", "seconds")]
    reasons = comparison["reason"][comparison["reason"].astype(bool)]
    table = stats.per_engineer
    columns = engineer_columns(scenario)
    return ReportContent(
        rotation=rotation.name,
        schedule=name,
        period=f"{rotation.weeks} weeks from {rotation.start} (handoff "
        f"{rotation.handoff:%H:%M} {rotation.timezone}), {len(scenario.engineers)} engineers",
        status=_status(schedule),
        status_code=_status_code(schedule),
        spread_words=_spread_words(scenario),
        summary=tuple(
            (key, summary_label(scenario, key), cell_text(value))
            for key, value in stats.summary.items()
        ),
        versus=versus(comparison, name, "round-robin")
        if subject and "round-robin" in comparison.index
        else None,
        comparison_columns=(
            ("schedule", "schedule"),
            *((c, _comparison_label(scenario, comparison, c)) for c in shown),
        ),
        comparison=tuple(
            tuple(cell_text(value) for value in row) for row in comparison[shown].itertuples()
        ),
        reasons=tuple((str(index), str(reason)) for index, reason in reasons.items()),
        engineer_columns=columns,
        engineers=tuple(
            tuple(cell_text(value) for value in row)
            for row in table[[column for column, _ in columns]].values.tolist()
        ),
        holidays=tuple(
            (str(who), str(days))
            for who, days in zip(table["name"], table["holidays"], strict=True)
            if days
        ),
        violations=tuple(str(violation) for violation in validate(scenario, schedule)),
        pictures=PICTURES,
    )


def _comparison_label(scenario: Scenario, comparison: pd.DataFrame, column: str) -> str:
    """Words for a column of the comparison."""
    if column in _COMPARISON_LABELS:
        first = str(comparison.index[0]) if len(comparison.index) else "the first schedule"
        return _COMPARISON_LABELS[column].format(first=first)
    return summary_label(scenario, column)


def render_markdown(content: ReportContent) -> str:
    """Compose the Markdown text of the report (see :func:`write_report`)."""
    lines = [
        f"# {md(content.rotation)}",
        "",
        f"{content.period}. Schedule **{md(content.schedule)}**: {md(content.status)}.",
        "",
        "## Summary",
        "",
        "Burden is counted in days on call, weighted by kind of day (a shift shorter than a "
        "day counts its fraction of one); each engineer's fair share is the period's total "
        "burden split in proportion to availability (dates employed and free of leave, times "
        "FTE). Deviation = burden - fair share + history carried over. "
        f"{content.spread_words} are each spread among the engineers who can hold them: an "
        "engineer's excess is their count minus the category's total split in proportion to "
        "availability among those engineers (n/a for anyone else).",
        "",
        markdown_table(["metric", "value"], [[label, v] for _, label, v in content.summary]),
        "",
    ]
    if content.versus is not None:
        lines += ["```", html.escape(content.versus.replace("`", "'"), quote=False), "```", ""]
    lines += [
        "## Comparison",
        "",
        "Baselines on the same inputs: *round-robin* rotates through a fixed order, skipping "
        "whoever is unavailable; *greedy* gives each shift to the available engineer whose last "
        "shift in that role ended earliest. Both know only leave and employment dates; "
        "violations are hard rules they break.",
        "",
        markdown_table([key for key, _ in content.comparison_columns], content.comparison),
        "",
    ]
    lines += [f"- **{md(who)}**: {md(why)}" for who, why in content.reasons]
    if content.reasons:
        lines.append("")
    lines += [
        "## Per engineer",
        "",
        markdown_table([label for _, label in content.engineer_columns], content.engineers),
        "",
    ]
    if content.holidays:
        lines += ["Own public holidays on call:", ""]
        lines += [f"- {md(who)}: {md(days)}" for who, days in content.holidays]
        lines.append("")
    lines += ["## Hard rules", ""]
    if content.violations:
        lines += [f"{len(content.violations)} violation(s):", ""]
        lines += [f"- {md(violation)}" for violation in content.violations]
    else:
        lines.append("Every hard rule holds.")
    lines += ["", "## Pictures", ""]
    for file, caption in content.pictures:
        lines += [f"### {caption}", "", f"![{caption}]({file})", ""]
    return "\n".join(lines)


def _status(schedule: Schedule) -> str:
    """The status and what was proven, in words (unescaped)."""
    if schedule.interrupted:
        return (
            "interrupted (Ctrl-C) before every stage was proven; this is the best schedule "
            f"found until then ({schedule.headline})"
        )
    if schedule.status == Status.OPTIMAL:
        return "optimal, every stage proven"
    if schedule.status == Status.FEASIBLE:
        return f"feasible: {schedule.headline}"
    if schedule.status == Status.GIVEN:
        return "given (not optimised)"
    return schedule.status.lower()


def _status_code(schedule: Schedule) -> str:
    """The status as one lower-case word (see :attr:`ReportContent.status_code`)."""
    if schedule.interrupted:
        return "interrupted"
    known = (Status.OPTIMAL, Status.FEASIBLE, Status.GIVEN, Status.INFEASIBLE)
    return schedule.status.lower() if schedule.status in known else "unknown"
