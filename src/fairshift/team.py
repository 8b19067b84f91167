"""The people and pipelines of a rotation: engineers, their leave, seniority and pipelines."""

from __future__ import annotations

import datetime as dt
import enum
import math
import numbers
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from .errors import ScenarioError
from .times import DailyHours

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")

#: Longest display name of an engineer, pipeline or rotation, in characters.
NAME_LENGTH = 100
#: Longest e-mail address (RFC 5321).
EMAIL_LENGTH = 254
#: Longest short free text (a service level, a leave reason).
SHORT_TEXT = 200
#: Longest long free text (a runbook link).
LONG_TEXT = 2000
#: Largest balance carried over, in days either way.
MAX_HISTORY = 1000

#: Paging-tool user ids of an engineer: ``(field, form, how to fix a bad one)``.
_PAGER_IDS = (
    (
        "pagerduty",
        re.compile(r"^[A-Z0-9]{1,40}$"),
        "give the user's id from PagerDuty (upper-case letters and digits, e.g. PABC123)",
    ),
    (
        "opsgenie",
        re.compile(r"^[^@\s]+@[^@\s]+$"),
        "give the user's Opsgenie username, their e-mail address",
    ),
    (
        "grafana",
        re.compile(r"^[^\s]+$"),
        "give the user's Grafana username or e-mail address (no spaces)",
    ),
)


class Seniority(enum.IntEnum):
    """Seniority levels, ordered: a senior satisfies any rule that asks for a mid."""

    JUNIOR = 1
    MID = 2
    SENIOR = 3

    @classmethod
    def parse(cls, value: object, field: str = "seniority") -> Seniority:
        """Read a seniority from its name (``"junior"``, ``"mid"``, ``"senior"``)."""
        if isinstance(value, Seniority):
            return value
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        raise ScenarioError(
            field,
            f"{value!r} is not a seniority",
            f"use one of {', '.join(level.label for level in cls)}",
        )

    @property
    def label(self) -> str:
        """Lower-case name as written in scenario files."""
        return self.name.lower()


#: Dates outside these years are typos (and would overflow date arithmetic near year 9999).
FIRST_YEAR, LAST_YEAR = 1900, 2200


def parse_date(value: object, field: str) -> dt.date:
    """Accept a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string; anything else is an error."""
    if isinstance(value, dt.datetime):
        raise ScenarioError(field, f"{value!r} has a time of day", "give a plain date YYYY-MM-DD")
    parsed: dt.date | None = value if isinstance(value, dt.date) else None
    if isinstance(value, str):
        try:
            parsed = dt.date.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ScenarioError(field, f"{value!r} is not a valid date", "write it as YYYY-MM-DD")
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ScenarioError(
            field, f"{parsed} is out of range", f"use a date from {FIRST_YEAR} to {LAST_YEAR}"
        )
    return parsed


def parse_zone(value: object, field: str) -> str:
    """Check an IANA time-zone name such as ``"America/Los_Angeles"`` and return it."""
    if isinstance(value, str) and value.strip():
        try:
            ZoneInfo(value.strip())
            return value.strip()
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
            pass
    raise ScenarioError(
        field,
        f"{value!r} is not a known time zone",
        "use an IANA name such as 'America/Los_Angeles' or 'Europe/Berlin'",
    )


@cache
def _countries() -> frozenset[str]:
    """The country codes the holidays library knows, aliases included, read off its registry.

    Unlike :func:`holidays.list_supported_countries`, which imports all of its some 250
    country modules (an eighth of a second), this imports none.
    """
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes(include_aliases=True))


@cache
def _subdivisions(country: str) -> frozenset[str]:
    """The subdivision codes of one known country (imports that country's module only)."""
    return frozenset(getattr(holidays, country).subdivisions)


def parse_region(value: object, field: str) -> str:
    """Check a holiday region code: a country (``"US"``) or country-subdivision (``"US-CA"``)."""
    fix = "list valid codes with `fairshift regions` (or `fairshift regions US` for subdivisions)"
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(field, f"{value!r} is not a holiday region", fix)
    code = value.strip()
    country, _, subdiv = code.partition("-")
    if country not in _countries():
        raise ScenarioError(field, f"unknown holiday region {code!r}", fix)
    if subdiv and subdiv not in _subdivisions(country):
        raise ScenarioError(
            field, f"{country} has no subdivision {subdiv!r} in holiday region {code!r}", fix
        )
    return code


@cache
def region_holidays(code: str, first_year: int, last_year: int) -> dict[dt.date, str]:
    """Public holidays of a region code for the given years, as ``{date: name}``."""
    country, _, subdiv = code.partition("-")
    calendar = holidays.country_holidays(
        country, subdiv=subdiv or None, years=range(first_year, last_year + 1)
    )
    return dict(sorted(calendar.items()))


