"""Run the benchmark suite and write ``results.json``, ``RESULTS.md`` and ``scaling.png``.

Every instance is solved in a fresh Python process, so the peak resident memory of a run is
that process's own high-water mark (``ru_maxrss``) and one instance cannot warm caches for
the next. Per instance the suite records:

- fairshift: model size, build time, each lexicographic stage's status, value, bound and
  time, the overall status and stage-1 gap, peak memory, the validator's verdict and the
  fairness summary; small instances are solved a second time, in another process, with the
  same seed, and the two schedule CSVs compared byte for byte;
- the round-robin and greedy baselines (when :mod:`fairshift.baselines` exists): time,
  violations, unfilled shifts and the same fairness summary;
- HiGHS on the same stage-1 model (``highs_peer.py``): time, status, value and bound;
- the ``fairshift plan`` command itself, run as a user runs it, timed from process start to
  exit (the time-limit promise: limit + 2 s, outputs written);
- the same solve with ``--workers 2``, side by side with one worker;
- teams of 4 to 32 engineers over 52 weeks solved with a 10 s limit (stages 1-2 within
  0.05 days of a proven bound).

The instances are the bundled examples (``example`` for ``examples/pacific-infra.toml``,
``example:NAME`` for the rotation-pattern examples ``examples/NAME.toml``), the synthetic
weekly teams (``SIZExWEEKS``) and synthetic follow-the-sun teams (``ftsSIZExWEEKS``, see
``generate.follow_the_sun``). HiGHS solves default-shape instances only.

Stage-1 values are compared with the ``results.json`` of a reference commit (``--reference``,
by default the last commit before rotation patterns) solved with the same time limit, and,
with ``--reference-run``, with that commit's code solving the default-shape instances in the
same run, so that a change that makes any instance worse shows.

Usage::

    python benchmarks/run.py --reference-run       # the full suite (see README.md)
    python benchmarks/run.py --quick               # 4, 8, 16 engineers, fts12x52, 10 s limits
    python benchmarks/run.py --sizes 16 --weeks 104 --time-limit 30
    python benchmarks/run.py --sizes --fts-sizes --time-limit 30   # the examples alone
    python benchmarks/run.py --report-only         # re-render from results.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import importlib.metadata
import io
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import ortools

import fairshift as fs
from fairshift.solve import build_model
from generate import HORIZONS, SIZES, follow_the_sun, team

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "pacific-infra.toml"
#: The bundled rotation-pattern examples, measured as ``example:NAME``.
PATTERN_EXAMPLES = ("per-pipeline", "follow-the-sun", "holiday-season", "weekly-standby")
#: Synthetic follow-the-sun teams of the full suite, measured as ``ftsSIZExWEEKS``.
FTS_SIZES = (12, 48)
FTS_HORIZONS = (52,)
#: The last commit before rotation patterns: the default reference.
BEFORE_PATTERNS = "cd519e2"
#: Hand-written notes below this line in RESULTS.md survive regeneration.
NOTES_MARKER = "<!-- Notes below this line are kept when the file is regenerated. -->"
#: Stage-1 distance from the proven bound allowed at 200 x 104 and at follow-the-sun 48 x 52
#: (a quarter of a weekday).
GAP_TARGET = 0.25
MEMORY_TARGET_MIB = 2048
#: Seconds within which every example proves stages 1-3.
EXAMPLE_PROOF_SECONDS = 10.0
#: Stages 1-3: largest deviation, smallest deviation, sum of squares.
MAIN_STAGES = ("max_deviation", "min_deviation", "sum_of_squares")
EPSILON = 1e-9

Row = dict[str, Any]


# -- instances ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One benchmark problem: a bundled example or a synthetic team.

    ``kind`` is ``"team"`` (a synthetic weekly team, ``SIZExWEEKS``), ``"example"`` (a file
    of ``examples/``: ``example`` for ``pacific-infra.toml``, ``example:NAME`` for
    ``NAME.toml``) or ``"follow-the-sun"`` (a synthetic follow-the-sun team,
    ``ftsSIZExWEEKS``).
    """

    name: str
    engineers: int
    weeks: int
    seed: int
    kind: str = "team"

    @classmethod
    def synthetic(cls, size: int, weeks: int, seed: int) -> Instance:
        return cls(f"{size}x{weeks}", size, weeks, seed)

    @classmethod
    def follow_the_sun(cls, size: int, weeks: int, seed: int) -> Instance:
        return cls(f"fts{size}x{weeks}", size, weeks, seed, "follow-the-sun")

    @classmethod
    def example(cls, name: str | None = None) -> Instance:
        """``examples/pacific-infra.toml`` as ``example``, or ``examples/NAME.toml``."""
        label = "example" if name is None else f"example:{name}"
        scenario = fs.Scenario.from_toml(example_path(label))
        return cls(label, len(scenario.engineers), scenario.rotation.weeks, 0, "example")

    def scenario(self) -> fs.Scenario:
        """The scenario of this instance."""
        if self.kind == "example":
            return fs.Scenario.from_toml(example_path(self.name))
        if self.kind == "follow-the-sun":
            return follow_the_sun(self.engineers, self.weeks, self.seed)
        return team(self.engineers, self.weeks, self.seed)

    @property
    def default_shape(self) -> bool:
        """Whether the scenario has the default shape (no ``[[shifts]]``)."""
        if self.kind == "team":
            return True
        if self.kind == "follow-the-sun":
            return False
        return self.scenario().default_shape

    def toml(self) -> str:
        """The scenario file a user would write: the example as it is, or the team's TOML."""
        if self.kind == "example":
            return example_path(self.name).read_text()
        return self.scenario().to_toml()


def example_path(name: str) -> Path:
    """The file of example instance ``name`` (``example`` or ``example:NAME``)."""
    _, _, stem = name.partition(":")
    return EXAMPLES / f"{stem}.toml" if stem else EXAMPLE


def kind_of(row: Row) -> str:
    """An instance's kind in a results row (rows written before patterns have none)."""
    instance = row["instance"]
    return instance.get("kind") or ("example" if instance["name"] == "example" else "team")


def default_shape(row: Row) -> bool:
    """Whether a results row's scenario has the default shape (no ``[[shifts]]``)."""
    return bool(row.get("default_shape", True))


# -- what a child process measures ----------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def fairness_summary(scenario: fs.Scenario, schedule: fs.Schedule) -> dict[str, float]:
    """Deviation statistics of any schedule, the same for fairshift and the baselines."""
    if hasattr(fs, "fairness") and callable(fs.fairness):
        summary = fs.fairness(scenario, schedule).summary
        keys = ("max_deviation", "min_deviation", "deviation_range", "std", "gini", "jain")
        return {key: float(summary[key]) for key in keys if key in summary}
    deviation = fs.per_engineer(scenario, schedule)["deviation"]
    return {
        "max_deviation": float(deviation.max()),
        "min_deviation": float(deviation.min()),
        "deviation_range": float(deviation.max() - deviation.min()),
        "std": float(deviation.std(ddof=0)),
    }


def unfilled(scenario: fs.Scenario, schedule: fs.Schedule) -> int:
    """Seats of the horizon's turns (one seat of one turn: a shift) that nobody holds."""
    calendar = fs.expand(scenario)
    shift_of: dict[str, list[str]] = {}
    for shift in calendar.pattern.shifts:
        for seat in shift.seats:
            shift_of.setdefault(seat.name, []).append(shift.name)
    held = set()
    for a in schedule.assignments:
        # A row without its shift type names a seat that exactly one shift type has.
        shifts = [a.shift] if a.shift else shift_of.get(str(a.seat), [])
        duty = calendar.find(shifts[0], str(a.seat), a.start) if len(shifts) == 1 else None
        if a.engineer and duty is not None:
            held.add(duty.position)
    return len(calendar.duties) - len(held)


@dataclass
class StageRow:
    name: str
    status: str
    value: float | None
    bound: float | None
    gap: float | None
    seconds: float
    steps: int = 0


