"""Rules about seniority: a seat's minimum, dated periods, and pairings within a turn."""

from __future__ import annotations

from collections.abc import Iterator

from ..calendar import Duty, ShiftCalendar
from ..explain import Fact
from ..pattern import Pairing
from ..team import Engineer
from .base import ModelContext, RowContext, Rule, Violation, forbidding, seat_label, turn_phrase


def _too_junior(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> str | None:
    minimum = calendar.seat_of(duty).min_seniority
    if engineer.seniority >= minimum:
        return None
    return (
        f"is {engineer.seniority.label} ({seat_label(calendar, duty)} needs {minimum.label} "
        "or above)"
    )


SENIORITY = forbidding(
    "seniority",
    "Every seat's holder is senior enough",
    _too_junior,
    "let {who} hold a seat {where} despite seniority",
)


def _period(calendar: ShiftCalendar, engineer: Engineer, duty: Duty) -> str | None:
    for period in calendar.pattern.periods:
        if period.shifts and duty.shift not in period.shifts:
            continue
        if engineer.seniority >= period.min_seniority:
            continue
        inside = [day for day in duty.dates if period.dates.contains(day)]
        if inside:
            return (
                f"is {engineer.seniority.label} and {period.name} ({inside[0]}) needs "
                f"{period.min_seniority.label} or above"
            )
    return None


PERIOD = forbidding(
    "period",
    "Dated periods are covered by senior-enough engineers",
    _period,
    "let {who} cover a dated period below its seniority ({where})",
)


def _pairs(calendar: ShiftCalendar) -> list[tuple[Pairing, Duty, Duty]]:
    """``(rule, seat duty, partner duty)`` for every pairing rule and turn."""
    found: list[tuple[Pairing, Duty, Duty]] = []
    for rule in calendar.pattern.pairing:
        shift, seat = calendar.pattern.resolve(rule.seat, "rules.pairing.seat")
        other, partner = calendar.pattern.resolve(rule.partner, "rules.pairing.partner")
        partners = {d.index: d for d in calendar.duties_of(other, partner)}
        for duty in calendar.duties_of(shift, seat):
            if duty.index in partners:
                found.append((rule, duty, partners[duty.index]))
    return found


def _encode_pairing(ctx: ModelContext) -> None:
    """When a seat's holder is at most ``when``, the turn's partner has at least ``needs``."""
    team = ctx.calendar.scenario.engineers
    for rule, duty, partner in _pairs(ctx.calendar):
        juniors = [e.handle for e in team if e.seniority <= rule.when]
        seniors = [e.handle for e in team if e.seniority >= rule.needs]
        if not juniors:
            continue
        # One holder per seat, so the aggregated form is exact and propagates better.
        ctx.require(
            ctx.model.add(
                sum(ctx.vars.holds(h, duty) for h in juniors)
                <= sum(ctx.vars.holds(h, partner) for h in seniors)
            ),
            lambda: Fact(
                "pairing",
                f"In {turn_phrase(ctx.calendar, duty.turn, duty.shift)} a "
                f"{rule.when.label} {seat_label(ctx.calendar, duty)} "
                f"({', '.join(ctx.name(h) for h in juniors)}) needs a "
                f"{seat_label(ctx.calendar, partner)} who is {rule.needs.label} or above "
                f"({', '.join(ctx.name(h) for h in seniors) or 'nobody'}).",
                duty.id,
                tuple(juniors),
                duty.seat_id,
            ),
        )


def _check_pairing(rows: RowContext) -> Iterator[Violation]:
    holders: dict[int, list[str]] = {}
    for row, duty in rows.matched:
        if duty is not None and row.engineer in rows.people:
            holders.setdefault(duty.position, []).append(row.engineer)
    for rule, duty, partner in _pairs(rows.calendar):
        for handle in holders.get(duty.position, []):
            if rows.engineer(handle).seniority > rule.when:
                continue
            others = holders.get(partner.position, [])
            if not any(rows.engineer(h).seniority >= rule.needs for h in others):
                who = ", ".join(others) or "nobody"
                yield Violation(
                    "pairing",
                    handle,
                    duty.id,
                    f"is a {rows.engineer(handle).seniority.label} "
                    f"{seat_label(rows.calendar, duty)} whose {seat_label(rows.calendar, partner)} "
                    f"({who}) is not {rule.needs.label} or above",
                )


PAIRING = Rule(
    "pairing",
    "A junior holder has a senior-enough partner",
    _encode_pairing,
    _check_pairing,
    "allow a junior {seat} without the required partner in {where}",
)
