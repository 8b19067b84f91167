"""Solver-independent re-check of every hard rule, from the inputs and the rows alone.

This is the oracle for the tests and for hand-edited schedules: it never looks at a solver
variable. Rule checks work on each row's own ``start``/``end`` instants and on the raw
scenario inputs (leave dates, joining dates, seniority, holiday regions); only the list of
expected slots comes from the calendar expansion.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from .calendar import WEEKLY_ROLES, Role, expand
from .policy import HolidayMode
from .rules import RULES
from .scenario import Scenario
from .schedule import Assignment, Schedule
from .team import Engineer, Seniority, region_holidays


@dataclass(frozen=True)
class Violation:
    """One broken hard rule.

    Attributes
    ----------
    rule
        Rule id (a key of :data:`fairshift.RULES`).
    engineer
        Handle concerned (``""`` when none, e.g. an unfilled shift).
    slot
        Slot id (``"week-012"``, ``"month-end-2027-03"``) or the row's start time.
    message
        One sentence.
    """

    rule: str
    engineer: str
    slot: str
    message: str

    @property
    def rule_name(self) -> str:
        """Human name of the rule."""
        return RULES.get(self.rule, self.rule)

    def __str__(self) -> str:
        who = f" {self.engineer}" if self.engineer else ""
        return f"[{self.rule}] {self.slot}{who}: {self.message}"


def validate(scenario: Scenario, schedule: Schedule | pd.DataFrame) -> list[Violation]:
    """Re-check every hard rule of ``scenario`` on ``schedule``.

    Parameters
    ----------
    scenario
        The inputs.
    schedule
        A :class:`Schedule` or a table with ``start, end, role, engineer`` columns.

    Returns
    -------
    list of Violation
        Empty when the schedule satisfies every hard rule.

    Examples
    --------
    >>> import fairshift as fs
    >>> scenario = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
    >>> fs.validate(scenario, fs.solve(scenario).to_dataframe())  # doctest: +SKIP
    []
    """
    if isinstance(schedule, pd.DataFrame):
        schedule = Schedule.from_dataframe(scenario, schedule)
    rows = list(schedule.assignments)
    checker = _Checker(scenario, rows)
    found: list[Violation] = []
    for check in (
        checker.coverage,
        checker.separation,
        checker.month_end_separation,
        checker.leave,
        checker.employment,
        checker.primary_back_to_back,
        checker.max_consecutive_weeks,
        checker.junior_primary_pairing,
        checker.month_end_seniority,
        checker.public_holiday,
    ):
        found.extend(check())
    return found


def _utc(moment: dt.datetime) -> dt.datetime:
    # Instants are compared in UTC: aware datetimes sharing a ZoneInfo compare as wall-clock
    # times, and a wall time in a DST gap or overlap never equals one with a fixed offset.
    return moment.astimezone(dt.UTC)


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def _noon_dates(start: dt.datetime, end: dt.datetime, zone: str) -> list[dt.date]:
    """Dates whose 12:00 in ``zone`` falls in ``[start, end)``."""
    tz = ZoneInfo(zone)
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    dates: list[dt.date] = []
    begin, finish = _utc(start), _utc(end)
    while True:
        noon = _utc(dt.datetime.combine(day, dt.time(12), tzinfo=tz))
        if noon >= finish:
            return dates
        if noon >= begin:
            dates.append(day)
        day += dt.timedelta(days=1)


class _Checker:
    """One method per hard rule; each yields the violations it finds."""

    def __init__(self, scenario: Scenario, rows: list[Assignment]) -> None:
        self.scenario = scenario
        self.rows = rows
        self.people = {e.handle: e for e in scenario.engineers}
        self.zone = scenario.rotation.timezone
        # Rows of known engineers, by role, keyed by start instant.
        self.by_role: dict[Role, dict[dt.datetime, list[Assignment]]] = {
            role: defaultdict(list) for role in Role
        }
        for row in rows:
            if row.engineer in self.people:
                self.by_role[row.role][_utc(row.start)].append(row)

    def _zone_of(self, engineer: Engineer) -> str:
        return engineer.timezone or self.zone

    def _label(self, row: Assignment) -> str:
        return row.slot if row.slot != "?" else row.start.isoformat()

    # -- coverage --------------------------------------------------------------------------

    def coverage(self) -> Iterator[Violation]:
        calendar = expand(self.scenario)
        expected = {
            (role, _utc(slot.start)): slot
            for role in Role
            for slot in (calendar.month_ends if role is Role.MONTH_END else calendar.weeks)
        }
        seen: dict[tuple[Role, dt.datetime], list[Assignment]] = defaultdict(list)
        for row in self.rows:
            key = (row.role, _utc(row.start))
            if key not in expected:
                yield Violation(
                    "coverage",
                    row.engineer,
                    row.start.isoformat(),
                    f"no {row.role.value} shift starts at {row.start.isoformat()} in this scenario",
                )
                continue
            seen[key].append(row)
            slot = expected[key]
            if _utc(row.end) != _utc(slot.end):
                yield Violation(
                    "coverage",
                    row.engineer,
                    slot.id,
                    f"the {row.role.value} shift ends at {slot.end.isoformat()}, "
                    f"not {row.end.isoformat()}",
                )
            if not row.engineer:
                yield Violation("coverage", "", slot.id, f"the {row.role.value} shift is unfilled")
            elif row.engineer not in self.people:
                yield Violation(
                    "coverage",
                    row.engineer,
                    slot.id,
                    f"{row.engineer!r} is not an engineer of this scenario",
                )
        for key, slot in expected.items():
            role = key[0].value
            holders = seen.get(key, [])
            if not holders:
                yield Violation("coverage", "", slot.id, f"nobody holds the {role} shift")
            elif len(holders) > 1:
                names = ", ".join(row.engineer or "(unfilled)" for row in holders)
                yield Violation(
                    "coverage", "", slot.id, f"the {role} shift has {len(holders)} rows ({names})"
                )

    # -- separation ------------------------------------------------------------------------

    def separation(self) -> Iterator[Violation]:
        primaries = self.by_role[Role.PRIMARY]
        for start, seconds in self.by_role[Role.SECONDARY].items():
            for secondary in seconds:
                for primary in primaries.get(start, []):
                    if primary.engineer == secondary.engineer:
                        yield Violation(
                            "separation",
                            primary.engineer,
                            self._label(primary),
                            "is both primary and secondary in the same week",
                        )

    def month_end_separation(self) -> Iterator[Violation]:
        if not self.scenario.rules.month_end_not_primary:
            return
        primaries = [r for rows in self.by_role[Role.PRIMARY].values() for r in rows]
        days = {id(r): set(_noon_dates(r.start, r.end, self.zone)) for r in primaries}
        for rows in self.by_role[Role.MONTH_END].values():
            for month_end in rows:
                window = set(_noon_dates(month_end.start, month_end.end, self.zone))
                for primary in primaries:
                    shared = window & days[id(primary)]
                    if shared and primary.engineer == month_end.engineer:
                        yield Violation(
                            "month_end_separation",
                            month_end.engineer,
                            self._label(month_end),
                            f"holds the month-end shift and is primary in {self._label(primary)}"
                            f" on the same days ({min(shared)} to {max(shared)})",
                        )

    # -- availability ----------------------------------------------------------------------

    def leave(self) -> Iterator[Violation]:
        for row in self.rows:
            engineer = self.people.get(row.engineer)
            if engineer is None:
                continue
            zone = self._zone_of(engineer)
            for period in engineer.leave:
                begins = _midnight(period.start, zone)
                ends = _midnight(period.end + dt.timedelta(days=1), zone)
                if _utc(row.start) < ends and begins < _utc(row.end):
                    yield Violation(
                        "leave",
                        row.engineer,
                        self._label(row),
                        f"is {row.role.value} but on leave {period.start} to {period.end}",
                    )

    def employment(self) -> Iterator[Violation]:
        for row in self.rows:
            engineer = self.people.get(row.engineer)
            if engineer is None:
                continue
            zone = self._zone_of(engineer)
            if engineer.joined and _utc(row.start) < _midnight(engineer.joined, zone):
                yield Violation(
                    "employment",
                    row.engineer,
                    self._label(row),
                    f"is {row.role.value} before joining on {engineer.joined}",
                )
            if engineer.left and _utc(row.end) > _midnight(
                engineer.left + dt.timedelta(days=1), zone
            ):
                yield Violation(
                    "employment",
                    row.engineer,
                    self._label(row),
                    f"is {row.role.value} after leaving on {engineer.left}",
                )

    # -- rest ------------------------------------------------------------------------------

    def _week_number(self, row: Assignment) -> int:
        local = row.start.astimezone(ZoneInfo(self.zone)).date()
        return (local - self.scenario.rotation.start).days // 7

    def primary_back_to_back(self) -> Iterator[Violation]:
        if self.scenario.rules.primary_back_to_back:
            return
        weeks: dict[str, dict[int, Assignment]] = defaultdict(dict)
        for rows in self.by_role[Role.PRIMARY].values():
            for row in rows:
                weeks[row.engineer][self._week_number(row)] = row
        for handle, held in sorted(weeks.items()):
            for number, row in sorted(held.items()):
                if number - 1 in held:
                    yield Violation(
                        "primary_back_to_back",
                        handle,
                        self._label(row),
                        "is primary in this week and in the week before",
                    )

    def max_consecutive_weeks(self) -> Iterator[Violation]:
        limit = self.scenario.rules.max_consecutive_weeks
        weeks: dict[str, set[int]] = defaultdict(set)
        labels: dict[tuple[str, int], str] = {}
        for role in WEEKLY_ROLES:
            for rows in self.by_role[role].values():
                for row in rows:
                    number = self._week_number(row)
                    weeks[row.engineer].add(number)
                    labels[row.engineer, number] = self._label(row)
        for handle, held in sorted(weeks.items()):
            run = 0
            for number in range(min(held), max(held) + 1):
                run = run + 1 if number in held else 0
                if run == limit + 1:
                    yield Violation(
                        "max_consecutive_weeks",
                        handle,
                        labels[handle, number],
                        f"is on call {limit + 1} weeks running (at most {limit} allowed)",
                    )

    # -- seniority -------------------------------------------------------------------------

    def junior_primary_pairing(self) -> Iterator[Violation]:
        needs = self.scenario.rules.junior_primary_needs
        if needs is None:
            return
        secondaries = self.by_role[Role.SECONDARY]
        for start, rows in self.by_role[Role.PRIMARY].items():
            for primary in rows:
                if self.people[primary.engineer].seniority is not Seniority.JUNIOR:
                    continue
                partners = secondaries.get(start, [])
                if not any(self.people[p.engineer].seniority >= needs for p in partners):
                    partner = ", ".join(p.engineer for p in partners) or "nobody"
                    yield Violation(
                        "junior_primary_pairing",
                        primary.engineer,
                        self._label(primary),
                        f"is a junior primary whose secondary ({partner}) is not "
                        f"{needs.label} or above",
                    )

    def month_end_seniority(self) -> Iterator[Violation]:
        minimum = self.scenario.month_end.min_seniority
        for rows in self.by_role[Role.MONTH_END].values():
            for row in rows:
                level = self.people[row.engineer].seniority
                if level < minimum:
                    yield Violation(
                        "month_end_seniority",
                        row.engineer,
                        self._label(row),
                        f"holds a month-end shift as {level.label} (needs {minimum.label} "
                        "or above)",
                    )

    # -- public holidays -------------------------------------------------------------------

    def public_holiday(self) -> Iterator[Violation]:
        if self.scenario.rules.public_holidays is not HolidayMode.HARD:
            return
        for rows in self.by_role[Role.PRIMARY].values():
            for row in rows:
                engineer = self.people[row.engineer]
                dates = _noon_dates(row.start, row.end, self.zone)
                if not dates:
                    continue
                own = region_holidays(engineer.holidays, dates[0].year, dates[-1].year)
                for day in dates:
                    if day in own:
                        yield Violation(
                            "public_holiday",
                            row.engineer,
                            self._label(row),
                            f"is primary over {own[day]} ({day}), a public holiday in "
                            f"{engineer.holidays}",
                        )