@dataclass
class FairshiftRun:
    status: str
    error: str = ""
    variables: int = 0
    constraints: int = 0
    build_seconds: float = 0.0
    seconds: float = 0.0
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    stages: list[StageRow] = field(default_factory=list)
    violations: int | None = None
    fairness: dict[str, float] = field(default_factory=dict)
    csv_sha256: str = ""
    import_rss_mib: float = 0.0
    peak_rss_mib: float = 0.0


@dataclass
class BaselineRun:
    name: str
    seconds: float
    violations: int
    unfilled: int
    fairness: dict[str, float]


def run_fairshift(instance: Instance, args: argparse.Namespace) -> Row:
    """Child process: build, solve, validate and (optionally) run the baselines."""
    run = FairshiftRun(status="ERROR", import_rss_mib=peak_rss_mib())
    scenario = instance.scenario()
    started = time.perf_counter()
    built = build_model(scenario)
    run.build_seconds = time.perf_counter() - started
    run.variables = len(built.model.proto.variables)
    run.constraints = len(built.model.proto.constraints)
    del built
    gc.collect()

    options: dict[str, Any] = {"time_limit": args.time_limit, "seed": args.solver_seed}
    if args.workers:
        options["workers"] = args.workers
    if args.work_limit:
        options["work_limit"] = args.work_limit
    try:
        schedule = fs.solve(scenario, **options)
    except fs.InfeasibleError as error:
        run.status, run.error = "INFEASIBLE", str(error).splitlines()[0]
    except fs.NoSolutionFoundError as error:
        run.status, run.error = "NO_SOLUTION", str(error)
    else:
        run.status = schedule.status
        run.seconds = schedule.seconds
        run.objective, run.bound, run.gap = schedule.objective, schedule.bound, schedule.gap
        run.stages = [
            StageRow(s.name, s.status, s.value, s.bound, s.gap, s.seconds, s.steps)
            for s in schedule.stages
        ]
        run.violations = len(fs.validate(scenario, schedule))
        csv = schedule.to_dataframe().to_csv(index=False, lineterminator="\n")
        run.csv_sha256 = hashlib.sha256(csv.encode()).hexdigest()
    run.peak_rss_mib = peak_rss_mib()
    if run.stages:
        run.fairness = fairness_summary(scenario, schedule)
    row: Row = {"fairshift": asdict(run)}
    if args.baselines:
        row["baselines"] = [asdict(b) for b in run_baselines(scenario)]
    return row


def run_baselines(scenario: fs.Scenario) -> list[BaselineRun]:
    """The round-robin and greedy baselines, when the installed fairshift has them."""
    try:
        from fairshift.baselines import greedy, round_robin
    except ImportError:
        return []
    makers: dict[str, Callable[[fs.Scenario], Any]] = {
        "round_robin": round_robin,
        "greedy": greedy,
    }
    runs = []
    for name, make in makers.items():
        started = time.perf_counter()
        schedule = make(scenario)
        seconds = time.perf_counter() - started
        if not hasattr(schedule, "assignments"):  # a table rather than a Schedule
            schedule = fs.Schedule.from_dataframe(scenario, schedule, label=name)
        runs.append(
            BaselineRun(
                name,
                seconds,
                len(fs.validate(scenario, schedule)),
                unfilled(scenario, schedule),
                fairness_summary(scenario, schedule),
            )
        )
    return runs


def run_highs(instance: Instance, args: argparse.Namespace) -> Row:
    """Child process: stage 1 as a MIP, solved with HiGHS (in a worker process of its own)."""
    # Imported here: the peer follows fairshift's internals, and a peer that no longer
    # imports fails its own measurement rather than the whole suite.
    from highs_peer import solve as solve_with_highs

    scenario = instance.scenario()
    result = solve_with_highs(scenario, time_limit=args.highs_time_limit, seed=args.solver_seed)
    row = {f.name: getattr(result, f.name) for f in fields(result) if f.name != "schedule"}
    row["gap"] = result.gap
    row["builder_peak_rss_mib"] = peak_rss_mib()
    return {"highs": row}


def run_cli(instance: Instance, args: argparse.Namespace, time_limit: float | None) -> Row:
    """``fairshift plan`` as a user runs it, timed from process start to exit.

    ``time_limit`` ``None`` runs the command with its default limit (the example's target is
    the command from the README, as it stands).
    """
    command_line = shutil.which("fairshift") or str(Path(sys.executable).parent / "fairshift")
    with tempfile.TemporaryDirectory(prefix="fairshift-cli-") as tmp:
        scenario = instance.scenario()
        path = Path(tmp) / "scenario.toml"
        path.write_text(instance.toml())
        out = Path(tmp) / "plan"
        command = [command_line, "plan", str(path), "--out", str(out), "--no-progress"]
        command += ["--seed", str(args.solver_seed)]
        if time_limit is not None:
            command += ["--time-limit", f"{time_limit:g}"]
        limit = 60.0 if time_limit is None else time_limit
        started = time.perf_counter()
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=3 * limit + 120, check=False
            )
        except subprocess.TimeoutExpired:
            return {"status": "TIMEOUT", "limit": limit, "wall_seconds": None}
        wall = time.perf_counter() - started
        written = (out / "schedule.csv").is_file()
        violations = None
        if written:
            violations = len(fs.validate(scenario, fs.Schedule.read_csv(scenario, out)))
        headline = next(
            (line for line in done.stdout.splitlines()[1:2] if line.strip()), done.stderr[-200:]
        )
        return {
            "status": "OK" if done.returncode == 0 else f"exit {done.returncode}",
            "limit": limit,
            "wall_seconds": wall,
            "written": written,
            "violations": violations,
            "headline": headline.strip(),
        }


CHILDREN: dict[str, Callable[[Instance, argparse.Namespace], Row]] = {
    "fairshift": run_fairshift,
    "highs": run_highs,
}


# -- the parent: one process per measurement ------------------------------------------------


def spawn(
    kind: str,
    instance: Instance,
    args: argparse.Namespace,
    *,
    baselines: bool,
    source: Path | None = None,
) -> Row:
    """Run one measurement in a fresh interpreter and return what it wrote.

    ``source`` is another checkout's ``src`` folder: that fairshift is measured instead.
    """
    limit = args.highs_time_limit if kind == "highs" else args.time_limit
    with tempfile.TemporaryDirectory(prefix="fairshift-bench-") as tmp:
        result = Path(tmp) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            "--instance",
            json.dumps(asdict(instance)),
            "--result",
            str(result),
            "--time-limit",
            str(args.time_limit),
            "--highs-time-limit",
            str(args.highs_time_limit),
            "--solver-seed",
            str(args.solver_seed),
        ]
        if args.workers:
            command += ["--workers", str(args.workers)]
        if args.work_limit:
            command += ["--work-limit", str(args.work_limit)]
        if baselines:
            command.append("--baselines")
        # Generous: the model build, the infeasibility explanation and the validator all
        # come on top of the solver's own time limit.
        timeout = 3 * limit + 300
        started = time.perf_counter()
        try:
            environment = dict(os.environ)
            if source is not None:
                environment["PYTHONPATH"] = os.pathsep.join(
                    [str(source), environment.get("PYTHONPATH", "")]
                ).rstrip(os.pathsep)
            done = subprocess.run(
                command,
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=environment,
            )
        except subprocess.TimeoutExpired:
            return {kind: {"status": "TIMEOUT", "error": f"killed after {timeout:.0f} s"}}
        wall = time.perf_counter() - started
        if done.returncode != 0 or not result.exists():
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {kind: {"status": "ERROR", "error": tail}}
        row: Row = json.loads(result.read_text())
        row[kind]["process_seconds"] = wall
        return row


