"""Score a rota a team already has: the rules it breaks, its fairness, fairshift's plan beside it.

The rota comes from a schedule table (``schedule.csv``, hand-made or from an earlier plan) or
from the iCalendar feeds of the tool that runs it today (:mod:`fairshift.readics`). It is
checked by the independent validator and measured by :mod:`fairshift.fairness`, then set
beside a plan that fairshift solves within the time limit (:func:`fairshift.compare`).

``fairshift score SCENARIO --ics FEED.ics[:SEAT] ...`` or ``fairshift score SCENARIO
schedule.csv`` prints it all and exits 0, or 1 when the rota breaks a hard rule. An event
that names nobody of the scenario stops the command (exit 2) unless ``--skip-unknown`` is
given, so that a misspelt name never passes for an unfilled turn; with it, such events are
listed and the rest is scored.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import arguments
from .calendar import expand
from .compare import compare, versus
from .errors import FairshiftError, InfeasibleError, NoSolutionFoundError, ScenarioError
from .fairness import Fairness, fairness
from .readics import Rota, Unmatched, read_feeds
from .rules import RULES, Violation
from .runner import Deadline
from .scenario import Scenario
from .schedule import Schedule
from .terminal import terminal_text, warn
from .validate import validate

EXIT_OK, EXIT_VIOLATIONS = 0, 1
#: Names of the two schedules side by side.
ROTA, PLANNED = "your rota", "fairshift"
#: A solve given less time than this is not started (it could not find a plan).
MIN_SOLVE_SECONDS = 0.5
#: Seconds kept back from the solve for comparing and printing: measured 0.1 s for the
#: bundled example and 0.3 s for follow-the-sun's 2,184 on-call intervals.
REPORT_SECONDS = 0.5
#: Violations printed per rule (the :class:`Score` holds them all).
LINES_PER_RULE = 10
#: A seat id after the last colon of ``--ics FEED:SEAT`` (a path would hold a ``/``).
_SEAT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


@dataclass(frozen=True, eq=False)
class Score:
    """A rota scored, beside what fairshift plans on the same inputs.

    Attributes
    ----------
    schedule
        The rota scored.
    violations
        Every hard rule it breaks (:func:`fairshift.validate`).
    fairness
        Its fairness: per engineer and in summary (:func:`fairshift.fairness`).
    planned
        fairshift's plan of the same scenario, or the error that stopped it (no schedule
        exists, or none was found in the time left).
    comparison
        The two side by side (:func:`fairshift.compare`), indexed by :data:`ROTA` and
        :data:`PLANNED`.
    planned_fairness
        The plan's fairness, when there is a plan.
    """

    schedule: Schedule
    violations: tuple[Violation, ...]
    fairness: Fairness
    planned: Schedule | FairshiftError
    comparison: pd.DataFrame
    planned_fairness: Fairness | None = None

    @property
    def breaks_hard_rule(self) -> bool:
        """Whether the rota breaks at least one hard rule."""
        return bool(self.violations)

    def by_rule(self) -> dict[str, list[Violation]]:
        """Violations grouped by rule id, in the order of :data:`fairshift.REGISTRY`."""
        grouped: dict[str, list[Violation]] = {rule: [] for rule in RULES}
        for violation in self.violations:
            grouped.setdefault(violation.rule, []).append(violation)
        return {rule: found for rule, found in grouped.items() if found}

    def per_engineer(self) -> pd.DataFrame:
        """Burden and deviation per engineer in the rota, and in fairshift's plan."""
        table = self.fairness.per_engineer[["engineer", "burden", "fair_share", "deviation"]]
        if self.planned_fairness is not None:
            planned = self.planned_fairness.per_engineer[["engineer", "burden", "deviation"]]
            table = table.merge(
                planned.rename(
                    columns={"burden": "fairshift_burden", "deviation": "fairshift_deviation"}
                ),
                on="engineer",
                how="left",
            )
        return table

    def summary(self, *, limit: int = LINES_PER_RULE) -> str:
        """The rota's summary, its violations by rule, and fairshift's plan beside it."""
        lines = [self.schedule.summary(), "", *self._rules(limit), "", self._plan_line()]
        lines.append(versus(self.comparison, PLANNED, ROTA))
        moved = str(self.comparison.loc[PLANNED, "weeks_changed"])
        if isinstance(self.planned, Schedule) and moved:
            lines.append(f"  turns fairshift gives (+) or takes (-) against your rota: {moved}")
        lines += [
            "",
            "per engineer (days):",
            self.per_engineer().to_string(index=False, float_format=lambda v: f"{v:.2f}"),
        ]
        return "\n".join(lines)

    def _rules(self, limit: int) -> list[str]:
        if not self.violations:
            count = len(self.schedule.assignments)
            return [f"hard rules: every hard rule holds ({count} shifts)"]
        grouped = self.by_rule()
        lines = [f"hard rules: {len(self.violations)} violation(s) of {len(grouped)} rule(s)"]
        for rule, found in grouped.items():
            lines.append(f"  {rule}: {RULES.get(rule, rule)} ({len(found)})")
            lines += [f"    {violation}" for violation in found[:limit]]
            if len(found) > limit:
                lines.append(f"    ... and {len(found) - limit} more")
        return lines

    def _plan_line(self) -> str:
        planned = self.planned
        if isinstance(planned, InfeasibleError):
            return "fairshift on the same inputs: no schedule satisfies every hard rule"
        if isinstance(planned, FairshiftError):
            return f"fairshift on the same inputs: no plan ({planned})"
        note = " (interrupted)" if planned.interrupted else ""
        return (
            f"fairshift on the same inputs: {planned.status}{note}, {planned.headline}; "
            f"solved in {planned.seconds:.2f} s (seed {planned.seed})"
        )


