"""``fairshift publish PLAN --pagerduty SCHEDULE``: one seat of a plan onto a PagerDuty schedule.

The seat's overrides (:func:`fairshift.pager.pagerduty_overrides`) are compared with the
overrides already on the PagerDuty schedule in the plan's window (its rotation horizon), and
only the difference is sent, through PagerDuty's REST API v2:

- an override on PagerDuty with the same start instant, end instant and user as a planned
  one is kept;
- a planned override PagerDuty lacks is created (``POST /schedules/{id}/overrides``, in
  batches of :data:`BATCH_SIZE`);
- an override wholly inside the window that the plan does not have is deleted
  (``DELETE /schedules/{id}/overrides/{override_id}``). This includes overrides made by hand
  in PagerDuty: make swaps in the plan (``fairshift swaps``, ``fairshift replan``) and
  publish again.

Left as they are:

- the schedule's layers and everything else but its overrides;
- overrides only partly inside the window: they cover time the plan does not speak for.
  They are listed, because where two overrides overlap PagerDuty lets the one created last
  win;
- the past: an override that has ended is history (PagerDuty refuses to delete it) and a
  planned one that has ended is not sent. An override under way counts by what is left of
  it: one that started already matches a planned one with the same user and end, a planned
  one under way is created from now, and one under way that the plan does not have is
  deleted, which PagerDuty turns into ending it now.

Creates are sent before deletes: PagerDuty lets the override created last win where two
overlap, so a publish cut short leaves the planned engineer on call wherever something was
created, and nothing is deleted unless every create was accepted. A publish is a dry run
unless asked to apply; either way the difference is returned (:class:`PagerDutyDiff`).

The API token is read from ``PAGERDUTY_API_TOKEN``, never from an argument, and the API's
address from ``FAIRSHIFT_PAGERDUTY_URL`` (default ``https://api.pagerduty.com``; the EU
service region is ``https://api.eu.pagerduty.com``). The official client, the ``pagerduty``
package (the ``publish`` extra), makes the requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .errors import ScenarioError
from .export import ExportError
from .pager import pagerduty_overrides, seat_of
from .pagercheck import check_pagerduty_overrides
from .publish import PublishError
from .scenario import Scenario
from .schedule import Schedule
from .terminal import terminal_text
from .turns import horizon

#: Environment variable holding the PagerDuty REST API key.
TOKEN_VARIABLE = "PAGERDUTY_API_TOKEN"
#: Environment variable holding the API's base URL (another service region, a test server).
URL_VARIABLE = "FAIRSHIFT_PAGERDUTY_URL"
#: PagerDuty's REST API in the US service region.
DEFAULT_URL = "https://api.pagerduty.com"
#: Overrides per ``POST /schedules/{id}/overrides`` request.
BATCH_SIZE = 50
#: Retries of a request answered 429 (rate limit), with the client's growing pauses.
RATE_LIMIT_RETRIES = 3

EXIT_OK, EXIT_VIOLATIONS = 0, 1

# The spec marks Content-Type required on every operation, those without a body too.
_HEADERS = {"Content-Type": "application/json"}
# PagerDuty ids: schedules "P2LJD7G", overrides "Q2MCMG5TVIV6LQ".
_ID = re.compile(r"[A-Za-z0-9]{1,64}")


@dataclass(frozen=True)
class PagerDutyOverride:
    """One override: a PagerDuty user on call from ``start`` to ``end``.

    Attributes
    ----------
    start, end
        ``[start, end)``, aware datetimes in UTC.
    user
        The PagerDuty user id.
    engineer
        The handle of the scenario's engineer with that id (``""`` for anyone else).
    id
        PagerDuty's id of the override (``""`` for one not created yet).
    """

    start: dt.datetime
    end: dt.datetime
    user: str
    engineer: str = ""
    id: str = ""


@dataclass(frozen=True)
class PagerDutyDiff:
    """What publishing a seat to a PagerDuty schedule changes (or changed).

    Attributes
    ----------
    schedule_id
        The PagerDuty schedule.
    seat
        The plan's seat, ``shift.seat``.
    timezone
        The rotation's zone: overrides are sent and shown in it.
    since, until
        The plan's window.
    create
        Planned overrides PagerDuty lacks, in time order.
    delete
        Overrides on PagerDuty inside the window that the plan does not have, in time order.
    kept
        Overrides already on PagerDuty as planned.
    outside
        Overrides only partly inside the window, left as they are.
    past
        Planned overrides that have ended, not sent.
    applied
        Whether the changes were sent.

    Examples
    --------
    >>> import datetime as dt
    >>> start = dt.datetime(2027, 1, 4, 17, tzinfo=dt.UTC)
    >>> week = PagerDutyOverride(start, start + dt.timedelta(days=7), "PALEXC1", "alex")
    >>> diff = PagerDutyDiff("PSCHED1", "weekly.primary", "America/Los_Angeles",
    ...                      week.start, week.end, (week,), (), 0)
    >>> print(diff)
    PagerDuty schedule PSCHED1, seat weekly.primary, 2027-01-04 09:00 to 2027-01-11 09:00 (America/Los_Angeles)
    + 2027-01-04 09:00 -> 2027-01-11 09:00  PALEXC1 (alex)
    1 to create, 0 to delete, 0 unchanged
    """  # noqa: E501

    schedule_id: str
    seat: str
    timezone: str
    since: dt.datetime
    until: dt.datetime
    create: tuple[PagerDutyOverride, ...]
    delete: tuple[PagerDutyOverride, ...]
    kept: int
    outside: tuple[PagerDutyOverride, ...] = ()
    past: int = 0
    applied: bool = False

    @property
    def changes(self) -> int:
        """The number of overrides to create or delete."""
        return len(self.create) + len(self.delete)

    def describe(self, override: PagerDutyOverride) -> str:
        """``2027-01-04 09:00 -> 2027-01-11 09:00  PALEXC1 (alex)``, in the rotation's zone."""
        who = override.engineer or "not in the scenario"
        return (
            f"{self._time(override.start)} -> {self._time(override.end)}  {override.user} ({who})"
        )

    def lines(self) -> list[str]:
        """A header, then one line per override to create (``+``) or delete (``-``).

        Overrides left alone because they reach outside the window follow, marked ``!``.
        """
        lines = [
            f"PagerDuty schedule {self.schedule_id}, seat {self.seat}, {self._time(self.since)} "
            f"to {self._time(self.until)} ({self.timezone})"
        ]
        changes = [("+", o) for o in self.create] + [("-", o) for o in self.delete]
        # At one instant, the delete before the create that replaces it.
        changes.sort(key=lambda change: (change[1].start, change[0] == "+"))
        lines += [f"{mark} {self.describe(o)}" for mark, o in changes]
        lines += [
            f"! {self.describe(o)}  partly outside the plan's window: left as it is"
            for o in self.outside
        ]
        return lines

    def summary(self) -> str:
        """One line of counts, e.g. ``2 to create, 2 to delete, 50 unchanged``."""
        create, delete = len(self.create), len(self.delete)
        if not self.changes:
            text = f"nothing to change: {self.kept} override(s) already as planned"
        elif self.applied:
            text = f"created {create}, deleted {delete}, {self.kept} unchanged"
        else:
            text = f"{create} to create, {delete} to delete, {self.kept} unchanged"
        if self.past:
            text += f", {self.past} already over (not sent)"
        if self.outside:
            text += f", {len(self.outside)} partly outside the window (left as they are)"
        return text

    def __str__(self) -> str:
        return "\n".join([*self.lines(), self.summary()])

    def _time(self, moment: dt.datetime) -> str:
        return moment.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M")


