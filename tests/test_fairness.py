"""Fairness statistics from a schedule alone, checked against hand-computed numbers."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fairshift as fs
from fairshift.fairness import (
    PER_ENGINEER_COLUMNS,
    SUMMARY_KEYS,
    cumulative_burden,
    deviations,
    gaps,
    read_history,
)

#: Monday 4 January 2027; the third week holds Martin Luther King Jr. Day (Mon 18 January).
START = dt.date(2027, 1, 4)


def trio(**changes: dict[str, Any]) -> fs.Scenario:
    """Three engineers with US federal holidays, four weeks, no month-end shifts."""
    team = tuple(
        fs.Engineer(handle, handle.title(), "senior", "US", **changes.get(handle, {}))
        for handle in ("ana", "bo", "cy")
    )
    return fs.Scenario(
        fs.Rotation("Ops", START, 4, timezone="America/Los_Angeles"),
        team,
        month_end=fs.MonthEnd(business_days=0),
    )


def by_hand(scenario: fs.Scenario, pairs: list[tuple[str, str]]) -> fs.Schedule:
    """A schedule from (primary, secondary) per week."""
    calendar = fs.expand(scenario)
    rows = []
    for week, (primary, secondary) in zip(calendar.weeks, pairs, strict=True):
        rows.append(fs.Assignment(week.id, fs.Role.PRIMARY, week.start, week.end, primary))
        rows.append(fs.Assignment(week.id, fs.Role.SECONDARY, week.start, week.end, secondary))
    return fs.Schedule(scenario, tuple(rows))


# A plain week: 5 weekdays + 2 weekend days at 1.5 = 8 (secondary: 4).
# The MLK week: 4 weekdays + a holiday at 2 + 2 weekend days = 9 (secondary: 4.5).
PAIRS = [("ana", "bo"), ("bo", "cy"), ("cy", "ana"), ("ana", "bo")]


@pytest.fixture
def report() -> fs.Fairness:
    return fs.fairness(trio(), by_hand(trio(), PAIRS))


def test_per_engineer_counts_and_burden_by_hand(report: fs.Fairness) -> None:
    """Weeks, day kinds, burden, share and deviation match a hand count."""
    table = report.per_engineer.set_index("engineer")
    assert table["primary_weeks"].tolist() == [2, 1, 1]
    assert table["secondary_weeks"].tolist() == [1, 2, 1]
    assert table["weekend_days"].tolist() == [6, 6, 4]
    assert table["holiday_days"].tolist() == [1, 0, 1]
    assert table["weekday_days"].tolist() == [14, 15, 9]
    # ana 8 + 4.5 + 8, bo 4 + 8 + 4, cy 4 + 9; total 49.5, a third each.
    assert table["burden"].tolist() == [20.5, 16.0, 13.0]
    assert table["fair_share"].tolist() == [16.5] * 3
    assert table["deviation"].tolist() == [4.0, -0.5, -3.5]
    assert table["deviation_pct"].tolist() == pytest.approx([400 / 16.5, -50 / 16.5, -350 / 16.5])
    assert "Martin Luther King Jr. Day (2027-01-18)" in table.at["cy", "holidays"]
    assert table.at["bo", "holidays"] == ""


def test_gaps_between_on_call_weeks(report: fs.Fairness) -> None:
    """ana is on call in weeks 1, 3, 4: gaps of 1 and 0 weeks; cy only in weeks 2-3."""
    table = report.per_engineer.set_index("engineer")
    assert table["shortest_gap_weeks"].tolist() == [0, 0, 0]
    assert table["longest_gap_weeks"].tolist() == [1, 1, 0]
    assert gaps([0, 1, 5, 9]) == [0, 3, 3]


def test_gap_is_empty_with_fewer_than_two_on_call_weeks() -> None:
    """Someone on call once has no gap to report (not a gap of zero)."""
    scenario = trio()
    table = fs.fairness(
        scenario, by_hand(scenario, [("ana", "bo"), ("bo", "ana")] * 2)
    ).per_engineer
    cy = table.set_index("engineer").loc["cy"]
    assert pd.isna(cy["shortest_gap_weeks"]) and pd.isna(cy["longest_gap_weeks"])


def test_summary_by_hand(report: fs.Fairness) -> None:
    """Summary metrics of burdens 20.5, 16, 13 against an even share of 16.5 each."""
    s = report.summary
    assert list(s) == list(SUMMARY_KEYS)
    assert (s["max_deviation"], s["min_deviation"], s["deviation_range"]) == (4.0, -3.5, 7.5)
    assert s["leximax"] == (4.0, -0.5, -3.5)
    assert s["std"] == pytest.approx(math.sqrt((16 + 0.25 + 12.25) / 3))
    # Gini: pairwise |differences| 4.5, 7.5, 3 (twice each) over 2 * 3 * 49.5.
    assert s["gini"] == pytest.approx(30 / 297)
    assert s["jain"] == pytest.approx(49.5**2 / (3 * (20.5**2 + 16**2 + 13**2)))
    assert s["balance"] == pytest.approx((16 / 20.5 + 13 / 20.5 + 13 / 16) / 3)
    # Weekend days 6, 6, 4 against a fair count of 16/3 each: the largest excess is 2/3.
    assert s["weekend_days_excess"] == pytest.approx(2 / 3)
    # Holiday days 1, 0, 1 against 2/3 each.
    assert s["holiday_days_excess"] == pytest.approx(1 / 3)
    # No month-end windows: nobody to spread them among, so no excess at all (not 0).
    assert math.isnan(s["month_end_shifts_excess"])


def test_existing_columns_keep_their_order() -> None:
    """fairness.csv keeps its original columns first; new statistics are appended."""
    original = [
        "engineer",
        "name",
        "seniority",
        "primary_weeks",
        "secondary_weeks",
        "month_end_shifts",
        "weekday_days",
        "weekend_days",
        "holiday_days",
        "holidays",
        "burden",
        "availability",
        "fair_share",
        "history",
        "deviation",
    ]
    assert list(PER_ENGINEER_COLUMNS[: len(original)]) == original
    assert fs.per_engineer(trio(), by_hand(trio(), PAIRS)).columns.tolist() == list(
        PER_ENGINEER_COLUMNS
    )


def test_history_moves_deviation_and_summary() -> None:
    """A carried balance of -4 for ana makes her deviation 0 and the worst deviation bo's."""
    scenario = trio(ana={"history": -4})
    report = fs.fairness(scenario, by_hand(scenario, PAIRS))
    table = report.per_engineer.set_index("engineer")
    assert table["history"].tolist() == [-4.0, 0.0, 0.0]
    assert table["deviation"].tolist() == [0.0, -0.5, -3.5]
    assert report.summary["max_deviation"] == 0.0
    assert report.summary["leximax"] == (0.0, -0.5, -3.5)


