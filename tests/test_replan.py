"""Re-planning with minimal change: frozen slots, fairness first, then fewest changes."""

from __future__ import annotations

import datetime as dt

import pytest

import fairshift as fs
from conftest import engineer, scenario, solve
from fairshift.replan import Replan, diff, replan

#: Week 3 of the rota that starts on 2027-04-19 (a Wednesday, mid-week).
TODAY = dt.date(2027, 5, 5)


@pytest.fixture(scope="module")
def team_scenario() -> fs.Scenario:
    """Five engineers, 12 weeks, two month-end business days."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", "mid"),
        engineer("cy", "mid"),
        engineer("di", "senior"),
        engineer("ed", "senior"),
    )
    return scenario(team, weeks=12, month_end_days=2)


@pytest.fixture(scope="module")
def plan(team_scenario: fs.Scenario) -> fs.Schedule:
    """The original plan."""
    return solve(team_scenario, time_limit=10)


@pytest.fixture(scope="module")
def with_leave(team_scenario: fs.Scenario, plan: fs.Schedule) -> fs.Scenario:
    """Week 5's primary takes two weeks of leave from 2027-05-24 (weeks 5 to 7)."""
    holder = plan.holder("primary", "week-005")
    return team_scenario.with_leave(holder, dt.date(2027, 5, 24), dt.date(2027, 6, 6))


@pytest.fixture(scope="module")
def replanned(with_leave: fs.Scenario, plan: fs.Schedule) -> Replan:
    """The re-plan after the new leave, today in week 3."""
    return replan(with_leave, plan, today=TODAY, time_limit=20)


def test_replan_keeps_frozen_slots(replanned: Replan, plan: fs.Schedule) -> None:
    """Every slot that started before today, the next week and its month-end window keep
    their holder."""
    frozen = set(replanned.frozen)
    # Weeks 1-3 have started, week 4 is the frozen week; the April window starts before it.
    assert {"week-001", "week-002", "week-003", "week-004", "month-end-2027-04"} == frozen
    for a in replanned.schedule.assignments:
        if a.slot in frozen:
            assert a.engineer == plan.holder(a.role, a.slot)


def test_replan_is_valid_for_the_new_scenario(
    replanned: Replan, with_leave: fs.Scenario, plan: fs.Schedule
) -> None:
    """The re-plan passes every hard rule of the changed scenario, which the old plan did
    not (week 5's primary is now on leave)."""
    assert fs.validate(with_leave, plan)
    assert fs.validate(with_leave, replanned.schedule) == []


def test_replan_changes_fewer_than_a_fresh_solve(
    replanned: Replan, with_leave: fs.Scenario, plan: fs.Schedule
) -> None:
    """The re-plan moves only a handful of shifts, fewer than solving the new scenario
    afresh, without giving up the best largest deviation the frozen slots allow."""
    fresh = solve(with_leave, time_limit=10)
    # The changes are proven the fewest that keep the fairest largest deviation.
    changes = replanned.schedule.stages[2]
    assert changes.name == "changes" and changes.proven
    assert 0 < replanned.changed == changes.value
    assert replanned.changed < len(diff(plan, fresh))
    names = [stage.name for stage in replanned.schedule.stages]
    assert names[:3] == ["max_deviation", "best_max_deviation", "changes"]
    if fresh.stages[0].proven and replanned.schedule.stages[1].proven:
        # Nothing frozen forced extra unfairness here, so the fairest re-plan is as fair as
        # the fairest fresh schedule.
        assert replanned.schedule.objective == pytest.approx(fresh.objective)


def test_replan_diff_matches_schedules(replanned: Replan, plan: fs.Schedule) -> None:
    """The diff lists exactly the slots whose holder differs, with both holders."""
    table = replanned.to_dataframe()
    assert list(table.columns) == ["slot", "role", "start", "before", "after"]
    for row in table.itertuples(index=False):
        assert plan.holder(row.role, row.slot) == row.before
        assert replanned.schedule.holder(row.role, row.slot) == row.after
        assert row.before != row.after
    moved = replanned.by_engineer()
    assert set(moved["engineer"]) <= set(plan.scenario.handles)


def test_replan_of_a_replan_changes_nothing(replanned: Replan, with_leave: fs.Scenario) -> None:
    """Re-planning again with the same inputs and frozen span keeps every assignment: the
    first re-plan is already as fair as possible, so no change is needed."""
    if not replanned.schedule.stages[1].proven:
        pytest.skip("the first re-plan's largest deviation was not proven optimal")
    again = replan(with_leave, replanned.schedule, today=TODAY, time_limit=20)
    assert again.changed == 0


def test_replan_refuses_leave_inside_frozen_weeks(
    team_scenario: fs.Scenario, plan: fs.Schedule
) -> None:
    """New leave inside the frozen span is a clear error naming the slot and the rule."""
    holder = plan.holder("primary", "week-004")
    start = dt.date(2027, 5, 10)  # the frozen week-004
    changed = team_scenario.with_leave(holder, start, start + dt.timedelta(days=2))
    with pytest.raises(fs.FairshiftError, match=r"week-004.*leave"):
        replan(changed, plan, today=TODAY, time_limit=20)


def test_replan_slack_trades_fairness_for_fewer_changes(
    replanned: Replan, with_leave: fs.Scenario, plan: fs.Schedule
) -> None:
    """With a day of slack the largest deviation may grow by at most a day, and the re-plan
    never needs more changes than without slack."""
    loose = replan(with_leave, plan, today=TODAY, slack=1.0, time_limit=20)
    assert fs.validate(with_leave, loose.schedule) == []
    best = loose.schedule.stages[1].value
    assert loose.schedule.objective is not None and best is not None
    assert loose.schedule.objective <= best + 1.0 + 1e-9
    if loose.schedule.stages[2].proven and replanned.schedule.stages[2].proven:
        assert loose.changed <= replanned.changed


def test_replan_rejects_negative_slack(team_scenario: fs.Scenario, plan: fs.Schedule) -> None:
    """A negative slack is refused before any solving."""
    with pytest.raises(fs.FairshiftError, match="slack"):
        replan(team_scenario, plan, today=TODAY, slack=-1.0)
