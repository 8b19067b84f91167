"""Patterns expand into turns, on-call intervals and covered dates, as the docs define them."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

import fairshift as fs
from conftest import EXAMPLE
from fairshift.calendar import expand
from fairshift.pattern import Pattern, Seat, ShiftType, default_pattern
from fairshift.times import DailyHours, DateWindow, Span
from fairshift.turns import expand_pattern

ZONE = "America/Los_Angeles"


def rotation(start: dt.date = dt.date(2027, 1, 4), weeks: int = 4) -> fs.Rotation:
    return fs.Rotation("Ops", start, weeks, timezone=ZONE)


def turns(shift: ShiftType, horizon: fs.Rotation) -> list:  # type: ignore[type-arg]
    return list(expand_pattern(Pattern((shift,)), horizon)[shift.name])


def test_the_default_pattern_gives_the_weeks_and_month_ends() -> None:
    """Today's shape as a pattern: one turn a week, month-end windows, same ids and dates."""
    scenario = fs.Scenario.from_toml(EXAMPLE)
    pattern = default_pattern(scenario)
    assert [s.name for s in pattern.shifts] == ["weekly", "month-end"]
    assert pattern.seat_ids == ("weekly.primary", "weekly.secondary", "month-end.month_end")
    calendar = expand(scenario)
    assert len(calendar.weeks) == 52 and len(calendar.month_ends) == 12
    week = calendar.weeks[9]
    assert week.id == "week-010"
    assert week.start.isoformat() == "2027-03-08T09:00:00-08:00"
    assert week.end.isoformat() == "2027-03-15T09:00:00-07:00"  # across the spring change
    assert week.hours == 167
    assert len(week.dates) == 7
    window = calendar.month_ends[0]
    assert window.id == "month-end-2027-01"
    assert window.dates == (dt.date(2027, 1, 27), dt.date(2027, 1, 28), dt.date(2027, 1, 29))


def test_two_week_blocks_of_business_hours_are_one_interval_a_day() -> None:
    """A 2-week 09-17 block on weekdays is 10 intervals, each a third of a day."""
    shift = ShiftType(
        "day",
        Span(14, "days"),
        (Seat("p1"),),
        hours=DailyHours(dt.time(9), dt.time(17)),
        days=frozenset(range(5)),
    )
    found = turns(shift, rotation(weeks=4))
    assert [t.id for t in found] == ["day-001", "day-002"]
    first = found[0]
    assert len(first.intervals) == 10
    assert all(i.hours == 8 for i in first.intervals)
    assert first.covered[0] == (dt.date(2027, 1, 4), Fraction(1, 3))
    assert sum(share for _, share in first.covered) == Fraction(10, 3)


def test_an_evening_shift_wraps_past_midnight_and_counts_on_its_start_date() -> None:
    """17:00-01:00 is one interval of 8 hours, covering the date it starts on."""
    shift = ShiftType(
        "evening",
        Span(1, "days"),
        (Seat("p1"),),
        first=dt.datetime(2027, 1, 4, 17, 0),
        hours=DailyHours(dt.time(17), dt.time(1)),
    )
    found = turns(shift, rotation(weeks=1))
    # The horizon runs from Monday 09:00 to the next Monday 09:00: turns start at 17:00 on
    # each of the seven days, and the last, Monday 17:00, would end after it.
    assert len(found) == 6
    assert found[0].intervals[0].start.isoformat() == "2027-01-04T17:00:00-08:00"
    assert found[0].intervals[0].end.isoformat() == "2027-01-05T01:00:00-08:00"
    assert found[0].covered == ((dt.date(2027, 1, 4), Fraction(1, 3)),)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2027, 3, 14), 7), (dt.date(2027, 11, 7), 9), (dt.date(2027, 6, 6), 8)],
)
def test_a_night_shift_on_a_dst_night_counts_its_real_hours(day: dt.date, hours: int) -> None:
    """01:00-09:00 lasts 7 hours when clocks spring forward and 9 when they fall back."""
    shift = ShiftType(
        "night",
        Span(1, "days"),
        (Seat("p1"),),
        first=dt.datetime.combine(day, dt.time(1)),
        hours=DailyHours(dt.time(1), dt.time(9)),
    )
    first = turns(shift, rotation(start=day - dt.timedelta(days=1), weeks=1))[0]
    assert first.intervals[0].hours == hours
    assert first.covered == ((day, Fraction(hours, 24)),)


