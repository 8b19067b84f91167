"""Rules about who holds which duty: coverage, overlap, apart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from ..calendar import Duty, ShiftCalendar
from ..explain import Fact
from ..turns import utc
from .base import ModelContext, RowContext, Rule, Violation, seat_label, turn_phrase


def _encode_coverage(ctx: ModelContext) -> None:
    """Every seat of every turn has exactly one holder."""
    for duty in ctx.calendar.duties:
        ctx.require(
            ctx.model.add(sum(ctx.vars.holders(duty)) == 1),
            lambda: Fact(
                "coverage",
                f"{turn_phrase(ctx.calendar, duty.turn, duty.shift).capitalize()} needs one "
                f"{seat_label(ctx.calendar, duty)} holder.",
                duty.id,
                seat=duty.seat_id,
            ),
        )


def _check_coverage(rows: RowContext) -> Iterator[Violation]:
    seen: dict[int, list[str]] = defaultdict(list)
    for row, duty in rows.matched:
        if duty is None:
            seat = f"{row.shift}.{row.seat}" if row.shift else str(row.seat)
            yield Violation(
                "coverage",
                row.engineer,
                row.start.isoformat(),
                f"no {seat} shift starts at {row.start.isoformat()} in this scenario",
            )
            continue
        seen[duty.position].append(row.engineer)
        label = seat_label(rows.calendar, duty)
        if utc(row.end) != utc(duty.end):
            yield Violation(
                "coverage",
                row.engineer,
                duty.id,
                f"the {label} shift ends at {duty.end.isoformat()}, not {row.end.isoformat()}",
            )
        if not row.engineer:
            yield Violation("coverage", "", duty.id, f"the {label} shift is unfilled")
        elif row.engineer not in rows.people:
            yield Violation(
                "coverage",
                row.engineer,
                duty.id,
                f"{row.engineer!r} is not an engineer of this scenario",
            )
    for duty in rows.calendar.duties:
        label = seat_label(rows.calendar, duty)
        holders = seen.get(duty.position, [])
        if not holders:
            yield Violation("coverage", "", duty.id, f"nobody holds the {label} shift")
        elif len(holders) > 1:
            names = ", ".join(h or "(unfilled)" for h in holders)
            yield Violation(
                "coverage", "", duty.id, f"the {label} shift has {len(holders)} rows ({names})"
            )


COVERAGE = Rule(
    "coverage",
    "Every seat of every turn has exactly one holder",
    _encode_coverage,
    _check_coverage,
    "leave one shift of {where} unfilled (or bring in another engineer)",
)


def overlapping_sets(calendar: ShiftCalendar) -> tuple[tuple[Duty, ...], ...]:
    """Sets of duties that are on call at one same instant (``may_overlap`` types left out).

    At most one duty of each set per engineer states the overlap rule exactly: two
    intervals overlap exactly when one contains the other's start.
    """
    return calendar.memo("overlapping sets", lambda: _overlapping_sets(calendar))


def _overlapping_sets(calendar: ShiftCalendar) -> tuple[tuple[Duty, ...], ...]:
    blocking = [d for d in calendar.duties if not calendar.shift_type(d.shift).may_overlap]
    spans = [(utc(i.start), utc(i.end), d) for d in blocking for i in d.turn.intervals]
    found: dict[frozenset[int], tuple[Duty, ...]] = {}
    starts = sorted({start for start, _, _ in spans})
    ordered = sorted(spans, key=lambda span: span[0])
    for moment in starts:
        here = {d.position: d for start, end, d in ordered if start <= moment < end}
        if len(here) > 1:
            found.setdefault(frozenset(here), tuple(here[k] for k in sorted(here)))
    # Keep the largest sets: a set inside another adds nothing.
    keys = sorted(found, key=len, reverse=True)
    kept: list[frozenset[int]] = []
    for key in keys:
        if not any(key <= bigger for bigger in kept):
            kept.append(key)
    return tuple(found[key] for key in sorted(kept, key=lambda k: min(k)))


def _encode_overlap(ctx: ModelContext) -> None:
    """Nobody holds two duties whose on-call intervals overlap in time."""
    for duties in overlapping_sets(ctx.calendar):
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(sum(ctx.vars.holds(handle, d) for d in duties) <= 1),
                lambda: Fact(
                    "overlap",
                    f"{ctx.name(handle)} cannot be both "
                    + " and ".join(seat_label(ctx.calendar, d) for d in duties)
                    + f" in {turn_phrase(ctx.calendar, duties[0].turn, duties[0].shift)}.",
                    duties[-1].id,
                    (handle,),
                    duties[-1].seat_id,
                ),
            )


def _check_overlap(rows: RowContext) -> Iterator[Violation]:
    for handle, held in sorted(rows.held.items()):
        spans = sorted(
            (utc(i.start), utc(i.end), duty.position, row, duty)
            for row, duty in held
            if not rows.calendar.shift_type(duty.shift).may_overlap
            for i in duty.turn.intervals
        )
        reported: set[tuple[int, int]] = set()
        for a, (_start, end_a, _pos, _row, duty_a) in enumerate(spans):
            for start_b, _end, _p, row_b, duty_b in spans[a + 1 :]:
                if start_b >= end_a:
                    break
                pair = (duty_a.position, duty_b.position)
                if duty_a.position == duty_b.position or pair in reported:
                    continue
                reported.add(pair)
                yield Violation(
                    "overlap",
                    handle,
                    rows.label(row_b, duty_b),
                    f"is {rows.phrase(duty_a)} and {rows.phrase(duty_b)}, which overlap in time",
                )


OVERLAP = Rule(
    "overlap",
    "Nobody holds two seats on call at the same time",
    _encode_overlap,
    _check_overlap,
    "let {who} hold two seats at once in {where}",
)


def apart_pairs(calendar: ShiftCalendar) -> tuple[tuple[Duty, Duty], ...]:
    """Pairs of duties of different seats of one ``apart`` rule that share a covered date."""
    return calendar.memo("apart pairs", lambda: _apart_pairs(calendar))


def _apart_pairs(calendar: ShiftCalendar) -> tuple[tuple[Duty, Duty], ...]:
    pairs: dict[tuple[int, int], tuple[Duty, Duty]] = {}
    for rule in calendar.pattern.apart:
        seats = [calendar.pattern.resolve(seat, "rules.apart.seats") for seat in rule.seats]
        by_date: dict[dt.date, dict[tuple[str, str], list[Duty]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for shift, seat in seats:
            for duty in calendar.duties_of(shift, seat):
                for day in duty.dates:
                    by_date[day][shift, seat].append(duty)
        for groups in by_date.values():
            keys = list(groups)
            for i, first in enumerate(keys):
                for second in keys[i + 1 :]:
                    for a in groups[first]:
                        for b in groups[second]:
                            key = (min(a.position, b.position), max(a.position, b.position))
                            pairs.setdefault(key, (a, b) if a.position < b.position else (b, a))
    return tuple(pairs[key] for key in sorted(pairs))


def _encode_apart(ctx: ModelContext) -> None:
    """Never the same engineer in two seats of an ``apart`` rule on a shared covered date."""
    for first, second in apart_pairs(ctx.calendar):
        for handle in ctx.engineers:
            ctx.require(
                ctx.model.add(ctx.vars.holds(handle, first) + ctx.vars.holds(handle, second) <= 1),
                lambda: Fact(
                    "apart",
                    f"{ctx.name(handle)} cannot hold both {ctx.phrase(first)} and "
                    f"{ctx.phrase(second)} on the same days.",
                    first.id,
                    (handle,),
                    first.seat_id,
                ),
            )


def _check_apart(rows: RowContext) -> Iterator[Violation]:
    pattern = rows.calendar.pattern
    for rule in pattern.apart:
        seats = {pattern.resolve(seat, "rules.apart.seats") for seat in rule.seats}
        for handle, held in sorted(rows.held.items()):
            mine = [(row, duty) for row, duty in held if (duty.shift, duty.seat) in seats]
            for i, (row_a, a) in enumerate(mine):
                for _row_b, b in mine[i + 1 :]:
                    if (a.shift, a.seat) == (b.shift, b.seat):
                        continue
                    shared = set(a.dates) & set(b.dates)
                    if shared:
                        yield Violation(
                            "apart",
                            handle,
                            rows.label(row_a, a),
                            f"holds both {rows.phrase(a)} and {rows.phrase(b)} on the same days "
                            f"({min(shared)} to {max(shared)})",
                        )


APART = Rule(
    "apart",
    "Seats kept apart are never held by one person on the same days",
    _encode_apart,
    _check_apart,
    "let {who} hold both seats on the same days ({where})",
)