def measure(instance: Instance, args: argparse.Namespace) -> Row:
    """Every measurement of one instance.

    HiGHS and the reference code measure default-shape instances only: the MIP peer models
    the weekly primary/secondary and month-end shape, and code from before rotation patterns
    cannot read ``[[shifts]]``.
    """
    shape = instance.default_shape
    row: Row = {"instance": asdict(instance), "default_shape": shape}
    row.update(spawn("fairshift", instance, args, baselines=not args.no_baselines))
    ours = row["fairshift"]
    if instance.engineers <= args.determinism_up_to and ours.get("csv_sha256"):
        again = spawn("fairshift", instance, args, baselines=False)["fairshift"]
        row["determinism"] = {
            "identical": again.get("csv_sha256") == ours["csv_sha256"],
            "both_proven": ours["status"] == "OPTIMAL" and again.get("status") == "OPTIMAL",
            "second_seconds": again.get("seconds"),
        }
    if instance.engineers <= args.reproducible_up_to and args.reproducible_work > 0:
        # The same solve twice under a work budget instead of a clock: identical by design.
        limited = argparse.Namespace(
            **{**vars(args), "work_limit": args.reproducible_work, "time_limit": 3600.0}
        )
        first = spawn("fairshift", instance, limited, baselines=False)["fairshift"]
        second = spawn("fairshift", instance, limited, baselines=False)["fairshift"]
        row["reproducible"] = {
            "identical": bool(first.get("csv_sha256"))
            and first.get("csv_sha256") == second.get("csv_sha256"),
            "work": args.reproducible_work,
            "seconds": first.get("seconds"),
            "objective": first.get("objective"),
        }
    if not args.no_highs and shape:
        row.update(spawn("highs", instance, args, baselines=False))
    if args.reference_source is not None and shape:
        # The reference commit's code, solved in this run on this machine: a regression shows
        # apart from the drift between machines and days.
        row["reference"] = spawn(
            "fairshift", instance, args, baselines=False, source=args.reference_source
        )["fairshift"]
    if args.compare_workers > 1:
        racing = argparse.Namespace(**{**vars(args), "workers": args.compare_workers})
        row["workers"] = spawn("fairshift", instance, racing, baselines=False)["fairshift"]
        row["workers"]["count"] = args.compare_workers
    if (
        instance.kind == "team"
        and instance.weeks == 52
        and 4 <= instance.engineers <= 32
        and args.quick_limit > 0
    ):
        short = argparse.Namespace(**{**vars(args), "time_limit": args.quick_limit})
        row["short"] = spawn("fairshift", instance, short, baselines=False)["fairshift"]
        row["short"]["limit"] = args.quick_limit
    if not args.no_cli:
        limit = None if instance.name == "example" else args.cli_limit
        row["cli"] = run_cli(instance, args, limit)
    return row


def machine() -> Row:
    """CPU, cores, memory and versions of the machine and the solvers."""
    cpu = platform.processor() or platform.machine()
    memory_gib = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gib = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    try:  # not imported: OR-Tools's own HiGHS library is loaded in this process
        highs = importlib.metadata.version("highspy")
    except importlib.metadata.PackageNotFoundError:
        highs = "not installed"
    commit = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "ortools": ortools.__version__,
        "highs": highs,
        "fairshift": fs.__version__,
        "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _git(*command: str) -> str:
    try:
        done = subprocess.run(
            ["git", *command], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


# -- the report -----------------------------------------------------------------------------


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def proven_text(row: Row) -> str:
    """What the solve proved, in words."""
    ours = row["fairshift"]
    if not ours.get("stages"):
        return {
            "INFEASIBLE": "proven infeasible",
            "NO_SOLUTION": "nothing found in time",
        }.get(ours["status"], ours.get("error") or ours["status"])
    groups: dict[str, list[str]] = {"proven": [], "not proven": [], "skipped": []}
    for label, stage in zip(_labels(ours["stages"]), ours["stages"], strict=True):
        if stage["status"] == "OPTIMAL":
            groups["proven"].append(label)
        elif stage["status"] == "FEASIBLE":
            groups["not proven"].append(f"{label} (gap {_num(stage['gap'])})")
        else:
            groups["skipped"].append(label)
    if len(groups["proven"]) == len(ours["stages"]):
        return f"all {len(ours['stages'])} stages optimal"
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items() if v)


def _labels(stages: list[Row]) -> list[str]:
    """Stage numbers as the summary prints them (4a, 4b, 4c for the spread categories)."""
    from fairshift.schedule import Stage, stage_labels

    return stage_labels(
        Stage(s["name"], "", s["status"], s["value"], s["bound"], s["seconds"]) for s in stages
    )


def find(rows: list[Row], engineers: int, weeks: int, kind: str = "team") -> Row | None:
    """The synthetic instance of ``kind`` with this many engineers and weeks."""
    for row in rows:
        inst = row["instance"]
        if kind_of(row) == kind and (inst["engineers"], inst["weeks"]) == (engineers, weeks):
            return row
    return None


def _stages(run: Row | None) -> list[Row]:
    return [] if run is None else list(run.get("stages") or [])


def _main_proven(stages: list[Row]) -> bool:
    """Whether stages 1-3 (every stage but the stage-4 spread categories) are proven."""
    main = [s for s in stages if not s["name"].endswith("_excess")]
    return bool(main) and all(s["status"] == "OPTIMAL" for s in main)


def _lexicographic(stages: list[Row]) -> list[tuple[float, float]]:
    """Stage values as a key where smaller is better (maximised stages negated)."""
    key = []
    for stage in stages:
        value = stage.get("value")
        if value is None:
            key.append((1.0, 0.0))
        else:
            key.append((0.0, -value if stage["name"] == "min_deviation" else value))
    return key


def reference_regressions(rows: list[Row]) -> tuple[list[Row], list[str]]:
    """Rows solved by the reference code in this run, and those whose stage 1 is worse now.

    Only default-shape instances have a reference solve (the reference code predates
    rotation patterns). A stage-1 value more than 1e-6 days above the reference's, or none
    at all, is worse.
    """
    pairs = [
        row
        for row in rows
        if row.get("reference") and row["reference"].get("objective") is not None
    ]
    worse = [
        f"{row['instance']['name']} {_num(row['fairshift'].get('objective'), 3)} > "
        f"{row['reference']['objective']:.3f}"
        for row in pairs
        if row["fairshift"].get("objective") is None
        or row["fairshift"]["objective"] > row["reference"]["objective"] + 1e-6
    ]
    return pairs, worse


def every_example_target(rows: list[Row]) -> tuple[str, str, str]:
    """Every bundled example proves stages 1-3 within :data:`EXAMPLE_PROOF_SECONDS`.

    The seconds are the sum of the three stages' own times. An example whose stages were
    stopped unproven before 10 s had passed (a run with a short time limit) says nothing
    either way: the verdict is then ``inconclusive``, and ``-`` when an example was left out,
    unless another example missed. ``fairshift plan --time-limit 10`` (the command-line run)
    also counts: its solve ends within the limit, so a headline saying stages 1-3 are proven
    is a proof within 10 s (the wall time shown adds start-up and writing the outputs).
    """
    label = f"every example: stages 1-3 proven within {EXAMPLE_PROOF_SECONDS:g} s"
    measured_rows = {row["instance"]["name"]: row for row in rows if kind_of(row) == "example"}
    expected = ["example", *(f"example:{name}" for name in PATTERN_EXAMPLES)]
    names = expected + [name for name in measured_rows if name not in expected]
    cells, missing, cut_short, ok = [], [], False, True
    for name in names:
        short = name.partition(":")[2] or EXAMPLE.stem
        row = measured_rows.get(name)
        if row is None:
            missing.append(short)
            continue
        ours = row["fairshift"]
        stages = {s["name"]: s for s in _stages(ours)}
        main = [stages[s] for s in MAIN_STAGES if s in stages]
        if len(main) < len(MAIN_STAGES):
            ok = False
            cells.append(f"{short} {ours['status']}")
            continue
        seconds = sum(s["seconds"] for s in main)
        open_stages = [
            f"{s['name']} gap {_num(s.get('gap'), 3)}" for s in main if s["status"] != "OPTIMAL"
        ]
        fine = not open_stages and seconds <= EXAMPLE_PROOF_SECONDS + EPSILON
        quick = _proven_by_command(row)
        if quick is not None and not fine:
            solved = "not proven" if open_stages else f"proven after {seconds:.2f} s"
            cells.append(
                f"{short} proven by `plan --time-limit {quick[0]:g}` ({quick[1]:.2f} s wall; "
                f"the long solve: {solved})"
            )
            continue
        if open_stages and seconds < EXAMPLE_PROOF_SECONDS:
            cut_short = True
            cells.append(
                f"{short} stopped unproven by the time limit after {seconds:.2f} s "
                f"({', '.join(open_stages)})"
            )
            continue
        ok = ok and fine
        if open_stages:
            cells.append(f"{short} NOT proven after {seconds:.2f} s ({', '.join(open_stages)})")
        else:
            cells.append(f"{short} proven in {seconds:.2f} s" + ("" if fine else " (too slow)"))
    if not cells:
        return label, "not run", "-"
    measured = "; ".join(cells)
    if missing:
        measured += f"; not run: {', '.join(missing)}"
    if not ok:
        verdict = "MISSED"
    elif cut_short:
        verdict = "inconclusive"
    else:
        verdict = "-" if missing else "met"
    return label, measured, verdict


