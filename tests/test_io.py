"""Scenario files: the example parses, round-trips, and every bad input names its key."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

import fairshift as fs
from conftest import EXAMPLE


def test_example_parses_with_runbook_values(example: fs.Scenario) -> None:
    """The bundled example holds exactly the team from the runbook."""
    assert example.rotation.start == dt.date(2027, 1, 4)
    assert example.rotation.weeks == 52
    assert example.rotation.timezone == "America/Los_Angeles"
    assert example.handles == ("alex", "sarah", "mike", "lisa")
    assert [e.seniority.label for e in example.engineers] == ["senior", "mid", "mid", "junior"]
    assert example.engineer("lisa").leave[0].start == dt.date(2027, 3, 22)
    assert example.weights.weekend == Fraction(3, 2)
    assert len(example.pipelines) == 5
    assert sum(p.investor_facing for p in example.pipelines) == 4


def test_toml_round_trip_is_exact(example: fs.Scenario, tmp_path: Path) -> None:
    """to_toml() writes text that reads back to an equal scenario, and is stable."""
    text = example.to_toml()
    path = tmp_path / "again.toml"
    path.write_text(text)
    again = fs.Scenario.from_toml(path)
    assert again == example
    assert again.to_toml() == text


def test_round_trip_keeps_optional_keys(tmp_path: Path) -> None:
    """fte, joined, left, history, timezone and leave reasons survive a round trip."""
    base = fs.Scenario.from_toml(EXAMPLE)
    changed = base.with_engineer_changes(
        "mike",
        fte=0.6,
        joined=dt.date(2027, 2, 1),
        left=dt.date(2027, 11, 30),
        history=-12.25,
        timezone="America/Chicago",
    ).with_leave("lisa", "2027-06-01", "2027-06-04", "conference, Berlin")
    path = tmp_path / "s.toml"
    path.write_text(changed.to_toml())
    assert fs.Scenario.from_toml(path) == changed


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


def example_with(old: str, new: str) -> str:
    text = EXAMPLE.read_text()
    assert old in text
    return text.replace(old, new, 1)


BAD_INPUTS = [
    (
        'seniority = "junior"',
        'seniority = "principal"',
        "engineers[3].seniority",
        "junior, mid, senior",
    ),
    ('holidays = "US-CA"', 'holidays = "US-XX"', "engineers[0].holidays", "fairshift regions"),
    ('holidays = "US-CA"', 'holidays = "ZZ"', "engineers[0].holidays", "fairshift regions"),
    ("start = 2027-01-04", 'start = "2027-02-30"', "rotation.start", "YYYY-MM-DD"),
    (
        "leave = [{ start = 2027-07-05, end = 2027-07-16 }]",
        "leave = [{ start = 2027-07-16, end = 2027-07-05 }]",
        "engineers[0].leave[0].end",
        "before it starts",
    ),
    ('handle = "mike"', 'handle = "sarah"', "engineers[2].handle", "duplicate handle"),
    ("weeks = 52", "weeks = 0", "rotation.weeks", "use 1 to 520"),
    ("weeks = 52", "weeks = -3", "rotation.weeks", "use 1 to 520"),
    ('timezone = "America/Los_Angeles"', 'timezone = "Mars/Olympus"', "rotation.timezone", "IANA"),
    (
        'email = "lisa.wang@example.com"',
        'email = "lisa.wang@example.com"\nfte = 1.5',
        "engineers[3].fte",
        "0 < fte <= 1",
    ),
    (
        'email = "lisa.wang@example.com"',
        'email = "lisa.wang@example.com"\nfte = 0',
        "engineers[3].fte",
        "0 < fte <= 1",
    ),
    (
        "max_consecutive_weeks = 2",
        "max_consecutive_weekz = 2",
        "rules.max_consecutive_weekz",
        "did you mean",
    ),
    (
        'public_holidays = "soft"',
        'public_holidays = "sometimes"',
        "rules.public_holidays",
        '"soft" or "hard"',
    ),
    ('handoff = "09:00"', 'handoff = "9 o\'clock"', "rotation.handoff", "HH:MM"),
    (
        'min_seniority = "mid"',
        'min_seniority = "boss"',
        "month_end.min_seniority",
        "junior, mid, senior",
    ),
    ("weekend = 1.5", 'weekend = "lots"', "fairness.weekend", "number"),
    ('timezone = "America/Los_Angeles"', 'timezone = "America"', "rotation.timezone", "IANA"),
    ("start = 2027-01-04", "start = 9999-12-20", "rotation.start", "from 1900 to 2200"),
    ("weekend = 1.5", "weekend = 1.3333", "fairness.weekend", "at most 3 decimals"),
]


@pytest.mark.parametrize(("old", "new", "key", "fix"), BAD_INPUTS)
def test_bad_input_names_file_key_and_fix(
    tmp_path: Path, old: str, new: str, key: str, fix: str
) -> None:
    """Each wrong value raises one ScenarioError naming the file, the key and the fix."""
    path = write(tmp_path, example_with(old, new))
    with pytest.raises(fs.ScenarioError) as caught:
        fs.Scenario.from_toml(path)
    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert fix in message
    assert isinstance(caught.value, ValueError)


def test_toml_syntax_error_reports_line(tmp_path: Path) -> None:
    """A TOML syntax error is reported with its line number."""
    path = write(tmp_path, example_with("weeks = 52", "weeks = = 52"))
    with pytest.raises(fs.ScenarioError, match=r"line 5"):
        fs.Scenario.from_toml(path)


def test_leave_for_unknown_engineer(tmp_path: Path) -> None:
    """A top-level [[leave]] entry for an unknown handle is rejected by name."""
    path = write(
        tmp_path,
        EXAMPLE.read_text()
        + '\n[[leave]]\nengineer = "zoe"\nstart = 2027-05-03\nend = 2027-05-07\n',
    )
    with pytest.raises(fs.ScenarioError, match=r"leave\[0\]\.engineer: 'zoe' is not an engineer"):
        fs.Scenario.from_toml(path)


def test_history_for_unknown_engineer(tmp_path: Path) -> None:
    """A [history] balance for an unknown handle is rejected by name."""
    path = write(tmp_path, EXAMPLE.read_text() + "\n[history]\nzoe = 12.5\n")
    with pytest.raises(fs.ScenarioError, match=r"history\.zoe"):
        fs.Scenario.from_toml(path)


def test_top_level_leave_and_history_are_applied(tmp_path: Path) -> None:
    """[[leave]] and [history] tables attach to the named engineers."""
    path = write(
        tmp_path,
        EXAMPLE.read_text()
        + '\n[[leave]]\nengineer = "mike"\nstart = 2027-05-03\nend = 2027-05-07\n'
        + "\n[history]\nalex = 12.5\n",
    )
    scenario = fs.Scenario.from_toml(path)
    assert dt.date(2027, 5, 3) in [p.start for p in scenario.engineer("mike").leave]
    assert scenario.engineer("alex").history == Fraction(25, 2)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A missing scenario file is a ScenarioError, not a traceback."""
    with pytest.raises(fs.ScenarioError, match="no such file"):
        fs.Scenario.from_toml(tmp_path / "nope.toml")


