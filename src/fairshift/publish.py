"""Getting the feeds to people: upload them to a CalDAV server, or serve them for webcal.

``fairshift publish DIR --caldav URL`` mirrors each feed into its own calendar under the
calendar home ``URL`` (``team.ics`` becomes ``URL/team/``), replacing events by UID and
deleting the ones a re-plan dropped. It needs the ``caldav`` package (the ``publish`` extra).

``fairshift serve DIR`` serves the feeds over HTTP on 127.0.0.1 with the headers calendar
clients poll with: ``text/calendar; charset=utf-8``, ETag and Last-Modified, and
``304 Not Modified`` when nothing changed.
"""

from __future__ import annotations

import argparse
import email.utils
import getpass
import hashlib
import html
import importlib
import os
import re
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import icalendar

from .errors import PublishError

#: Environment variable holding the CalDAV password (asked for when unset on a terminal).
PASSWORD_VARIABLE = "FAIRSHIFT_CALDAV_PASSWORD"


def find_feeds(directory: str | Path) -> list[Path]:
    """List the feeds of a plan directory, or of a directory of feeds.

    Parameters
    ----------
    directory
        A ``fairshift plan --out`` directory (its ``calendars/`` folder is used) or a
        directory holding ``.ics`` files.

    Returns
    -------
    list of Path
        The ``.ics`` files, sorted by name.

    Raises
    ------
    PublishError
        If the directory does not exist or holds no feeds.
    """
    root = Path(directory)
    if not root.is_dir():
        raise PublishError(f"{str(root)!r} is not a directory; give the --out directory of a plan")
    for folder in (root / "calendars", root):
        if folder.is_symlink() or not folder.is_dir():
            continue
        # Symbolic links are never followed: a link could lead out of the plan.
        feeds = sorted(p for p in folder.glob("*.ics") if p.is_file() and not p.is_symlink())
        if feeds:
            return feeds
    raise PublishError(
        f"{str(root)!r} holds no calendar feeds (*.ics); write them with "
        f"`fairshift plan SCENARIO --out {root}`"
    )


# -- CalDAV --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """What publishing one feed did to its calendar on the server."""

    feed: str
    url: str
    created: int
    updated: int
    unchanged: int
    deleted: int

    def __str__(self) -> str:
        return (
            f"{self.feed} -> {self.url}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted"
        )


def _reason(error: BaseException) -> str:
    """Give a short reason for a network or server error (``Connection refused``, ``HTTP 403``)."""
    text = str(error)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if errno:
        return errno.group(1).strip()
    status = re.search(r"\b([45]\d\d) [A-Z][A-Za-z ]+", text)
    if status:
        return f"HTTP {status.group(0).strip()}"
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first[:200]


def _unescape(text: str) -> str:
    """Read RFC 5545 TEXT escapes (icalendar keeps unknown properties such as X-WR-CALNAME raw)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _stamp(event: icalendar.Component) -> str:
    value = event.get("DTSTAMP")
    return "" if value is None else str(value.dt.isoformat())


def _split_feed(data: bytes, name: str) -> tuple[str, dict[str, tuple[int, str, bytes]]]:
    """Calendar name and ``{uid: (sequence, dtstamp, single-event calendar)}`` of a feed."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        raise PublishError(f"{name} is not an iCalendar file ({error})") from None
    zones = {str(tz["TZID"]): tz for tz in calendar.walk("VTIMEZONE")}
    title = _unescape(str(calendar.get("X-WR-CALNAME", Path(name).stem)))
    events: dict[str, tuple[int, str, bytes]] = {}
    for event in calendar.walk("VEVENT"):
        single = icalendar.Calendar()
        single.add("PRODID", calendar.get("PRODID", "-//fairshift//EN"))
        single.add("VERSION", "2.0")
        # A calendar object resource on a CalDAV server must not carry METHOD (RFC 4791).
        used = {
            str(event[key].params["TZID"])
            for key in ("DTSTART", "DTEND")
            if key in event and "TZID" in event[key].params
        }
        for tzid in sorted(used):
            if tzid in zones:
                single.add_component(zones[tzid])
        single.add_component(event)
        events[str(event["UID"])] = (
            int(event.get("SEQUENCE", 0)),
            _stamp(event),
            single.to_ical(),
        )
    return title, events


def _server_events(calendar: Any) -> dict[str, tuple[str, int, str]]:
    """``{uid: (url, sequence, dtstamp)}`` of the events stored in a server calendar."""
    found: dict[str, tuple[str, int, str]] = {}
    for item in calendar.get_events():
        try:
            parsed = icalendar.Calendar.from_ical(item.data)
        except ValueError:
            continue
        for event in parsed.walk("VEVENT"):
            found[str(event["UID"])] = (str(item.url), int(event.get("SEQUENCE", 0)), _stamp(event))
    return found


