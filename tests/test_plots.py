"""Pictures render headless and contain what they claim: bars, cells, marks, lines."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from matplotlib.cbook import STEP_LOOKUP_MAP
from matplotlib.lines import Line2D

import fairshift as fs
from conftest import EXAMPLE, MONDAY, engineer, scenario
from fairshift.plots import CALENDAR_CODES, HOLIDAY_LABEL, MONTH_END_LABEL

#: Scenarios of every rotation shape: the default weekly one and patterns of their own.
EXAMPLES = EXAMPLE.parent
SHAPES = ["pacific-infra", "per-pipeline", "follow-the-sun", "holiday-season", "weekly-standby"]

#: cy is away Tuesday to Saturday of week 2.
AWAY = {"leave": (fs.Leave(MONDAY + dt.timedelta(8), MONDAY + dt.timedelta(12)),)}


@pytest.fixture
def team() -> fs.Scenario:
    """Four engineers over eight weeks (Memorial Day in week 7), two month-end shifts."""
    people = (
        engineer("ana", "senior"),
        engineer("bo", "mid"),
        engineer("cy", "mid", **AWAY),
        engineer("di", "senior", history=2),
    )
    return scenario(people, weeks=8, month_end_days=3)


def test_burden_has_one_bar_per_engineer_with_deviation_labels(team: fs.Scenario) -> None:
    """Bars carry burdens, tick labels the names, texts the signed deviations."""
    schedule = fs.round_robin(team)
    table = fs.per_engineer(team, schedule)
    ax = fs.plot_burden(team, schedule).axes[0]
    assert len(ax.patches) == len(team.engineers)
    assert [bar.get_height() for bar in ax.patches] == table["burden"].tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == table["name"].tolist()
    assert [t.get_text() for t in ax.texts] == [f"{d:+.2f}" for d in table["deviation"]]
    assert ax.get_ylabel() == "burden (days)"
    assert "history included" in ax.get_title()
    shares = ax.collections[0].get_segments()
    assert [segment[0][1] for segment in shares] == table["fair_share"].tolist()


def test_calendar_cells_follow_the_schedule(team: fs.Scenario) -> None:
    """Cell (engineer, week) is primary, secondary, unavailable or off as scheduled."""
    schedule = fs.round_robin(team)
    ax = fs.plot_calendar(team, schedule).axes[0]
    grid = ax.images[0].get_array()
    assert grid.shape == (4, 8)
    code = {name: value for name, (value, _) in CALENDAR_CODES.items()}
    rows = {h: i for i, h in enumerate(team.handles)}
    for k in range(8):
        week = f"week-{k + 1:03d}"
        assert grid[rows[schedule.holder("primary", week)], k] == code["primary"]
        assert grid[rows[schedule.holder("secondary", week)], k] == code["secondary"]
    assert grid[rows["cy"], 1] == code["unavailable"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Ana", "Bo", "Cy", "Di"]
    assert ax.get_xlabel().startswith("week starting") and ax.get_ylabel() == "engineer"


def test_calendar_marks_month_ends_and_holidays(team: fs.Scenario) -> None:
    """One diamond per month-end shift, on its holder's row; a star per own holiday."""
    schedule = fs.round_robin(team)
    ax = fs.plot_calendar(team, schedule).axes[0]
    marks = {c.get_label(): c.get_offsets() for c in ax.collections}
    month_ends = [a for a in schedule.assignments if a.role == fs.Role.MONTH_END]
    assert len(marks[MONTH_END_LABEL]) == len(month_ends) == 2
    rows = {h: i for i, h in enumerate(team.handles)}
    assert sorted(y for _, y in marks[MONTH_END_LABEL]) == sorted(
        rows[a.engineer] for a in month_ends
    )
    # Memorial Day, 31 May 2027, is in week 7 (index 6) for all four US-CA engineers.
    stars = marks[HOLIDAY_LABEL]
    assert len(stars) == 4 and all(5.5 <= x < 6.5 for x, _ in stars)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [*CALENDAR_CODES, MONTH_END_LABEL, HOLIDAY_LABEL]


