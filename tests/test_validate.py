"""The validator catches each kind of broken schedule, from the rows alone."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

import fairshift as fs
from conftest import engineer, scenario, solve

START = dt.date(2027, 1, 4)
TEAM = (
    engineer("ana", "senior"),
    engineer(
        "bo", "mid", leave=(fs.Leave(START + dt.timedelta(weeks=3), START + dt.timedelta(weeks=3)),)
    ),
    engineer("jo", "junior"),
    engineer("di", "senior", joined=START + dt.timedelta(weeks=1)),
)


@pytest.fixture(scope="module")
def base() -> tuple[fs.Scenario, fs.Schedule]:
    s = scenario(TEAM, weeks=6, start=START, month_end_days=3, max_consecutive_weeks=3)
    schedule = solve(s)
    assert fs.validate(s, schedule) == []
    return s, schedule


def with_holder(schedule: fs.Schedule, slot: str, role: str, handle: str) -> fs.Schedule:
    """A copy of ``schedule`` where ``role`` in ``slot`` is held by ``handle``."""
    rows = tuple(
        dataclasses.replace(a, engineer=handle) if a.slot == slot and a.role == fs.Role(role) else a
        for a in schedule.assignments
    )
    return dataclasses.replace(schedule, assignments=rows)


def rules_of(s: fs.Scenario, schedule: fs.Schedule | pd.DataFrame) -> set[str]:
    return {v.rule for v in fs.validate(s, schedule)}


def test_solved_schedule_is_clean_as_object_and_table(
    base: tuple[fs.Scenario, fs.Schedule],
) -> None:
    """The solver's schedule passes both as an object and as its CSV table."""
    s, schedule = base
    assert fs.validate(s, schedule.to_dataframe()) == []


def test_missing_and_duplicate_rows_break_coverage(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """Dropping a row or adding a second holder is a coverage violation."""
    s, schedule = base
    table = schedule.to_dataframe()
    assert "coverage" in rules_of(s, table.iloc[1:])
    assert "coverage" in rules_of(s, pd.concat([table, table.iloc[:1]]))


def test_unfilled_unknown_and_misaligned_rows_break_coverage(
    base: tuple[fs.Scenario, fs.Schedule],
) -> None:
    """An empty engineer, an unknown handle, or a shifted start are each reported."""
    s, schedule = base
    table = schedule.to_dataframe()
    for column, value in (
        ("engineer", ""),
        ("engineer", "zoe"),
        ("start", "2027-01-04T10:00:00-08:00"),
    ):
        broken = table.copy()
        broken.loc[0, column] = value
        assert "coverage" in rules_of(s, broken), (column, value)


def test_same_person_primary_and_secondary(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """Making the secondary equal to the primary is a separation violation."""
    s, schedule = base
    primary = schedule.holder("primary", "week-002")
    assert "overlap" in rules_of(s, with_holder(schedule, "week-002", "secondary", primary))


def test_leave_and_employment(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """bo on leave in week 4 and di before joining are reported."""
    s, schedule = base
    assert "leave" in rules_of(s, with_holder(schedule, "week-004", "primary", "bo"))
    assert "employment" in rules_of(s, with_holder(schedule, "week-001", "secondary", "di"))


def test_back_to_back_and_consecutive_weeks(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """Same primary two weeks running, and ana on call every week, are both reported."""
    s, schedule = base
    twice = with_holder(
        with_holder(schedule, "week-002", "primary", "ana"), "week-003", "primary", "ana"
    )
    assert "no_repeat" in rules_of(s, twice)
    every = schedule
    for k in range(1, 7):
        slot = f"week-{k:03d}"
        if "ana" not in (every.holder("primary", slot), every.holder("secondary", slot)):
            every = with_holder(every, slot, "secondary", "ana")
    assert "max_in_a_row" in rules_of(s, every)


def test_junior_pairing_and_month_end_seniority(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """A junior primary with a mid secondary, and a junior month-end holder, are reported."""
    s, schedule = base
    paired = with_holder(
        with_holder(schedule, "week-002", "primary", "jo"), "week-002", "secondary", "bo"
    )
    assert "pairing" in rules_of(s, paired)
    assert "seniority" in rules_of(s, with_holder(schedule, "month-end-2027-01", "month_end", "jo"))


def test_month_end_holder_as_primary(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """The month-end holder made primary of the overlapping week is reported."""
    s, schedule = base
    holder = schedule.holder("month_end", "month-end-2027-01")
    # 27-29 January 2027 lies in week 4 (25 Jan - 1 Feb).
    assert "apart" in rules_of(s, with_holder(schedule, "week-004", "primary", holder))


def test_hard_public_holiday() -> None:
    """With hard holidays, a primary over their own holiday is reported; soft is fine."""
    start = dt.date(2027, 5, 24)  # Memorial Day, Monday 31 May, falls in week 2
    team = (
        engineer("ana", "senior"),
        engineer("bo", "senior", holidays="IL"),
        engineer("cy", holidays="IL"),
    )
    soft = scenario(team, weeks=2, start=start)
    hard = scenario(team, weeks=2, start=start, public_holidays="hard")
    schedule = with_holder(solve(hard), "week-002", "primary", "ana")
    schedule = with_holder(
        schedule,
        "week-002",
        "secondary",
        "bo" if schedule.holder("primary", "week-002") != "bo" else "cy",
    )
    assert "holidays" in rules_of(hard, schedule)
    assert "holidays" not in rules_of(soft, schedule)


def test_unreadable_table_is_a_clear_error(base: tuple[fs.Scenario, fs.Schedule]) -> None:
    """Missing columns, bad roles and offset-less times raise ScheduleFormatError."""
    s, schedule = base
    table = schedule.to_dataframe()
    with pytest.raises(fs.ScheduleFormatError, match="column"):
        fs.validate(s, table.drop(columns=["role", "seat"]))
    fs.validate(s, table.drop(columns=["role"]))  # either names the seat
    fs.validate(s, table.drop(columns=["seat", "shift"]))  # as written before patterns
    bad = table.copy()
    bad.loc[0, "role"] = "tertiary"
    with pytest.raises(fs.ScheduleFormatError, match="'tertiary' and seat 'primary' disagree"):
        fs.validate(s, bad)
    bad.loc[0, "seat"] = "tertiary"
    with pytest.raises(fs.ScheduleFormatError, match="tertiary' is not a seat"):
        fs.validate(s, bad)
    bad = table.copy()
    bad.loc[0, "start"] = "2027-01-04T09:00:00"
    with pytest.raises(fs.ScheduleFormatError, match="UTC offset"):
        fs.validate(s, bad)


@pytest.mark.parametrize(
    ("handoff", "start"),
    [("01:30", dt.date(2027, 10, 31)), ("02:30", dt.date(2027, 3, 7))],
    ids=["handoff-in-dst-overlap", "handoff-in-dst-gap"],
)
def test_handoff_in_a_dst_gap_or_overlap_survives_the_csv_round_trip(
    handoff: str, start: dt.date
) -> None:
    """Regression: a handoff whose wall time is repeated or skipped by DST validates both as
    an object and after the CSV round trip (instants are compared in UTC)."""
    s = scenario(weeks=3, start=start).replace(
        rotation=fs.Rotation("DST", start, 3, handoff=handoff, timezone="America/Los_Angeles")
    )
    schedule = solve(s)
    assert fs.validate(s, schedule) == []
    assert fs.validate(s, schedule.to_dataframe()) == []
    again = fs.Schedule.from_dataframe(s, schedule.to_dataframe())
    assert [a.slot for a in again.assignments] == [a.slot for a in schedule.assignments]
