"""The constructive warm start breaks no hard rule with what it assigns.

It may leave a shift it cannot fill to the solver (a hint need not be complete), but nothing
it does assign conflicts with a rule.
"""

from __future__ import annotations

import datetime as dt

import fairshift as fs
from conftest import engineer, scenario
from fairshift.model.warmstart import greedy_hint
from fairshift.solve import build_model


def hint_schedule(s: fs.Scenario) -> fs.Schedule:
    objective = build_model(s).objective
    assert objective is not None
    duties = {duty.position: duty for duty in fs.expand(s).duties}
    rows = tuple(
        fs.Assignment(d.id, d.seat, d.start, d.end, handle, d.shift)
        for (handle, position), value in sorted(greedy_hint(objective).items())
        if value
        for d in (duties[position],)
    )
    return fs.Schedule(s, rows)


def only_unfilled(s: fs.Scenario, schedule: fs.Schedule) -> None:
    """Every violation is an unfilled shift, and at least 90% of shifts are filled."""
    violations = fs.validate(s, schedule)
    assert all(v.rule == "coverage" and "nobody holds" in v.message for v in violations)
    shifts = 2 * len(fs.expand(s).weeks) + len(fs.expand(s).month_ends)
    assert len(schedule.assignments) >= 0.9 * shifts


def test_warm_start_breaks_no_rule_on_the_example(example: fs.Scenario) -> None:
    """On the bundled example the greedy breaks no rule and fills nearly every shift."""
    only_unfilled(example, hint_schedule(example))


def test_warm_start_respects_pairing_rest_and_hard_holidays() -> None:
    """A junior-heavy team with hard holidays and a two-week rest limit: no rule broken."""
    team = (
        engineer("ana", "senior"),
        engineer("di", "senior", holidays="IL"),
        engineer("jo", "junior"),
        engineer("jay", "junior", holidays="IL"),
        engineer("bo", "mid", leave=(fs.Leave(dt.date(2027, 5, 3), dt.date(2027, 5, 14)),)),
    )
    s = scenario(
        team,
        weeks=12,
        start=dt.date(2027, 4, 19),
        month_end_days=2,
        public_holidays="hard",
        max_consecutive_weeks=2,
    )
    only_unfilled(s, hint_schedule(s))
