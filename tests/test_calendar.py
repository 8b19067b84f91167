"""Calendar expansion: weekly slots, DST, the noon rule, month-end windows."""

from __future__ import annotations

import datetime as dt

import fairshift as fs
from conftest import engineer, scenario


def test_weekly_slots_follow_handoff_and_cover_seven_dates() -> None:
    """Week k runs start+7k at the handoff to start+7(k+1) and covers 7 dates."""
    cal = fs.expand(scenario(weeks=3))
    assert [w.id for w in cal.weeks] == ["week-001", "week-002", "week-003"]
    first = cal.weeks[0]
    assert first.start.isoformat() == "2027-04-19T09:00:00-07:00"
    assert first.end.isoformat() == "2027-04-26T09:00:00-07:00"
    assert first.dates == tuple(dt.date(2027, 4, 19) + dt.timedelta(days=i) for i in range(7))


def test_afternoon_handoff_shifts_covered_dates_by_one() -> None:
    """With a 13:00 handoff, the handoff day's noon belongs to the previous week."""
    s = scenario(weeks=1).replace(
        rotation=fs.Rotation("R", dt.date(2027, 4, 19), 1, handoff="13:00", timezone="UTC")
    )
    week = fs.expand(s).weeks[0]
    assert week.dates[0] == dt.date(2027, 4, 20)
    assert len(week.dates) == 7


def test_dst_weeks_last_167_and_169_hours() -> None:
    """A week across the spring change is 167 h, across the autumn change 169 h."""
    s = scenario(weeks=52, start=dt.date(2027, 1, 4))
    hours = {w.start.date(): w.hours for w in fs.expand(s).weeks}
    assert hours[dt.date(2027, 3, 8)] == 167.0  # DST starts 2027-03-14
    assert hours[dt.date(2027, 11, 1)] == 169.0  # DST ends 2027-11-07
    assert sum(1 for h in hours.values() if h == 168.0) == 50


def test_month_end_window_is_last_business_days_excluding_holidays() -> None:
    """December 2027: the last 3 US business days skip Christmas (observed Fri 24th)."""
    s = scenario(weeks=52, start=dt.date(2027, 1, 4), month_end_days=3)
    slots = {m.id: m for m in fs.expand(s).month_ends}
    december = slots["month-end-2027-12"]
    # Fri 31 Dec is New Year's Day (observed) in the US calendar; business days are
    # Tue 28, Wed 29, Thu 30.
    assert december.dates == (dt.date(2027, 12, 28), dt.date(2027, 12, 29), dt.date(2027, 12, 30))
    assert december.start.isoformat() == "2027-12-28T00:00:00-08:00"
    # January 2027 ends on a Sunday: the last 3 business days are Wed 27 to Fri 29.
    january = slots["month-end-2027-01"]
    assert january.dates == (dt.date(2027, 1, 27), dt.date(2027, 1, 28), dt.date(2027, 1, 29))


def test_month_end_window_spanning_a_weekend_covers_it() -> None:
    """A window Thu..Mon covers the weekend dates too (5 dates)."""
    s = scenario(weeks=52, start=dt.date(2027, 1, 4), month_end_days=3)
    slots = {m.id: m for m in fs.expand(s).month_ends}
    may = slots["month-end-2027-05"]  # Memorial Day Mon 31 May: business days 26, 27, 28
    assert may.dates == (dt.date(2027, 5, 26), dt.date(2027, 5, 27), dt.date(2027, 5, 28))
    august = slots["month-end-2027-08"]  # Fri 27, then Mon 30 and Tue 31
    assert august.dates[0] == dt.date(2027, 8, 27)
    assert len(august.dates) == 5


def test_only_windows_wholly_inside_the_horizon_count() -> None:
    """A horizon ending mid-window drops that month's window."""
    # From Thu 21 Jan, one week ends Thu 28 Jan 09:00, inside the 27-29 Jan window.
    s = scenario(weeks=1, start=dt.date(2027, 1, 21), month_end_days=3)
    assert fs.expand(s).month_ends == ()
    s = scenario(weeks=2, start=dt.date(2027, 1, 21), month_end_days=3)
    assert [m.id for m in fs.expand(s).month_ends] == ["month-end-2027-01"]


def test_leave_blocks_overlapping_weeks_in_own_time_zone() -> None:
    """Leave dates are whole days in the engineer's zone; overlap blocks the slot."""
    berlin = engineer(
        "eva",
        leave=(fs.Leave(dt.date(2027, 4, 26), dt.date(2027, 4, 26)),),
        timezone="Europe/Berlin",
    )
    s = scenario((engineer("ana", "senior"), engineer("bo"), berlin), weeks=2)
    cal = fs.expand(s)
    # Berlin midnight of 26 April is 15:00 on the 25th in Los Angeles: inside week 1.
    assert cal.blocked(berlin, cal.weeks[0]) is not None
    assert cal.blocked(berlin, cal.weeks[1]) is not None
    assert cal.available_weeks(berlin) == 0
