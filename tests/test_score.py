"""Scoring a rota a team already has: reading feeds, checking, measuring, planning beside it."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import pytest

import fairshift as fs
from conftest import ROOT, scenario
from fairshift.ical import feed_file_names
from fairshift.readics import Rota, read_feeds, read_ics
from fairshift.runner import Deadline
from fairshift.score import ROTA, add_arguments, cmd_score, feed_argument, score

DATA = Path(__file__).resolve().parent / "data" / "score"
TEAM = DATA / "team.toml"
#: The rota the hand-made feeds of ``DATA`` describe, week by week.
PRIMARY = ["ana", "bo", "cy", "di", "ana", "cy", "ana", "di"]
SECONDARY = ["bo", "cy", "di", "ana", "bo", "bo", "cy", "bo"]


@pytest.fixture
def team() -> fs.Scenario:
    """Four engineers, eight weeks of primary and secondary, no month-end windows."""
    return fs.Scenario.from_toml(TEAM)


def held(schedule: fs.Schedule) -> set[tuple[str, str, str]]:
    """``(turn, seat, engineer)`` of every assignment."""
    return {(a.slot, a.seat, a.engineer) for a in schedule.assignments}


def holders(rota: Rota, seat: str) -> list[str]:
    return [a.engineer for a in rota.schedule.assignments if a.seat == seat]


def _wired() -> bool:
    from fairshift.cli import build_parser

    subcommands = [
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    return any("score" in action.choices for action in subcommands)


def run_score(argv: list[str]) -> int:
    """``fairshift score ARGV``: through the command line when it has the command."""
    if _wired():
        from fairshift.cli import main

        return main(["score", *argv])
    parser = argparse.ArgumentParser(prog="fairshift score")
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.started = time.perf_counter()
    try:
        return cmd_score(args)
    except fs.FairshiftError as error:  # as the command line reports it
        print(f"fairshift: error: {error}", file=sys.stderr)
        return 2


def calendar_text(*events: list[str]) -> str:
    """A feed holding ``events`` (each a list of content lines)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for i, event in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{i}@test", "DTSTAMP:20270101T000000Z", *event]
        lines.append("END:VEVENT")
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def event(summary: str, start: str, end: str, *extra: str) -> list[str]:
    """An event in the rotation's zone (America/Los_Angeles); times as ``20270419T090000``."""
    return [
        f"SUMMARY:{summary}",
        f"DTSTART;TZID=America/Los_Angeles:{start}",
        f"DTEND;TZID=America/Los_Angeles:{end}",
        *extra,
    ]


# -- fairshift's own feeds read back ---------------------------------------------------------


def test_own_feeds_round_trip_default_shape(tmp_path: Path) -> None:
    """Seat, team and personal feeds of a plan read back to exactly the plan, 0 violations."""
    s = scenario(weeks=6, month_end_days=2)
    planned = fs.solve(s, time_limit=20)
    fs.write_feeds(planned, tmp_path)
    seats = [
        (tmp_path / "primary.ics", "primary"),
        (tmp_path / "secondary.ics", "weekly.secondary"),
        (tmp_path / "month-end.ics", "month-end"),
    ]
    personal = [(tmp_path / name, None) for name in feed_file_names(s.handles).values()]
    for feeds in (seats, [(f, None) for f, _ in seats], [(tmp_path / "team.ics", None)], personal):
        rota = read_feeds(s, feeds)
        assert held(rota.schedule) == held(planned)
        assert rota.unmatched == () and rota.partial == () and rota.missing_seats == ()
        assert rota.schedule.status == fs.Status.GIVEN
        assert fs.validate(s, rota.schedule) == []
    # The feed's content, as bytes or text, reads like the file.
    content = (tmp_path / "primary.ics").read_bytes()
    for source in (content, content.decode()):
        assert holders(read_ics(s, source, "primary"), "primary") == [
            a.engineer for a in planned.assignments if a.seat == "primary"
        ]


