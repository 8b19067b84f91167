"""Seeded synthetic teams for the benchmark suite.

A team of ``size`` engineers over ``weeks`` weeks, the same for the same seed:

- seniority: about 25% senior, 50% mid and 25% junior, with at least one senior per four
  juniors so a junior primary can always be paired with a senior secondary;
- regions: mostly US states (each with its own time zone), plus a few engineers in England,
  Scotland, Bavaria, Berlin, Karnataka and Maharashtra, whose leave dates are read in their
  own time zone;
- leave: two or three periods of one or two working weeks per person per year, one in each
  part of the year, and never more than a fifth of the team away in the same week (one
  person at a time in teams under six, with a week's gap between two people's leave);
- part-timers: about one in ten engineers works 50% to 80%;
- a joiner (teams of eight or more): a mid-level engineer who joins two to five months in;
- carried-over balances: about one in five engineers starts a day or two above or below
  fair share.

Run it to print a team, or to check that teams are feasible::

    python benchmarks/generate.py 16 104 --seed 0
    python benchmarks/generate.py --check --sizes 4 8 16
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import random
import sys
import time
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

import fairshift as fs
from fairshift.solve import build_model

#: First handoff of every synthetic rotation (a Monday, as in the bundled example).
START = dt.date(2027, 1, 4)
#: Team sizes and horizons of the full suite.
SIZES = (4, 8, 16, 32, 64, 100, 200)
HORIZONS = (52, 104)
ROTATION_ZONE = "America/Los_Angeles"


@dataclass(frozen=True)
class Region:
    """A public-holiday region, the time zone its engineers live in, and how common it is."""

    code: str
    timezone: str
    weight: int


REGIONS = (
    Region("US-CA", "America/Los_Angeles", 8),
    Region("US-WA", "America/Los_Angeles", 4),
    Region("US-NY", "America/New_York", 5),
    Region("US-MA", "America/New_York", 2),
    Region("US-TX", "America/Chicago", 4),
    Region("US-IL", "America/Chicago", 2),
    Region("US-CO", "America/Denver", 2),
    Region("GB-ENG", "Europe/London", 2),
    Region("GB-SCT", "Europe/London", 1),
    Region("DE-BY", "Europe/Berlin", 1),
    Region("DE-BE", "Europe/Berlin", 1),
    Region("IN-KA", "Asia/Kolkata", 2),
    Region("IN-MH", "Asia/Kolkata", 1),
)

FIRST_NAMES = (
    "Ada", "Bo", "Chen", "Dara", "Elif", "Femi", "Gus", "Hana", "Ivo", "Jia", "Kofi", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Vik", "Wren",
    "Xena", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Bauer", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Iyer", "Jones",
    "Kim", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Quiroga", "Reddy", "Silva",
    "Tanaka", "Usman", "Varga", "Wang", "Xu", "Yilmaz", "Zhou",
)  # fmt: skip


def seniority_mix(size: int) -> list[fs.Seniority]:
    """Seniority of each engineer: ~25% senior, ~50% mid, ~25% junior, 1 senior per 4 juniors."""
    juniors = round(size / 4)
    seniors = max(1, round(size / 4), math.ceil(juniors / 4))
    mids = size - juniors - seniors
    return (
        [fs.Seniority.SENIOR] * seniors
        + [fs.Seniority.MID] * mids
        + [fs.Seniority.JUNIOR] * juniors
    )


class LeavePlanner:
    """Places leave so that the weekly rota stays coverable.

    Leave starts on a Monday and ends on a Friday (one or two working weeks). Because the
    handoff is on Monday morning, such a leave blocks the week before it too; the planner
    therefore counts the blocked weeks ``first - 1 .. last`` against a cap on how many
    people may be away at once: a fifth of the team (at least two). In teams under six the
    cap is one person, and a week's gap separates two people's leave, because three
    engineers alone can only just cover two roles a week under the two-consecutive-weeks
    rule.
    """

    def __init__(self, size: int, weeks: int, month_end_weeks: frozenset[int]) -> None:
        self.weeks = weeks
        self.cap = 1 if size < 6 else max(2, size // 5)
        self.gap = 1 if size < 6 else 0
        self.month_end_weeks = month_end_weeks
        self.away = [0] * weeks

    def _span(self, first: int, length: int, gap: int = 0) -> range:
        return range(max(0, first - 1 - gap), min(self.weeks, first + length + gap))

    def fits(self, first: int, length: int, *, covers_month_end: bool = True) -> bool:
        """Whether leave in weeks ``first .. first + length - 1`` keeps under the cap."""
        blocked = self._span(first, length)
        if not covers_month_end and any(w in self.month_end_weeks for w in blocked):
            return False
        return all(self.away[w] < self.cap for w in self._span(first, length, self.gap))

    def book(self, first: int, length: int) -> fs.Leave:
        """Record the leave and return it (Monday of week ``first`` to a Friday)."""
        for w in self._span(first, length, self.gap):
            self.away[w] += 1
        start = START + dt.timedelta(weeks=first)
        return fs.Leave(start, start + dt.timedelta(weeks=length, days=-3))

    def plan(
        self, rng: random.Random, per_year: int, *, covers_month_end: bool = True
    ) -> tuple[fs.Leave, ...]:
        """One leave in each of ``per_year`` equal parts of every year of the horizon.

        ``covers_month_end=False`` keeps the leave clear of every week that overlaps a
        month-end window.
        """
        fits = functools.partial(self.fits, covers_month_end=covers_month_end)
        periods = per_year * math.ceil(self.weeks / 52)
        part = self.weeks / periods
        booked = []
        for k in range(periods):
            low, high = round(k * part) + 1, round((k + 1) * part) - 2
            length = rng.choice((1, 1, 2))
            candidates = [w for w in range(low, high - length + 2) if fits(w, length)]
            if not candidates and length == 2:
                length = 1
                candidates = [w for w in range(low, high + 1) if fits(w, length)]
            if candidates:  # a crowded part of the year: this person skips one break
                booked.append(self.book(rng.choice(candidates), length))
        return tuple(booked)


def team(size: int, weeks: int, seed: int = 0) -> fs.Scenario:
    """A synthetic team of ``size`` engineers over ``weeks`` weeks (same seed, same team).

    Examples
    --------
    >>> scenario = team(8, 52, seed=1)
    >>> len(scenario.engineers), scenario.rotation.weeks
    (8, 52)
    """
    if size < 4:
        raise ValueError(f"size {size} is too small: a team needs at least 4 engineers")
    rng = random.Random(f"fairshift-bench:{size}:{weeks}:{seed}")
    rotation = fs.Rotation(
        f"Synthetic team of {size} ({weeks} weeks, seed {seed})",
        START,
        weeks,
        handoff=dt.time(9, 0),
        timezone=ROTATION_ZONE,
    )
    month_end = fs.MonthEnd(business_days=3, calendar="US", min_seniority="mid")
    levels = seniority_mix(size)
    rng.shuffle(levels)
    regions = rng.choices(REGIONS, weights=[r.weight for r in REGIONS], k=size)
    planner = LeavePlanner(size, weeks, month_end_weeks(rotation, month_end))
    order = list(range(size))
    rng.shuffle(order)  # who books leave first gets the freest weeks
    # With a single senior away over a month-end that spans two weeks, the juniors cannot
    # be primary, the month-end holder (a mid) cannot be primary either, and in a small
    # team the one mid left would be primary twice running. A lone senior stays in at
    # month-end.
    lone_senior = levels.count(fs.Seniority.SENIOR) == 1
    leave: dict[int, tuple[fs.Leave, ...]] = {
        i: planner.plan(
            rng,
            rng.choice((2, 2, 3)),
            covers_month_end=not (lone_senior and levels[i] is fs.Seniority.SENIOR),
        )
        for i in order
    }
    part_timers = set(rng.sample(range(size), max(1, round(size / 10))))
    mids = [i for i, level in enumerate(levels) if level is fs.Seniority.MID]
    joiner = rng.choice(mids) if size >= 8 else None
    balanced = set(rng.sample(range(size), round(size / 5)))

    engineers = []
    for i in range(size):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i * 7 + seed) % len(LAST_NAMES)]
        joined = None
        periods = leave[i]
        if i == joiner:
            joined = START + dt.timedelta(weeks=rng.randint(8, 20), days=rng.randint(0, 4))
            periods = tuple(p for p in periods if p.start > joined)
        engineers.append(
            fs.Engineer(
                handle=f"{first.lower()}{i:03d}",
                name=f"{first} {last}",
                seniority=levels[i],
                holidays=regions[i].code,
                email=f"{first.lower()}.{i:03d}@example.com",
                leave=periods,
                timezone=regions[i].timezone,
                fte=Fraction(rng.choice((5, 6, 7, 8)), 10) if i in part_timers else Fraction(1),
                joined=joined,
                history=Fraction(rng.choice((-8, -6, -4, 4, 6, 8)), 4) if i in balanced else 0,
            )
        )
    return fs.Scenario(
        rotation=rotation,
        engineers=tuple(engineers),
        month_end=month_end,
        rules=fs.Rules(),
        weights=fs.Weights(),
    )


def month_end_weeks(rotation: fs.Rotation, month_end: fs.MonthEnd) -> frozenset[int]:
    """Indices of the weekly slots that overlap a month-end window."""
    placeholder = (
        fs.Engineer("a", "A", "senior", month_end.calendar),
        fs.Engineer("b", "B", "mid", month_end.calendar),
    )
    calendar = fs.expand(fs.Scenario(rotation, placeholder, month_end=month_end))
    return frozenset(
        week.index for window in calendar.month_ends for week in calendar.weeks_overlapping(window)
    )


def feasible(scenario: fs.Scenario, time_limit: float = 30.0) -> bool | None:
    """Whether every hard rule can be met (``None`` when the time limit decides nothing)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    status = solver.solve(build_model(scenario).model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return False if status == cp_model.INFEASIBLE else None


def check(sizes: list[int], horizons: list[int], seeds: list[int]) -> int:
    """Print whether each generated team is feasible; exit status 1 if any is not."""
    failures = 0
    for size in sizes:
        for weeks in horizons:
            for seed in seeds:
                started = time.perf_counter()
                verdict = feasible(team(size, weeks, seed))
                seconds = time.perf_counter() - started
                text = {True: "feasible", False: "INFEASIBLE", None: "undecided"}[verdict]
                print(f"{size:>4} engineers {weeks:>3} weeks seed {seed}: {text} ({seconds:.1f} s)")
                failures += verdict is not True
    return 1 if failures else 0


def describe(scenario: fs.Scenario) -> str:
    """One line per engineer: handle, seniority, region, fte, joining date, balance, leave."""
    lines = [f"{scenario.rotation.name}, from {scenario.rotation.start}"]
    for e in scenario.engineers:
        leave = ", ".join(f"{p.start}..{p.end}" for p in e.leave) or "-"
        joined = f"joins {e.joined}" if e.joined else ""
        lines.append(
            f"{e.handle:<10} {e.seniority.label:<6} {e.holidays:<7} fte {float(e.fte):.1f} "
            f"history {float(e.history):+5.2f} {joined:<16} leave {leave}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=int, help="engineers in the team to print")
    parser.add_argument("weeks", nargs="?", type=int, default=52, help="horizon in weeks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="check that teams are feasible")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--weeks", dest="horizons", type=int, nargs="+", default=list(HORIZONS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    if args.check:
        return check(args.sizes, args.horizons, args.seeds)
    if args.size is None:
        parser.error("give a team size, or --check")
    print(describe(team(args.size, args.weeks, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
