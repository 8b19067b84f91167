"""Each hard rule: a feasible case, an infeasible case, and a case where it changes the answer.

Every schedule the solver returns here is also re-checked by the independent validator.
"""

from __future__ import annotations

import datetime as dt

import pytest

import fairshift as fs
from conftest import MONDAY, engineer, holders, scenario, solve


def solved(s: fs.Scenario) -> fs.Schedule:
    """Solve and assert the validator accepts the result."""
    schedule = solve(s)
    assert fs.validate(s, schedule) == []
    return schedule


def infeasible(s: fs.Scenario) -> fs.Explanation:
    """Assert the scenario has no schedule and return the explanation."""
    with pytest.raises(fs.InfeasibleError) as caught:
        solve(s)
    explanation = caught.value.explanation
    assert explanation.facts, "an infeasible scenario comes with the facts that conflict"
    return explanation


def leave(first: dt.date, last: dt.date) -> tuple[fs.Leave, ...]:
    return (fs.Leave(first, last),)


WEEK2 = MONDAY + dt.timedelta(weeks=1)


# -- coverage and separation ---------------------------------------------------------------


def test_coverage_every_slot_has_one_holder_per_role() -> None:
    """Every week gets exactly one primary and one secondary."""
    s = scenario(weeks=6)
    schedule = solved(s)
    assert len(holders(schedule, "primary")) == 6
    assert len(holders(schedule, "secondary")) == 6
    assert all(holders(schedule, "primary")) and all(holders(schedule, "secondary"))


def test_coverage_and_separation_infeasible_with_one_engineer() -> None:
    """One engineer cannot be primary and secondary at once: no schedule, both rules named."""
    s = scenario((engineer("ana", "senior"),), weeks=1)
    explanation = infeasible(s)
    assert set(explanation.rules) == {"coverage", "overlap"}


def test_separation_changes_the_answer() -> None:
    """With two engineers, each week pairs both of them."""
    s = scenario(
        (engineer("ana", "senior"), engineer("bo", "senior")), weeks=2, max_consecutive_weeks=2
    )
    schedule = solved(s)
    for p, q in zip(holders(schedule, "primary"), holders(schedule, "secondary"), strict=True):
        assert p != q


# -- leave and employment ------------------------------------------------------------------


def test_leave_keeps_engineer_off_overlapping_weeks() -> None:
    """An engineer on leave in week 2 holds nothing in weeks 2 (and 1, whose end overlaps)."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", leave=leave(WEEK2, WEEK2 + dt.timedelta(days=4))),
        engineer("cy"),
        engineer("di", "senior"),
    )
    schedule = solved(scenario(team, weeks=3))
    held = {a.slot for a in schedule.assignments if a.engineer == "bo"}
    # Leave starts Monday 00:00; week 1 ends Monday 09:00, so it overlaps too.
    assert "week-001" not in held and "week-002" not in held


def test_leave_makes_a_week_impossible() -> None:
    """Two engineers, one on leave: the week cannot be covered, and the leave is named."""
    team = (engineer("ana", "senior"), engineer("bo", leave=leave(MONDAY, MONDAY)))
    explanation = infeasible(scenario(team, weeks=1))
    assert "leave" in explanation.rules
    assert any("Bo" in fact.sentence and "leave" in fact.sentence for fact in explanation.facts)


def test_employment_respects_joining_and_leaving_dates() -> None:
    """A joiner holds nothing before joining; a leaver nothing after leaving."""
    team = (
        engineer("ana", "senior"),
        engineer("bo"),
        engineer("cy", joined=MONDAY + dt.timedelta(weeks=2)),
        engineer("di", "senior", left=MONDAY + dt.timedelta(weeks=2)),
    )
    schedule = solved(scenario(team, weeks=4))
    for a in schedule.assignments:
        if a.engineer == "cy":
            assert a.start.date() >= MONDAY + dt.timedelta(weeks=2)
        if a.engineer == "di":
            assert a.end.date() <= MONDAY + dt.timedelta(weeks=2, days=1)


def test_employment_infeasible_before_anyone_joins() -> None:
    """If the second engineer joins after week 1, week 1 has no secondary."""
    team = (engineer("ana", "senior"), engineer("bo", joined=WEEK2))
    assert "employment" in infeasible(scenario(team, weeks=2)).rules


# -- rest ----------------------------------------------------------------------------------


def test_max_consecutive_weeks_changes_the_answer() -> None:
    """With a limit of 1, nobody is on call two weeks running."""
    team = tuple(engineer(h, "senior") for h in ("ana", "bo", "cy", "di"))
    schedule = solved(scenario(team, weeks=6, max_consecutive_weeks=1))
    weeks: dict[str, list[int]] = {}
    for a in schedule.assignments:
        weeks.setdefault(a.engineer, []).append(int(a.slot.split("-")[1]))
    for numbers in weeks.values():
        assert all(b - a >= 2 for a, b in zip(sorted(numbers), sorted(numbers)[1:], strict=False))


def test_max_consecutive_weeks_infeasible_with_three_engineers() -> None:
    """Two on call per week from three people cannot give everyone a week off in every pair."""
    team = tuple(engineer(h, "senior") for h in ("ana", "bo", "cy"))
    explanation = infeasible(scenario(team, weeks=2, max_consecutive_weeks=1))
    assert "max_in_a_row" in explanation.rules


def test_primary_back_to_back_forbidden_and_allowed() -> None:
    """Two engineers, one with hard public holidays in two consecutive weeks: the other must be
    primary twice running, which is infeasible unless back-to-back primaries are allowed."""
    start = dt.date(2027, 12, 20)  # weeks of Christmas and of New Year
    team = (engineer("ana", "senior", holidays="US-CA"), engineer("bo", "senior", holidays="IL"))
    hard = {"public_holidays": "hard", "max_consecutive_weeks": 3}
    explanation = infeasible(scenario(team, weeks=2, start=start, **hard))
    assert {"no_repeat", "holidays"} <= set(explanation.rules)
    schedule = solved(scenario(team, weeks=2, start=start, primary_back_to_back=True, **hard))
    assert holders(schedule, "primary") == ["bo", "bo"]


# -- seniority -----------------------------------------------------------------------------


def test_junior_primary_gets_a_senior_secondary() -> None:
    """Whenever a junior is primary, the secondary is senior."""
    team = (
        engineer("ana", "senior"),
        engineer("jo", "junior"),
        engineer("jay", "junior"),
        engineer("bo", "mid"),
    )
    schedule = solved(scenario(team, weeks=8, max_consecutive_weeks=3))
    level = {e.handle: e.seniority for e in team}
    for p, q in zip(holders(schedule, "primary"), holders(schedule, "secondary"), strict=True):
        if level[p] is fs.Seniority.JUNIOR:
            assert level[q] is fs.Seniority.SENIOR


def test_junior_pairing_infeasible_when_the_only_senior_is_away() -> None:
    """The example from the issue: the only senior on leave, two juniors cannot pair."""
    team = (
        engineer("sam", "senior", leave=leave(MONDAY, MONDAY + dt.timedelta(days=6))),
        engineer("jo", "junior"),
        engineer("jay", "junior"),
    )
    explanation = infeasible(scenario(team, weeks=1))
    assert "pairing" in explanation.rules
    assert "leave" in explanation.rules


def test_junior_pairing_none_disables_the_rule() -> None:
    """With junior_primary_needs = "none", two juniors may pair."""
    team = (engineer("jo", "junior"), engineer("jay", "junior"))
    solved(scenario(team, weeks=2, junior_primary_needs="none"))


def test_month_end_holder_is_senior_enough_and_not_primary() -> None:
    """Month-end shifts go to mid or above, never to that week's primary."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", "mid"),
        engineer("jo", "junior"),
        engineer("cy", "mid"),
    )
    s = scenario(team, weeks=6, start=dt.date(2027, 1, 4), month_end_days=3)
    schedule = solved(s)
    month_end = [a for a in schedule.assignments if a.role == fs.Role.MONTH_END]
    assert month_end and all(a.engineer != "jo" for a in month_end)
    primaries = [a for a in schedule.assignments if a.role == fs.Role.PRIMARY]
    for m in month_end:
        for p in primaries:
            if p.start < m.end and m.start < p.end:
                assert p.engineer != m.engineer


