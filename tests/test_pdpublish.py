"""Publishing a seat of a plan to PagerDuty: only the difference is sent, each request per spec."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import socket
from collections.abc import Iterator
from pathlib import Path

import pagerduty
import pytest

import fairshift as fs
from conftest import EXAMPLE
from fairshift import cli, pager
from fairshift.pdpublish import (
    BATCH_SIZE,
    TOKEN_VARIABLE,
    URL_VARIABLE,
    PagerDutyDiff,
    cmd_publish_pagerduty,
    make_client,
    publish_pagerduty,
)
from pagerduty_fake import CERT_FILE, FakePagerDuty, instant

TOKEN = "fairshift-test-token"
SCHEDULE = "PSCHED1"

Expected = list[tuple[dt.datetime, dt.datetime, str]]


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned() -> fs.Schedule:
    return fs.solve(fs.Scenario.from_toml(EXAMPLE), time_limit=20)


def write_plan(schedule: fs.Schedule, out: Path, *, with_scenario: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    schedule.write_tables(out)
    if with_scenario:
        (out / "scenario.toml").write_text(schedule.scenario.to_toml(), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def plan_dir(planned: fs.Schedule, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plan(planned, tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def swapped(planned: fs.Schedule) -> fs.Schedule:
    """The plan with two primary weeks of two engineers swapped, every hard rule kept."""
    scenario = planned.scenario
    table = planned.to_dataframe()
    primary = table.index[(table["shift"] == "weekly") & (table["seat"] == "primary")].tolist()
    for gap in range(2, len(primary)):
        for i, j in zip(primary, primary[gap:], strict=False):
            if table.at[i, "engineer"] == table.at[j, "engineer"]:
                continue
            edited = table.copy()
            for column in ("engineer", "name"):
                edited.loc[[i, j], column] = table.loc[[j, i], column].to_numpy()
            if not fs.validate(scenario, edited):
                return fs.Schedule.from_dataframe(scenario, edited)
    raise AssertionError("no swap of two primary weeks keeps the hard rules")


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client pauses between retries (network errors, 429); tests need not wait."""
    monkeypatch.setattr(pagerduty.ApiClient, "sleep_timer", 0.0)


@pytest.fixture
def fake(planned: fs.Schedule, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePagerDuty]:
    """A PagerDuty account knowing the example's engineers; every request must pass the spec."""
    users = {e.pagerduty: e.name for e in planned.scenario.engineers}
    with FakePagerDuty(token=TOKEN, schedules=[SCHEDULE], users=users) as server:
        monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
        monkeypatch.setenv(URL_VARIABLE, server.url)
        monkeypatch.setenv("SSL_CERT_FILE", str(CERT_FILE))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        yield server
    assert server.problems == []


def expected(schedule: fs.Schedule, seat: str = "primary") -> Expected:
    """``(start, end, user)`` of the seat's overrides as ``fairshift export`` has them."""
    shift, seat_name = pager.seat_of(schedule.scenario, seat)
    body = pager.pagerduty_overrides(schedule, shift, seat_name)
    return sorted(
        (instant(o["start"]), instant(o["end"]), o["user"]["id"]) for o in body["overrides"]
    )


def parser() -> argparse.ArgumentParser:
    """``fairshift publish DIR --pagerduty ID``, as the command line has it."""
    publish = argparse.ArgumentParser(prog="fairshift publish")
    publish.add_argument("directory")
    publish.add_argument("--pagerduty", required=True)
    publish.add_argument("--seat")
    publish.add_argument("--apply", action="store_true")
    publish.add_argument("--scenario")
    publish.set_defaults(run=cmd_publish_pagerduty)
    return publish


