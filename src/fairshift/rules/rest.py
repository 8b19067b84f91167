"""Rules about rest: turns in a row, a seat held twice running, hours between shifts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from ..calendar import Duty, ShiftCalendar
from ..explain import Fact
from ..turns import utc
from .base import ModelContext, RowContext, Rule, Violation, seat_label, turn_phrase


def _encode_in_a_row(ctx: ModelContext) -> None:
    """In any run of ``N + 1`` consecutive turns of a type, an engineer holds at most ``N``."""
    calendar = ctx.calendar
    for shift in calendar.pattern.shifts:
        limit = shift.max_in_a_row
        if limit is None:
            continue
        turns = {turn.index: turn for turn in calendar.turns[shift.name]}
        duties = defaultdict(list)
        for duty in calendar.duties_of(shift.name):
            duties[duty.index].append(duty)
        for first in sorted(turns):
            numbers = range(first, first + limit + 1)
            if any(number not in turns for number in numbers):
                continue  # a skipped turn breaks a run
            window = [turns[number] for number in numbers]
            held = [duty for number in numbers for duty in duties[number]]
            for handle in ctx.engineers:
                ctx.require(
                    ctx.model.add(sum(ctx.vars.holds(handle, d) for d in held) <= limit),
                    lambda: Fact(
                        "max_in_a_row",
                        f"{ctx.name(handle)} may be on call at most {limit} of the {limit + 1} "
                        f"{_kind(calendar, shift.name)} from "
                        f"{window[0].start.date()} to {window[-1].start.date()}.",
                        window[-1].id,
                        (handle,),
                    ),
                )


def _kind(calendar: ShiftCalendar, shift: str) -> str:
    return "weeks" if calendar.scenario.default_shape and shift == "weekly" else f"{shift} turns"


def _check_in_a_row(rows: RowContext) -> Iterator[Violation]:
    calendar = rows.calendar
    for shift in calendar.pattern.shifts:
        limit = shift.max_in_a_row
        if limit is None:
            continue
        existing = {turn.index for turn in calendar.turns[shift.name]}
        for handle, held in sorted(rows.held.items()):
            numbers = {duty.index: (row, duty) for row, duty in held if duty.shift == shift.name}
            run = 0
            for number in range(min(existing, default=0), max(existing, default=-1) + 1):
                run = run + 1 if number in numbers and number in existing else 0
                if run == limit + 1:
                    row, duty = numbers[number]
                    yield Violation(
                        "max_in_a_row",
                        handle,
                        rows.label(row, duty),
                        f"is on call {limit + 1} {_kind(calendar, shift.name)} running "
                        f"(at most {limit} allowed)",
                    )


MAX_IN_A_ROW = Rule(
    "max_in_a_row",
    "Nobody holds more consecutive turns than allowed",
    _encode_in_a_row,
    _check_in_a_row,
    "let {who} be on call one more turn in a row ({where})",
)


def _repeating(calendar: ShiftCalendar) -> list[tuple[Duty, Duty]]:
    """Pairs of a ``no_repeat`` seat's duties in consecutive turns."""
    pairs = []
    for shift in calendar.pattern.shifts:
        for seat in shift.seats:
            if not seat.no_repeat:
                continue
            duties = {d.index: d for d in calendar.duties_of(shift.name, seat.name)}
            for index, duty in sorted(duties.items()):
                following = duties.get(index + 1)
                if following is not None:
                    pairs.append((duty, following))
    return pairs


def _encode_no_repeat(ctx: ModelContext) -> None:
    """Nobody holds a ``no_repeat`` seat in two consecutive turns."""
    for first, second in _repeating(ctx.calendar):
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(ctx.vars.holds(handle, first) + ctx.vars.holds(handle, second) <= 1),
                lambda: Fact(
                    "no_repeat",
                    f"{ctx.name(handle)} may not be {seat_label(ctx.calendar, first)} both in "
                    f"{turn_phrase(ctx.calendar, first.turn, first.shift)} and in "
                    f"{turn_phrase(ctx.calendar, second.turn, second.shift)}.",
                    second.id,
                    (handle,),
                    second.seat_id,
                ),
            )