def _proven_by_command(row: Row) -> tuple[float, float] | None:
    """``(limit, wall seconds)`` of a command-line run within the example target that proved
    stages 1-3, from its headline; ``None`` otherwise."""
    cli = row.get("cli") or {}
    headline = str(cli.get("headline", ""))
    if cli.get("status") != "OK" or cli.get("limit", math.inf) > EXAMPLE_PROOF_SECONDS:
        return None
    found = re.match(r"fairness proven optimal \((every stage|stages 1-(\d+))\)", headline)
    if found is None or (found.group(2) is not None and int(found.group(2)) < len(MAIN_STAGES)):
        return None
    return float(cli["limit"]), float(cli["wall_seconds"])


def follow_the_sun_target(rows: list[Row], time_limit: float | None) -> tuple[str, str, str]:
    """Follow-the-sun 48 x 52: stage 1 within :data:`GAP_TARGET` days of its bound in 60 s.

    A run with a shorter time limit that misses says nothing about 60 s: its verdict is
    ``inconclusive``.
    """
    label = f"follow-the-sun 48 x 52: stage 1 within {GAP_TARGET} days of its proven bound in 60 s"
    row = find(rows, 48, 52, kind="follow-the-sun")
    if row is None:
        return label, "not run", "-"
    ours = row["fairshift"]
    stages = _stages(ours)
    first = next((s for s in stages if s["name"] == MAIN_STAGES[0]), {})
    gap, seconds = first.get("gap"), first.get("seconds")
    if not first:
        return label, f"{ours['status']}: {ours.get('error') or 'no stage 1'}", "MISSED"
    ok = gap is not None and gap <= GAP_TARGET + EPSILON and seconds is not None and seconds <= 60
    measured = (
        f"stage-1 gap {_num(gap, 3)} ({_num(first.get('value'), 3)} against "
        f"{_num(first.get('bound'), 3)}), {first['status']} after {_num(seconds)} s"
    )
    if time_limit is not None and time_limit < 60 and not ok:
        return label, f"{measured} (time limit {time_limit:g} s)", "inconclusive"
    return label, measured, "met" if ok else "MISSED"


def targets(
    rows: list[Row], reference: Row | None = None, settings: Row | None = None
) -> list[tuple[str, str, str]]:
    """``(target, measured, verdict)`` for each target this run covers."""
    out: list[tuple[str, str, str]] = []
    example = next((r for r in rows if r["instance"]["name"] == "example"), None)

    # -- the example ---------------------------------------------------------------------
    label = "example: stages 1-3 proven; each stage-4 category proven or stopped in its share"
    if example is None:
        out.append((label, "not run", "-"))
    else:
        stages = _stages(example["fairshift"])
        spread = [s for s in stages if s["name"].endswith("_excess")]
        shown = all(s["status"] == "OPTIMAL" or s.get("gap") is not None for s in spread)
        parts = [
            f"{s['name'].removesuffix('_excess')} "
            + ("proven" if s["status"] == "OPTIMAL" else f"gap {_num(s.get('gap'))}")
            + f" in {_num(s['seconds'])} s"
            for s in spread
        ]
        measured = "stages 1-3 proven; " if _main_proven(stages) else "stages 1-3 NOT proven; "
        measured += "; ".join(parts)
        ok = _main_proven(stages) and shown
        out.append((label, measured, "met" if ok else "MISSED"))
    label = "example: `fairshift plan` (default limit) at most 3 s from process start to exit"
    cli = (example or {}).get("cli")
    if not cli or cli.get("wall_seconds") is None:
        out.append((label, "not run" if not cli else cli["status"], "-"))
    else:
        ok = cli["status"] == "OK" and cli["wall_seconds"] <= 3.0
        measured = f"{cli['wall_seconds']:.2f} s, {cli['status']}"
        out.append((label, measured, "met" if ok else "MISSED"))
    label = "moonshot: every stage of the example proven, solver under 1 s"
    if example is None or not _stages(example["fairshift"]):
        out.append((label, "not run", "-"))
    else:
        ours = example["fairshift"]
        ok = ours["status"] == "OPTIMAL" and ours["seconds"] < 1.0
        measured = f"{ours['status']} in {_num(ours.get('seconds'))} s"
        out.append((label, measured, "met" if ok else "MISSED"))
    out.append(every_example_target(rows))

    # -- the time-limit promise ----------------------------------------------------------
    label = "every instance: `fairshift plan` ends within its time limit + 2 s, outputs written"
    timed = [row for row in rows if row.get("cli")]
    if not timed:
        out.append((label, "not run", "-"))
    else:
        late = [
            row["instance"]["name"]
            for row in timed
            if row["cli"].get("wall_seconds") is None
            or row["cli"]["wall_seconds"] > row["cli"]["limit"] + 2
            or not row["cli"].get("written")
        ]
        worst = max(
            (row["cli"]["wall_seconds"] - row["cli"]["limit"])
            for row in timed
            if row["cli"].get("wall_seconds") is not None
        )
        measured = (
            f"{len(timed) - len(late)} of {len(timed)} within; largest overrun {worst:+.2f} s"
        )
        if late:
            measured += f" (late: {', '.join(late)})"
        out.append((label, measured, "met" if not late else "MISSED"))

    # -- 4 to 32 engineers x 52 weeks in 10 s ----------------------------------------------
    short = [row for row in rows if row.get("short")]
    label = "4-32 x 52: stages 1-2 proven or within 0.05 days of a proven bound, in 10 s"
    if not short:
        out.append((label, "not run", "-"))
    else:
        cells, ok = [], True
        for row in short:
            stages = _stages(row["short"])[:2]
            gaps = [s.get("gap") for s in stages]
            fine = len(stages) == 2 and all(
                s["status"] == "OPTIMAL" or (g is not None and g <= 0.05 + EPSILON)
                for s, g in zip(stages, gaps, strict=True)
            )
            ok = ok and fine
            cells.append(
                f"{row['instance']['name']} "
                + "/".join(_num(g, 3) for g in gaps)
                + ("" if fine else " (no)")
            )
        out.append((label, "gaps 1/2: " + ", ".join(cells), "met" if ok else "MISSED"))

    # -- no regression against the reference commit ----------------------------------------
    label = "nothing regresses: each stage-1 value no worse than at the reference commit"
    if not reference or not reference.get("stage1"):
        out.append((label, "no reference", "-"))
    else:
        compared, worse = 0, []
        for row in rows:
            name = row["instance"]["name"]
            before = reference["stage1"].get(name)
            now = row["fairshift"].get("objective")
            if before is None or now is None:
                continue
            compared += 1
            if now > before + 1e-6:
                worse.append(f"{name} {now:.3f} > {before:.3f}")
        measured = (
            f"{compared - len(worse)} of {compared} no worse than {reference['commit']} "
            f"at {reference['time_limit']:g} s"
        )
        if worse:
            measured += f" (worse: {'; '.join(worse)})"
        out.append((label, measured, "met" if not worse else "MISSED"))

    label = "default-pattern instances no worse than before patterns, side by side in one run"
    pairs, worse = reference_regressions(rows)
    if not pairs:
        out.append((label, "not run", "-"))
    else:
        commit = (settings or {}).get("reference_run") or "the reference code"
        measured = f"{len(pairs) - len(worse)} of {len(pairs)} no worse on stage 1 than {commit}"
        skipped = sum(not default_shape(row) for row in rows)
        if skipped:
            measured += f"; {skipped} pattern instances skipped (no patterns there)"
        if worse:
            measured += f" (worse: {'; '.join(worse)})"
        out.append((label, measured, "met" if not worse else "MISSED"))

    # -- --workers 2 against 1 ---------------------------------------------------------------
    pairs = [row for row in rows if row.get("workers") and _stages(row["workers"])]
    label = "--workers 2 at least as good as 1 worker on every instance (lexicographic)"
    if not pairs:
        out.append((label, "not run", "-"))
    else:
        worse = [
            row["instance"]["name"]
            for row in pairs
            if _lexicographic(_stages(row["workers"])) > _lexicographic(_stages(row["fairshift"]))
        ]
        measured = f"worse on {len(worse)} of {len(pairs)}" + (
            f" ({', '.join(worse)})" if worse else ""
        )
        out.append((label, measured, "met" if not worse else "MISSED"))

    # -- earlier targets -------------------------------------------------------------------
    def proven_within(row: Row | None, label: str, limit: float) -> None:
        if row is None:
            out.append((label, "not run", "-"))
            return
        ours = row["fairshift"]
        ok = ours["status"] == "OPTIMAL" and ours["seconds"] < limit
        measured = f"{ours['status']} in {_num(ours.get('seconds'))} s"
        out.append((label, measured, "met" if ok else "MISSED"))

    proven_within(find(rows, 16, 104), "16 x 104: every stage proven in < 5 s", 5.0)
    proven_within(find(rows, 100, 104), "100 x 104: every stage proven in < 30 s", 30.0)

    big = find(rows, 200, 104)
    label = f"200 x 104: largest deviation within {GAP_TARGET} of the bound in < 60 s, < 2 GiB"
    if big is None:
        out.append((label, "not run", "-"))
    else:
        ours = big["fairshift"]
        first = (ours.get("stages") or [{}])[0]
        gap, seconds = first.get("gap"), first.get("seconds")
        memory = ours.get("peak_rss_mib") or 0.0
        ok = (
            gap is not None
            and gap <= GAP_TARGET + EPSILON
            and seconds is not None
            and seconds < 60
            and memory < MEMORY_TARGET_MIB
        )
        measured = f"stage-1 gap {_num(gap)} after {_num(seconds)} s, peak {memory:.0f} MiB"
        out.append((label, measured, "met" if ok else "MISSED"))
    out.append(follow_the_sun_target(rows, (settings or {}).get("time_limit")))

    compared = worse_count = 0
    for row in rows:
        ours_max = row["fairshift"].get("fairness", {}).get("max_deviation")
        for baseline in row.get("baselines", []):
            theirs = baseline["fairness"].get("max_deviation")
            if ours_max is not None and theirs is not None:
                compared += 1
                worse_count += ours_max > theirs + EPSILON
    label = "fairshift's max deviation never worse than a baseline's"
    if compared == 0:
        out.append((label, "baselines not available", "-"))
    else:
        verdict = "met" if worse_count == 0 else "MISSED"
        out.append((label, f"worse in {worse_count} of {compared} comparisons", verdict))

    checks = [row["determinism"] for row in rows if "determinism" in row]
    label = "same seed, identical schedule"
    if not checks:
        out.append((label, "not checked", "-"))
    else:
        same = sum(c["identical"] for c in checks)
        proven_differ = sum(not c["identical"] and c["both_proven"] for c in checks)
        measured = f"{same} of {len(checks)} instances identical"
        if same == len(checks):
            verdict = "met"
        elif proven_differ:
            verdict = "MISSED"
        else:  # a wall-clock time limit stops the search at a different point each time
            measured += "; the others stopped at the time limit"
            verdict = "inconclusive"
        out.append((label, measured, verdict))

    checks = [row["reproducible"] for row in rows if "reproducible" in row]
    label = "same seed and work limit, identical schedule (cut short or not)"
    if not checks:
        out.append((label, "not checked", "-"))
    else:
        same = sum(c["identical"] for c in checks)
        work = checks[0]["work"]
        measured = f"{same} of {len(checks)} instances identical at a work limit of {work:g}"
        out.append((label, measured, "met" if same == len(checks) else "MISSED"))
    return out


