"""Pipeline ownership: a primary and a backup owner per pipeline, assigned with CP-SAT.

Rules: the owner and the backup owner are different engineers; an investor-facing pipeline's
owner has at least ``[ownership] investor_min_seniority``; owners named in the scenario are
kept (and checked). Among the assignments that satisfy the rules, the largest ownership load
per unit of working time is minimised, an ownership counting twice as much as a backup.
"""

from __future__ import annotations

import dataclasses
import math

from ortools.sat.python import cp_model

from .errors import FairshiftError, ScenarioError
from .runner import plain_solver, run
from .scenario import Scenario
from .team import Pipeline

#: Load of being a pipeline's owner and of being its backup owner.
OWNER_LOAD, BACKUP_LOAD = 2, 1


def _check_given(scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` for a named owner who is not senior enough.

    Unknown handles are already refused when the scenario is built.
    """
    minimum = scenario.ownership.investor_min_seniority
    for i, pipeline in enumerate(scenario.pipelines):
        owner = pipeline.owner
        if owner and pipeline.investor_facing:
            level = scenario.engineer(owner).seniority
            if level < minimum:
                raise ScenarioError(
                    f"pipelines[{i}].owner",
                    f"{owner!r} is {level.label} but {pipeline.name!r} is investor-facing",
                    f"name an owner who is {minimum.label} or above",
                )


def ownership_load(scenario: Scenario, pipelines: tuple[Pipeline, ...]) -> dict[str, int]:
    """Ownership load per engineer.

    Each ownership counts :data:`OWNER_LOAD`, each backup ownership :data:`BACKUP_LOAD`.
    """
    load = dict.fromkeys(scenario.handles, 0)
    for pipeline in pipelines:
        if pipeline.owner in load:
            load[pipeline.owner] += OWNER_LOAD
        if pipeline.backup_owner in load:
            load[pipeline.backup_owner] += BACKUP_LOAD
    return load


def assign_owners(
    scenario: Scenario, *, seed: int = 0, time_limit: float = 10.0
) -> tuple[Pipeline, ...]:
    """Give every pipeline an owner and a backup owner.

    Parameters
    ----------
    scenario
        Team, pipelines and the ownership policy; owners it names are kept.
    seed
        Random seed (same inputs and seed, same owners).
    time_limit
        Seconds for the solver.

    Returns
    -------
    tuple of Pipeline
        The scenario's pipelines, in order, with ``owner`` and ``backup_owner`` filled. The
        largest load divided by fte is as small as possible (see :func:`ownership_load`).

    Raises
    ------
    ScenarioError
        A named owner is not senior enough for an investor-facing pipeline.
    FairshiftError
        No assignment satisfies the rules (e.g. nobody senior enough, or a single engineer).

    Examples
    --------
    >>> import fairshift as fs
    >>> s = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
    >>> [(p.name, p.owner, p.backup_owner) for p in fs.assign_owners(s)]  # doctest: +SKIP
    """
    _check_given(scenario)
    pipelines = scenario.pipelines
    if not pipelines:
        return ()
    minimum = scenario.ownership.investor_min_seniority
    handles = scenario.handles
    model = cp_model.CpModel()
    owner = {
        (p, h): model.new_bool_var(f"owner:{p}:{h}") for p in range(len(pipelines)) for h in handles
    }
    backup = {
        (p, h): model.new_bool_var(f"backup:{p}:{h}")
        for p in range(len(pipelines))
        for h in handles
    }
    for p, pipeline in enumerate(pipelines):
        model.add_exactly_one(owner[p, h] for h in handles)
        model.add_exactly_one(backup[p, h] for h in handles)
        for h in handles:
            model.add(owner[p, h] + backup[p, h] <= 1)
            if pipeline.investor_facing and scenario.engineer(h).seniority < minimum:
                model.add(owner[p, h] == 0)
        if pipeline.owner:
            model.add(owner[p, pipeline.owner] == 1)
        if pipeline.backup_owner:
            model.add(backup[p, pipeline.backup_owner] == 1)
    # load / fte in exact integers: multiply every ratio by the lcm of the fte numerators.
    ftes = {e.handle: e.fte for e in scenario.engineers}
    scale = math.lcm(*(f.numerator for f in ftes.values()))
    most = OWNER_LOAD * len(pipelines) * max(f.denominator for f in ftes.values()) * scale
    largest = model.new_int_var(0, most, "largest_load")
    squares = []
    for h in handles:
        load = sum(
            OWNER_LOAD * owner[p, h] + BACKUP_LOAD * backup[p, h] for p in range(len(pipelines))
        )
        factor = ftes[h].denominator * scale // ftes[h].numerator
        relative = model.new_int_var(0, most, f"load:{h}")
        model.add(relative == factor * load)
        model.add(relative <= largest)
        square = model.new_int_var(0, most * most, f"load_squared:{h}")
        model.add_multiplication_equality(square, [relative, relative])
        squares.append(square)
    # Lexicographic: first the largest relative load, then the sum of squares, so that once
    # the largest is fixed (often by the only senior) the others still share evenly.
    model.minimize((len(handles) * most * most + 1) * largest + sum(squares))
    solver = plain_solver(time_limit, seed=seed)
    status = run(solver, model)
    if status == cp_model.INFEASIBLE:
        seniors = [e.handle for e in scenario.engineers if e.seniority >= minimum]
        raise FairshiftError(
            f"no owner assignment satisfies the rules: {len(handles)} engineer(s), "
            f"{len(seniors)} of them {minimum.label} or above for the investor-facing "
            "pipelines; every pipeline needs two different owners"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise FairshiftError(f"no owner assignment found within {time_limit:g} s")
    result = []
    for p, pipeline in enumerate(pipelines):
        first = next(h for h in handles if solver.value(owner[p, h]))
        second = next(h for h in handles if solver.value(backup[p, h]))
        result.append(dataclasses.replace(pipeline, owner=first, backup_owner=second))
    return tuple(result)
