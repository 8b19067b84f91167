"""How a command's time limit is spent: start-up, solving, and writing the outputs.

``--time-limit T`` is a wall-clock promise for the whole command: it counts from the moment
the package was imported (:data:`fairshift.STARTED`; for ``fairshift.cli.main(argv)``
called from Python, from that call), and the solver is given that deadline
minus :func:`output_reserve`, the time that writing the plan's files is measured to take.
"""

from __future__ import annotations

from . import STARTED
from .runner import Deadline
from .scenario import Scenario

#: Seconds kept back from the solver for writing the outputs: this much...
OUTPUT_SECONDS = 1.0
#: ...plus this much per engineer (the report's tables and pictures, one feed each)...
OUTPUT_SECONDS_PER_ENGINEER = 0.01
#: ...plus this much per on-call interval (one event in each of three feeds: measured 0.25 ms
#: for follow-the-sun's 2,184 eight-hour intervals, 0.55 s in all)...
OUTPUT_SECONDS_PER_INTERVAL = 0.0005
#: ...but never more than this share of the time limit.
OUTPUT_SHARE = 0.6


def command_deadline(time_limit: float, started: float | None = None) -> Deadline:
    """The end of a command given ``--time-limit``.

    ``started`` is when the command began (:func:`time.perf_counter`); by default, when the
    package was imported, which for the ``fairshift`` command is start-up itself.
    """
    return Deadline.after(time_limit, start=STARTED if started is None else started)


def output_reserve(scenario: Scenario, time_limit: float) -> float:
    """Seconds to keep back from the solver for writing a plan of ``scenario``.

    Measured (benchmarks/RESULTS.md): about 0.8 s for the bundled example and 1.8 s for 200
    engineers x 104 weeks, tables, feeds, report and pictures together; feeds grow with the
    on-call intervals (one event each per feed), 0.55 s for follow-the-sun's 2,184.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> team = (fs.Engineer("ana", "Ana", "senior", "US"), fs.Engineer("bo", "Bo", "mid", "US"))
    >>> scenario = fs.Scenario(fs.Rotation("Ops", dt.date(2027, 1, 4), 4), team)
    >>> output_reserve(scenario, 60), output_reserve(scenario, 1)
    (1.024, 0.6)
    """
    from .calendar import expand

    intervals = sum(len(duty.turn.intervals) for duty in expand(scenario).duties)
    wanted = (
        OUTPUT_SECONDS
        + OUTPUT_SECONDS_PER_ENGINEER * len(scenario.engineers)
        + OUTPUT_SECONDS_PER_INTERVAL * intervals
    )
    return round(min(wanted, OUTPUT_SHARE * time_limit), 3)
