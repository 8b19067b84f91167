"""Hard rules of the rota model: one small function per rule, listed in :data:`CONSTRAINTS`.

Each function states its rule through :meth:`RuleContext.require`, which in explanation mode
guards the constraint with its own assumption literal and remembers the fact it encodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ..calendar import WEEKLY_ROLES, Role, ShiftCalendar, Slot
from ..explain import Fact
from ..team import Seniority
from .variables import Variables


def _week_of(slot: Slot) -> str:
    return f"the week of {slot.start.date()}"


def _window_of(slot: Slot) -> str:
    first, last = slot.dates[0], slot.dates[-1]
    return f"the month-end window {first} to {last}"


def slot_phrase(slot: Slot) -> str:
    """How people name a slot: the week of a date, or a month-end window."""
    return _window_of(slot) if slot.id.startswith("month-end") else _week_of(slot)


@dataclass
class RuleContext:
    """What a rule function needs: the model, its variables and the expanded calendar."""

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


def coverage(ctx: RuleContext) -> None:
    """Every slot has exactly one holder per role."""
    for role in Role:
        for slot in ctx.vars.slots_of(role):
            label = role.value.replace("_", "-")
            ctx.require(
                ctx.model.add(sum(ctx.vars.holders(role, slot)) == 1),
                lambda: Fact(
                    "coverage",
                    f"{slot_phrase(slot).capitalize()} needs one {label} holder.",
                    slot.id,
                ),
            )


def separation(ctx: RuleContext) -> None:
    """Nobody is primary and secondary in the same week."""
    for week in ctx.calendar.weeks:
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(ctx.vars.on_call(handle, week) <= 1),
                lambda: Fact(
                    "separation",
                    f"{ctx.name(handle)} cannot be both primary and secondary in {_week_of(week)}.",
                    week.id,
                    (handle,),
                ),
            )


def month_end_separation(ctx: RuleContext) -> None:
    """The month-end holder is not the primary of any week overlapping the window."""
    if not ctx.calendar.scenario.rules.month_end_not_primary:
        return
    for slot in ctx.calendar.month_ends:
        for week in ctx.calendar.weeks_overlapping(slot):
            for handle in ctx.engineers:
                ctx.require(
                    ctx.model.add(
                        ctx.vars.holds(handle, Role.MONTH_END, slot)
                        + ctx.vars.holds(handle, Role.PRIMARY, week)
                        <= 1
                    ),
                    lambda: Fact(
                        "month_end_separation",
                        f"{ctx.name(handle)} cannot hold {_window_of(slot)} and be primary in "
                        f"{_week_of(week)}.",
                        slot.id,
                        (handle,),
                    ),
                )


def _forbid(
    ctx: RuleContext,
    rule: str,
    reason: Callable[[str, Slot], str | None],
    roles: tuple[Role, ...] = tuple(Role),
) -> None:
    """Forbid every (engineer, slot) for which ``reason`` names a conflict."""
    for role_group in _group_by_kind(roles):
        for slot in ctx.vars.slots_of(role_group[0]):
            for handle in ctx.engineers:
                why = reason(handle, slot)
                if why is None:
                    continue
                held = sum(ctx.vars.holds(handle, role, slot) for role in role_group)
                roles_text = " or ".join(r.value.replace("_", "-") for r in role_group)
                ctx.require(
                    ctx.model.add(held == 0),
                    lambda: Fact(
                        rule,
                        f"{ctx.name(handle)} {why}, so cannot be {roles_text} in "
                        f"{slot_phrase(slot)}.",
                        slot.id,
                        (handle,),
                    ),
                )


def _group_by_kind(roles: tuple[Role, ...]) -> list[tuple[Role, ...]]:
    weekly = tuple(r for r in roles if r in WEEKLY_ROLES)
    monthly = tuple(r for r in roles if r is Role.MONTH_END)
    return [group for group in (weekly, monthly) if group]


def leave(ctx: RuleContext) -> None:
    """Nobody holds a slot that overlaps any of their leave dates (their own time zone)."""
    scenario = ctx.calendar.scenario
    _forbid(
        ctx,
        "leave",
        lambda h, s: ctx.calendar.leave_conflict(scenario.engineer(h), s),
    )


def employment(ctx: RuleContext) -> None:
    """Nobody holds a slot that starts before they join or ends after they leave."""
    scenario = ctx.calendar.scenario
    _forbid(
        ctx,
        "employment",
        lambda h, s: ctx.calendar.employment_conflict(scenario.engineer(h), s),
    )


def primary_back_to_back(ctx: RuleContext) -> None:
    """Unless allowed, nobody is primary in two consecutive weeks."""
    if ctx.calendar.scenario.rules.primary_back_to_back:
        return
    weeks = ctx.calendar.weeks
    for first, second in itertools.pairwise(weeks):
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(
                    ctx.vars.holds(handle, Role.PRIMARY, first)
                    + ctx.vars.holds(handle, Role.PRIMARY, second)
                    <= 1
                ),
                lambda: Fact(
                    "primary_back_to_back",
                    f"{ctx.name(handle)} may not be primary both in {_week_of(first)} and in "
                    f"{_week_of(second)}.",
                    second.id,
                    (handle,),
                ),
            )


def max_consecutive_weeks(ctx: RuleContext) -> None:
    """In any run of ``max + 1`` weeks, an engineer holds a weekly role at most ``max`` times."""
    limit = ctx.calendar.scenario.rules.max_consecutive_weeks
    weeks = ctx.calendar.weeks
    for first in range(len(weeks) - limit):
        window = weeks[first : first + limit + 1]
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(sum(ctx.vars.on_call(handle, w) for w in window) <= limit),
                lambda: Fact(
                    "max_consecutive_weeks",
                    f"{ctx.name(handle)} may be on call at most {limit} of the {limit + 1} weeks "
                    f"from {window[0].start.date()} to {window[-1].start.date()}.",
                    window[-1].id,
                    (handle,),
                ),
            )


def junior_primary_pairing(ctx: RuleContext) -> None:
    """When the primary is junior, the secondary has at least the required seniority."""
    needs = ctx.calendar.scenario.rules.junior_primary_needs
    if needs is None:
        return
    team = ctx.calendar.scenario.engineers
    juniors = [e.handle for e in team if e.seniority is Seniority.JUNIOR]
    seniors = [e.handle for e in team if e.seniority >= needs]
    if not juniors:
        return
    for week in ctx.calendar.weeks:
        # At most one primary per week, so the aggregated form is exact and propagates better.
        ctx.require(
            ctx.model.add(
                sum(ctx.vars.holds(h, Role.PRIMARY, week) for h in juniors)
                <= sum(ctx.vars.holds(h, Role.SECONDARY, week) for h in seniors)
            ),
            lambda: Fact(
                "junior_primary_pairing",
                f"In {_week_of(week)} a junior primary "
                f"({', '.join(ctx.name(h) for h in juniors)}) needs a secondary who is "
                f"{needs.label} or above ({', '.join(ctx.name(h) for h in seniors) or 'nobody'}).",
                week.id,
                tuple(juniors),
            ),
        )


def month_end_seniority(ctx: RuleContext) -> None:
    """Only engineers of at least ``month_end.min_seniority`` hold month-end shifts."""
    minimum = ctx.calendar.scenario.month_end.min_seniority
    scenario = ctx.calendar.scenario

    def too_junior(handle: str, _slot: Slot) -> str | None:
        level = scenario.engineer(handle).seniority
        return (
            f"is {level.label} (month-end needs {minimum.label} or above)"
            if level < minimum
            else None
        )

    _forbid(ctx, "month_end_seniority", too_junior, (Role.MONTH_END,))


def public_holiday(ctx: RuleContext) -> None:
    """With hard public holidays, nobody is primary in a week covering their own holiday."""
    from ..policy import HolidayMode

    scenario = ctx.calendar.scenario
    if scenario.rules.public_holidays is not HolidayMode.HARD:
        return

    def holiday(handle: str, slot: Slot) -> str | None:
        engineer = scenario.engineer(handle)
        days = ctx.calendar.holiday_dates(engineer, slot)
        if not days:
            return None
        names = ctx.calendar.holidays[handle]
        listed = ", ".join(f"{names[d]} {d}" for d in days)
        return f"has a public holiday in {engineer.holidays} ({listed})"

    _forbid(ctx, "public_holiday", holiday, (Role.PRIMARY,))


#: Every hard rule, in the order they are added to the model.
CONSTRAINTS: dict[str, Callable[[RuleContext], None]] = {
    "coverage": coverage,
    "separation": separation,
    "month_end_separation": month_end_separation,
    "leave": leave,
    "employment": employment,
    "primary_back_to_back": primary_back_to_back,
    "max_consecutive_weeks": max_consecutive_weeks,
    "junior_primary_pairing": junior_primary_pairing,
    "month_end_seniority": month_end_seniority,
    "public_holiday": public_holiday,
}
