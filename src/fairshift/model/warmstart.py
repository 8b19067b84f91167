"""A constructive first schedule, handed to CP-SAT as a hint for the first stage.

On large teams a single CP-SAT worker spends most of a minute before its first solution. This
greedy fills duty after duty with the available engineers who are furthest below their fair
share, obeying every hard rule it can check locally: the rules of the registry that keep an
engineer off a duty outright, overlaps, rest, seats kept apart and pairings. Where it cannot
fill a duty it leaves it to the solver: a hint need not be complete or feasible, it only
steers the first descent.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from ..calendar import Duty, ShiftCalendar
from ..spread import forbidden
from ..turns import utc
from .objective import Objective

#: ``{(handle, duty position): 1}`` for the duties the hint fills.
Hint = dict[tuple[str, int], int]


class _Plan:
    """What the greedy has assigned so far, with the local checks of the hard rules."""

    def __init__(self, calendar: ShiftCalendar) -> None:
        self.calendar = calendar
        self.held: dict[str, list[Duty]] = {e.handle: [] for e in calendar.scenario.engineers}
        self.holder: dict[int, str] = {}
        pattern = calendar.pattern
        self.apart: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for rule in pattern.apart:
            seats = [pattern.resolve(seat, "rules.apart.seats") for seat in rule.seats]
            for seat in seats:
                self.apart.setdefault(seat, set()).update(s for s in seats if s != seat)
        self.rest = dt.timedelta(hours=pattern.min_rest_hours)

    def fits(self, handle: str, duty: Duty) -> bool:
        """Whether ``handle`` can take ``duty`` next to what they already hold."""
        calendar = self.calendar
        if forbidden(calendar, handle, duty):
            return False
        kind = calendar.shift_type(duty.shift)
        seat = calendar.seat_of(duty)
        for other in self.held[handle]:
            other_kind = calendar.shift_type(other.shift)
            blocking = not kind.may_overlap and not other_kind.may_overlap
            if blocking and self._close(duty, other):
                return False
            partners = self.apart.get((duty.shift, duty.seat), set())
            if (other.shift, other.seat) in partners and set(duty.dates) & set(other.dates):
                return False
            if seat.no_repeat and other.key == (duty.shift, duty.seat, duty.index - 1):
                return False
        if kind.max_in_a_row is not None:
            mine = {d.index for d in self.held[handle] if d.shift == duty.shift}
            run = 0
            while duty.index - run - 1 in mine:
                run += 1
            if run >= kind.max_in_a_row:
                return False
        return True

    def _close(self, duty: Duty, other: Duty) -> bool:
        same_turn = (duty.shift, duty.index) == (other.shift, other.index)
        for a in duty.turn.intervals:
            for b in other.turn.intervals:
                if utc(a.start) < utc(b.end) and utc(b.start) < utc(a.end):
                    return True  # overlap
                if not same_turn and self.rest:
                    gap = max(utc(b.start) - utc(a.end), utc(a.start) - utc(b.end))
                    if gap < self.rest:
                        return True
        return False

    def take(self, handle: str, duty: Duty) -> None:
        self.held[handle].append(duty)
        self.holder[duty.position] = handle


def greedy_hint(objective: Objective) -> Hint:
    """A rule-abiding, fairness-minded assignment as ``{(handle, duty position): 1}``."""
    calendar = objective.calendar
    scenario = calendar.scenario
    people = {e.handle: e for e in scenario.engineers}
    total = _expected_total(objective)
    big_a = max(objective.team_availability, 1)
    share = {h: Fraction(total * a, big_a) for h, a in objective.availability.items()}
    history = {e.handle: e.history * objective.scale for e in scenario.engineers}
    load: dict[str, Fraction] = {h: Fraction(0) for h in people}
    plan = _Plan(calendar)
    pairing = {}
    for rule in calendar.pattern.pairing:
        seat = calendar.pattern.resolve(rule.seat, "rules.pairing.seat")
        partner = calendar.pattern.resolve(rule.partner, "rules.pairing.partner")
        pairing[seat] = (rule, partner)
    paired_by = {partner: (rule, seat) for seat, (rule, partner) in pairing.items()}

    def need(handle: str) -> Fraction:
        # Deviation so far (history included): furthest below the fair share goes first.
        return load[handle] + history[handle] - share[handle]

    # Spread seats first (month-end windows are the heaviest shifts): they go to whoever is
    # furthest below their share before the other duties fill everyone up.
    spread = [d for d in calendar.duties if calendar.seat_of(d).spread]
    others = [d for d in calendar.duties if not calendar.seat_of(d).spread]
    for duty in (*spread, *others):
        order = sorted(people, key=lambda h: (need(h), h))
        for handle in order:
            if not plan.fits(handle, duty):
                continue
            key = (duty.shift, duty.seat)
            if key in paired_by:  # the partner seat: a junior holder's partner must be senior
                rule, seat = paired_by[key]
                lead = calendar.duty(seat[0], seat[1], duty.index)
                lead_holder = plan.holder.get(lead.position) if lead else None
                if (
                    lead_holder is not None
                    and people[lead_holder].seniority <= rule.when
                    and people[handle].seniority < rule.needs
                ):
                    continue
            if key in pairing and people[handle].seniority <= pairing[key][0].when:
                rule, partner = pairing[key]
                follow = calendar.duty(partner[0], partner[1], duty.index)
                if follow is not None and not any(
                    people[h].seniority >= rule.needs and h != handle and plan.fits(h, follow)
                    for h in people
                ):
                    continue
            plan.take(handle, duty)
            load[handle] += objective.slot_weight(handle, duty)
            break
    return {(handle, position): 1 for position, handle in plan.holder.items()}


def _expected_total(objective: Objective) -> Fraction:
    """Total burden of the period if every duty went to an average holder."""
    handles = objective.vars.handles
    total = Fraction(0)
    for duty in objective.calendar.duties:
        weights = [objective.slot_weight(h, duty) for h in handles]
        total += Fraction(sum(weights), len(weights))
    return total
