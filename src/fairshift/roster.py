"""The result of planning as data: who holds which shift and how it was proven."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

import pandas as pd

from .calendar import Role, expand
from .errors import ScheduleFormatError
from .io import csv_text, read_cell, write_atomic
from .scenario import Scenario

if TYPE_CHECKING:
    from .explain import Explanation

#: Columns of :meth:`Schedule.to_dataframe` (and of ``schedule.csv``); the default shape
#: also has ``slot`` and ``role`` first, as before patterns.
COLUMNS = ("shift", "seat", "start", "end", "engineer", "name")
#: The default shape's columns: today's, in today's places, then ``shift`` and ``seat``.
DEFAULT_COLUMNS = ("slot", "role", "start", "end", "engineer", "name", "shift", "seat")
#: The default shape's seat names, read back as :class:`Role` by :attr:`Assignment.role`.
_ROLE_NAMES = frozenset(role.value for role in Role)
#: Columns a schedule table must have to be read back (``role`` may stand for ``seat``).
REQUIRED_COLUMNS = ("start", "end", "seat", "engineer")


class Status:
    """Schedule statuses."""

    OPTIMAL = "OPTIMAL"  # every stage proven optimal
    FEASIBLE = "FEASIBLE"  # valid, but at least one stage stopped before its proof
    INFEASIBLE = "INFEASIBLE"  # no schedule satisfies the hard rules
    GIVEN = "GIVEN"  # read from a table or made by a baseline, not optimised


@dataclass(frozen=True)
class Assignment:
    """One seat of one turn held by one engineer (``""`` when unfilled).

    Attributes
    ----------
    slot
        The turn's id, e.g. ``"week-012"`` (``"?"`` when no turn starts then).
    seat
        The seat's name, e.g. ``"primary"``.
    start, end
        The turn's boundaries.
    engineer
        The holder's handle.
    shift
        The shift type's name (``""``: the one shift type that has the seat).
    """

    slot: str
    seat: str
    start: dt.datetime
    end: dt.datetime
    engineer: str
    shift: str = ""

    @property
    def role(self) -> str:
        """The seat: a :class:`~fairshift.calendar.Role` for the default shape's seat names."""
        return Role(self.seat) if self.seat in _ROLE_NAMES else self.seat


@dataclass(frozen=True)
class Stage:
    """One stage of the lexicographic objective, with what was proven about it.

    ``value`` and ``bound`` are in ``unit``: days of burden for the deviation stages, squared
    quarter days for stage 3, shifts or days for the spread categories of stage 4.
    ``steps`` counts the neighbourhood-search steps that followed the full model (teams of
    more than 5 engineers and 600 choices; see :func:`fairshift.model.neighbourhood.search_for`).
    """

    name: str
    description: str
    status: str
    value: float | None
    bound: float | None
    seconds: float
    steps: int = 0
    unit: str = ""

    @property
    def spread(self) -> bool:
        """Whether this is one of stage 4's best-effort spread categories."""
        return self.name.endswith("_excess")

    @property
    def proven(self) -> bool:
        """Whether the stage's optimum was proven."""
        return self.status == Status.OPTIMAL

    @property
    def gap(self) -> float | None:
        """Distance between the value found and the proven bound."""
        if self.value is None or self.bound is None:
            return None
        return abs(self.value - self.bound)


