"""compare(): one table of fairness, violations, gaps and status per schedule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
import pytest

import fairshift as fs
from conftest import MONDAY, engineer, scenario, solve
from fairshift.compare import COMPARE_COLUMNS, unfilled_slots, versus


@pytest.fixture
def trio() -> fs.Scenario:
    """Three seniors over six weeks without month-end shifts: round-robin breaks no rule."""
    return scenario(tuple(engineer(h, "senior") for h in ("ana", "bo", "cy")), weeks=6)


def test_rows_hold_the_fairness_summary_and_the_violation_count(trio: fs.Scenario) -> None:
    """Each row repeats fairness().summary and counts validate()'s findings."""
    team = (engineer("jo", "junior"), engineer("mo", "mid"), engineer("sam", "senior"))
    juniors = scenario(team, weeks=3)
    schedules = {"rr": fs.round_robin(trio), "greedy": fs.greedy(juniors)}
    table = fs.compare(schedules)
    assert table.index.tolist() == ["rr", "greedy"]
    assert table.columns.tolist() == list(COMPARE_COLUMNS)
    for name, schedule in schedules.items():
        row = table.loc[name]
        summary = fs.fairness(schedule.scenario, schedule).summary
        for key, value in summary.items():
            assert row[key] == value or (pd.isna(row[key]) and pd.isna(value)), key
        assert row["violations"] == len(fs.validate(schedule.scenario, schedule))
        assert row["status"] == fs.Status.GIVEN and not row["proven"]
    assert table.loc["rr", "violations"] == 0 and table.loc["greedy", "violations"] > 0


def test_unfilled_counts_blank_rows_strangers_and_missing_rows(trio: fs.Scenario) -> None:
    """A blank holder, a handle outside the team and a dropped row are three gaps."""
    rows = list(fs.round_robin(trio).assignments)
    rows[0] = dataclasses.replace(rows[0], engineer="")
    rows[1] = dataclasses.replace(rows[1], engineer="zed")
    del rows[5]
    schedule = fs.Schedule(trio, tuple(rows), label="edited")
    assert unfilled_slots(trio, schedule) == 3
    assert fs.compare({"edited": schedule}).loc["edited", "unfilled"] == 3


def test_solved_schedule_is_proven_and_fairer_than_valid_baselines() -> None:
    """With bo away in week 2, both baselines stay valid but fairshift's proven plan is fairer."""
    away = {"leave": (fs.Leave(MONDAY + dt.timedelta(8), MONDAY + dt.timedelta(12)),)}
    team = tuple(
        engineer(h, "senior", **(away if h == "bo" else {})) for h in ("ana", "bo", "cy", "di")
    )
    four = scenario(team, weeks=5)
    solved = solve(four, time_limit=30.0)
    table = fs.compare(
        {"fairshift": solved, "round-robin": fs.round_robin(four), "greedy": fs.greedy(four)}
    )
    assert table["violations"].tolist() == [0, 0, 0]
    assert solved.status == fs.Status.OPTIMAL and bool(table.loc["fairshift", "proven"])
    ours = table.loc["fairshift", "max_deviation"]
    assert ours < table.loc["round-robin", "max_deviation"]
    assert ours < table.loc["greedy", "max_deviation"]
    assert table.loc["fairshift", "seconds"] == solved.seconds


def test_failures_become_rows_with_a_reason() -> None:
    """An infeasible variant or a time-out shows its status and reason, metrics NaN."""
    explanation = fs.Explanation((fs.Fact("leave", "Everyone is on leave in week 2."),))
    table = fs.compare(
        {
            "leave": fs.InfeasibleError(explanation),
            "slow": fs.NoSolutionFoundError("no schedule found within 1 s"),
        }
    )
    assert table.loc["leave", "status"] == fs.Status.INFEASIBLE
    assert "Everyone is on leave in week 2." in table.loc["leave", "reason"]
    assert table.loc["slow", "status"] == "UNKNOWN"
    assert table.loc["slow", "reason"] == "no schedule found within 1 s"
    assert math.isnan(table.loc["leave", "max_deviation"])
    assert not table["proven"].any()


def test_infeasible_schedule_object_also_gives_a_reason(trio: fs.Scenario) -> None:
    """A Schedule with status INFEASIBLE is reported through its explanation."""
    explanation = fs.Explanation((fs.Fact("coverage", "Two people cannot cover three."),))
    schedule = fs.Schedule(trio, (), status=fs.Status.INFEASIBLE, explanation=explanation)
    row = fs.compare({"variant": schedule}).loc["variant"]
    assert row["status"] == fs.Status.INFEASIBLE
    assert "Two people cannot cover three." in row["reason"]


def test_anything_else_is_a_type_error() -> None:
    """Passing a table instead of a schedule fails with the offending name."""
    with pytest.raises(TypeError, match="'oops'"):
        fs.compare({"oops": "schedule.csv"})  # type: ignore[dict-item]


def test_versus_reads_like_a_comparison(trio: fs.Scenario) -> None:
    """The text names both schedules and quotes their largest deviations."""
    four = scenario(tuple(engineer(h, "senior") for h in ("ana", "bo", "cy", "di")), weeks=5)
    table = fs.compare({"greedy": fs.greedy(four), "round-robin": fs.round_robin(four)})
    text = versus(table, "greedy", "round-robin")
    assert text.splitlines()[0] == "greedy compared with round-robin on the same inputs:"
    largest = next(line for line in text.splitlines() if "largest deviation" in line)
    expected = [f"{table.loc[n, 'max_deviation']:+.2f}" for n in ("greedy", "round-robin")]
    assert largest.split()[-2:] == expected


def test_versus_explains_a_missing_schedule(trio: fs.Scenario) -> None:
    """When one side has no schedule, the text gives its reason instead of numbers."""
    explanation = fs.Explanation((fs.Fact("leave", "Nobody is free in week 2."),))
    table = fs.compare(
        {"variant": fs.InfeasibleError(explanation), "round-robin": fs.round_robin(trio)}
    )
    assert "Nobody is free in week 2." in versus(table, "variant", "round-robin")


def test_versus_leaves_out_an_empty_category(trio: fs.Scenario) -> None:
    """Without month-end shifts there is no month-end row, rather than a row of "n/a"."""
    table = fs.compare({"greedy": fs.greedy(trio), "round-robin": fs.round_robin(trio)})
    text = versus(table, "greedy", "round-robin")
    assert "month-end" not in text
    assert "n/a" not in text
    assert "weekend days: largest excess" in text