def test_own_feeds_round_trip_pattern_example(tmp_path: Path) -> None:
    """A [[shifts]] example's seat feed reads back exactly; handoff meetings are listed."""
    s = fs.Scenario.from_toml(ROOT / "examples" / "weekly-standby.toml").with_horizon(weeks=8)
    planned = fs.solve(s, time_limit=20)
    fs.write_feeds(planned, tmp_path)
    for seat in (None, "weekly", "weekly.standby", "STANDBY"):
        rota = read_ics(s, tmp_path / "weekly-standby.ics", seat)
        assert held(rota.schedule) == held(planned)
        assert fs.validate(s, rota.schedule) == []
    team = read_ics(s, tmp_path / "team.ics")
    assert held(team.schedule) == held(planned)
    meetings = [u for u in team.unmatched if u.summary.startswith("Handoff")]
    assert meetings and all(u.kind == "seat" for u in team.unmatched)


def test_own_feeds_round_trip_daily_hours(tmp_path: Path) -> None:
    """Follow-the-sun's 8-hour intervals (one event each) read back to the same turns."""
    s = fs.Scenario.from_toml(ROOT / "examples" / "follow-the-sun.toml").with_horizon(weeks=2)
    greedy = fs.greedy(s)
    fs.write_feeds(greedy, tmp_path)
    feeds = [(tmp_path / f"{seat.replace('.', '-')}.ics", None) for seat in s.shape.seat_ids]
    rota = read_feeds(s, feeds)
    assert held(rota.schedule) == held(greedy)
    assert rota.unmatched == () and rota.partial == ()


def test_seat_name_of_several_shift_types_covers_each(tmp_path: Path) -> None:
    """``primary`` in the holiday-season shape is weekly.primary and holiday.primary."""
    s = fs.Scenario.from_toml(ROOT / "examples" / "holiday-season.toml").with_horizon(
        start=dt.date(2027, 12, 6), weeks=6
    )
    greedy = fs.greedy(s)
    fs.write_feeds(greedy, tmp_path)
    feeds = [
        (tmp_path / "weekly-primary.ics", "primary"),
        (tmp_path / "holiday-primary.ics", "primary"),
    ]
    rota = read_feeds(s, feeds)
    assert rota.seats == ("weekly.primary", "holiday.primary")
    primary = {(a.slot, a.engineer) for a in greedy.assignments if a.seat == "primary"}
    assert {
        (a.slot, a.engineer) for a in rota.schedule.assignments if a.seat == "primary"
    } == primary


# -- feeds of other tools ----------------------------------------------------------------------


def test_rrule_rotation_with_exdates(team: fs.Scenario) -> None:
    """Weekly series every fourth week, an EXDATE plus a swap, a moved occurrence: expanded."""
    rota = read_feeds(team, [(DATA / "primary-rrule.ics", None), (DATA / "secondary.ics", None)])
    assert holders(rota, "primary") == PRIMARY
    assert holders(rota, "secondary") == SECONDARY
    assert rota.unmatched == () and rota.partial == ()
    assert fs.validate(team, rota.schedule) == []


def test_grafana_oncall_feed(team: fs.Scenario) -> None:
    """Usernames with an optional [L1] prefix; a split week goes to whoever did most of it."""
    rota = read_ics(team, DATA / "grafana-primary.ics", "primary")
    assert holders(rota, "primary") == PRIMARY
    assert rota.missing_seats == ("weekly.secondary",)
    (split,) = rota.partial
    assert (split.turn, split.seat, split.holder) == ("week-002", "weekly.primary", "bo")
    assert split.hours == (("bo", 96.0), ("cy", 72.0)) and split.covered_hours == 168.0


def test_unknown_attendee_is_listed_and_leaves_the_turn_unfilled(team: fs.Scenario) -> None:
    """An event naming nobody of the team is listed with its reason, never dropped silently."""
    rota = read_ics(team, DATA / "unknown-attendee.ics", "weekly.primary")
    (unknown,) = rota.unknown
    assert unknown.kind == "engineer" and "Jordan Lee <jordan.lee@example.com>" in unknown.reason
    assert unknown.start == dt.datetime(2027, 5, 24, 9, tzinfo=unknown.start.tzinfo)
    assert holders(rota, "primary") == [*PRIMARY[:5], "", *PRIMARY[6:]]
    assert [(c.turn, c.holder) for c in rota.partial] == [("week-006", "")]