def _check_no_repeat(rows: RowContext) -> Iterator[Violation]:
    for handle, held in sorted(rows.held.items()):
        mine = {(duty.shift, duty.seat, duty.index) for _, duty in held}
        for row, duty in held:
            seat = rows.calendar.seat_of(duty)
            if seat.no_repeat and (duty.shift, duty.seat, duty.index - 1) in mine:
                yield Violation(
                    "no_repeat",
                    handle,
                    rows.label(row, duty),
                    f"is {seat_label(rows.calendar, duty)} in this turn and the one before",
                )


NO_REPEAT = Rule(
    "no_repeat",
    "Nobody holds the same seat two turns running",
    _encode_no_repeat,
    _check_no_repeat,
    "let {who} hold the same seat two turns running at {where}",
)


def _too_close(calendar: ShiftCalendar) -> list[tuple[Duty, Duty]]:
    """Pairs of duties of different turns with less than ``min_rest_hours`` between them."""
    rest = calendar.pattern.min_rest_hours
    if rest <= 0:
        return []
    gap = dt.timedelta(hours=rest)
    spans = sorted(
        (
            (utc(i.start), utc(i.end), d)
            for d in calendar.duties
            if not calendar.shift_type(d.shift).may_overlap
            for i in d.turn.intervals
        ),
        key=lambda span: (span[0], span[1], span[2].position),
    )
    pairs: dict[tuple[int, int], tuple[Duty, Duty]] = {}
    for a, (_start, end_a, duty_a) in enumerate(spans):
        for start_b, _end, duty_b in spans[a + 1 :]:
            if start_b >= end_a + gap:
                break
            same_turn = (duty_a.shift, duty_a.index) == (duty_b.shift, duty_b.index)
            if same_turn or start_b < end_a:
                continue  # the same turn rests as it likes; overlaps are the overlap rule's
            key = (min(duty_a.position, duty_b.position), max(duty_a.position, duty_b.position))
            pairs.setdefault(key, (duty_a, duty_b))
    return [pairs[key] for key in sorted(pairs)]


def _encode_rest(ctx: ModelContext) -> None:
    """At least ``min_rest_hours`` between on-call intervals of different turns."""
    rest = ctx.calendar.pattern.min_rest_hours
    for first, second in _too_close(ctx.calendar):
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(ctx.vars.holds(handle, first) + ctx.vars.holds(handle, second) <= 1),
                lambda: Fact(
                    "min_rest",
                    f"{ctx.name(handle)} needs {rest} hours of rest between {ctx.phrase(first)} "
                    f"and {ctx.phrase(second)}.",
                    second.id,
                    (handle,),
                    second.seat_id,
                ),
            )


def _check_rest(rows: RowContext) -> Iterator[Violation]:
    rest = rows.calendar.pattern.min_rest_hours
    if rest <= 0:
        return
    for handle, held in sorted(rows.held.items()):
        spans = sorted(
            (
                (utc(i.start), utc(i.end), row, duty)
                for row, duty in held
                if not rows.calendar.shift_type(duty.shift).may_overlap
                for i in duty.turn.intervals
            ),
            key=lambda span: (span[0], span[1], span[3].position),
        )
        reported: set[tuple[int, int]] = set()
        for a, (_start, end_a, _row, duty_a) in enumerate(spans):
            for start_b, _end, row_b, duty_b in spans[a + 1 :]:
                hours = (start_b - end_a).total_seconds() / 3600
                if hours >= rest:
                    break
                if (duty_a.shift, duty_a.index) == (duty_b.shift, duty_b.index) or hours < 0:
                    continue
                key = (duty_a.position, duty_b.position)
                if key in reported:
                    continue
                reported.add(key)
                yield Violation(
                    "min_rest",
                    handle,
                    rows.label(row_b, duty_b),
                    f"has {hours:g} hours between {rows.phrase(duty_a)} and "
                    f"{rows.phrase(duty_b)} (at least {rest} needed)",
                )


MIN_REST = Rule(
    "min_rest",
    "Enough hours of rest between shifts",
    _encode_rest,
    _check_rest,
    "let {who} rest less between shifts ({where})",
)
