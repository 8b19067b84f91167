"""Why is there no schedule? Find a small set of conflicting facts with CP-SAT assumptions.

Every instance of every hard rule gets its own enforcement literal; CP-SAT, solving without
the objective, returns assumptions that suffice for infeasibility, and a deletion pass shrinks
them to a minimal core while time allows. The core's facts are already sentences.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from .explain import Explanation, Fact, Relaxation
from .model.build import build_model
from .runner import plain_solver, run
from .scenario import Scenario

#: Above this many facts in the first core, the deletion pass is skipped.
MAX_CORE_TO_SHRINK = 200


def _infeasible(
    model: cp_model.CpModel, literals: list[cp_model.IntVar], seconds: float
) -> tuple[bool, list[int]]:
    """Solve under ``literals`` as assumptions; return (proven infeasible, core indices)."""
    model.clear_assumptions()
    model.add_assumptions(literals)
    solver = plain_solver(max(seconds, 0.05))  # cores from assumptions need one worker
    status = run(solver, model)
    if status != cp_model.INFEASIBLE:
        return False, []
    return True, list(solver.sufficient_assumptions_for_infeasibility())


def explain_infeasible(scenario: Scenario, *, time_limit: float = 20.0) -> Explanation:
    """Explain why ``scenario`` has no schedule.

    Returns
    -------
    Explanation
        The conflicting facts (minimal when the deletion pass finished), in plain sentences.
    """
    deadline = time.perf_counter() + time_limit
    built = build_model(scenario, explain=True)
    model, context = built.model, built.context
    by_index = {lit.index: lit for lit in context.assumptions}
    proven, core = _infeasible(model, context.assumptions, deadline - time.perf_counter())
    if not proven:
        return Explanation((), summary="No schedule was found, but no conflict was proven either.")
    core = [i for i in core if i in by_index]
    minimal = False
    if len(core) <= MAX_CORE_TO_SHRINK:
        minimal = True
        kept = list(core)
        for index in list(core):
            if time.perf_counter() > deadline:
                minimal = False
                break
            trial = [i for i in kept if i != index]
            still, smaller = _infeasible(
                model, [by_index[i] for i in trial], min(5.0, deadline - time.perf_counter())
            )
            if still:
                kept = [i for i in trial if not smaller or i in set(smaller)] or trial
        core = kept
    relaxations = []
    everything = list(context.assumptions)
    for index in core:
        if time.perf_counter() > deadline:
            break
        # A fact of the conflict is a single relaxation only if the whole scenario, not just
        # the conflict, becomes feasible without it.
        others = [lit for lit in everything if lit.index != index]
        if _feasible(model, others, min(5.0, deadline - time.perf_counter())):
            fact = context.facts[index]
            relaxations.append(Relaxation(fact.rule, relaxation_text(fact, scenario)))
    facts = sorted((context.facts[i] for i in core), key=_fact_order)
    return Explanation(
        tuple(facts),
        minimal=minimal,
        # Two facts can call for the same change (a week's primary and secondary coverage).
        relaxations=tuple(sorted(set(relaxations), key=lambda r: (r.sentence, r.rule))),
    )


def _feasible(model: cp_model.CpModel, literals: list[cp_model.IntVar], seconds: float) -> bool:
    model.clear_assumptions()
    model.add_assumptions(literals)
    return run(plain_solver(max(seconds, 0.05)), model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def relaxation_text(fact: Fact, scenario: Scenario) -> str:
    """The change that drops ``fact``, in the team's words (from its rule's template)."""
    from .calendar import expand
    from .rules import BY_ID
    from .rules.base import seat_label, turn_phrase

    names = [scenario.engineer(h).name for h in fact.engineers if h in scenario.handles]
    who = " and ".join(names) or "someone"
    calendar = expand(scenario)
    duty = next(
        (
            d
            for d in calendar.duties
            if d.id == fact.slot and (not fact.seat or d.seat_id == fact.seat)
        ),
        None,
    )
    where = turn_phrase(calendar, duty.turn, duty.shift) if duty else "the horizon"
    seat = seat_label(calendar, duty) if duty else "seat"
    rule = BY_ID.get(fact.rule)
    if rule is None:
        return f"relax: {fact.sentence}"
    return rule.relaxation.format(who=who, where=where, seat=seat)


def _fact_order(fact: Fact) -> tuple[str, str, str]:
    return (fact.slot, fact.rule, fact.sentence)
