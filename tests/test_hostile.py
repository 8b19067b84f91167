"""Property test: hostile scenario values and command-line arguments never crash fairshift.

Whatever the values, ``fairshift plan`` exits with 0 (planned), 2 (invalid input) or 3 (no
schedule exists), prints no traceback, and leaves either a whole plan or nothing at all.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fairshift.cli import main
from fairshift.plandir import STAGING_PREFIX

PLAN_FILES = {"schedule.csv", "fairness.csv", "report.md", "calendars"}

#: Text that has broken tools before: markup, formulas, control characters, long runs.
nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            '=HYPERLINK("x")',
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)",
            "<script>alert(1)</script>",
            "# heading\n## another",
            "a\x00b",
            "\x1b[31mred",
            "line\rbreak",
            "\u2028",
            "x" * 5000,
            "../../etc/passwd",
            "Ünïcødé ✓",
        ]
    ),
)
nasty_number = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 0.5, 1.3333, 0.333, 1e-9, 1e20, -1, 2**63]),
    st.text(max_size=5),
    st.booleans(),
)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return json.dumps(value)  # a TOML basic string (JSON escapes are TOML escapes)


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    """A small scenario file with one or more hostile values in it."""
    rotation = {
        "name": draw(st.one_of(st.just("Ops"), nasty_text, nasty_number)),
        "start": "2027-04-19",
        "weeks": draw(st.one_of(st.integers(1, 6), nasty_number)),
        "timezone": draw(st.sampled_from(["UTC", "America/Los_Angeles", "Mars/Olympus", ""])),
    }
    lines = ["[rotation]"]
    for key, value in rotation.items():
        literal = value if key == "start" else _toml(value)
        lines.append(f"{key} = {literal}")
    lines += ["", "[month_end]", f"business_days = {_toml(draw(st.sampled_from([0, 2, 3])))}"]
    section = draw(st.sampled_from(["fairness", "rules", "calendar", "none"]))
    if section != "none":
        key = draw(
            st.sampled_from(
                {
                    "fairness": ["weekday", "weekend", "public_holiday", "secondary_factor"],
                    "rules": ["max_consecutive_weeks", "swap_notice_days"],
                    "calendar": ["refresh_hours", "handoff_meeting_minutes"],
                }[section]
            )
        )
        lines += ["", f"[{section}]", f"{key} = {_toml(draw(nasty_number))}"]
    for i, handle in enumerate(("ana", "bo", "cy")):
        lines += ["", "[[engineers]]", f'handle = "{handle}"']
        name = draw(st.one_of(st.just(handle.title()), nasty_text)) if i == 0 else handle.title()
        lines.append(f"name = {_toml(name)}")
        lines += ['seniority = "senior"', 'holidays = "US-CA"']
        if i == 1:
            lines.append(f"fte = {_toml(draw(st.one_of(st.just(1), nasty_number)))}")
            lines.append(f"history = {_toml(draw(st.one_of(st.just(0), nasty_number)))}")
    return "\n".join(lines) + "\n"


arguments = st.lists(
    st.sampled_from(
        [
            ["--time-limit", "3"],
            ["--time-limit", "nan"],
            ["--time-limit", "-1"],
            ["--time-limit", "1e400"],
            ["--seed", "2147483648"],
            ["--seed", "-5"],
            ["--seed", "7"],
            ["--workers", "0"],
            ["--workers", "2"],
            ["--work-limit", "nan"],
            ["--work-limit", "0"],
            ["--work-limit", "2"],
        ]
    ),
    max_size=3,
)


VALID = """[rotation]
name = "Ops"
start = 2027-04-19
weeks = 3

[month_end]
business_days = 0

[[engineers]]
handle = "ana"
name = "=HYPERLINK(\\"x\\")"
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
"""


@example(text=VALID, extra=[])  # planned: exit 0 with a whole plan
@example(text=VALID.replace('"Bo"', '"Bo\\u001b[31m"'), extra=[])  # an escape: exit 2
@example(text=VALID, extra=[["--workers", "0"]])  # a bad argument: exit 2
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=scenarios(), extra=arguments)
def test_hostile_inputs_exit_cleanly_and_never_half_write(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    text: str,
    extra: list[list[str]],
) -> None:
    """Exit 0, 2 or 3 only; no traceback; a whole plan or nothing; no staging left."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    out = folder / "plan"
    flat = [item for pair in extra for item in pair]
    if "--time-limit" not in flat:
        flat += ["--time-limit", "5"]
    code = main(["plan", str(path), "--out", str(out), "--no-progress", *flat])
    captured = capsys.readouterr()
    assert code in (0, 2, 3), captured.err
    assert "Traceback" not in captured.out + captured.err
    if code == 0:
        assert {p.name for p in out.iterdir()} >= PLAN_FILES
    else:
        assert not out.exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX)]
