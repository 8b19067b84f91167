"""Errors raised by fairshift.

Every error is a :class:`FairshiftError` and also subclasses the matching built-in, so
``except ValueError`` keeps working for callers who do not know this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explain import Explanation


class FairshiftError(Exception):
    """Base class of every error fairshift raises on purpose."""


class ScenarioError(FairshiftError, ValueError):
    """A scenario input is wrong.

    The message is one sentence naming where the problem is (file and key, when known),
    the bad value and what would be valid.

    Parameters
    ----------
    field
        Dotted path of the offending key, e.g. ``"engineers[2].seniority"``.
    problem
        What is wrong, including the bad value.
    fix
        What would be valid, phrased as an instruction.
    source
        The file the value came from, when it came from a file.
    """

    def __init__(self, field: str, problem: str, fix: str = "", *, source: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.fix:
            text += f"; {self.fix}"
        return text if text.endswith((".", "?", "!")) else text + "."

    def within(self, prefix: str = "", *, source: str = "") -> ScenarioError:
        """Return a copy whose field is nested under ``prefix`` (and tagged with ``source``)."""
        field = f"{prefix}.{self.field}" if prefix and self.field else (prefix or self.field)
        return ScenarioError(field, self.problem, self.fix, source=source or self.source)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_scenario_error,
            (self.field, self.problem, self.fix, self.source),
        )


def _rebuild_scenario_error(field: str, problem: str, fix: str, source: str) -> ScenarioError:
    return ScenarioError(field, problem, fix, source=source)


class FeedError(FairshiftError, ValueError):
    """The feeds cannot be written (for instance, the state file next to them is unreadable)."""


class PublishError(FairshiftError, RuntimeError):
    """A plan cannot be published (no feeds, server unreachable, upload refused, ...)."""


class ScheduleFormatError(FairshiftError, ValueError):
    """A schedule file or table cannot be read (missing column, unparsable time, ...)."""


class InfeasibleError(FairshiftError, RuntimeError):
    """No schedule satisfies every hard rule.

    Attributes
    ----------
    explanation
        The structured reason: the conflicting rules and facts, in the team's words.
    """

    def __init__(self, explanation: Explanation) -> None:
        self.explanation = explanation
        super().__init__(str(explanation))

    def __reduce__(self) -> tuple[Any, ...]:
        return (InfeasibleError, (self.explanation,))


class NoSolutionFoundError(FairshiftError, RuntimeError):
    """The time limit ran out before any schedule was found (none was proven impossible)."""
