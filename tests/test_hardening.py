"""Hostile and careless input: clear errors, whole plans, safe output, no tracebacks."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairshift as fs
from conftest import EXAMPLE, ROOT, engineer, scenario
from fairshift.cli import main
from fairshift.io import read_cell, safe_cell
from fairshift.plandir import STAGING_PREFIX, check_target, staged

SMALL = """[rotation]
name = "{name}"
start = 2027-04-19
weeks = 4
timezone = "America/Los_Angeles"

[month_end]
business_days = 0
{extra}
[[engineers]]
handle = "ana"
name = "{person}"
seniority = "senior"
holidays = "US-CA"

[[engineers]]
handle = "bo"
name = "Bo"
seniority = "senior"
holidays = "US-CA"

[[engineers]]
handle = "cy"
name = "Cy"
seniority = "mid"
holidays = "US-CA"
"""


def write(path: Path, *, name: str = "Ops", person: str = "Ana", extra: str = "") -> Path:
    path.write_text(SMALL.format(name=name, person=person, extra=extra), encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "fairshift.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


# -- 1. hangs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[fairness]\nsecondary_factor = 0.3333\n", "secondary_factor"),
        ("[fairness]\nweekend = 1.3333\n", "weekend"),
        ("[fairness]\nweekday = 0.0001\nweekend = 999.9999\n", "weekday"),
    ],
)
def test_weights_with_four_decimals_are_refused_with_the_precision(
    tmp_path: Path, extra: str, key: str
) -> None:
    """Weights have at most 3 decimals; the error says so instead of a long silence."""
    path = write(tmp_path / "s.toml", extra=extra)
    with pytest.raises(fs.ScenarioError, match=rf"fairness\.{key}.*at most 3 decimals"):
        fs.Scenario.from_toml(path)


def test_extreme_weights_with_three_decimals_still_plan(tmp_path: Path) -> None:
    """The finest weights allowed, far apart, plan like any others (exact arithmetic holds)."""
    extra = (
        "[fairness]\nweekday = 0.001\nweekend = 999.999\nsecondary_factor = 0.333\n"
        "public_holiday = 1.333\n"
    )
    s = fs.Scenario.from_toml(write(tmp_path / "s.toml", extra=extra))
    schedule = fs.solve(s, time_limit=10)
    assert fs.validate(s, schedule) == []


@pytest.mark.parametrize("field", ["name", "person"])
def test_huge_names_are_refused(tmp_path: Path, field: str) -> None:
    """A 100 KB name is an input error, not minutes of drawing."""
    long = "x" * 100_000
    path = write(tmp_path / "s.toml", **{field: long})
    with pytest.raises(fs.ScenarioError, match="at most 100"):
        fs.Scenario.from_toml(path)


# -- 2. a plan directory is always one whole plan -----------------------------------------


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _staging_left(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_failure_part_way_leaves_the_old_plan_whole(tmp_path: Path) -> None:
    """An error while writing (here: the disk fills) keeps the old plan, removes staging."""
    out = tmp_path / "plan"
    out.mkdir()
    (out / "schedule.csv").write_text("old\n")
    before = _snapshot(out)
    with pytest.raises(OSError, match="No space"), staged(out) as staging:
        (staging / "schedule.csv").write_text("new\n")
        raise OSError(28, "No space left on device")
    assert _snapshot(out) == before
    assert _staging_left(tmp_path) == []


def test_a_finished_plan_replaces_the_old_one_whole(tmp_path: Path) -> None:
    """The new plan arrives at once: no file of the old one is left beside it."""
    out = tmp_path / "plan"
    out.mkdir()
    (out / "report.md").write_text("old report\n")
    (out / "burden.png").write_text("old picture\n")
    with staged(out) as staging:
        (staging / "report.md").write_text("new report\n")
    assert _snapshot(out) == {"report.md": b"new report\n"}
    assert _staging_left(tmp_path) == []


def test_a_directory_with_other_files_is_never_replaced(tmp_path: Path) -> None:
    """--out ~ by mistake must not delete a home directory."""
    (tmp_path / "thesis.tex").write_text("years of work\n")
    with pytest.raises(fs.ScenarioError, match="not part of a plan"):
        check_target(tmp_path)
    code = main(["plan", str(EXAMPLE), "--out", str(tmp_path), "--no-progress"])
    assert code == 2
    assert (tmp_path / "thesis.tex").read_text() == "years of work\n"


def test_out_that_cannot_be_written_is_found_before_solving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An --out below a file fails at once with a clear error, not after the solve."""
    (tmp_path / "file").write_text("")
    started = time.perf_counter()
    code = main(["plan", str(EXAMPLE), "--out", str(tmp_path / "file" / "plan")])
    assert code == 2
    assert time.perf_counter() - started < 30  # a hang guard, far above any real run
    err = capsys.readouterr().err
    assert "--out" in err and "Traceback" not in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