def _check(response: Any, what: str) -> None:
    status = int(getattr(response, "status", 0) or 0)
    if status >= 400:
        reason = getattr(response, "reason", "") or ""
        raise PublishError(
            f"the server refused to {what} (HTTP {status} {reason})".replace(" )", ")")
        )


def _upload(client: Any, home: Any, feed: Path) -> Upload:
    dav_error = importlib.import_module("caldav.lib.error")
    title, events = _split_feed(feed.read_bytes(), feed.name)
    calendar = home.calendar(cal_id=feed.stem)
    try:
        stored = _server_events(calendar)
    except dav_error.NotFoundError:
        calendar = home.make_calendar(name=title, cal_id=feed.stem)
        stored = {}
    created = updated = unchanged = deleted = 0
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    for uid, (sequence, stamp, body) in sorted(events.items()):
        if uid in stored and stored[uid][1:] == (sequence, stamp):
            unchanged += 1
            continue
        if uid in stored:
            url = stored[uid][0]
            updated += 1
        else:
            url = str(calendar.url.join(quote(uid, safe="@-_.") + ".ics"))
            created += 1
        _check(client.put(url, body.decode("utf-8"), headers), f"store {uid} of {feed.name}")
    for uid in sorted(set(stored) - set(events)):
        _check(client.delete(stored[uid][0]), f"delete {uid} from {calendar.url}")
        deleted += 1
    return Upload(feed.name, str(calendar.url), created, updated, unchanged, deleted)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(
            f"--caldav {url!r} is not an http(s) URL; give your calendar home, "
            "e.g. http://127.0.0.1:5232/alex/"
        )
    return url if url.endswith("/") else url + "/"


def publish_caldav(
    directory: str | Path, url: str, *, user: str | None = None, password: str | None = None
) -> list[Upload]:
    """Upload every feed of ``directory`` into its own calendar under the calendar home ``url``.

    Each feed ``NAME.ics`` becomes the calendar ``url/NAME/`` (created when missing, titled
    with the feed's X-WR-CALNAME). Events are matched by UID: new ones are created, changed
    ones (another SEQUENCE or DTSTAMP) replaced, and events no longer in the feed deleted,
    so the calendar mirrors the feed.

    Parameters
    ----------
    directory
        A plan directory or a directory of feeds (see :func:`find_feeds`).
    url
        The calendar home collection, e.g. ``http://127.0.0.1:5232/alex/``.
    user, password
        Credentials. They are sent when the server asks for them, and also up front (HTTP
        Basic) when a user is named but the server does not ask.

    Returns
    -------
    list of Upload
        One per feed.

    Raises
    ------
    PublishError
        If there are no feeds, ``caldav`` is not installed, the server cannot be reached or
        it refuses a request.

    Examples
    --------
    >>> for upload in publish_caldav("plan", "http://127.0.0.1:5232/alex/", user="alex"):
    ...     print(upload)  # doctest: +SKIP
    team.ics -> http://127.0.0.1:5232/alex/team/: 120 created, 0 updated, 0 unchanged, 0 deleted
    """
    feeds = find_feeds(directory)
    home_url = _check_url(url)
    try:
        # An optional dependency, looked up by name so that type checks do not need it.
        caldav = importlib.import_module("caldav")
        dav_error = importlib.import_module("caldav.lib.error")
    except ImportError:
        raise PublishError(
            "publishing to CalDAV needs the caldav package; install it with "
            "pip install 'fairshift[publish]'"
        ) from None
    try:
        client = caldav.DAVClient(url=home_url, username=user, password=password, timeout=30)
        probe = client.propfind(home_url, depth=0)
        if user is not None and client.auth is None:
            # The server did not ask who we are; name the user anyway, or it files the
            # calendars under an anonymous account (Radicale without authentication does).
            client = caldav.DAVClient(
                url=home_url, username=user, password=password or "", auth_type="basic", timeout=30
            )
            probe = client.propfind(home_url, depth=0)
        if probe.status == 404:
            raise PublishError(f"the CalDAV server has no collection at {home_url}")
        _check(probe, f"list {home_url}")
        home = caldav.CalendarSet(client=client, url=home_url)
        return [_upload(client, home, feed) for feed in feeds]
    except dav_error.AuthorizationError:
        who = f"as {user!r}" if user else "without a user (give --user)"
        raise PublishError(f"the CalDAV server at {home_url} refused access {who}") from None
    except (dav_error.DAVError, OSError) as error:
        raise PublishError(f"cannot publish to {home_url}: {_reason(error)}") from None


