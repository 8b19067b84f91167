"""Every bundled example scenario reads, plans and passes the validator, from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import fairshift as fs
from conftest import ROOT
from fairshift.cli import main

EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))

#: One example per rotation shape of the runbooks, plus the multi-region and part-time teams.
SHAPES = {
    "pacific-infra.toml",
    "weekly-standby.toml",
    "per-pipeline.toml",
    "follow-the-sun.toml",
    "holiday-season.toml",
}


def test_there_are_examples() -> None:
    """The examples folder holds one scenario per shape and the two other teams."""
    names = {path.name for path in EXAMPLES}
    assert {*SHAPES, "multi-region.toml", "part-time-and-joiner.toml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_plans_and_checks(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fairshift plan` writes a schedule with no violations that `fairshift check` accepts,
    and no example leaves time uncovered."""
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), "--time-limit", "10", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "no shift covers" not in captured.err
    assert main(["check", str(path), str(out)]) == 0
    scenario = fs.Scenario.from_toml(path)
    table = pd.read_csv(out / "schedule.csv")
    assert {"shift", "seat", "start", "end", "engineer", "name"} <= set(table.columns)
    assert len(table) == len(fs.expand(scenario).duties)
    schedule = fs.Schedule.read_csv(scenario, out / "schedule.csv")
    assert fs.validate(scenario, schedule) == []
    stages = [line for line in captured.out.splitlines() if line.startswith("  stage ")]
    assert stages and all(" bound " in line for line in stages)
