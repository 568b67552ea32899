"""One conversation at a time: the guard keeps a member in the flow they started."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import CommandHandler, ConversationHandler

from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from handlers.common.flows import FLOWS, FlowConversation, bind_flows
from storage.db import Database
from storage.migrate import available_migrations, migrate


async def test_another_flow_is_refused_until_the_first_ends(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    await admin.press("楼门长")
    # /start with a code would begin joining: refused, the invite flow goes on
    await admin.send("/start ABCDEFGHIJKLMNOPQRSTUV")
    assert admin.last_text.startswith("您正在进行「邀请新成员」")
    await admin.send("/nosuchcommand")
    assert "/cancel" in admin.last_text
    # help and language pass through and leave the flow where it was
    await admin.send("/help")
    assert "/invite" in admin.last_text
    await admin.press("📂 滨河龙韵西区1号楼")
    await admin.press("✅ 选择「滨河龙韵西区1号楼」")
    # in the question pressed (above the answers given meanwhile), and its QR code below
    assert any("邀请已生成" in text for text in admin.texts())
    assert "扫码加入" in admin.last_text
    # the flow is over: nothing is guarded any more
    await admin.send("/nosuchcommand")
    assert "您正在进行" not in admin.last_text


async def test_cancel_reaches_the_conversation(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    await admin.send("/cancel")
    assert "当前没有进行中的操作" not in admin.last_text
    await admin.send("/cancel")
    assert "当前没有进行中的操作" in admin.last_text


async def test_the_guard_speaks_the_members_language(gridbot: OfflineBot) -> None:
    person = await gridbot.member("Li", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    admin = person.client
    await admin.send("/invite")
    await admin.send("/start ABCDEFGHIJKLMNOPQRSTUV")
    assert admin.last_text.startswith("You are in the middle of “making an invite”")


# gridbot's own record of the running flow (handlers/common/flows.py), not PTB's private state.


async def stored_user_data(gridbot: OfflineBot, user_id: int) -> dict[str, Any]:
    text = await gridbot.db.fetchval("SELECT data FROM ptb_user_data WHERE user_id = ?", (user_id,))
    return json.loads(text) if text else {}


async def test_the_running_flow_is_recorded_with_the_persistence(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    me = admin.user.id
    await admin.send("/invite")
    assert gridbot.app.user_data[me][FLOWS] == {"invite": me}
    assert (await stored_user_data(gridbot, me))[FLOWS] == {"invite": me}
    await admin.press("楼门长")  # a step within the flow keeps it
    assert (await stored_user_data(gridbot, me))[FLOWS] == {"invite": me}
    await admin.send("/cancel")
    assert FLOWS not in gridbot.app.user_data[me]
    assert FLOWS not in await stored_user_data(gridbot, me)
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


async def test_the_guard_holds_the_member_after_a_restart(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    await gridbot.restart()
    await admin.send("/mycases")
    assert admin.last_text.startswith("您正在进行「邀请新成员」")
    await admin.press("楼门长")  # the flow itself goes on where it was
    await admin.press("📂 滨河龙韵西区1号楼")
    await admin.press("✅ 选择「滨河龙韵西区1号楼」")
    assert any("邀请已生成" in text for text in admin.texts())  # in the question pressed
    assert "扫码加入" in admin.last_text
    assert FLOWS not in gridbot.app.user_data[admin.user.id]
    await admin.send("/mycases")
    assert "您正在进行" not in admin.last_text


async def test_an_ended_draft_frees_the_member_for_everything_else(gridbot: OfflineBot) -> None:
    me = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    user = me.client
    await user.send("/report")
    await user.press("矛盾纠纷")
    gridbot.clock.advance(timedelta(minutes=31))
    await gridbot.run_due_jobs()
    assert "已自动结束" in user.last_text
    assert FLOWS not in gridbot.app.user_data[user.user.id]
    assert FLOWS not in await stored_user_data(gridbot, user.user.id)
    # The report conversation still has the old state in memory, but takes nothing
    # but a new report: a menu button and a typed text go where they would anyway.
    await user.send("📋 我的上报")
    assert "您还没有上报过问题" in user.last_text
    await user.send("随便说点什么")
    assert "没看明白您的意思" in user.last_text
    await user.send("/report")
    assert "请选择问题类别" in user.last_text
    assert gridbot.app.user_data[user.user.id][FLOWS] == {"report": user.user.id}
    await user.press("环境卫生")
    assert "请选择具体类型" in user.last_text


async def test_an_ended_draft_stays_ended_after_a_restart(gridbot: OfflineBot) -> None:
    user = (await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")).client
    await user.send("/report")
    gridbot.clock.advance(timedelta(minutes=31))
    await gridbot.run_due_jobs()
    await gridbot.restart()
    await user.send("随便说点什么")
    assert "没看明白您的意思" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


async def test_cancel_forgets_a_record_left_without_its_conversation(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    me = admin.user.id
    await admin.send("/help")
    gridbot.app.user_data[me][FLOWS] = {"invite": me}  # as if its state had been lost
    await admin.send("/mycases")
    assert admin.last_text.startswith("您正在进行「邀请新成员」")
    await admin.send("/cancel")
    assert "当前没有进行中的操作" in admin.last_text
    await admin.send("/mycases")
    assert "您正在进行" not in admin.last_text


def test_a_conversation_not_built_as_a_flow_is_refused(gridbot: OfflineBot) -> None:
    async def step(update: object, context: object) -> int:
        return ConversationHandler.END

    plain: ConversationHandler[Any] = ConversationHandler(
        entry_points=[CommandHandler("x", step)], states={}, fallbacks=[], name="x"
    )
    with pytest.raises(TypeError, match="flow_conversation"):
        bind_flows(gridbot.app, [plain])
    conversations = [
        h
        for group in gridbot.app.handlers.values()
        for h in group
        if isinstance(h, ConversationHandler)
    ]
    assert conversations and all(isinstance(h, FlowConversation) for h in conversations)


async def test_conversations_running_before_the_upgrade_are_recorded(tmp_path: Path) -> None:
    db = await Database(tmp_path / "x.sqlite3").open()
    await migrate(db)
    await db.executescript(
        "INSERT INTO ptb_conversations (name, key, state) VALUES"
        " ('report', '[5,5]', '8'), ('invite', '[6,6]', '0'), ('case_input', '[-100,6]', '1'),"
        " ('join', '[7,7]', '-1');"
        """INSERT INTO ptb_user_data (user_id, data) VALUES (5, '{"report":{"flow":"a"}}');"""
    )
    seed = next(m for m in available_migrations() if m.name == "flow_records")
    await db.executescript(seed.sql)
    rows = await db.fetchall("SELECT user_id, data FROM ptb_user_data ORDER BY user_id")
    assert {row["user_id"]: json.loads(row["data"]) for row in rows} == {
        5: {"report": {"flow": "a"}, FLOWS: {"report": 5}},
        6: {FLOWS: {"invite": 6, "case_input": -100}},
    }
    await db.close()
