"""The itemised bill: every fairness term of a schedule, with values that add up."""

from __future__ import annotations

import pytest

import fairshift as fs
from conftest import engineer, scenario, solve
from fairshift.itemise import ITEM_COLUMNS, itemise


@pytest.fixture(scope="module")
def rota() -> fs.Schedule:
    """Four engineers (one with history), 6 weeks, two month-end business days."""
    team = (
        engineer("ana", "senior", history=1),
        engineer("bo", "mid"),
        engineer("cy", "mid"),
        engineer("di", "senior"),
    )
    return solve(scenario(team, weeks=6, month_end_days=2), time_limit=10)


def test_itemise_lists_every_engineer_term(rota: fs.Schedule) -> None:
    """Each engineer has burden, fair share, history and deviation, and the deviation is
    burden - fair share + history."""
    bill = itemise(rota)
    assert list(bill.columns) == list(ITEM_COLUMNS)
    terms = bill[bill["section"] == "engineer"].pivot(
        index="engineer", columns="term", values="value"
    )
    assert sorted(terms.index) == sorted(rota.scenario.handles)
    expected = terms["burden"] - terms["fair_share"] + terms["history"]
    assert terms["deviation"].tolist() == pytest.approx(expected.tolist())
    assert terms.loc["ana", "history"] == 1.0


def test_itemise_matches_the_solver_stages(rota: fs.Schedule) -> None:
    """The stage rows repeat each stage's value, bound and status, and the team's largest
    deviation equals stage 1's value."""
    bill = itemise(rota)
    stages = bill[bill["section"] == "stage"]
    assert stages["term"].tolist() == [stage.name for stage in rota.stages]
    assert stages["status"].tolist() == [stage.status for stage in rota.stages]
    team = bill[bill["section"] == "team"].set_index("term")["value"]
    assert team["max_deviation"] == pytest.approx(rota.stages[0].value)


def test_itemise_spread_terms(rota: fs.Schedule) -> None:
    """Each category's largest excess, then every engineer's excess, as stage 4 counts them."""
    bill = itemise(rota)
    spread = bill[bill["section"] == "spread"]
    team = spread[spread["engineer"] == ""].set_index("term")["value"]
    assert team.index.tolist() == [
        "month_end_shifts_excess",
        "weekend_days_excess",
        "holiday_days_excess",
    ]
    stages = {stage.name: stage.value for stage in rota.stages}
    for term, value in team.items():
        per_engineer = spread[(spread["term"] == term) & (spread["engineer"] != "")]["value"]
        assert per_engineer.max() == pytest.approx(value)
        # Excesses over fair counts that add up to the total add up to zero.
        assert per_engineer.dropna().sum() == pytest.approx(0, abs=1e-9)
        if term in stages:
            assert stages[term] == pytest.approx(value)


def test_itemise_of_a_hand_made_schedule_has_no_stages(rota: fs.Schedule) -> None:
    """A schedule read from a table has no solver stages, but still gets its fairness terms."""
    given = fs.Schedule.from_dataframe(rota.scenario, rota.to_dataframe())
    bill = itemise(given)
    assert not (bill["section"] == "stage").any()
    assert (bill["section"] == "engineer").sum() == 4 * len(rota.scenario.handles)
