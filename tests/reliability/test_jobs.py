"""The table of jobs (bot/jobs.py): each sweep is scheduled once, under its name."""

from __future__ import annotations

from bot.jobs import SWEEPS
from bot.offline.harness import OfflineBot
from bot.telegram.application import job_queue_of


async def test_every_sweep_of_the_table_runs_once_by_its_name(gridbot: OfflineBot) -> None:
    names = [job.name for job in job_queue_of(gridbot.app).jobs()]
    for sweep in SWEEPS:
        assert names.count(sweep.name) == 1, (sweep.name, names)
    assert {"sweep:outbox", "sweep:updates", "sweep:cases", "sweep:notices"} <= set(names)
    # Interval as the table says: the cases sweep from the config.
    [cases] = job_queue_of(gridbot.app).get_jobs_by_name("sweep:cases")
    assert (
        cases.job.trigger.interval.total_seconds() == gridbot.app.runtime.config.cases.sweep_seconds
    )
