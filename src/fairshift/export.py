"""``fairshift export``: one seat of a plan in the format a paging tool imports.

``fairshift export SCENARIO PLAN --format FORMAT [--seat SEAT] --out FILE`` reads the plan's
``schedule.csv``, re-checks it against the scenario's hard rules, builds the chosen format
(:mod:`fairshift.pager`), runs the checks the tools' specs leave out
(:mod:`fairshift.pagercheck`) and writes the file atomically. A plan that breaks a hard rule
is not exported (exit 1); a missing user id names the engineer and the key to add (exit 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from . import arguments
from .errors import FairshiftError, ScenarioError
from .io import write_atomic
from .pager import (
    FORMATS,
    grafana_ical,
    opsgenie_overrides,
    pagerduty_custom_shifts,
    pagerduty_overrides,
    seat_of,
    weekly_csv,
)
from .pagercheck import (
    Problem,
    check_opsgenie_overrides,
    check_pagerduty_custom_shifts,
    check_pagerduty_overrides,
)
from .plandir import check_file_target
from .scenario import Scenario
from .schedule import Schedule

EXIT_OK, EXIT_VIOLATIONS = 0, 1


class ExportError(FairshiftError, RuntimeError):
    """An export failed its own checks (a defect: please report it with the scenario)."""


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_text(
    schedule: Schedule,
    fmt: str,
    seat: str | None = None,
    *,
    rotation: str | None = None,
    level: int | None = None,
) -> str:
    """The text of one export (see :data:`fairshift.pager.FORMATS`).

    Parameters
    ----------
    schedule
        The plan.
    fmt
        One of :data:`fairshift.pager.FORMATS`.
    seat
        The seat to export (``None``: the first seat of the first shift type; for
        ``csv-weekly``, every seat).
    rotation
        Opsgenie: the rotation the overrides apply to (default: the seat's name).
    level
        Grafana OnCall: the ``[Ln]`` priority prefix, or none.

    Raises
    ------
    ScenarioError
        For an unknown format or seat, or an engineer without the tool's user id.
    ExportError
        If the result fails :mod:`fairshift.pagercheck`.

    Examples
    --------
    >>> import datetime as dt, fairshift as fs
    >>> team = tuple(
    ...     fs.Engineer(h, h.title(), "senior", "US", pagerduty=h.upper()) for h in ("ana", "bo")
    ... )
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 2), team)
    >>> import json
    >>> body = json.loads(export_text(fs.round_robin(scenario), "pagerduty"))
    >>> first = body["overrides"][0]
    >>> first["start"], first["end"], first["time_zone"]
    ('2027-01-04T09:00:00+00:00', '2027-01-11T09:00:00+00:00', 'UTC')
    >>> first["user"]
    {'id': 'ANA', 'type': 'user_reference'}
    """
    if fmt not in FORMATS:
        raise ScenarioError(
            "--format", f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}"
        )
    if fmt == "csv-weekly":
        seats = None if seat is None else (seat_of(schedule.scenario, seat),)
        return weekly_csv(schedule, seats)
    shift, seat_name = seat_of(schedule.scenario, seat)
    problems: list[Problem]
    if fmt == "pagerduty":
        body = pagerduty_overrides(schedule, shift, seat_name)
        problems = check_pagerduty_overrides(body)
        text = _json(body)
    elif fmt == "pagerduty-v3":
        body = pagerduty_custom_shifts(schedule, shift, seat_name)
        problems = check_pagerduty_custom_shifts(body)
        text = _json(body)
    elif fmt == "opsgenie":
        bodies = opsgenie_overrides(schedule, shift, seat_name, rotation=rotation)
        problems = check_opsgenie_overrides(bodies)
        text = _json(bodies)
    else:
        return grafana_ical(schedule, shift, seat_name, level=level)
    if problems:
        raise ExportError(
            f"the {fmt} export of {shift}.{seat_name} fails its checks: "
            + "; ".join(str(p) for p in problems)
        )
    return text


def cmd_export(args: argparse.Namespace) -> int:
    """Write one seat of a plan in a paging tool's format."""
    from .validate import validate

    out = Path(args.out)
    check_file_target(out, "overrides.json")
    scenario = Scenario.from_toml(args.scenario)
    schedule = Schedule.read_csv(scenario, args.plan)
    violations = validate(scenario, schedule)
    if violations:
        for violation in violations:
            print(violation)
        print(
            f"{len(violations)} violation(s) in {args.plan}: not exported; "
            "plan again or fix the schedule, then `fairshift check` it"
        )
        return EXIT_VIOLATIONS
    text = export_text(schedule, args.format, args.seat, rotation=args.rotation, level=args.level)
    try:
        write_atomic(out, text)
    except OSError as error:
        raise ScenarioError(
            "--out",
            f"cannot write {str(out)!r} ({error.strerror or error})",
            "give a file in a directory you can write to",
        ) from None
    what = "every seat" if args.format == "csv-weekly" and args.seat is None else "seat "
    if what == "seat ":
        shift, seat = seat_of(scenario, args.seat)
        what += f"{shift}.{seat}"
    print(f"wrote {out} ({args.format}, {what})")
    return EXIT_OK


def add_cli(commands: Any) -> None:
    """Add ``fairshift export`` to the command line's sub-commands."""
    export = commands.add_parser(
        "export",
        help="write one seat of a plan for a paging tool (PagerDuty, Opsgenie, Grafana, CSV)",
        description="Write one seat of a plan in a format a paging tool imports. Formats: "
        + "; ".join(f"{name}: {text}" for name, text in FORMATS.items())
        + ".",
    )
    export.add_argument("scenario", help="scenario TOML file")
    export.add_argument("plan", help="the plan directory, or its schedule.csv")
    export.add_argument("--format", required=True, choices=list(FORMATS), help="output format")
    export.add_argument(
        "--seat",
        help="seat to export, e.g. primary, weekly.secondary, month-end (default: the first "
        "seat of the first shift type; csv-weekly: every seat)",
    )
    export.add_argument("--out", required=True, help="file to write")
    export.add_argument(
        "--rotation", help="opsgenie: the rotation the overrides apply to (default: the seat)"
    )
    export.add_argument(
        "--level",
        type=lambda text: arguments.whole(text, "levels", 1, 99),
        help="grafana: priority level, written as an [Ln] prefix (default: none)",
    )
    export.set_defaults(run=cmd_export)