def test_month_end_seniority_infeasible_with_only_juniors() -> None:
    """Only juniors available in a month-end window: infeasible, the seniority rule named."""
    team = (engineer("jo", "junior"), engineer("jay", "junior"), engineer("ka", "junior"))
    s = scenario(
        team, weeks=4, start=dt.date(2027, 1, 4), month_end_days=3, junior_primary_needs="none"
    )
    assert "seniority" in infeasible(s).rules


def test_public_holidays_soft_allows_primary_over_own_holiday() -> None:
    """With soft holidays, the same scenario as the back-to-back test is feasible."""
    start = dt.date(2027, 12, 20)
    team = (engineer("ana", "senior", holidays="US-CA"), engineer("bo", "senior", holidays="IL"))
    schedule = solved(scenario(team, weeks=2, start=start, max_consecutive_weeks=3))
    assert "ana" in holders(schedule, "primary")


def test_infeasible_explanation_suggests_single_relaxations() -> None:
    """Each suggested relaxation names a fact of the conflict whose removal alone suffices."""
    team = (
        engineer("sam", "senior", leave=leave(MONDAY, MONDAY + dt.timedelta(days=6))),
        engineer("jo", "junior"),
        engineer("jay", "junior"),
    )
    explanation = infeasible(scenario(team, weeks=2))
    sentences = [r.sentence for r in explanation.relaxations]
    assert "Sam moves leave away from the week of 2027-04-19" in sentences
    assert any("junior primary" in s for s in sentences)
    text = str(explanation)
    assert "Sam is on leave 2027-04-19 to 2027-04-25" in text
    assert "Any one of these changes" in text


def test_relaxations_are_only_those_that_fix_the_whole_scenario() -> None:
    """Two separate conflicts weeks apart: dropping one fact fixes at most one of them, so no
    single relaxation is offered."""
    late = MONDAY + dt.timedelta(weeks=4)
    team = (
        engineer("sam", "senior", leave=leave(MONDAY, MONDAY + dt.timedelta(days=6))),
        engineer("jo", "junior", leave=leave(late, late + dt.timedelta(days=6))),
        engineer("jay", "junior", leave=leave(late, late + dt.timedelta(days=6))),
    )
    explanation = infeasible(scenario(team, weeks=6))
    assert explanation.facts
    assert explanation.relaxations == ()
