"""Build the CP-SAT model of a scenario: variables, every hard rule, the fairness terms.

:func:`build_model` is shared by the solver (:mod:`fairshift.solve`), re-planning
(:mod:`fairshift.replan`) and the diagnosis of infeasible scenarios
(:mod:`fairshift.diagnose`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..calendar import ShiftCalendar, expand
from ..errors import NoSolutionFoundError
from ..rules import REGISTRY, ModelContext
from ..runner import Deadline
from ..scenario import Scenario
from .objective import Objective
from .variables import Variables


@dataclass
class BuiltModel:
    """A CP-SAT model of a scenario with its variables and objective expressions."""

    model: cp_model.CpModel
    vars: Variables
    calendar: ShiftCalendar
    context: ModelContext
    objective: Objective | None


def build_model(
    scenario: Scenario, *, explain: bool = False, deadline: Deadline | None = None
) -> BuiltModel:
    """Build the model: variables, every hard rule of :data:`~fairshift.rules.REGISTRY`, fairness.

    With ``explain=True`` every rule instance is guarded by an assumption literal and the
    fairness terms are left out, so that a conflict can only come from the hard rules.

    Raises
    ------
    NoSolutionFoundError
        When ``deadline`` passes before the model is built.
    """
    calendar = expand(scenario)
    model = cp_model.CpModel()
    variables = Variables(model, calendar)
    context = ModelContext(model, variables, calendar, explain=explain)
    for rule in REGISTRY:
        _check(deadline)
        rule.encode(context)
    _check(deadline)
    objective = None if explain else Objective(model, variables, calendar)
    return BuiltModel(model, variables, calendar, context, objective)


def _check(deadline: Deadline | None) -> None:
    if deadline is not None and deadline.expired():
        raise NoSolutionFoundError(
            "the time limit ran out while building the model, before any schedule was "
            "searched for; raise the time limit"
        )
