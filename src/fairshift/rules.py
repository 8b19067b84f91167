"""The catalogue of hard rules: one id and one human name each.

The CP-SAT model (``fairshift.model.constraints``) has one function per rule and the
validator (``fairshift.validate``) one independent check per rule, both keyed by these ids.
"""

from __future__ import annotations

RULES: dict[str, str] = {
    "coverage": "Every shift has exactly one holder",
    "separation": "Primary and secondary are different people in a week",
    "month_end_separation": "The month-end holder is not the weekly primary on those days",
    "leave": "Nobody is on call during their leave",
    "employment": "Nobody is on call before joining or after leaving",
    "primary_back_to_back": "Nobody is primary two weeks running",
    "max_consecutive_weeks": "Nobody is on call more consecutive weeks than allowed",
    "junior_primary_pairing": "A junior primary has a senior-enough secondary",
    "month_end_seniority": "The month-end holder is senior enough",
    "public_holiday": "Nobody is primary over their own public holiday",
}
