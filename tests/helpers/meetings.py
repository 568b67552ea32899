"""A weekly meeting of the demo community, and the clock moved to its reminders."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot, Person
from bot.services import meetings
from bot.services.meetings import SeriesDraft
from bot.services.schedule import WEEKLY, Rule
from tests.helpers.people import admin_leader_assistant

LEADERS = ["building_leader", "building_assistant"]
REMINDER = "会议提醒"

# Saturday 2026-06-13 09:00 in Shanghai is where the clock starts. The first Tuesday
# meeting is 2026-06-16 19:30 local = 11:30 UTC; reminders at 11:30 UTC the day before
# and at 10:30 UTC on the day.
FIRST = datetime(2026, 6, 16, 11, 30, tzinfo=UTC)
DAY_BEFORE = FIRST - timedelta(days=1)
HOUR_BEFORE = FIRST - timedelta(hours=1)


async def people(gridbot: OfflineBot) -> tuple[Person, Person, Person]:
    """The admin who holds the meeting and two who are expected: (admin, leader, assistant)."""
    return await admin_leader_assistant(gridbot)


async def weekly(
    gridbot: OfflineBot, admin: Person, rule: Rule | None = None, offsets: list[int] | None = None
) -> meetings.Series:
    """``admin``'s 楼门长工作例会, Tuesdays 19:30 unless ``rule`` says otherwise."""
    assert admin.member is not None
    return await meetings.create_series(
        gridbot.db,
        gridbot.clock,
        gridbot.config.tz,
        admin.member,
        SeriesDraft(
            title="楼门长工作例会",
            rule=rule or Rule(WEEKLY, time(19, 30), weekday=1),  # Tuesdays 19:30
            place="社区二楼会议室",
            roles=LEADERS,
            offsets=offsets or [1440, 60],
        ),
    )


def reminders(person: Person) -> list[str]:
    """The meeting reminders ``person`` has received."""
    return [text for text in person.client.texts() if REMINDER in text]


async def first_id(gridbot: OfflineBot) -> int:
    """The id of the first meeting occurrence."""
    value = await gridbot.db.fetchval("SELECT min(id) FROM meeting_occurrences")
    return int(value)


async def at(gridbot: OfflineBot, clock: FakeClock, moment: datetime) -> None:
    """Move the clock to ``moment`` and run what is due."""
    clock.set(moment)
    await gridbot.run_due_jobs()


async def excusing(gridbot: OfflineBot, clock: FakeClock) -> Person:
    """An assistant who pressed 请假 on the day-before reminder and is being asked why."""
    admin, _leader, assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE)
    await assistant.client.press("📝 请假")
    assert "请输入请假事由" in assistant.client.last_text
    return assistant
