"""Exports for paging tools: PagerDuty (v2, v3), Opsgenie, Grafana OnCall, weekly CSV."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import icalendar
import pandas as pd
import pytest
from openapi_schema_validator import OAS30Validator

import fairshift as fs
from conftest import EXAMPLE, ROOT
from fairshift import cli, pager, pagercheck
from fairshift.calendar import expand
from fairshift.export import export_text

SPEC = json.loads(
    (Path(__file__).parent / "data" / "pagerduty" / "openapi-fragment.json").read_text()
)


def request_validator(path: str) -> OAS30Validator:
    """A validator of the JSON request body of ``POST path`` in PagerDuty's spec."""
    schema = SPEC["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "components": SPEC["components"]})


OVERRIDES = request_validator("/schedules/{id}/overrides")
CUSTOM_SHIFTS = request_validator("/v3/schedules/{id}/custom_shifts")


@pytest.fixture(scope="module")
def planned() -> fs.Schedule:
    return fs.solve(fs.Scenario.from_toml(EXAMPLE), time_limit=20)


@pytest.fixture(scope="module")
def plan_dir(planned: fs.Schedule, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    planned.write_tables(out)
    return out


def with_ids(scenario: fs.Scenario) -> fs.Scenario:
    """Every engineer with made-up PagerDuty, Opsgenie and Grafana ids."""
    return scenario.replace(
        engineers=tuple(
            dataclasses.replace(
                e,
                pagerduty=f"P{i:06d}",
                opsgenie=f"{e.handle}@example.com",
                grafana=e.handle,
            )
            for i, e in enumerate(scenario.engineers)
        )
    )


def seat_intervals(
    schedule: fs.Schedule, shift: str, seat: str
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """``(handle, start, end)`` of every on-call interval of a seat, from the calendar."""
    calendar = expand(schedule.scenario)
    owner = {s.name: t.name for t in schedule.scenario.shape.shifts for s in t.seats}
    out = []
    for a in schedule.assignments:
        if (a.shift or owner[a.seat], a.seat) != (shift, seat) or not a.engineer:
            continue
        duty = calendar.find(shift, seat, a.start)
        if duty is None:
            continue
        out += [(a.engineer, i.start, i.end) for i in duty.turn.intervals]
    return out


def covered_by(
    entries: list[tuple[str, dt.datetime, dt.datetime]], moment: dt.datetime
) -> list[str]:
    return [who for who, start, end in entries if start <= moment < end]


def elapsed(start: dt.datetime, end: dt.datetime) -> float:
    """Real seconds between two aware times (a DST change included)."""
    return (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds()


# -- PagerDuty ---------------------------------------------------------------------------


def test_pagerduty_overrides_pass_the_spec_and_our_checks(planned: fs.Schedule) -> None:
    body = pager.pagerduty_overrides(planned, "weekly", "primary")
    OVERRIDES.validate(body)
    assert pagercheck.check_pagerduty_overrides(body) == []
    assert {o["time_zone"] for o in body["overrides"]} == {"America/Los_Angeles"}
    assert all(o["user"]["type"] == "user_reference" for o in body["overrides"])


def test_pagerduty_overrides_say_who_holds_every_on_call_moment(planned: fs.Schedule) -> None:
    ids = {e.handle: e.pagerduty for e in planned.scenario.engineers}
    body = pager.pagerduty_overrides(planned, "weekly", "primary")
    entries = [
        (
            o["user"]["id"],
            dt.datetime.fromisoformat(o["start"]),
            dt.datetime.fromisoformat(o["end"]),
        )
        for o in body["overrides"]
    ]
    intervals = seat_intervals(planned, "weekly", "primary")
    assert intervals
    for handle, start, end in intervals:
        for moment in (start, end - dt.timedelta(seconds=1)):
            assert covered_by(entries, moment) == [ids[handle]]
    hours = sum(elapsed(start, end) for _, start, end in entries)
    assert hours == sum(elapsed(start, end) for _, start, end in intervals)


def test_pagerduty_v3_custom_shifts_pass_the_spec(planned: fs.Schedule) -> None:
    body = pager.pagerduty_custom_shifts(planned, "weekly", "secondary")
    CUSTOM_SHIFTS.validate(body)
    assert pagercheck.check_pagerduty_custom_shifts(body) == []
    v2 = pager.pagerduty_overrides(planned, "weekly", "secondary")["overrides"]
    assert [(s["start_time"], s["end_time"]) for s in body["custom_shifts"]] == [
        (o["start"], o["end"]) for o in v2
    ]
    assert [s["assignments"][0]["member"]["user_id"] for s in body["custom_shifts"]] == [
        o["user"]["id"] for o in v2
    ]


def test_the_spec_validator_is_not_vacuous(planned: fs.Schedule) -> None:
    body = pager.pagerduty_overrides(planned, "weekly", "primary")
    broken = copy.deepcopy(body)
    del broken["overrides"][0]["user"]
    assert list(OVERRIDES.iter_errors(broken))
    broken = copy.deepcopy(body)
    broken["overrides"][0]["user"]["type"] = "person"
    assert list(OVERRIDES.iter_errors(broken))
    shifts = pager.pagerduty_custom_shifts(planned, "weekly", "primary")
    shifts["custom_shifts"][0]["assignments"][0]["member"]["type"] = "robot"
    assert list(CUSTOM_SHIFTS.iter_errors(shifts))


def _break(body: dict[str, Any], check: str) -> None:
    first, second = body["overrides"][0], body["overrides"][1]
    if check == "time":
        first["start"] = first["start"][:19]  # no offset
    elif check == "order":
        first["end"] = first["start"]
    elif check == "overlap":
        second["start"] = first["start"]
    elif check == "zone":
        first["time_zone"] = "Pacific Standard Time"


@pytest.mark.parametrize("check", ["time", "order", "overlap", "zone"])
def test_a_broken_body_is_flagged_by_exactly_its_check(planned: fs.Schedule, check: str) -> None:
    body = pager.pagerduty_overrides(planned, "weekly", "primary")
    _break(body, check)
    problems = pagercheck.check_pagerduty_overrides(body)
    assert problems
    assert {p.check for p in problems} == {check}


def test_overlap_is_found_past_the_neighbour() -> None:
    spans = [
        {"start": "2027-01-04T00:00:00Z", "end": "2027-01-10T00:00:00Z"},
        {"start": "2027-01-05T00:00:00Z", "end": "2027-01-06T00:00:00Z"},
        {"start": "2027-01-07T00:00:00Z", "end": "2027-01-08T00:00:00Z"},
    ]
    problems = pagercheck.check_spans(spans, "start", "end", "overrides")
    assert [p.where for p in problems] == ["overrides[1]", "overrides[2]"]


# -- Opsgenie, Grafana, CSV --------------------------------------------------------------


def test_opsgenie_overrides_name_users_rotations_and_times(planned: fs.Schedule) -> None:
    bodies = pager.opsgenie_overrides(planned, "month-end", "month_end", rotation="Month end")
    assert pagercheck.check_opsgenie_overrides(bodies) == []
    users = {e.opsgenie for e in planned.scenario.engineers}
    assert bodies
    for body in bodies:
        assert set(body) == {"alias", "user", "startDate", "endDate", "rotations"}
        assert body["user"]["type"] == "user" and body["user"]["username"] in users
        assert body["rotations"] == [{"name": "Month end"}]
    assert len({b["alias"] for b in bodies}) == len(bodies)
    months = [a for a in planned.assignments if a.seat == "month_end" and a.engineer]
    assert len(bodies) == len(months)


def test_grafana_feed_has_the_username_as_summary(planned: fs.Schedule) -> None:
    text = pager.grafana_ical(planned, "weekly", "primary", level=2)
    calendar = icalendar.Calendar.from_ical(text)
    events = list(calendar.walk("VEVENT"))
    users = {e.grafana for e in planned.scenario.engineers}
    assert events
    for event in events:
        level, _, user = str(event["SUMMARY"]).partition(" ")
        assert level == "[L2]" and user in users
    body = pager.pagerduty_overrides(planned, "weekly", "primary")["overrides"]
    assert [(event.decoded("DTSTART"), event.decoded("DTEND")) for event in events] == [
        (dt.datetime.fromisoformat(o["start"]), dt.datetime.fromisoformat(o["end"])) for o in body
    ]
    plain = pager.grafana_ical(planned, "weekly", "primary")
    assert all(
        str(e["SUMMARY"]) in users for e in icalendar.Calendar.from_ical(plain).walk("VEVENT")
    )


def test_weekly_csv_has_a_row_per_week_and_a_column_per_seat(planned: fs.Schedule) -> None:
    table = pd.read_csv(io.StringIO(pager.weekly_csv(planned)), dtype=str, keep_default_na=False)
    scenario = planned.scenario
    assert list(table.columns) == ["week", "start", "end", *scenario.shape.seat_ids]
    assert len(table) == scenario.rotation.weeks
    names = {e.handle: e.name for e in scenario.engineers}
    weekly = [a for a in planned.assignments if a.seat == "primary"]
    assert list(table["weekly.primary"]) == [names[a.engineer] for a in weekly]
    starts = [dt.datetime.fromisoformat(t) for t in table["start"]]
    ends = [dt.datetime.fromisoformat(t) for t in table["end"]]
    for handle, start, end in seat_intervals(planned, "month-end", "month_end"):
        rows = [k for k in range(len(table)) if starts[k] < end and start < ends[k]]
        assert rows and all(names[handle] in table["month-end.month_end"][k] for k in rows)


def test_pattern_seats_export_merged_on_call_hours() -> None:
    scenario = with_ids(fs.Scenario.from_toml(ROOT / "examples" / "follow-the-sun.toml"))
    schedule = fs.greedy(scenario)
    for seat_id in scenario.shape.seat_ids:
        shift, seat = pager.seat_of(scenario, seat_id)
        body = pager.pagerduty_overrides(schedule, shift, seat)
        OVERRIDES.validate(body)
        assert pagercheck.check_pagerduty_overrides(body) == []
        entries = [
            (
                o["user"]["id"],
                dt.datetime.fromisoformat(o["start"]),
                dt.datetime.fromisoformat(o["end"]),
            )
            for o in body["overrides"]
        ]
        intervals = seat_intervals(schedule, shift, seat)
        ids = {e.handle: e.pagerduty for e in scenario.engineers}
        for handle, start, _ in intervals:
            assert covered_by(entries, start) == [ids[handle]]
        total = sum(elapsed(start, end) for _, start, end in entries)
        assert total == sum(elapsed(start, end) for _, start, end in intervals)


def test_seat_names() -> None:
    scenario = fs.Scenario.from_toml(EXAMPLE)
    assert pager.seat_of(scenario, None) == ("weekly", "primary")
    assert pager.seat_of(scenario, "secondary") == ("weekly", "secondary")
    assert pager.seat_of(scenario, "month-end") == ("month-end", "month_end")
    with pytest.raises(fs.ScenarioError, match="is not a seat"):
        pager.seat_of(scenario, "backup")


def test_exports_are_deterministic(planned: fs.Schedule) -> None:
    for fmt in pager.FORMATS:
        assert export_text(planned, fmt) == export_text(planned, fmt)


# -- the command ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(pager.FORMATS))
def test_cli_writes_every_format(plan_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"
    code = cli.main(["export", str(EXAMPLE), str(plan_dir), "--format", fmt, "--out", str(out)])
    assert code == 0
    text = out.read_text()
    if fmt == "pagerduty":
        OVERRIDES.validate(json.loads(text))
    elif fmt == "pagerduty-v3":
        CUSTOM_SHIFTS.validate(json.loads(text))
    elif fmt == "opsgenie":
        assert pagercheck.check_opsgenie_overrides(json.loads(text)) == []
    elif fmt == "grafana":
        assert icalendar.Calendar.from_ical(text).walk("VEVENT")
    else:
        assert text.startswith("week,start,end,weekly.primary")


def test_cli_missing_id_names_the_engineer(
    plan_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE.read_text().replace('pagerduty = "PMIKER1"\n', "")
    scenario = tmp_path / "team.toml"
    scenario.write_text(text)
    out = tmp_path / "overrides.json"
    code = cli.main(
        ["export", str(scenario), str(plan_dir), "--format", "pagerduty", "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "Mike Rodriguez (mike) has no pagerduty id" in err
    assert 'add pagerduty = "PABC123"' in err
    assert not out.exists()


def test_cli_refuses_a_plan_that_breaks_a_rule(
    planned: fs.Schedule, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pd.read_csv(io.StringIO(planned.to_dataframe().to_csv(index=False)), dtype=str)
    primary = table.index[table["seat"] == "primary"][0]
    secondary = table.index[table["seat"] == "secondary"][0]
    table.loc[secondary, "engineer"] = table.loc[primary, "engineer"]
    broken = tmp_path / "schedule.csv"
    table.to_csv(broken, index=False)
    out = tmp_path / "overrides.json"
    code = cli.main(
        ["export", str(EXAMPLE), str(broken), "--format", "pagerduty", "--out", str(out)]
    )
    assert code == 1
    assert "not exported" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seat", "backup"], "'backup' is not a seat"),
        (["--format", "pagerduty", "--level", "0"], "must lie between 1 and 99"),
    ],
)
def test_cli_bad_arguments(
    plan_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    args = ["export", str(EXAMPLE), str(plan_dir), "--out", str(tmp_path / "x.json")]
    if "--format" not in extra:
        args += ["--format", "pagerduty"]
    assert cli.main([*args, *extra]) == 2
    assert message in capsys.readouterr().err


def test_cli_out_is_a_directory(plan_dir: Path, tmp_path: Path) -> None:
    code = cli.main(
        ["export", str(EXAMPLE), str(plan_dir), "--format", "pagerduty", "--out", str(tmp_path)]
    )
    assert code == 2
