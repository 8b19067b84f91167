"""PagerDuty overrides as plain data, and how planned ones are matched with existing ones.

Nothing here talks to PagerDuty: :mod:`fairshift.pdclient` reads and sends, and
:mod:`fairshift.pdpublish` ties the two together.

The seat's overrides (:func:`fairshift.pager.pagerduty_overrides`) are compared with the
overrides already on the PagerDuty schedule in the plan's window (its rotation horizon), and
only the difference is sent:

- an override on PagerDuty with the same start instant, end instant and user as a planned
  one is kept;
- a planned override PagerDuty lacks is created;
- an override wholly inside the window that the plan does not have is deleted. This includes
  overrides made by hand in PagerDuty: make swaps in the plan (``fairshift swaps``,
  ``fairshift replan``) and publish again.

Left as they are:

- the schedule's layers and everything else but its overrides;
- overrides only partly inside the window: they cover time the plan does not speak for.
  They are listed, because where two overrides overlap PagerDuty lets the one created last
  win;
- the past: an override that has ended is history (PagerDuty refuses to delete it) and a
  planned one that has ended is not sent. An override under way counts by what is left of
  it: one that started already matches a planned one with the same user and end, a planned
  one under way is created from now, and one under way that the plan does not have is
  deleted, which PagerDuty turns into ending it now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .export import ExportError
from .pager import pagerduty_overrides
from .pagercheck import check_pagerduty_overrides

if TYPE_CHECKING:
    from .schedule import Schedule


@dataclass(frozen=True)
class PagerDutyOverride:
    """One override: a PagerDuty user on call from ``start`` to ``end``.

    Attributes
    ----------
    start, end
        ``[start, end)``, aware datetimes in UTC.
    user
        The PagerDuty user id.
    engineer
        The handle of the scenario's engineer with that id (``""`` for anyone else).
    id
        PagerDuty's id of the override (``""`` for one not created yet).
    """

    start: dt.datetime
    end: dt.datetime
    user: str
    engineer: str = ""
    id: str = ""


@dataclass(frozen=True)
class PagerDutyDiff:
    """What publishing a seat to a PagerDuty schedule changes (or changed).

    Attributes
    ----------
    schedule_id
        The PagerDuty schedule.
    seat
        The plan's seat, ``shift.seat``.
    timezone
        The rotation's zone: overrides are sent and shown in it.
    since, until
        The plan's window.
    create
        Planned overrides PagerDuty lacks, in time order.
    delete
        Overrides on PagerDuty inside the window that the plan does not have, in time order.
    kept
        Overrides already on PagerDuty as planned.
    outside
        Overrides only partly inside the window, left as they are.
    past
        Planned overrides that have ended, not sent.
    applied
        Whether the changes were sent.

    Examples
    --------
    >>> import datetime as dt
    >>> start = dt.datetime(2027, 1, 4, 17, tzinfo=dt.UTC)
    >>> week = PagerDutyOverride(start, start + dt.timedelta(days=7), "PALEXC1", "alex")
    >>> diff = PagerDutyDiff("PSCHED1", "weekly.primary", "America/Los_Angeles",
    ...                      week.start, week.end, (week,), (), 0)
    >>> print(diff)
    PagerDuty schedule PSCHED1, seat weekly.primary, 2027-01-04 09:00 to 2027-01-11 09:00 (America/Los_Angeles)
    + 2027-01-04 09:00 -> 2027-01-11 09:00  PALEXC1 (alex)
    1 to create, 0 to delete, 0 unchanged
    """  # noqa: E501

    schedule_id: str
    seat: str
    timezone: str
    since: dt.datetime
    until: dt.datetime
    create: tuple[PagerDutyOverride, ...]
    delete: tuple[PagerDutyOverride, ...]
    kept: int
    outside: tuple[PagerDutyOverride, ...] = ()
    past: int = 0
    applied: bool = False

    @property
    def changes(self) -> int:
        """The number of overrides to create or delete."""
        return len(self.create) + len(self.delete)

    def describe(self, override: PagerDutyOverride) -> str:
        """``2027-01-04 09:00 -> 2027-01-11 09:00  PALEXC1 (alex)``, in the rotation's zone."""
        who = override.engineer or "not in the scenario"
        return (
            f"{self._time(override.start)} -> {self._time(override.end)}  {override.user} ({who})"
        )

    def lines(self) -> list[str]:
        """A header, then one line per override to create (``+``) or delete (``-``).

        Overrides left alone because they reach outside the window follow, marked ``!``.
        """
        lines = [
            f"PagerDuty schedule {self.schedule_id}, seat {self.seat}, {self._time(self.since)} "
            f"to {self._time(self.until)} ({self.timezone})"
        ]
        changes = [("+", o) for o in self.create] + [("-", o) for o in self.delete]
        # At one instant, the delete before the create that replaces it.
        changes.sort(key=lambda change: (change[1].start, change[0] == "+"))
        lines += [f"{mark} {self.describe(o)}" for mark, o in changes]
        lines += [
            f"! {self.describe(o)}  partly outside the plan's window: left as it is"
            for o in self.outside
        ]
        return lines

    def summary(self) -> str:
        """One line of counts, e.g. ``2 to create, 2 to delete, 50 unchanged``."""
        create, delete = len(self.create), len(self.delete)
        if not self.changes:
            text = f"nothing to change: {self.kept} override(s) already as planned"
        elif self.applied:
            text = f"created {create}, deleted {delete}, {self.kept} unchanged"
        else:
            text = f"{create} to create, {delete} to delete, {self.kept} unchanged"
        if self.past:
            text += f", {self.past} already over (not sent)"
        if self.outside:
            text += f", {len(self.outside)} partly outside the window (left as they are)"
        return text

    def __str__(self) -> str:
        return "\n".join([*self.lines(), self.summary()])

    def _time(self, moment: dt.datetime) -> str:
        return moment.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M")