def test_engineers_named_every_way(team: fs.Scenario) -> None:
    """Handle, name, e-mail, paging-tool ids, mailto:, any case; two names are ambiguous."""
    titles = ["ANA", "mailto:Bo.Chen@Example.com", "Cy Park <cy.park@example.com>", "PANA001"]
    weeks = ["20270419T090000", "20270426T090000", "20270503T090000", "20270510T090000"]
    ends = [*weeks[1:], "20270517T090000"]
    feed = calendar_text(
        *(event(t, a, b) for t, a, b in zip(titles, weeks, ends, strict=True)),
        event("Primary: Ana Lima / Bo Chen", "20270517T090000", "20270524T090000"),
        event(
            "On call", "20270524T090000", "20270531T090000", "ATTENDEE:mailto:DI.OKORO@example.com"
        ),
        event("ana", "20270531T090000", "20270607T090000", "STATUS:CANCELLED"),
    )
    rota = read_ics(team, feed, "primary")
    assert holders(rota, "primary") == ["ana", "bo", "cy", "ana", "", "di", "", ""]
    (ambiguous,) = rota.unknown
    assert ambiguous.reason == "names several engineers (ana, bo)"
    assert [u.kind for u in rota.unmatched] == ["engineer", "cancelled"]


def test_partial_coverage(team: fs.Scenario) -> None:
    """Most hours win; a turn less than half covered is unfilled; a sliver fills nothing."""
    feed = calendar_text(
        # Week 1 split three ways: nobody has half, Ana has most.
        event("ana", "20270419T090000", "20270422T090000"),
        event("bo", "20270422T090000", "20270424T090000"),
        event("cy", "20270424T090000", "20270426T090000"),
        # Week 2 held by Di, running an hour into week 3, which nobody else covers.
        event("di", "20270426T090000", "20270503T100000"),
        # Week 4: Bo for two days only.
        event("bo", "20270510T090000", "20270512T090000"),
    )
    rota = read_ics(team, feed, "primary")
    assert holders(rota, "primary")[:4] == ["ana", "di", "", ""]
    found = {c.turn: c for c in rota.partial}
    assert found["week-001"].hours == (("ana", 72.0), ("bo", 48.0), ("cy", 48.0))
    assert found["week-003"].hours == (("di", 1.0),) and found["week-003"].holder == ""
    assert found["week-004"].covered_hours == 48.0 and found["week-004"].holder == ""
    assert "unfilled" in str(found["week-004"]) and "120 h uncovered" in str(found["week-004"])


def test_all_day_events_span_whole_days(team: fs.Scenario) -> None:
    """A shared calendar's all-day events count from 00:00 in the rotation's zone."""
    days = [dt.date(2027, 4, 19) + dt.timedelta(days=7 * k) for k in range(9)]
    feed = calendar_text(
        *(
            [
                f"SUMMARY:Primary: {who}",
                f"DTSTART;VALUE=DATE:{a:%Y%m%d}",
                f"DTEND;VALUE=DATE:{b:%Y%m%d}",
            ]
            for who, a, b in zip(PRIMARY, days, days[1:], strict=False)
        )
    )
    rota = read_ics(team, feed)
    assert holders(rota, "primary") == PRIMARY
    # A turn runs from 09:00 to 09:00: the next day-event covers its last nine hours.
    assert rota.partial[0].hours == (("ana", 159.0), ("bo", 9.0))


def test_event_outside_on_call_time_is_listed() -> None:
    """A month-end event away from the month's last business days overlaps no turn."""
    s = scenario(weeks=4, month_end_days=2)
    feed = calendar_text(
        event("Month-end: ana", "20270429T000000", "20270501T000000"),
        event("Month-end: bo", "20270505T000000", "20270507T000000"),
    )
    rota = read_ics(s, feed)
    assert [a.engineer for a in rota.schedule.assignments if a.seat == "month_end"] == ["ana"]
    (stray,) = rota.unmatched
    assert stray.kind == "turn" and stray.summary == "Month-end: bo"
    assert "overlaps no on-call time of month-end.month_end" in str(stray)


# -- bad feeds ---------------------------------------------------------------------------------


