"""What every hard rule is made of, and the two contexts rules work in.

A :class:`Rule` is one object listed once in :data:`fairshift.rules.REGISTRY`: its id and
human name, how it is stated to CP-SAT (:class:`ModelContext`), how it is re-checked on the
rows of any schedule without a solver (:class:`RowContext`), which engineers it keeps off a
duty outright (``forbids``, read by the warm start, the baselines and stage 4's eligibility),
and how to relax it when it is part of a conflict. The model, the validator and the
explanation of infeasibility all read the registry, so a rule cannot be stated one way and
checked another.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ortools.sat.python import cp_model

from ..calendar import Duty, ShiftCalendar, expand
from ..explain import Fact
from ..team import Engineer
from ..turns import Turn, utc

if TYPE_CHECKING:
    from ..model.variables import Variables
    from ..roster import Assignment
    from ..scenario import Scenario


@dataclass(frozen=True)
class Violation:
    """One broken hard rule.

    Attributes
    ----------
    rule
        Rule id (a key of :data:`fairshift.RULES`).
    engineer
        Handle concerned (``""`` when none, e.g. an unfilled shift).
    slot
        Turn id (``"week-012"``, ``"month-end-2027-03"``, ``"day-004"``) or the row's start.
    message
        One sentence.
    """

    rule: str
    engineer: str
    slot: str
    message: str

    @property
    def rule_name(self) -> str:
        """Human name of the rule."""
        from . import RULES

        return RULES.get(self.rule, self.rule)

    def __str__(self) -> str:
        who = f" {self.engineer}" if self.engineer else ""
        return f"[{self.rule}] {self.slot}{who}: {self.message}"


# -- how people name turns and seats -------------------------------------------------------


def turn_phrase(calendar: ShiftCalendar, turn: Turn, shift: str) -> str:
    """How people name a turn: the week of a date, a month-end window, a turn's start."""
    kind = calendar.shift_type(shift)
    if kind.month_end:
        label = "month-end" if shift == "month-end" else shift
        return f"the {label} window {turn.dates[0]} to {turn.dates[-1]}"
    local = turn.start.astimezone(ZoneInfo(calendar.scenario.rotation.timezone))
    if calendar.scenario.default_shape and shift == "weekly":
        return f"the week of {local.date()}"
    return f"the {shift} turn starting {local:%Y-%m-%d %H:%M}"


def seat_label(calendar: ShiftCalendar, duty: Duty) -> str:
    """How people name a seat: ``primary``, ``month-end``, or ``p1 of day``."""
    if calendar.scenario.default_shape:
        return duty.seat.replace("_", "-")
    kind = calendar.shift_type(duty.shift)
    return duty.shift if len(kind.seats) == 1 else f"{duty.seat} of {duty.shift}"


def duty_phrase(calendar: ShiftCalendar, duty: Duty) -> str:
    """A seat of a turn in words.

    ``primary in the week of 2027-01-04``, ``p1 in the day turn starting 2027-01-04 09:00``,
    or for a shift type with one seat just the turn: ``the month-end window ...``.
    """
    turn = turn_phrase(calendar, duty.turn, duty.shift)
    kind = calendar.shift_type(duty.shift)
    if len(kind.seats) == 1 and (kind.month_end or not calendar.scenario.default_shape):
        return turn  # "the month-end window ...", "the night turn starting ..."
    if calendar.scenario.default_shape:
        return f"{seat_label(calendar, duty)} in {turn}"
    return f"{duty.seat} in {turn}"


def _cannot_hold(calendar: ShiftCalendar, held: list[Duty]) -> str:
    """``cannot be primary or secondary in the week of ...`` (the seats of one turn)."""
    where = turn_phrase(calendar, held[0].turn, held[0].shift)
    kind = calendar.shift_type(held[0].shift)
    if len(kind.seats) == 1 and (kind.month_end or not calendar.scenario.default_shape):
        return f"cannot hold {where}"
    seats = " or ".join(
        seat_label(calendar, duty) if calendar.scenario.default_shape else duty.seat
        for duty in held
    )
    return f"cannot be {seats} in {where}"


# -- stating rules to CP-SAT ---------------------------------------------------------------


@dataclass
class ModelContext:
    """What a rule needs to state itself to CP-SAT: the model, its variables, the calendar.

    In explanation mode every instance of a rule is guarded by its own assumption literal and
    remembered as a :class:`~fairshift.explain.Fact`, so that a conflict can be named.
    """

    model: cp_model.CpModel
    vars: Variables
    calendar: ShiftCalendar
    explain: bool = False
    facts: dict[int, Fact] = field(default_factory=dict)
    assumptions: list[cp_model.IntVar] = field(default_factory=list)

    def require(self, constraint: cp_model.Constraint, fact: Callable[[], Fact]) -> None:
        """Register one instance of a hard rule.

        ``fact`` is called at once, and only when explaining, so closures over loop
        variables are safe.
        """
        if not self.explain:
            return
        literal = self.model.new_bool_var(f"fact{len(self.facts)}")
        constraint.only_enforce_if(literal)
        self.facts[literal.index] = fact()
        self.assumptions.append(literal)

    def name(self, handle: str) -> str:
        """Display name of an engineer."""
        return self.calendar.scenario.engineer(handle).name

    @property
    def engineers(self) -> tuple[str, ...]:
        """Handles in scenario order."""
        return self.vars.handles

    def phrase(self, duty: Duty) -> str:
        """A duty in words."""
        return duty_phrase(self.calendar, duty)

    def forbid(self, rule: Rule) -> None:
        """Keep every engineer off every duty the rule's ``forbids`` names a reason for.

        The seats of one turn are forbidden together (one fact: "cannot be primary or
        secondary in the week of ..."), as people say it.
        """
        assert rule.forbids is not None
        calendar = self.calendar
        people = {e.handle: e for e in calendar.scenario.engineers}
        by_turn: dict[tuple[str, int], list[Duty]] = defaultdict(list)
        for duty in calendar.duties:
            by_turn[duty.shift, duty.index].append(duty)
        for duties in by_turn.values():
            for handle in self.engineers:
                reasons: dict[str, list[Duty]] = defaultdict(list)
                for duty in duties:
                    why = rule.forbids(calendar, people[handle], duty)
                    if why is not None:
                        reasons[why].append(duty)
                for why, held in reasons.items():
                    total = sum(self.vars.holds(handle, duty) for duty in held)
                    self.require(
                        self.model.add(total == 0),
                        lambda: Fact(
                            rule.id,
                            f"{self.name(handle)} {why}, so {_cannot_hold(calendar, held)}.",
                            held[0].id,
                            (handle,),
                            held[0].seat_id,
                        ),
                    )


