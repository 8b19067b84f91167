"""The PagerDuty REST API v2 client: making it, reading a schedule's overrides, sending a diff.

What to send is decided in :mod:`fairshift.pdoverrides`; this module only talks to
PagerDuty, and turns every refusal or network error into a
:class:`~fairshift.publish.PublishError` that says what had already been applied.

- Overrides are read with one ``GET /schedules/{id}/overrides`` over the plan's window.
- Planned overrides are created with ``POST /schedules/{id}/overrides``, in batches of
  :data:`BATCH_SIZE`.
- Overrides the plan does not have are deleted with
  ``DELETE /schedules/{id}/overrides/{override_id}``.

Creates are sent before deletes: PagerDuty lets the override created last win where two
overlap, so a publish cut short leaves the planned engineer on call wherever something was
created, and nothing is deleted unless every create was accepted.

The API token is read from ``PAGERDUTY_API_TOKEN``, never from an argument, and the API's
address from ``FAIRSHIFT_PAGERDUTY_URL`` (default ``https://api.pagerduty.com``; the EU
service region is ``https://api.eu.pagerduty.com``). The official client, the ``pagerduty``
package (the ``publish`` extra), makes the requests; it is imported only when it is needed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .errors import PublishError
from .export import ExportError
from .pagercheck import check_pagerduty_overrides
from .pdoverrides import PagerDutyDiff, PagerDutyOverride, parse_instant

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


# The spec marks Content-Type required on every operation, those without a body too.
_HEADERS = {"Content-Type": "application/json"}
# PagerDuty ids: schedules "P2LJD7G", overrides "Q2MCMG5TVIV6LQ".
_ID = re.compile(r"[A-Za-z0-9]{1,64}")


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
def borrowed_client(client: Any) -> Iterator[Any]:
    """``client``, or a client of one's own (:func:`make_client`) closed afterwards."""
    if client is not None:
        yield client
        return
    own = make_client()
    try:
        yield own
    finally:
        own.close()


# -- reading -------------------------------------------------------------------------------


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_overrides(
    client: Any, schedule_id: str, since: dt.datetime, until: dt.datetime, handles: dict[str, str]
) -> list[PagerDutyOverride]:
    """One ``GET`` of the window, its answer read into overrides."""
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
                    parse_instant(entry["start"]),
                    parse_instant(entry["end"]),
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


def list_overrides(
    client: Any, schedule_id: str, since: dt.datetime, until: dt.datetime, handles: dict[str, str]
) -> list[PagerDutyOverride]:
    """The overrides on a PagerDuty schedule that overlap ``[since, until)``, whole.

    The endpoint is not paginated (the spec declares no ``limit``, ``offset`` or ``more``),
    so one ``GET`` reads the window; ``overflow=true`` asks for each override's real start
    and end rather than cut at the window's edges.

    Parameters
    ----------
    client
        A ``pagerduty.RestApiV2Client``.
    schedule_id
        The PagerDuty schedule.
    since, until
        The window, aware datetimes.
    handles
        The scenario's engineer handle of each PagerDuty user id, for
        :attr:`PagerDutyOverride.engineer`.

    Raises
    ------
    PublishError
        When PagerDuty cannot be reached, refuses the request, or answers with something
        that is not a whole list of overrides.
    """
    with _request(
        client,
        f"list the overrides of schedule {schedule_id}",
        _no_schedule(schedule_id),
        lambda: "nothing was changed",
    ):
        return _read_overrides(client, schedule_id, since, until, handles)


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
        with borrowed_client(None) as own:
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
