"""Shared fixtures: small scenarios that solve in a fraction of a second."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import fairshift as fs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pacific-infra.toml"

#: A Monday, far from DST changes and US public holidays.
MONDAY = dt.date(2027, 4, 19)


def engineer(handle: str, seniority: str = "mid", **kwargs: Any) -> fs.Engineer:
    """An engineer with a name derived from the handle, holidays in US-CA."""
    kwargs.setdefault("holidays", "US-CA")
    return fs.Engineer(handle, handle.capitalize(), seniority, **kwargs)


def scenario(
    team: tuple[fs.Engineer, ...] | None = None,
    *,
    weeks: int = 4,
    start: dt.date = MONDAY,
    month_end_days: int = 0,
    **rules: Any,
) -> fs.Scenario:
    """A small scenario; month-end shifts off unless ``month_end_days`` is given."""
    if team is None:
        team = (
            engineer("ana", "senior"),
            engineer("bo", "mid"),
            engineer("cy", "mid"),
            engineer("di", "senior"),
        )
    return fs.Scenario(
        fs.Rotation("Test rota", start, weeks, timezone="America/Los_Angeles"),
        team,
        month_end=fs.MonthEnd(business_days=month_end_days),
        rules=fs.Rules(**rules),
    )


def solve(s: fs.Scenario, **kwargs: Any) -> fs.Schedule:
    """Solve with a generous limit; tests never assert on time."""
    kwargs.setdefault("time_limit", 20.0)
    return fs.solve(s, **kwargs)


def holders(schedule: fs.Schedule, role: str) -> list[str]:
    """Handles holding ``role``, in slot order."""
    return [a.engineer for a in schedule.assignments if a.role == fs.Role(role)]


@pytest.fixture
def example() -> fs.Scenario:
    """The bundled Pacific Infra Group scenario."""
    return fs.Scenario.from_toml(EXAMPLE)