@dataclass(frozen=True)
class Roster:
    """A rota as data: assignments plus how they were obtained.

    :class:`~fairshift.Schedule` adds the views that need the fairness tables and the
    calendars; the modules those live in take a :class:`Roster`.

    Attributes
    ----------
    scenario
        The inputs it answers.
    assignments
        One per slot and role, ordered by start then role.
    status
        ``OPTIMAL``, ``FEASIBLE``, ``INFEASIBLE`` or ``GIVEN``.
    stages
        Lexicographic stages with value, bound and time.
    seconds
        Wall-clock solve time.
    seed
        Random seed of the solve.
    explanation
        Why no schedule exists (``INFEASIBLE`` only).
    label
        Name used when schedules are compared.
    interrupted
        Ctrl-C stopped the solve; it holds the best schedule found until then.
    """

    scenario: Scenario
    assignments: tuple[Assignment, ...]
    status: str = Status.GIVEN
    stages: tuple[Stage, ...] = ()
    seconds: float = 0.0
    seed: int = 0
    explanation: Explanation | None = None
    label: str = field(default="fairshift")
    interrupted: bool = False

    # -- headline numbers -------------------------------------------------------------------

    @property
    def objective(self) -> float | None:
        """Largest deviation from fair share (stage 1), in burden units."""
        return self.stages[0].value if self.stages else None

    @property
    def bound(self) -> float | None:
        """Proven lower bound on the largest deviation (stage 1)."""
        return self.stages[0].bound if self.stages else None

    @property
    def gap(self) -> float | None:
        """``objective - bound`` for stage 1, in burden units (0 when proven)."""
        return self.stages[0].gap if self.stages else None

    @property
    def headline(self) -> str:
        """What was proven, in one line (see :func:`proof_headline`)."""
        return proof_headline(self.stages)

    def is_feasible(self) -> bool:
        """Whether the schedule has assignments (it may still be a hand-made invalid one)."""
        return self.status != Status.INFEASIBLE and bool(self.assignments)

    # -- views ------------------------------------------------------------------------------

    def to_dataframe(self) -> pd.DataFrame:
        """One row per (turn, seat): shift, seat, start, end, engineer, name.

        Times are ISO 8601 with offset. The default shape keeps the columns it had before
        patterns (``slot, role, start, end, engineer, name``) in their places and adds
        ``shift`` and ``seat`` after them.

        Examples
        --------
        >>> import fairshift as fs
        >>> s = fs.solve(fs.Scenario.from_toml("examples/pacific-infra.toml"))  # doctest: +SKIP
        >>> s.to_dataframe().columns.tolist()  # doctest: +SKIP
        ['slot', 'role', 'start', 'end', 'engineer', 'name', 'shift', 'seat']
        """
        names = {e.handle: e.name for e in self.scenario.engineers}
        shifts = shift_of_seat(self.scenario)
        default = self.scenario.default_shape
        rows = [
            {
                "slot": a.slot,
                "role": a.seat,
                "shift": a.shift or shifts.get(a.seat, ""),
                "seat": a.seat,
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "engineer": a.engineer,
                "name": names.get(a.engineer, ""),
            }
            for a in self.assignments
        ]
        columns = list(DEFAULT_COLUMNS if default else COLUMNS)
        return pd.DataFrame(rows, columns=columns)

    def holder(self, seat: str, slot: str, shift: str = "") -> str:
        """Handle holding ``seat`` in turn ``slot`` (``""`` if unfilled or unknown)."""
        for a in self.assignments:
            if a.slot == slot and a.seat == seat and (not shift or a.shift in ("", shift)):
                return a.engineer
        return ""

    # -- files ------------------------------------------------------------------------------

    def to_csv(self, path: str | Path) -> None:
        """Write :meth:`to_dataframe` as CSV, atomically."""
        write_atomic(path, csv_text(self.to_dataframe()))

    @classmethod
    def from_dataframe(cls, scenario: Scenario, table: pd.DataFrame, *, label: str = "") -> Self:
        """Read a schedule table (solved, baseline or hand-made) into a :class:`Schedule`.

        Rows need ``start``, ``end`` (ISO 8601 with UTC offset), ``seat`` (or ``role``) and
        ``engineer``, and ``shift`` when two shift types have a seat of the same name; the
        turn id is looked up from the scenario (``"?"`` when no turn of the seat starts then).

        Raises
        ------
        ScheduleFormatError
            For a missing column, an unknown seat or an unreadable time.
        """
        if "seat" not in table.columns and "role" in table.columns:
            table = table.rename(columns={"role": "seat"})
        elif "seat" in table.columns and "role" in table.columns:
            differ = table["seat"].astype(str).str.strip() != table["role"].astype(str).str.strip()
            if differ.any():
                i = int(differ.to_numpy().nonzero()[0][0])
                raise ScheduleFormatError(
                    f"row {i + 2}: role {str(table['role'].iloc[i])!r} and seat "
                    f"{str(table['seat'].iloc[i])!r} disagree; edit both, or drop one column"
                )
        missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
        if missing:
            raise ScheduleFormatError(
                f"schedule table lacks column(s) {', '.join(missing)}; it needs "
                f"{', '.join(REQUIRED_COLUMNS)} (role may stand for seat)"
            )
        calendar = expand(scenario)
        shifts = shift_of_seat(scenario)
        pattern = calendar.pattern
        seats = {(shift.name, seat.name) for shift in pattern.shifts for seat in shift.seats}
        has_shift = "shift" in table.columns
        assignments = []
        for i, row in enumerate(table.itertuples(index=False)):
            start = _read_time(row.start, i, "start")
            end = _read_time(row.end, i, "end")
            seat = str(row.seat).strip()
            shift = str(getattr(row, "shift", "")).strip() if has_shift else ""
            shift = shift or shifts.get(seat, "")
            if (shift, seat) not in seats:
                known = ", ".join(f"{a}.{b}" for a, b in sorted(seats))
                what = f"{shift}.{seat}" if shift else seat
                fix = (
                    "give the shift column"
                    if seat in {b for _, b in seats}
                    else f"use one of {known}"
                )
                raise ScheduleFormatError(f"row {i + 2}: seat {what!r} is not a seat; {fix}")
            engineer = row.engineer
            absent = engineer is None or (isinstance(engineer, float) and engineer != engineer)
            handle = "" if absent else read_cell(str(engineer).strip())
            duty = calendar.find(shift, seat, start)
            assignments.append(
                Assignment(duty.id if duty else "?", seat, start, end, handle, shift)
            )
        return cls(scenario, tuple(_ordered(assignments, scenario)), label=label)

    @classmethod
    def read_csv(cls, scenario: Scenario, path: str | Path) -> Self:
        """Read ``schedule.csv`` (see :meth:`from_dataframe`), or the one in a plan directory."""
        path = Path(path)
        if path.is_dir():
            if not (path / "schedule.csv").is_file():
                raise ScheduleFormatError(
                    f"{str(path)!r} is a directory without a schedule.csv; pass the "
                    "schedule.csv that `fairshift plan` wrote, or the directory holding it"
                )
            path = path / "schedule.csv"
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise ScheduleFormatError(f"no such schedule file {str(path)!r}") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ScheduleFormatError(f"{path}: cannot read CSV ({error})") from None
        except OSError as error:
            raise ScheduleFormatError(f"cannot read {str(path)!r}: {error.strerror}") from None
        return cls.from_dataframe(scenario, table, label=path.stem)


