"""The hard rules: one object each, listed once in :data:`REGISTRY`.

The CP-SAT model, the independent validator, the explanation of infeasibility, the warm
start and the baselines all read this list (see :mod:`fairshift.rules.base`), each rule's
id and human name included.
"""

from __future__ import annotations

from .availability import EMPLOYMENT, LEAVE, WORKING_HOURS
from .base import ModelContext, RowContext, Rule, Violation
from .holidays import HOLIDAYS
from .rest import MAX_IN_A_ROW, MIN_REST, NO_REPEAT
from .seniority import PAIRING, PERIOD, SENIORITY
from .shifts import APART, COVERAGE, OVERLAP

#: Every hard rule, in the order the model states them and the validator reports them.
REGISTRY: tuple[Rule, ...] = (
    COVERAGE,
    OVERLAP,
    APART,
    LEAVE,
    EMPLOYMENT,
    WORKING_HOURS,
    NO_REPEAT,
    MAX_IN_A_ROW,
    MIN_REST,
    PAIRING,
    SENIORITY,
    PERIOD,
    HOLIDAYS,
)

#: Rule id -> human name.
RULES: dict[str, str] = {rule.id: rule.name for rule in REGISTRY}

#: Rule id -> rule.
BY_ID: dict[str, Rule] = {rule.id: rule for rule in REGISTRY}

#: The rules that keep an engineer off a duty outright, with their reasons.
FORBIDDING: tuple[Rule, ...] = tuple(rule for rule in REGISTRY if rule.forbids is not None)

__all__ = [
    "BY_ID",
    "FORBIDDING",
    "REGISTRY",
    "RULES",
    "ModelContext",
    "RowContext",
    "Rule",
    "Violation",
]
