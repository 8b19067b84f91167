"""A constructive first schedule, handed to CP-SAT as a hint for the first stage.

On large teams a single CP-SAT worker spends most of a minute before its first solution. This
greedy fills week after week with the available engineers who are furthest below their fair
share, obeying every hard rule it can check locally (leave, employment, separation, rest,
seniority pairing, hard holidays, month-end seniority and separation). Where it cannot fill a
slot it leaves it to the solver: a hint need not be complete or feasible, it only steers the
first descent.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..calendar import Role, Slot
from ..policy import HolidayMode
from ..team import Seniority
from .objective import Objective

Hint = dict[tuple[str, str, str], int]


def greedy_hint(objective: Objective) -> Hint:
    """A rule-abiding, fairness-minded assignment as ``{(handle, role, slot_id): 1}``."""
    calendar = objective.calendar
    scenario = calendar.scenario
    rules = scenario.rules
    people = {e.handle: e for e in scenario.engineers}
    total = _expected_total(objective)
    big_a = max(objective.team_availability, 1)
    share = {h: Fraction(total * a, big_a) for h, a in objective.availability.items()}
    history = {e.handle: e.history * objective.scale for e in scenario.engineers}
    load: dict[str, Fraction] = {h: Fraction(0) for h in people}
    on_call: dict[str, list[bool]] = {h: [] for h in people}
    primary_last: dict[str, bool] = dict.fromkeys(people, False)
    hint: Hint = {}

    def need(handle: str) -> Fraction:
        # Deviation so far (history included): furthest below the fair share goes first.
        return load[handle] + history[handle] - share[handle]

    def rested(handle: str) -> bool:
        recent = on_call[handle][-rules.max_consecutive_weeks :]
        return not (len(recent) == rules.max_consecutive_weeks and all(recent))

    def free(handle: str, week: Slot) -> bool:
        return calendar.blocked(people[handle], week) is None and rested(handle)

    # Month-end windows first: they are the heaviest shifts, so they go to whoever is furthest
    # below their share before the weekly shifts fill everyone up.
    minimum = scenario.month_end.min_seniority
    not_primary: dict[int, set[str]] = {}
    for window in calendar.month_ends:
        eligible = [
            h
            for h in sorted(people, key=lambda h: (need(h), h))
            if people[h].seniority >= minimum and calendar.blocked(people[h], window) is None
        ]
        if eligible:
            holder = eligible[0]
            hint[holder, Role.MONTH_END.value, window.id] = 1
            load[holder] += objective.slot_weight(holder, Role.MONTH_END, window.index)
            if rules.month_end_not_primary:
                for week in calendar.weeks_overlapping(window):
                    not_primary.setdefault(week.index, set()).add(holder)

    for week in calendar.weeks:
        order = sorted(people, key=lambda h: (need(h), h))
        pair = _pick_pair(
            order, week, objective, free, primary_last, not_primary.get(week.index, set())
        )
        first = pair[0] if pair else None
        for handle in people:
            on_call[handle].append(handle in pair)
            primary_last[handle] = handle == first
        if first is not None:
            for handle, role in zip(pair, (Role.PRIMARY, Role.SECONDARY), strict=True):
                hint[handle, role.value, week.id] = 1
                load[handle] += objective.slot_weight(handle, role, week.index)

    return hint


def _pick_pair(
    order: list[str],
    week: Slot,
    objective: Objective,
    free: Callable[[str, Slot], bool],
    primary_last: dict[str, bool],
    not_primary: set[str],
) -> tuple[str, ...]:
    """The first (primary, secondary) in ``order`` that satisfies the weekly rules."""
    calendar = objective.calendar
    scenario = calendar.scenario
    rules = scenario.rules
    people = {e.handle: e for e in scenario.engineers}
    available = [h for h in order if free(h, week)]
    needs = rules.junior_primary_needs
    hard = rules.public_holidays is HolidayMode.HARD
    for primary in available:
        if primary in not_primary:
            continue  # holds a month-end window on these days
        if not rules.primary_back_to_back and primary_last[primary]:
            continue
        if hard and calendar.holiday_dates(people[primary], week):
            continue
        junior = people[primary].seniority is Seniority.JUNIOR
        for secondary in available:
            if secondary == primary:
                continue
            if junior and needs is not None and people[secondary].seniority < needs:
                continue
            return primary, secondary
    return ()


def _expected_total(objective: Objective) -> Fraction:
    """Total burden of the period if every shift went to an average holder."""
    handles = objective.vars.handles
    total = Fraction(0)
    for role in Role:
        for slot in objective.vars.slots_of(role):
            weights = [objective.slot_weight(h, role, slot.index) for h in handles]
            total += Fraction(sum(weights), len(weights))
    return total
