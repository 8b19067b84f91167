"""A peer for stage 1: the same problem as a MIP, solved with HiGHS.

Stage 1 of fairshift minimises the largest deviation from fair share subject to every hard
rule. This module writes that problem as a mixed-integer programme from the same calendar
expansion (:func:`fairshift.expand`) and burden helpers (:mod:`fairshift.burden`), so both
solvers answer one question:

- ``x[e, r, s]`` binary: engineer ``e`` holds role ``r`` in slot ``s``; fixed to 0 where a
  rule forbids it outright (leave, employment, month-end seniority, hard public holidays);
- coverage, separation, month-end separation, primary back-to-back, consecutive weeks and
  junior pairing as linear rows, one family per rule, as in ``fairshift.model.constraints``;
- ``T = sum w[e, r, s] x[e, r, s]`` (total burden, days) and, for every engineer with some
  availability ``a_e`` (team total ``A``), ``z >= B_e - (a_e / A) T + history_e``;
- minimise ``z``.

Deviations take values on a lattice of ``1 / (A * s)`` days (``s`` the weight quantum), so
an absolute gap under one lattice step proves optimality exactly as CP-SAT's integer model
does. The value reported is recomputed in exact fractions from the rounded solution, and
the schedule is re-checked by :func:`fairshift.validate`. HiGHS runs in a process of its
own (see ``highs_worker.py``: OR-Tools bundles another HiGHS version).

    python benchmarks/highs_peer.py 8 52 --time-limit 30 --compare
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

import fairshift as fs
from fairshift.burden import availability, duty_burden, quantum
from highs_worker import save_model

WORKER = Path(__file__).resolve().parent / "highs_worker.py"

WEEKLY = (fs.Role.PRIMARY, fs.Role.SECONDARY)


@dataclass(frozen=True)
class PeerResult:
    """What HiGHS reached on stage 1.

    ``status`` is ``OPTIMAL`` (proven), ``FEASIBLE`` (time limit with a solution),
    ``INFEASIBLE`` or ``NO_SOLUTION``; ``value`` is the exact largest deviation of the
    solution found (days) and ``bound`` HiGHS's proven lower bound.
    """

    status: str
    value: float | None
    bound: float | None
    seconds: float
    build_seconds: float
    variables: int
    constraints: int
    nonzeros: int
    nodes: int | None
    violations: int | None
    peak_rss_mib: float | None
    version: str
    schedule: fs.Schedule | None

    @property
    def gap(self) -> float | None:
        """``value - bound`` in days."""
        if self.value is None or self.bound is None:
            return None
        return max(0.0, self.value - self.bound)


class _Rows:
    """Sparse rows ``lower <= sum(coef * col) <= upper``, gathered before one bulk insert."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.starts: list[int] = []
        self.indices: list[int] = []
        self.values: list[float] = []

    def add(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        self.starts.append(len(self.indices))
        for column, coefficient in terms:
            self.indices.append(column)
            self.values.append(coefficient)
        self.lower.append(lower)
        self.upper.append(upper)

    def __len__(self) -> int:
        return len(self.lower)


class StageOneMip:
    """Stage 1 of a scenario as a HiGHS model, with the column of every assignment."""

    def __init__(self, scenario: fs.Scenario) -> None:
        self.scenario = scenario
        self.calendar = fs.expand(scenario)
        self.column: dict[tuple[str, fs.Role, int], int] = {}
        self.weight: dict[tuple[str, fs.Role, int], Fraction] = {}
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.rows = _Rows()
        self._add_assignments()
        self.total = self._new_column(0.0, math.inf)
        self.largest = self._new_column(-math.inf, math.inf)
        for add_rule in (
            self._coverage,
            self._separation,
            self._month_end_separation,
            self._primary_back_to_back,
            self._max_consecutive_weeks,
            self._junior_primary_pairing,
        ):
            add_rule()
        self._deviation_rows()

    # -- columns --------------------------------------------------------------------------

    def _new_column(self, lower: float, upper: float) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.upper) - 1

    def _add_assignments(self) -> None:
        calendar, scenario = self.calendar, self.scenario
        for engineer in scenario.engineers:
            for role in fs.Role:
                slots = calendar.month_ends if role is fs.Role.MONTH_END else calendar.weeks
                shift = "month-end" if role is fs.Role.MONTH_END else "weekly"
                for slot in slots:
                    key = (engineer.handle, role, slot.index)
                    allowed = self._allowed(engineer, role, slot)
                    self.column[key] = self._new_column(0.0, 1.0 if allowed else 0.0)
                    duty = calendar.duty(shift, role.value, slot.index)
                    assert duty is not None
                    self.weight[key] = duty_burden(calendar, engineer, duty)

    def _allowed(self, engineer: fs.Engineer, role: fs.Role, slot: fs.Slot) -> bool:
        """Whether no single-assignment rule (leave, employment, seniority, holidays) forbids it."""
        scenario = self.scenario
        if self.calendar.blocked(engineer, slot) is not None:
            return False
        if role is fs.Role.MONTH_END and engineer.seniority < scenario.month_end.min_seniority:
            return False
        hard_holidays = scenario.rules.public_holidays is fs.HolidayMode.HARD
        return not (
            hard_holidays
            and role is fs.Role.PRIMARY
            and self.calendar.holiday_dates(engineer, slot)
        )

    def x(self, handle: str, role: fs.Role, slot: fs.Slot) -> int:
        """Column of ``handle`` holding ``role`` in ``slot``."""
        return self.column[handle, role, slot.index]

    # -- hard rules -----------------------------------------------------------------------

    def _coverage(self) -> None:
        for role in fs.Role:
            slots = self.calendar.month_ends if role is fs.Role.MONTH_END else self.calendar.weeks
            for slot in slots:
                terms = [(self.x(h, role, slot), 1.0) for h in self.scenario.handles]
                self.rows.add(terms, 1.0, 1.0)

    def _separation(self) -> None:
        for week in self.calendar.weeks:
            for h in self.scenario.handles:
                self.rows.add([(self.x(h, role, week), 1.0) for role in WEEKLY], -math.inf, 1.0)

    def _month_end_separation(self) -> None:
        if not self.scenario.rules.month_end_not_primary:
            return
        for window in self.calendar.month_ends:
            for week in self.calendar.weeks_overlapping(window):
                for h in self.scenario.handles:
                    terms = [
                        (self.x(h, fs.Role.MONTH_END, window), 1.0),
                        (self.x(h, fs.Role.PRIMARY, week), 1.0),
                    ]
                    self.rows.add(terms, -math.inf, 1.0)

    def _primary_back_to_back(self) -> None:
        if self.scenario.rules.primary_back_to_back:
            return
        weeks = self.calendar.weeks
        for first, second in itertools.pairwise(weeks):
            for h in self.scenario.handles:
                terms = [
                    (self.x(h, fs.Role.PRIMARY, first), 1.0),
                    (self.x(h, fs.Role.PRIMARY, second), 1.0),
                ]
                self.rows.add(terms, -math.inf, 1.0)

    def _max_consecutive_weeks(self) -> None:
        limit = self.scenario.rules.max_consecutive_weeks
        weeks = self.calendar.weeks
        for first in range(len(weeks) - limit):
            window = weeks[first : first + limit + 1]
            for h in self.scenario.handles:
                terms = [(self.x(h, role, week), 1.0) for week in window for role in WEEKLY]
                self.rows.add(terms, -math.inf, float(limit))

    def _junior_primary_pairing(self) -> None:
        needs = self.scenario.rules.junior_primary_needs
        if needs is None:
            return
        team = self.scenario.engineers
        juniors = [e.handle for e in team if e.seniority is fs.Seniority.JUNIOR]
        seniors = [e.handle for e in team if e.seniority >= needs]
        if not juniors:
            return
        for week in self.calendar.weeks:
            terms = [(self.x(h, fs.Role.PRIMARY, week), 1.0) for h in juniors]
            terms += [(self.x(h, fs.Role.SECONDARY, week), -1.0) for h in seniors]
            self.rows.add(terms, -math.inf, 0.0)

    # -- objective ------------------------------------------------------------------------

    def _deviation_rows(self) -> None:
        """``T`` is the total burden; ``z >= B_e - (a_e / A) T + history_e`` per engineer."""
        terms = [(self.total, 1.0)]
        terms += [(column, -float(self.weight[key])) for key, column in self.column.items()]
        self.rows.add(terms, 0.0, 0.0)
        by_engineer: dict[str, list[tuple[tuple[str, fs.Role, int], int]]] = {
            handle: [] for handle in self.scenario.handles
        }
        for key, column in self.column.items():
            by_engineer[key[0]].append((key, column))
        self.share = availability(self.calendar)
        self.team_share = sum(self.share.values(), Fraction(0))
        for engineer in self.scenario.engineers:
            share = self.share[engineer.handle]
            if share == 0:
                continue  # nothing can change their balance this period (as in the CP model)
            own = [
                (column, -float(self.weight[key])) for key, column in by_engineer[engineer.handle]
            ]
            terms = [(self.largest, 1.0), (self.total, float(share / self.team_share)), *own]
            self.rows.add(terms, float(engineer.history), math.inf)

    @property
    def lattice(self) -> Fraction:
        """Smallest step between two deviations, in days."""
        denominator = math.lcm(*(share.denominator for share in self.share.values()))
        return Fraction(1, int(self.team_share * denominator) * quantum(self.calendar))

    # -- solving --------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """The model as the arrays of :data:`highs_worker.ARRAYS` (minimise ``z``)."""
        cost = np.zeros(len(self.upper))
        cost[self.largest] = 1.0
        rows = self.rows
        return {
            "col_lower": np.array(self.lower),
            "col_upper": np.array(self.upper),
            "col_cost": cost,
            "integer": np.array(sorted(self.column.values()), dtype=np.int32),
            "row_lower": np.array(rows.lower),
            "row_upper": np.array(rows.upper),
            "starts": np.array(rows.starts, dtype=np.int32),
            "indices": np.array(rows.indices, dtype=np.int32),
            "values": np.array(rows.values),
        }

    def options(self, *, time_limit: float, seed: int = 0) -> dict[str, Any]:
        """HiGHS options: a time limit, and a gap under one lattice step (an exact proof)."""
        return {
            "time_limit": float(time_limit),
            "random_seed": seed,
            "mip_rel_gap": 0.0,
            "mip_abs_gap": float(self.lattice) / 2,
        }

    def schedule(self, values: list[float]) -> fs.Schedule:
        """The schedule of a solution vector (each binary rounded)."""
        calendar = self.calendar
        assignments = []
        for (handle, role, index), column in self.column.items():
            if values[column] > 0.5:
                slot = (calendar.month_ends if role is fs.Role.MONTH_END else calendar.weeks)[index]
                assignments.append(fs.Assignment(slot.id, role, slot.start, slot.end, handle))
        assignments.sort(key=lambda a: (a.start, list(fs.Role).index(a.role)))
        return fs.Schedule(self.scenario, tuple(assignments), label="highs")

    def largest_deviation(self, values: list[float]) -> Fraction:
        """Exact largest deviation (days) of a solution vector, over engineers with availability."""
        burden = dict.fromkeys(self.scenario.handles, Fraction(0))
        for key, column in self.column.items():
            if values[column] > 0.5:
                burden[key[0]] += self.weight[key]
        total = sum(burden.values(), Fraction(0))
        return max(
            burden[e.handle] - total * self.share[e.handle] / self.team_share + e.history
            for e in self.scenario.engineers
            if self.share[e.handle] > 0
        )


