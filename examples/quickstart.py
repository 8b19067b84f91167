"""Plan the Pacific Infra Group rotation and check it, in ten lines."""

from pathlib import Path

import fairshift as fs

scenario = fs.Scenario.from_toml(Path(__file__).with_name("pacific-infra.toml"))
schedule = fs.solve(scenario, time_limit=60)
print(schedule.summary())
assert fs.validate(scenario, schedule) == []
print(schedule.to_dataframe().head(6).to_string(index=False))