# -- the client ----------------------------------------------------------------------------


def _library() -> Any:
    try:
        # An optional dependency, looked up by name so that type checks do not need it.
        return importlib.import_module("pagerduty")
    except ImportError:
        raise PublishError(
            "publishing to PagerDuty needs the pagerduty package; install it with "
            "pip install 'fairshift[publish]'"
        ) from None


def make_client(token: str | None = None, url: str | None = None) -> Any:
    """A ``pagerduty.RestApiV2Client`` for publishing.

    Parameters
    ----------
    token
        The REST API key; default: ``PAGERDUTY_API_TOKEN``.
    url
        The API's base URL; default: ``FAIRSHIFT_PAGERDUTY_URL``, or
        ``https://api.pagerduty.com`` when unset.

    Raises
    ------
    PublishError
        Without a token, for a URL that is not ``https://``, or without the ``pagerduty``
        package.
    """
    token = os.environ.get(TOKEN_VARIABLE, "") if token is None else token
    if not token.strip():
        raise PublishError(
            f"no PagerDuty API token: set {TOKEN_VARIABLE} to a REST API key "
            "(in PagerDuty: Integrations > API Access Keys); it is read from the environment "
            "so that it stays out of the shell history"
        )
    if not re.fullmatch(r"[!-~]+", token.strip()):
        raise PublishError(
            f"the API token in {TOKEN_VARIABLE} holds spaces or characters other than "
            "printable ASCII; copy the key again"
        )
    base = (os.environ.get(URL_VARIABLE) or DEFAULT_URL) if url is None else url
    try:
        host = urlsplit(base).hostname if base.startswith("https://") else None
    except ValueError:
        host = None
    if not host:
        raise PublishError(
            f"{URL_VARIABLE} {base!r} is not an https:// address; leave it unset for "
            f"{DEFAULT_URL}, or give e.g. https://api.eu.pagerduty.com"
        )
    client = _library().RestApiV2Client(token.strip(), base_url=base.rstrip("/"))
    # The client retries 429 without end by default; a command should stop and say so.
    client.retry[429] = RATE_LIMIT_RETRIES
    return client