def test_a_day_turn_across_a_dst_change_lasts_23_hours() -> None:
    """Turns are wall-clock: a one-day turn over the spring change is an hour short."""
    shift = ShiftType("daily", Span(1, "days"), (Seat("p1"),))
    found = turns(shift, rotation(start=dt.date(2027, 3, 8), weeks=1))
    lengths = [t.intervals[0].hours for t in found]
    assert lengths.count(23) == 1 and lengths.count(24) == 6


def test_length_cuts_each_turn() -> None:
    """A weekend on-call of 64 hours from Friday 17:00 ends Monday 09:00."""
    shift = ShiftType(
        "weekend",
        Span(7, "days"),
        (Seat("p1"),),
        first=dt.datetime(2027, 1, 8, 17, 0),
        length=Span(64, "hours"),
    )
    first = turns(shift, rotation(weeks=3))[0]
    assert first.intervals[0].end.isoformat() == "2027-01-11T09:00:00-08:00"
    assert first.dates == (dt.date(2027, 1, 9), dt.date(2027, 1, 10))


def test_active_windows_wrap_the_year_and_except_windows_skip_turns() -> None:
    """Daily turns only from Dec 20 to Jan 2, except Dec 25; skipped turns keep numbering."""
    shift = ShiftType(
        "season",
        Span(1, "days"),
        (Seat("p1"),),
        active=(DateWindow((12, 20), (1, 2)),),
        excluded=(DateWindow(dt.date(2027, 12, 25), dt.date(2027, 12, 25)),),
    )
    found = turns(shift, rotation(start=dt.date(2027, 12, 13), weeks=4))
    starts = [t.start.date() for t in found]
    assert starts[0] == dt.date(2027, 12, 20) and starts[-1] == dt.date(2028, 1, 2)
    assert dt.date(2027, 12, 25) not in starts
    assert len(found) == 13
    indices = [t.index for t in found]
    assert indices[4] + 2 == indices[5]  # Dec 24 then Dec 26: not consecutive


def test_days_without_hours_keep_turns_that_start_on_them_and_drop_empty_turns() -> None:
    """Weekday-only daily turns: a Saturday turn has no on-call interval, so it is no turn."""
    shift = ShiftType("weekday", Span(1, "days"), (Seat("p1"),), days=frozenset(range(5)))
    found = turns(shift, rotation(weeks=1))
    assert [t.start.weekday() for t in found] == [0, 1, 2, 3, 4]


def test_turns_that_stick_out_of_the_horizon_are_dropped() -> None:
    """A 2-week block starting in the horizon's last week is not a turn."""
    shift = ShiftType("block", Span(14, "days"), (Seat("p1"),))
    assert len(turns(shift, rotation(weeks=5))) == 2


def test_seat_ids_resolve_and_bad_ones_are_errors() -> None:
    """Seats are named shift.seat; a bare name works for a single-seat shift only."""
    pattern = default_pattern(fs.Scenario.from_toml(EXAMPLE))
    assert pattern.resolve("month-end", "x") == ("month-end", "month_end")
    assert pattern.resolve("weekly.secondary", "x") == ("weekly", "secondary")
    with pytest.raises(fs.ScenarioError, match="has 2 seats"):
        pattern.resolve("weekly", "rules.apart.seats")
    with pytest.raises(fs.ScenarioError, match="is not a seat"):
        pattern.resolve("weekly.tertiary", "rules.apart.seats")


def test_spans_and_windows_read_what_people_write() -> None:
    """Lengths, daily windows and dated windows parse, and bad ones say how to write them."""
    assert Span.parse("2 weeks", "every") == Span(14, "days")
    assert Span.parse("8 hours", "length", hours=True) == Span(8, "hours")
    with pytest.raises(fs.ScenarioError, match="every"):
        Span.parse("fortnightly", "every")
    with pytest.raises(fs.ScenarioError, match="in hours"):
        Span.parse("8 hours", "every")
    assert DailyHours.parse("17:00-01:00", "hours").wraps
    with pytest.raises(fs.ScenarioError, match="daily window"):
        DailyHours.parse("9 to 5", "hours")
    window = DateWindow.parse({"from": "12-24", "to": "12-26"}, "dates")
    assert window.contains(dt.date(2030, 12, 25)) and not window.contains(dt.date(2030, 12, 27))
    with pytest.raises(fs.ScenarioError, match="not a day"):
        DateWindow.parse({"from": "13-40", "to": "12-26"}, "dates")