def publish(
    capsys: pytest.CaptureFixture[str], plan: Path, *flags: str, schedule: str = SCHEDULE
) -> tuple[int, str, str]:
    """Run the command; ``(exit code, stdout, stderr)``."""
    capsys.readouterr()
    args = parser().parse_args([str(plan), "--pagerduty", schedule, *flags])
    code = cli._run(args)  # the command line's mapping of errors to messages and exit codes
    out, err = capsys.readouterr()
    return code, out, err


def lines(out: str, mark: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"{mark} ")]


# -- the difference ------------------------------------------------------------------------


def test_a_dry_run_changes_nothing_and_prints_the_diff(
    fake: FakePagerDuty, planned: fs.Schedule, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --apply, publishing reads the schedule's overrides once and sends nothing."""
    code, out, _ = publish(capsys, plan_dir)
    assert code == 0
    assert fake.writes() == [] and fake.overrides(SCHEDULE) == []
    assert [(s.method, s.path) for s in fake.seen] == [("GET", f"/schedules/{SCHEDULE}/overrides")]
    query = fake.seen[0].query
    assert instant(query["since"][0]) == dt.datetime(2027, 1, 4, 17, tzinfo=dt.UTC)
    assert instant(query["until"][0]) == dt.datetime(2028, 1, 3, 17, tzinfo=dt.UTC)
    assert query["overflow"] == ["true"]
    created = lines(out, "+")
    assert len(created) == len(expected(planned)) == 52
    handle = next(a.engineer for a in planned.assignments if a.seat == "primary")
    user = next(e.pagerduty for e in planned.scenario.engineers if e.handle == handle)
    assert created[0] == f"+ 2027-01-04 09:00 -> 2027-01-11 09:00  {user} ({handle})"
    assert "52 to create, 0 to delete, 0 unchanged" in out
    assert "dry run: nothing was sent; add --apply" in out


def test_apply_creates_exactly_the_plans_overrides_in_batches(
    fake: FakePagerDuty, planned: fs.Schedule, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--apply creates the seat's overrides as the export has them, BATCH_SIZE per request."""
    code, out, _ = publish(capsys, plan_dir, "--apply")
    assert code == 0
    assert fake.overrides(SCHEDULE) == expected(planned)
    posts = fake.writes()
    assert [s.method for s in posts] == ["POST"] * math.ceil(52 / BATCH_SIZE)
    assert all(len(s.body["overrides"]) <= BATCH_SIZE for s in posts)
    sent = [o for s in posts for o in s.body["overrides"]]
    assert {o["time_zone"] for o in sent} == {"America/Los_Angeles"}
    assert len(lines(out, "+")) == 52
    assert "created 52, deleted 0, 0 unchanged" in out and "dry run" not in out


def test_a_second_publish_of_an_unchanged_plan_sends_nothing(
    fake: FakePagerDuty, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Overrides equal in start and end instants and user are kept, whatever offset they come in."""
    assert publish(capsys, plan_dir, "--apply")[0] == 0
    writes = len(fake.writes())
    code, out, _ = publish(capsys, plan_dir, "--apply")
    assert code == 0
    assert len(fake.writes()) == writes
    assert lines(out, "+") == lines(out, "-") == []
    assert "nothing to change: 52 override(s) already as planned" in out


def test_a_replan_sends_only_the_changed_weeks(
    fake: FakePagerDuty,
    planned: fs.Schedule,
    swapped: fs.Schedule,
    plan_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Swapping two engineers' primary weeks deletes those two overrides and creates two."""
    assert publish(capsys, plan_dir, "--apply")[0] == 0
    before = len(fake.writes())
    changed = set(expected(swapped)) ^ set(expected(planned))
    assert len(changed) == 4
    code, out, _ = publish(capsys, write_plan(swapped, tmp_path / "replan"), "--apply")
    assert code == 0
    writes = fake.writes()[before:]
    assert sorted(s.method for s in writes) == ["DELETE", "DELETE", "POST"]
    post = next(s for s in writes if s.method == "POST")
    assert len(post.body["overrides"]) == 2
    assert fake.overrides(SCHEDULE) == expected(swapped)
    assert len(lines(out, "+")) == len(lines(out, "-")) == 2
    assert "created 2, deleted 2, 50 unchanged" in out


def test_overrides_outside_the_window_are_left_alone(
    fake: FakePagerDuty, planned: fs.Schedule, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only overrides wholly inside the plan's window are deleted; the others stay as they are."""
    utc = dt.UTC
    before = (dt.datetime(2026, 12, 1, tzinfo=utc), dt.datetime(2026, 12, 8, tzinfo=utc), "PLISAW1")
    after = (dt.datetime(2028, 2, 1, tzinfo=utc), dt.datetime(2028, 2, 8, tzinfo=utc), "PMIKER1")
    straddling = (
        dt.datetime(2027, 1, 1, tzinfo=utc),
        dt.datetime(2027, 1, 5, tzinfo=utc),
        "PSARAHJ",
    )
    by_hand = (dt.datetime(2027, 3, 3, tzinfo=utc), dt.datetime(2027, 3, 4, tzinfo=utc), "PSARAHJ")
    for start, end, user in (before, after, straddling, by_hand):
        fake.add(SCHEDULE, start, end, user)
    code, out, _ = publish(capsys, plan_dir, "--apply")
    assert code == 0
    assert fake.overrides(SCHEDULE) == sorted([*expected(planned), before, after, straddling])
    assert lines(out, "-") == ["- 2027-03-02 16:00 -> 2027-03-03 16:00  PSARAHJ (sarah)"]
    assert lines(out, "!") == [
        "! 2026-12-31 16:00 -> 2027-01-04 16:00  PSARAHJ (sarah)  partly outside the plan's "
        "window: left as it is"
    ]
    assert "created 52, deleted 1, 0 unchanged, 1 partly outside the window" in out


def test_mid_rotation_the_past_stays_and_the_present_is_ended_or_begun_now(
    fake: FakePagerDuty, planned: fs.Schedule
) -> None:
    """Ended overrides are history; one under way is compared by what is left of it."""
    now = dt.datetime(2027, 3, 17, 20, 30, tzinfo=dt.UTC)  # Wednesday of the 11th week
    fake.now = now
    plan = expected(planned)
    ongoing = next(o for o in plan if o[0] < now < o[1])
    old = (plan[0][0], plan[0][1], "PLISAW1" if plan[0][2] != "PLISAW1" else "PMIKER1")
    fake.add(SCHEDULE, *old)  # ended: PagerDuty refuses to delete it
    stranger = next(u for u in fake.users if u != ongoing[2])
    fake.add(SCHEDULE, ongoing[0], ongoing[1], stranger)  # under way, not the plan's
    client = make_client()
    try:
        diff = publish_pagerduty(planned, SCHEDULE, apply=True, client=client, now=now)
        assert isinstance(diff, PagerDutyDiff) and diff.applied
        assert (diff.past, diff.kept, len(diff.delete)) == (10, 0, 1)
        assert diff.create[0].start == now and diff.create[0].end == ongoing[1]
        future = [o for o in plan if o[0] > now]
        assert fake.overrides(SCHEDULE) == sorted(
            [old, (ongoing[0], now, stranger), (now, ongoing[1], ongoing[2]), *future]
        )
        later = publish_pagerduty(
            planned, SCHEDULE, apply=True, client=client, now=now + dt.timedelta(hours=5)
        )
        assert (later.changes, later.kept, later.past) == (0, 1 + len(future), 10)
    finally:
        client.close()
    assert [s.method for s in fake.writes()] == ["POST", "DELETE"]


def test_the_python_api_returns_plain_data_and_a_dry_run_by_default(
    fake: FakePagerDuty, planned: fs.Schedule
) -> None:
    """publish_pagerduty is a dry run unless apply=True; the seat can be chosen."""
    diff = publish_pagerduty(planned, SCHEDULE, seat="secondary")
    assert not diff.applied and diff.seat == "weekly.secondary"
    assert sorted((o.start, o.end, o.user) for o in diff.create) == expected(planned, "secondary")
    assert {o.engineer for o in diff.create} <= {e.handle for e in planned.scenario.engineers}
    assert (diff.kept, diff.delete, diff.outside, diff.past) == (0, (), (), 0)
    assert fake.writes() == []
    assert str(diff).splitlines()[0] == (
        "PagerDuty schedule PSCHED1, seat weekly.secondary, 2027-01-04 09:00 to "
        "2028-01-03 09:00 (America/Los_Angeles)"
    )


# -- what is refused -----------------------------------------------------------------------


def test_a_refused_override_is_reported_with_what_was_applied(
    fake: FakePagerDuty, planned: fs.Schedule, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 201 answer refusing some overrides is an error: nothing is deleted; a re-run finishes."""
    name = fake.users.pop("PMIKER1")
    day = dt.datetime(2027, 3, 3, tzinfo=dt.UTC)
    fake.add(SCHEDULE, day, day + dt.timedelta(days=1), "PSARAHJ")
    code, _, err = publish(capsys, plan_dir, "--apply")
    first_batch = expected(planned)[:BATCH_SIZE]
    mike = sum(1 for o in first_batch if o[2] == "PMIKER1")
    created = len(first_batch) - mike
    assert code == 2 and "Traceback" not in err and mike > 0
    assert f"PagerDuty refused {mike} override(s): " in err
    assert "(mike): User PMIKER1 not found" in err
    assert f"nothing was deleted; already applied: created {created} of 52, deleted 0 of 1" in err
    assert [s.method for s in fake.writes()] == ["POST"]
    fake.users["PMIKER1"] = name
    code, out, _ = publish(capsys, plan_dir, "--apply")
    assert code == 0 and f"created {52 - created}, deleted 1, {created} unchanged" in out
    assert fake.overrides(SCHEDULE) == expected(planned)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad token", "PagerDuty did not accept the API token (HTTP 401 Unauthorized)"),
        ("unknown schedule", "PagerDuty has no schedule PNOSUCH (HTTP 404 Not Found)"),
        ("rate limit", "PagerDuty's rate limit held after 3 retries (HTTP 429"),
        ("no token", f"no PagerDuty API token: set {TOKEN_VARIABLE}"),
        ("unreachable", "cannot reach PagerDuty at https://127.0.0.1:"),
        ("untrusted certificate", "certificate verify failed"),
        ("http", f"{URL_VARIABLE} 'http://127.0.0.1:"),
    ],
)
def test_network_and_http_errors_exit_2_with_a_message(
    fake: FakePagerDuty,
    plan_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    message: str,
) -> None:
    """Each failure is one line on standard error and exit code 2, never a traceback."""
    schedule = SCHEDULE
    if case == "bad token":
        monkeypatch.setenv(TOKEN_VARIABLE, "not-the-token")
    elif case == "unknown schedule":
        schedule = "PNOSUCH"
    elif case == "rate limit":
        fake.rate_limited = True
    elif case == "no token":
        monkeypatch.delenv(TOKEN_VARIABLE)
    elif case == "unreachable":
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setenv(URL_VARIABLE, f"https://127.0.0.1:{port}")
    elif case == "untrusted certificate":
        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    elif case == "http":
        monkeypatch.setenv(URL_VARIABLE, fake.url.replace("https:", "http:"))
    code, out, err = publish(capsys, plan_dir, "--apply", schedule=schedule)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert "nothing was changed" in err or case in ("no token", "http")
    assert err.count("\n") == 1 and out == ""
    assert fake.writes() == []


def test_a_plan_without_its_scenario_needs_scenario(
    fake: FakePagerDuty, planned: fs.Schedule, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older plan directory has no scenario.toml: the error says to give --scenario."""
    old = write_plan(planned, tmp_path / "old", with_scenario=False)
    code, _, err = publish(capsys, old)
    assert code == 2 and "holds no scenario.toml" in err and "--scenario FILE" in err
    assert fake.seen == []
    code, out, _ = publish(capsys, old, "--scenario", str(EXAMPLE))
    assert code == 0 and "52 to create" in out


def test_a_plan_that_breaks_a_hard_rule_is_not_published(
    fake: FakePagerDuty, planned: fs.Schedule, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1 and no request, as for `fairshift export`."""
    table = planned.to_dataframe()
    week = table[(table["slot"] == table["slot"].iloc[0])]
    first, second = week.index[:2]
    table.loc[second, ["engineer", "name"]] = table.loc[first, ["engineer", "name"]].to_numpy()
    broken = fs.Schedule.from_dataframe(planned.scenario, table)
    code, out, _ = publish(capsys, write_plan(broken, tmp_path / "broken"), "--apply")
    assert code == 1 and "not published" in out
    assert fake.seen == []


def test_an_unknown_seat_or_a_missing_pagerduty_id_is_reported_before_the_token(
    fake: FakePagerDuty,
    planned: fs.Schedule,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Input mistakes need no token and send no request."""
    monkeypatch.delenv(TOKEN_VARIABLE)
    plan = write_plan(planned, tmp_path / "plan")
    code, _, err = publish(capsys, plan, "--seat", "tertiary")
    assert code == 2 and "tertiary" in err
    scenario = planned.scenario
    lisa = next(e for e in scenario.engineers if e.handle == "lisa")
    without = scenario.replace(
        engineers=tuple(
            dataclasses.replace(e, pagerduty="") if e is lisa else e for e in scenario.engineers
        )
    )
    (plan / "scenario.toml").write_text(without.to_toml(), encoding="utf-8")
    code, _, err = publish(capsys, plan)
    assert code == 2 and "engineers[lisa].pagerduty" in err
    code, _, err = publish(capsys, plan, schedule="../etc")
    assert code == 2 and "is not a PagerDuty schedule id" in err
    assert fake.seen == []


def test_the_fake_refuses_requests_the_spec_does_not_allow(fake: FakePagerDuty) -> None:
    """The fake's checks are not vacuous: an undeclared parameter or a bad body is a 400."""
    client = make_client()
    try:
        path = f"/schedules/{SCHEDULE}/overrides"
        headers = {"Content-Type": "application/json"}
        window = {"since": "2027-01-01T00:00:00Z", "until": "2027-02-01T00:00:00Z"}
        limit = {**window, "limit": 10}
        assert client.get(path, params=limit, headers=headers).status_code == 400
        a_date = {**window, "since": "2027-01-01"}
        assert client.get(path, params=a_date, headers=headers).status_code == 400
        assert client.get(path, params=window).status_code == 400  # no Content-Type
        week = {"start": "2027-01-04T09:00:00-08:00", "end": "2027-01-11T09:00:00-08:00"}
        assert client.post(path, json={"overrides": [week]}).status_code == 400  # no user
        reversed_times = {
            "overrides": [
                {
                    "start": "2027-01-11T09:00:00-08:00",
                    "end": "2027-01-04T09:00:00-08:00",
                    "user": {"id": "PALEXC1", "type": "user_reference"},
                }
            ]
        }
        answer = client.post(path, json=reversed_times)
        assert answer.status_code == 201 and answer.json()[0]["status"] == 400
        assert client.get(path, params=window, headers=headers).status_code == 200
    finally:
        client.close()
    assert len(fake.problems) >= 5
    assert any("'limit' is not in the spec" in p for p in fake.problems)
    assert any("is not a 'date-time'" in p for p in fake.problems)
    assert any("'user' is a required property" in p for p in fake.problems)
    assert any("must end after its start" in p for p in fake.problems)
    fake.problems.clear()
