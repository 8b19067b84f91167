"""Baseline schedulers: how teams rotate today, for comparison with a fairshift plan.

Both baselines know only who is available: an engineer on leave, not yet joined or already
gone is skipped, and the weekly secondary is never the week's primary (two layers of one
rota cannot name the same person). They know nothing of burden weights, seniority, month-end
separation or rest rules, so :func:`fairshift.validate` reports whatever they break. When
nobody can take a shift it stays unfilled (``engineer == ""``); no assignment is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .calendar import Role, ShiftCalendar, Slot, expand
from .errors import ScenarioError
from .scenario import Scenario
from .schedule import Assignment, Schedule, Status, _ordered
from .team import Engineer

#: When a shift "ended" for someone who never held the role: before any real shift.
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _free(calendar: ShiftCalendar, engineer: Engineer, slot: Slot, busy: set[str]) -> bool:
    return engineer.handle not in busy and calendar.blocked(engineer, slot) is None


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

    def take(self, calendar: ShiftCalendar, slot: Slot, busy: set[str]) -> str:
        """Holder of ``slot``: the first free engineer from the pointer on (``""`` if none)."""
        n = len(self.engineers)
        for step in range(n):
            i = (self.next + step) % n
            if _free(calendar, self.engineers[i], slot, busy):
                self.next = (i + 1) % n
                return self.engineers[i].handle
        return ""


def round_robin(scenario: Scenario, order: Sequence[str] | None = None) -> Schedule:
    """Rotate through a fixed order, skipping whoever is unavailable.

    Each week the primary is the next engineer in ``order`` who is free (the turn passes to
    the one after them next week); the secondary is the next free engineer after the primary,
    so the secondary usually becomes next week's primary. Month-end shifts follow their own
    turn through the same order. This is how paging tools rotate layers of a schedule.

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
    primary = _Rotation(engineers)
    month_end = _Rotation(engineers)
    assignments = []
    for week in calendar.weeks:
        holder = primary.take(calendar, week, set())
        assignments.append(_assign(week, Role.PRIMARY, holder))
        # The secondary is the next free engineer after the primary; the primary's own
        # pointer moves on by one turn only.
        backup = _Rotation(engineers, primary.next).take(calendar, week, {holder})
        assignments.append(_assign(week, Role.SECONDARY, backup))
    for slot in calendar.month_ends:
        assignments.append(_assign(slot, Role.MONTH_END, month_end.take(calendar, slot, set())))
    return Schedule(scenario, tuple(_ordered(assignments)), Status.GIVEN, label="round-robin")


def greedy(scenario: Scenario) -> Schedule:
    """Give each shift to the free engineer whose last shift in that role ended earliest.

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
    last: dict[Role, dict[str, dt.datetime]] = {role: {} for role in Role}
    order = {e.handle: i for i, e in enumerate(scenario.engineers)}
    shifts = [(week, role) for week in calendar.weeks for role in (Role.PRIMARY, Role.SECONDARY)]
    shifts += [(slot, Role.MONTH_END) for slot in calendar.month_ends]
    shifts.sort(key=lambda shift: (shift[0].start, list(Role).index(shift[1])))
    assignments = []
    week_holders: dict[str, set[str]] = {}
    for slot, role in shifts:
        busy = week_holders.setdefault(slot.id, set()) if role is not Role.MONTH_END else set()
        free = [e for e in scenario.engineers if _free(calendar, e, slot, busy)]
        holder = ""
        if free:
            ended = last[role]
            chosen = min(free, key=lambda e: (ended.get(e.handle, _NEVER), order[e.handle]))
            holder = chosen.handle
            last[role][holder] = slot.end
            busy.add(holder)
        assignments.append(_assign(slot, role, holder))
    return Schedule(scenario, tuple(_ordered(assignments)), Status.GIVEN, label="greedy")


def _assign(slot: Slot, role: Role, engineer: str) -> Assignment:
    return Assignment(slot.id, role, slot.start, slot.end, engineer)