def test_part_timer_share_is_proportional_to_fte() -> None:
    """With fte 0.5, cy's share is half of a full-timer's: 49.5 * 2 / 10 = 9.9."""
    scenario = trio(cy={"fte": 0.5})
    table = fs.per_engineer(scenario, by_hand(scenario, PAIRS)).set_index("engineer")
    assert table["availability"].tolist() == [28.0, 28.0, 14.0]  # fte x 28 horizon dates
    assert table["fair_share"].tolist() == pytest.approx([19.8, 19.8, 9.9])


def test_joiner_share_starts_when_they_join() -> None:
    """cy joins on 18 January: 14 days of availability out of 70 team days."""
    scenario = trio(cy={"joined": dt.date(2027, 1, 18)})
    pairs = [("ana", "bo"), ("bo", "ana"), ("cy", "ana"), ("ana", "cy")]
    table = fs.per_engineer(scenario, by_hand(scenario, pairs)).set_index("engineer")
    assert table["availability"].tolist() == [28.0, 28.0, 14.0]
    total = table["burden"].sum()
    assert table.at["cy", "fair_share"] == pytest.approx(total * 2 / 10)


def test_same_statistics_from_a_csv_round_trip(tmp_path: Path) -> None:
    """A schedule written as CSV and read back (a hand-made rota) scores the same."""
    scenario = trio()
    schedule = by_hand(scenario, PAIRS)
    schedule.to_csv(tmp_path / "rota.csv")
    again = fs.Schedule.read_csv(scenario, tmp_path / "rota.csv")
    pd.testing.assert_frame_equal(
        fs.fairness(scenario, again).per_engineer, fs.fairness(scenario, schedule).per_engineer
    )


