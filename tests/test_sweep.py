"""Sweeps: many what-if scenarios solved in parallel, identical whichever executor runs them."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

import fairshift as fs
from conftest import engineer, scenario


def variants() -> dict[str, fs.Scenario]:
    base = scenario(weeks=6)
    return {
        "base": base,
        "bo on leave": base.with_leave(
            "bo",
            base.rotation.start + dt.timedelta(weeks=2),
            base.rotation.start + dt.timedelta(weeks=3),
        ),
        "new hire": base.with_engineer(engineer("eli", "mid")),
        "impossible": base.with_rules(max_consecutive_weeks=1).without("di").without("cy"),
    }


def test_sweep_lines_up_variants_and_reports_infeasible_ones() -> None:
    """Each variant gets a row; the infeasible one has its reason instead of raising."""
    table = fs.sweep(variants(), executor=ThreadPoolExecutor(2), time_limit=20)
    assert list(table.index) == ["base", "bo on leave", "new hire", "impossible"]
    assert table.loc["base", "status"] == "OPTIMAL"
    assert table.loc["impossible", "status"] == "INFEASIBLE"
    assert "conflict" in table.loc["impossible", "reason"]
    assert (table.loc[["base", "bo on leave", "new hire"], "violations"] == 0).all()
    assert table.loc["base", "weeks_changed"] == "no change"
    assert "eli +" in table.loc["new hire", "weeks_changed"]


def test_process_pool_and_threads_give_identical_tables() -> None:
    """The default process pool and a thread pool give the same numbers."""
    subset = {k: v for k, v in variants().items() if k != "new hire"}
    threads = fs.sweep(subset, executor=ThreadPoolExecutor(2), time_limit=20)
    processes = fs.sweep(subset, time_limit=20)
    columns = ["status", "violations", "max_deviation", "weeks_changed"]
    assert threads[columns].equals(processes[columns])


def test_dask_cluster_gives_the_same_table() -> None:
    """A real distributed.LocalCluster runs the sweep with the same result."""
    distributed = pytest.importorskip("distributed")
    subset = {k: v for k, v in variants().items() if k in ("base", "bo on leave")}
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = fs.sweep(subset, executor=client.get_executor(), time_limit=20)
    local = fs.sweep(subset, executor=ThreadPoolExecutor(1), time_limit=20)
    columns = ["status", "violations", "max_deviation", "weeks_changed"]
    assert remote[columns].equals(local[columns])
