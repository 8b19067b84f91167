"""The model and the validator agree on every rule of the registry, in both directions.

- For each rule, some single change to a solved schedule breaks exactly that rule: the
  validator names it and nothing else, and the model with that schedule fixed has no
  solution.
- A schedule the validator accepts is feasible in the model (random schedules, hypothesis).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import tomllib

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

import fairshift as fs
from conftest import engineer, scenario, solve
from fairshift.rules import REGISTRY, RowContext
from fairshift.solve import build_model

START = dt.date(2027, 1, 4)


@functools.cache
def planned() -> tuple[fs.Scenario, fs.Schedule]:
    """A team on which every rule binds: a junior, leave, a joiner, hard holidays, month-end."""
    team = (
        engineer("ana", "senior", holidays="US-CA"),
        engineer(
            "bo",
            "mid",
            holidays="GB-ENG",
            leave=(fs.Leave(dt.date(2027, 1, 25), dt.date(2027, 1, 26)),),
        ),
        engineer("jo", "junior", holidays="US-CA"),
        engineer("di", "senior", holidays="DE-BE", joined=dt.date(2027, 1, 11)),
        engineer("cy", "mid", holidays="GB-ENG"),
    )
    s = scenario(
        team,
        weeks=8,
        start=START,
        month_end_days=2,
        public_holidays="hard",
        max_consecutive_weeks=2,
    )
    schedule = solve(s)
    assert fs.validate(s, schedule) == []
    return s, schedule


#: A pattern on which the rules the default shape lacks bind: working hours, rest, periods.
PATTERN = """
[rotation]
name = "Two layers"
start = 2027-01-04
weeks = 4
timezone = "Europe/London"

[rules]
min_rest_hours = 10

[[shifts]]
name = "day"
every = "1 week"
hours = "09:00-17:00"
within_working_hours = true
seats = [{ name = "p1", no_repeat = true }, { name = "p2", weight = 0.5 }]

[[shifts]]
name = "night"
every = "1 week"
hours = "21:00-05:00"
seats = ["n1"]

[[periods]]
name = "Audit"
dates = { from = 2027-01-13, to = 2027-01-13 }
min_seniority = "senior"
shifts = ["night"]

[[engineers]]
handle = "ana"
name = "Ana"
seniority = "senior"
holidays = "GB-ENG"
timezone = "Europe/London"
working_hours = "08:00-18:00"

[[engineers]]
handle = "bo"
name = "Bo"
seniority = "mid"
holidays = "GB-ENG"
timezone = "Europe/London"
working_hours = "08:00-18:00"

[[engineers]]
handle = "cy"
name = "Cy"
seniority = "junior"
holidays = "GB-ENG"
timezone = "Europe/London"

[[engineers]]
handle = "dee"
name = "Dee"
seniority = "senior"
holidays = "US-NY"
timezone = "America/New_York"
working_hours = "08:00-18:00"

[[engineers]]
handle = "eve"
name = "Eve"
seniority = "mid"
holidays = "US-NY"
timezone = "America/New_York"

[[engineers]]
handle = "fay"
name = "Fay"
seniority = "junior"
holidays = "GB-ENG"
timezone = "Europe/London"
left = 2027-01-26
"""


@functools.cache
def planned_pattern() -> tuple[fs.Scenario, fs.Schedule]:
    """Two weekly layers with daily hours: working hours, rest and a dated period bind."""
    s = fs.Scenario.from_dict(tomllib.loads(PATTERN), source="pattern")
    schedule = solve(s)
    assert fs.validate(s, schedule) == []
    return s, schedule


def edits(schedule: fs.Schedule, handles: tuple[str, ...]) -> list[fs.Schedule]:
    """Every schedule one holder away from ``schedule`` (a blank holder included)."""
    found = []
    for i, row in enumerate(schedule.assignments):
        for handle in (*handles, ""):
            if handle != row.engineer:
                rows = list(schedule.assignments)
                rows[i] = dataclasses.replace(row, engineer=handle)
                found.append(dataclasses.replace(schedule, assignments=tuple(rows)))
    return found


def model_accepts(s: fs.Scenario, schedule: fs.Schedule) -> bool:
    """Whether the CP-SAT model, with every assignment fixed to ``schedule``, is feasible."""
    built = build_model(s)
    rows = RowContext(s, list(schedule.assignments))
    held = {(row.engineer, duty.position) for row, duty in rows.matched if duty is not None}
    for handle, duty, var in built.vars.items():
        built.model.add(var == int((handle, duty.position) in held))
    built.model.clear_objective()  # type: ignore[no-untyped-call]
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    status = solver.solve(built.model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE)
    return status != cp_model.INFEASIBLE


@pytest.mark.parametrize("rule", REGISTRY, ids=lambda rule: rule.id)
def test_each_rule_broken_alone_is_named_alone_and_infeasible(rule: fs.Rule) -> None:
    """Some single change breaks exactly this rule; the model refuses that schedule."""
    found = 0
    for s, schedule in (planned(), planned_pattern()):
        alone = [
            broken
            for broken in edits(schedule, s.handles)
            if {v.rule for v in fs.validate(s, broken)} == {rule.id}
        ]
        for broken in alone[:3]:
            assert not model_accepts(s, broken), rule.id
        found += len(alone)
    assert found, f"no single change breaks {rule.id} alone"


@pytest.mark.parametrize("make", [planned, planned_pattern], ids=["default", "pattern"])
def test_the_solved_schedule_is_feasible_in_the_model(make: object) -> None:
    """The fixing used above is faithful: the untouched schedule is accepted."""
    s, schedule = make()  # type: ignore[operator]
    assert model_accepts(s, schedule)


SMALL = scenario(
    (engineer("ana", "senior"), engineer("bo", "mid"), engineer("jo", "junior")),
    weeks=3,
    start=START,
    month_end_days=2,
)


SMALL_PATTERN = fs.Scenario.from_dict(tomllib.loads(PATTERN), source="pattern").with_horizon(
    weeks=2
)


@pytest.mark.parametrize("small", [SMALL, SMALL_PATTERN], ids=["default", "pattern"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(data=st.data())
def test_what_the_validator_accepts_the_model_accepts(
    small: fs.Scenario, data: st.DataObject
) -> None:
    """Random schedules that pass the validator are feasible in the model."""
    template = fs.round_robin(small)
    rows = tuple(
        dataclasses.replace(row, engineer=data.draw(st.sampled_from(small.handles)))
        for row in template.assignments
    )
    candidate = dataclasses.replace(template, assignments=rows)
    assume(fs.validate(small, candidate) == [])
    assert model_accepts(small, candidate)
