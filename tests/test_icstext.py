"""Events written as text are the bytes icalendar writes for the same event."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairshift.icstext import EventText, event_text

ZONES = ("UTC", "Etc/UTC", "Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Etc/GMT+5")


def oracle(event: EventText, stamp: dt.datetime | None, sequence: int | None) -> str:
    """The same event built with icalendar's object model."""
    vevent = icalendar.Event()
    vevent.add("UID", event.uid)
    if stamp is not None:
        vevent.add("DTSTAMP", stamp)
        vevent.add("LAST-MODIFIED", stamp)
        vevent.add("SEQUENCE", sequence)
    vevent.add("DTSTART", event.start)
    vevent.add("DTEND", event.end)
    vevent.add("SUMMARY", event.summary)
    vevent.add("DESCRIPTION", event.description)
    vevent.add("CATEGORIES", [event.category])
    vevent.add("TRANSP", "OPAQUE" if event.busy else "TRANSPARENT")
    vevent.add("STATUS", "CONFIRMED")
    vevent.add("X-FAIRSHIFT-ROLE", icalendar.vText(event.role))
    vevent.add("X-FAIRSHIFT-ENGINEER", icalendar.vText(event.engineer))
    vevent.add("X-FAIRSHIFT-SLOT", icalendar.vText(event.slot))
    text: str = vevent.to_ical().decode("utf-8")
    return text


#: Text with everything that needs escaping or careful folding: escapes at fold boundaries,
#: multi-byte characters, line breaks.
TEXT = st.text(alphabet=st.sampled_from([*"ab ,;:\\^\n\r", "é", "→", "🎉", "N"]), max_size=300)


@settings(max_examples=200, deadline=None)
@given(
    summary=TEXT,
    description=TEXT,
    engineer=TEXT,
    zone=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    marked=st.booleans(),
)
def test_event_text_is_what_icalendar_writes(
    summary: str, description: str, engineer: str, zone: str, hour: int, marked: bool
) -> None:
    """Any text, any zone, with or without state: the same bytes as icalendar."""
    start = dt.datetime(2027, 3, 28, hour, 30, tzinfo=ZoneInfo(zone))
    event = EventText(
        uid=f"ops-1234abcd-day-p1-{hour:02d}-role@fairshift",
        start=start,
        end=start + dt.timedelta(hours=8),
        summary=summary,
        description=description,
        category="day-p1",
        busy=hour % 2 == 0,
        role="day-p1",
        engineer=engineer,
        slot="day-001",
    )
    stamp = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC) if marked else None
    sequence = 3 if marked else None
    assert event_text(event, stamp, sequence) == oracle(event, stamp, sequence)


@pytest.mark.parametrize("length", range(55, 160))
def test_lines_fold_where_icalendar_folds_them(length: int) -> None:
    """Descriptions around and across the 75-octet limit, with escapes and wide characters."""
    start = dt.datetime(2027, 1, 4, 9, tzinfo=ZoneInfo("Europe/London"))
    for body in ("a" * length, ("ab\\," * length)[:length], ("é→a" * length)[:length]):
        event = EventText(
            "uid@fairshift", start, start, body, body, "primary", False, "primary", "ana", "w-1"
        )
        assert event_text(event, None, None) == oracle(event, None, None)
        assert all(len(line.encode()) <= 75 for line in event_text(event, None, None).split("\r\n"))