# -- the plan's overrides ------------------------------------------------------------------


def parse_instant(value: object) -> dt.datetime:
    """A time as PagerDuty's API writes it (ISO 8601 with an offset), as an instant in UTC.

    Raises
    ------
    ValueError
        For anything but a text with a UTC offset.

    Examples
    --------
    >>> parse_instant("2027-01-04T09:00:00-08:00")
    datetime.datetime(2027, 1, 4, 17, 0, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment.astimezone(dt.UTC)


def planned_overrides(schedule: Schedule, shift: str, seat: str) -> tuple[PagerDutyOverride, ...]:
    """The seat's overrides as the plan has them (see :func:`fairshift.pager.pagerduty_overrides`).

    Raises
    ------
    ScenarioError
        For an engineer without a ``pagerduty`` id.
    ExportError
        If the overrides fail :func:`fairshift.pagercheck.check_pagerduty_overrides`.
    """
    body = pagerduty_overrides(schedule, shift, seat)
    problems = check_pagerduty_overrides(body)
    if problems:
        raise ExportError(
            f"the PagerDuty overrides of {shift}.{seat} fail their checks: "
            + "; ".join(str(p) for p in problems)
        )
    handles: dict[str, str] = {}
    for engineer in schedule.scenario.engineers:
        if engineer.pagerduty:
            handles.setdefault(engineer.pagerduty, engineer.handle)
    return tuple(
        PagerDutyOverride(
            parse_instant(entry["start"]),
            parse_instant(entry["end"]),
            entry["user"]["id"],
            handles.get(entry["user"]["id"], ""),
        )
        for entry in body["overrides"]
    )


# -- matching ------------------------------------------------------------------------------


def _key(override: PagerDutyOverride, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
    """What an override still does: the same user, to the same end, from the same start or now."""
    return max(override.start, now), override.end, override.user


def match_overrides(
    planned: Sequence[PagerDutyOverride],
    existing: Sequence[PagerDutyOverride],
    since: dt.datetime,
    until: dt.datetime,
    now: dt.datetime,
) -> tuple[list[PagerDutyOverride], list[PagerDutyOverride], int, list[PagerDutyOverride], int]:
    """``(create, delete, kept, outside, past)`` for planned and existing overrides.

    See the module's description for the rules; all times are compared as instants.
    """
    unmatched: dict[tuple[dt.datetime, dt.datetime, str], list[PagerDutyOverride]] = {}
    outside: list[PagerDutyOverride] = []
    for override in sorted(existing, key=lambda o: (o.start, o.end, o.id)):
        if override.end <= now or override.end <= since or override.start >= until:
            continue  # history, or no part of it in the window
        if override.start < since or override.end > until:
            outside.append(override)
            continue
        unmatched.setdefault(_key(override, now), []).append(override)
    create: list[PagerDutyOverride] = []
    kept = past = 0
    for override in planned:
        if override.end <= now:
            past += 1
            continue
        twins = unmatched.get(_key(override, now))
        if twins:
            twins.pop(0)
            kept += 1
        else:
            create.append(replace(override, start=max(override.start, now)))
    delete = sorted(
        (o for rest in unmatched.values() for o in rest), key=lambda o: (o.start, o.end, o.id)
    )
    return create, delete, kept, outside, past
