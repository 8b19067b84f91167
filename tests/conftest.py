"""Shared fixtures: small scenarios that solve in a fraction of a second."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

import fairshift as fs

# Property tests explore new random cases on every local run; CI (HYPOTHESIS_PROFILE=ci in
# .ci/run) replays a fixed sequence, so that a landing never depends on the draw.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

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


def icaljs_module() -> Path | None:
    """The ical.js ES module (ical.js is the parser behind Thunderbird), when installed."""
    for base in (os.environ.get("FAIRSHIFT_ICALJS"), str(ROOT / "node_modules" / "ical.js")):
        if base and (Path(base) / "dist" / "ical.js").is_file():
            return Path(base) / "dist" / "ical.js"
    return None


def read_with_icaljs(paths: list[Path], tmp_path: Path) -> dict[str, tuple[int, int]]:
    """``{uid: (start, end)}`` in Unix time, as ical.js reads the events of ``paths``."""
    module = icaljs_module()
    assert module is not None
    script = tmp_path / "read.mjs"
    script.write_text(
        textwrap.dedent(
            f"""
            import ICAL from {json.dumps(module.as_uri())};
            import {{ readFileSync }} from "node:fs";
            const out = [];
            for (const file of process.argv.slice(2)) {{
              const root = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
              for (const tz of root.getAllSubcomponents("vtimezone")) {{
                ICAL.TimezoneService.register(new ICAL.Timezone(tz));
              }}
              for (const vevent of root.getAllSubcomponents("vevent")) {{
                const event = new ICAL.Event(vevent);
                out.push([event.uid, event.startDate.toUnixTime(), event.endDate.toUnixTime()]);
              }}
            }}
            console.log(JSON.stringify(out));
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["node", str(script), *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return {uid: (start, end) for uid, start, end in json.loads(result.stdout)}