def workers_table(rows: list[Row]) -> list[str]:
    """One worker against N whole solves side by side (``--workers N``): values and proof."""
    lines = _header(
        [
            "instance",
            "stage 1, 1 worker",
            "stage 1, N workers",
            "stage 2, 1 worker",
            "stage 2, N workers",
            "proven (1 / N)",
            "lexicographically",
        ]
    )
    for row in rows:
        other = row.get("workers")
        if not other or not _stages(other):
            continue
        one, many = _stages(row["fairshift"]), _stages(other)

        def value(stages: list[Row], i: int) -> str:
            return _num(stages[i].get("value"), 3) if len(stages) > i else "-"

        a, b = _lexicographic(one), _lexicographic(many)
        verdict = "same" if a == b else ("better" if b < a else "WORSE")
        proven = (
            f"{sum(s['status'] == 'OPTIMAL' for s in one)} / "
            f"{sum(s['status'] == 'OPTIMAL' for s in many)}"
        )
        lines.append(
            _cells(
                [
                    f"{row['instance']['name']} ({other.get('count', 2)} workers)",
                    value(one, 0),
                    value(many, 0),
                    value(one, 1),
                    value(many, 1),
                    proven,
                    verdict,
                ]
            )
        )
    return lines


def reference_table(rows: list[Row], reference: Row | None) -> list[str]:
    """Stage 1 now, beside the reference commit's: as recorded, and solved in this run."""
    lines = _header(
        ["instance", "recorded at the reference", "reference code, this run", "this code"]
    )
    recorded = (reference or {}).get("stage1", {})
    for row in rows:
        if not default_shape(row):
            continue
        name = row["instance"]["name"]
        lines.append(
            _cells(
                [
                    name,
                    _num(recorded.get(name), 3),
                    _num((row.get("reference") or {}).get("objective"), 3),
                    _num(row["fairshift"].get("objective"), 3),
                ]
            )
        )
    return lines


def cli_table(rows: list[Row]) -> list[str]:
    """``fairshift plan`` run as a user runs it: wall time against the limit."""
    lines = _header(
        ["instance", "limit s", "wall s", "overrun s", "exit", "violations", "headline"]
    )
    for row in rows:
        cli = row.get("cli")
        if not cli:
            continue
        wall = cli.get("wall_seconds")
        lines.append(
            _cells(
                [
                    row["instance"]["name"],
                    f"{cli['limit']:g}",
                    _num(wall),
                    "-" if wall is None else f"{wall - cli['limit']:+.2f}",
                    cli["status"],
                    "-" if cli.get("violations") is None else cli["violations"],
                    " ".join(cli.get("headline", "").split()).replace("|", "/"),
                ]
            )
        )
    return lines


def short_table(rows: list[Row]) -> list[str]:
    """Teams of 4 to 32 engineers over 52 weeks with a 10 s limit."""
    lines = _header(
        ["instance", "limit s", "stage 1 value", "bound", "gap", "stage 2 value", "bound", "gap"]
    )
    for row in rows:
        short = row.get("short")
        if not short:
            continue
        stages = [*_stages(short)[:2], {}, {}]
        lines.append(
            _cells(
                [
                    row["instance"]["name"],
                    f"{short['limit']:g}",
                    *(
                        cell
                        for stage in stages[:2]
                        for cell in (
                            _num(stage.get("value"), 3),
                            _num(stage.get("bound"), 3),
                            _num(stage.get("gap"), 3),
                        )
                    ),
                ]
            )
        )
    return lines


