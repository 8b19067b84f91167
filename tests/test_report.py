"""The report a manager opens, and how `fairshift plan` writes it and carries history."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

import fairshift as fs
import fairshift.report as report_module
from conftest import engineer, scenario
from fairshift.cli import main
from fairshift.report import (
    PICTURES,
    default_comparison,
    markdown_table,
    md,
    render_markdown,
    report_content,
)

SCENARIO_TOML = """
[rotation]
name = "Small team"
start = 2027-04-19
weeks = 6
timezone = "America/Los_Angeles"

[month_end]
business_days = 0

[[engineers]]
handle = "ana"
name = "Ana"
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
seniority = "senior"
holidays = "US-CA"
leave = [{ start = 2027-04-27, end = 2027-05-01 }]
"""


@pytest.fixture
def team() -> fs.Scenario:
    """Three engineers, five weeks, one month-end shift."""
    return scenario(
        tuple(engineer(h, "senior") for h in ("ana", "bo", "cy")), weeks=5, month_end_days=3
    )


def test_report_has_summary_comparison_table_and_pictures(
    team: fs.Scenario, tmp_path: Path
) -> None:
    """report.md holds every section and links PNGs that exist and are PNGs."""
    schedule = fs.greedy(team)
    path = fs.write_report(team, schedule, tmp_path / "out")
    text = path.read_text()
    for heading in ("# Test rota", "## Summary", "## Comparison", "## Per engineer", "## Pictures"):
        assert heading in text
    assert "greedy compared with round-robin on the same inputs:" in text
    assert "| round-robin | GIVEN |" in text
    for name in ("Ana", "Bo", "Cy"):
        assert f"| {name} | senior |" in text
    for file, caption in PICTURES:
        assert f"![{caption}]({file})" in text
        assert (tmp_path / "out" / file).read_bytes().startswith(b"\x89PNG")
    largest = fs.fairness(team, schedule).summary["max_deviation"]
    assert f"| largest deviation (days) | {largest:g} |" in text


def test_every_file_is_written_atomically(
    team: fs.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file in the report directory went through write_atomic."""
    written: list[Path] = []
    original = report_module.write_atomic

    def recording(path: str | Path, data: str | bytes) -> None:
        written.append(Path(path))
        original(path, data)

    monkeypatch.setattr(report_module, "write_atomic", recording)
    fs.write_report(team, fs.round_robin(team), tmp_path)
    assert sorted(written) == sorted(tmp_path.iterdir())
    assert tmp_path / "report.md" in written


def test_report_writes_markdown_html_and_pictures(team: fs.Scenario, tmp_path: Path) -> None:
    """One call leaves both reports and the three pictures, and nothing else."""
    fs.write_report(team, fs.round_robin(team), tmp_path)
    expected = {"report.md", "report.html", *(file for file, _ in PICTURES)}
    assert {p.name for p in tmp_path.iterdir()} == expected