def _read_time(value: object, row: int, column: str) -> dt.datetime:
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleFormatError(
            f"row {row + 2}: {column} {text!r} is not an ISO 8601 time such as "
            "2027-01-04T09:00:00-08:00"
        ) from None
    if parsed.tzinfo is None:
        raise ScheduleFormatError(
            f"row {row + 2}: {column} {text!r} has no UTC offset; write e.g. "
            "2027-01-04T09:00:00-08:00"
        )
    return parsed


def stage_labels(stages: Iterable[Stage]) -> list[str]:
    """Stage numbers as people read them: stage 4's spread categories are 4a, 4b, 4c.

    Examples
    --------
    >>> names = ["max_deviation", "min_deviation", "weekend_days_excess", "holiday_days_excess"]
    >>> stage_labels(Stage(n, "", "OPTIMAL", 0.0, 0.0, 0.0) for n in names)
    ['1', '2', '3a', '3b']
    """
    labels: list[str] = []
    number, letter = 0, 0
    previous_spread = False
    for stage in stages:
        if stage.spread and previous_spread:
            letter += 1
        else:
            number += 1
            letter = 0
        labels.append(f"{number}{chr(ord('a') + letter)}" if stage.spread else str(number))
        previous_spread = stage.spread
    return labels


def proof_headline(stages: Iterable[Stage]) -> str:
    """What was proven, in plain words.

    Examples
    --------
    >>> done = [Stage(n, "", "OPTIMAL", 0.0, 0.0, 0.1) for n in ("max_deviation", "min_deviation")]
    >>> proof_headline(done)
    'fairness proven optimal (every stage)'
    >>> weekend = Stage("weekend_days_excess", "", "FEASIBLE", 1.0, 0.0, 0.5, unit="days")
    >>> proof_headline([*done, weekend])
    'fairness proven optimal (stages 1-2); spread of weekend days within 1.00 days of its bound'
    """
    stages = list(stages)
    if not stages:
        return "not optimised"
    labels = stage_labels(stages)
    if all(stage.proven for stage in stages):
        return "fairness proven optimal (every stage)"
    main = [(label, stage) for label, stage in zip(labels, stages, strict=True) if not stage.spread]
    open_ = [(label, stage) for label, stage in main if not stage.proven]
    if not open_:
        last = main[-1][0] if main else "0"
        head = (
            f"fairness proven optimal (stages 1-{last})"
            if last != "1"
            else ("fairness proven optimal (stage 1)")
        )
    else:
        label, stage = open_[0]
        head = f"fairness not proven: stage {label} ({stage.name}) {_distance(stage)}"
    spreads = [stage for stage in stages if stage.spread and not stage.proven]
    if spreads:
        parts = [f"{_category(stage)} {_distance(stage)}" for stage in spreads]
        head += "; spread of " + ", ".join(parts)
    return head


