"""Pictures of a schedule: burden against fair share, a calendar heatmap, cumulative burden.

Each function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas, without
touching ``matplotlib.pyplot`` (no global figure, nothing to close); save it with
``figure.savefig("burden.png")`` or show it in a notebook. matplotlib is imported only when a
picture is drawn, so ``import fairshift`` stays quick.

Every picture shows the numbers of the fairness tables: a bar is the ``burden`` column, a
line of the cumulative picture ends at it, a cell of the calendar is held for every week its
turn covers.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from .calendar import Duty, ShiftCalendar, expand, local
from .fairness import cumulative_burden, per_engineer
from .scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .schedule import Schedule

#: Cell codes of the calendar heatmap and their colours, in legend order.
CALENDAR_CODES = {
    "off call": (0, "#f4f4f4"),
    "unavailable": (1, "#bdbdbd"),
    "secondary": (2, "#9ecae1"),
    "primary": (3, "#08519c"),
}
MONTH_END_LABEL = "month-end shift"
HOLIDAY_LABEL = "own public holiday"
#: Largest figure side, in inches: a picture must stay readable on a laptop screen and cheap
#: to draw whatever the team size.
MAX_INCHES = 16.0
#: With more engineers than this, the pictures drop per-engineer text (labels on bars,
#: legend entries, every name on an axis) that would overlap.
MANY = 24
#: Longest name a picture writes in full; a longer one is cut, so that it cannot squeeze the
#: plot out of its figure.
LONGEST_NAME = 28


def preload() -> None:
    """Import matplotlib's figure and Agg canvas now (for a background thread).

    ``fairshift plan`` calls it while the solver searches: CP-SAT runs without the
    interpreter lock, so the import, a quarter of a second, overlaps the search instead of
    following it. Nothing is drawn; a missing matplotlib is reported when a picture is.
    """
    with contextlib.suppress(ImportError):
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401


def _figure(width: float, height: float) -> Figure:
    """Make a figure on its own Agg canvas; say how to install matplotlib when it is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "fairshift's pictures need matplotlib, one of its dependencies; install it with "
            "pip install matplotlib"
        ) from None
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _short(name: str) -> str:
    r"""``name`` as a picture writes it: cut to :data:`LONGEST_NAME` characters, literally.

    Examples
    --------
    >>> _short("Ana"), _short("x" * 40)
    ('Ana', 'xxxxxxxxxxxxxxxxxxxxxxxxxxx…')
    >>> print(_short("$5"))
    \$5
    """
    cut = name if len(name) <= LONGEST_NAME else name[: LONGEST_NAME - 1] + "…"
    return _literal(cut)


def _literal(text: str) -> str:
    """Text from inputs shown as typed: a ``$`` would start matplotlib's maths."""
    return text.replace("$", r"\$")


def _title(scenario: Scenario, schedule: Schedule, what: str) -> str:
    label = f" ({schedule.label})" if schedule.label else ""
    return _literal(f"{scenario.rotation.name}{label}: {what}")