def fairshift_table(rows: list[Row]) -> list[str]:
    stage_names = _stage_names(rows)
    head = [
        "instance",
        "engineers",
        "weeks",
        "variables",
        "constraints",
        "build s",
        *(f"{name} s" for name in stage_names),
        "total s",
        "status",
        "max deviation",
        "bound",
        "gap",
        "peak MiB",
        "violations",
        "same seed",
        "what was proven",
    ]
    lines = _header(head)
    for row in rows:
        inst, ours = row["instance"], row["fairshift"]
        stages = {s["name"]: s for s in ours.get("stages", [])}
        determinism = row.get("determinism")
        if determinism is None:
            same = "-"
        elif determinism["identical"]:
            same = "identical"
        elif not determinism["both_proven"]:
            same = "differs (time limit)"
        else:
            same = "DIFFERS"
        reproducible = row.get("reproducible")
        if reproducible is not None:
            verdict = "identical" if reproducible["identical"] else "DIFFERS"
            same += f"; work-limited: {verdict}"
        cells = [
            inst["name"],
            inst["engineers"],
            inst["weeks"],
            ours.get("variables", "-"),
            ours.get("constraints", "-"),
            _num(ours.get("build_seconds")),
            *(stage_cell(stages.get(name)) for name in stage_names),
            _num(ours.get("seconds")),
            ours["status"],
            _num(ours.get("objective"), 3),
            _num(ours.get("bound"), 3),
            _num(ours.get("gap"), 3),
            _num(ours.get("peak_rss_mib"), 0),
            "-" if ours.get("violations") is None else ours["violations"],
            same,
            proven_text(row),
        ]
        lines.append(_cells(cells))
    return lines


def stage_cell(stage: Row | None) -> str:
    """A stage's seconds, starred when the time limit stopped its proof."""
    if stage is None or stage["status"] in ("SKIPPED", "UNKNOWN"):
        return stage["status"].lower() if stage else "-"
    return _num(stage["seconds"]) + ("" if stage["status"] == "OPTIMAL" else "*")


def stages_table(rows: list[Row]) -> list[str]:
    lines = _header(
        ["instance", "stage", "status", "value", "bound", "gap", "seconds", "search steps"]
    )
    for row in rows:
        for stage in row["fairshift"].get("stages", []):
            lines.append(
                _cells(
                    [
                        row["instance"]["name"],
                        stage["name"],
                        stage["status"],
                        _num(stage["value"], 3),
                        _num(stage["bound"], 3),
                        _num(stage["gap"], 3),
                        _num(stage["seconds"]),
                        stage.get("steps", 0),
                    ]
                )
            )
    return lines


def highs_table(rows: list[Row]) -> list[str]:
    head = [
        "instance",
        "columns",
        "rows",
        "build s",
        "HiGHS s",
        "HiGHS status",
        "HiGHS value",
        "HiGHS bound",
        "violations",
        "peak MiB",
        "fairshift stage 1 s",
        "fairshift status",
        "fairshift value",
        "agree",
    ]
    lines = _header(head)
    for row in rows:
        peer = row.get("highs")
        if peer is None:
            continue
        first = (row["fairshift"].get("stages") or [{}])[0]
        lines.append(
            _cells(
                [
                    row["instance"]["name"],
                    peer.get("variables", "-"),
                    peer.get("constraints", "-"),
                    _num(peer.get("build_seconds")),
                    _num(peer.get("seconds")),
                    peer.get("status", "-"),
                    _num(peer.get("value"), 3),
                    _num(peer.get("bound"), 3),
                    "-" if peer.get("violations") is None else peer["violations"],
                    _num(peer.get("peak_rss_mib"), 0),
                    _num(first.get("seconds")),
                    first.get("status", "-"),
                    _num(first.get("value"), 3),
                    agreement(peer, first),
                ]
            )
        )
    return lines


def agreement(peer: Row, first: Row) -> str:
    """Whether HiGHS and fairshift proved the same stage-1 optimum (``-`` unless both did)."""
    if peer.get("status") != "OPTIMAL" or first.get("status") != "OPTIMAL":
        return "-"
    return "yes" if abs(peer["value"] - first["value"]) < EPSILON else "NO"


def baselines_table(rows: list[Row]) -> list[str]:
    head = [
        "instance",
        "schedule",
        "time s",
        "violations",
        "unfilled",
        "max deviation",
        "min deviation",
        "std",
        "fairshift no worse",
    ]
    lines = _header(head)
    for row in rows:
        baselines = row.get("baselines") or []
        ours = row["fairshift"].get("fairness", {})
        if not baselines:
            continue
        lines.append(
            _cells(
                [
                    row["instance"]["name"],
                    "**fairshift**",
                    _num(row["fairshift"].get("seconds")),
                    row["fairshift"].get("violations", "-"),
                    0 if ours else "-",
                    _num(ours.get("max_deviation"), 3),
                    _num(ours.get("min_deviation"), 3),
                    _num(ours.get("std"), 3),
                    "",
                ]
            )
        )
        for baseline in baselines:
            theirs = baseline["fairness"]
            no_worse = "-"
            if "max_deviation" in ours and "max_deviation" in theirs:
                ok = ours["max_deviation"] <= theirs["max_deviation"] + EPSILON
                no_worse = "yes" if ok else "NO"
            lines.append(
                _cells(
                    [
                        "",
                        baseline["name"].replace("_", "-"),
                        _num(baseline["seconds"], 3),
                        baseline["violations"],
                        baseline["unfilled"],
                        _num(theirs.get("max_deviation"), 3),
                        _num(theirs.get("min_deviation"), 3),
                        _num(theirs.get("std"), 3),
                        no_worse,
                    ]
                )
            )
    return lines


def _stage_names(rows: list[Row]) -> list[str]:
    names: list[str] = []
    for row in rows:
        for stage in row["fairshift"].get("stages", []):
            if stage["name"] not in names:
                names.append(stage["name"])
    return names


def _header(columns: list[str]) -> list[str]:
    return [_cells(columns), _cells(["---"] * len(columns))]


def _cells(values: list[Any]) -> str:
    return "| " + " | ".join(str(v) for v in values) + " |"