def _category(stage: Stage) -> str:
    """The category in words, as its stage describes it (``"month-end shifts"``)."""
    if stage.description.startswith("spread ") and ":" in stage.description:
        return stage.description.removeprefix("spread ").split(":", 1)[0]
    return stage.name.removesuffix("_excess").replace("_", " ")


def _distance(stage: Stage) -> str:
    if stage.status in ("SKIPPED", "UNKNOWN") or stage.value is None:
        return "not reached within the time limit"
    if stage.gap is None:
        return "without a proven bound"
    unit = f" {stage.unit}" if stage.unit else ""
    # A gap that rounds to 0.00 is still a gap: say so rather than "within 0.00".
    amount = f"{stage.gap:.2f}" if stage.gap >= 0.005 else "less than 0.01"
    return f"within {amount}{unit} of its bound"


def shift_of_seat(scenario: Scenario) -> dict[str, str]:
    """Seat name -> shift type, for the seats whose name only one shift type uses."""
    found: dict[str, list[str]] = {}
    for shift in scenario.shape.shifts:
        for seat in shift.seats:
            found.setdefault(seat.name, []).append(shift.name)
    return {seat: names[0] for seat, names in found.items() if len(names) == 1}


def _ordered(assignments: Iterable[Assignment], scenario: Scenario) -> list[Assignment]:
    """Rows in time order, then by seat as the pattern lists them."""
    shifts = shift_of_seat(scenario)
    rank = {seat_id: i for i, seat_id in enumerate(scenario.shape.seat_ids)}

    def key(a: Assignment) -> tuple[dt.datetime, int, str, str, str]:
        seat_id = f"{a.shift or shifts.get(a.seat, '')}.{a.seat}"
        return (
            a.start.astimezone(dt.UTC),
            rank.get(seat_id, len(rank)),
            seat_id,
            a.slot,
            a.engineer,
        )

    return sorted(assignments, key=key)
