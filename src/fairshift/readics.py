"""Read a rota that already exists from iCalendar feeds, into a :class:`~fairshift.Schedule`.

Teams keep their rota in PagerDuty, Opsgenie, Grafana OnCall or a shared calendar, and each
of these publishes an iCalendar feed, usually one per schedule, that is, one per seat. This
module turns such feeds into the schedule they describe, so that it can be checked and scored
like any other (see :mod:`fairshift.score`). How:

- **Events.** Every VEVENT of the feed; recurring events are expanded over the scenario's
  horizon by ``recurring-ical-events`` (RRULE, RDATE, EXDATE and moved occurrences).
  All-day events (DATE values) span whole days, 00:00 to 00:00 in the rotation's zone.
  Reading and expanding a feed is :mod:`fairshift.icsfeed`'s job.
- **Engineer.** An event names an engineer by its SUMMARY (``alex``, ``Alex Chen``,
  ``alex.chen@example.com``, ``Primary: Alex Chen``, Grafana OnCall's ``[L1] alex``), failing
  that by an ATTENDEE (address or CN): a handle, a name, an e-mail address or a paging-tool id
  (``pagerduty``, ``opsgenie``, ``grafana``), without regard to case. fairshift's own feeds
  also carry ``X-FAIRSHIFT-ENGINEER``, which comes first (see :mod:`fairshift.icsnames`).
- **Seat.** The seat given for the feed (``primary``, ``weekly.primary``, ``month-end``; a
  seat name several shift types use stands for all of them, and time tells which); failing
  that, the seat the event names in its SUMMARY (``Primary: Alex Chen``) or CATEGORIES
  (``secondary``). A feed in which no event names a seat needs one given.
- **Duties.** A duty (one seat of one turn) is held by the engineer whose events cover most
  of its on-call time, provided the events together cover at least half of it; otherwise it
  is unfilled, which the ``coverage`` rule reports. So a swap for a day gives the turn to
  whoever did most of it, and an event that runs an hour past a handoff does not fill the
  next turn. Every duty not covered wholly by one engineer is listed in
  :attr:`Rota.partial` with who covered how many hours.
- **Not scored, never dropped.** Events that are cancelled, name nobody of the scenario (or
  several engineers), name no seat, or overlap no on-call time of their seat are listed in
  :attr:`Rota.unmatched` with the reason. Events wholly outside the horizon are not read.
- **Time zones.** A feed whose times cannot be placed is refused with a
  :class:`~fairshift.ScenarioError`: floating times (no TZID, no ``Z``) without an
  ``X-WR-TIMEZONE``, and a TZID that is neither an IANA zone nor defined by a VTIMEZONE in
  the feed (:mod:`fairshift.icsfeed` checks these). So is a feed whose events start a fixed
  whole number of hours (or quarter hours) away from the scenario's turns, the sign of a feed
  exported in the wrong zone: most events start that far from a turn's start, almost none at
  one. That check needs the seats the events were matched to, so it is made here.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .calendar import Duty, ShiftCalendar, expand
from .errors import ScenarioError
from .icsfeed import MAX_EVENTS as MAX_EVENTS
from .icsfeed import MAX_FEED_BYTES as MAX_FEED_BYTES
from .icsfeed import SHOWN_CHARACTERS as SHOWN_CHARACTERS
from .icsfeed import Occurrence, Source, as_list, load, occurrences, shown
from .icsnames import ENGINEER_FIELDS, People, Seats, attendee_text
from .scenario import Scenario
from .schedule import Assignment, Schedule
from .turns import horizon, utc

#: Label of a schedule read from feeds (its name when compared).
LABEL = "rota"
#: Share of a duty's on-call time the events must cover for the duty to have a holder.
MIN_COVERED = 0.5
#: Events looked at to tell a feed in the wrong time zone, and the fewest that decide.
_OFFSET_SAMPLE, _OFFSET_MIN_EVENTS = 500, 3
#: Wrong zone: at most this share of events start at a turn boundary...
_ALIGNED_AT_MOST = 0.2
#: ...and at least this share start one fixed offset away from one.
_OFFSET_AT_LEAST = 0.6
_QUARTER_HOUR = dt.timedelta(minutes=15)
_MOST_OFF = 14 * 4  # quarter hours: UTC-12 to UTC+14 lie within 14 hours of any zone's day
_NO_SEAT = "names no seat"


@dataclass(frozen=True)
class Unmatched:
    """An event that was not scored, and why.

    Attributes
    ----------
    feed
        The feed it came from (a path, or ``"the feed"``).
    summary
        Its SUMMARY.
    start, end
        The occurrence, in the rotation's zone.
    kind
        ``"engineer"`` (it names nobody of the scenario, or several engineers), ``"seat"``
        (it names no seat, or two), ``"turn"`` (it overlaps no on-call time of its seat) or
        ``"cancelled"`` (STATUS:CANCELLED).
    reason
        One sentence.
    """

    feed: str
    summary: str
    start: dt.datetime
    end: dt.datetime
    kind: str
    reason: str

    @property
    def title(self) -> str:
        """The SUMMARY as messages quote it (shortened when long)."""
        return shown(self.summary)

    def __str__(self) -> str:
        return f"{self.feed}: {_event_words(self.summary, self.start, self.end)}: {self.reason}"


@dataclass(frozen=True)
class PartialDuty:
    """Who covered one duty that no single engineer covered wholly.

    Attributes
    ----------
    turn
        The turn's id, e.g. ``"week-012"``.
    seat
        The seat id, e.g. ``"weekly.primary"``.
    start, end
        The turn's boundaries.
    holder
        Who holds the duty in the schedule read (``""``: unfilled).
    hours
        ``(handle, hours covered)``, most first.
    on_call_hours
        The duty's on-call hours.
    covered_hours
        Hours covered by anyone.
    """

    turn: str
    seat: str
    start: dt.datetime
    end: dt.datetime
    holder: str
    hours: tuple[tuple[str, float], ...]
    on_call_hours: float
    covered_hours: float

    def __str__(self) -> str:
        shares = ", ".join(f"{who} {hours:g} h" for who, hours in self.hours) or "nobody"
        uncovered = self.on_call_hours - self.covered_hours
        gap = f"; {uncovered:g} h uncovered" if uncovered > 0 else ""
        if not self.holder:
            verdict = "unfilled: less than half of it is covered"
        else:
            verdict = f"held by {self.holder}"
        return (
            f"{self.turn} {self.seat} ({self.on_call_hours:g} h on call): {shares}{gap}; {verdict}"
        )


@dataclass(frozen=True)
class Rota:
    """A rota read from calendar feeds.

    Attributes
    ----------
    schedule
        One assignment per duty of the scenario (``engineer == ""`` when unfilled), status
        ``GIVEN``, label ``"rota"``.
    feeds
        The feeds read, in order.
    events
        Events scored (occurrences in the horizon matched to an engineer and a duty).
    unmatched
        Events not scored, with the reason, in feed and time order.
    partial
        Duties of the seats read that no single engineer covered wholly, in time order.
    seats
        Seat ids at least one event was read for, in the pattern's order.
    """

    schedule: Schedule
    feeds: tuple[str, ...]
    events: int
    unmatched: tuple[Unmatched, ...]
    partial: tuple[PartialDuty, ...]
    seats: tuple[str, ...]

    @property
    def unknown(self) -> tuple[Unmatched, ...]:
        """Events that name nobody of the scenario, or several engineers."""
        return tuple(u for u in self.unmatched if u.kind == "engineer")

    @property
    def missing_seats(self) -> tuple[str, ...]:
        """Seat ids with turns in the horizon that no event was read for: all unfilled."""
        scenario = self.schedule.scenario
        held = {duty.seat_id for duty in expand(scenario).duties}
        return tuple(s for s in scenario.shape.seat_ids if s in held and s not in self.seats)

    def summary(self, *, limit: int = 10) -> str:
        """What was read: events, seats without a feed, events not scored, duties shared."""
        lines = [
            f"read {len(self.feeds)} feed(s): {self.events} event(s) scored, "
            f"{len(self.unmatched)} not scored; seats {', '.join(self.seats) or 'none'}"
        ]
        for seat in self.missing_seats:
            lines.append(
                f"no feed gives seat {seat}: its turns count as unfilled (add its feed with "
                f"--ics FEED.ics:{seat})"
            )
        sections = (
            ("event(s) not scored", self.unmatched),
            ("turn(s) not covered wholly by one engineer", self.partial),
        )
        for title, items in sections:
            if items:
                lines.append(f"{len(items)} {title}:")
                lines += [f"  {item}" for item in items[:limit]]
                if len(items) > limit:
                    lines.append(f"  ... and {len(items) - limit} more")
        return "\n".join(lines)


def read_ics(scenario: Scenario, source: Source, seat: str | None = None) -> Rota:
    r"""Read an existing rota from one iCalendar feed.

    Parameters
    ----------
    scenario
        The team and the rotation's shape; the feed is read over its horizon.
    source
        A path to the feed, or its content (bytes, or text starting with ``BEGIN:``).
    seat
        The seat the feed is for (``"primary"``, ``"weekly.primary"``, ``"month-end"``);
        ``None``: each event names its own, in its SUMMARY or CATEGORIES.

    Returns
    -------
    Rota
        The schedule read, with the events not scored and the duties shared or left open.

    Raises
    ------
    ScenarioError
        For a feed that cannot be read, an unknown seat, a feed naming no seat when none is
        given, times that cannot be placed (floating, unknown TZID, offset from every turn),
        or a feed none of whose events falls in the horizon.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = (fs.Engineer("ana", "Ana Lima", "senior", "US"),
    ...         fs.Engineer("bo", "Bo", "mid", "US"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 2, timezone="UTC"), team)
    >>> feed = "\r\n".join([
    ...     "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//example//EN",
    ...     "BEGIN:VEVENT", "UID:1", "SUMMARY:Primary: Ana Lima",
    ...     "DTSTART:20270104T090000Z", "DTEND:20270111T090000Z",
    ...     "RRULE:FREQ=WEEKLY;INTERVAL=2", "END:VEVENT",
    ...     "BEGIN:VEVENT", "UID:2", "SUMMARY:Primary: bo",
    ...     "DTSTART:20270111T090000Z", "DTEND:20270118T090000Z", "END:VEVENT",
    ...     "END:VCALENDAR", ""])
    >>> rota = read_ics(scenario, feed)
    >>> [(a.slot, a.seat, a.engineer) for a in rota.schedule.assignments if a.engineer]
    [('week-001', 'primary', 'ana'), ('week-002', 'primary', 'bo')]
    >>> rota.missing_seats
    ('weekly.secondary',)
    """
    return read_feeds(scenario, [(source, seat)])


def read_feeds(scenario: Scenario, feeds: Iterable[tuple[Source, str | None]]) -> Rota:
    """Read an existing rota from several feeds, e.g. one per seat.

    Each feed is ``(source, seat)`` as in :func:`read_ics`. Coverage adds up across feeds:
    a duty is held by whoever covers most of it in all the feeds together.

    Raises
    ------
    ScenarioError
        As :func:`read_ics`, naming the feed.
    """
    calendar = expand(scenario)
    people = People(scenario)
    seats = Seats(calendar.pattern)
    names: list[str] = []
    events: list[_Event] = []
    unmatched: list[Unmatched] = []
    asked: set[tuple[str, str]] = set()
    for source, seat in feeds:
        name, calendars = load(source)
        names.append(name)
        wanted = seats.argument(seat, name) if seat is not None else None
        asked |= wanted or set()
        read = _read_feed(scenario, name, calendars, people, seats, wanted)
        events += [e for e in read if isinstance(e, _Event)]
        unmatched += [e for e in read if isinstance(e, Unmatched)]
    read_seats = asked | {key for event in events for key in event.seats}
    spans, stray = _spans(calendar, events)
    holders, partial = _holders(calendar, spans, read_seats)
    unmatched += stray
    unmatched.sort(key=lambda u: (names.index(u.feed), utc(u.start), u.summary))
    assignments = tuple(
        Assignment(d.id, d.seat, d.start, d.end, holders.get(d.position, ""), d.shift)
        for d in calendar.duties
    )
    return Rota(
        Schedule(scenario, assignments, label=LABEL),
        tuple(names),
        len(events) - len(stray),
        tuple(unmatched),
        tuple(partial),
        tuple(s for s in calendar.pattern.seat_ids if tuple(s.split(".", 1)) in read_seats),
    )


# -- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """One occurrence matched to an engineer and its seats; times in UTC."""

    feed: str
    summary: str
    start: dt.datetime
    end: dt.datetime
    engineer: str
    seats: frozenset[tuple[str, str]]
    timed: bool


def _read_feed(
    scenario: Scenario,
    name: str,
    calendars: list[Any],
    people: People,
    seats: Seats,
    wanted: frozenset[tuple[str, str]] | None,
) -> list[_Event | Unmatched]:
    """The feed's occurrences in the horizon, each matched or said why not."""
    zone = scenario.rotation.timezone
    found = occurrences(scenario, name, calendars)
    if not found:
        return []
    read: list[_Event | Unmatched] = []
    for occurrence in found:
        read.append(_match(occurrence, name, zone, people, seats, wanted))
    # The seat is looked for first, so an event of any other kind did name one.
    if wanted is None and all(
        isinstance(e, Unmatched) and e.reason.startswith(_NO_SEAT) for e in read
    ):
        example = scenario.shape.seat_ids[0].split(".", 1)[1]
        raise ScenarioError(
            "",
            'no event names its seat in its SUMMARY ("Primary: Alex Chen") or CATEGORIES',
            f"name the seat after the file: --ics {name}:{example} (in Python, "
            f"seat={example!r}); seats: {', '.join(scenario.shape.seat_ids)}",
            source=name,
        )
    _check_offset(name, [e for e in read if isinstance(e, _Event)], expand(scenario), zone)
    return read