@contextmanager
def _request(
    client: Any, what: str, missing: tuple[str, str], done: Callable[[], str]
) -> Iterator[None]:
    """Turn the client's errors into a :class:`PublishError` that says what was applied.

    ``missing`` is what a 404 means here, and what to do about it.
    """
    pagerduty = _library()
    try:
        yield
    except pagerduty.HttpError as error:
        raise PublishError(f"{_refusal(error.response, what, missing)}; {done()}") from None
    except pagerduty.Error as error:
        raise PublishError(
            f"cannot reach PagerDuty at {client.url} to {what} ({_cause(error)}); {done()}"
        ) from None
    except pagerduty.UrlError as error:
        raise PublishError(f"cannot {what}: {error}; {done()}") from None


def _refusal(response: Any, what: str, missing: tuple[str, str]) -> str:
    status = int(response.status_code)
    phrase = f"HTTP {status} {response.reason_phrase}".strip()
    if status == 401:
        return (
            f"PagerDuty did not accept the API token ({phrase}); check {TOKEN_VARIABLE}: it "
            "must be a REST API key of this account and service region"
        )
    if status == 403:
        return (
            f"the API token may not {what} ({phrase}); it needs a key that can change "
            "schedules (a read-only key cannot)"
        )
    if status == 404:
        return f"{missing[0]} ({phrase}); {missing[1]}"
    if status == 429:
        return (
            f"PagerDuty's rate limit held after {RATE_LIMIT_RETRIES} retries ({phrase}); "
            "wait a minute"
        )
    if status >= 500:
        return f"PagerDuty failed to {what} ({phrase}); try again later"
    return f"PagerDuty refused to {what} ({phrase}: {_message(response)})"


def _message(response: Any) -> str:
    """The error message of an API error body, ``{"error": {"message", "errors"}}``."""
    try:
        error = response.json()["error"]
        parts = [str(error.get("message", "")), *map(str, error.get("errors") or [])]
        text = "; ".join(part for part in parts if part)
    except (ValueError, KeyError, TypeError, AttributeError):
        text = response.text
    return text.strip()[:300] or "no reason given"


