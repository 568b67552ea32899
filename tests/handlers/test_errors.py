"""The central error handler, and a database locked by another process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.offline.harness import OfflineBot
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report
from handlers.common.callbacks import pack
from tests.conftest import ErrorLog
from tests.helpers.cases import open_report


async def test_unexpected_error_is_logged_and_the_user_told_without_details(
    gridbot: OfflineBot, errors: ErrorLog
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    client = admin.client
    await client.send("/invite")
    await client.press("楼门长")
    # State written by some older version of the bot: a role that no longer exists.
    flow = client.last.inline_keyboard[0][0]["callback_data"].split(":")[2]  # type: ignore[union-attr]
    gridbot.app.user_data[client.user.id]["invite"] = {"flow": flow, "role": "mayor"}
    area = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '滨河龙韵西区2号楼'")
    await client.press_data(pack("inv", flow, "pick", area))
    assert client.last_answer is not None
    assert client.last_answer.text == "抱歉，处理时出了点问题，请稍后再试。您之前的操作已保存。"
    assert "mayor" not in (client.last_answer.text or "")
    logged = errors.take()
    assert len(logged) == 1
    assert logged[0].startswith("error while handling an update")
    assert json.loads(logged[0].split(": ", 1)[1])["callback_query"]["data"].startswith("v1:inv:")


@pytest.fixture
async def impatient_bot(config: Config, clock: FakeClock) -> AsyncIterator[OfflineBot]:
    """A bot that waits only 50 ms for a lock."""
    offline = OfflineBot(config.replace(**{"database.busy_timeout_ms": 50}), clock=clock)
    await offline.start()
    await offline.import_areas()
    yield offline
    await offline.stop()


async def test_locked_database_gets_a_busy_answer_and_loses_nothing(
    impatient_bot: OfflineBot, errors: ErrorLog
) -> None:
    bot = impatient_bot
    leader = await bot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await bot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    report = Report(category=Category.SANITATION, subcategory="garbage", description="垃圾")
    await open_report(bot, leader, report, key="l1")
    await bot.run_due_jobs()
    other = sqlite3.connect(bot.config.database.path)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        await admin.client.press("✅ 受理")
        assert admin.client.last_answer is not None
        assert "现在有点忙" in (admin.client.last_answer.text or "")
    finally:
        other.rollback()
        other.close()
    logged = errors.take()
    assert logged, "the locked database was logged"
    assert all("error while handling an update" in message for message in logged)
    assert await bot.db.fetchval("SELECT status FROM cases") == "new"
    await admin.client.press("✅ 受理")
    assert await bot.db.fetchval("SELECT status FROM cases") == "accepted"
    assert "已受理" in admin.client.last_text


async def test_a_language_switch_the_locked_database_held_up_is_stored_with_the_next_save(
    impatient_bot: OfflineBot, errors: ErrorLog
) -> None:
    bot = impatient_bot
    person = await bot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    client = person.client
    await client.send("/lang")
    other = sqlite3.connect(bot.config.database.path)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock at the save
    try:
        await client.press("English")
        assert "Switched to English" in client.last_text  # said in the tap's own answer
    finally:
        other.rollback()
        other.close()
    assert errors.take() == [], "a save held up is a warning, not an error"
    assert await bot.db.fetchval("SELECT language FROM members") == "zh-CN"
    await client.send("/help")
    assert await bot.db.fetchval("SELECT language FROM members") == "en"
    assert "You are" in client.last_text


async def test_a_press_answered_before_the_error_is_not_answered_again(
    gridbot: OfflineBot, errors: ErrorLog
) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    assert leader.member is not None
    await open_report(
        gridbot,
        leader,
        Report(category=Category.SANITATION, subcategory="garbage", description="垃圾"),
        key="e1",
    )
    await gridbot.run_due_jobs()
    # The handler answers the press, then its edit fails: the error comes after the answer.
    gridbot.api.fail_next("bad_request", method="editMessageReplyMarkup", description="boom")
    await admin.client.press("🚫 不予受理")
    answers = [e for e in gridbot.api.errors if e[0].lower() == "answercallbackquery"]
    assert answers == []  # no second answer, so no 400 for it
    assert admin.client.last_text == "抱歉，处理时出了点问题，请稍后再试。您之前的操作已保存。"
    assert errors.take()