def _match(
    occurrence: Occurrence,
    name: str,
    zone: str,
    people: People,
    seats: Seats,
    wanted: frozenset[tuple[str, str]] | None,
) -> _Event | Unmatched:
    """The occurrence matched to one engineer and its seats, or why it is not scored."""
    component, start, end = occurrence.component, occurrence.start, occurrence.end
    summary = str(component.get("SUMMARY", "")).strip()

    def unmatched(kind: str, reason: str) -> Unmatched:
        tz = ZoneInfo(zone)
        return Unmatched(name, summary, start.astimezone(tz), end.astimezone(tz), kind, reason)

    if str(component.get("STATUS", "")).strip().upper() == "CANCELLED":
        return unmatched("cancelled", "is cancelled (STATUS:CANCELLED)")
    # The seat first: in a feed of several seats, an event naming none (a handoff meeting,
    # say) is not on call, whoever it names.
    held = wanted if wanted is not None else seats.of_event(component, summary)
    if not held:
        reason = _NO_SEAT if held is None else "names two different seats"
        return unmatched("seat", f"{reason} in its SUMMARY or CATEGORIES")
    handles = people.of_event(component, summary)
    if not handles:
        attendees = [attendee_text(a) for a in as_list(component.get("ATTENDEE"))]
        more = f" and {len(attendees) - 3} more" if len(attendees) > 3 else ""
        named = f"its title {shown(summary)}" + (
            f" and attendee(s) {', '.join(attendees[:3])}{more}" if attendees else ""
        )
        return unmatched(
            "engineer",
            f"names nobody of the scenario: {named} match no engineer's handle, name, "
            "e-mail address or paging-tool id",
        )
    if len(handles) > 1:
        return unmatched("engineer", f"names several engineers ({', '.join(sorted(handles))})")
    if end <= start:
        return unmatched("turn", "lasts no time")
    return _Event(name, summary, start, end, next(iter(handles)), held, occurrence.timed)