def _cause(error: BaseException) -> str:
    """The innermost reason of a network error, e.g. ``[Errno 111] Connection refused``."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error).strip()[:300] or type(error).__name__


# -- reading and comparing -----------------------------------------------------------------


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment.astimezone(dt.UTC)


def planned_overrides(schedule: Schedule, shift: str, seat: str) -> tuple[PagerDutyOverride, ...]:
    """The seat's overrides as the plan has them (see :func:`fairshift.pager.pagerduty_overrides`).

    Raises
    ------
    ScenarioError
        For an engineer without a ``pagerduty`` id.
    ExportError
        If the overrides fail :func:`fairshift.pagercheck.check_pagerduty_overrides`.
    """
    body = pagerduty_overrides(schedule, shift, seat)
    problems = check_pagerduty_overrides(body)
    if problems:
        raise ExportError(
            f"the PagerDuty overrides of {shift}.{seat} fail their checks: "
            + "; ".join(str(p) for p in problems)
        )
    handles: dict[str, str] = {}
    for engineer in schedule.scenario.engineers:
        if engineer.pagerduty:
            handles.setdefault(engineer.pagerduty, engineer.handle)
    return tuple(
        PagerDutyOverride(
            _instant(entry["start"]),
            _instant(entry["end"]),
            entry["user"]["id"],
            handles.get(entry["user"]["id"], ""),
        )
        for entry in body["overrides"]
    )


def _existing(
    client: Any, schedule_id: str, since: dt.datetime, until: dt.datetime, handles: dict[str, str]
) -> list[PagerDutyOverride]:
    """The overrides on the schedule that overlap ``[since, until)``, whole.

    The endpoint is not paginated (the spec declares no ``limit``, ``offset`` or ``more``),
    so one ``GET`` reads the window; ``overflow=true`` asks for each override's real start
    and end rather than cut at the window's edges.
    """
    body = client.jget(
        f"/schedules/{schedule_id}/overrides",
        params={"since": _utc_text(since), "until": _utc_text(until), "overflow": "true"},
        headers=_HEADERS,
    )
    if not isinstance(body, dict) or not isinstance(body.get("overrides"), list):
        raise PublishError(
            f"PagerDuty's answer to listing the overrides of {schedule_id} has no list of "
            "overrides; nothing was changed"
        )
    if body.get("more"):
        raise PublishError(
            f"PagerDuty listed only part of the overrides of {schedule_id}; nothing was "
            "changed, since a partial list would make publishing create duplicates"
        )
    found = []
    for entry in body["overrides"]:
        try:
            user = str(entry["user"]["id"])
            found.append(
                PagerDutyOverride(
                    _instant(entry["start"]),
                    _instant(entry["end"]),
                    user,
                    handles.get(user, ""),
                    str(entry["id"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise PublishError(
                f"PagerDuty listed an override of {schedule_id} that fairshift cannot read "
                f"({str(entry)[:200]}); nothing was changed"
            ) from None
    return found


def _key(override: PagerDutyOverride, now: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
    """What an override still does: the same user, to the same end, from the same start or now."""
    return max(override.start, now), override.end, override.user


def match_overrides(
    planned: Sequence[PagerDutyOverride],
    existing: Sequence[PagerDutyOverride],
    since: dt.datetime,
    until: dt.datetime,
    now: dt.datetime,
) -> tuple[list[PagerDutyOverride], list[PagerDutyOverride], int, list[PagerDutyOverride], int]:
    """``(create, delete, kept, outside, past)`` for planned and existing overrides.

    See the module's description for the rules; all times are compared as instants.
    """
    unmatched: dict[tuple[dt.datetime, dt.datetime, str], list[PagerDutyOverride]] = {}
    outside: list[PagerDutyOverride] = []
    for override in sorted(existing, key=lambda o: (o.start, o.end, o.id)):
        if override.end <= now or override.end <= since or override.start >= until:
            continue  # history, or no part of it in the window
        if override.start < since or override.end > until:
            outside.append(override)
            continue
        unmatched.setdefault(_key(override, now), []).append(override)
    create: list[PagerDutyOverride] = []
    kept = past = 0
    for override in planned:
        if override.end <= now:
            past += 1
            continue
        twins = unmatched.get(_key(override, now))
        if twins:
            twins.pop(0)
            kept += 1
        else:
            create.append(replace(override, start=max(override.start, now)))
    delete = sorted(
        (o for rest in unmatched.values() for o in rest), key=lambda o: (o.start, o.end, o.id)
    )
    return create, delete, kept, outside, past


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
    with (
        _borrowed(client) as pd_client,
        _request(
            pd_client,
            f"list the overrides of schedule {schedule_id}",
            _no_schedule(schedule_id),
            lambda: "nothing was changed",
        ),
    ):
        existing = _existing(pd_client, schedule_id, since, until, handles)
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


def check_id(schedule_id: str) -> str:
    """``schedule_id`` if it looks like a PagerDuty id (``P2LJD7G``).

    Raises
    ------
    PublishError
        Otherwise.
    """
    if not _ID.fullmatch(schedule_id):
        raise PublishError(
            f"--pagerduty {schedule_id!r} is not a PagerDuty schedule id such as P2LJD7G "
            "(the code in the schedule's web address)"
        )
    return schedule_id


def _no_schedule(schedule_id: str) -> tuple[str, str]:
    return (
        f"PagerDuty has no schedule {schedule_id}",
        "check the id (the code in the schedule's web address) and that the API token is "
        "of the schedule's account",
    )


@contextmanager
def _borrowed(client: Any) -> Iterator[Any]:
    """``client``, or a client of one's own (:func:`make_client`) closed afterwards."""
    if client is not None:
        yield client
        return
    own = make_client()
    try:
        yield own
    finally:
        own.close()


