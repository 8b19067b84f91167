"""Tests of publishing the feeds: CalDAV upload (against a real Radicale) and the webcal server."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest

import fairshift as fs
from fairshift.cli import main
from fairshift.ical import write_feeds
from fairshift.publish import PublishError, find_feeds, make_server, publish_caldav


def make_schedule(holder_of_week_2: str = "bo", weeks: int = 3) -> fs.Schedule:
    """A small hand-made plan: three engineers, a few weeks across the March DST change."""
    team = (
        fs.Engineer("ana", "Ana Lima", "senior", "US-CA", email="ana@example.com"),
        fs.Engineer("bo", 'Bo, "the" Chen; 🎉', "mid", "US-NY", timezone="America/New_York"),
        fs.Engineer("cy", "Cy Berg", "senior", "DE", timezone="Europe/Berlin"),
    )
    scenario = fs.Scenario(
        fs.Rotation("Ops, on-call", dt.date(2027, 3, 1), weeks, timezone="America/Los_Angeles"),
        team,
        calendar=fs.CalendarOptions(handoff_meeting=True),
    )
    calendar = fs.expand(scenario)
    rows = []
    for i, week in enumerate(calendar.weeks):
        primary = holder_of_week_2 if week.id == "week-002" else scenario.handles[i % 3]
        secondary = next(h for h in ("cy", "ana", "bo") if h != primary)
        rows += [
            fs.Assignment(week.id, fs.Role.PRIMARY, week.start, week.end, primary),
            fs.Assignment(week.id, fs.Role.SECONDARY, week.start, week.end, secondary),
        ]
    rows += [
        fs.Assignment(m.id, fs.Role.MONTH_END, m.start, m.end, "cy") for m in calendar.month_ends
    ]
    return fs.Schedule(scenario, tuple(rows))


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A plan directory whose calendars/ folder holds the feeds."""
    write_feeds(make_schedule(), tmp_path / "plan" / "calendars")
    return tmp_path / "plan"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- finding feeds and errors ------------------------------------------------------------------


def test_find_feeds_in_a_plan_or_a_folder_of_feeds(plan_dir: Path) -> None:
    """A plan directory and its calendars/ folder both give the same feeds."""
    names = [p.name for p in find_feeds(plan_dir)]
    assert "team.ics" in names and "ana.ics" in names
    assert find_feeds(plan_dir / "calendars") == find_feeds(plan_dir)


def test_directory_without_feeds_is_one_clear_error(tmp_path: Path) -> None:
    """An empty or missing directory gives a PublishError that says what to run."""
    with pytest.raises(PublishError, match=r"holds no calendar feeds .*fairshift plan"):
        find_feeds(tmp_path)
    with pytest.raises(PublishError, match="is not a directory"):
        find_feeds(tmp_path / "missing")


