"""The text of one VEVENT, written directly as RFC 5545 content lines.

A follow-the-sun plan has thousands of on-call intervals, each an event in three feeds, and
building an :class:`icalendar.Event` per event took most of the time a plan spends writing its
files. This module writes the same bytes directly: the properties in icalendar's canonical
order, TEXT values escaped as icalendar escapes them, lines folded at 75 octets as icalendar
folds them. The suite checks it byte for byte against icalendar on the feeds of every shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import icalendar

#: Octets per line before a fold (RFC 5545 section 3.1), as icalendar counts them.
_FOLD_AT = 75
#: Characters a fold never separates from the character after them (icalendar keeps TEXT and
#: parameter escapes whole).
_ESCAPES = "\\^"


@dataclass(frozen=True)
class EventText:
    """What one event says; :func:`event_text` writes it."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    description: str
    category: str
    busy: bool
    role: str
    engineer: str
    slot: str


def escape(text: str) -> str:
    r"""A TEXT value escaped as RFC 5545 (and icalendar) escapes it.

    Examples
    --------
    >>> escape("a, b; c\\d\nnext")
    'a\\, b\\; c\\\\d\\nnext'
    """
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character or after an escape.

    Examples
    --------
    >>> fold("X:" + "a" * 80).split(chr(13) + chr(10) + " ")[1]
    'aaaaaaaa'
    """
    if line.isascii():
        if len(line) < _FOLD_AT:
            return line
        parts = []
        start = 0
        while len(line) - start >= _FOLD_AT:
            end = start + _FOLD_AT - 1
            if end - start > 1 and line[end - 1] in _ESCAPES:
                end -= 1
            parts.append(line[start:end])
            start = end
        parts.append(line[start:])
        return "\r\n ".join(parts)
    parts = []
    current: list[str] = []
    octets = 0
    for char in line:
        size = len(char.encode("utf-8"))
        if current and octets + size >= _FOLD_AT:
            if len(current) > 1 and current[-1] in _ESCAPES:
                kept = current.pop()
                parts.append("".join(current))
                current, octets = [kept], len(kept.encode("utf-8"))
            else:
                parts.append("".join(current))
                current, octets = [], 0
        current.append(char)
        octets += size
    if current:
        parts.append("".join(current))
    return "\r\n ".join(parts)


#: Per time zone: whether a date-time of that zone is written as ``;TZID=zone:local`` (or,
#: for UTC, ``:utcZ``) exactly as icalendar writes it; checked once per zone.
_PLAIN_ZONES: dict[str, bool] = {}


def time_line(name: str, moment: dt.datetime) -> str:
    """``DTSTART;TZID=Europe/London:20270105T090000`` (``...:20270105T090000Z`` for UTC)."""
    zone = str(moment.tzinfo)
    plain = _PLAIN_ZONES.get(zone)
    if plain is None:
        plain = _PLAIN_ZONES[zone] = _plain_time_line(name, moment) == _icalendar_line(name, moment)
    if not plain:
        return _icalendar_line(name, moment)
    return _plain_time_line(name, moment)


def _plain_time_line(name: str, moment: dt.datetime) -> str:
    if moment.utcoffset() == dt.timedelta(0) and str(moment.tzinfo) in ("UTC", "Etc/UTC"):
        return f"{name}:{moment:%Y%m%dT%H%M%S}Z"
    return f"{name};TZID={moment.tzinfo}:{moment:%Y%m%dT%H%M%S}"


def _icalendar_line(name: str, moment: dt.datetime) -> str:
    event = icalendar.Event()
    event.add(name, moment)
    text: str = event.to_ical().decode("utf-8")
    return text.split("\r\n")[1]


def event_text(event: EventText, stamp: dt.datetime | None, sequence: int | None) -> str:
    """The VEVENT of ``event``, from BEGIN to END, each line ending in CRLF.

    ``stamp`` (UTC) and ``sequence`` are the event's DTSTAMP/LAST-MODIFIED and SEQUENCE;
    without them the event is written bare (its digest in the feed state).
    """
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{escape(event.summary)}",
        time_line("DTSTART", event.start),
        time_line("DTEND", event.end),
    ]
    if stamp is not None:
        lines.append(time_line("DTSTAMP", stamp))
    lines.append(f"UID:{escape(event.uid)}")
    if sequence is not None:
        lines.append(f"SEQUENCE:{sequence}")
    lines += [
        f"CATEGORIES:{escape(event.category)}",
        f"DESCRIPTION:{escape(event.description)}",
    ]
    if stamp is not None:
        lines.append(time_line("LAST-MODIFIED", stamp))
    lines += [
        "STATUS:CONFIRMED",
        f"TRANSP:{'OPAQUE' if event.busy else 'TRANSPARENT'}",
        f"X-FAIRSHIFT-ENGINEER:{escape(event.engineer)}",
        f"X-FAIRSHIFT-ROLE:{escape(event.role)}",
        f"X-FAIRSHIFT-SLOT:{escape(event.slot)}",
        "END:VEVENT",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
