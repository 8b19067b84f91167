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

:func:`follow_the_sun` makes a team in the shape of ``examples/follow-the-sun.toml``
instead: three 8-hour shift types turning every two weeks, one per region (London, Los
Angeles, Singapore), seniors-only Christmas and New Year, a senior P2 behind a junior P1.

Run it to print a team, or to check that teams are feasible::

    python benchmarks/generate.py 16 104 --seed 0
    python benchmarks/generate.py --check --sizes 4 8 16
    python benchmarks/generate.py 12 52 --follow-the-sun
    python benchmarks/generate.py --check --follow-the-sun --sizes 12 48 --weeks 52
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import random
import sys
import time
from collections.abc import Callable
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
    """Places leave so that the rota stays coverable.

    Leave starts on a Monday and ends on a Friday (one or two working weeks). Because the
    handoff is on Monday morning, such a leave blocks the turn before it too; the planner
    therefore counts the turns that hold weeks ``first - 1 .. last`` against a cap on how
    many people may be away at once: a fifth of the team (at least two). In teams under six
    the cap is one person, and a turn's gap separates two people's leave, because three
    engineers alone can only just cover two seats a turn under the two-turns-in-a-row rule.

    Turns are ``turn_weeks`` weeks long (one for the weekly rota). ``protected`` holds the
    turns that some people's leave must stay clear of (``covers_protected=False``): the
    month-end weeks of a weekly rota, the seniors-only holiday turns of a follow-the-sun one.
    """

    def __init__(
        self, size: int, weeks: int, protected: frozenset[int], *, turn_weeks: int = 1
    ) -> None:
        self.weeks = weeks
        self.turn_weeks = turn_weeks
        self.turns = math.ceil(weeks / turn_weeks)
        self.cap = 1 if size < 6 else max(2, size // 5)
        self.gap = 1 if size < 6 else 0
        self.protected = protected
        self.away = [0] * self.turns

    def _span(self, first: int, length: int, gap: int = 0) -> range:
        """Turns blocked by leave in weeks ``first .. first + length - 1``, ``gap`` either side."""
        low = (first - 1) // self.turn_weeks - gap
        high = (first + length - 1) // self.turn_weeks + 1 + gap
        return range(max(0, low), min(self.turns, high))

    def fits(self, first: int, length: int, *, covers_protected: bool = True) -> bool:
        """Whether leave in weeks ``first .. first + length - 1`` keeps under the cap."""
        blocked = self._span(first, length)
        if not covers_protected and any(t in self.protected for t in blocked):
            return False
        return all(self.away[t] < self.cap for t in self._span(first, length, self.gap))

    def book(self, first: int, length: int) -> fs.Leave:
        """Record the leave and return it (Monday of week ``first`` to a Friday)."""
        for t in self._span(first, length, self.gap):
            self.away[t] += 1
        start = START + dt.timedelta(weeks=first)
        return fs.Leave(start, start + dt.timedelta(weeks=length, days=-3))

    def plan(
        self, rng: random.Random, per_year: int, *, covers_protected: bool = True
    ) -> tuple[fs.Leave, ...]:
        """One leave in each of ``per_year`` equal parts of every year of the horizon.

        ``covers_protected=False`` keeps the leave clear of every protected turn.
        """
        fits = functools.partial(self.fits, covers_protected=covers_protected)
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
            covers_protected=not (lone_senior and levels[i] is fs.Seniority.SENIOR),
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


#: Shift types of the follow-the-sun rotation: name, daily hours in London rotation time, and
#: the region whose working day (08:00-18:00 in its own zone) holds them.
FTS_SHIFTS = (
    ("day", "09:00-17:00", Region("GB-ENG", "Europe/London", 1)),
    ("evening", "17:00-01:00", Region("US-CA", "America/Los_Angeles", 1)),
    ("night", "01:00-09:00", Region("SG", "Asia/Singapore", 1)),
)
#: Dates on which every seat of every turn needs a senior (month-day, inclusive).
FTS_SENIOR_PERIODS = (("Christmas", "12-24", "12-26"), ("New Year", "12-31", "01-02"))
FTS_TURN_WEEKS = 2


def follow_the_sun(engineers: int, weeks: int, seed: int = 0) -> fs.Scenario:
    """A synthetic 24/7 follow-the-sun team in the shape of ``examples/follow-the-sun.toml``.

    Three 8-hour shift types (day 09:00-17:00, evening 17:00-01:00, night 01:00-09:00,
    London rotation time) turn every two weeks, each with a P1 and a P2 (weight 0.5), held
    within working hours at most two turns in a row. The engineers are split evenly over
    London (GB-ENG), Los Angeles (US-CA) and Singapore (SG), all working 08:00-18:00 in their
    own zone, so each region covers one shift type. Each region has a seeded mix of
    seniorities with at least two seniors: Christmas and New Year need seniors in every seat,
    and a junior P1 needs a senior P2. Leave is placed per region as in :func:`team`, counted
    in two-week turns; seniors stay in over the seniors-only turns.

    Examples
    --------
    >>> scenario = follow_the_sun(12, 52, seed=0)
    >>> len(scenario.engineers), [s.name for s in scenario.pattern.shifts]
    (12, ['day', 'evening', 'night'])
    """
    import tomllib

    if engineers < 4 * len(FTS_SHIFTS):
        raise ValueError(
            f"{engineers} engineers are too few: a follow-the-sun team needs at least "
            f"{4 * len(FTS_SHIFTS)}, four per region"
        )
    rng = random.Random(f"fairshift-bench:follow-the-sun:{engineers}:{weeks}:{seed}")
    protected = senior_turns(weeks)
    lines = [
        "[rotation]",
        f'name = "Synthetic follow-the-sun team of {engineers} ({weeks} weeks, seed {seed})"',
        f"start = {START}",
        f"weeks = {weeks}",
        'handoff = "09:00"',
        'timezone = "Europe/London"',
        "",
        "[rules]",
        "min_rest_hours = 8",
        "swap_notice_days = 7",
        "",
        "[fairness]",
        "weekday = 1.0",
        "weekend = 1.5",
        "public_holiday = 2.0",
    ]
    for name, hours, _ in FTS_SHIFTS:
        lines += [
            "",
            "[[shifts]]",
            f'name = "{name}"',
            f'every = "{FTS_TURN_WEEKS} weeks"',
            f'hours = "{hours}"',
            "within_working_hours = true",
            "max_in_a_row = 2",
            'seats = ["p1", { name = "p2", weight = 0.5 }]',
        ]
    for name, first, last in FTS_SENIOR_PERIODS:
        lines += [
            "",
            "[[periods]]",
            f'name = "{name}"',
            f'dates = {{ from = "{first}", to = "{last}" }}',
            'min_seniority = "senior"',
        ]
    for name, _, _ in FTS_SHIFTS:
        lines += [
            "",
            "[[rules.pairing]]",
            f'seat = "{name}.p1"',
            'when = "junior"',
            f'partner = "{name}.p2"',
            'needs = "senior"',
        ]
    order = [f"{name}.{seat}" for name, _, _ in FTS_SHIFTS for seat in ("p1", "p2")]
    lines += [
        "",
        "[escalation]",
        "order = [" + ", ".join(f'"{seat}"' for seat in [*order, "senior", "manager"]) + "]",
        'manager = { name = "Dana Okafor", email = "dana.okafor@example.com" }',
        "",
        "[[pipelines]]",
        'name = "Event ingestion"',
        "investor_facing = true",
    ]
    sizes = [engineers // len(FTS_SHIFTS)] * len(FTS_SHIFTS)
    for k in range(engineers % len(FTS_SHIFTS)):
        sizes[k] += 1
    i = 0
    for (_, _, region), size in zip(FTS_SHIFTS, sizes, strict=True):
        seniors = max(2, round(size * rng.choice((0.2, 0.25, 0.3))))
        juniors = min(size - seniors, round(size * rng.choice((0.15, 0.2, 0.25, 0.3))))
        levels = ["senior"] * seniors + ["junior"] * juniors
        levels += ["mid"] * (size - len(levels))
        rng.shuffle(levels)
        planner = LeavePlanner(size, weeks, protected, turn_weeks=FTS_TURN_WEEKS)
        order_of_booking = list(range(size))
        rng.shuffle(order_of_booking)  # who books leave first gets the freest weeks
        leave = {
            k: planner.plan(rng, rng.choice((2, 2, 3)), covers_protected=levels[k] != "senior")
            for k in order_of_booking
        }
        for k in range(size):
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[(i * 7 + seed) % len(LAST_NAMES)]
            periods = ", ".join(f"{{ start = {p.start}, end = {p.end} }}" for p in leave[k])
            lines += [
                "",
                "[[engineers]]",
                f'handle = "{first.lower()}{i:03d}"',
                f'name = "{first} {last}"',
                f'seniority = "{levels[k]}"',
                f'holidays = "{region.code}"',
                f'email = "{first.lower()}.{i:03d}@example.com"',
                f'timezone = "{region.timezone}"',
                'working_hours = "08:00-18:00"',
                f"leave = [{periods}]",
            ]
            i += 1
    return fs.Scenario.from_dict(tomllib.loads("\n".join(lines) + "\n"), source="follow_the_sun")


def senior_turns(weeks: int) -> frozenset[int]:
    """Two-week turns from :data:`START` that cover a date of a seniors-only period.

    A turn covers the dates from its first Monday to the Monday that ends it (the night
    shift before that morning's handoff).
    """

    def senior(day: dt.date) -> bool:
        text = f"{day:%m-%d}"
        return any(
            first <= text <= last if first <= last else text >= first or text <= last
            for _, first, last in FTS_SENIOR_PERIODS
        )

    turns = math.ceil(weeks / FTS_TURN_WEEKS)
    days = 7 * FTS_TURN_WEEKS
    return frozenset(
        t
        for t in range(turns)
        if any(senior(START + dt.timedelta(days=t * days + d)) for d in range(days + 1))
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


def check(
    sizes: list[int],
    horizons: list[int],
    seeds: list[int],
    make: Callable[[int, int, int], fs.Scenario] | None = None,
) -> int:
    """Print whether each generated team is feasible; exit status 1 if any is not.

    ``make`` builds a team from size, weeks and seed (default :func:`team`).
    """
    make = make or team
    failures = 0
    for size in sizes:
        for weeks in horizons:
            for seed in seeds:
                started = time.perf_counter()
                verdict = feasible(make(size, weeks, seed))
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
    parser.add_argument(
        "--follow-the-sun",
        action="store_true",
        help="follow-the-sun teams (at least 12 engineers) instead of weekly ones",
    )
    args = parser.parse_args(argv)
    make = follow_the_sun if args.follow_the_sun else team
    if args.check:
        return check(args.sizes, args.horizons, args.seeds, make)
    if args.size is None:
        parser.error("give a team size, or --check")
    try:
        scenario = make(args.size, args.weeks, args.seed)
    except ValueError as error:
        parser.error(str(error))
    print(describe(scenario))
    return 0


if __name__ == "__main__":
    sys.exit(main())