@pytest.mark.parametrize("after", [0.0, 0.7, 1.4, 2.1])
def test_killing_plan_at_any_moment_leaves_one_whole_plan(
    tmp_path: Path, signum: int, after: float
) -> None:
    """Killed while solving, writing or swapping, --out holds the old plan or the new one.

    The signal is sent ``after`` seconds after the solve reports its first schedule, so the
    runs land in different steps: the solve (about 1.5 s), the outputs (about 1 s) and the
    swap.
    """
    out = tmp_path / "plan"
    first = run_cli("plan", str(EXAMPLE), "--out", str(out), "--no-progress")
    assert first.returncode == 0, first.stderr
    old = _snapshot(out)
    changed = tmp_path / "changed.toml"
    changed.write_text(EXAMPLE.read_text().replace("Lisa Wang", "Lisa Wang-Chen"))
    process = subprocess.Popen(
        [sys.executable, "-m", "fairshift.cli", "plan", str(changed), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # progress lines: the solve has started
        seen.append(line)
        if "best" in line:
            break
    time.sleep(after)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in "".join(seen) + err
    now = _snapshot(out)
    if now != old:  # the new plan arrived whole: every file of it is there
        assert set(now) == set(old)
        assert b"Lisa Wang-Chen" in now["schedule.csv"]
        assert b"Lisa Wang-Chen" in now["fairness.csv"]
        assert b"Lisa Wang-Chen" in now["report.md"]
    if signum == signal.SIGKILL:
        # Nothing can clean up after SIGKILL; the next run in the folder does.
        again = run_cli("plan", str(EXAMPLE), "--out", str(out), "--no-progress")
        assert again.returncode == 0
    assert _staging_left(tmp_path) == []


def test_a_swap_cut_between_its_renames_never_mixes_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an atomic exchange, a failure between the two renames leaves no mix."""
    from fairshift import plandir

    out = tmp_path / "plan"
    out.mkdir()
    (out / "schedule.csv").write_text("old\n")
    monkeypatch.setattr(plandir, "_exchange", lambda first, second: False)
    calls = []
    real = os.rename

    def failing(source: object, target: object) -> None:
        calls.append((source, target))
        if len(calls) == 2:  # staging -> out
            raise OSError(5, "Input/output error")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(plandir.os, "rename", failing)
    with pytest.raises(OSError), staged(out) as staging:
        (staging / "schedule.csv").write_text("new\n")
    # The old plan was moved aside, the new one failed to arrive, the old one is back.
    assert _snapshot(out) == {"schedule.csv": b"old\n"}
    assert _staging_left(tmp_path) == []


def test_ctrl_c_during_the_solve_writes_the_best_plan_and_says_interrupted(
    tmp_path: Path,
) -> None:
    """Ctrl-C keeps the best schedule so far, says so, and exits 130."""
    out = tmp_path / "plan"
    big = tmp_path / "big.toml"
    team = tuple(fs.Engineer(f"e{i}", f"E {i}", "senior", "US-CA") for i in range(24))
    big.write_text(scenario(team, weeks=52).to_toml())
    process = subprocess.Popen(
        [sys.executable, "-m", "fairshift.cli", "plan", str(big), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait for the first solution to be reported, then press Ctrl-C.
    assert process.stderr is not None
    for line in process.stderr:
        if "best" in line:
            break
    process.send_signal(signal.SIGINT)
    stdout, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in stdout + err
    assert "interrupted" in (out / "report.md").read_text()
    s = fs.Scenario.from_toml(big)
    assert fs.validate(s, fs.Schedule.read_csv(s, out)) == []


# -- 3. output that attacks its reader -----------------------------------------------------

HOSTILE_NAMES = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_formulas_never_reach_a_spreadsheet_and_check_still_reads(
    tmp_path: Path, hostile: str
) -> None:
    """Cells that would start a formula get a leading quote; check reads the file back."""
    path = write(tmp_path / "s.toml", person=hostile.replace('"', '\\"'))
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), "--no-progress"]) == 0
    for name in ("schedule.csv", "fairness.csv"):
        table = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        cells = [cell for column in table.columns for cell in table[column]]
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
        assert "'" + hostile in cells
    assert main(["check", str(path), str(out)]) == 0


def test_safe_cells_round_trip() -> None:
    """The quote is added only where needed and taken off when reading back."""
    for text in [*HOSTILE_NAMES, "Alex", "", "'quoted"]:
        assert read_cell(str(safe_cell(text))) == text
    assert safe_cell(-1.5) == -1.5


def test_markup_in_names_is_escaped_in_the_report(tmp_path: Path) -> None:
    """HTML and Markdown from input are shown as text, never interpreted."""
    path = write(tmp_path / "s.toml", name="<script>alert(1)</script> ## Ops", person="*Ana*")
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), "--no-progress"]) == 0
    text = (out / "report.md").read_text()
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "\\*Ana\\*" in text
    assert sum(line.startswith("# ") for line in text.splitlines()) == 1


@pytest.mark.parametrize("character", ["\n", "\r", "\x00", "\x07", "\x1b", "\u2028"])
def test_control_characters_are_refused_in_every_text(character: str) -> None:
    """A name with a line break, NUL, BEL, ESC or CR is an input error naming the field."""
    with pytest.raises(fs.ScenarioError, match="control character"):
        fs.Engineer("ana", f"Ana{character}X", "senior", "US")
    with pytest.raises(fs.ScenarioError, match="control character"):
        fs.Rotation(f"Ops{character}", dt.date(2027, 1, 4), 4)
    with pytest.raises(fs.ScenarioError, match="control character"):
        fs.Pipeline(f"Profit{character}")


def test_errors_never_send_escape_sequences_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name with ESC in it is echoed as an escape, not sent to the terminal."""
    assert main(["check", str(tmp_path / "bad\x1b[31m.toml"), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b" in err


def test_serve_never_follows_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    """A feed that is a link elsewhere is not listed, so it is never served."""
    from fairshift.publish import find_feeds

    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "team.ics").write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    (folder / "leak.ics").symlink_to(secret)
    assert [p.name for p in find_feeds(folder)] == ["team.ics"]


def test_serve_shrugs_off_a_client_that_hangs_up(tmp_path: Path) -> None:
    """A client that disconnects mid-answer leaves no traceback on the terminal."""
    import io
    import socket
    import threading
    from contextlib import redirect_stderr

    from fairshift.publish import make_server

    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "team.ics").write_bytes(
        b"BEGIN:VCALENDAR\n" + b"X" * 2_000_000 + b"\nEND:VCALENDAR\n"
    )
    server = make_server(folder, port=0)
    port = server.server_address[1]
    errors = io.StringIO()
    with redirect_stderr(errors):
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.sendall(b"GET /team.ics HTTP/1.1\r\nHost: x\r\n\r\n")
                client.recv(100)
            # closing at once, with most of the answer unsent
        time.sleep(0.3)
        server.shutdown()
        server.server_close()
    assert "Traceback" not in errors.getvalue()


# -- 4. tracebacks instead of messages -----------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        "[history]\nana = 1e9\n",
        "[history]\nbo = -1e12\n",
        "[calendar]\nrefresh_hours = 9223372036854775000\n",
        "[calendar]\nhandoff_meeting_minutes = 100000000\n",
        "[rules]\nswap_notice_days = 1e20\n",
        "[rules]\nswap_notice_days = 100000\n",
        "[rules]\nmax_consecutive_weeks = 99999999999\n",
    ],
)
def test_extreme_values_are_input_errors(tmp_path: Path, extra: str) -> None:
    """Values that used to pass validation and crash later are refused up front."""
    path = write(tmp_path / "s.toml", extra=extra)
    result = run_cli("plan", str(path), "--out", str(tmp_path / "p"), "--time-limit", "5")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "out of range" in result.stderr or "not a whole number" in result.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["--slack", "nan"],
        ["--slack", "inf"],
        ["--slack", "-1"],
        ["--freeze-weeks", "-2"],
        ["--time-limit", "0"],
    ],
)
def test_bad_replan_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    """Bad numbers for replan are argument errors, before anything is read."""
    command = ["replan", str(EXAMPLE), "--previous", str(tmp_path), "--today", "2027-03-01"]
    assert main([*command, "--out", str(tmp_path / "o"), *arguments]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_replan_out_naming_a_file_and_sweep_out_naming_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both are input errors found before any solving."""
    plan = tmp_path / "plan"
    assert main(["plan", str(EXAMPLE), "--out", str(plan), "--no-progress"]) == 0
    target = tmp_path / "taken.txt"
    target.write_text("keep me\n")
    command = ["replan", str(EXAMPLE), "--previous", str(plan), "--today", "2027-03-01"]
    assert main([*command, "--out", str(target)]) == 2
    assert target.read_text() == "keep me\n"
    assert main(["sweep", str(EXAMPLE), "--out", str(tmp_path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_python_api_takes_numpy_numbers_and_rejects_wrong_types() -> None:
    """pandas users pass numpy scalars; wrong types are refused naming the field."""
    ana = fs.Engineer("ana", "Ana", "senior", "US", fte=np.float64(0.5), history=np.int64(2))
    assert ana.fte == 0.5 and ana.history == 2
    rotation = fs.Rotation("Ops", dt.date(2027, 1, 4), np.int64(8))
    assert rotation.weeks == 8 and type(rotation.weeks) is int
    with pytest.raises(fs.ScenarioError, match="rotation"):
        fs.Scenario(rotation={"name": "Ops"}, engineers=(ana,))  # type: ignore[arg-type]
    with pytest.raises(fs.ScenarioError, match=r"engineers\[0\]"):
        fs.Scenario(rotation, ("ana",))  # type: ignore[arg-type]
    with pytest.raises(fs.ScenarioError, match="name: 42 is not text"):
        fs.Rotation(42, dt.date(2027, 1, 4), 8)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"time_limit": 0},
        {"time_limit": -5},
        {"time_limit": float("nan")},
        {"seed": 2**31},
        {"workers": 0},
        {"work_limit": 0},
    ],
)
def test_solve_rejects_options_out_of_range(options: dict[str, float]) -> None:
    """solve(time_limit=0) used to return a FEASIBLE schedule without searching."""
    with pytest.raises(ValueError, match=next(iter(options))):
        fs.solve(scenario(), **options)  # type: ignore[arg-type]


# -- 5. messages that mislead --------------------------------------------------------------


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    """Windows editors write a UTF-8 byte order mark; it is not a syntax error."""
    path = tmp_path / "s.toml"
    path.write_bytes("\ufeff".encode() + write(tmp_path / "plain.toml").read_bytes())
    assert fs.Scenario.from_toml(path).rotation.name == "Ops"


def test_replan_against_a_plan_that_does_not_line_up_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "the previous primary holder '(nobody)' is not an engineer"."""
    plan = tmp_path / "plan"
    assert main(["plan", str(EXAMPLE), "--out", str(plan), "--no-progress"]) == 0
    shifted = tmp_path / "shifted.toml"
    shifted.write_text(EXAMPLE.read_text().replace("start = 2027-01-04", "start = 2027-01-06"))
    command = ["replan", str(shifted), "--previous", str(plan), "--today", "2027-03-01"]
    assert main([*command, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "do not line up" in err and "(nobody)" not in err


def test_warnings_for_a_joiner_after_the_horizon_and_today_outside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid but probably unintended inputs are pointed out."""
    team = (
        engineer("ana", "senior"),
        engineer("bo", "senior"),
        engineer("cy", "senior"),
        engineer("late", joined=dt.date(2031, 1, 1)),
    )
    path = tmp_path / "s.toml"
    path.write_text(scenario(team, weeks=4).to_toml())
    assert main(["plan", str(path), "--out", str(tmp_path / "p"), "--no-progress"]) == 0
    assert "warning: Late (late) joins on 2031-01-01" in capsys.readouterr().err
    command = ["replan", str(path), "--previous", str(tmp_path / "p"), "--today", "2035-01-01"]
    main([*command, "--out", str(tmp_path / "q")])
    assert "warning: --today 2035-01-01 lies outside the horizon" in capsys.readouterr().err


# -- 6. determinism ------------------------------------------------------------------------


def test_two_runs_write_byte_identical_plans(tmp_path: Path) -> None:
    """Same input and seed: every file of the plan is the same, byte for byte."""
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert main(["plan", str(EXAMPLE), "--out", str(out), "--no-progress"]) == 0
    assert _snapshot(first) == _snapshot(second)
    assert " s |" not in (first / "report.md").read_text()  # no solve times in files
