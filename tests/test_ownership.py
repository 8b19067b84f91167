"""Pipeline ownership: rules hold, given owners are kept and checked, load is balanced."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import fairshift as fs
from conftest import engineer, scenario
from fairshift.ownership import assign_owners, ownership_load


def _team() -> tuple[fs.Engineer, ...]:
    return (
        engineer("ana", "senior"),
        engineer("bo", "mid"),
        engineer("cy", "junior"),
        engineer("di", "senior"),
    )


def _with_pipelines(
    *pipelines: fs.Pipeline, team: tuple[fs.Engineer, ...] | None = None
) -> fs.Scenario:
    return scenario(team or _team()).replace(pipelines=pipelines)


def test_assign_owners_respects_every_rule() -> None:
    """Owner and backup differ, and investor-facing pipelines get a senior owner."""
    s = _with_pipelines(
        fs.Pipeline("billing", investor_facing=True),
        fs.Pipeline("revenue", investor_facing=True),
        fs.Pipeline("events"),
        fs.Pipeline("search"),
    )
    owned = assign_owners(s)
    assert [p.name for p in owned] == ["billing", "revenue", "events", "search"]
    for pipeline in owned:
        assert pipeline.owner and pipeline.backup_owner
        assert pipeline.owner != pipeline.backup_owner
        if pipeline.investor_facing:
            assert s.engineer(pipeline.owner).seniority >= fs.Seniority.SENIOR


def test_assign_owners_balances_load() -> None:
    """Four pipelines over four equal engineers: each owns one and backs up one."""
    s = _with_pipelines(*(fs.Pipeline(f"p{i}") for i in range(4)))
    load = ownership_load(s, assign_owners(s))
    assert set(load.values()) == {3}


def test_assign_owners_weights_load_by_fte() -> None:
    """A half-time engineer carries at most half the load of the busiest full-time one."""
    team = (*_team()[:3], engineer("di", "senior", fte=Fraction(1, 2)))
    s = _with_pipelines(*(fs.Pipeline(f"p{i}") for i in range(6)), team=team)
    load = ownership_load(s, assign_owners(s))
    assert 2 * load["di"] <= max(load["ana"], load["bo"], load["cy"])


def test_assign_owners_keeps_given_owners() -> None:
    """Owners named in the scenario stay, even when another choice would balance better."""
    s = _with_pipelines(
        fs.Pipeline("billing", investor_facing=True, owner="ana", backup_owner="cy"),
        fs.Pipeline("events", owner="ana"),
    )
    owned = assign_owners(s)
    assert (owned[0].owner, owned[0].backup_owner) == ("ana", "cy")
    assert owned[1].owner == "ana" and owned[1].backup_owner != "ana"


def test_assign_owners_rejects_a_junior_investor_owner() -> None:
    """A given junior owner of an investor-facing pipeline is an input error naming it."""
    s = _with_pipelines(fs.Pipeline("billing", investor_facing=True, owner="cy"))
    with pytest.raises(fs.ScenarioError, match="investor-facing"):
        assign_owners(s)


def test_assign_owners_infeasible_without_seniors() -> None:
    """With no senior engineer an investor-facing pipeline cannot be owned: a clear error."""
    team = (engineer("bo", "mid"), engineer("cy", "junior"))
    s = _with_pipelines(fs.Pipeline("billing", investor_facing=True), team=team)
    with pytest.raises(fs.FairshiftError, match="senior"):
        assign_owners(s)


def test_rest_of_team_shares_evenly_when_one_senior_owns_all_investor_pipelines() -> None:
    """Regression: with the largest load fixed by the only senior, the others still share
    evenly (Pacific Infra: loads 8 for Alex, then 3, 2, 2 rather than 4, 1, 2)."""
    scenario = fs.Scenario.from_toml(
        Path(__file__).parent.parent / "examples" / "pacific-infra.toml"
    )
    owners = fs.assign_owners(scenario)
    load = dict.fromkeys(scenario.handles, 0)
    for pipeline in owners:
        load[pipeline.owner] += 2
        load[pipeline.backup_owner] += 1
    assert load["alex"] == 8
    others = sorted(v for h, v in load.items() if h != "alex")
    assert others == [2, 2, 3]
