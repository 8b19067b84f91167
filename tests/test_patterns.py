"""Rotation patterns: every shape gets the same validation, feeds, re-planning and errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import shutil
import tomllib
from pathlib import Path

import icalendar
import pytest

import fairshift as fs
from conftest import ROOT, icaljs_module, read_with_icaljs, solve
from fairshift.cli import main
from fairshift.ical import render_feeds, write_feeds
from fairshift.replan import replan

FOLLOW = ROOT / "examples" / "follow-the-sun.toml"
SEASON = ROOT / "examples" / "holiday-season.toml"


@functools.cache
def follow() -> tuple[fs.Scenario, fs.Schedule]:
    """Follow-the-sun over four weeks: two blocks of three shifts with two seats each."""
    s = fs.Scenario.from_toml(FOLLOW).with_horizon(weeks=4)
    return s, solve(s)


def events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_a_two_week_block_of_business_hours_is_fourteen_events() -> None:
    """One event per on-call interval, titled with the handle, with a stable unique UID."""
    s, schedule = follow()
    assert fs.validate(s, schedule) == []
    feeds = render_feeds(schedule)
    assert {"day-p1.ics", "evening-p2.ics", "night-p1.ics", "team.ics"} <= set(feeds)
    day = events(feeds["day-p1.ics"])
    holders = [a.engineer for a in schedule.assignments if (a.shift, a.seat) == ("day", "p1")]
    assert len(day) == 14 * 2 == 14 * len(holders)
    assert [str(e["SUMMARY"]) for e in day] == [h for h in holders for _ in range(14)]
    for event in day:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (end - start) == dt.timedelta(hours=8)
        assert start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in str(event["UID"])
        assert "-day-p1-" in str(event["UID"])
    uids = [
        str(e["UID"]) for data in feeds.values() if data.startswith(b"BEGIN") for e in events(data)
    ]
    assert len(uids) == len(set(uids))


def test_events_name_the_escalation_order_and_the_manager() -> None:
    """Each event lists who is called, in order, while it is on call, and the manager."""
    s, schedule = follow()
    night = events(render_feeds(schedule)["night-p1.ics"])[0]
    text = str(night["DESCRIPTION"])
    p1 = next(a.engineer for a in schedule.assignments if (a.shift, a.seat) == ("night", "p1"))
    p2 = next(a.engineer for a in schedule.assignments if (a.shift, a.seat) == ("night", "p2"))
    name = {e.handle: e.name for e in s.engineers}
    assert f"Escalation: 1. night.p1 {name[p1]} ({p1}); 2. night.p2 {name[p2]} ({p2}); 3. " in text
    assert "manager Dana Okafor <dana.okafor@example.com>" in text


def test_working_hours_keep_each_shift_in_its_region() -> None:
    """Within working hours, London holds the day, San Francisco the evening, Singapore the
    night, and stage statistics count hours on call."""
    s, schedule = follow()
    zone = {e.handle: e.timezone for e in s.engineers}
    regions = {"day": "Europe/London", "evening": "America/Los_Angeles", "night": "Asia/Singapore"}
    for a in schedule.assignments:
        assert zone[a.engineer] == regions[a.shift]
    table = fs.per_engineer(s, schedule)
    assert {"day.p1", "night.p2", "on_call_hours"} <= set(table.columns)
    assert table["on_call_hours"].sum() == 2 * 3 * 2 * 14 * 8


def test_replan_and_swaps_work_on_a_pattern() -> None:
    """A new leave is re-planned with minimal change; a swap keeps every rule."""
    s, schedule = follow()
    day_p1 = next(
        a for a in schedule.assignments if (a.shift, a.seat, a.slot) == ("day", "p1", "day-002")
    )
    with_leave = s.with_leave(day_p1.engineer, dt.date(2027, 1, 20), dt.date(2027, 1, 22))
    result = replan(with_leave, schedule, today=dt.date(2027, 1, 5), freeze_weeks=0, time_limit=20)
    assert fs.validate(with_leave, result.schedule) == []
    assert 0 < result.changed < len(schedule.assignments)
    assert set(result.diff.columns) == {"slot", "shift", "seat", "start", "before", "after"}
    options = fs.swaps(s, schedule, day_p1.engineer, "day-002", today=dt.date(2027, 1, 1))
    for partner in options["engineer"]:
        assert partner != day_p1.engineer


def test_an_impossible_period_is_explained_by_name() -> None:
    """Seniors only on a date no senior can cover: the conflict names the period."""
    text = FOLLOW.read_text().replace(
        'name = "Independence Day"\ndates = { from = "07-04", to = "07-04" }',
        'name = "Audit"\ndates = { from = 2027-01-06, to = 2027-01-06 }',
    )
    text = text.replace(
        'Audit"\ndates = { from = 2027-01-06, to = 2027-01-06 }\nmin_seniority = "mid"',
        'Audit"\ndates = { from = 2027-01-06, to = 2027-01-06 }\nmin_seniority = "senior"',
    )
    s = fs.Scenario.from_dict(tomllib.loads(text)).with_horizon(weeks=2)
    seniors = [e.handle for e in s.engineers if e.seniority == fs.Seniority.SENIOR]
    s = s.with_leave(seniors[0], dt.date(2027, 1, 4), dt.date(2027, 1, 17))
    with pytest.raises(fs.InfeasibleError) as error:
        fs.solve(s, time_limit=20)
    text = str(error.value.explanation)
    assert "Audit" in text and "period" in error.value.explanation.rules


def test_business_and_after_hours_split_covers_every_hour() -> None:
    """Business hours on weekdays, after hours every night, weekend days: no gap, valid plan."""
    data = tomllib.loads(FOLLOW.read_text())
    data["shifts"] = [
        {
            "name": "business",
            "every": "1 week",
            "hours": "09:00-17:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "seats": ["primary"],
        },
        {
            "name": "after",
            "every": "1 week",
            "hours": "17:00-09:00",
            "weight": 1.5,
            "seats": ["primary"],
        },
        {
            "name": "weekend",
            "every": "1 week",
            "hours": "09:00-17:00",
            "days": ["sat", "sun"],
            "seats": ["primary"],
        },
    ]
    for key in ("periods", "escalation"):
        data.pop(key)
    data["rules"] = {"pairing": []}
    for engineer in data["engineers"]:
        engineer.pop("working_hours")
    s = fs.Scenario.from_dict(data).with_horizon(weeks=3)
    assert fs.expand(s).gap_warning() is None
    schedule = solve(s)
    assert fs.validate(s, schedule) == []
    assert len(schedule.assignments) == 9


def test_a_gap_between_seasons_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A daily season that starts two days late leaves 48 hours uncovered: plan warns."""
    path = tmp_path / "late.toml"
    path.write_text(
        SEASON.read_text().replace(
            'active = [{ from = "12-20", to = "01-02" }]',
            'active = [{ from = "12-22", to = "01-02" }]',
        )
    )
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), "--time-limit", "10", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "no shift covers 1 stretch(es) of the horizon, 48 hours" in err
    assert "2027-12-20 09:00 to 2027-12-22 09:00" in err