def render(results: Row, notes: str) -> str:
    """RESULTS.md from the results dictionary."""
    rows: list[Row] = results["instances"]
    info, settings = results["machine"], results["settings"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated on {info['date']} by `{settings['command']}`: time limit "
        f"{settings['time_limit']:g} s per solve (HiGHS: {settings['highs_time_limit']:g} s), "
        f"team generator seed {settings['seed']}, solver seed {settings['solver_seed']}, "
        f"CP-SAT workers {settings['workers'] or 'default'}. Column meanings: `README.md`.",
        "",
        "## Machine",
        "",
        *_header(
            [
                "CPU",
                "cores",
                "RAM",
                "Python",
                "OR-Tools",
                "HiGHS",
                "fairshift",
                "commit",
                "load average (1, 5, 15 min) at start; at end",
            ]
        ),
        _cells(
            [
                info["cpu"],
                info["cores"],
                f"{info['memory_gib']} GiB",
                info["python"],
                info["ortools"],
                info["highs"],
                info["fairshift"],
                info["commit"],
                "; ".join(
                    " / ".join(str(x) for x in info[key])
                    for key in ("load_average", "load_average_at_end")
                    if key in info
                ),
            ]
        ),
        "",
        "## Targets",
        "",
        *_header(["target", "measured", "verdict"]),
        *(_cells(list(t)) for t in targets(rows, results.get("reference"), settings)),
        "",
        "## fairshift",
        "",
        "Stage times marked `*` stopped at the time limit before their proof.",
        "",
        *fairshift_table([row for row in rows if default_shape(row)]),
        "",
    ]
    patterned = [row for row in rows if not default_shape(row)]
    if patterned:
        lines += [
            "### Rotation patterns",
            "",
            "Scenarios with `[[shifts]]`: the bundled pattern examples (`example:NAME`) and "
            "synthetic follow-the-sun teams (`ftsSIZExWEEKS`). Their stage-4 categories are "
            "their own (`-`: a category the instance does not have).",
            "",
            *fairshift_table(patterned),
            "",
        ]
    lines += [
        "![Solve time and peak memory against team size](scaling.png)",
        "",
        "### Stages",
        "",
        "Values and bounds are days of burden for the deviation stages, squared quarter days "
        "for `sum_of_squares`, and shifts or days for the stage-4 categories "
        "(`*_excess`: the largest excess over the fair count among the eligible). "
        "`search steps` counts the neighbourhood-search steps that followed the full model "
        "(teams of more than 5).",
        "",
        *stages_table(rows),
        "",
    ]
    if any(row.get("cli") for row in rows):
        lines += [
            "## The command, timed",
            "",
            "`fairshift plan` run as a user runs it, from process start to exit, outputs "
            "written (the bundled example with its default limit, the others with "
            f"`--time-limit {settings.get('cli_limit', 10):g}`).",
            "",
            *cli_table(rows),
            "",
        ]
    if results.get("reference") or any(row.get("reference") for row in rows):
        commit = (
            (results.get("reference") or {}).get("commit")
            or settings.get("reference_run")
            or "the reference commit"
        )
        lines += [
            f"## Stage 1 against {commit}",
            "",
            "The largest deviation (days) as recorded in that commit's `results.json`, as its "
            "code gives it in this run on this machine, and as this code gives it. The same "
            "code can differ between runs: stages cut short by the clock depend on speed. "
            "Instances with rotation patterns are left out: code from before patterns cannot "
            "read them.",
            "",
            *reference_table(rows, results.get("reference")),
            "",
        ]
    if any(row.get("short") for row in rows):
        lines += ["## 4 to 32 engineers x 52 weeks in 10 s", "", *short_table(rows), ""]
    if any(row.get("workers") for row in rows):
        lines += [
            "## Workers",
            "",
            "The same solve with one worker and with `--workers N` (N whole one-worker "
            "solves side by side, the best kept), at the same time limit, in the same run. "
            "Lexicographic compares every stage's value in order.",
            "",
            *workers_table(rows),
            "",
        ]
    if any("highs" in row for row in rows):
        lines += [
            "## HiGHS on stage 1",
            "",
            "The same stage-1 model (largest deviation, every hard rule) as a MIP. `agree` "
            "compares the two proven optima. The MIP models the default shape only.",
            "",
            *highs_table(rows),
            "",
        ]
    if any(row.get("baselines") for row in rows):
        lines += [
            "## Baselines",
            "",
            "Fairness is measured the same way for every schedule (`fairshift.fairness`). "
            "Baselines ignore most hard rules; their violations are counted, not hidden.",
            "",
            *baselines_table(rows),
            "",
        ]
    else:
        lines += ["## Baselines", "", "`fairshift.baselines` was not available.", ""]
    lines += [NOTES_MARKER, notes.rstrip("\n")] if notes.strip() else [NOTES_MARKER]
    return "\n".join(lines).rstrip("\n") + "\n"