@pytest.mark.parametrize("command", [["serve"], ["publish", "--caldav", "http://127.0.0.1:9/a/"]])
def test_cli_without_feeds_exits_2_with_one_line(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fairshift serve/publish` on a directory without feeds: exit 2, one line, no traceback."""
    assert main([command[0], str(tmp_path), *command[1:]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds no calendar feeds" in err
    assert "Traceback" not in err


def test_cli_publish_to_an_unreachable_server_exits_2(
    plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listens on the URL: exit 2 with one sentence naming the server and the reason."""
    url = f"http://127.0.0.1:{free_port()}/ana/"
    assert main(["publish", str(plan_dir), "--caldav", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot publish to {url}" in err and "refused" in err.lower()


def test_publish_needs_an_http_url(plan_dir: Path) -> None:
    """A --caldav value that is not an http(s) URL is refused before any network access."""
    with pytest.raises(PublishError, match="is not an http"):
        publish_caldav(plan_dir, "calendar.example.com")


def test_serve_on_a_busy_port_is_one_clear_error(plan_dir: Path) -> None:
    """Asking for a port that is taken gives a PublishError suggesting --port."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(PublishError, match="choose another --port"):
            make_server(plan_dir, port=busy.getsockname()[1])


# -- the webcal server -----------------------------------------------------------------------


@pytest.fixture
def served(plan_dir: Path) -> Iterator[tuple[Path, int]]:
    """The feeds of plan_dir served on 127.0.0.1 from a background thread, stopped afterwards."""
    server = make_server(plan_dir, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield plan_dir / "calendars", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def get(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_serve_sends_feeds_with_calendar_type_etag_and_last_modified(
    served: tuple[Path, int],
) -> None:
    """GET /team.ics returns the file as text/calendar; charset=utf-8, with ETag and
    Last-Modified; HEAD gives the same headers without the body."""
    folder, port = served
    response, body = get(port, "/team.ics")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/calendar; charset=utf-8"
    assert body == (folder / "team.ics").read_bytes()
    assert response.getheader("ETag", "").startswith('"')
    modified = email.utils.parsedate_to_datetime(response.getheader("Last-Modified", ""))
    assert int(modified.timestamp()) == int((folder / "team.ics").stat().st_mtime)
    head, head_body = get(port, "/team.ics", method="HEAD")
    assert head.status == 200 and head_body == b""
    assert head.getheader("ETag") == response.getheader("ETag")


def test_serve_answers_304_when_the_feed_has_not_changed(served: tuple[Path, int]) -> None:
    """If-None-Match with the current ETag, or If-Modified-Since, gives 304 without a body;
    after the feed changes the old ETag no longer matches."""
    folder, port = served
    first, _ = get(port, "/ana.ics")
    etag = first.getheader("ETag", "")
    again, body = get(port, "/ana.ics", {"If-None-Match": etag})
    assert again.status == 304 and body == b""
    assert again.getheader("ETag") == etag
    since, body = get(port, "/ana.ics", {"If-Modified-Since": first.getheader("Last-Modified", "")})
    assert since.status == 304 and body == b""
    write_feeds(make_schedule(holder_of_week_2="ana"), folder)
    changed, body = get(port, "/ana.ics", {"If-None-Match": etag})
    assert changed.status == 200 and body == (folder / "ana.ics").read_bytes()
    assert changed.getheader("ETag") != etag


@pytest.mark.parametrize(
    "path", ["/../plan/calendars/team.ics", "/%2e%2e/pyproject.toml", "/.state.json", "/x.ics"]
)
def test_serve_never_leaves_the_feeds(served: tuple[Path, int], path: str) -> None:
    """Only the .ics files of the directory are served; anything else is 404."""
    response, _ = get(served[1], path)
    assert response.status == 404


def test_serve_lists_the_feeds(served: tuple[Path, int]) -> None:
    """GET / lists every feed with its webcal:// address."""
    response, body = get(served[1], "/")
    assert response.status == 200
    assert b"webcal://127.0.0.1:" in body and b"team.ics" in body and b"ana.ics" in body


# -- CalDAV against a real Radicale ------------------------------------------------------------


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Radicale server on 127.0.0.1 without authentication, stopped after the module."""
    pytest.importorskip("radicale")
    pytest.importorskip("caldav")
    storage = tmp_path_factory.mktemp("radicale")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "radicale", "--config", "",
            "--server-hosts", f"127.0.0.1:{port}",
            "--auth-type", "none",
            "--storage-filesystem-folder", str(storage / "collections"),
            "--logging-level", "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "HOME": str(storage)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                problem = process.stderr.read() if process.stderr else b""
                raise RuntimeError(f"radicale did not start: {problem!r}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_events(url: str, user: str, calendar_id: str) -> tuple[str, dict[str, icalendar.Event]]:
    """Display name and events by UID of one calendar, read with the caldav client."""
    import caldav

    client = caldav.DAVClient(url=url, username=user, password="x", auth_type="basic")
    calendar = caldav.CalendarSet(client=client, url=url).calendar(cal_id=calendar_id)
    found = {}
    for item in calendar.get_events():
        for event in icalendar.Calendar.from_ical(item.data).walk("VEVENT"):
            found[str(event["UID"])] = event
    return calendar.get_display_name(), found


def feed_events(path: Path) -> dict[str, icalendar.Event]:
    return {
        str(e["UID"]): e for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    }


def test_publish_to_radicale_and_read_back_with_caldav(
    radicale: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`fairshift publish` creates one calendar per feed; caldav reads back every event with
    its UID, times, title and SEQUENCE; a re-plan replaces changed events by UID, deletes
    dropped ones and leaves the rest alone."""
    home = f"{radicale}/ana/"
    plan = tmp_path / "plan"
    write_feeds(make_schedule(), plan / "calendars")
    monkeypatch.setenv("FAIRSHIFT_CALDAV_PASSWORD", "x")
    assert main(["publish", str(plan), "--caldav", home, "--user", "ana"]) == 0
    out = capsys.readouterr().out
    assert "team.ics -> " in out and " created, 0 updated, 0 unchanged, 0 deleted" in out
    titles = {
        "team": "Ops, on-call",
        "primary": "Ops, on-call: primary",
        "secondary": "Ops, on-call: secondary",
        "month-end": "Ops, on-call: month-end",
        "ana": "Ops, on-call: Ana Lima",
        "bo": 'Ops, on-call: Bo, "the" Chen; 🎉',
        "cy": "Ops, on-call: Cy Berg",
    }
    for path in find_feeds(plan):
        name, stored = server_events(home, "ana", path.stem)
        expected = feed_events(path)
        assert name == titles[path.stem]
        assert set(stored) == set(expected)
        for uid, event in stored.items():
            mine = expected[uid]
            assert event.decoded("DTSTART") == mine.decoded("DTSTART")
            assert event.decoded("DTEND") == mine.decoded("DTEND")
            assert str(event["SUMMARY"]) == str(mine["SUMMARY"])
            assert event["SEQUENCE"] == mine["SEQUENCE"] == 0
    summaries = {str(e["SUMMARY"]) for e in server_events(home, "ana", "team")[1].values()}
    assert 'Primary: Bo, "the" Chen; 🎉' in summaries

    # re-plan: week 2 changes hands and the horizon shrinks by a week
    write_feeds(make_schedule(holder_of_week_2="ana", weeks=2), plan / "calendars")
    results = {u.feed: u for u in publish_caldav(plan, home, user="ana", password="x")}
    team = feed_events(plan / "calendars" / "team.ics")
    _, stored = server_events(home, "ana", "team")
    assert set(stored) == set(team)
    changed = [uid for uid, e in team.items() if e["SEQUENCE"] > 0]
    assert changed and results["team.ics"].updated == len(changed)
    assert results["team.ics"].deleted > 0 and results["team.ics"].created == 0
    assert results["team.ics"].unchanged == len(team) - len(changed)
    for uid, event in stored.items():
        assert event["SEQUENCE"] == team[uid]["SEQUENCE"]
        assert str(event["X-FAIRSHIFT-ENGINEER"]) == str(team[uid]["X-FAIRSHIFT-ENGINEER"])

    # publishing the same feeds again changes nothing on the server
    again = publish_caldav(plan, home, user="ana", password="x")
    assert all(u.created == u.updated == u.deleted == 0 for u in again)


def test_publish_to_a_missing_home_is_one_clear_error(radicale: str, plan_dir: Path) -> None:
    """Without a user, Radicale has no collection for the anonymous caller: a clear error."""
    with pytest.raises(PublishError, match=r"^(the CalDAV server|cannot publish)"):
        publish_caldav(plan_dir, f"{radicale}/nobody/")


def test_state_file_is_not_uploaded(radicale: str, plan_dir: Path) -> None:
    """Only feeds become calendars: the state kept next to them stays local."""
    results = publish_caldav(plan_dir, f"{radicale}/cy/", user="cy", password="x")
    assert {u.feed for u in results} == {p.name for p in (plan_dir / "calendars").glob("*.ics")}
    assert all(not u.feed.startswith(".") for u in results)