def parse_number(
    value: object,
    field: str,
    *,
    decimals: int = 4,
    low: Fraction | int | None = None,
    high: Fraction | int | None = None,
) -> Fraction:
    """Read a number into an exact fraction (floats via their shortest decimal text).

    Any real number type is accepted (``numpy.float64`` and ``numpy.int64`` included), with
    at most ``decimals`` decimal places (an exact :class:`~fractions.Fraction`: a denominator
    of at most ``10**decimals``), between ``low`` and ``high`` when given.

    Examples
    --------
    >>> parse_number(0.25, "weekend")
    Fraction(1, 4)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScenarioError(field, f"{value!r} is not a number", "write a number such as 1.5")
    if isinstance(value, numbers.Rational):
        # An exact fraction (Python API): any denominator up to the decimals' grain.
        exact = Fraction(int(value.numerator), int(value.denominator))
        if exact.denominator > 10**decimals:
            raise ScenarioError(
                field,
                f"{value} is finer than {decimals} decimals allow",
                f"round it to at most {decimals} decimals (exact arithmetic needs a fixed grain)",
            )
    else:
        number = float(value)
        if not math.isfinite(number):
            raise ScenarioError(field, f"{value!r} is not a finite number", "write a number")
        exact = Fraction(repr(number))  # the decimal as written, e.g. 0.1 is 1/10
        if 10**decimals % exact.denominator:
            raise ScenarioError(
                field,
                f"{number!r} has more than {decimals} decimals",
                f"round it to at most {decimals} decimals (exact arithmetic needs a fixed grain)",
            )
    if (low is not None and exact < low) or (high is not None and exact > high):
        span = " to ".join(f"{float(end):g}" for end in (low, high) if end is not None)
        raise ScenarioError(field, f"{float(exact):g} is out of range", f"use {span}")
    return exact


def parse_whole(value: object, field: str, low: int, high: int, *, fix: str = "") -> int:
    """Read a whole number from ``low`` to ``high`` (``numpy.int64`` and the like included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ScenarioError(
            field, f"{value!r} is not a whole number", fix or f"use a whole number {low} to {high}"
        )
    whole = int(value)
    if not low <= whole <= high:
        raise ScenarioError(field, f"{whole} is out of range", fix or f"use {low} to {high}")
    return whole


#: Characters no text value may hold: control characters (which reach terminals, CSV
#: cells and reports) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def parse_text(value: object, field: str, *, limit: int, required: bool = False) -> str:
    """Check a text value: a string of at most ``limit`` characters and no control characters.

    Examples
    --------
    >>> parse_text("Alex Chen", "name", limit=100)
    'Alex Chen'
    """
    what = "the name" if field == "name" else "it"
    if not isinstance(value, str):
        raise ScenarioError(field, f"{value!r} is not text", f'write {what} in quotes, e.g. "..."')
    if len(value) > limit:
        raise ScenarioError(
            field, f"is {len(value)} characters long", f"shorten it to at most {limit}"
        )
    found = _CONTROL.search(value)
    if found:
        raise ScenarioError(
            field,
            f"holds the control character U+{ord(found.group()):04X}",
            "remove it (line breaks, tabs and escapes are not allowed here)",
        )
    if required and not value.strip():
        raise ScenarioError(field, f"{value!r} is empty", f"give {what}")
    return value


@dataclass(frozen=True)
class Leave:
    """A leave period, both dates inclusive, in the engineer's own time zone.

    Examples
    --------
    >>> Leave(dt.date(2027, 7, 5), dt.date(2027, 7, 16)).days
    12
    """

    start: dt.date
    end: dt.date
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", parse_date(self.start, "start"))
        object.__setattr__(self, "end", parse_date(self.end, "end"))
        parse_text(self.reason, "reason", limit=SHORT_TEXT)
        if self.end < self.start:
            raise ScenarioError(
                "end",
                f"leave ends on {self.end} before it starts on {self.start}",
                "swap the dates or fix the typo",
            )

    @property
    def days(self) -> int:
        """Number of calendar days of leave."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Engineer:
    """One person in the rotation.

    Parameters
    ----------
    handle
        Short unique id (lower-case letters, digits, ``_ . -``), used in files and calendars.
    name
        Display name.
    seniority
        ``junior``, ``mid`` or ``senior`` (or a :class:`Seniority`).
    holidays
        Public-holiday region, ``"US-CA"`` style (see ``fairshift regions``).
    email
        Shown in calendar descriptions; optional.
    leave
        Leave periods, dates inclusive in the engineer's time zone.
    timezone
        IANA zone for leave dates and display; ``None`` means the rotation's zone.
    fte
        Working fraction, ``0 < fte <= 1``; fair share scales with it.
    joined, left
        First and last day of employment in this rotation (inclusive); ``None`` is unbounded.
    history
        Burden above (+) or below (-) fair share carried over from earlier periods.
    working_hours
        Daily window of working hours in the engineer's own zone, e.g. ``"08:00-18:00"``;
        only shift types with ``within_working_hours`` look at it. ``None``: unrestricted.
    pagerduty, opsgenie, grafana
        The engineer's user in a paging tool, for ``fairshift export`` (``""``: none given):
        a PagerDuty user id such as ``"PABC123"``, an Opsgenie username (an e-mail address),
        a Grafana OnCall username or e-mail address.

    Examples
    --------
    >>> Engineer("alex", "Alex Chen", "senior", "US-CA").seniority.label
    'senior'
    """

    handle: str
    name: str
    seniority: Seniority
    holidays: str
    email: str = ""
    leave: tuple[Leave, ...] = field(default_factory=tuple)
    timezone: str | None = None
    fte: Fraction = Fraction(1)
    joined: dt.date | None = None
    left: dt.date | None = None
    history: Fraction = Fraction(0)
    working_hours: DailyHours | None = None
    pagerduty: str = ""
    opsgenie: str = ""
    grafana: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.handle, str) or not _HANDLE.match(self.handle):
            raise ScenarioError(
                "handle",
                f"{self.handle!r} is not a valid handle",
                "use 1-40 lower-case letters, digits, '_', '.' or '-', starting with a letter "
                "or digit",
            )
        parse_text(self.name, "name", limit=NAME_LENGTH, required=True)
        object.__setattr__(self, "seniority", Seniority.parse(self.seniority))
        object.__setattr__(self, "holidays", parse_region(self.holidays, "holidays"))
        parse_text(self.email, "email", limit=EMAIL_LENGTH)
        if self.email and ("@" not in self.email or any(c.isspace() for c in self.email)):
            raise ScenarioError(
                "email", f"{self.email!r} is not an e-mail address", "write name@example.com"
            )
        if not isinstance(self.leave, tuple | list):
            raise ScenarioError("leave", f"{self.leave!r} is not a list", "give a tuple of Leave")
        leave = tuple(self.leave)
        for i, period in enumerate(leave):
            if not isinstance(period, Leave):
                raise ScenarioError(f"leave[{i}]", f"{period!r} is not a Leave", "use Leave(...)")
        object.__setattr__(self, "leave", tuple(sorted(leave, key=lambda p: (p.start, p.end))))
        if self.timezone is not None:
            object.__setattr__(self, "timezone", parse_zone(self.timezone, "timezone"))
        fte = parse_number(self.fte, "fte", decimals=3)
        if not 0 < fte <= 1:
            raise ScenarioError(
                "fte", f"{float(fte):g} is out of range", "use a fraction with 0 < fte <= 1"
            )
        object.__setattr__(self, "fte", fte)
        if self.joined is not None:
            object.__setattr__(self, "joined", parse_date(self.joined, "joined"))
        if self.left is not None:
            object.__setattr__(self, "left", parse_date(self.left, "left"))
        if self.joined and self.left and self.left < self.joined:
            raise ScenarioError(
                "left",
                f"{self.left} is before joined {self.joined}",
                "the last day must not precede the first",
            )
        history = parse_number(
            self.history, "history", decimals=2, low=-MAX_HISTORY, high=MAX_HISTORY
        )
        object.__setattr__(self, "history", history)
        if self.working_hours is not None and not isinstance(self.working_hours, DailyHours):
            hours = DailyHours.parse(self.working_hours, "working_hours")
            object.__setattr__(self, "working_hours", hours)
        for tool, pattern, fix in _PAGER_IDS:
            value = parse_text(getattr(self, tool), tool, limit=EMAIL_LENGTH)
            if value and not pattern.match(value):
                raise ScenarioError(tool, f"{value!r} is not a valid {tool} id", fix)


@dataclass(frozen=True)
class Pipeline:
    """A data pipeline the rotation looks after.

    Parameters
    ----------
    name
        Display name, unique within the scenario.
    investor_facing
        Whether its numbers go to investors (month-end reporting depends on it).
    runbook
        Link to the runbook; optional.
    sla
        Service level in words (e.g. ``"data by 06:00 PT"``); optional.
    owner, backup_owner
        Handles of the primary and secondary owner; optional.
    """

    name: str
    investor_facing: bool = False
    runbook: str = ""
    sla: str = ""
    owner: str = ""
    backup_owner: str = ""

    def __post_init__(self) -> None:
        parse_text(self.name, "name", limit=NAME_LENGTH, required=True)
        if not isinstance(self.investor_facing, bool):
            raise ScenarioError(
                "investor_facing",
                f"{self.investor_facing!r} is not true/false",
                "write true or false",
            )
        parse_text(self.runbook, "runbook", limit=LONG_TEXT)
        parse_text(self.sla, "sla", limit=SHORT_TEXT)
        for key in ("owner", "backup_owner"):
            parse_text(getattr(self, key), key, limit=40)
        if self.owner and self.owner == self.backup_owner:
            raise ScenarioError(
                "backup_owner",
                f"{self.backup_owner!r} is also the owner",
                "name a different engineer as backup owner",
            )
