"""A plan in the shapes paging tools import: one seat as a list of on-call stretches.

A paging tool's schedule is one seat: who is on call, from when to when. :func:`stretches`
turns one seat of a schedule into those stretches (each engineer's touching on-call
intervals merged), and the builders below lay them out for each tool:

- :func:`pagerduty_overrides`: the body of PagerDuty's ``POST /schedules/{id}/overrides``
  (REST API v2);
- :func:`pagerduty_custom_shifts`: the body of PagerDuty's
  ``POST /v3/schedules/{id}/custom_shifts``;
- :func:`opsgenie_overrides`: Opsgenie's ``POST /v2/schedules/{id}/overrides`` bodies;
- :func:`grafana_ical`: an iCal feed for Grafana OnCall's iCal import (``SUMMARY`` is the
  user's Grafana username or e-mail address, with an optional ``[Ln]`` level prefix);
- :func:`weekly_csv`: a "week x seat" table of every seat, the shape rota spreadsheets use.

Times are ISO 8601 with the rotation zone's offset; ``time_zone`` is the rotation's IANA
zone. Builders return plain data (dicts, lists and text); :mod:`fairshift.pagercheck`
checks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .calendar import expand
from .errors import ScenarioError
from .icstext import escape, fold
from .io import csv_text, safe_cell
from .roster import shift_of_seat

if TYPE_CHECKING:
    from .scenario import Scenario
    from .schedule import Schedule
    from .team import Engineer

#: Export formats, each with a line for ``--help``.
FORMATS: Mapping[str, str] = {
    "pagerduty": "PagerDuty REST v2 overrides (body of POST /schedules/{id}/overrides)",
    "pagerduty-v3": "PagerDuty v3 custom shifts (body of POST /v3/schedules/{id}/custom_shifts)",
    "opsgenie": "Opsgenie schedule overrides (bodies of POST /v2/schedules/{id}/overrides)",
    "grafana": "iCal feed for Grafana OnCall's iCal import (SUMMARY = Grafana username)",
    "csv-weekly": "CSV with one row per week and one column per seat",
}


@dataclass(frozen=True)
class Stretch:
    """One engineer on call in one seat without a break.

    Attributes
    ----------
    engineer
        The holder's handle.
    start, end
        ``[start, end)``, aware datetimes in the rotation's zone.
    """

    engineer: str
    start: dt.datetime
    end: dt.datetime


def seat_of(scenario: Scenario, seat: str | None, field: str = "--seat") -> tuple[str, str]:
    """``(shift, seat)`` named by ``seat``; ``None`` is the first seat of the first shift type.

    Besides the pattern's ``shift.seat`` ids (and a single-seat shift type's name), a bare
    seat name that only one shift type uses is accepted, e.g. ``"primary"``.

    Raises
    ------
    ScenarioError
        For a seat the scenario does not have.

    Examples
    --------
    >>> import datetime as dt, fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> seat_of(scenario, None), seat_of(scenario, "secondary")
    (('weekly', 'primary'), ('weekly', 'secondary'))
    """
    shape = scenario.shape
    if seat is None:
        first = shape.shifts[0]
        return first.name, first.seats[0].name
    if "." not in seat and seat not in {shift.name for shift in shape.shifts}:
        owner = shift_of_seat(scenario).get(seat)
        if owner is not None:
            return owner, seat
    return shape.resolve(seat, field)


def stretches(schedule: Schedule, shift: str, seat: str) -> tuple[Stretch, ...]:
    """The on-call stretches of one seat, in time order.

    Each held duty contributes its turn's on-call intervals (a daily restriction such as
    09:00-17:00 gives one interval per day); intervals of one engineer that touch are
    merged. Unfilled duties leave a gap, which the paging tool's own layers then cover.
    """
    calendar = expand(schedule.scenario)
    zone = ZoneInfo(schedule.scenario.rotation.timezone)
    owner = shift_of_seat(schedule.scenario)
    pieces: list[Stretch] = []
    for assignment in schedule.assignments:
        if assignment.seat != seat or not assignment.engineer:
            continue
        if (assignment.shift or owner.get(assignment.seat, "")) != shift:
            continue
        duty = calendar.find(shift, seat, assignment.start)
        if duty is None:
            continue
        for interval in duty.turn.intervals:
            pieces.append(
                Stretch(
                    assignment.engineer,
                    interval.start.astimezone(zone),
                    interval.end.astimezone(zone),
                )
            )
    pieces.sort(key=lambda p: (p.start, p.end, p.engineer))
    merged: list[Stretch] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last is not None and last.engineer == piece.engineer and piece.start <= last.end:
            merged[-1] = Stretch(last.engineer, last.start, max(last.end, piece.end))
        else:
            merged.append(piece)
    return tuple(merged)


def user_id(engineer: Engineer, tool: str) -> str:
    """The engineer's user in ``tool`` (``pagerduty``, ``opsgenie`` or ``grafana``).

    Raises
    ------
    ScenarioError
        When the scenario does not give it; the message names the engineer and the key.
    """
    value: str = getattr(engineer, tool)
    if not value:
        examples = {"pagerduty": '"PABC123"', "opsgenie": '"alex@example.com"', "grafana": '"alex"'}
        raise ScenarioError(
            f"engineers[{engineer.handle}].{tool}",
            f"{engineer.name} ({engineer.handle}) has no {tool} id",
            f"add {tool} = {examples[tool]} to their [[engineers]] entry",
        )
    return value


def _users(schedule: Schedule, runs: tuple[Stretch, ...], tool: str) -> dict[str, str]:
    people = {e.handle: e for e in schedule.scenario.engineers}
    handles = sorted({run.engineer for run in runs})
    for handle in handles:
        if handle not in people:
            raise ScenarioError(
                "engineer",
                f"the schedule names {handle!r}, who is not in the scenario",
                "plan again, or check the schedule against its own scenario",
            )
    return {handle: user_id(people[handle], tool) for handle in handles}


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def pagerduty_overrides(schedule: Schedule, shift: str, seat: str) -> dict[str, Any]:
    """PagerDuty REST API v2 overrides for one seat.

    Returns
    -------
    dict
        ``{"overrides": [{"start", "end", "user": {"id", "type": "user_reference"},
        "time_zone"}]}``, the body of ``POST /schedules/{id}/overrides``.
    """
    runs = stretches(schedule, shift, seat)
    users = _users(schedule, runs, "pagerduty")
    zone = schedule.scenario.rotation.timezone
    return {
        "overrides": [
            {
                "start": _iso(run.start),
                "end": _iso(run.end),
                "user": {"id": users[run.engineer], "type": "user_reference"},
                "time_zone": zone,
            }
            for run in runs
        ]
    }


def pagerduty_custom_shifts(schedule: Schedule, shift: str, seat: str) -> dict[str, Any]:
    """PagerDuty v3 custom shifts for one seat.

    Returns
    -------
    dict
        ``{"custom_shifts": [{"type": "custom_shift", "start_time", "end_time",
        "assignments": [{"type": "shift_assignment", "member": {"type": "user_member",
        "user_id"}}]}]}``, the body of ``POST /v3/schedules/{id}/custom_shifts``.
    """
    runs = stretches(schedule, shift, seat)
    users = _users(schedule, runs, "pagerduty")
    return {
        "custom_shifts": [
            {
                "type": "custom_shift",
                "start_time": _iso(run.start),
                "end_time": _iso(run.end),
                "assignments": [
                    {
                        "type": "shift_assignment",
                        "member": {"type": "user_member", "user_id": users[run.engineer]},
                    }
                ],
            }
            for run in runs
        ]
    }


def opsgenie_overrides(
    schedule: Schedule, shift: str, seat: str, *, rotation: str | None = None
) -> list[dict[str, Any]]:
    """Opsgenie schedule overrides for one seat, one request body each.

    Parameters
    ----------
    schedule
        The plan.
    shift, seat
        The seat (see :func:`seat_of`).
    rotation
        The Opsgenie rotation the overrides apply to; default: the seat's name.

    Returns
    -------
    list of dict
        ``{"alias", "user": {"type": "user", "username"}, "startDate", "endDate",
        "rotations": [{"name"}]}`` per stretch; ``alias`` is stable across re-plans of the
        same stretch, so a re-import updates rather than duplicates.
    """
    runs = stretches(schedule, shift, seat)
    users = _users(schedule, runs, "opsgenie")
    name = rotation or seat
    return [
        {
            "alias": f"fairshift-{shift}-{seat}-{run.start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
            "user": {"type": "user", "username": users[run.engineer]},
            "startDate": _iso(run.start),
            "endDate": _iso(run.end),
            "rotations": [{"name": name}],
        }
        for run in runs
    ]


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def grafana_ical(schedule: Schedule, shift: str, seat: str, *, level: int | None = None) -> str:
    """An iCal feed of one seat for Grafana OnCall's iCal import.

    Each stretch is one event whose ``SUMMARY`` is exactly the engineer's ``grafana`` user
    (username or e-mail), prefixed by ``[Ln]`` when ``level`` is given (Grafana OnCall
    prefers the higher level where events overlap). Times are UTC; ``UID``s and
    ``DTSTAMP`` depend on the plan only, so the same plan gives the same bytes.
    """
    runs = stretches(schedule, shift, seat)
    users = _users(schedule, runs, "grafana")
    rotation = schedule.scenario.rotation
    stamp = _utc_text(dt.datetime.combine(rotation.start, dt.time(0), tzinfo=dt.UTC))
    prefix = f"[L{level}] " if level is not None else ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fairshift//pager export//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(f'{rotation.name} {shift}.{seat}')}",
    ]
    for run in runs:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{shift}.{seat}-{_utc_text(run.start)}@fairshift",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc_text(run.start)}",
            f"DTEND:{_utc_text(run.end)}",
            f"SUMMARY:{escape(prefix + users[run.engineer])}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def weekly_csv(schedule: Schedule, seats: Iterable[tuple[str, str]] | None = None) -> str:
    """A "week x seat" CSV: one row per rotation week, one column per seat.

    ``seats`` limits the columns to these ``(shift, seat)`` pairs (default: every seat).

    Each cell lists the engineers on call in that seat during the week, by display name in
    the order they start (``; `` between several, e.g. daily turns). Weeks run from the
    rotation's start at its handoff time. Text cells are made safe for spreadsheets.
    """
    import pandas as pd

    scenario = schedule.scenario
    rotation = scenario.rotation
    zone = ZoneInfo(rotation.timezone)
    names = {e.handle: e.name for e in scenario.engineers}
    weeks = [
        (
            dt.datetime.combine(
                rotation.start + dt.timedelta(weeks=k), rotation.handoff, tzinfo=zone
            ),
            dt.datetime.combine(
                rotation.start + dt.timedelta(weeks=k + 1), rotation.handoff, tzinfo=zone
            ),
        )
        for k in range(rotation.weeks)
    ]
    rows: list[dict[str, object]] = [
        {"week": k + 1, "start": _iso(start), "end": _iso(end)}
        for k, (start, end) in enumerate(weeks)
    ]
    chosen = (
        [(t.name, s.name) for t in scenario.shape.shifts for s in t.seats]
        if seats is None
        else list(seats)
    )
    for shift, seat in chosen:
        column = f"{shift}.{seat}"
        runs = stretches(schedule, shift, seat)
        for row, (start, end) in zip(rows, weeks, strict=True):
            holders: list[str] = []
            for run in runs:
                if run.start < end and start < run.end and run.engineer not in holders:
                    holders.append(run.engineer)
            row[column] = safe_cell("; ".join(names.get(h, h) for h in holders))
    return csv_text(pd.DataFrame(rows))