def plot_burden(scenario: Scenario, schedule: Schedule) -> Figure:
    """Bar per engineer of their burden, fair share marked, deviation written on each bar.

    The deviation (burden - fair share + history) is in days; with history carried over it
    differs from the gap between bar and mark by that history.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> figure = fs.plot_burden(scenario, fs.round_robin(scenario))
    >>> len(figure.axes[0].patches)
    3
    """
    table = per_engineer(scenario, schedule)
    many = len(table) > MANY
    figure = _figure(min(max(5.0, 1.2 * len(table) + 2), MAX_INCHES), 4.5)
    ax = figure.add_subplot()
    positions = list(range(len(table)))
    bars = ax.bar(positions, table["burden"].tolist(), color="#6baed6", label="burden")
    ax.hlines(
        table["fair_share"].tolist(),
        [x - 0.4 for x in positions],
        [x + 0.4 for x in positions],
        colors="black",
        linewidth=1 if many else 2,
        label="fair share",
    )
    if not many:
        ax.bar_label(bars, labels=[f"{d:+.2f}" for d in table["deviation"]], padding=3)
        ax.set_xticks(positions, [_short(name) for name in table["name"]])
    else:
        step = -(-len(table) // MANY)
        names = [_short(name) for name in table["name"]]
        ax.set_xticks(positions[::step], names[::step], rotation=90)
    ax.set_xlabel("engineer")
    ax.set_ylabel("burden (days)")
    history = " (history included)" if table["history"].any() else ""
    ax.set_title(_title(scenario, schedule, f"burden against fair share, deviation{history}"))
    ax.margins(y=0.12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return figure


def _codes(scenario: Scenario) -> dict[str, tuple[int, str]]:
    """Cell codes and colours: off call, unavailable, then the seats, the first seat last.

    For the default shape these are :data:`CALENDAR_CODES`. Seats of shift types that run
    beside the others (month-end) are drawn as marks instead.
    """
    if scenario.default_shape:
        return dict(CALENDAR_CODES)
    seats = [
        f"{s.name}.{x.name}" for s in scenario.shape.shifts if not s.may_overlap for x in s.seats
    ]
    palette = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#31a354", "#a1d99b", "#756bb1")
    codes = {"off call": (0, "#f4f4f4"), "unavailable": (1, "#bdbdbd")}
    for i, seat in enumerate(reversed(seats)):
        colour = palette[(len(seats) - 1 - i) % len(palette)]
        codes[seat] = (2 + i, colour)
    return codes


def plot_calendar(scenario: Scenario, schedule: Schedule) -> Figure:
    """Heatmap of weeks x engineers coloured by the seat held, with marks for the rest.

    Cells (default shape) are ``primary``, ``secondary``, ``unavailable`` (leave or
    employment all week) or ``off call``; with a pattern of its own, one colour per seat (the
    first seat wins a week with several). A turn fills every week (handoff to handoff) it
    overlaps, so a two-week turn fills two cells. A diamond marks each turn of a shift type
    that runs beside the others (month-end) at its middle, a star each of the engineer's own
    public holidays.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> fs.plot_calendar(scenario, fs.round_robin(scenario)).axes[0].images[0].get_array().shape
    (3, 4)
    """
    calendar = expand(scenario)
    handles = scenario.handles
    rotation = scenario.rotation
    n_weeks = rotation.weeks
    table = _codes(scenario)
    codes = {name: code for name, (code, _) in table.items()}
    grid = [[codes["off call"]] * n_weeks for _ in handles]
    horizon = local(rotation.start, rotation.handoff, rotation.timezone)
    bounds = _week_bounds(scenario)
    for k, duties in enumerate(_weekly_duties(calendar, n_weeks)):
        for row, engineer in enumerate(scenario.engineers):
            if duties and all(calendar.blocked(engineer, duty) for duty in duties):
                grid[row][k] = codes["unavailable"]
    rows = {handle: i for i, handle in enumerate(handles)}
    beside = {s.name for s in calendar.pattern.shifts if s.may_overlap}
    shift_of = {x.name: s.name for s in calendar.pattern.shifts for x in s.seats}
    month_end_points: list[tuple[float, int]] = []
    for a in schedule.assignments:
        if a.engineer not in rows:
            continue
        shift = a.shift or shift_of.get(a.seat, "")
        if shift in beside:
            middle = a.start + (a.end - a.start) / 2
            month_end_points.append((_weeks_since(horizon, middle) - 0.5, rows[a.engineer]))
            continue
        name = str(a.seat) if scenario.default_shape else f"{shift}.{a.seat}"
        if name not in codes:
            continue
        for column in _weeks_overlapped(bounds, a.start, a.end):
            grid[rows[a.engineer]][column] = max(grid[rows[a.engineer]][column], codes[name])
    holiday_points = [
        (_weeks_since(horizon, _noon(day, horizon)) - 0.5, rows[handle])
        for handle in handles
        for day in calendar.horizon_dates
        if day in calendar.holidays[handle]
    ]

    figure = _figure(
        min(max(6.0, 0.18 * n_weeks + 3), MAX_INCHES),
        min(1.0 + 0.45 * len(handles) + 1.2, MAX_INCHES),
    )
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    ax = figure.add_subplot()
    colours = ListedColormap([colour for _, colour in sorted(table.values())])
    ax.imshow(
        grid,
        cmap=colours,
        vmin=-0.5,
        vmax=len(table) - 0.5,
        aspect="auto",
        interpolation="nearest",
    )
    marks = []
    if month_end_points:
        xs, ys = zip(*month_end_points, strict=True)
        marks.append(
            ax.scatter(
                xs,
                ys,
                marker="D",
                s=30 if len(handles) <= MANY else 8,
                c="#d94801",
                edgecolors="white",
                zorder=3,
                label=MONTH_END_LABEL if scenario.default_shape else ", ".join(sorted(beside)),
            )
        )
    if holiday_points:
        xs, ys = zip(*holiday_points, strict=True)
        marks.append(
            ax.scatter(
                xs,
                ys,
                marker="*",
                s=45 if len(handles) <= MANY else 10,
                c="#ffd92f",
                edgecolors="black",
                linewidths=0.5,
                zorder=4,
                label=HOLIDAY_LABEL,
            )
        )
    step = max(1, n_weeks // 13)
    ticks = list(range(0, n_weeks, step))
    ax.set_xticks(
        ticks,
        [(horizon + dt.timedelta(weeks=k)).strftime("%b %d") for k in ticks],
        rotation=45,
        ha="right",
    )
    names = [_short(e.name) for e in scenario.engineers]
    step = -(-len(handles) // (2 * MANY))  # at most 48 names down the side
    ax.set_yticks(list(range(0, len(handles), step)), names[::step])
    ax.set_xlabel(f"week starting ({scenario.rotation.timezone})")
    ax.set_ylabel("engineer")
    ax.set_title(_title(scenario, schedule, "who is on call each week"))
    legend = [
        Patch(facecolor=colour, edgecolor="#666666", label=name)
        for name, (_, colour) in table.items()
    ]
    ax.legend(
        handles=[*legend, *marks], loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
    )
    return figure


def plot_cumulative(scenario: Scenario, schedule: Schedule) -> Figure:
    """One line per engineer: burden accumulated at each weekly handoff over the horizon.

    A point per handoff (:func:`fairshift.fairness.cumulative_burden`), joined by straight
    lines: the burden of a week rises across it, and each line ends, marked with a dot at the
    horizon's end, at the engineer's ``burden`` of :func:`fairshift.per_engineer`. (Steps drawn
    from each handoff would show the last week's burden only as a stroke on the right edge.)

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> len(fs.plot_cumulative(scenario, fs.round_robin(scenario)).axes[0].lines)
    3
    """
    table = cumulative_burden(scenario, schedule)
    figure = _figure(8.0, 4.5)
    ax = figure.add_subplot()
    dates = np.array([day.isoformat() for day in table.index], dtype="datetime64[D]")
    many = len(scenario.engineers) > MANY
    if 10 < len(scenario.engineers) <= 20:
        # Ten colours repeat past ten engineers; twenty keep each line apart from the others.
        from matplotlib import colormaps

        ax.set_prop_cycle(color=[colormaps["tab20"](i) for i in range(20)])
    for engineer in scenario.engineers:
        ax.plot(
            dates,
            table[engineer.handle].tolist(),
            label=_short(engineer.name),
            linewidth=0.6 if many else 1.5,
            marker="o",
            markevery=[len(dates) - 1],
            markersize=2 if many else 5,
        )
    ax.set_xlabel("handoff date")
    ax.set_ylabel("cumulative burden (days)")
    ax.set_title(_title(scenario, schedule, "burden over the horizon"))
    ax.grid(alpha=0.3)
    if not many:
        ax.legend(loc="upper left")
    figure.autofmt_xdate()
    return figure


def _weekly_duties(calendar: ShiftCalendar, weeks: int) -> list[list[Duty]]:
    """Per week of the horizon (handoff to handoff), the duties that overlap it.

    Only shift types that do not run beside the others count: an engineer blocked (leave,
    employment) from every one of a week's duties is unavailable that week.
    """
    bounds = _week_bounds(calendar.scenario)[: weeks + 1]
    beside = {s.name for s in calendar.pattern.shifts if s.may_overlap}
    found: list[list[Duty]] = [[] for _ in range(weeks)]
    for duty in calendar.duties:
        if duty.shift in beside:
            continue
        for k in _weeks_overlapped(bounds, duty.start, duty.end):
            found[k].append(duty)
    return found


def _week_bounds(scenario: Scenario) -> list[dt.datetime]:
    """The weekly handoffs of the horizon, its start and its end included."""
    rotation = scenario.rotation
    return [
        local(rotation.start + dt.timedelta(weeks=k), rotation.handoff, rotation.timezone)
        for k in range(rotation.weeks + 1)
    ]


def _weeks_overlapped(bounds: list[dt.datetime], start: dt.datetime, end: dt.datetime) -> range:
    """Indices of the weeks between consecutive ``bounds`` that ``[start, end)`` overlaps."""
    first = max(bisect.bisect_right(bounds, start) - 1, 0)
    last = min(bisect.bisect_left(bounds, end) - 1, len(bounds) - 2)
    return range(first, last + 1)


def _weeks_since(origin: dt.datetime, moment: dt.datetime) -> float:
    return (moment - origin).total_seconds() / (7 * 24 * 3600)


def _noon(day: dt.date, like: dt.datetime) -> dt.datetime:
    """Noon of ``day`` in the zone of ``like``: the instant at which a date is covered."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=like.tzinfo)