def score(
    scenario: Scenario,
    schedule: Schedule,
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    deadline: Deadline | None = None,
) -> Score:
    """Check a rota, measure its fairness, and plan the same scenario beside it.

    Parameters
    ----------
    scenario
        The team, the rules and the rotation's shape.
    schedule
        The rota: read from a table (:meth:`fairshift.Schedule.read_csv`), from feeds
        (:func:`fairshift.readics.read_ics`), or built by hand.
    time_limit
        Wall-clock seconds for fairshift's plan (see :func:`fairshift.solve`).
    seed
        The plan's random seed.
    deadline
        An earlier end for the plan than ``time_limit`` allows.

    Returns
    -------
    Score
        Violations, fairness, the plan (or why there is none) and the two side by side.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 3), team)
    >>> result = score(scenario, fs.round_robin(scenario), time_limit=10)
    >>> result.breaks_hard_rule, result.comparison.index.tolist()
    (False, ['your rota', 'fairshift'])
    """
    violations = tuple(validate(scenario, schedule))
    planned = _plan(scenario, time_limit, seed, deadline)
    comparison = compare({ROTA: schedule, PLANNED: planned})
    planned_fairness = (
        fairness(scenario, planned)
        if isinstance(planned, Schedule) and planned.assignments
        else None
    )
    return Score(
        schedule,
        violations,
        fairness(scenario, schedule),
        planned,
        comparison,
        planned_fairness,
    )


def _plan(
    scenario: Scenario, time_limit: float, seed: int, deadline: Deadline | None
) -> Schedule | FairshiftError:
    """The plan fairshift makes of ``scenario``, or the error that stopped it."""
    from .solve import solve

    if deadline is not None and deadline.left() < MIN_SOLVE_SECONDS:
        return NoSolutionFoundError(
            "no time was left within the time limit to plan the scenario; give a longer "
            "--time-limit"
        )
    try:
        return solve(scenario, time_limit=time_limit, seed=seed, deadline=deadline)
    except (InfeasibleError, NoSolutionFoundError) as error:
        return error


# -- the command line ------------------------------------------------------------------------


