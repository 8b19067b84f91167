"""Fairness metrics on plain loads: score any rota, solved by fairshift or not.

Every function takes ``loads`` (a mapping ``{engineer: load}`` or a sequence of loads) and,
optionally, ``shares``: each engineer's fair share in the same units, in the same keys or
order. Without shares the total is split equally, so the share of everyone is the mean load.

Two views of a load are used:

- the *deviation* ``load - share`` (in the loads' units, e.g. days): :func:`max_deviation`,
  :func:`min_deviation`, :func:`deviation_range`, :func:`variance`, :func:`std` and
  :func:`leximax`;
- the *relative load* ``load / share`` (1 is exactly fair): :func:`coefficient_of_variation`,
  :func:`gini`, :func:`jain_index` and :func:`balance_score`. This is Jain's "normalised
  allocation"; it lets a part-timer's half share count as fair. Engineers whose share is zero
  (nobody expects anything of them) are left out, unless they carry a load.

Results are exact :class:`~fractions.Fraction` values wherever the metric is rational (floats
in the input are read exactly), so ties are ties; only :func:`std` and
:func:`coefficient_of_variation` take a square root and return a float.

Examples
--------
>>> from fairshift import metrics
>>> loads = {"ana": 1, "bo": 1, "cy": 4}
>>> metrics.max_deviation(loads), metrics.gini(loads), metrics.jain_index(loads)
(Fraction(2, 1), Fraction(1, 3), Fraction(2, 3))
>>> metrics.leximax(loads)
(Fraction(2, 1), Fraction(-1, 1), Fraction(-1, 1))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any

#: A load or a share: any real number; floats are read exactly.
Number = int | float | Fraction
#: Loads (or shares) per engineer, keyed by handle or in a fixed order.
Loads = Mapping[Any, Number] | Sequence[Number]

#: Keys of :func:`summarize`, in order.
SUMMARY_KEYS = (
    "max_deviation",
    "min_deviation",
    "deviation_range",
    "std",
    "cv",
    "gini",
    "jain",
    "balance",
    "leximax",
)


def _exact(value: object, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} {value!r} is not a number")
    try:
        if isinstance(value, numbers.Rational):
            return Fraction(int(value.numerator), int(value.denominator))
        return Fraction(float(value))
    except (OverflowError, ValueError):
        raise ValueError(f"{what} {value!r} is not a finite number") from None


def _pairs(loads: Loads, shares: Loads | None) -> list[tuple[str, Fraction, Fraction]]:
    """``(label, load, share)`` per engineer, exact; shares default to the mean load."""
    if isinstance(loads, Mapping):
        keys: list[Any] = list(loads)
        labels = [repr(k) for k in keys]
        values = [
            _exact(loads[k], f"load of {label}") for k, label in zip(keys, labels, strict=True)
        ]
    else:
        keys = list(range(len(loads)))
        labels = [f"#{i}" for i in keys]
        values = [_exact(v, f"load #{i}") for i, v in enumerate(loads)]
    if not values:
        raise ValueError("no loads given; pass at least one engineer's load")
    if shares is None:
        mean = sum(values, Fraction(0)) / len(values)
        return [(label, v, mean) for label, v in zip(labels, values, strict=True)]
    if isinstance(loads, Mapping):
        if not isinstance(shares, Mapping) or set(shares) != set(keys):
            raise ValueError(
                "shares must be a mapping with the same keys as loads "
                f"({', '.join(map(str, keys))})"
            )
        fair = [
            _exact(shares[k], f"share of {label}") for k, label in zip(keys, labels, strict=True)
        ]
    else:
        if isinstance(shares, Mapping) or len(shares) != len(values):
            raise ValueError(f"shares must be a sequence of {len(values)} numbers, like loads")
        fair = [_exact(s, f"share #{i}") for i, s in enumerate(shares)]
    for label, share in zip(labels, fair, strict=True):
        if share < 0:
            raise ValueError(f"share of {label} is {share}; shares must be 0 or more")
    return list(zip(labels, values, fair, strict=True))


def _deviations(loads: Loads, shares: Loads | None) -> list[Fraction]:
    return [load - share for _, load, share in _pairs(loads, shares)]


def _relative(loads: Loads, shares: Loads | None) -> list[Fraction]:
    """Relative loads ``load / share`` of engineers with a positive share."""
    relative = []
    for key, load, share in _pairs(loads, shares):
        if load < 0:
            raise ValueError(
                f"load of {key} is {load}; relative metrics (Gini, Jain, balance, CV) need loads "
                "of 0 or more"
            )
        if share > 0:
            relative.append(load / share)
        elif load > 0:
            raise ValueError(
                f"load of {key} is {load} but its fair share is 0; a relative load is undefined"
            )
    return relative


def max_deviation(loads: Loads, shares: Loads | None = None) -> Fraction:
    """Largest ``load - share``: how far the most loaded engineer is above fair.

    Examples
    --------
    >>> max_deviation([3, 5], shares=[4, 4])
    Fraction(1, 1)
    """
    return max(_deviations(loads, shares))


def min_deviation(loads: Loads, shares: Loads | None = None) -> Fraction:
    """Smallest ``load - share``: how far the least loaded engineer is below fair.

    Examples
    --------
    >>> min_deviation([3, 5])
    Fraction(-1, 1)
    """
    return min(_deviations(loads, shares))


def deviation_range(loads: Loads, shares: Loads | None = None) -> Fraction:
    """``max_deviation - min_deviation`` (with equal shares: max load - min load).

    Examples
    --------
    >>> deviation_range({"ana": 2.5, "bo": 1})
    Fraction(3, 2)
    """
    deviations = _deviations(loads, shares)
    return max(deviations) - min(deviations)


def variance(loads: Loads, shares: Loads | None = None) -> Fraction:
    """Return the population variance of the deviations (with equal shares: of the loads).

    Examples
    --------
    >>> variance([1, 1, 4])
    Fraction(2, 1)
    """
    deviations = _deviations(loads, shares)
    mean = sum(deviations, Fraction(0)) / len(deviations)
    return sum(((d - mean) ** 2 for d in deviations), Fraction(0)) / len(deviations)


def std(loads: Loads, shares: Loads | None = None) -> float:
    """Return the population standard deviation of the deviations, in the loads' units.

    Examples
    --------
    >>> std([2, 4])
    1.0
    """
    return math.sqrt(variance(loads, shares))


def coefficient_of_variation(loads: Loads, shares: Loads | None = None) -> float:
    """Return the std of the relative loads over their mean (0 is perfectly even).

    With equal shares this is the familiar ``std(loads) / mean(loads)``; it is 0 when every
    load is 0.

    Examples
    --------
    >>> coefficient_of_variation([2, 4])
    0.3333333333333333
    """
    relative = _relative(loads, shares)
    if not relative:
        return 0.0
    mean = sum(relative, Fraction(0)) / len(relative)
    spread = sum(((r - mean) ** 2 for r in relative), Fraction(0)) / len(relative)
    if spread == 0:
        return 0.0
    return math.sqrt(spread) / float(mean)


def gini(loads: Loads, shares: Loads | None = None) -> Fraction:
    """Gini coefficient of the relative loads: 0 when even, at most ``1 - 1/n``.

    ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)``; 0 when every load is 0.

    Examples
    --------
    >>> gini([1, 1, 1, 5])
    Fraction(3, 8)
    """
    ordered = sorted(_relative(loads, shares))
    n, total = len(ordered), sum(ordered, Fraction(0))
    if total == 0:
        return Fraction(0)
    # Sorted form of the mean absolute difference: sum_i (2i - n - 1) x_(i), i = 1..n.
    weighted = sum(((2 * i - n - 1) * x for i, x in enumerate(ordered, 1)), Fraction(0))
    return weighted / (n * total)


def jain_index(loads: Loads, shares: Loads | None = None) -> Fraction:
    """Jain's fairness index of the relative loads: ``(sum x)^2 / (n sum x^2)``, in (0, 1].

    1 when every engineer carries exactly their share; ``1/n`` when one carries everything.
    1 when every load is 0.

    Examples
    --------
    >>> jain_index([1, 1, 4])
    Fraction(2, 3)
    """
    relative = _relative(loads, shares)
    squares = sum((x * x for x in relative), Fraction(0))
    if squares == 0:
        return Fraction(1)
    return sum(relative, Fraction(0)) ** 2 / (len(relative) * squares)


def balance_score(loads: Loads, shares: Loads | None = None) -> Fraction:
    """Mean over all pairs of engineers of ``min(x) / max(x)`` on relative loads, in [0, 1].

    The balance score paging tools report; 1 is perfectly even. A pair where both loads are
    0 counts as balanced; a single engineer scores 1.

    Examples
    --------
    >>> balance_score([1, 1, 4])
    Fraction(1, 2)
    """
    relative = _relative(loads, shares)
    pairs = list(combinations(relative, 2))
    if not pairs:
        return Fraction(1)
    ratios = (Fraction(1) if max(a, b) == 0 else min(a, b) / max(a, b) for a, b in pairs)
    return sum(ratios, Fraction(0)) / len(pairs)


def leximax(loads: Loads, shares: Loads | None = None) -> tuple[Fraction, ...]:
    """Deviations sorted from largest to smallest.

    Comparing these tuples (smaller is fairer) is the leximax order: first the worst-off
    engineer's excess, then the next, and so on. It separates load vectors that the variance
    and the Gini coefficient cannot tell apart.

    Examples
    --------
    >>> leximax([1, 1, 4]) > leximax([3, 3, 0])
    True
    """
    return tuple(sorted(_deviations(loads, shares), reverse=True))


def summarize(loads: Loads, shares: Loads | None = None) -> dict[str, float | tuple[float, ...]]:
    """Every metric at once, as floats (keys :data:`SUMMARY_KEYS`).

    Relative metrics are NaN when they are undefined (a negative load, or a load where the
    share is 0) instead of raising, so a summary can always be tabulated.

    Examples
    --------
    >>> summarize({"ana": 1, "bo": 3})["balance"]
    0.3333333333333333
    """
    result: dict[str, float | tuple[float, ...]] = {
        "max_deviation": float(max_deviation(loads, shares)),
        "min_deviation": float(min_deviation(loads, shares)),
        "deviation_range": float(deviation_range(loads, shares)),
        "std": std(loads, shares),
    }
    relative_metrics = (
        ("cv", coefficient_of_variation),
        ("gini", gini),
        ("jain", jain_index),
        ("balance", balance_score),
    )
    for key, metric in relative_metrics:
        try:
            result[key] = float(metric(loads, shares))
        except ValueError:
            result[key] = math.nan
    result["leximax"] = tuple(float(d) for d in leximax(loads, shares))
    return {key: result[key] for key in SUMMARY_KEYS}
