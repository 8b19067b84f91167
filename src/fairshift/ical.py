"""Calendar feeds (RFC 5545) that engineers subscribe to, and that stay right after a re-plan.

A plan writes, into one directory:

- ``<handle>.ics``: one engineer's own shifts (and handoff meetings), in their time zone;
- ``team.ics``: every shift of everyone;
- one feed per seat whose event SUMMARY is exactly the holder's handle, for incident tools
  that import iCal schedules by username: ``<shift>-<seat>.ics`` (the default shape's are
  ``primary.ics``, ``secondary.ics`` and ``month-end.ics``);
- ``.state.json``: the sequence number, content digest and last change of every event, so
  that the next plan bumps SEQUENCE and LAST-MODIFIED of the events it changes, and only those.

Subscription correctness, in short: every time carries a TZID whose VTIMEZONE is generated
here with yearly RRULEs (clients such as ical.js misread the RDATE lists other generators
write); UIDs depend on the rotation, the slot's start in UTC and the role, never on who holds
the shift; DTSTAMP and LAST-MODIFIED come from the inputs, never from the clock, so the same
inputs give byte-identical files. Each on-call interval is one event (a two-week block of
09:00-17:00 is fourteen events, not one fortnight-long event), and every event says who is
called, in the order of the pattern's escalation.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import datetime as dt
import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from .calendar import Duty, local, unavailable_interval
from .errors import FeedError
from .feedstate import (
    STAMP_FORMAT,
    STATE_FILE,
    STATE_FORMAT,
    Mark,
    parse_stamp,
    parse_state,
    read_state,
)
from .icstext import EventText, event_text
from .io import write_atomic
from .roster import Assignment, Roster
from .rules import RowContext
from .team import Engineer
from .turns import Interval, utc
from .vtimezone import vtimezone

#: Product identifier written into every feed.
PRODID = "-//fairshift//on-call calendar feeds//EN"
#: File of the feeds shared by the whole team.
TEAM_FEED = "team.ics"

_HANDOFF = "handoff"
# Names a personal feed must not take: the shared feeds, and device names Windows reserves.
_RESERVED = frozenset(
    {"team", "primary", "secondary", "month-end", "con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = tuple(_calendar.month_name)[1:]
# Characters RFC 5545 text may not hold (C0/C1 controls) or that XML, which CalDAV wraps
# calendar data in, cannot carry (surrogates, U+FFFE, U+FFFF).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")


# -- text and names ------------------------------------------------------------------------


def clean_text(text: str, *, multiline: bool = False) -> str:
    r"""Make text safe for an iCalendar TEXT value.

    Control characters are removed, tabs become spaces and every kind of line break
    becomes ``"\n"`` (or a space, for single-line values such as SUMMARY). Commas,
    semicolons and backslashes are kept: the writer escapes them.

    Parameters
    ----------
    text
        Any text, e.g. an engineer's name.
    multiline
        Keep line breaks (DESCRIPTION) instead of turning them into spaces.

    Returns
    -------
    str
        The cleaned text.

    Examples
    --------
    >>> clean_text("Zoë\x07 O'Neil;\nops")
    "Zoë O'Neil; ops"
    >>> clean_text("a\r\nb", multiline=True)
    'a\nb'
    """
    text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    text = _UNSAFE.sub("", text)
    return text if multiline else text.replace("\n", " ")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _safe_stem(handle: str) -> str:
    stem = re.sub(r"[^a-z0-9._-]+", "-", unicodedata.normalize("NFKC", handle).lower())
    # Runs of separators (``..`` included, which some tools read as "parent") become one.
    stem = re.sub(r"[._-]{2,}", "-", stem).strip("._-")[:60].rstrip("._-")
    if not stem:
        return "engineer"
    return f"{stem}-engineer" if stem in _RESERVED else stem


def feed_file_names(handles: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    r"""File names of the personal feeds: safe on every file system and distinct.

    A handle keeps its own name (``alex`` -> ``alex.ics``) unless it would leave the
    directory, clash with a shared feed (``team``, ``primary``, ``secondary``, a seat's
    feed), a device name Windows reserves, or another handle (ignoring case); then it gets a
    suffix.

    Parameters
    ----------
    handles
        Engineer handles; any text is accepted.
    reserved
        Further names taken by shared feeds (without ``.ics``).

    Returns
    -------
    dict
        ``{handle: file name}``; names match ``[a-z0-9][a-z0-9._-]*\.ics``. The result
        depends only on the set of handles, not their order.

    Examples
    --------
    >>> feed_file_names(["alex", "team", "../etc"])
    {'../etc': 'etc.ics', 'alex': 'alex.ics', 'team': 'team-engineer.ics'}
    """
    taken: set[str] = {name.casefold() for name in reserved}
    names: dict[str, str] = {}
    for handle in sorted(set(handles)):
        stem = _safe_stem(handle)
        candidate, n = stem, 1
        while candidate.casefold() in taken or candidate in _RESERVED:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        names[handle] = f"{candidate}.ics"
    return names


# -- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str
    description: str
    role: str
    engineer: str
    slot: str
    busy: bool
    rank: int = 0


@dataclass(frozen=True)
class _Feed:
    file: str
    name: str
    description: str
    zone: str
    events: tuple[_Event, ...]


def _stamp_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(STAMP_FORMAT)


def _when(moment: dt.datetime, zone: str) -> str:
    local_time = moment.astimezone(ZoneInfo(zone))
    return (
        f"{_DAYS[local_time.weekday()]} {local_time.day} {_MONTHS[local_time.month - 1][:3]} "
        f"{local_time.year} {local_time:%H:%M} {local_time.tzname()}"
    )


def _hours(start: dt.datetime, end: dt.datetime) -> str:
    return f"{(end - start).total_seconds() / 3600:g}"


class _Writer:
    """Everything the event texts need about one schedule."""

    def __init__(self, schedule: Roster) -> None:
        self.scenario = schedule.scenario
        self.rotation = schedule.scenario.rotation
        self.rows = RowContext(schedule.scenario, list(schedule.assignments))
        self.calendar = self.rows.calendar
        self.pattern = self.calendar.pattern
        self.default = schedule.scenario.default_shape
        self.engineers = {e.handle: e for e in schedule.scenario.engineers}
        self.order = {e.handle: i for i, e in enumerate(schedule.scenario.engineers)}
        self.rank = {seat_id: i for i, seat_id in enumerate(self.pattern.seat_ids)}
        name = clean_text(self.rotation.name).strip() or "on-call"
        self.rotation_name = name
        digest = hashlib.sha256(self.rotation.name.encode("utf-8", "replace")).hexdigest()[:8]
        self.uid_prefix = f"{_slug(self.rotation.name) or 'rotation'}-{digest}"
        # Every on-call stretch: (row, duty or None, start, end), in time order.
        self.stretches: list[tuple[Assignment, Duty | None, dt.datetime, dt.datetime]] = []
        for row, duty in self.rows.matched:
            if duty is None:
                self.stretches.append((row, None, row.start, row.end))
            else:
                for interval in duty.turn.intervals:
                    self.stretches.append((row, duty, interval.start, interval.end))
        self.stretches.sort(key=lambda s: (utc(s[2]), self._rank(s[0]), s[0].engineer))
        # For finding the stretches that overlap a moment without scanning them all.
        self._begins = [utc(s[2]) for s in self.stretches]
        self._finishes = [utc(s[3]) for s in self.stretches]
        self._longest = max(
            (b - a for a, b in zip(self._begins, self._finishes, strict=True)),
            default=dt.timedelta(0),
        )
        self._descriptions: dict[tuple[int, dt.datetime], str] = {}

    # -- people --

    def name(self, handle: str) -> str:
        if not handle:
            return "unfilled"
        engineer = self.engineers.get(handle)
        shown = clean_text(engineer.name).strip() if engineer else ""
        return shown or clean_text(handle).strip() or "unnamed"

    def contact(self, handle: str) -> str:
        if not handle:
            return "unfilled"
        engineer = self.engineers.get(handle)
        text = f"{self.name(handle)} ({clean_text(handle)})"
        if engineer is not None and engineer.email:
            text += f" <{clean_text(engineer.email)}>"
        return text

    def zone(self, handle: str) -> str:
        engineer = self.engineers.get(handle)
        return (engineer.timezone if engineer else None) or self.rotation.timezone

    # -- seats --

    def _shift(self, row: Assignment) -> str:
        return row.shift or self.rows.shift_of(row.seat) or ""

    def _rank(self, row: Assignment) -> int:
        return self.rank.get(f"{self._shift(row)}.{row.seat}", len(self.rank))

    def label(self, row: Assignment) -> str:
        """The seat as people say it: ``primary``, ``month-end``, ``p1 (day)``."""
        if self.default:
            return str(row.seat).replace("_", "-")
        shift = self._shift(row)
        try:
            kind = self.pattern.shift(shift)
        except KeyError:
            return str(row.seat)
        return shift if len(kind.seats) == 1 else f"{row.seat} ({shift})"

    def role(self, row: Assignment) -> str:
        """The event's category: the seat (``shift-seat`` outside the default shape)."""
        if self.default:
            return str(row.seat)
        return f"{self._shift(row)}-{row.seat}"

    def uid(self, role: str, start: dt.datetime, scope: str) -> str:
        return f"{self.uid_prefix}-{role.replace('_', '-')}-{_stamp_text(start)}-{scope}@fairshift"

    def overlapping(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterator[tuple[Assignment, Duty | None, dt.datetime, dt.datetime]]:
        """The stretches on call at some moment of ``[start, end)``, in time order."""
        start, end = utc(start), utc(end)
        first = bisect.bisect_left(self._begins, start - self._longest)
        last = bisect.bisect_left(self._begins, end)
        for i in range(first, last):
            if self._finishes[i] > start:
                yield self.stretches[i]

    def on_call(self, start: dt.datetime, end: dt.datetime) -> dict[str, list[str]]:
        """Holders on call at some moment of ``[start, end)``, per seat id."""
        found: dict[str, list[str]] = {}
        for row, _duty, _begin, _finish in self.overlapping(start, end):
            if row.engineer:
                seat_id = f"{self._shift(row)}.{row.seat}"
                holders = found.setdefault(seat_id, [])
                if row.engineer not in holders:
                    holders.append(row.engineer)
        return found

    def senior_off_duty(self, start: dt.datetime, end: dt.datetime) -> str:
        """The most senior engineer who is not on call then and is neither away nor gone."""
        busy = {h for holders in self.on_call(start, end).values() for h in holders}
        span = Interval(start, end)
        free: list[Engineer] = [
            e
            for e in self.scenario.engineers
            if e.handle not in busy
            and not any(
                span.overlaps(*unavailable_interval(e, p.start, p.end, self.zone(e.handle)))
                for p in e.leave
            )
            and not (
                e.joined and utc(start) < utc(local(e.joined, dt.time(0), self.zone(e.handle)))
            )
            and not (
                e.left
                and utc(end)
                > utc(local(e.left + dt.timedelta(days=1), dt.time(0), self.zone(e.handle)))
            )
        ]
        if not free:
            return ""
        return min(free, key=lambda e: (-e.seniority, self.order[e.handle])).handle

    def pipelines(self, row: Assignment) -> list[str]:
        names: tuple[str, ...] = ()
        shift = self._shift(row)
        if shift:
            try:
                names = self.pattern.shift(shift).seat(str(row.seat)).pipelines
            except KeyError:
                names = ()
        chosen = [
            p for p in self.scenario.pipelines if not names or "*" in names or p.name in names
        ]
        lines = []
        for pipeline in chosen:
            runbook, sla = clean_text(pipeline.runbook).strip(), clean_text(pipeline.sla).strip()
            facts = ["investor-facing"] if pipeline.investor_facing else []
            facts += [f"runbook {runbook}"] if runbook else []
            facts += [f"SLA {sla}"] if sla else []
            facts += [f"owner {self.name(pipeline.owner)}"] if pipeline.owner else []
            facts += [f"backup {self.name(pipeline.backup_owner)}"] if pipeline.backup_owner else []
            text = f"- {clean_text(pipeline.name).strip() or 'unnamed pipeline'}"
            lines.append(f"{text}: {'; '.join(facts)}" if facts else text)
        return ["Pipelines covered:", *lines] if lines else []

    def escalation(self, row: Assignment, start: dt.datetime, end: dt.datetime) -> str:
        """Who is called, in order, while this stretch is on call."""
        holders = self.on_call(start, end)
        steps: list[str] = []
        order = self.pattern.escalation.order
        if not order:
            # Default: this seat when it runs beside the others (month-end), every seat of
            # the shift types that do not, then the most senior engineer off duty.
            shift = self._shift(row)
            kind = (
                self.pattern.shift(shift)
                if shift in {s.name for s in self.pattern.shifts}
                else None
            )
            mine = f"{shift}.{row.seat}"
            first = [mine] if kind is not None and kind.may_overlap else []
            rest = [
                f"{s.name}.{x.name}"
                for s in self.pattern.shifts
                if not s.may_overlap
                for x in s.seats
            ]
            order = (*first, *rest, "senior")
        for entry in order:
            if entry == "senior":
                senior = self.senior_off_duty(start, end)
                if senior:
                    steps.append(f"{self.contact(senior)}, the most senior engineer not on call")
            elif entry == "manager":
                manager = self.pattern.escalation.manager
                if manager is not None:
                    email = f" <{clean_text(manager.email)}>" if manager.email else ""
                    steps.append(f"manager {clean_text(manager.name)}{email}")
            else:
                shift, seat = self.pattern.resolve(entry, "escalation.order")
                names = holders.get(f"{shift}.{seat}", [])
                if names:
                    label = seat.replace("_", "-") if self.default else entry
                    steps.append(f"{label} " + " / ".join(self.contact(h) for h in names))
        return "; ".join(f"{i}. {step}" for i, step in enumerate(steps, 1))

    def description(
        self, row: Assignment, duty: Duty | None, start: dt.datetime, end: dt.datetime
    ) -> str:
        key = (id(row), start)
        if key not in self._descriptions:
            self._descriptions[key] = self._describe(row, duty, start, end)
        return self._descriptions[key]

    def _describe(
        self, row: Assignment, duty: Duty | None, start: dt.datetime, end: dt.datetime
    ) -> str:
        holder = row.engineer
        label = self.label(row)
        zone = self.zone(holder)
        who = self.contact(holder) if holder else "Nobody (unfilled)"
        shift = self._shift(row)
        month_end = shift in {s.name for s in self.pattern.shifts if s.month_end}
        if month_end:
            lines = [f"{who} holds the {label} shift of {self.rotation_name} ({row.slot})."]
        else:
            lines = [f"{who} is {label} on call for {self.rotation_name} ({row.slot})."]
        period = f"{_when(start, zone)} to {_when(end, zone)} ({zone})"
        lines.append(f"Period: {period}, {_hours(start, end)} hours.")
        if month_end:
            month = start.astimezone(ZoneInfo(self.rotation.timezone))
            investor = [
                clean_text(p.name).strip() or "unnamed pipeline"
                for p in self.scenario.pipelines
                if p.investor_facing
            ]
            due = f"Investor reporting is due: the close of {_MONTHS[month.month - 1]} {month.year}"
            lines.append(
                f"{due} feeds the investor-facing pipelines {', '.join(investor)}."
                if investor
                else f"{due}."
            )
            turns: dict[str, dict[str, str]] = {}
            for other, other_duty, _begin, _finish in self.overlapping(start, end):
                kind = self.pattern.shift(self._shift(other)) if other_duty else None
                if kind is None or kind.may_overlap:
                    continue
                turns.setdefault(other.slot, {})[str(other.seat)] = other.engineer
            for turn, seats in sorted(turns.items()):
                listed = ", ".join(
                    f"{seat.replace('_', '-')} {self.contact(h)}" for seat, h in seats.items()
                )
                lines.append(f"{'Weekly on' if self.default else 'On'} call in {turn}: {listed}.")
        elif duty is not None:
            held = {d.position: r.engineer for r, d in self.rows.matched if d is not None}
            for partner in self.calendar.duties_of(duty.shift):
                if partner.index != duty.index or partner.seat == duty.seat:
                    continue
                seat = partner.seat.replace("_", "-") if self.default else partner.seat
                lines.append(
                    f"{seat.capitalize()}: {self.contact(held.get(partner.position, ''))}."
                )
        lines.append(f"Escalation: {self.escalation(row, start, end)}.")
        manager = self.pattern.escalation.manager
        if manager is not None and "manager" not in self.pattern.escalation.order:
            lines.append(f"Manager: {clean_text(manager.name)}.")
        lines += self.pipelines(row)
        return "\n".join(lines)

    def shift(
        self,
        row: Assignment,
        duty: Duty | None,
        start: dt.datetime,
        end: dt.datetime,
        scope: str,
        zone: str,
        summary: str,
    ) -> _Event:
        tz = ZoneInfo(zone)
        return _Event(
            uid=self.uid(self.role(row), start, scope),
            start=start.astimezone(tz),
            end=end.astimezone(tz),
            summary=summary,
            description=self.description(row, duty, start, end),
            role=self.role(row),
            engineer=row.engineer,
            slot=row.slot,
            busy=False,
            rank=self._rank(row),
        )

    def handoffs(self) -> list[tuple[Assignment, Assignment]]:
        """(outgoing, incoming) holder of the lead seat where it changes hands between turns.

        The lead seat is the first seat of the first shift type that does not run beside the
        others: for the default shape, the primary.
        """
        lead = next(
            (f"{s.name}.{s.seats[0].name}" for s in self.pattern.shifts if not s.may_overlap),
            None,
        )
        held = sorted(
            (
                (duty, row)
                for row, duty in self.rows.matched
                if duty is not None and duty.seat_id == lead
            ),
            key=lambda pair: pair[0].position,
        )
        return [
            (before, after)
            for (first, before), (second, after) in itertools.pairwise(held)
            if second.index == first.index + 1
            and utc(first.end) == utc(second.start)
            and before.engineer
            and after.engineer
            and before.engineer != after.engineer
        ]

    def handoff(self, outgoing: Assignment, incoming: Assignment, scope: str, zone: str) -> _Event:
        tz = ZoneInfo(zone)
        start = incoming.start.astimezone(tz)
        minutes = self.scenario.calendar.handoff_meeting_minutes
        old, new = self.name(outgoing.engineer), self.name(incoming.engineer)
        description = "\n".join(
            [
                f"Handoff of {self.rotation_name}: {self.contact(outgoing.engineer)} "
                f"hands {self.label(incoming)} on-call over to {self.contact(incoming.engineer)}.",
                f"When: {_when(start, zone)} ({zone}), {minutes} minutes.",
                "Go through open incidents, pipeline health and what is due this turn.",
            ]
        )
        return _Event(
            uid=self.uid(_HANDOFF, start, scope),
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            summary=f"Handoff: {old} → {new}",
            description=description,
            role=_HANDOFF,
            engineer=incoming.engineer,
            slot=incoming.slot,
            busy=True,
            rank=len(self.rank) + 1,
        )

    def seat_feeds(self) -> dict[str, str]:
        """Seat id -> file of its feed (``<shift>-<seat>.ics``; the default shape's by seat)."""
        files = {}
        for seat_id in self.pattern.seat_ids:
            shift, seat = seat_id.split(".", 1)
            if self.default:
                files[seat_id] = f"{seat.replace('_', '-')}.ics"
            else:
                files[seat_id] = f"{_safe_stem(f'{shift}-{seat}')}.ics"
        return files

    def feeds(self) -> list[_Feed]:
        rotation_zone = self.rotation.timezone
        meetings = self.handoffs() if self.scenario.calendar.handoff_meeting else []
        feeds: list[_Feed] = []
        seat_files = self.seat_feeds()
        files = feed_file_names(self.engineers, reserved=[f[:-4] for f in seat_files.values()])
        for engineer in self.scenario.engineers:
            zone = self.zone(engineer.handle)
            label = f"{self.rotation_name}: {self.name(engineer.handle)}"
            events = [
                self.shift(
                    row,
                    duty,
                    start,
                    end,
                    "own",
                    zone,
                    f"On call: {self.label(row)} — {self.rotation_name}",
                )
                for row, duty, start, end in self.stretches
                if row.engineer == engineer.handle
            ]
            events += [
                self.handoff(old, new, "own", zone)
                for old, new in meetings
                if engineer.handle in (old.engineer, new.engineer)
            ]
            feeds.append(
                _Feed(
                    files[engineer.handle],
                    label,
                    f"On-call shifts of {self.name(engineer.handle)} in {self.rotation_name}.",
                    zone,
                    _sorted(events),
                )
            )
        team = [
            self.shift(
                row,
                duty,
                start,
                end,
                "team",
                rotation_zone,
                f"{self.label(row)[:1].upper()}{self.label(row)[1:]}: {self.name(row.engineer)}",
            )
            for row, duty, start, end in self.stretches
        ]
        team += [self.handoff(old, new, "team", rotation_zone) for old, new in meetings]
        feeds.append(
            _Feed(
                TEAM_FEED,
                self.rotation_name,
                f"Every on-call shift of {self.rotation_name}.",
                rotation_zone,
                _sorted(team),
            )
        )
        for seat_id, file in seat_files.items():
            shift, seat = seat_id.split(".", 1)
            events = [
                self.shift(row, duty, start, end, "role", rotation_zone, clean_text(row.engineer))
                for row, duty, start, end in self.stretches
                if row.engineer and self._shift(row) == shift and row.seat == seat
            ]
            shown = seat.replace("_", "-") if self.default else seat_id
            feeds.append(
                _Feed(
                    file,
                    f"{self.rotation_name}: {shown}",
                    f"{shown[:1].upper()}{shown[1:]} on-call of {self.rotation_name}; "
                    "each event's title is the holder's handle.",
                    rotation_zone,
                    _sorted(events),
                )
            )
        return feeds


def _sorted(events: Iterable[_Event]) -> tuple[_Event, ...]:
    return tuple(sorted(events, key=lambda e: (utc(e.start), e.rank, e.uid)))


# -- rendering -----------------------------------------------------------------------------


def _text(event: _Event) -> EventText:
    """What ``event`` says, cleaned of control characters, for :func:`event_text`."""
    return EventText(
        uid=event.uid,
        start=event.start,
        end=event.end,
        summary=clean_text(event.summary),
        description=clean_text(event.description, multiline=True),
        category=event.role.replace("_", "-"),
        busy=event.busy,
        role=event.role,
        engineer=clean_text(event.engineer),
        slot=clean_text(event.slot),
    )


def _vevent(event: _Event, mark: Mark | None) -> str:
    """The VEVENT of ``event`` with its state (``None``: bare, for its digest)."""
    if mark is None:
        return event_text(_text(event), None, None)
    return event_text(_text(event), parse_stamp(mark.modified, "state"), mark.sequence)


def _digest(event: _Event) -> str:
    return hashlib.sha256(_vevent(event, None).encode("utf-8")).hexdigest()[:20]


def _horizon(schedule: Roster, events: Iterable[_Event]) -> tuple[dt.datetime, dt.datetime]:
    rotation = schedule.scenario.rotation
    first = local(rotation.start, rotation.handoff, rotation.timezone)
    last = local(rotation.end_date, rotation.handoff, rotation.timezone)
    for event in events:
        first, last = min(first, event.start), max(last, event.end)
    return first, last


def _render(
    feed: _Feed,
    marks: Mapping[str, Mark],
    zones: Mapping[str, icalendar.Timezone],
    refresh: dt.timedelta,
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    # Explicit vText: icalendar escapes commas and semicolons only in properties it knows.
    cal.add("NAME", icalendar.vText(clean_text(feed.name)))
    cal.add("X-WR-CALNAME", icalendar.vText(clean_text(feed.name)))
    cal.add("X-WR-CALDESC", icalendar.vText(clean_text(feed.description)))
    cal.add("X-WR-TIMEZONE", feed.zone)
    cal.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", f"PT{int(refresh.total_seconds()) // 3600}H")
    for zone in sorted({feed.zone} | {str(e.start.tzinfo) for e in feed.events}):
        cal.add_component(zones[zone])
    head: bytes = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    events = "".join(_vevent(event, marks[event.uid]) for event in feed.events)
    return head[: -len(end)] + events.encode("utf-8") + end


def render_feeds(
    schedule: Roster,
    *,
    state: Mapping[str, Any] | None = None,
    stamp: dt.datetime | None = None,
) -> dict[str, bytes]:
    """Render every feed of a schedule, plus the state for the next re-plan.

    Parameters
    ----------
    schedule
        The plan.
    state
        The state written with the previous feeds (see :func:`read_state`); ``None`` for a
        first plan.
    stamp
        Time to record as LAST-MODIFIED for events that changed. By default it is derived
        from the inputs (the rotation's first handoff, or one second after the previous
        change), so that the same inputs always give the same bytes.

    Returns
    -------
    dict
        ``{file name: content}``, including :data:`STATE_FILE`.

    Raises
    ------
    FeedError
        If ``state`` is not a fairshift feed state.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = (fs.Engineer("ana", "Ana", "senior", "US"), fs.Engineer("bo", "Bo", "mid", "US"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 1), team)
    >>> week = fs.expand(scenario).weeks[0]
    >>> schedule = fs.Schedule(scenario, (
    ...     fs.Assignment(week.id, fs.Role.PRIMARY, week.start, week.end, "ana"),
    ...     fs.Assignment(week.id, fs.Role.SECONDARY, week.start, week.end, "bo")))
    >>> files = render_feeds(schedule)
    >>> sorted(files)  # doctest: +NORMALIZE_WHITESPACE
    ['.state.json', 'ana.ics', 'bo.ics', 'month-end.ics', 'primary.ics', 'secondary.ics',
     'team.ics']
    >>> b"SUMMARY:ana" in files["primary.ics"], files == render_feeds(schedule)
    (True, True)
    """
    writer = _Writer(schedule)
    feeds = writer.feeds()
    previous_stamp, previous_feeds, previous = parse_state(
        state or {"format": STATE_FORMAT}, "the feed state"
    )
    # A feed that a previous plan wrote (say, of an engineer who left the team) stays, empty,
    # so its subscribers see the shifts go instead of keeping stale ones.
    produced = {feed.file for feed in feeds}
    for file, name in sorted(previous_feeds.items()):
        if file not in produced:
            feeds.append(_Feed(file, name, name, schedule.scenario.rotation.timezone, ()))
    digests = {feed.file: {e.uid: _digest(e) for e in feed.events} for feed in feeds}
    changed = any(
        previous.get(file, {}).get(uid) is None
        or previous[file][uid].digest != digest
        or not previous[file][uid].present
        for file, events in digests.items()
        for uid, digest in events.items()
    )
    first, last = _horizon(schedule, (e for feed in feeds for e in feed.events))
    now = stamp if stamp is not None else first
    if previous_stamp is not None:
        now = max(now, previous_stamp + dt.timedelta(seconds=1)) if changed else previous_stamp
    now_text = _stamp_text(now)
    highest: dict[str, int] = {}
    for kept in previous.values():
        for uid, seen in kept.items():
            highest[uid] = max(highest.get(uid, -1), seen.sequence)
    marks_out: dict[str, dict[str, Mark]] = {}
    for feed in feeds:
        old = previous.get(feed.file, {})
        new: dict[str, Mark] = {}
        for uid, digest in digests[feed.file].items():
            mark = old.get(uid)
            if mark is not None and mark.present and mark.digest == digest:
                new[uid] = mark
            else:
                new[uid] = Mark(highest.get(uid, -1) + 1, digest, now_text)
        for uid, gone in old.items():
            if uid not in new:
                new[uid] = Mark(gone.sequence, gone.digest, gone.modified, present=False)
        marks_out[feed.file] = new
    zones = {
        zone: vtimezone(zone, first, last)
        for zone in sorted(
            {f.zone for f in feeds} | {str(e.start.tzinfo) for f in feeds for e in f.events}
        )
    }
    refresh = dt.timedelta(hours=schedule.scenario.calendar.refresh_hours)
    files = {feed.file: _render(feed, marks_out[feed.file], zones, refresh) for feed in feeds}
    state_out = {
        "format": STATE_FORMAT,
        "stamp": now_text,
        "feeds": {feed.file: clean_text(feed.name) for feed in feeds},
        "events": {
            file: {uid: mark.to_json() for uid, mark in sorted(marks.items())}
            for file, marks in sorted(marks_out.items())
        },
    }
    files[STATE_FILE] = (
        json.dumps(state_out, sort_keys=True, separators=(",", ":")) + "\n"
    ).encode("utf-8")
    return files


def write_feeds(
    schedule: Roster,
    directory: str | Path,
    *,
    previous: str | Path | None = None,
    stamp: dt.datetime | None = None,
) -> list[Path]:
    """Write the calendar feeds of a schedule into ``directory``, each file atomically.

    Parameters
    ----------
    schedule
        The plan.
    directory
        Where to write ``<handle>.ics``, ``team.ics``, ``primary.ics``, ``secondary.ics`` and
        the state file; created if needed.
    previous
        Directory of the feeds this plan replaces, whose state decides which events changed;
        defaults to ``directory`` itself.
    stamp
        See :func:`render_feeds`.

    Returns
    -------
    list of Path
        The feeds written, in file-name order (the state file is not listed).

    Raises
    ------
    FeedError
        If the earlier state cannot be read.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> import fairshift as fs
    >>> team = (fs.Engineer("ana", "Ana", "senior", "US"), fs.Engineer("bo", "Bo", "mid", "US"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 2), team)
    >>> weeks = fs.expand(scenario).weeks
    >>> schedule = fs.Schedule(scenario, tuple(
    ...     fs.Assignment(w.id, role, w.start, w.end, who)
    ...     for w, pair in zip(weeks, [("ana", "bo"), ("bo", "ana")])
    ...     for role, who in zip((fs.Role.PRIMARY, fs.Role.SECONDARY), pair)))
    >>> [p.name for p in write_feeds(schedule, tempfile.mkdtemp())]
    ['ana.ics', 'bo.ics', 'month-end.ics', 'primary.ics', 'secondary.ics', 'team.ics']
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise FeedError(f"{target} is a file; give a directory for the calendar feeds")
    state = read_state(target if previous is None else Path(previous))
    files = render_feeds(schedule, state=state, stamp=stamp)
    written = []
    for name, content in sorted(files.items()):
        write_atomic(target / name, content)
        if name != STATE_FILE:
            written.append(target / name)
    return written