# -- time zones ------------------------------------------------------------------------------


def _check_offset(name: str, events: Sequence[_Event], calendar: ShiftCalendar, zone: str) -> None:
    """Refuse a feed whose timed events start a fixed offset away from the turns' boundaries."""
    begin = utc(horizon(calendar.scenario.rotation)[0])
    timed = [e for e in events if e.timed and e.start >= begin][:_OFFSET_SAMPLE]
    if len(timed) < _OFFSET_MIN_EVENTS:
        return
    # Starts only: an event shifted by a whole shift would start where another one ends.
    read = {key for e in timed for key in e.seats}
    bounds = {
        utc(i.start) for d in calendar.duties if (d.shift, d.seat) in read for i in d.turn.intervals
    }
    aligned = sum(1 for e in timed if e.start in bounds)
    if aligned > _ALIGNED_AT_MOST * len(timed):
        return
    counts: Counter[int] = Counter()
    for e in timed:
        for quarters in range(-_MOST_OFF, _MOST_OFF + 1):
            if quarters and e.start - quarters * _QUARTER_HOUR in bounds:
                counts[quarters] += 1
    if not counts:
        return
    quarters, hits = counts.most_common(1)[0]
    if hits < _OFFSET_AT_LEAST * len(timed):
        return
    offset = quarters * _QUARTER_HOUR
    example = next(e for e in timed if e.start - offset in bounds)
    tz = ZoneInfo(zone)
    turn = (example.start - offset).astimezone(tz)
    raise ScenarioError(
        "",
        f"{hits} of the {len(timed)} events it has in the horizon start {_duration(abs(offset))} "
        f"{'after' if quarters > 0 else 'before'} on-call time of the scenario begins, "
        f"e.g. {shown(example.summary)} at {example.start.astimezone(tz):%Y-%m-%d %H:%M} ({zone}) "
        f"where it begins at {turn:%H:%M}: the feed's time zone looks wrong",
        "export the feed again with its time zone (TZID) or in UTC, or, if the team really "
        "hands over at that time, set rotation.handoff (or the shift's first) in the scenario",
        source=name,
    )


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    hours, rest = divmod(minutes, 60)
    text = f"{hours} hour{'s' if hours != 1 else ''}" if hours else ""
    if rest:
        text = f"{text} {rest} minutes".strip()
    return text


