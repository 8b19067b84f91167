"""Baseline schedulers: how teams rotate today, for comparison with a fairshift plan.

Both baselines know only who is available: an engineer on leave, not yet joined or already
gone is skipped, and two seats of one turn never name the same person (two layers of one
rota cannot). They know nothing of burden weights, seniority, seats kept apart or rest
rules, so :func:`fairshift.validate` reports whatever they break. Each seat rotates on its
own, in time order. When nobody can take a shift it stays unfilled (``engineer == ""``); no
assignment is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .calendar import Duty, ShiftCalendar, expand
from .errors import ScenarioError
from .roster import _ordered
from .scenario import Scenario
from .schedule import Assignment, Schedule, Status
from .team import Engineer

#: When a shift "ended" for someone who never held the role: before any real shift.
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _free(calendar: ShiftCalendar, engineer: Engineer, duty: Duty, busy: set[str]) -> bool:
    return engineer.handle not in busy and calendar.blocked(engineer, duty) is None


def _order(scenario: Scenario, order: Sequence[str] | None) -> list[Engineer]:
    if order is None:
        return list(scenario.engineers)
    if isinstance(order, str):
        raise ScenarioError("order", f"{order!r} is a single string", "pass a list of handles")
    handles = list(order)
    if not handles:
        raise ScenarioError("order", "the order is empty", "list the handles that rotate")
    seen: set[str] = set()
    for handle in handles:
        if handle in seen:
            raise ScenarioError(
                "order", f"{handle!r} appears twice", "name each engineer once in the order"
            )
        seen.add(handle)
    return [scenario.engineer(handle) for handle in handles]


class _Rotation:
    """A fixed cyclic order with a pointer: the next turn goes to the next free engineer."""

    def __init__(self, engineers: list[Engineer], first: int = 0) -> None:
        self.engineers = engineers
        self.next = first % len(engineers)

    def take(self, calendar: ShiftCalendar, duty: Duty, busy: set[str]) -> str:
        """Holder of ``duty``: the first free engineer from the pointer on (``""`` if none)."""
        n = len(self.engineers)
        for step in range(n):
            i = (self.next + step) % n
            if _free(calendar, self.engineers[i], duty, busy):
                self.next = (i + 1) % n
                return self.engineers[i].handle
        return ""


def round_robin(scenario: Scenario, order: Sequence[str] | None = None) -> Schedule:
    """Rotate through a fixed order, skipping whoever is unavailable.

    For each shift type, the first seat of each turn goes to the next engineer in ``order``
    who is free (the turn passes to the one after them next time); each further seat goes to
    the next free engineer after the one before it, so this week's secondary usually becomes
    next week's primary. Each shift type rotates through the same order on its own. This is
    how paging tools rotate layers of a schedule.

    Parameters
    ----------
    scenario
        Team, leave and horizon (rules and weights are ignored).
    order
        Handles in rotation order (default: scenario order); a subset rotates alone.

    Returns
    -------
    Schedule
        Status ``GIVEN``, label ``"round-robin"``; unfilled shifts have ``engineer == ""``.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 3), team)
    >>> [fs.round_robin(scenario).holder("primary", f"week-00{k}") for k in (1, 2, 3)]
    ['ana', 'bo', 'cy']
    """
    calendar = expand(scenario)
    engineers = _order(scenario, order)
    assignments = []
    for shift in calendar.pattern.shifts:
        rotation = _Rotation(engineers)
        for turn in calendar.turns[shift.name]:
            busy: set[str] = set()
            pointer = None
            for seat in shift.seats:
                duty = calendar.duty(shift.name, seat.name, turn.index)
                assert duty is not None
                if pointer is None:
                    holder = rotation.take(calendar, duty, busy)
                    pointer = rotation.next
                else:
                    # The next free engineer after the one before; the turn's own pointer
                    # moves on by one only.
                    following = _Rotation(engineers, pointer)
                    holder = following.take(calendar, duty, busy)
                    pointer = following.next
                busy.add(holder)
                assignments.append(_assign(duty, holder))
    return Schedule(
        scenario, tuple(_ordered(assignments, scenario)), Status.GIVEN, label="round-robin"
    )


def greedy(scenario: Scenario) -> Schedule:
    """Give each seat of each turn to the free engineer whose last turn in that seat ended first.

    Shifts are filled in time order; an engineer who never held the role goes first, ties
    go in scenario order. This is the least-recently-on-call rule of common open-source
    on-call schedulers.

    Parameters
    ----------
    scenario
        Team, leave and horizon (rules and weights are ignored).

    Returns
    -------
    Schedule
        Status ``GIVEN``, label ``"greedy"``; unfilled shifts have ``engineer == ""``.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 2), team)
    >>> s = fs.greedy(scenario)
    >>> [(s.holder("primary", w), s.holder("secondary", w)) for w in ("week-001", "week-002")]
    [('ana', 'bo'), ('bo', 'ana')]
    """
    calendar = expand(scenario)
    last: dict[str, dict[str, dt.datetime]] = {}
    order = {e.handle: i for i, e in enumerate(scenario.engineers)}
    assignments = []
    turn_holders: dict[tuple[str, int], set[str]] = {}
    for duty in calendar.duties:  # in time order, seats as the pattern lists them
        busy = turn_holders.setdefault((duty.shift, duty.index), set())
        free = [e for e in scenario.engineers if _free(calendar, e, duty, busy)]
        holder = ""
        if free:
            ended = last.setdefault(duty.seat_id, {})
            chosen = min(free, key=lambda e: (ended.get(e.handle, _NEVER), order[e.handle]))
            holder = chosen.handle
            ended[holder] = duty.end
            busy.add(holder)
        assignments.append(_assign(duty, holder))
    return Schedule(scenario, tuple(_ordered(assignments, scenario)), Status.GIVEN, label="greedy")


def _assign(duty: Duty, engineer: str) -> Assignment:
    return Assignment(duty.id, duty.seat, duty.start, duty.end, engineer, duty.shift)