# -- re-checking rules on rows -------------------------------------------------------------


class RowContext:
    """What a rule needs to re-check rows: the scenario, the rows and their duties.

    Each row is matched to the duty of its shift type and seat that starts at the row's
    start (the expansion of the pattern is a function of the inputs alone); rows that match
    none are reported by the coverage rule. Checks read raw inputs (leave dates, joining
    dates, seniority, holiday regions, working hours) and the on-call intervals of the
    matched duties, never a solver.
    """

    def __init__(self, scenario: Scenario, rows: list[Assignment]) -> None:
        self.scenario = scenario
        self.calendar = expand(scenario)
        self.rows = rows
        self.people = {e.handle: e for e in scenario.engineers}
        self.zone = scenario.rotation.timezone
        self.matched: list[tuple[Assignment, Duty | None]] = [
            (row, self.match(row)) for row in rows
        ]
        # Per engineer of the team, the duties they hold (rows that match a duty).
        self.held: dict[str, list[tuple[Assignment, Duty]]] = defaultdict(list)
        for row, duty in self.matched:
            if duty is not None and row.engineer in self.people:
                self.held[row.engineer].append((row, duty))
        for found in self.held.values():
            found.sort(key=lambda pair: pair[1].position)

    def match(self, row: Assignment) -> Duty | None:
        """The duty a row fills, or ``None`` when no duty of its seat starts then."""
        shift = row.shift or self.shift_of(row.seat)
        if shift is None:
            return None
        return self.calendar.find(shift, str(row.seat), row.start)

    def shift_of(self, seat: str) -> str | None:
        """The shift type of a seat name, when exactly one shift type has it."""
        found = [
            s.name for s in self.calendar.pattern.shifts if any(x.name == seat for x in s.seats)
        ]
        return found[0] if len(found) == 1 else None

    def label(self, row: Assignment, duty: Duty | None = None) -> str:
        """The row's turn id, or its start time when it matches no turn."""
        if duty is not None:
            return duty.id
        return row.slot if row.slot not in ("", "?") else row.start.isoformat()

    def phrase(self, duty: Duty) -> str:
        """A duty in words."""
        return duty_phrase(self.calendar, duty)

    def engineer(self, handle: str) -> Engineer:
        """A team member."""
        return self.people[handle]

    def zone_of(self, engineer: Engineer) -> str:
        """The engineer's own zone (the rotation's when none is set)."""
        return engineer.timezone or self.zone


def midnight(day: dt.date, zone: str) -> dt.datetime:
    """00:00 of ``day`` in ``zone``, as a UTC instant."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


#: Why an engineer may never hold a duty, in words after their name; ``None``: no reason.
Forbids = Callable[[ShiftCalendar, Engineer, Duty], str | None]


@dataclass(frozen=True)
class Rule:
    """One hard rule: stated to CP-SAT, re-checked on rows, relaxed in words.

    Attributes
    ----------
    id
        Stable id, used in violations, facts and ``fairshift check`` output.
    name
        Human name, e.g. "Nobody is on call during their leave".
    encode
        States every instance of the rule in a :class:`ModelContext`.
    check
        Yields every :class:`Violation` of the rule in a :class:`RowContext`.
    relaxation
        The change that drops one instance, with ``{who}``, ``{where}`` and ``{seat}`` to
        fill in.
    forbids
        For rules that keep an engineer off a duty outright (leave, seniority, ...): the
        reason, or ``None``. Such a rule's ``encode`` is :meth:`ModelContext.forbid`.
    """

    id: str
    name: str
    encode: Callable[[ModelContext], None]
    check: Callable[[RowContext], Iterator[Violation]]
    relaxation: str
    forbids: Forbids | None = None


def forbidding(id: str, name: str, forbids: Forbids, relaxation: str) -> Rule:
    """A rule that keeps engineers off duties, encoded and checked from ``forbids``.

    For rules that compare an input with a duty (seniority against a seat's minimum, a
    covered date against the holder's holidays), the same comparison serves both sides.
    """

    def check(rows: RowContext) -> Iterator[Violation]:
        for handle, held in rows.held.items():
            engineer = rows.engineer(handle)
            for row, duty in held:
                why = forbids(rows.calendar, engineer, duty)
                if why is not None:
                    yield Violation(
                        id, handle, rows.label(row, duty), f"{why}, but holds {rows.phrase(duty)}"
                    )

    rule: Rule

    def encode(ctx: ModelContext) -> None:
        ctx.forbid(rule)

    rule = Rule(id, name, encode, check, relaxation, forbids)
    return rule


__all__ = [
    "Forbids",
    "ModelContext",
    "RowContext",
    "Rule",
    "Violation",
    "duty_phrase",
    "forbidding",
    "midnight",
    "seat_label",
    "turn_phrase",
    "utc",
]
