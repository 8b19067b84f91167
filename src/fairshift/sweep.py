"""Solve many scenarios in parallel and line them up: what-if analysis at scale.

Any :class:`concurrent.futures.Executor` runs the solves: a local process pool by default,
or a Dask cluster through ``distributed.Client(...).get_executor()``. Each solve is
deterministic for its seed, so the table is the same whichever executor runs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed

import pandas as pd

from .compare import Outcome, compare
from .errors import FairshiftError, InfeasibleError, NoSolutionFoundError
from .scenario import Scenario

#: ``on_done(name, finished, total)``, called as each solve finishes.
OnDone = Callable[[str, int, int], None]


def solve_outcome(scenario: Scenario, time_limit: float, seed: int) -> Outcome:
    """Solve one scenario; a scenario without a schedule gives its error instead of raising."""
    from .solve import solve

    try:
        return solve(scenario, time_limit=time_limit, seed=seed)
    except (InfeasibleError, NoSolutionFoundError) as error:
        return error


def _named(scenarios: Mapping[str, Scenario] | Sequence[Scenario]) -> dict[str, Scenario]:
    if isinstance(scenarios, Mapping):
        return dict(scenarios)
    named: dict[str, Scenario] = {}
    for scenario in scenarios:
        name, n = scenario.rotation.name, 2
        while name in named:
            name, n = f"{scenario.rotation.name} ({n})", n + 1
        named[name] = scenario
    return named


def sweep(
    scenarios: Mapping[str, Scenario] | Sequence[Scenario],
    *,
    executor: Executor | None = None,
    time_limit: float = 60.0,
    seed: int = 0,
    on_done: OnDone | None = None,
) -> pd.DataFrame:
    """Solve every scenario and return the :func:`~fairshift.compare` table.

    Parameters
    ----------
    scenarios
        ``{name: scenario}``, or a sequence (named by rotation name). The first one is the
        reference for the ``weeks_changed`` column.
    executor
        Where to run the solves; default a local process pool with one process per core.
        A Dask cluster works through ``distributed.Client(address).get_executor()``.
    time_limit, seed
        Passed to :func:`fairshift.solve` for each scenario.
    on_done
        Progress callback ``(name, finished, total)``.

    Returns
    -------
    pandas.DataFrame
        One row per scenario (infeasible ones show their reason instead of raising), with
        the comparison metrics plus ``weeks_changed`` against the first scenario.
    """
    named = _named(scenarios)
    if not named:
        raise FairshiftError("sweep needs at least one scenario")
    owned = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=min(len(named), os.cpu_count() or 1))
    try:
        futures: dict[str, Future[Outcome]] = {
            name: pool.submit(solve_outcome, scenario, time_limit, seed)
            for name, scenario in named.items()
        }
        outcomes: dict[str, Outcome] = {}
        by_future = {future: name for name, future in futures.items()}
        for finished, future in enumerate(as_completed(by_future), 1):
            name = by_future[future]
            outcomes[name] = future.result()
            if on_done is not None:
                on_done(name, finished, len(named))
    finally:
        if owned:
            pool.shutdown()
    return compare({name: outcomes[name] for name in named})