def solve(scenario: fs.Scenario, *, time_limit: float = 60.0, seed: int = 0) -> PeerResult:
    """Build stage 1 as a MIP and solve it with HiGHS in a worker process."""
    started = time.perf_counter()
    mip = StageOneMip(scenario)
    with tempfile.TemporaryDirectory(prefix="fairshift-highs-") as tmp:
        model, answer = Path(tmp) / "model.npz", Path(tmp) / "result.json"
        save_model(model, mip.arrays(), mip.options(time_limit=time_limit, seed=seed))
        build_seconds = time.perf_counter() - started
        subprocess.run(
            [sys.executable, str(WORKER), str(model), str(answer)],
            check=True,
            timeout=2 * time_limit + 120,
        )
        result = json.loads(answer.read_text())
    counts = {
        "variables": len(mip.upper),
        "constraints": len(mip.rows),
        "nonzeros": len(mip.rows.indices),
        "nodes": result["nodes"],
        "peak_rss_mib": result["peak_rss_mib"],
        "version": result["version"],
        "seconds": result["seconds"],
        "build_seconds": build_seconds,
    }
    values = result["solution"]
    if values is None:
        status = "INFEASIBLE" if result["infeasible"] else "NO_SOLUTION"
        return PeerResult(status, None, None, violations=None, schedule=None, **counts)
    schedule = mip.schedule(values)
    return PeerResult(
        "OPTIMAL" if result["optimal"] else "FEASIBLE",
        float(mip.largest_deviation(values)),
        result["bound"],
        violations=len(fs.validate(scenario, schedule)),
        schedule=schedule,
        **counts,
    )


