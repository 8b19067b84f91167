"""Baseline schedulers: round-robin and greedy, availability only, gaps left visible."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairshift as fs
from conftest import MONDAY, engineer, holders, scenario


def trio(**extra: dict[str, object]) -> fs.Scenario:
    """ana, bo, cy (all senior), six weeks from MONDAY, optional per-engineer fields."""
    team = tuple(engineer(h, "senior", **extra.get(h, {})) for h in ("ana", "bo", "cy"))
    return scenario(team, weeks=6)


#: bo is away Tuesday to Saturday of the second week only (weeks hand over on Monday 09:00).
BO_AWAY_WEEK_2 = {"bo": {"leave": (fs.Leave(MONDAY + dt.timedelta(8), MONDAY + dt.timedelta(12)),)}}


def test_round_robin_rotates_in_scenario_order() -> None:
    """Primary goes ana, bo, cy, ...; the secondary is the next in line."""
    schedule = fs.round_robin(trio())
    assert holders(schedule, "primary") == ["ana", "bo", "cy", "ana", "bo", "cy"]
    assert holders(schedule, "secondary") == ["bo", "cy", "ana", "bo", "cy", "ana"]
    assert schedule.status == fs.Status.GIVEN and schedule.label == "round-robin"


def test_round_robin_skips_whoever_is_on_leave() -> None:
    """bo's turn in week 2 passes to cy; the rotation goes on from cy, so ana is next."""
    schedule = fs.round_robin(trio(**BO_AWAY_WEEK_2))
    assert holders(schedule, "primary")[:4] == ["ana", "cy", "ana", "bo"]
    assert holders(schedule, "secondary")[:4] == ["bo", "ana", "bo", "cy"]
    rules = {v.rule for v in fs.validate(schedule.scenario, schedule)}
    assert not rules & {"leave", "employment", "overlap", "coverage"}


def test_round_robin_follows_a_given_order_of_a_subset() -> None:
    """Only the handles in ``order`` rotate, in that order."""
    schedule = fs.round_robin(trio(), order=["cy", "ana"])
    assert holders(schedule, "primary") == ["cy", "ana"] * 3
    assert holders(schedule, "secondary") == ["ana", "cy"] * 3


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["ana", "zed"], "'zed' is not an engineer"),
        (["ana", "ana"], "appears twice"),
        ([], "empty"),
        ("ana", "single string"),
    ],
)
def test_round_robin_rejects_a_bad_order(order: list[str] | str, message: str) -> None:
    """Unknown, repeated or missing handles in ``order`` raise a ScenarioError."""
    with pytest.raises(fs.ScenarioError, match=message):
        fs.round_robin(trio(), order=order)


def test_round_robin_month_end_has_its_own_turn() -> None:
    """Month-end shifts rotate through the order independently of the weekly roles."""
    s = scenario(weeks=8, month_end_days=3)
    schedule = fs.round_robin(s)
    assert holders(schedule, "month_end") == ["ana", "bo"]


@pytest.mark.parametrize("baseline", [fs.round_robin, fs.greedy])
def test_nobody_free_leaves_the_shift_unfilled(baseline: object) -> None:
    """With everyone away in week 2 both roles stay unfilled, and validation says so."""
    away = {"leave": (fs.Leave(MONDAY + dt.timedelta(8), MONDAY + dt.timedelta(12)),)}
    s = scenario((engineer("ana", "senior", **away), engineer("bo", "senior", **away)), weeks=3)
    schedule = baseline(s)  # type: ignore[operator]
    assert holders(schedule, "primary")[1] == "" and holders(schedule, "secondary")[1] == ""
    unfilled = [v for v in fs.validate(s, schedule) if "unfilled" in v.message]
    assert {v.slot for v in unfilled} == {"week-002"} and len(unfilled) == 2
    assert not [v for v in fs.validate(s, schedule) if v.rule in ("leave", "employment")]