def plot(rows: list[Row], path: Path) -> None:
    """Solve time and peak memory against team size, per horizon, proven or not.

    The synthetic weekly teams are drawn per horizon; synthetic follow-the-sun teams, when
    the run has them, as a series of their own.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    synthetic = [r for r in rows if kind_of(r) in ("team", "follow-the-sun")]
    fig, (times, memory) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = {52: "tab:blue", 104: "tab:orange"}
    groups: list[tuple[str, str, list[Row]]] = []
    for kind, prefix in (("team", ""), ("follow-the-sun", "follow-the-sun, ")):
        of_kind = [r for r in synthetic if kind_of(r) == kind]
        for weeks in sorted({r["instance"]["weeks"] for r in of_kind}):
            colour = colours.get(weeks, "tab:gray") if kind == "team" else "tab:green"
            group = sorted(
                (r for r in of_kind if r["instance"]["weeks"] == weeks),
                key=lambda r: r["instance"]["engineers"],
            )
            groups.append((f"{prefix}{weeks} weeks", colour, group))
    for name, colour, group in groups:
        series: list[tuple[str, str, Callable[[Row], tuple[float | None, bool]]]] = [
            ("fairshift, all stages", "-o", _total),
            ("fairshift, stage 1", "--s", _stage_one),
            ("HiGHS, stage 1", ":^", _highs),
        ]
        for label, style, get in series:
            points = [(r["instance"]["engineers"], *get(r)) for r in group]
            points = [p for p in points if p[1] is not None]
            if not points:
                continue
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            times.plot(
                xs, ys, style, color=colour, label=f"{label}, {name}", markerfacecolor="none"
            )
            proven = [(x, y) for x, y, ok in points if ok]
            if proven:
                times.plot(*zip(*proven, strict=True), style[-1], color=colour)
        mem = [(r["instance"]["engineers"], r["fairshift"].get("peak_rss_mib")) for r in group]
        mem = [(x, y) for x, y in mem if y]
        if mem:
            memory.plot(*zip(*mem, strict=True), "-o", color=colour, label=name)
    for engineers, seconds in ((16, 5), (100, 30), (200, 60)):
        times.plot(engineers, seconds, "k_", markersize=18)
    times.set(
        xscale="log",
        yscale="log",
        xlabel="engineers",
        ylabel="seconds",
        title="Time to finish (filled: proven optimal; bars: targets at 104 weeks)",
    )
    memory.axhline(MEMORY_TARGET_MIB, color="k", linestyle=":", label="2 GiB target")
    memory.set(
        xscale="log",
        yscale="log",
        xlabel="engineers",
        ylabel="MiB",
        title="fairshift peak resident memory",
    )
    sizes = sorted({r["instance"]["engineers"] for r in synthetic})
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    for axis in (times, memory):
        if sizes:
            axis.set_xticks(sizes)
        axis.xaxis.set_major_formatter(plain)
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.yaxis.set_major_formatter(plain)
        axis.yaxis.set_minor_formatter(plain)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=7)
    for axis in (times, memory):
        axis.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _total(row: Row) -> tuple[float | None, bool]:
    ours = row["fairshift"]
    return (ours.get("seconds") or None), ours["status"] == "OPTIMAL"


def _stage_one(row: Row) -> tuple[float | None, bool]:
    first = (row["fairshift"].get("stages") or [{}])[0]
    return first.get("seconds"), first.get("status") == "OPTIMAL"


def _highs(row: Row) -> tuple[float | None, bool]:
    peer = row.get("highs") or {}
    return peer.get("seconds"), peer.get("status") == "OPTIMAL"


def reference(commit: str, time_limit: float) -> Row | None:
    """Stage-1 values per instance from ``commit``'s results.json, if solved at ``time_limit``."""
    if not commit:
        return None
    try:
        text = subprocess.run(
            ["git", "show", f"{commit}:benchmarks/results.json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    saved = json.loads(text)
    if saved.get("settings", {}).get("time_limit") != time_limit:
        return None
    values = {
        row["instance"]["name"]: row["fairshift"].get("objective")
        for row in saved.get("instances", [])
    }
    return {"commit": commit, "time_limit": time_limit, "stage1": values}


def write_outputs(results: Row, out: Path) -> None:
    """results.json, RESULTS.md (keeping notes below the marker) and scaling.png."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report = out / "RESULTS.md"
    notes = ""
    if report.exists():
        previous = report.read_text()
        if NOTES_MARKER in previous:
            notes = previous.split(NOTES_MARKER, 1)[1].lstrip("\n")
    report.write_text(render(results, notes))
    plot(results["instances"], out / "scaling.png")


# -- command line ---------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=list(SIZES),
        help="sizes of the synthetic weekly teams (none: leave them out)",
    )
    parser.add_argument("--weeks", type=int, nargs="+", default=list(HORIZONS))
    parser.add_argument(
        "--fts-sizes",
        type=int,
        nargs="*",
        default=None,
        metavar="N",
        help="sizes of the synthetic follow-the-sun teams, at least 12 (default 12 48; "
        "12 with --quick; none: leave them out)",
    )
    parser.add_argument(
        "--fts-weeks",
        type=int,
        nargs="+",
        default=list(FTS_HORIZONS),
        metavar="W",
        help="horizons of the follow-the-sun teams in weeks (default 52)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds for one fairshift solve, model build included (default 60; 10 with --quick)",
    )
    parser.add_argument(
        "--highs-time-limit",
        type=float,
        default=None,
        help="seconds for HiGHS (default: --time-limit)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 4, 8 and 16 engineers, follow-the-sun 12 x 52, 10 s limits",
    )
    parser.add_argument("--seed", type=int, default=0, help="team generator seed")
    parser.add_argument("--solver-seed", type=int, default=0)
    parser.add_argument(
        "--workers", type=int, default=None, help="CP-SAT workers (default: fairshift's default)"
    )
    parser.add_argument(
        "--work-limit",
        type=float,
        default=None,
        help="CP-SAT deterministic work budget per solve (makes cut-short solves reproducible)",
    )
    parser.add_argument(
        "--determinism-up-to",
        type=int,
        default=16,
        metavar="N",
        help="solve teams of at most N engineers twice (default 16)",
    )
    parser.add_argument(
        "--reproducible-up-to",
        type=int,
        default=16,
        metavar="N",
        help="solve teams of at most N engineers twice under --reproducible-work (default 16)",
    )
    parser.add_argument(
        "--reproducible-work",
        type=float,
        default=5.0,
        metavar="W",
        help="work limit of the reproducibility check (default 5; 0 skips it)",
    )
    parser.add_argument(
        "--compare-workers",
        type=int,
        default=2,
        metavar="N",
        help="solve each instance again with N workers, side by side (default 2; 1 skips it)",
    )
    parser.add_argument(
        "--quick-limit",
        type=float,
        default=10.0,
        metavar="S",
        help="solve 4-32 engineers x 52 weeks again with this limit (default 10; 0 skips it)",
    )
    parser.add_argument(
        "--cli-limit",
        type=float,
        default=10.0,
        metavar="S",
        help="time `fairshift plan` with this limit on each instance (default 10)",
    )
    parser.add_argument("--no-cli", action="store_true", help="skip timing `fairshift plan`")
    parser.add_argument(
        "--reference",
        default=BEFORE_PATTERNS,
        metavar="COMMIT",
        help="compare stage-1 values with this commit's results.json and, with "
        f"--reference-run, its code (default {BEFORE_PATTERNS}, the last before rotation "
        "patterns)",
    )
    parser.add_argument(
        "--reference-run",
        action="store_true",
        help="also solve every default-shape instance with the --reference commit's code, "
        "side by side",
    )
    parser.add_argument(
        "--no-example",
        action="store_true",
        help="skip the bundled examples (pacific-infra and the pattern examples)",
    )
    parser.add_argument(
        "--no-patterns",
        action="store_true",
        help="skip the rotation-pattern instances (pattern examples, follow-the-sun teams)",
    )
    parser.add_argument("--no-highs", action="store_true", help="skip the HiGHS peer")
    parser.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="re-render RESULTS.md and the plot from results.json",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baselines", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [4, 8, 16]
    if args.fts_sizes is None:
        args.fts_sizes = [12] if args.quick else list(FTS_SIZES)
    small = [size for size in args.fts_sizes if size < 12]
    if small:
        parser.error(f"--fts-sizes: a follow-the-sun team needs at least 12 engineers, got {small}")
    if args.time_limit is None:
        args.time_limit = 10.0 if args.quick else 60.0
    if args.highs_time_limit is None:
        args.highs_time_limit = args.time_limit
    positive = {
        "--time-limit": (args.time_limit, "seconds"),
        "--highs-time-limit": (args.highs_time_limit, "seconds"),
        "--work-limit": (args.work_limit, "work units"),
    }
    for option, (value, unit) in positive.items():
        if value is not None and not 0 < value < float("inf"):
            parser.error(f"{option} must be a positive number of {unit}, got {value}")
    if not 0 <= args.reproducible_work < float("inf"):
        parser.error(
            f"--reproducible-work must be 0 (skip the check) or a positive number of work "
            f"units, got {args.reproducible_work}"
        )
    for option, count in (
        ("--determinism-up-to", args.determinism_up_to),
        ("--reproducible-up-to", args.reproducible_up_to),
    ):
        if count < 0:
            parser.error(f"{option} must be 0 or a number of engineers, got {count}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        row = CHILDREN[args.child](Instance(**json.loads(args.instance)), args)
        args.result.write_text(json.dumps(row))
        return 0
    if args.report_only:
        saved = args.out / "results.json"
        if not saved.is_file():
            print(
                f"run.py: error: --report-only needs {saved} from an earlier run; "
                "run the benchmarks first or pass --out to the folder that has it",
                file=sys.stderr,
            )
            return 2
        results = json.loads(saved.read_text())
        write_outputs(results, args.out)
        return 0

    args.reference_source = None
    if args.reference_run and args.reference:
        try:
            args.reference_source = export_source(args.reference)
        except (OSError, subprocess.CalledProcessError, tarfile.TarError) as error:
            detail = getattr(error, "stderr", None) or str(error)
            if isinstance(detail, bytes):
                detail = detail.decode(errors="replace")
            print(
                f"run.py: error: cannot export the code of {args.reference}: {detail.strip()}",
                file=sys.stderr,
            )
            return 2
    instances = choose_instances(args)
    results: Row = {
        "machine": machine(),
        "settings": {
            "command": " ".join(["python benchmarks/run.py", *(argv or sys.argv[1:])]),
            "time_limit": args.time_limit,
            "highs_time_limit": args.highs_time_limit,
            "seed": args.seed,
            "solver_seed": args.solver_seed,
            "workers": args.workers,
            "work_limit": args.work_limit,
            "compare_workers": args.compare_workers,
            "quick_limit": args.quick_limit,
            "cli_limit": args.cli_limit,
            "reference_run": args.reference if args.reference_source is not None else None,
        },
        "reference": reference(args.reference, args.time_limit),
        "instances": [],
    }
    try:
        run_all(instances, args, results)
    finally:
        if args.reference_source is not None:
            shutil.rmtree(args.reference_source.parent, ignore_errors=True)
    print(f"wrote {args.out / 'RESULTS.md'}")
    return 0


def choose_instances(args: argparse.Namespace) -> list[Instance]:
    """The instances of this run, in order: examples, weekly teams, follow-the-sun teams."""
    instances = []
    if not args.no_example:
        names = ["example"]
        if not args.no_patterns:
            names += [f"example:{name}" for name in PATTERN_EXAMPLES]
        instances += [
            Instance.example(name.partition(":")[2] or None)
            for name in names
            if example_path(name).exists()
        ]
    instances += [
        Instance.synthetic(size, weeks, args.seed)
        for weeks in sorted(args.weeks)
        for size in sorted(args.sizes)
    ]
    if not args.no_patterns:
        instances += [
            Instance.follow_the_sun(size, weeks, args.seed)
            for weeks in sorted(args.fts_weeks)
            for size in sorted(args.fts_sizes)
        ]
    return instances


def export_source(commit: str) -> Path:
    """The ``src`` folder of ``commit``, exported to a new temporary folder.

    ``git archive`` reads the commit alone: the repository's worktrees, index and checkout
    stay as they are. The caller removes the exported folder's parent.
    """
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="fairshift-reference-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
                tar.extractall(folder, filter="data")
            else:
                tar.extractall(folder)  # the repository's own commit: trusted
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder / "src"


def run_all(instances: list[Instance], args: argparse.Namespace, results: Row) -> None:
    """Measure every instance, writing the results after each (an interrupted run keeps them)."""
    width = max((len(instance.name) for instance in instances), default=8)
    for instance in instances:
        started = time.perf_counter()
        row = measure(instance, args)
        results["instances"].append(row)
        ours = row["fairshift"]
        print(
            f"{instance.name:>{width}}: {ours['status']:<11} {_num(ours.get('seconds')):>7} s, "
            f"max deviation {_num(ours.get('objective'), 3)} (bound {_num(ours.get('bound'), 3)})"
            f", {proven_text(row)}; {time.perf_counter() - started:.0f} s with checks",
            flush=True,
        )
        write_outputs(results, args.out)  # partial results survive an interrupted run
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_outputs(results, args.out)


if __name__ == "__main__":
    sys.exit(main())
