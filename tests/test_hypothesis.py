"""Property tests: random small teams, leave and rules.

Every schedule the solver returns passes the independent validator; otherwise the solver
says the scenario is infeasible and names the conflicting facts. And the validator catches a
deliberately broken schedule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fairshift as fs

REGIONS = ("US-CA", "US-NY", "GB-SCT", "DE-BY", "IN-KA", "IL")
ZONES = ("America/Los_Angeles", "Europe/London", "Asia/Kolkata")


@st.composite
def scenarios(draw: st.DrawFn) -> fs.Scenario:
    """A random team of 2-5 engineers over 2-8 weeks with leave, joiners and random rules."""
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)))
    weeks = draw(st.integers(2, 8))
    horizon = [start + dt.timedelta(days=d) for d in range(7 * weeks)]
    team = []
    for i in range(draw(st.integers(2, 5))):
        leave = []
        for _ in range(draw(st.integers(0, 2))):
            first = draw(st.sampled_from(horizon))
            leave.append(fs.Leave(first, first + dt.timedelta(days=draw(st.integers(0, 9)))))
        joined = draw(st.none() | st.sampled_from(horizon))
        team.append(
            fs.Engineer(
                f"e{i}",
                f"Engineer {i}",
                draw(st.sampled_from(["junior", "mid", "senior"])),
                draw(st.sampled_from(REGIONS)),
                leave=tuple(leave),
                timezone=draw(st.none() | st.sampled_from(ZONES)),
                fte=draw(st.sampled_from([1, 1, 0.5, 0.8])),
                joined=joined if draw(st.booleans()) else None,
                history=draw(st.sampled_from([0, 0, 2.5, -4])),
            )
        )
    rules = fs.Rules(
        max_consecutive_weeks=draw(st.integers(1, 3)),
        primary_back_to_back=draw(st.booleans()),
        junior_primary_needs=draw(st.sampled_from(["senior", "mid", "none"])),
        month_end_not_primary=draw(st.booleans()),
        public_holidays=draw(st.sampled_from(["soft", "hard"])),
    )
    return fs.Scenario(
        fs.Rotation(
            "Random",
            start,
            weeks,
            handoff=draw(st.sampled_from(["09:00", "17:30"])),
            timezone=draw(st.sampled_from(ZONES)),
        ),
        tuple(team),
        month_end=fs.MonthEnd(
            business_days=draw(st.integers(0, 3)),
            min_seniority=draw(st.sampled_from(["junior", "mid"])),
        ),
        rules=rules,
    )


SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(scenarios())
def test_solver_output_passes_validator_or_is_explained(scenario: fs.Scenario) -> None:
    """A returned schedule has no violations; an infeasible one names facts of known rules."""
    try:
        schedule = fs.solve(scenario, time_limit=10)
    except fs.InfeasibleError as error:
        assert error.explanation.facts
        assert set(error.explanation.rules) <= set(fs.RULES)
        return
    assert fs.validate(scenario, schedule) == []
    assert fs.validate(scenario, schedule.to_dataframe()) == []


@SETTINGS
@given(scenarios(), st.data())
def test_validator_catches_a_broken_schedule(scenario: fs.Scenario, data: st.DataObject) -> None:
    """Giving a shift to its week's other role holder, or dropping a row, is always caught."""
    try:
        schedule = fs.solve(scenario, time_limit=10)
    except fs.InfeasibleError:
        return
    rows = list(schedule.assignments)
    i = data.draw(st.integers(0, len(rows) - 1))
    if data.draw(st.booleans()):
        del rows[i]
        expected = "coverage"
    else:
        row = rows[i]
        partner = next(
            (
                r.engineer
                for r in rows
                if r.slot == row.slot and r.role != row.role and r.role is not fs.Role.MONTH_END
            ),
            None,
        )
        if row.role is fs.Role.MONTH_END or partner is None:
            rows[i] = dataclasses.replace(row, engineer="")
            expected = "coverage"
        else:
            rows[i] = dataclasses.replace(row, engineer=partner)
            expected = "overlap"
    broken = dataclasses.replace(schedule, assignments=tuple(rows))
    assert expected in {v.rule for v in fs.validate(scenario, broken)}