def test_both_reports_say_the_same(team: fs.Scenario, tmp_path: Path) -> None:
    """report.md and report.html show the same content: every number and name of each table."""
    schedule = fs.greedy(team)
    comparison = default_comparison(team, schedule)
    content = report_content(team, schedule, comparison, name="greedy")
    fs.write_report(team, schedule, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    assert markdown == render_markdown(content)
    for row in (*content.engineers, *content.comparison):
        assert markdown_table(["x"] * len(row), [row]).splitlines()[-1] in markdown
    for row in content.engineers:
        assert all(f">{html.escape(cell)}</td>" in page for cell in row)
    for name, *cells, changed in content.comparison:  # one column per schedule in the page
        assert f">{html.escape(name)}</th>" in page
        assert all(f">{html.escape(cell)}</td>" in page for cell in cells)
        assert f"<strong>{html.escape(name)}</strong>: {html.escape(changed)}</li>" in page
    for _, label, value in content.summary:
        assert f"| {md(label)} | {md(value)} |" in markdown
        assert f"<td>{html.escape(label)}</td><td" in page and f">{value}</td>" in page


def test_markdown_text_is_unchanged_by_the_shared_content(team: fs.Scenario) -> None:
    """The Markdown drawn from the shared content is the report as it always read."""
    schedule = fs.greedy(team)
    content = report_content(team, schedule, default_comparison(team, schedule), name="greedy")
    text = render_markdown(content)
    assert text.startswith(
        "# Test rota\n\n5 weeks from 2027-04-19 (handoff 09:00 America/Los_Angeles), 3 "
        "engineers. Schedule **greedy**: given (not optimised).\n\n## Summary\n"
    )
    assert "| schedule | status | proven | violations | unfilled | max_deviation |" in text
    assert content.comparison_columns[-1] == (
        "weeks_changed",
        "turns gained (+) or lost (-) against greedy",
    )
    assert text.endswith(
        "### Burden accumulated over the horizon\n\n![Burden accumulated "
        "over the horizon](cumulative.png)\n"
    )


def test_report_lists_violations_of_the_schedule(team: fs.Scenario, tmp_path: Path) -> None:
    """A schedule that breaks rules has them listed under Hard rules."""
    juniors = scenario((engineer("jo", "junior"), engineer("mo", "mid")), weeks=2)
    text = fs.write_report(juniors, fs.round_robin(juniors), tmp_path).read_text()
    assert "\\[pairing\\]" in text  # escaped: nothing from input is markup
    assert "Every hard rule holds." not in text


def test_markdown_table_escapes_pipes_and_marks_missing_values() -> None:
    """Cells with '|' stay in their column; NaN (no such value) prints n/a, NA blank."""
    table = markdown_table(["a", "b", "c"], [["x|y", float("nan"), pd.NA]])
    assert table.splitlines()[-1] == "| x\\|y | n/a |  |"


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(SCENARIO_TOML)
    return path


def plan(toml: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "plan",
            str(toml),
            "--out",
            str(out),
            "--time-limit",
            "10",
            "--no-progress",
            "--workers",
            "1",
            *extra,
        ]
    )


def test_plan_prints_the_comparison_and_writes_the_report(
    toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fairshift plan` compares with round-robin on screen and leaves both reports behind."""
    assert plan(toml, tmp_path / "plan") == 0
    printed = capsys.readouterr().out
    assert "fairshift compared with round-robin on the same inputs:" in printed
    assert "largest deviation (days)" in printed
    report = (tmp_path / "plan" / "report.md").read_text()
    assert "fairshift compared with round-robin" in report
    page = (tmp_path / "plan" / "report.html").read_text()
    assert "fairshift compared with round-robin" in page and "<h1>Small team</h1>" in page


def test_plan_carries_history_from_a_previous_plan(
    toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--history previous/ makes the previous deviations this plan's history column."""
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "fairness.csv").write_text("engineer,deviation\nana,1.5\nbo,-0.25\ncy,-1.25\n")
    assert plan(toml, tmp_path / "next", "--history", str(previous)) == 0
    table = pd.read_csv(tmp_path / "next" / "fairness.csv").set_index("engineer")
    assert table["history"].tolist() == [1.5, -0.25, -1.25]
    # Deviation includes the carried balance.
    recomputed = table["burden"] - table["fair_share"] + table["history"]
    assert table["deviation"].tolist() == pytest.approx(recomputed.tolist(), abs=1e-4)


def test_plan_rejects_history_with_unknown_engineers(
    toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A previous plan naming someone not in the team stops with exit code 2 and says who."""
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "fairness.csv").write_text("engineer,deviation\nana,1.0\nzed,-1.0\n")
    assert plan(toml, tmp_path / "next", "--history", str(previous)) == 2
    error = capsys.readouterr().err
    assert "'zed' is not an engineer of this scenario" in error
    assert "fairness.csv" in error
    assert not (tmp_path / "next").exists()