# -- HTTP ----------------------------------------------------------------------------------


class _FeedHandler(BaseHTTPRequestHandler):
    """Serves the ``.ics`` files of one directory, read afresh on each request."""

    directory: Path
    server_version = "fairshift"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the terminal quiet: calendar clients poll often."""

    def _feeds(self) -> dict[str, Path]:
        try:
            return {path.name: path for path in find_feeds(self.directory)}
        except PublishError:
            return {}

    def do_HEAD(self) -> None:
        """Answer like GET, without the body."""
        self._answer(body=False)

    def do_GET(self) -> None:
        """Send a feed, the list of feeds, or 304/404."""
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        feeds = self._feeds()
        if path in ("", "/"):
            host = self.headers.get("Host") or "127.0.0.1"
            links = "".join(
                f'<li><a href="{quote(name)}">{html.escape(name)}</a> '
                f"(webcal://{html.escape(host)}/{quote(name)})</li>"
                for name in feeds
            )
            page = f"<!doctype html><title>fairshift feeds</title><ul>{links}</ul>\n"
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page.encode(), {}, body)
            return
        name = path.lstrip("/")
        # Only the names listed in the directory are served, so no path can reach elsewhere.
        if name not in feeds:
            self._send(
                HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"no such feed\n", {}, body
            )
            return
        try:
            data = feeds[name].read_bytes()
            modified = feeds[name].stat().st_mtime
        except OSError:
            self._send(
                HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"no such feed\n", {}, body
            )
            return
        etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
        validators = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(int(modified), usegmt=True),
            "Cache-Control": "no-cache",
        }
        if self._not_modified(etag, int(modified)):
            self._send(HTTPStatus.NOT_MODIFIED, "", b"", validators, False)
            return
        self._send(HTTPStatus.OK, "text/calendar; charset=utf-8", data, validators, body)

    def _not_modified(self, etag: str, modified: int) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                parsed = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return modified <= parsed.timestamp()
        return False

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        data: bytes,
        headers: dict[str, str],
        body: bool,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


class _FeedServer(ThreadingHTTPServer):
    """An HTTP server that takes a client hanging up as normal, not as a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that disconnect early; report anything else in one line."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        print(f"fairshift serve: {type(error).__name__}: {error}", file=sys.stderr)


def make_server(directory: str | Path, *, port: int = 8080) -> ThreadingHTTPServer:
    """Make an HTTP server for the feeds of ``directory`` on 127.0.0.1 (not started yet).

    Parameters
    ----------
    directory
        A plan directory or a directory of feeds (see :func:`find_feeds`).
    port
        TCP port; 0 picks a free one (read it from ``server.server_address[1]``).

    Returns
    -------
    ThreadingHTTPServer
        Call ``serve_forever()`` to run it and ``shutdown()`` then ``server_close()`` to stop.

    Raises
    ------
    PublishError
        If there are no feeds or the port cannot be bound.

    Examples
    --------
    >>> server = make_server("plan", port=8080)  # doctest: +SKIP
    >>> server.serve_forever()  # webcal://127.0.0.1:8080/team.ics  # doctest: +SKIP
    """
    find_feeds(directory)
    handler = type("FeedHandler", (_FeedHandler,), {"directory": Path(directory)})
    try:
        server = _FeedServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise PublishError(
            f"cannot listen on 127.0.0.1:{port} ({_reason(error)}); choose another --port"
        ) from None
    server.daemon_threads = True
    return server


# -- command line --------------------------------------------------------------------------


def cmd_publish(args: argparse.Namespace) -> int:
    """Upload the feeds of a plan to a CalDAV server (``fairshift publish``)."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if args.user and password is None and sys.stdin.isatty():
        password = getpass.getpass(f"CalDAV password for {args.user}: ")
    for upload in publish_caldav(args.directory, args.caldav, user=args.user, password=password):
        print(upload)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the feeds of a plan on 127.0.0.1 until interrupted (``fairshift serve``)."""
    if not 0 <= args.port <= 65535:
        raise PublishError(f"--port {args.port} is not a TCP port; use 1 to 65535")
    server = make_server(args.directory, port=args.port)
    port = server.server_address[1]
    names = [path.name for path in find_feeds(args.directory)]
    print(f"serving {len(names)} feeds from {args.directory} on http://127.0.0.1:{port}/")
    for name in names:
        print(f"  webcal://127.0.0.1:{port}/{quote(name)}")
    print("press Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