# -- sending -------------------------------------------------------------------------------


def _body(override: PagerDutyOverride, zone: str) -> dict[str, Any]:
    """One entry of a ``POST /schedules/{id}/overrides`` body, as :mod:`fairshift.pager` has it."""
    local = ZoneInfo(zone)
    return {
        "start": override.start.astimezone(local).isoformat(timespec="seconds"),
        "end": override.end.astimezone(local).isoformat(timespec="seconds"),
        "user": {"id": override.user, "type": "user_reference"},
        "time_zone": zone,
    }


def _refused(diff: PagerDutyDiff, sent: Sequence[PagerDutyOverride], answer: object) -> list[str]:
    """The overrides of one create request that PagerDuty did not create, with its reasons.

    The answer is a list with one ``{"status", "override", "errors"}`` per override sent,
    HTTP 201 as a whole even when some are refused.
    """
    if not isinstance(answer, list) or len(answer) != len(sent):
        return [f"{len(sent)} override(s): PagerDuty's answer does not list each of them"]
    refused = []
    for override, result in zip(sent, answer, strict=True):
        status = result.get("status") if isinstance(result, dict) else None
        if status == 201:
            continue
        errors = result.get("errors") if isinstance(result, dict) else None
        reason = "; ".join(map(str, errors)) if isinstance(errors, list) and errors else ""
        refused.append(f"{diff.describe(override)}: {reason or f'status {status}'}")
    return refused


def apply_diff(diff: PagerDutyDiff, *, client: Any = None) -> PagerDutyDiff:
    """Send a diff's creates, then its deletes; returns it marked applied.

    Raises
    ------
    PublishError
        If PagerDuty cannot be reached, refuses a request or refuses an override. The
        message says what had been applied; publishing again sends only what still differs.
    """
    if diff.applied:
        raise PublishError("this difference was sent already; compare again before sending")
    if client is None:
        with _borrowed(None) as own:
            return apply_diff(diff, client=own)
    created = deleted = 0

    def done() -> str:
        if not created and not deleted:
            return "nothing was changed"
        return (
            f"already applied: created {created} of {len(diff.create)}, deleted {deleted} of "
            f"{len(diff.delete)}; publishing again sends only what still differs"
        )

    path = f"/schedules/{diff.schedule_id}/overrides"
    for first in range(0, len(diff.create), BATCH_SIZE):
        batch = diff.create[first : first + BATCH_SIZE]
        body = {"overrides": [_body(o, diff.timezone) for o in batch]}
        problems = check_pagerduty_overrides(body)
        if problems:
            raise ExportError(
                "the overrides to create fail their checks: " + "; ".join(map(str, problems))
            )
        with _request(client, "create overrides", _no_schedule(diff.schedule_id), done):
            answer = client.rpost(path, json=body, headers=_HEADERS)
        refused = _refused(diff, batch, answer)
        created += len(batch) - len(refused)
        if refused:
            shown = "; ".join(refused[:5]) + (
                f"; and {len(refused) - 5} more" if refused[5:] else ""
            )
            raise PublishError(
                f"PagerDuty refused {len(refused)} override(s): {shown}; nothing was deleted; "
                f"{done()}"
            )
    for override in diff.delete:
        if not _ID.fullmatch(override.id):
            raise PublishError(f"PagerDuty listed an override id {override.id!r}; {done()}")
        missing = (
            f"PagerDuty has no override {override.id} on schedule {diff.schedule_id} any more",
            "it was removed meanwhile",
        )
        with _request(client, f"delete override {override.id}", missing, done):
            client.rdelete(f"{path}/{override.id}", headers=_HEADERS)
        deleted += 1
    return replace(diff, applied=True)


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
    sent. See the module's description for what is kept, created, deleted and left alone.

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
        with _borrowed(None) as own:
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
    with _borrowed(None) as client:
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