def feed_argument(text: str) -> tuple[str, str | None]:
    """``FEED.ics[:SEAT]`` as ``(feed, seat)``.

    The text splits at its last colon only when what follows is a seat id (no ``/``, so not
    a path) and the whole text is not an existing file.

    Examples
    --------
    >>> feed_argument("plan/calendars/primary.ics:weekly.primary")
    ('plan/calendars/primary.ics', 'weekly.primary')
    >>> feed_argument("feeds:2027/primary.ics")
    ('feeds:2027/primary.ics', None)
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("give a feed, e.g. primary.ics:primary")
    head, colon, tail = text.rpartition(":")
    if colon and head and _SEAT_ID.match(tail) and not Path(text).exists():
        return head, tail
    return text, None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``fairshift score`` to ``parser``."""
    parser.add_argument("scenario", help="scenario TOML file")
    parser.add_argument(
        "schedule",
        nargs="?",
        help="schedule CSV (start, end, role, engineer), or a plan directory; or use --ics",
    )
    parser.add_argument(
        "--ics",
        action="append",
        default=[],
        type=feed_argument,
        metavar="FEED.ics[:SEAT]",
        help="an iCalendar feed of the rota, e.g. primary.ics:primary (repeat for each seat; "
        "without :SEAT each event names its seat in its title or categories)",
    )
    parser.add_argument(
        "--skip-unknown",
        action="store_true",
        help="score events naming nobody of the scenario as not there (they are listed)",
    )
    arguments.add_solve_options(
        parser,
        time_help="seconds for the whole command, fairshift's own plan included (default 60)",
    )


def cmd_score(args: argparse.Namespace) -> int:
    """Score a rota (a schedule CSV or feeds), beside fairshift's plan of the same inputs."""
    # Imported here: the budget reads the package's start-up time, and the package may
    # re-export this module.
    from .budget import command_deadline

    deadline = command_deadline(args.time_limit, getattr(args, "started", None))
    if bool(args.schedule) == bool(args.ics):
        given = "both a schedule CSV and --ics feeds" if args.ics else "no rota"
        raise ScenarioError(
            "score",
            f"needs the rota as a schedule CSV or as --ics feeds, and was given {given}",
            "give one, e.g. fairshift score team.toml --ics primary.ics:primary "
            "--ics secondary.ics:secondary",
        )
    scenario = Scenario.from_toml(args.scenario)
    warn([*scenario.warnings(), expand(scenario).gap_warning()])
    rota: Rota | None = None
    if args.ics:
        rota = read_feeds(scenario, args.ics)
        if rota.unknown and not args.skip_unknown:
            raise _unknown_error(rota.unknown)
        schedule = rota.schedule
    else:
        schedule = Schedule.read_csv(scenario, args.schedule)
    print(
        f"planning the same scenario with fairshift (at most {deadline.left():.0f} s)",
        file=sys.stderr,
        flush=True,
    )
    result = score(
        scenario,
        schedule,
        time_limit=args.time_limit,
        seed=args.seed,
        deadline=deadline.earlier(min(REPORT_SECONDS, 0.25 * args.time_limit)),
    )
    if rota is not None:
        print(terminal_text(rota.summary()))
        print()
    print(terminal_text(result.summary()))
    return EXIT_VIOLATIONS if result.breaks_hard_rule else EXIT_OK


def _unknown_error(unknown: tuple[Unmatched, ...]) -> ScenarioError:
    """Stop at events that name nobody (or several): a misspelt name is not an unfilled turn."""
    first = unknown[0]
    more = f" (and {len(unknown) - 1} more such events)" if len(unknown) > 1 else ""
    if first.reason.startswith("names several"):
        fix = "make each event name one engineer (in its title, or as its one attendee)"
    else:
        fix = (
            "add the engineer to the scenario's [[engineers]], or give an engineer the "
            "e-mail, pagerduty, opsgenie or grafana id the feed uses"
        )
    return ScenarioError(
        "",
        f"event {first.title} from {first.start:%Y-%m-%d %H:%M} {first.reason}{more}",
        f"{fix}; or pass --skip-unknown to score the rota without those events",
        source=first.feed,
    )


__all__ = [
    "PLANNED",
    "ROTA",
    "Score",
    "add_arguments",
    "cmd_score",
    "feed_argument",
    "score",
]
