"""Every bundled example scenario reads, plans and passes the validator."""

from __future__ import annotations

from pathlib import Path

import pytest

import fairshift as fs
from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


def test_there_are_examples() -> None:
    """The examples folder holds the runbook team and the multi-region and part-time teams."""
    names = {path.name for path in EXAMPLES}
    assert {"pacific-infra.toml", "multi-region.toml", "part-time-and-joiner.toml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_plans_and_validates(path: Path) -> None:
    """Each example gives a schedule with no violations and a reported bound."""
    scenario = fs.Scenario.from_toml(path)
    schedule = fs.solve(scenario, time_limit=5)
    assert schedule.status in (fs.Status.OPTIMAL, fs.Status.FEASIBLE)
    assert fs.validate(scenario, schedule) == []
    assert schedule.bound is not None and schedule.bound <= schedule.objective
