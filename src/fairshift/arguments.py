"""Argument types of the command line: each rejects a bad value with a sentence that says why.

argparse turns the :class:`argparse.ArgumentTypeError` into ``fairshift <command>: error:
argument --workers: ...`` and exit code 2, before anything is read or solved.
"""

from __future__ import annotations

import argparse
import math

from .runner import MAX_SEED

#: The longest time limit accepted, in seconds (a week).
MAX_SECONDS = 7 * 24 * 3600.0


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {what}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of {what}")
    return value


def seconds(text: str) -> float:
    """A time limit: more than 0 and at most a week of seconds.

    Examples
    --------
    >>> seconds("2.5")
    2.5
    """
    value = _number(text, "seconds")
    if not 0 < value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text} must be more than 0 and at most {MAX_SECONDS:g} seconds, e.g. 30"
        )
    return value


def work(text: str) -> float:
    """A deterministic work budget: a positive number of CP-SAT work units."""
    value = _number(text, "work units")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a positive number of work units, e.g. 5")
    return value


def whole(text: str, what: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text} must lie between {low} and {high}")
    return value


def seed(text: str) -> int:
    """A random seed, 0 to 2**31 - 1 (CP-SAT's range)."""
    return whole(text, "a seed", 0, MAX_SEED)


def workers(text: str) -> int:
    """Whole solves side by side: 1 to 64."""
    return whole(text, "workers", 1, 64)


def days(text: str) -> float:
    """A number of days: finite, 0 to 365."""
    value = _number(text, "days")
    if not 0 <= value <= 365:
        raise argparse.ArgumentTypeError(f"{text} must lie between 0 and 365 days, e.g. 0.25")
    return value


def weeks(text: str) -> int:
    """A number of weeks: 0 to 520."""
    return whole(text, "weeks", 0, 520)


def port(text: str) -> int:
    """A TCP port: 0 (any free port) to 65535."""
    return whole(text, "a port", 0, 65535)


def add_solve_options(parser: argparse.ArgumentParser, *, time_help: str) -> None:
    """Add ``--time-limit`` (seconds, default 60) and ``--seed`` (default 0) to ``parser``.

    Every command that solves takes both, checked by :func:`seconds` and :func:`seed`;
    ``time_help`` says what the seconds cover for that command.
    """
    parser.add_argument("--time-limit", type=seconds, default=60.0, help=time_help)
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
