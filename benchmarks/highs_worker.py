"""Solve a MIP given as arrays with HiGHS (``highspy``), in a process of its own.

OR-Tools ships its own ``libhighs.so.1``, of another HiGHS version than ``highspy``'s, and
the two libraries cannot be loaded into one process: whichever comes first answers for
both, and the other fails on a missing symbol. This script therefore imports neither
OR-Tools nor fairshift; ``highs_peer.py`` builds the model, saves it with
:func:`save_model` and runs::

    python benchmarks/highs_worker.py MODEL.npz RESULT.json
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Arrays of a model file: columns, integrality, rows in compressed sparse row form.
ARRAYS = (
    "col_lower",
    "col_upper",
    "col_cost",
    "integer",
    "row_lower",
    "row_upper",
    "starts",
    "indices",
    "values",
)


def save_model(path: Path, arrays: dict[str, np.ndarray], options: dict[str, Any]) -> None:
    """Write a model (the :data:`ARRAYS`) and HiGHS options to ``path`` (``.npz``)."""
    missing = [name for name in ARRAYS if name not in arrays]
    if missing:
        raise ValueError(f"model arrays lack {', '.join(missing)}")
    np.savez(path, options=np.array(json.dumps(options)), **arrays)


def solve(model_path: Path) -> dict[str, Any]:
    """Minimise the model in ``model_path``; return status, bound, time and the solution."""
    import highspy

    data = np.load(model_path)
    options: dict[str, Any] = json.loads(str(data["options"]))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for name, value in options.items():
        h.setOptionValue(name, value)
    n = len(data["col_lower"])
    h.addVars(n, data["col_lower"], data["col_upper"])
    h.changeColsCost(n, np.arange(n, dtype=np.int32), data["col_cost"])
    integer = data["integer"].astype(np.int32)
    kind = np.full(len(integer), highspy.HighsVarType.kInteger.value, dtype=np.uint8)
    h.changeColsIntegrality(len(integer), integer, kind)
    h.addRows(
        len(data["row_lower"]),
        data["row_lower"],
        data["row_upper"],
        len(data["indices"]),
        data["starts"].astype(np.int32),
        data["indices"].astype(np.int32),
        data["values"],
    )
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    info = h.getInfo()
    feasible = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    return {
        "status": h.modelStatusToString(status),
        "optimal": status == highspy.HighsModelStatus.kOptimal,
        "infeasible": status == highspy.HighsModelStatus.kInfeasible,
        "bound": float(info.mip_dual_bound),
        "objective": float(info.objective_function_value) if feasible else None,
        "nodes": int(info.mip_node_count),
        "seconds": seconds,
        "solution": list(h.getSolution().col_value) if feasible else None,
        "version": h.version(),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: highs_worker.py MODEL.npz RESULT.json", file=sys.stderr)
        return 2
    result = solve(Path(argv[0]))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