def main(argv: list[str] | None = None) -> int:
    from generate import team

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", type=int, help="engineers in the synthetic team")
    parser.add_argument("weeks", type=int, help="horizon in weeks")
    parser.add_argument("--seed", type=int, default=0, help="team generator seed")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--compare", action="store_true", help="also solve with fairshift; compare stage 1"
    )
    args = parser.parse_args(argv)
    scenario = team(args.size, args.weeks, args.seed)
    peer = solve(scenario, time_limit=args.time_limit)
    print(
        f"HiGHS: {peer.status} largest deviation {peer.value} bound {peer.bound} "
        f"in {peer.seconds:.2f} s (+{peer.build_seconds:.2f} s to build; "
        f"{peer.variables} columns, {peer.constraints} rows), violations {peer.violations}"
    )
    if not args.compare:
        return 0
    ours = fs.solve(scenario, time_limit=args.time_limit)
    stage = ours.stages[0]
    print(
        f"fairshift stage 1: {stage.status} largest deviation {stage.value} bound "
        f"{stage.bound} in {stage.seconds:.2f} s"
    )
    if peer.status == "OPTIMAL" and stage.proven and peer.value is not None:
        same = stage.value is not None and abs(peer.value - stage.value) < 1e-9
        print("same proven optimum" if same else "DIFFERENT proven optima")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
