"""fairshift: provably fair on-call rotations with OR-Tools CP-SAT.

Examples
--------
>>> import fairshift as fs
>>> scenario = fs.Scenario.from_toml("examples/pacific-infra.toml")  # doctest: +SKIP
>>> schedule = fs.solve(scenario)  # doctest: +SKIP
>>> fs.validate(scenario, schedule.to_dataframe())  # doctest: +SKIP
[]
"""

import time as _time

#: When the package was first imported (:func:`time.perf_counter`): the command line's time
#: limit counts from here, so that start-up is inside the promise.
STARTED = _time.perf_counter()

from . import metrics as metrics
from .baselines import greedy as greedy
from .baselines import round_robin as round_robin
from .calendar import Role as Role
from .calendar import ShiftCalendar as ShiftCalendar
from .calendar import Slot as Slot
from .calendar import expand as expand
from .compare import compare as compare
from .diagnose import explain_infeasible as explain_infeasible
from .errors import FairshiftError as FairshiftError
from .errors import FeedError as FeedError
from .errors import InfeasibleError as InfeasibleError
from .errors import NoSolutionFoundError as NoSolutionFoundError
from .errors import PublishError as PublishError
from .errors import ScenarioError as ScenarioError
from .errors import ScheduleFormatError as ScheduleFormatError
from .explain import Explanation as Explanation
from .explain import Fact as Fact
from .explain import Relaxation as Relaxation
from .export import export_text as export_text
from .fairness import Fairness as Fairness
from .fairness import fairness as fairness
from .fairness import per_engineer as per_engineer
from .ical import write_feeds as write_feeds
from .itemise import itemise as itemise
from .ownership import assign_owners as assign_owners
from .pdpublish import PagerDutyDiff as PagerDutyDiff
from .pdpublish import PagerDutyOverride as PagerDutyOverride
from .pdpublish import publish_pagerduty as publish_pagerduty
from .plots import plot_burden as plot_burden
from .plots import plot_calendar as plot_calendar
from .plots import plot_cumulative as plot_cumulative
from .policy import CalendarOptions as CalendarOptions
from .policy import HolidayMode as HolidayMode
from .policy import MonthEnd as MonthEnd
from .policy import Ownership as Ownership
from .policy import Rotation as Rotation
from .policy import Rules as Rules
from .policy import Weights as Weights
from .publish import publish_caldav as publish_caldav
from .readics import PartialDuty as PartialDuty
from .readics import Rota as Rota
from .readics import Unmatched as Unmatched
from .readics import read_feeds as read_feeds
from .readics import read_ics as read_ics
from .replan import Replan as Replan
from .replan import replan as replan
from .report import write_report as write_report
from .rules import REGISTRY as REGISTRY
from .rules import RULES as RULES
from .rules import Rule as Rule
from .scenario import Scenario as Scenario
from .schedule import Assignment as Assignment
from .schedule import Schedule as Schedule
from .schedule import Stage as Stage
from .schedule import Status as Status
from .score import Score as Score
from .score import score as score
from .solve import solve as solve
from .swaps import SwapError as SwapError
from .swaps import swaps as swaps
from .sweep import sweep as sweep
from .team import Engineer as Engineer
from .team import Leave as Leave
from .team import Pipeline as Pipeline
from .team import Seniority as Seniority
from .validate import Violation as Violation
from .validate import validate as validate

__version__ = "0.1.0"
