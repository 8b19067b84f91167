"""Who and which seat a calendar event names, by every text a feed may use for them.

Feeds of paging tools and shared calendars name people and seats loosely; this module turns
their words into a scenario's handles and seats, for :mod:`fairshift.readics`. Text is
compared without regard to case, spaces or quotes, and without ``mailto:``.

- **Engineer** (:class:`People`). fairshift's own ``X-FAIRSHIFT-ENGINEER`` first; else the
  SUMMARY (``alex``, ``Alex Chen``, ``alex.chen@example.com``, ``Primary: Alex Chen``,
  Grafana OnCall's ``[L1] alex``): the whole title when it names someone, else its parts;
  else an ATTENDEE, by address or CN. Each may be a handle, a name, an e-mail address or a
  paging-tool id (:data:`ENGINEER_FIELDS`).
- **Seat** (:class:`Seats`). ``X-FAIRSHIFT-ROLE``, CATEGORIES and the parts of the SUMMARY,
  each a seat id (``weekly.primary``), a seat name (``primary``: all the shift types that
  have it) or the shift's name for a shift of one seat (``month-end``). Words that name
  different seats cancel each other.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from .errors import ScenarioError
from .icsfeed import as_list
from .pattern import Pattern
from .scenario import Scenario

#: The engineer fields a feed may name an engineer by, besides the handle.
ENGINEER_FIELDS = ("name", "email", "pagerduty", "opsgenie", "grafana")

# Grafana OnCall's optional priority prefix, "[L1] alex".
_PRIORITY = re.compile(r"^\s*\[[^\]]{0,20}\]\s*")
_BRACKETED = re.compile(r"[(<\[]([^()<>\[\]]*)[)>\]]")
_EMAIL = re.compile(r"[^\s<>():;,\"'\[\]]+@[^\s<>():;,\"'\[\]]+")
_SEPARATORS = re.compile(r"\s*[:|/,;&→]\s*|\s+[-–—]+\s+")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)


def key(text: str) -> str:
    """Text as compared: ``mailto:`` and quotes dropped, spaces collapsed, case folded.

    Examples
    --------
    >>> key('mailto:"Alex  Chen"')
    'alex chen'
    """
    text = _MAILTO.sub("", text.strip()).strip("\"' ")
    return " ".join(text.split()).casefold()


def parts(text: str) -> list[str]:
    """The pieces of a SUMMARY that may name someone or something, the whole first.

    Examples
    --------
    >>> parts("[L1] Primary: Alex Chen")
    ['primary: alex chen', 'alex chen', 'primary']
    """
    text = _PRIORITY.sub("", text)
    inner = _BRACKETED.findall(text)
    outside = _BRACKETED.sub(" ", text)
    # After a prefix such as "Primary:", the rest may hold separators of its own ("Smith, J").
    rest = text.split(":", 1)[1] if ":" in text else ""
    pieces = [text, *_EMAIL.findall(text), *inner, outside, rest]
    pieces += _SEPARATORS.split(text) + _SEPARATORS.split(outside)
    return [found for found in dict.fromkeys(key(p) for p in pieces) if found]


def _texts(value: Any) -> list[str]:
    """A property's values as text (one property, or a list of them)."""
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]


class People:
    """Engineers by every text a feed may call them.

    Parameters
    ----------
    scenario
        The team whose handles, names, e-mail addresses and paging-tool ids are looked for.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.index: dict[str, set[str]] = defaultdict(set)
        for engineer in scenario.engineers:
            self.index[key(engineer.handle)].add(engineer.handle)
            for field in ENGINEER_FIELDS:
                value = getattr(engineer, field, "")
                if isinstance(value, str) and value.strip():
                    self.index[key(value)].add(engineer.handle)

    def of_text(self, text: str) -> set[str]:
        """Handles ``text`` names: the whole text if it names someone, else its parts."""
        found = parts(text)
        if not found:
            return set()
        whole = self.index.get(found[0])
        if whole:
            return set(whole)
        return {h for part in found[1:] for h in self.index.get(part, ())}

    def of_event(self, component: Any, summary: str) -> set[str]:
        """Handles an event names: X-FAIRSHIFT-ENGINEER, else SUMMARY, else ATTENDEE."""
        own = key(str(component.get("X-FAIRSHIFT-ENGINEER", "")))
        if own in self.index:
            return set(self.index[own])
        found = self.of_text(summary)
        if found:
            return found
        for attendee in as_list(component.get("ATTENDEE")):
            names = {h for h in self.index.get(key(str(attendee)), ())}
            cn = getattr(attendee, "params", {}).get("CN")
            if not names and cn:
                names = self.of_text(str(cn))
            found |= names
        return found


def attendee_text(attendee: Any) -> str:
    """``Jordan Lee <jordan.lee@example.com>``, as an ATTENDEE is shown."""
    address = _MAILTO.sub("", str(attendee))
    cn = getattr(attendee, "params", {}).get("CN")
    return f"{cn} <{address}>" if cn else address


class Seats:
    """Seats by every way a feed or a command line names them.

    Parameters
    ----------
    pattern
        The rotation pattern whose seats are looked for, as ``(shift, seat)`` names.
    """

    def __init__(self, pattern: Pattern) -> None:
        self.pattern = pattern
        index: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for shift in pattern.shifts:
            for seat in shift.seats:
                words = {
                    f"{shift.name}.{seat.name}",
                    f"{shift.name}-{seat.name}",
                    f"{shift.name} {seat.name}",
                    f"{seat.name} ({shift.name})",
                    seat.name,
                }
                if len(shift.seats) == 1:
                    words.add(shift.name)
                for word in words:
                    for variant in (word, word.replace("_", "-"), word.replace("_", " ")):
                        index[key(variant)].add((shift.name, seat.name))
                        index[key(variant.replace("-", " "))].add((shift.name, seat.name))
        self.index = {word: frozenset(found) for word, found in index.items()}

    def argument(self, text: str, feed: str) -> frozenset[tuple[str, str]]:
        """The seats a given seat id stands for (a seat name several shifts use: all)."""
        found = self.index.get(key(text))
        if found:
            return found
        try:
            return frozenset({self.pattern.resolve(text, "seat")})
        except ScenarioError as error:
            raise error.within(source=feed) from None

    def of_event(self, component: Any, summary: str) -> frozenset[tuple[str, str]] | None:
        """The seats an event names (``None``: none; empty: two that disagree)."""
        named: list[frozenset[tuple[str, str]]] = []
        for prop in ("X-FAIRSHIFT-ROLE", "CATEGORIES"):
            for value in as_list(component.get(prop)):
                words = getattr(value, "cats", None)
                for word in _texts(words) if words is not None else _texts(value):
                    found = self.index.get(key(word))
                    if found:
                        named.append(found)
        for part in parts(summary):
            found = self.index.get(part)
            if found:
                named.append(found)
        if not named:
            return None
        # "P1 (day)" and "p1" agree on day.p1; "primary" and "secondary" name nothing common.
        return frozenset.intersection(*named)


__all__ = ["ENGINEER_FIELDS", "People", "Seats", "attendee_text", "key", "parts"]