def test_python_construction_validates_too() -> None:
    """The dataclasses validate on construction, without any file."""
    with pytest.raises(fs.ScenarioError, match="fte"):
        fs.Engineer("ana", "Ana", "senior", "US", fte=0)
    with pytest.raises(fs.ScenarioError, match="handle"):
        fs.Engineer("../etc", "Ana", "senior", "US")
    with pytest.raises(fs.ScenarioError, match="left"):
        fs.Engineer(
            "ana", "Ana", "senior", "US", joined=dt.date(2027, 5, 1), left=dt.date(2027, 4, 1)
        )


def test_leave_engineer_must_be_a_handle(tmp_path: Path) -> None:
    """A [[leave]] entry whose engineer is not a string is a clear error, not a crash."""
    path = write(
        tmp_path,
        EXAMPLE.read_text()
        + '\n[[leave]]\nengineer = ["mike"]\nstart = 2027-05-03\nend = 2027-05-07\n',
    )
    with pytest.raises(fs.ScenarioError, match=r"leave\[0\]\.engineer"):
        fs.Scenario.from_toml(path)


def test_history_given_twice_is_rejected(tmp_path: Path) -> None:
    """A balance in both [[engineers]] and [history] is ambiguous and rejected."""
    text = example_with('handle = "alex"', 'handle = "alex"\nhistory = 40')
    path = write(tmp_path, text + "\n[history]\nalex = -3\n")
    with pytest.raises(fs.ScenarioError, match="keep one of the two"):
        fs.Scenario.from_toml(path)


def test_decimals_are_exact() -> None:
    """Decimal values are read exactly as written (0.6 is 3/5, 12.34 stays 12.34)."""
    engineer = fs.Engineer("ana", "Ana", "senior", "US", fte=0.6, history=12.34)
    assert engineer.fte == Fraction(3, 5)
    assert engineer.history == Fraction(1234, 100)
