"""Swaps: every listed swap keeps the hard rules, none is missed, notice is honoured."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

import fairshift as fs
from conftest import MONDAY, engineer, scenario, solve
from fairshift.swaps import SwapError, add_cli, slot_at, swaps

#: Agreed before the whole rota starts, so only the notice period limits the candidates.
TODAY = MONDAY - dt.timedelta(days=14)


@pytest.fixture(scope="module")
def rota() -> fs.Schedule:
    """Five engineers, 10 weeks, juniors may pair with anyone (so swaps exist)."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", "mid"),
        engineer("cy", "mid"),
        engineer("di", "senior"),
        engineer("ed", "junior"),
    )
    s = scenario(team, weeks=10, junior_primary_needs=None, max_consecutive_weeks=3)
    return solve(s, time_limit=10)


def _exchange(schedule: fs.Schedule, a: fs.Assignment, b: fs.Assignment) -> fs.Schedule:
    rows = []
    for row in schedule.assignments:
        if row == a:
            row = dataclasses.replace(row, engineer=b.engineer)
        elif row == b:
            row = dataclasses.replace(row, engineer=a.engineer)
        rows.append(row)
    return dataclasses.replace(schedule, assignments=tuple(rows))


def test_swaps_lists_exactly_the_valid_exchanges(rota: fs.Schedule) -> None:
    """A swap is listed if and only if exchanging the two shifts passes the validator."""
    s = rota.scenario
    given = next(a for a in rota.assignments if a.slot == "week-005" and a.role.value == "primary")
    table = swaps(s, rota, given.engineer, "week-005", today=TODAY)
    listed = set(zip(table["engineer"], table["gives_slot"], strict=True))
    expected = set()
    for theirs in rota.assignments:
        same_kind = theirs.role is given.role and theirs.engineer != given.engineer
        if same_kind and not fs.validate(s, _exchange(rota, given, theirs)):
            expected.add((theirs.engineer, theirs.slot))
    assert listed == expected
    assert listed, "the relaxed rules leave some swap possible"


def test_swaps_are_ranked_by_fairness(rota: fs.Schedule) -> None:
    """Rows are ordered by the largest absolute deviation, then by the sum of squares."""
    holder = rota.holder("secondary", "week-006")
    table = swaps(rota.scenario, rota, holder, "week-006", today=TODAY)
    keys = list(zip(table["max_abs_deviation"], table["sum_of_squares"], strict=True))
    assert keys == sorted(keys)
    assert set(table["role"]) <= {"secondary"}


def test_swaps_refuse_within_notice(rota: fs.Schedule) -> None:
    """A shift starting within swap_notice_days (7) of today cannot be swapped."""
    holder = rota.holder("primary", "week-003")
    start = MONDAY + dt.timedelta(weeks=2)  # week-003
    with pytest.raises(SwapError, match="notice"):
        swaps(rota.scenario, rota, holder, "week-003", today=start - dt.timedelta(days=3))


def test_swaps_never_offer_shifts_within_notice(rota: fs.Schedule) -> None:
    """The partner's shift also needs notice: nothing before today + 7 days is offered."""
    today = MONDAY + dt.timedelta(weeks=3)
    holder = rota.holder("primary", "week-009")
    table = swaps(rota.scenario, rota, holder, "week-009", today=today)
    earliest = today + dt.timedelta(days=7)
    starts = [dt.datetime.fromisoformat(v).date() for v in table["gives_start"]]
    assert all(day >= earliest for day in starts)


def test_swaps_require_the_engineer_to_hold_the_slot(rota: fs.Schedule) -> None:
    """Asking to swap a shift someone does not hold is an error naming the slot."""
    idle = next(
        h
        for h in rota.scenario.handles
        if h not in (rota.holder("primary", "week-004"), rota.holder("secondary", "week-004"))
    )
    with pytest.raises(SwapError, match="week-004"):
        swaps(rota.scenario, rota, idle, "week-004", today=TODAY)


def test_slot_at_finds_the_week_of_a_date(rota: fs.Schedule) -> None:
    """A date inside a week maps to that week's id (the CLI's --week)."""
    assert slot_at(rota.scenario, fs.Role.PRIMARY, MONDAY + dt.timedelta(days=9)) == "week-002"
    with pytest.raises(SwapError):
        slot_at(rota.scenario, fs.Role.PRIMARY, MONDAY - dt.timedelta(days=30))


def test_swaps_command_prints_the_candidates(
    rota: fs.Schedule, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``fairshift swaps`` resolves --week to its slot and prints the same partners."""
    toml = tmp_path / "rota.toml"
    toml.write_text(rota.scenario.to_toml())
    rota.to_csv(tmp_path / "schedule.csv")
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers())
    holder = rota.holder("primary", "week-005")
    week = (MONDAY + dt.timedelta(weeks=4, days=2)).isoformat()
    args = parser.parse_args(
        [
            "swaps",
            str(toml),
            str(tmp_path / "schedule.csv"),
            "--engineer",
            holder,
            "--week",
            week,
            "--today",
            TODAY.isoformat(),
        ]
    )
    assert args.run(args) == 0
    printed = capsys.readouterr().out
    for partner in swaps(rota.scenario, rota, holder, "week-005", today=TODAY)["engineer"]:
        assert partner in printed