@pytest.mark.parametrize("baseline", [fs.round_robin, fs.greedy])
def test_a_lone_free_engineer_is_primary_and_secondary_stays_unfilled(baseline: object) -> None:
    """One person cannot hold both layers: the secondary is reported unfilled."""
    away = {"leave": (fs.Leave(MONDAY + dt.timedelta(8), MONDAY + dt.timedelta(12)),)}
    s = scenario((engineer("ana", "senior"), engineer("bo", "senior", **away)), weeks=3)
    schedule = baseline(s)  # type: ignore[operator]
    assert schedule.holder("primary", "week-002") == "ana"
    assert schedule.holder("secondary", "week-002") == ""


def test_greedy_picks_whoever_held_the_role_least_recently() -> None:
    """Never-held goes first (scenario order breaks ties), then the longest-ago holder."""
    schedule = fs.greedy(scenario(trio().engineers, weeks=4))
    assert holders(schedule, "primary") == ["ana", "bo", "cy", "ana"]
    assert holders(schedule, "secondary") == ["bo", "ana", "bo", "cy"]
    assert schedule.status == fs.Status.GIVEN and schedule.label == "greedy"


def test_greedy_gives_the_returning_engineer_the_next_turn() -> None:
    """bo, away in week 2, has the oldest primary turn (never) and takes week 3."""
    schedule = fs.greedy(trio(**BO_AWAY_WEEK_2))
    assert holders(schedule, "primary")[:3] == ["ana", "cy", "bo"]


def test_greedy_month_end_rotates_least_recently() -> None:
    """Month-end shifts go to the engineer whose last month-end ended earliest."""
    schedule = fs.greedy(scenario(weeks=8, month_end_days=3))
    assert holders(schedule, "month_end") == ["ana", "bo"]


@pytest.mark.parametrize("baseline", [fs.round_robin, fs.greedy])
def test_baselines_break_seniority_rules_visibly(baseline: object) -> None:
    """A junior primary paired with a mid secondary is reported by validation, not hidden."""
    team = (engineer("jo", "junior"), engineer("mo", "mid"), engineer("sam", "senior"))
    s = scenario(team, weeks=3)
    schedule = baseline(s)  # type: ignore[operator]
    assert "pairing" in {v.rule for v in fs.validate(s, schedule)}


@st.composite
def teams_with_leave(draw: st.DrawFn) -> fs.Scenario:
    """2-4 engineers over 2-6 weeks, each with up to two random leave periods."""
    weeks = draw(st.integers(2, 6))
    team = []
    for handle in ("ana", "bo", "cy", "di")[: draw(st.integers(2, 4))]:
        leave = []
        for _ in range(draw(st.integers(0, 2))):
            first = draw(st.integers(0, 7 * weeks - 1))
            length = draw(st.integers(0, 10))
            leave.append(
                fs.Leave(MONDAY + dt.timedelta(first), MONDAY + dt.timedelta(first + length))
            )
        joined = draw(st.none() | st.integers(0, 7 * weeks).map(lambda d: MONDAY + dt.timedelta(d)))
        team.append(engineer(handle, "senior", leave=tuple(leave), joined=joined))
    return scenario(tuple(team), weeks=weeks)


@settings(max_examples=40, deadline=None)
@given(teams_with_leave())
def test_baselines_never_invent_an_assignment(s: fs.Scenario) -> None:
    """Every shift has one row; nobody blocked holds one; a gap means nobody was free."""
    calendar = fs.expand(s)
    for schedule in (fs.round_robin(s), fs.greedy(s)):
        assert len(schedule.assignments) == 2 * len(calendar.weeks)
        rules = {v.rule for v in fs.validate(s, schedule)}
        assert not rules & {"leave", "employment", "overlap"}
        for week in calendar.weeks:
            primary = schedule.holder("primary", week.id)
            free = {e.handle for e in s.engineers if calendar.blocked(e, week) is None}
            if primary == "":
                assert not free
            if schedule.holder("secondary", week.id) == "":
                assert free <= {primary}