def test_unfilled_and_unknown_rows_carry_no_burden() -> None:
    """An unfilled shift or a stranger's row adds nobody's burden."""
    scenario = trio()
    schedule = by_hand(scenario, [("ana", ""), ("bo", "zed"), ("cy", "ana"), ("", "bo")])
    table = fs.per_engineer(scenario, schedule).set_index("engineer")
    assert table["burden"].tolist() == [8 + 4.5, 8 + 4, 9]


def test_summary_deviations_are_the_exact_deviations() -> None:
    """The summary's worst deviation is the exact one of :func:`deviations`."""
    scenario = trio(bo={"fte": Fraction(1, 3)})
    schedule = by_hand(scenario, PAIRS)
    exact = deviations(scenario, schedule)
    assert fs.fairness(scenario, schedule).summary["max_deviation"] == float(max(exact.values()))


def test_cumulative_burden_ends_at_the_burden() -> None:
    """Cumulative burden starts at 0 at the first handoff and ends at each burden."""
    scenario = trio()
    table = cumulative_burden(scenario, by_hand(scenario, PAIRS))
    assert table.index[0] == START and len(table) == 5
    assert table.iloc[0].tolist() == [0.0, 0.0, 0.0]
    assert table.iloc[-1].tolist() == [20.5, 16.0, 13.0]
    assert table["ana"].tolist() == [0.0, 8.0, 8.0, 12.5, 20.5]
    assert (table.diff().dropna() >= 0).all().all()


def test_fairness_str_lists_the_summary() -> None:
    """The printed report shows each summary metric and each engineer."""
    text = str(fs.fairness(trio(), by_hand(trio(), PAIRS)))
    assert "max_deviation" in text and "jain" in text and "cy" in text


def write_fairness(directory: Path, rows: list[tuple[str, str]]) -> Path:
    directory.mkdir(exist_ok=True)
    lines = ["engineer,deviation", *(f"{h},{d}" for h, d in rows)]
    (directory / "fairness.csv").write_text("\n".join(lines) + "\n")
    return directory


def test_read_history_takes_deviations_from_a_previous_plan(tmp_path: Path) -> None:
    """The previous plan's deviations become balances, to the hundredth of a day."""
    scenario = trio()
    previous = tmp_path / "previous"
    previous.mkdir()
    table = fs.per_engineer(scenario, by_hand(scenario, PAIRS))
    (previous / "fairness.csv").write_text(table.to_csv(index=False, float_format="%.4f"))
    assert read_history(scenario, previous) == {
        "ana": Fraction(4),
        "bo": Fraction(-1, 2),
        "cy": Fraction(-7, 2),
    }
    write_fairness(previous, [("ana", "0.3333"), ("bo", "-0.3333")])
    assert read_history(scenario, previous / "fairness.csv") == {
        "ana": Fraction(33, 100),
        "bo": Fraction(-33, 100),
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("zed", "1.0")], "'zed' is not an engineer of this scenario"),
        ([("ana", "1.0"), ("ana", "2.0")], "listed twice"),
        ([("ana", "lots")], "not a number"),
    ],
)
def test_read_history_rejects_bad_rows(
    tmp_path: Path, rows: list[tuple[str, str]], message: str
) -> None:
    """Unknown handles, duplicates and non-numbers fail with the file and row named."""
    directory = write_fairness(tmp_path / "previous", rows)
    with pytest.raises(fs.ScenarioError, match=message) as error:
        read_history(trio(), directory)
    assert "fairness.csv" in str(error.value) and "row" in str(error.value)


def test_read_history_needs_the_file_and_its_columns(tmp_path: Path) -> None:
    """A missing file or a table without a deviation column is a clear ScenarioError."""
    with pytest.raises(fs.ScenarioError, match=r"no .*fairness\.csv"):
        read_history(trio(), tmp_path)
    (tmp_path / "fairness.csv").write_text("engineer,burden\nana,3\n")
    with pytest.raises(fs.ScenarioError, match="no deviation column"):
        read_history(trio(), tmp_path)


def test_an_own_holiday_is_named_once_however_many_seats_cover_it() -> None:
    """Follow-the-sun: one engineer may hold two shift types on Christmas; it is one holiday."""
    root = Path(__file__).resolve().parent.parent
    s = fs.Scenario.from_toml(root / "examples" / "follow-the-sun.toml")
    table = fs.per_engineer(s, fs.greedy(s))
    listed = [names.split(" | ") for names in table["holidays"] if names]
    assert listed
    assert all(len(names) == len(set(names)) for names in listed)
