"""``fairshift publish PLAN --pagerduty SCHEDULE``: one seat of a plan onto a PagerDuty schedule.

The seat's overrides are compared with those already on the PagerDuty schedule in the plan's
window, and only the difference is sent. A publish is a dry run unless asked to apply; either
way the difference is returned (:class:`PagerDutyDiff`).

This module puts the steps together, for Python (:func:`publish_pagerduty`) and for the
command line (:func:`cmd_publish_pagerduty`):

- :mod:`fairshift.pdoverrides`: the overrides and the difference as plain data, and the
  rules of what is kept, created, deleted and left alone;
- :mod:`fairshift.pdclient`: the PagerDuty client, reading the schedule's overrides and
  sending a difference.

Their public names (:class:`PagerDutyOverride`, :func:`match_overrides`, :func:`make_client`,
:func:`apply_diff`, ...) are re-exported here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .pager import seat_of
from .pdclient import BATCH_SIZE as BATCH_SIZE
from .pdclient import DEFAULT_URL as DEFAULT_URL
from .pdclient import RATE_LIMIT_RETRIES as RATE_LIMIT_RETRIES
from .pdclient import TOKEN_VARIABLE as TOKEN_VARIABLE
from .pdclient import URL_VARIABLE as URL_VARIABLE
from .pdclient import apply_diff as apply_diff
from .pdclient import borrowed_client, list_overrides
from .pdclient import check_id as check_id
from .pdclient import make_client as make_client
from .pdoverrides import PagerDutyDiff as PagerDutyDiff
from .pdoverrides import PagerDutyOverride as PagerDutyOverride
from .pdoverrides import match_overrides as match_overrides
from .pdoverrides import planned_overrides as planned_overrides
from .scenario import Scenario
from .schedule import Schedule
from .terminal import terminal_text
from .turns import horizon

EXIT_OK, EXIT_VIOLATIONS = 0, 1


def pagerduty_diff(
    schedule: Schedule,
    schedule_id: str,
    *,
    seat: str | None = None,
    client: Any = None,
    now: dt.datetime | None = None,
) -> PagerDutyDiff:
    """Compare a seat of the plan with the overrides on a PagerDuty schedule; change nothing.

    Parameters
    ----------
    schedule
        The plan.
    schedule_id
        The PagerDuty schedule, e.g. ``"P2LJD7G"`` (the code in its web address).
    seat
        The seat (see :func:`fairshift.pager.seat_of`); default the first seat of the first
        shift type, the primary.
    client
        A ``pagerduty.RestApiV2Client``; default :func:`make_client`.
    now
        The present (default: the clock); what ended before it is history.

    Raises
    ------
    PublishError
        For a malformed schedule id, or when PagerDuty cannot be reached or refuses the
        request.
    ScenarioError
        For an unknown seat or an engineer without a ``pagerduty`` id.
    """
    check_id(schedule_id)
    scenario = schedule.scenario
    shift, seat_name = seat_of(scenario, seat)
    planned = planned_overrides(schedule, shift, seat_name)
    start, end = horizon(scenario.rotation)
    since = min([start.astimezone(dt.UTC), *(o.start for o in planned)])
    until = max([end.astimezone(dt.UTC), *(o.end for o in planned)])
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    handles = {e.pagerduty: e.handle for e in reversed(scenario.engineers) if e.pagerduty}
    with borrowed_client(client) as pd_client:
        existing = list_overrides(pd_client, schedule_id, since, until, handles)
    create, delete, kept, outside, past = match_overrides(planned, existing, since, until, moment)
    return PagerDutyDiff(
        schedule_id,
        f"{shift}.{seat_name}",
        scenario.rotation.timezone,
        since,
        until,
        tuple(create),
        tuple(delete),
        kept,
        tuple(outside),
        past,
    )


def publish_pagerduty(
    schedule: Schedule,
    schedule_id: str,
    *,
    seat: str | None = None,
    apply: bool = False,
    client: Any = None,
    now: dt.datetime | None = None,
) -> PagerDutyDiff:
    """Make a PagerDuty schedule's overrides in the plan's window match one seat of the plan.

    A dry run unless ``apply``: the difference is computed and returned, and nothing is
    sent. See :mod:`fairshift.pdoverrides` for what is kept, created, deleted and left alone.

    Parameters
    ----------
    schedule
        The plan.
    schedule_id
        The PagerDuty schedule, e.g. ``"P2LJD7G"``.
    seat
        The seat; default the first seat of the first shift type (the primary).
    apply
        Send the changes.
    client
        A ``pagerduty.RestApiV2Client``; default :func:`make_client` (token from
        ``PAGERDUTY_API_TOKEN``).
    now
        The present (default: the clock).

    Returns
    -------
    PagerDutyDiff
        The creates, deletes and counts; ``applied`` says whether they were sent.

    Raises
    ------
    PublishError
        Without a token, or when PagerDuty cannot be reached or refuses a request; the
        message says what had already been applied.

    Examples
    --------
    >>> import fairshift as fs
    >>> plan = fs.Schedule.read_csv(fs.Scenario.from_toml("plan/scenario.toml"), "plan")  # doctest: +SKIP
    >>> print(publish_pagerduty(plan, "P2LJD7G", apply=True))  # doctest: +SKIP
    PagerDuty schedule P2LJD7G, seat weekly.primary, 2027-01-04 09:00 to 2028-01-03 09:00 (America/Los_Angeles)
    + 2027-01-04 09:00 -> 2027-01-11 09:00  PALEXC1 (alex)
    ...
    created 52, deleted 0, 0 unchanged
    """  # noqa: E501
    if client is None:
        check_id(schedule_id)
        planned_overrides(schedule, *seat_of(schedule.scenario, seat))  # before the token
        with borrowed_client(None) as own:
            return publish_pagerduty(
                schedule, schedule_id, seat=seat, apply=apply, client=own, now=now
            )
    diff = pagerduty_diff(schedule, schedule_id, seat=seat, client=client, now=now)
    if apply and diff.changes:
        return apply_diff(diff, client=client)
    return replace(diff, applied=apply)


# -- command line --------------------------------------------------------------------------


def plan_scenario(directory: str | Path, scenario: str | Path | None = None) -> Scenario:
    """The scenario a plan was made from: ``scenario`` if given, else the plan's ``scenario.toml``.

    Raises
    ------
    ScenarioError
        When neither is there; the message says how to fix it.
    """
    if scenario is not None:
        return Scenario.from_toml(scenario)
    path = Path(directory) / "scenario.toml"
    if not path.is_file():
        raise ScenarioError(
            "--scenario",
            f"{str(directory)!r} holds no scenario.toml, the inputs the plan was made from "
            "(older plans lack it)",
            f"give the scenario it was planned from with --scenario FILE, or plan again "
            f"with `fairshift plan SCENARIO --out {directory}`",
        )
    return Scenario.from_toml(path)


def cmd_publish_pagerduty(args: argparse.Namespace) -> int:
    """Make a PagerDuty schedule's overrides match one seat of a plan (``fairshift publish``).

    ``args`` has ``directory`` (the plan), ``pagerduty`` (the schedule id), ``seat``,
    ``apply`` and ``scenario`` (a file, or ``None`` for the plan's ``scenario.toml``).
    """
    from .validate import validate

    scenario = plan_scenario(args.directory, args.scenario)
    schedule = Schedule.read_csv(scenario, args.directory)
    violations = validate(scenario, schedule)
    if violations:
        for violation in violations:
            print(terminal_text(str(violation)))
        print(
            f"{len(violations)} violation(s) in {terminal_text(str(args.directory))}: not "
            "published; plan again or fix the schedule, then `fairshift check` it"
        )
        return EXIT_VIOLATIONS
    # Whatever can be checked without PagerDuty is checked before the token is needed.
    check_id(args.pagerduty)
    planned_overrides(schedule, *seat_of(scenario, args.seat))
    with borrowed_client(None) as client:
        diff = pagerduty_diff(schedule, args.pagerduty, seat=args.seat, client=client)
        for line in diff.lines():
            print(terminal_text(line))
        sys.stdout.flush()
        if args.apply and diff.changes:
            diff = apply_diff(diff, client=client)
        print(terminal_text(diff.summary()))
    if diff.changes and not args.apply:
        print("dry run: nothing was sent; add --apply to send these changes")
    return EXIT_OK