# -- duties ----------------------------------------------------------------------------------


#: Per duty position, per engineer: the stretches of its on-call time their events cover.
_Spans = dict[int, dict[str, list[tuple[dt.datetime, dt.datetime]]]]


def _spans(calendar: ShiftCalendar, events: Sequence[_Event]) -> tuple[_Spans, list[Unmatched]]:
    """What each event covers of each duty of its seats, and the events that cover none."""
    by_seat: dict[tuple[str, str], list[Duty]] = defaultdict(list)
    for duty in calendar.duties:
        by_seat[(duty.shift, duty.seat)].append(duty)
    starts = {key: [utc(d.start) for d in duties] for key, duties in by_seat.items()}
    spans: _Spans = defaultdict(lambda: defaultdict(list))
    stray: list[Unmatched] = []
    tz = ZoneInfo(calendar.scenario.rotation.timezone)
    for event in events:
        hit = False
        for key in sorted(event.seats):
            duties = by_seat.get(key, [])
            last = bisect.bisect_left(starts.get(key, []), event.end)
            for duty in reversed(duties[:last]):
                if utc(duty.end) <= event.start:
                    break  # the turns of one seat follow each other
                for interval in duty.turn.intervals:
                    lo = max(event.start, utc(interval.start))
                    hi = min(event.end, utc(interval.end))
                    if lo < hi:
                        spans[duty.position][event.engineer].append((lo, hi))
                        hit = True
        if not hit:
            seat_ids = ", ".join(sorted(f"{a}.{b}" for a, b in event.seats))
            start, end = event.start.astimezone(tz), event.end.astimezone(tz)
            reason = f"overlaps no on-call time of {seat_ids}"
            stray.append(Unmatched(event.feed, event.summary, start, end, "turn", reason))
    return spans, stray