BAD = {
    "unknown seat in a rule": (
        '[[rules.pairing]]\nseat = "day.p1"',
        '[[rules.pairing]]\nseat = "day.p3"',
        "rules.pairing",
        "day.p3",
    ),
    "bad every": ('every = "2 weeks"', 'every = "fortnightly"', "every", "fortnightly"),
    "bad hours": ('hours = "09:00-17:00"', 'hours = "9 to 5"', "hours", "9 to 5"),
    "bad length": (
        'hours = "09:00-17:00"',
        'hours = "09:00-17:00"\nlength = "8 parsecs"',
        "length",
        "parsecs",
    ),
    "first outside its window": (
        'hours = "09:00-17:00"',
        'hours = "09:00-17:00"\nfirst = 2027-02-01T09:00:00',
        "first",
        "2027-02-01T09:00:00",
    ),
    "duplicate shift names": ('name = "evening"', 'name = "day"', "shifts[1].name", "'day'"),
    "duplicate seat names": (
        'seats = ["p1", { name = "p2", weight = 0.5 }]',
        'seats = ["p1", "p1"]',
        "seats[1].name",
        "'p1'",
    ),
    "reserved name": ('name = "night"', 'name = "senior"', "name", "'senior'"),
    "shorthand beside shifts": (
        "[rules]\n",
        "[rules]\nmax_consecutive_weeks = 2\n",
        "rules.max_consecutive_weeks",
        "max_in_a_row",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_pattern_input_exits_2_with_key_value_and_fix(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad pattern key: exit 2, the key and the value named, a fix, nothing written."""
    old, new, key, value = BAD[case]
    text = FOLLOW.read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "bad.toml" in err
    assert key in err and value in err
    assert not out.exists()


def test_a_season_with_no_turn_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Season dates that miss the horizon are refused, not planned as nothing."""
    path = tmp_path / "bad.toml"
    path.write_text(
        SEASON.read_text().replace(
            'active = [{ from = "12-20", to = "01-02" }]',
            "active = [{ from = 2026-12-20, to = 2027-01-02 }]",
        )
    )
    assert main(["plan", str(path), "--out", str(tmp_path / "plan"), "--no-progress"]) == 2
    assert (
        "shifts[1].active: shift type 'holiday' has no turn in the horizon"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_writes_toml_that_reads_back_equal(path: Path) -> None:
    """to_toml() of every example, patterns included, reads back to an equal scenario."""
    scenario = fs.Scenario.from_toml(path)
    again = fs.Scenario.from_dict(tomllib.loads(scenario.to_toml()))
    assert again == scenario
    assert again.to_toml() == scenario.to_toml()


def test_a_hand_made_pattern_schedule_is_checked(tmp_path: Path) -> None:
    """A CSV with only shift, seat, start, end, engineer: a dropped row is a coverage gap, a
    London engineer at night breaks working hours."""
    s, schedule = follow()
    table = schedule.to_dataframe()[["shift", "seat", "start", "end", "engineer"]]
    assert fs.validate(s, table) == []
    assert {v.rule for v in fs.validate(s, table.iloc[1:])} == {"coverage"}
    night = table.index[(table["shift"] == "night") & (table["seat"] == "p2")][0]
    edited = table.copy()
    edited.loc[night, "engineer"] = "priya"
    assert "working_hours" in {v.rule for v in fs.validate(s, edited)}
    rows = [dataclasses.replace(a, engineer="") for a in schedule.assignments[:1]]
    partial = dataclasses.replace(schedule, assignments=(*rows, *schedule.assignments[1:]))
    assert [v.rule for v in fs.validate(s, partial)] == ["coverage"]


@pytest.mark.skipif(
    shutil.which("node") is None or icaljs_module() is None,
    reason="needs node and ical.js: npm install --no-save ical.js@2 in the repository",
)
def test_icaljs_reads_follow_the_sun_feeds_at_their_instants(tmp_path: Path) -> None:
    """Every 8-hour event of every feed is read by ical.js at the instant it was written."""
    _s, schedule = follow()
    paths = write_feeds(schedule, tmp_path / "calendars")
    read = read_with_icaljs(sorted(p for p in paths if p.suffix == ".ics"), tmp_path)
    expected = {
        str(e["UID"]): (int(e.decoded("DTSTART").timestamp()), int(e.decoded("DTEND").timestamp()))
        for p in paths
        if p.suffix == ".ics"
        for e in events(p.read_bytes())
    }
    assert read == expected and len(read) > 14 * 12
