"""Explanations in the team's own words: the facts behind an infeasible scenario."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fact:
    """One instance of a hard rule, or one input fact, that a schedule must respect.

    Attributes
    ----------
    rule
        Rule id (``"leave"``, ``"coverage"``, ...; see :data:`fairshift.RULES`).
    sentence
        The fact in plain words.
    slot
        Slot id it concerns (``"week-012"``), if any.
    engineers
        Handles it concerns.
    seat
        Seat id (``"weekly.primary"``) of the slot it concerns, if any.
    """

    rule: str
    sentence: str
    slot: str = ""
    engineers: tuple[str, ...] = ()
    seat: str = ""


@dataclass(frozen=True)
class Relaxation:
    """A single change that would make an infeasible scenario feasible."""

    rule: str
    sentence: str


@dataclass(frozen=True)
class Explanation:
    """Why no schedule exists: a small set of facts that cannot all hold at once.

    Attributes
    ----------
    facts
        The conflicting facts; dropping any one of them (when ``minimal``) removes the conflict.
    minimal
        Whether the set was shrunk until no fact could be dropped.
    relaxations
        Single changes that would make the scenario feasible, when known.
    """

    facts: tuple[Fact, ...]
    minimal: bool = False
    relaxations: tuple[Relaxation, ...] = field(default_factory=tuple)
    summary: str = "No schedule satisfies every hard rule."

    @property
    def rules(self) -> tuple[str, ...]:
        """Distinct rule ids involved, in order of first appearance."""
        return tuple(dict.fromkeys(fact.rule for fact in self.facts))

    def __str__(self) -> str:
        lines = [self.summary]
        if self.facts:
            lines.append("These facts conflict" + (" (a minimal set):" if self.minimal else ":"))
            lines += [f"  - {fact.sentence}" for fact in self.facts]
        if self.relaxations:
            lines.append("Any one of these changes would make a schedule possible:")
            lines += [f"  * {r.sentence}" for r in self.relaxations]
        return "\n".join(lines)
