"""A scenario: one team, its policy and its horizon; immutable, with what-if copies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .pattern import Pattern, default_pattern
from .policy import CalendarOptions, MonthEnd, Ownership, Rotation, Rules, Weights
from .team import Engineer, Leave, Pipeline, parse_number
from .turns import has_turns


@dataclass(frozen=True)
class Scenario:
    """Everything fairshift needs to plan a rotation.

    Parameters
    ----------
    rotation
        Name, first handoff date, number of weeks, handoff time and time zone.
    engineers
        The team; handles must be unique.
    month_end
        The critical month-end window.
    rules
        Hard rules.
    weights
        Burden weights used by the fairness objective and statistics.
    pipelines
        Pipelines covered by the rotation (shown in calendars and reports).
    calendar
        Options for the iCalendar feeds.
    ownership
        Pipeline-ownership policy.
    pattern
        The shape of the rotation: shift types and seats, dated requirements, pattern rules
        and escalation (:mod:`fairshift.pattern`). Without shift types it stands for the
        default shape built from ``month_end`` and ``rules`` (:attr:`shape`).

    Examples
    --------
    >>> import datetime as dt
    >>> team = (Engineer("ana", "Ana", "senior", "US"), Engineer("bo", "Bo", "mid", "US"))
    >>> s = Scenario(Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> s.handles
    ('ana', 'bo')
    """

    rotation: Rotation
    engineers: tuple[Engineer, ...]
    month_end: MonthEnd = field(default_factory=MonthEnd)
    rules: Rules = field(default_factory=Rules)
    weights: Weights = field(default_factory=Weights)
    pipelines: tuple[Pipeline, ...] = ()
    calendar: CalendarOptions = field(default_factory=CalendarOptions)
    ownership: Ownership = field(default_factory=Ownership)
    pattern: Pattern = field(default_factory=Pattern)

    def __post_init__(self) -> None:
        parts = (
            ("rotation", Rotation),
            ("month_end", MonthEnd),
            ("rules", Rules),
            ("weights", Weights),
            ("calendar", CalendarOptions),
            ("ownership", Ownership),
            ("pattern", Pattern),
        )
        for key, kind in parts:
            value = getattr(self, key)
            if not isinstance(value, kind):
                raise ScenarioError(
                    key,
                    f"{type(value).__name__} {value!r} is not a {kind.__name__}",
                    f"pass fairshift.{kind.__name__}(...)",
                )
        members: tuple[tuple[str, type], ...] = (("engineers", Engineer), ("pipelines", Pipeline))
        for key, member in members:
            value = getattr(self, key)
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                raise ScenarioError(
                    key, f"{value!r} is not a list", f"pass a tuple of {member.__name__}"
                )
            for i, item in enumerate(value):
                if not isinstance(item, member):
                    raise ScenarioError(
                        f"{key}[{i}]",
                        f"{type(item).__name__} {item!r} is not an {member.__name__}",
                        f"pass fairshift.{member.__name__}(...)",
                    )
        engineers = tuple(self.engineers)
        pipelines = tuple(self.pipelines)
        object.__setattr__(self, "engineers", engineers)
        object.__setattr__(self, "pipelines", pipelines)
        if not engineers:
            raise ScenarioError("engineers", "the team is empty", "add at least two engineers")
        seen: set[str] = set()
        for i, engineer in enumerate(engineers):
            if engineer.handle in seen:
                raise ScenarioError(
                    f"engineers[{i}].handle",
                    f"duplicate handle {engineer.handle!r}",
                    "give every engineer a unique handle",
                )
            seen.add(engineer.handle)
        names: set[str] = set()
        for i, pipeline in enumerate(pipelines):
            if pipeline.name in names:
                raise ScenarioError(
                    f"pipelines[{i}].name",
                    f"duplicate pipeline {pipeline.name!r}",
                    "give every pipeline a unique name",
                )
            names.add(pipeline.name)
            for key in ("owner", "backup_owner"):
                handle = getattr(pipeline, key)
                if handle and handle not in seen:
                    raise ScenarioError(
                        f"pipelines[{i}].{key}",
                        f"{handle!r} is not an engineer of this scenario",
                        f"use one of {', '.join(sorted(seen))}",
                    )

        shape = self.shape
        shape.check()
        for i, shift in enumerate(self.pattern.shifts):
            if (shift.active or shift.excluded) and not has_turns(shift, self.rotation):
                raise ScenarioError(
                    f"shifts[{i}].active",
                    f"shift type {shift.name!r} has no turn in the horizon "
                    f"({self.rotation.start} for {self.rotation.weeks} weeks)",
                    "check the dates of its active and except windows, or lengthen the horizon",
                )
        known = {p.name for p in pipelines}
        for shift in shape.shifts:
            for seat in shift.seats:
                for name in seat.pipelines:
                    if name != "*" and name not in known:
                        raise ScenarioError(
                            f"shifts.{shift.name}.seats.{seat.name}.pipelines",
                            f"{name!r} is not a pipeline of this scenario",
                            "use one of "
                            + (", ".join(sorted(known)) or "(no pipelines yet)")
                            + ', or "*"',
                        )

    @functools.cached_property
    def shape(self) -> Pattern:
        """The rotation pattern in force: :attr:`pattern`, or the default shape it extends."""
        if self.pattern.shifts:
            return self.pattern
        return default_pattern(self)

    @property
    def default_shape(self) -> bool:
        """Whether the rotation has today's shape (no ``[[shifts]]`` of its own)."""
        return not self.pattern.shifts

    # -- lookups -------------------------------------------------------------------------

    def warnings(self) -> list[str]:
        """Valid but probably unintended inputs, in sentences (the command line prints them).

        Examples
        --------
        >>> import datetime as dt
        >>> late = Engineer("bo", "Bo", "mid", "US", joined=dt.date(2030, 1, 1))
        >>> s = Scenario(Rotation("Ops", dt.date(2027, 1, 4), 4), (late,))
        >>> s.warnings()
        ['Bo (bo) joins on 2030-01-01, after the horizon ends on 2027-02-01: no shift for them']
        """
        rotation = self.rotation
        found = []
        for e in self.engineers:
            who = f"{e.name} ({e.handle})"
            if e.joined is not None and e.joined >= rotation.end_date:
                found.append(
                    f"{who} joins on {e.joined}, after the horizon ends on {rotation.end_date}: "
                    "no shift for them"
                )
            if e.left is not None and e.left < rotation.start:
                found.append(
                    f"{who} leaves on {e.left}, before the horizon starts on {rotation.start}: "
                    "no shift for them"
                )
        return found

    def outside_horizon(self, day: dt.date, option: str) -> str | None:
        """A warning when ``day`` (given as ``option``) lies outside the horizon, else ``None``."""
        rotation = self.rotation
        if rotation.start <= day <= rotation.end_date:
            return None
        return (
            f"{option} {day} lies outside the horizon ({rotation.start} to "
            f"{rotation.end_date}): nothing is "
            + ("frozen or kept" if day > rotation.end_date else "in the past")
        )

    @property
    def handles(self) -> tuple[str, ...]:
        """Engineer handles, in scenario order."""
        return tuple(engineer.handle for engineer in self.engineers)

    @functools.cached_property
    def _by_handle(self) -> dict[str, Engineer]:
        # Looked up inside every rule's loop; a linear scan there is quadratic in team size.
        return {engineer.handle: engineer for engineer in self.engineers}

    def engineer(self, handle: str) -> Engineer:
        """Return the engineer with this handle, or raise a :class:`ScenarioError`."""
        found = self._by_handle.get(handle)
        if found is not None:
            return found
        raise ScenarioError(
            "engineer",
            f"{handle!r} is not an engineer of this scenario",
            f"use one of {', '.join(self.handles)}",
        )

    # -- files ---------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read a scenario file; every mistake raises a :class:`ScenarioError` naming the key."""
        from .io import read_scenario

        return read_scenario(path, cls)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> Scenario:
        """Build a scenario from parsed TOML (a nested mapping, e.g. from ``tomllib``).

        Errors name ``source`` and the key path, as :meth:`from_toml`'s do.
        """
        from .io import parse_scenario

        return parse_scenario(data, cls, source=source)

    def to_toml(self) -> str:
        """Write the scenario as TOML text that :meth:`from_toml` reads back to an equal one."""
        from .io import scenario_to_toml

        return scenario_to_toml(self)

    # -- what-if copies ------------------------------------------------------------------

    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with some top-level fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    def with_engineer(self, engineer: Engineer) -> Scenario:
        """Return a copy with one more engineer."""
        return self.replace(engineers=(*self.engineers, engineer))

    def without(self, handle: str) -> Scenario:
        """Return a copy without the engineer ``handle`` (and without their pipeline ownership)."""
        self.engineer(handle)
        pipelines = tuple(
            dataclasses.replace(
                p,
                owner="" if p.owner == handle else p.owner,
                backup_owner="" if p.backup_owner == handle else p.backup_owner,
            )
            for p in self.pipelines
        )
        return self.replace(
            engineers=tuple(e for e in self.engineers if e.handle != handle), pipelines=pipelines
        )

    def with_engineer_changes(self, handle: str, **changes: Any) -> Scenario:
        """Return a copy where engineer ``handle`` has some fields replaced."""
        self.engineer(handle)
        return self.replace(
            engineers=tuple(
                dataclasses.replace(e, **changes) if e.handle == handle else e
                for e in self.engineers
            )
        )

    def with_leave(
        self, handle: str, start: dt.date | str, end: dt.date | str, reason: str = ""
    ) -> Scenario:
        """Return a copy where ``handle`` has one more leave period (dates inclusive)."""
        extra = Leave(start, end, reason)  # type: ignore[arg-type]
        return self.with_engineer_changes(handle, leave=(*self.engineer(handle).leave, extra))

    def with_rules(self, **changes: Any) -> Scenario:
        """Return a copy with some hard rules changed, e.g. ``max_consecutive_weeks=1``."""
        return self.replace(rules=dataclasses.replace(self.rules, **changes))

    def with_weights(self, **changes: Any) -> Scenario:
        """Return a copy with some fairness weights changed."""
        return self.replace(weights=dataclasses.replace(self.weights, **changes))

    def with_month_end(self, **changes: Any) -> Scenario:
        """Return a copy with the month-end policy changed, e.g. ``min_seniority="senior"``."""
        return self.replace(month_end=dataclasses.replace(self.month_end, **changes))

    def with_horizon(self, *, start: dt.date | None = None, weeks: int | None = None) -> Scenario:
        """Return a copy with a different first handoff date and/or number of weeks."""
        changes: dict[str, Any] = {}
        if start is not None:
            changes["start"] = start
        if weeks is not None:
            changes["weeks"] = weeks
        return self.replace(rotation=dataclasses.replace(self.rotation, **changes))

    def with_history(self, balances: dict[str, float] | Iterable[tuple[str, float]]) -> Scenario:
        """Return a copy whose engineers carry these history balances (others keep theirs)."""
        items = dict(balances)
        for handle in items:
            self.engineer(handle)
        return self.replace(
            engineers=tuple(
                dataclasses.replace(e, history=parse_number(items[e.handle], "history"))
                if e.handle in items
                else e
                for e in self.engineers
            )
        )
