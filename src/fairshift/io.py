"""Scenario files: TOML in (with errors that name the file and key) and TOML out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd

from .errors import ScenarioError
from .pattern import (
    MONTH_END,
    PATTERN_RULE_KEYS,
    WEEKDAYS,
    Pattern,
    Seat,
    ShiftType,
    pattern_from,
)
from .policy import CalendarOptions, MonthEnd, Ownership, Rotation, Rules, Weights
from .team import Engineer, Leave, Pipeline, Seniority, parse_number
from .times import DailyHours, DateWindow, Span

T = TypeVar("T")
#: The scenario class: :meth:`fairshift.Scenario.from_toml` passes itself, so that this module
#: does not import the class it builds.
S = TypeVar("S")


class ScenarioParts(Protocol):
    """What :func:`scenario_to_toml` reads of a scenario (a :class:`fairshift.Scenario`)."""

    @property
    def rotation(self) -> Rotation:
        """``[rotation]``."""

    @property
    def engineers(self) -> tuple[Engineer, ...]:
        """``[[engineers]]``."""

    @property
    def month_end(self) -> MonthEnd:
        """``[month_end]``."""

    @property
    def rules(self) -> Rules:
        """``[rules]``."""

    @property
    def weights(self) -> Weights:
        """``[fairness]``."""

    @property
    def pipelines(self) -> tuple[Pipeline, ...]:
        """``[[pipelines]]``."""

    @property
    def calendar(self) -> CalendarOptions:
        """``[calendar]``."""

    @property
    def ownership(self) -> Ownership:
        """``[ownership]``."""

    @property
    def pattern(self) -> Pattern:
        """``[[shifts]]``, ``[[periods]]``, pattern rules and ``[escalation]``."""


_SECTIONS = {
    "rotation": Rotation,
    "month_end": MonthEnd,
    "rules": Rules,
    "fairness": Weights,
    "calendar": CalendarOptions,
    "ownership": Ownership,
}
_TOP_LEVEL = (
    *_SECTIONS,
    "pipelines",
    "engineers",
    "leave",
    "history",
    "shifts",
    "periods",
    "escalation",
)
#: Keys that spell out today's shape; a file with ``[[shifts]]`` sets these on its shift types.
_SHORTHAND = {
    "rules.max_consecutive_weeks": "max_in_a_row on the shift type",
    "rules.primary_back_to_back": "no_repeat on the seat",
    "rules.junior_primary_needs": "a [[rules.pairing]]",
    "rules.month_end_not_primary": "a [[rules.apart]]",
    "rules.public_holidays": 'holidays = "hard" on the seat',
    "fairness.secondary_factor": "weight on the seat",
}
_ENGINEER_KEYS = (
    "handle",
    "name",
    "seniority",
    "holidays",
    "email",
    "leave",
    "timezone",
    "fte",
    "joined",
    "left",
    "history",
    "working_hours",
    "pagerduty",
    "opsgenie",
    "grafana",
)
_LEAVE_KEYS = ("start", "end", "reason")
_TOP_LEAVE_KEYS = ("engineer", *_LEAVE_KEYS)
_PIPELINE_KEYS = ("name", "investor_facing", "runbook", "sla", "owner", "backup_owner")


def _keys_of(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(allowed)}"
            raise ScenarioError(f"{where}.{key}" if where else key, "unknown key", hint)


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(where, f"{value!r} is not a table", f"write it as [{where}]")
    return value


def _array_of_tables(value: object, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ScenarioError(where, "is not an array of tables", f"write each entry as [[{where}]]")
    return list(value)


@contextmanager
def _at(where: str) -> Iterator[None]:
    """Re-raise errors from dataclass validation with the key path they came from."""
    try:
        yield
    except ScenarioError as error:
        raise error.within(where) from None
    except TypeError as error:
        raise ScenarioError(where, str(error), "check the keys of this entry") from None


def _build(cls: Callable[..., T], table: Mapping[str, Any], where: str) -> T:
    with _at(where):
        return cls(**table)


def _leave(table: Mapping[str, Any], where: str) -> Leave:
    _check_keys(table, _LEAVE_KEYS, where)
    for key in ("start", "end"):
        if key not in table:
            raise ScenarioError(f"{where}.{key}", "is missing", "give both start and end dates")
    return _build(Leave, table, where)


def _engineer(table: Mapping[str, Any], where: str) -> Engineer:
    _check_keys(table, _ENGINEER_KEYS, where)
    for key in ("handle", "name", "seniority", "holidays"):
        if key not in table:
            raise ScenarioError(f"{where}.{key}", "is missing", "every engineer needs it")
    fields = dict(table)
    leave = fields.get("leave", [])
    if not isinstance(leave, list):
        raise ScenarioError(
            f"{where}.leave", f"{leave!r} is not a list", "write [{ start = ..., end = ... }]"
        )
    fields["leave"] = tuple(
        _leave(_table(period, f"{where}.leave[{i}]"), f"{where}.leave[{i}]")
        for i, period in enumerate(leave)
    )
    return _build(Engineer, fields, where)


def parse_scenario(data: Mapping[str, Any], make: Callable[..., S], *, source: str = "") -> S:
    """Build a scenario from parsed TOML (a nested mapping) with ``make``, the class.

    Errors name ``source`` and the key path, e.g. ``team.toml: engineers[1].seniority``.
    Use :meth:`fairshift.Scenario.from_dict`, which passes the class.
    """
    try:
        return _parse(data, make)
    except ScenarioError as error:
        raise error.within(source=source) from None


def _parse(data: Mapping[str, Any], make: Callable[..., S]) -> S:
    _check_keys(data, _TOP_LEVEL, "")
    if "rotation" not in data:
        raise ScenarioError("rotation", "is missing", "add a [rotation] table with start and weeks")
    parts: dict[str, Any] = {}
    for section, cls in _SECTIONS.items():
        if section in data:
            table = _table(data[section], section)
            extra = PATTERN_RULE_KEYS if section == "rules" else ()
            _check_keys(table, (*_keys_of(cls), *extra), section)
            if section == "rotation":
                for key in ("name", "start", "weeks"):
                    if key not in table:
                        raise ScenarioError(f"rotation.{key}", "is missing", "it is required")
            own = {key: value for key, value in table.items() if key not in extra}
            parts[section] = _build(cls, own, section)
    rotation = parts["rotation"]
    pattern = pattern_from(dict(data), start=rotation.start, handoff=rotation.handoff)
    if pattern.shifts:
        if "month_end" in data:
            raise ScenarioError(
                "month_end",
                "spells out today's shape, which [[shifts]] replaces",
                'add a shift type with every = "month-end" instead',
            )
        for path, instead in _SHORTHAND.items():
            section, key = path.split(".")
            if isinstance(data.get(section), Mapping) and key in data[section]:
                raise ScenarioError(
                    path, "spells out today's shape, which [[shifts]] replaces", f"use {instead}"
                )
    engineers = [
        _engineer(table, f"engineers[{i}]")
        for i, table in enumerate(_array_of_tables(data.get("engineers", []), "engineers"))
    ]
    by_handle = {e.handle: i for i, e in enumerate(engineers)}
    for i, table in enumerate(_array_of_tables(data.get("leave", []), "leave")):
        where = f"leave[{i}]"
        _check_keys(table, _TOP_LEAVE_KEYS, where)
        handle = table.get("engineer")
        if not isinstance(handle, str) or handle not in by_handle:
            raise ScenarioError(
                f"{where}.engineer",
                f"{handle!r} is not an engineer of this scenario",
                f"use one of {', '.join(by_handle) or '(no engineers yet)'}",
            )
        period = _leave({k: v for k, v in table.items() if k != "engineer"}, where)
        j = by_handle[str(handle)]
        engineers[j] = _rebuild(engineers[j], leave=(*engineers[j].leave, period))
    history = _table(data.get("history", {}), "history")
    for handle, balance in history.items():
        if handle not in by_handle:
            raise ScenarioError(
                f"history.{handle}",
                f"{handle!r} is not an engineer of this scenario",
                f"use one of {', '.join(by_handle) or '(no engineers yet)'}",
            )
        j = by_handle[handle]
        if engineers[j].history != 0:
            raise ScenarioError(
                f"history.{handle}",
                f"the balance of {handle!r} is also given in its [[engineers]] entry",
                "keep one of the two",
            )
        with _at(f"history.{handle}"):
            engineers[j] = _rebuild(engineers[j], history=parse_number(balance, "balance"))
    pipelines = []
    for i, table in enumerate(_array_of_tables(data.get("pipelines", []), "pipelines")):
        _check_keys(table, _PIPELINE_KEYS, f"pipelines[{i}]")
        pipelines.append(_build(Pipeline, table, f"pipelines[{i}]"))
    return make(
        rotation=parts["rotation"],
        engineers=tuple(engineers),
        month_end=parts.get("month_end", MonthEnd()),
        rules=parts.get("rules", Rules()),
        weights=parts.get("fairness", Weights()),
        pipelines=tuple(pipelines),
        calendar=parts.get("calendar", CalendarOptions()),
        ownership=parts.get("ownership", Ownership()),
        pattern=pattern,
    )


def _rebuild(engineer: Engineer, **changes: Any) -> Engineer:
    return dataclasses.replace(engineer, **changes)


def read_scenario(path: str | Path, make: Callable[..., S]) -> S:
    """Read a scenario TOML file, building it with ``make`` (use :meth:`Scenario.from_toml`).

    Raises
    ------
    ScenarioError
        For a missing file, a TOML syntax error (with its line) or any invalid value.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a BOM, as Windows editors write
    except FileNotFoundError:
        raise ScenarioError("", f"no such file {source!r}", "check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError("", f"cannot read {source!r} ({error})", "check the file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(
            "", f"TOML syntax error: {error}", "fix the syntax at that line", source=source
        ) from None
    return parse_scenario(data, make, source=source)


# -- writing ---------------------------------------------------------------------------


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Seniority):
        return json.dumps(value.label)
    if isinstance(value, Fraction):
        return repr(int(value)) if value.denominator == 1 else repr(float(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()  # a datetime here is naive: a TOML local date-time
    if isinstance(value, DailyHours | Span):
        return json.dumps(str(value))
    if isinstance(value, DateWindow):
        ends = [
            json.dumps(f"{end[0]:02d}-{end[1]:02d}") if isinstance(end, tuple) else _value(end)
            for end in (value.start, value.end)
        ]
        return f"{{ from = {ends[0]}, to = {ends[1]} }}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dt.time):
        return json.dumps(value.strftime("%H:%M:%S" if value.second else "%H:%M"))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {value!r} to TOML")


def _section(name: str, obj: object, *, skip_defaults: bool = False) -> list[str]:
    lines = [f"[{name}]"]
    default = type(obj)() if skip_defaults else None
    for key in obj.__dataclass_fields__:  # type: ignore[attr-defined]
        value = getattr(obj, key)
        if default is not None and getattr(default, key) == value:
            continue
        if value is None:
            value = "none"
        lines.append(f"{key} = {_value(value)}")
    return lines


def scenario_to_toml(scenario: ScenarioParts) -> str:
    """Render a scenario as TOML; :meth:`Scenario.from_toml` of it gives an equal scenario."""
    pattern = scenario.pattern
    shorthand = {path.split(".")[1] for path in _SHORTHAND} if pattern.shifts else set()
    lines: list[str] = []
    lines += _section("rotation", scenario.rotation)
    sections: list[tuple[str, object]] = (
        [] if pattern.shifts else [("month_end", scenario.month_end)]
    )
    sections += [
        ("rules", scenario.rules),
        ("fairness", scenario.weights),
        ("calendar", scenario.calendar),
        ("ownership", scenario.ownership),
    ]
    for name, obj in sections:
        section = [line for line in _section(name, obj) if line.split(" = ")[0] not in shorthand]
        if name == "rules" and pattern.min_rest_hours:
            section.append(f"min_rest_hours = {pattern.min_rest_hours}")
        lines += ["", *section]
    lines += _pattern_lines(pattern)
    for pipeline in scenario.pipelines:
        lines += ["", "[[pipelines]]"]
        for key in _PIPELINE_KEYS:
            value = getattr(pipeline, key)
            if key in ("name", "investor_facing") or value:
                lines.append(f"{key} = {_value(value)}")
    for engineer in scenario.engineers:
        lines += ["", "[[engineers]]"]
        for key in _ENGINEER_KEYS:
            value = getattr(engineer, key)
            if key == "leave":
                periods = ", ".join(
                    "{ start = %s, end = %s%s }"  # noqa: UP031 - braces are TOML's
                    % (p.start, p.end, f", reason = {_value(p.reason)}" if p.reason else "")
                    for p in value
                )
                lines.append(f"leave = [{periods}]")
            elif value is not None and (
                key in ("handle", "name", "seniority", "holidays") or value != _DEFAULTS.get(key)
            ):
                lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


_DEFAULTS: dict[str, Any] = {"email": "", "fte": Fraction(1), "history": Fraction(0)}


def _pattern_lines(pattern: Pattern) -> list[str]:
    """The TOML tables of a pattern, after ``[rules]`` (which holds ``min_rest_hours``).

    ``[[rules.apart]]``, ``[[rules.pairing]]``, ``[[shifts]]``, ``[[periods]]`` and
    ``[escalation]``.
    """
    lines: list[str] = []
    for apart in pattern.apart:
        lines += ["", "[[rules.apart]]", f"seats = {_value(list(apart.seats))}"]
    for pairing in pattern.pairing:
        lines += [
            "",
            "[[rules.pairing]]",
            f"seat = {_value(pairing.seat)}",
            f"when = {_value(pairing.when)}",
            f"partner = {_value(pairing.partner)}",
            f"needs = {_value(pairing.needs)}",
        ]
    for shift in pattern.shifts:
        lines += ["", "[[shifts]]", *_shift_lines(shift)]
    for period in pattern.periods:
        lines += [
            "",
            "[[periods]]",
            f"name = {_value(period.name)}",
            f"dates = {_value(period.dates)}",
            f"min_seniority = {_value(period.min_seniority)}",
        ]
        if period.shifts:
            lines.append(f"shifts = {_value(list(period.shifts))}")
    escalation = pattern.escalation
    if escalation.order or escalation.manager is not None:
        lines += ["", "[escalation]"]
        if escalation.order:
            lines.append(f"order = {_value(list(escalation.order))}")
        if escalation.manager is not None:
            manager = f"name = {_value(escalation.manager.name)}"
            if escalation.manager.email:
                manager += f", email = {_value(escalation.manager.email)}"
            lines.append(f"manager = {{ {manager} }}")
    return lines


def _shift_lines(shift: ShiftType) -> list[str]:
    month_end = shift.every == MONTH_END
    lines = [f"name = {_value(shift.name)}", f"every = {_value(str(shift.every))}"]
    if shift.first is not None:
        lines.append(f"first = {_value(shift.first)}")
    if shift.length is not None:
        lines.append(f"length = {_value(shift.length)}")
    if shift.hours is not None:
        lines.append(f"hours = {_value(shift.hours)}")
    if shift.days is not None:
        lines.append(f"days = {_value([WEEKDAYS[d] for d in sorted(shift.days)])}")
    if shift.weight != 1:
        lines.append(f"weight = {_value(shift.weight)}")
    if shift.max_in_a_row is not None:
        lines.append(f"max_in_a_row = {shift.max_in_a_row}")
    if shift.within_working_hours:
        lines.append("within_working_hours = true")
    if shift.may_overlap != month_end:
        lines.append(f"may_overlap = {_value(shift.may_overlap)}")
    if shift.active:
        lines.append(f"active = {_value(list(shift.active))}")
    if shift.excluded:
        lines.append(f"except = {_value(list(shift.excluded))}")
    if month_end:
        lines += [f"business_days = {shift.business_days}", f"calendar = {_value(shift.calendar)}"]
    base = Seat("seat", spread=True) if month_end else Seat("seat")
    lines.append(f"seats = [{', '.join(_seat_text(seat, base) for seat in shift.seats)}]")
    return lines


def _seat_text(seat: Seat, base: Seat) -> str:
    """A seat as TOML: its name alone, or an inline table with what differs from ``base``."""
    keys = ("weight", "min_seniority", "no_repeat", "holidays", "spread", "pipelines")
    changed = [key for key in keys if getattr(seat, key) != getattr(base, key)]
    if not changed:
        return _value(seat.name)
    parts = [f"name = {_value(seat.name)}"]
    for key in changed:
        value = getattr(seat, key)
        parts.append(f"{key} = {_value(list(value) if key == 'pipelines' else value)}")
    return "{ " + ", ".join(parts) + " }"


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: setting the umask to read it is process-wide, so not done per write.
_UMASK = _read_umask()


def shared_mode(mode: int) -> int:
    """``mode`` as the process's umask allows it (the mode a plain ``open`` would give)."""
    return mode & ~_UMASK


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a half file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; published plans are for the team to read.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet will not run: a leading ``'`` before a formula character.

    Numbers are left alone (``-1.5`` is a number, not a formula).

    Examples
    --------
    >>> safe_cell("=HYPERLINK(1)"), safe_cell("Alex"), safe_cell(-1.5)
    ("'=HYPERLINK(1)", 'Alex', -1.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def read_cell(value: str) -> str:
    """Undo :func:`safe_cell` on a text cell read back from a CSV."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def csv_text(table: pd.DataFrame, *, index: bool = False, float_format: str | None = None) -> str:
    """``table`` as CSV text with every text cell (and index label) made safe for spreadsheets."""
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    if index:
        safe.index = safe.index.map(safe_cell)
    safe.columns = [safe_cell(c) for c in safe.columns]
    return safe.to_csv(index=index, lineterminator="\n", float_format=float_format, na_rep="n/a")