def _holders(
    calendar: ShiftCalendar, spans: _Spans, seats: set[tuple[str, str]]
) -> tuple[dict[int, str], list[PartialDuty]]:
    """Holders by duty position, and the duties of ``seats`` shared or left open."""
    holders: dict[int, str] = {}
    partial: list[PartialDuty] = []
    order = {e.handle: i for i, e in enumerate(calendar.scenario.engineers)}
    for duty in calendar.duties:
        if duty.position not in spans:
            # A seat no feed was read for is reported once (Rota.missing_seats), not by turn.
            if (duty.shift, duty.seat) in seats:
                partial.append(_partial(duty, "", {}, 0.0))
            continue
        holder, coverage = _holder(duty, spans[duty.position], order)
        if holder:
            holders[duty.position] = holder
        if coverage is not None:
            partial.append(coverage)
    partial.sort(key=lambda c: (utc(c.start), c.seat))
    return holders, partial


def _holder(
    duty: Duty, spans: dict[str, list[tuple[dt.datetime, dt.datetime]]], order: dict[str, int]
) -> tuple[str, PartialDuty | None]:
    """Who holds a duty given who covered which parts of it, and the record if shared."""
    seconds = {who: _length(found) for who, found in spans.items()}
    first = {who: min(lo for lo, _ in found) for who, found in spans.items()}
    covered = _length([span for found in spans.values() for span in found])
    total = sum((utc(i.end) - utc(i.start)).total_seconds() for i in duty.turn.intervals)
    ranked = sorted(seconds, key=lambda who: (-seconds[who], first[who], order.get(who, 0)))
    holder = ranked[0] if covered >= MIN_COVERED * total else ""
    whole = len(ranked) == 1 and seconds[ranked[0]] >= total
    if whole:
        return holder, None
    hours = {who: seconds[who] / 3600 for who in ranked}
    return holder, _partial(duty, holder, hours, covered / 3600)


def _partial(duty: Duty, holder: str, hours: dict[str, float], covered: float) -> PartialDuty:
    total = float(duty.turn.on_call_hours)
    return PartialDuty(
        duty.id,
        duty.seat_id,
        duty.start,
        duty.end,
        holder,
        tuple((who, round(h, 2)) for who, h in hours.items()),
        round(total, 2),
        round(covered, 2),
    )


def _length(spans: list[tuple[dt.datetime, dt.datetime]]) -> float:
    """Seconds in the union of ``spans``."""
    total = 0.0
    reached: dt.datetime | None = None
    for lo, hi in sorted(spans):
        begin = lo if reached is None else max(lo, reached)
        if hi > begin:
            total += (hi - begin).total_seconds()
            reached = hi
    return total


def _event_words(summary: str, start: dt.datetime, end: dt.datetime) -> str:
    return f"{shown(summary)} {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"


__all__ = [
    "ENGINEER_FIELDS",
    "LABEL",
    "MIN_COVERED",
    "PartialDuty",
    "Rota",
    "Source",
    "Unmatched",
    "read_feeds",
    "read_ics",
]