def test_cumulative_has_one_line_per_engineer_ending_at_the_burden(team: fs.Scenario) -> None:
    """Each line rises from 0 to that engineer's burden, never going down."""
    schedule = fs.greedy(team)
    burdens = fs.per_engineer(team, schedule)["burden"].tolist()
    ax = fs.plot_cumulative(team, schedule).axes[0]
    assert [line.get_label() for line in ax.lines] == ["Ana", "Bo", "Cy", "Di"]
    ends = []
    for line in ax.lines:
        ys = list(line.get_ydata())
        assert ys[0] == 0 and ys == sorted(ys) and len(ys) == 9
        ends.append(ys[-1])
    assert ends == burdens
    assert ax.get_ylabel() == "cumulative burden (days)"


def test_figures_render_to_png_without_pyplot_state(team: fs.Scenario) -> None:
    """Every figure saves as a PNG headless, and pyplot keeps no figure open."""
    import io

    import matplotlib.pyplot as plt

    schedule = fs.round_robin(team)
    before = plt.get_fignums()
    for draw in (fs.plot_burden, fs.plot_calendar, fs.plot_cumulative):
        buffer = io.BytesIO()
        draw(team, schedule).savefig(buffer, format="png")
        assert buffer.getvalue().startswith(b"\x89PNG")
    assert plt.get_fignums() == before


@pytest.mark.parametrize("draw", [fs.plot_burden, fs.plot_calendar, fs.plot_cumulative])
def test_missing_matplotlib_gives_an_install_hint(
    team: fs.Scenario, monkeypatch: pytest.MonkeyPatch, draw: Callable[..., object]
) -> None:
    """In a broken install without matplotlib each picture says how to install it."""
    schedule = fs.round_robin(team)
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        draw(team, schedule)


def test_fairshift_imports_without_matplotlib() -> None:
    """`import fairshift` does not load matplotlib: it is imported when a picture is drawn."""
    code = "import sys; sys.modules['matplotlib'] = None; import fairshift; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def drawn(line: Line2D) -> tuple[np.ndarray, np.ndarray]:
    """The vertices of ``line`` as drawn on the canvas, its draw style applied."""
    xs = np.asarray(line.get_xdata()).astype("datetime64[D]").astype(float)
    ys = np.asarray(line.get_ydata(), dtype=float)
    steps = STEP_LOOKUP_MAP[line.get_drawstyle()](xs, ys)
    return np.asarray(steps[0]), np.asarray(steps[1])


@pytest.mark.parametrize("shape", SHAPES)
def test_cumulative_draws_the_last_week_regression(shape: str) -> None:
    """Regression: each line ends at the burden of the fairness table, drawn over the last week.

    The lines used to step at each handoff, so the last week (and December's month-end) rose
    only as a stroke on the right edge: on the bundled example Alex seemed to end 10 days
    below the others while fairness.csv gave all four the same burden.
    """
    example = fs.Scenario.from_toml(EXAMPLES / f"{shape}.toml")
    schedule = fs.greedy(example)
    burden = fs.fairness(example, schedule).per_engineer["burden"].tolist()
    ax = fs.plot_cumulative(example, schedule).axes[0]
    rotation = example.rotation
    horizon_end = rotation.start + dt.timedelta(weeks=rotation.weeks)
    end = float(np.datetime64(horizon_end.isoformat(), "D").astype(float))
    assert len(ax.lines) == len(burden)
    for line, expected in zip(ax.lines, burden, strict=True):
        xs, ys = drawn(line)
        assert (xs[-1], ys[-1]) == (end, expected)
        # The last value is reached across the last week, not by a vertical stroke at its end.
        assert xs[-2] == end - 7 and ys[-2] <= expected
        assert float(np.max(ys)) == expected


@pytest.mark.parametrize("shape", ["follow-the-sun", "per-pipeline", "holiday-season"])
def test_calendar_fills_every_week_a_turn_covers(shape: str) -> None:
    """A turn of two weeks fills both of its weeks, not only the one it starts in."""
    example = fs.Scenario.from_toml(EXAMPLES / f"{shape}.toml")
    schedule = fs.greedy(example)
    grid = fs.plot_calendar(example, schedule).axes[0].images[0].get_array()
    rows = {h: i for i, h in enumerate(example.handles)}
    rotation = example.rotation
    start = dt.datetime.combine(rotation.start, rotation.handoff)
    held = 0
    for a in schedule.assignments:
        first = (a.start.replace(tzinfo=None) - start).days // 7
        last = -(-(a.end.replace(tzinfo=None) - start).days // 7) - 1
        for week in range(max(first, 0), min(last, rotation.weeks - 1) + 1):
            assert grid[rows[a.engineer], week] >= 2, (a, week)  # a seat, not off or away
            held += 1
    assert held >= len(schedule.assignments)
