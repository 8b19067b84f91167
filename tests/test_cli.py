"""The command line: exit codes, output files, and clear errors without tracebacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import fairshift as fs
from conftest import EXAMPLE, engineer, scenario
from fairshift.cli import main


def small_scenario_file(tmp_path: Path, s: fs.Scenario | None = None) -> Path:
    path = tmp_path / "small.toml"
    path.write_text((s or scenario(weeks=4)).to_toml())
    return path


def test_plan_writes_schedule_and_fairness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """plan exits 0 and writes schedule.csv and fairness.csv with the documented columns."""
    out = tmp_path / "plan"
    code = main(["plan", str(small_scenario_file(tmp_path)), "--out", str(out), "--no-progress"])
    assert code == 0
    schedule = (out / "schedule.csv").read_text().splitlines()
    assert schedule[0].startswith("slot,role,start,end,engineer")
    assert len(schedule) == 1 + 8
    header = (out / "fairness.csv").read_text().splitlines()[0].split(",")
    for column in (
        "engineer",
        "primary_weeks",
        "secondary_weeks",
        "month_end_shifts",
        "weekend_days",
        "holiday_days",
        "burden",
        "fair_share",
        "deviation",
    ):
        assert column in header
    assert "OPTIMAL" in capsys.readouterr().out


def test_check_accepts_plan_and_rejects_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check exits 0 on the planned CSV and 1 with one line per violation on an edited one."""
    path = small_scenario_file(tmp_path)
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out), "--no-progress"]) == 0
    assert main(["check", str(path), str(out / "schedule.csv")]) == 0
    assert main(["check", str(path), str(out)]) == 0  # the plan directory holding it
    lines = (out / "schedule.csv").read_text().splitlines()
    first, second = lines[1].split(","), lines[2].split(",")
    first[4] = second[4]  # the secondary also becomes primary
    lines[1] = ",".join(first)
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["check", str(path), str(edited)]) == 1
    assert "[overlap] week-001" in capsys.readouterr().out


def test_invalid_input_exits_2_without_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad seniority: exit 2, one message naming file and key, no traceback, no files."""
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('seniority = "junior"', 'seniority = "principal"'))
    out = tmp_path / "plan"
    assert main(["plan", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "engineers[3].seniority" in err and "Traceback" not in err
    assert not out.exists()


def test_infeasible_exits_3_with_explanation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No schedule: exit 3, the conflicting facts printed, no output files."""
    team = (
        engineer("sam", "senior", leave=(fs.Leave(dt.date(2027, 4, 19), dt.date(2027, 4, 25)),)),
        engineer("jo", "junior"),
        engineer("jay", "junior"),
    )
    path = small_scenario_file(tmp_path, scenario(team, weeks=1))
    out = tmp_path / "plan"
    assert main(["plan", str(path), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "Sam" in err and "junior primary" in err
    assert not out.exists()


def test_check_with_unreadable_csv_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV without the required columns is an input error, not a traceback."""
    csv = tmp_path / "x.csv"
    csv.write_text("who,when\nana,monday\n")
    assert main(["check", str(small_scenario_file(tmp_path)), str(csv)]) == 2
    assert "lacks column" in capsys.readouterr().err


def test_check_of_a_directory_without_a_schedule_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory that holds no schedule.csv: exit 2 and a message saying what to pass."""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["check", str(small_scenario_file(tmp_path)), str(empty)]) == 2
    err = capsys.readouterr().err
    assert "without a schedule.csv" in err and "Traceback" not in err


def test_regions_lists_subdivisions(capsys: pytest.CaptureFixture[str]) -> None:
    """regions US lists US-CA among the codes; an unknown country is exit 2."""
    assert main(["regions", "US"]) == 0
    assert "US-CA" in capsys.readouterr().out.split()
    assert main(["regions", "XX"]) == 2


def test_replan_bumps_sequence_only_for_changed_events(tmp_path: Path) -> None:
    """plan, add a leave, replan: frozen weeks unchanged, only changed events get SEQUENCE > 0."""
    import icalendar

    base = scenario(weeks=8)
    first = small_scenario_file(tmp_path, base)
    plan = tmp_path / "plan"
    assert main(["plan", str(first), "--out", str(plan), "--no-progress"]) == 0
    before = fs.Schedule.read_csv(base, plan / "schedule.csv")
    start = base.rotation.start
    holder = before.holder("primary", "week-005")
    changed = base.with_leave(holder, start + dt.timedelta(weeks=4), start + dt.timedelta(weeks=5))
    second = tmp_path / "changed.toml"
    second.write_text(changed.to_toml())
    plan2 = tmp_path / "plan2"
    today = (start + dt.timedelta(weeks=1)).isoformat()
    args = ["replan", str(second), "--previous", str(plan), "--today", today, "--out", str(plan2)]
    assert main(args) == 0
    after = fs.Schedule.read_csv(changed, plan2 / "schedule.csv")
    assert fs.validate(changed, after) == []
    for slot in ("week-001", "week-002"):  # the past week, and the frozen next week
        assert after.holder("primary", slot) == before.holder("primary", slot)
    team = icalendar.Calendar.from_ical((plan2 / "calendars" / "team.ics").read_bytes())
    sequences = [int(event.get("SEQUENCE", 0)) for event in team.walk("VEVENT")]
    assert any(s > 0 for s in sequences) and 0 in sequences


@pytest.mark.parametrize("limit", ["0", "-5", "nan", "inf"])
def test_time_limit_must_be_a_positive_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    """--time-limit 0, negative, nan or inf: exit 2 with a clear message."""
    path = small_scenario_file(tmp_path)
    assert main(["plan", str(path), "--out", str(tmp_path / "p"), "--time-limit", limit]) == 2
    assert "--time-limit" in capsys.readouterr().err