def test_runaway_recurrence_is_refused(team: fs.Scenario) -> None:
    """A rule repeating every second since 1990 is refused before it is expanded."""
    feed = calendar_text(event("ana", "19900101T000000", "19900101T000001", "RRULE:FREQ=SECONDLY"))
    with pytest.raises(fs.ScenarioError, match="RRULE"):
        read_ics(team, feed, "primary")


def test_two_seats_named_is_not_scored(team: fs.Scenario) -> None:
    """A title naming the primary and categories naming the secondary name no one seat."""
    feed = calendar_text(
        event("Primary: ana", "20270419T090000", "20270426T090000", "CATEGORIES:secondary"),
        event("Primary: bo", "20270426T090000", "20270503T090000", "CATEGORIES:primary"),
    )
    rota = read_ics(team, feed)
    assert holders(rota, "primary")[:2] == ["", "bo"]
    assert [u.reason for u in rota.unmatched] == [
        "names two different seats in its SUMMARY or CATEGORIES"
    ]


# -- the command -------------------------------------------------------------------------------


def test_cli_scores_feeds(capsys: pytest.CaptureFixture[str]) -> None:
    """A clean rota: exit 0, the plan's summary, metrics beside fairshift's, per engineer."""
    feeds = ["--ics", str(DATA / "primary-rrule.ics"), "--ics", str(DATA / "secondary.ics")]
    code = run_score([str(TEAM), *feeds, "--time-limit", "20"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Platform on-call: GIVEN" in out
    assert "every hard rule holds (16 shifts)" in out
    assert "fairshift compared with your rota on the same inputs:" in out
    assert "largest deviation (days)" in out and "Gini" in out
    assert "fairshift_deviation" in out


def test_cli_rota_breaking_a_hard_rule_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """Bo primary and secondary in one week: exit 1, and the overlap rule is named."""
    feeds = ["--ics", f"{DATA / 'primary-rrule.ics'}:primary"]
    feeds += ["--ics", f"{DATA / 'secondary-overlap.ics'}:secondary"]
    code = run_score([str(TEAM), *feeds, "--time-limit", "20"])
    out = capsys.readouterr().out
    assert code == 1
    assert "hard rules: 1 violation(s) of 1 rule(s)" in out
    assert "overlap: Nobody holds two seats on call at the same time (1)" in out
    assert "[overlap] week-002 bo" in out


def test_cli_unknown_engineer_stops_unless_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 naming the event and the fix; --skip-unknown scores and lists the event."""
    argv = [str(TEAM), "--ics", f"{DATA / 'unknown-attendee.ics'}:primary"]
    argv += ["--ics", str(DATA / "secondary.ics"), "--time-limit", "20"]
    assert run_score(argv) == 2
    err = capsys.readouterr().err
    assert "unknown-attendee.ics" in err and "Jordan Lee" in err
    assert "[[engineers]]" in err and "--skip-unknown" in err
    assert run_score([*argv, "--skip-unknown"]) == 1  # week 6 has no primary
    out = capsys.readouterr().out
    assert "1 event(s) not scored:" in out and "Jordan Lee" in out
    assert "[coverage] week-006: the primary shift is unfilled" in out


def test_cli_scores_schedule_csv_and_plan_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``score SCENARIO schedule.csv`` is check plus fairness; a plan directory works too."""
    s = fs.Scenario.from_toml(TEAM)
    fs.round_robin(s).write_tables(tmp_path)
    for target in (tmp_path / "schedule.csv", tmp_path):
        assert run_score([str(TEAM), str(target), "--time-limit", "20", "--seed", "3"]) == 0
        out = capsys.readouterr().out
        assert "every hard rule holds" in out and "(seed 3)" in out


def test_cli_plan_directory_feeds_of_a_pattern_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A [[shifts]] example: the plan's own seat feed scores with no violation."""
    s = fs.Scenario.from_toml(ROOT / "examples" / "weekly-standby.toml").with_horizon(weeks=8)
    path = tmp_path / "standby.toml"
    path.write_text(s.to_toml())
    fs.write_feeds(fs.solve(s, time_limit=20), tmp_path / "calendars")
    feed = tmp_path / "calendars" / "weekly-standby.ics"
    assert run_score([str(path), "--ics", str(feed), "--time-limit", "20"]) == 0
    out = capsys.readouterr().out
    assert "seats weekly.standby" in out and "every hard rule holds (8 shifts)" in out


@pytest.mark.parametrize(
    ("feed", "words"),
    [
        ("missing.ics", ["no such feed", "missing.ics", "check the path"]),
        ("not-a-calendar.ics", ["not an iCalendar feed", "give the .ics file"]),
        ("floating.ics", ["floating time", "X-WR-TIMEZONE:America/Los_Angeles"]),
        ("unknown-tzid.ics", ["'Pacific/Atlantis'", "IANA zone names"]),
        ("wrong-zone.ics:primary", ["start 3 hours before", "time zone looks wrong", "TZID"]),
        ("no-seat.ics", ["no event names its seat", "--ics", "no-seat.ics:primary"]),
        ("last-year.ics", ["none of its 8 event(s) falls in the scenario's horizon"]),
        ("secondary.ics:weekly", ["'weekly' has 2 seats", "weekly.primary"]),
        ("secondary.ics:tertiary", ["'tertiary' is not a seat", "use one of"]),
    ],
)
def test_cli_bad_feed_exits_2_naming_file_and_fix(
    feed: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each unreadable or misplaced feed: exit 2, one message naming the file and the fix."""
    assert run_score([str(TEAM), "--ics", str(DATA / feed), "--time-limit", "20"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fairshift: error: ") and "Traceback" not in err
    assert feed.split(":")[0] in err
    for word in words:
        assert word in err


def test_cli_binary_feed_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Binary garbage is not a feed: exit 2 naming the file."""
    garbage = tmp_path / "garbage.ics"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert run_score([str(TEAM), "--ics", f"{garbage}:primary"]) == 2
    err = capsys.readouterr().err
    assert "garbage.ics" in err and "not an iCalendar feed" in err


def test_cli_needs_one_rota(capsys: pytest.CaptureFixture[str]) -> None:
    """Neither a schedule nor feeds, or both: exit 2 with an example of each."""
    assert run_score([str(TEAM)]) == 2
    assert "given no rota" in capsys.readouterr().err
    assert run_score([str(TEAM), "x.csv", "--ics", "x.ics"]) == 2
    assert "both a schedule CSV and --ics feeds" in capsys.readouterr().err


def test_feed_argument_splits_at_last_colon_before_a_seat(tmp_path: Path) -> None:
    """``FEED:SEAT`` splits at the last colon unless what follows is a path."""
    assert feed_argument("a/b.ics:weekly.primary") == ("a/b.ics", "weekly.primary")
    assert feed_argument("a:b/c.ics") == ("a:b/c.ics", None)
    assert feed_argument("plain.ics") == ("plain.ics", None)
    odd = tmp_path / "odd:name"
    odd.write_text("")
    assert feed_argument(str(odd)) == (str(odd), None)
    with pytest.raises(argparse.ArgumentTypeError):
        feed_argument("")


# -- the Python API ----------------------------------------------------------------------------


def test_score_is_plain_data(team: fs.Scenario) -> None:
    """score() returns violations, fairness, the plan and the comparison as data."""
    rota = read_feeds(team, [(DATA / "primary-rrule.ics", None), (DATA / "secondary.ics", None)])
    result = score(team, rota.schedule, time_limit=20)
    assert not result.breaks_hard_rule and result.by_rule() == {}
    assert isinstance(result.planned, fs.Schedule)
    assert result.comparison.index.tolist() == [ROTA, "fairshift"]
    assert result.comparison.loc[ROTA, "violations"] == 0
    table = result.per_engineer()
    assert table["engineer"].tolist() == list(team.handles)
    assert {"deviation", "fairshift_deviation"} <= set(table.columns)


def test_score_without_time_to_plan_still_scores(team: fs.Scenario) -> None:
    """A deadline already passed: the rota is scored and the plan's row says why it is missing."""
    rota = read_ics(team, DATA / "secondary-overlap.ics", "secondary")
    result = score(team, rota.schedule, deadline=Deadline(time.perf_counter()))
    assert isinstance(result.planned, fs.NoSolutionFoundError)
    assert {v.rule for v in result.violations} == {"coverage"}  # no primary was read
    assert "no time was left" in result.summary()
