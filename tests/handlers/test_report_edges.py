"""/report: wrong input, cancel, stale buttons, restarts, duplicates, access, abandoned drafts."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.offline.harness import OfflineBot, Person
from bot.offline.standin import UserClient
from storage import outbox
from storage.db import Database
from tests.helpers.people import admin, leader

Action = Callable[[UserClient], Awaitable[object]]


def press(label: str) -> Action:
    return lambda user: user.press(label)


def send(text: str) -> Action:
    return lambda user: user.send(text)


DISPUTE: list[Action] = [
    send("/report"),
    press("矛盾纠纷"),
    press("邻里纠纷"),
    send("楼上漏水"),
]
SUMMARY = DISPUTE
DESCRIBE = "直接说或打字描述情况"

# step (or a screen of the summary) -> (the actions that reach it, what its question says)
STEPS: dict[str, tuple[list[Action], str]] = {
    "category": (DISPUTE[:1], "请选择问题类别"),
    "kind": (DISPUTE[:2], "请选择具体类型"),
    "description": (DISPUTE[:3], DESCRIBE),
    "summary": (SUMMARY, "请看一下您要报的事"),
    "place": ([*SUMMARY, press("📍 改地点")], "问题在哪里"),
    "parties": ([*SUMMARY, press("➕ 当事双方")], "纠纷双方是谁"),
    "photos": ([*SUMMARY, press("📷 加照片")], "直接发照片就行"),
}


async def reach(user: UserClient, step: str) -> str:
    actions, question = STEPS[step]
    for action in actions:
        await action(user)
    assert question in user.last_text, (step, user.last_text)
    return question


async def state_of(gridbot: OfflineBot) -> object:
    return await gridbot.db.fetchval("SELECT state FROM ptb_conversations WHERE name = 'report'")


# (step, a wrong input, what the explanation says): only what cannot be used at all;
# text, voice, photos and locations are kept at every step (see test_report_flow.py).
WRONG_INPUTS: list[tuple[str, str, str]] = [
    ("category", "sticker", "请点上面的按钮选一下"),
    ("category", "document", "请点上面的按钮选一下"),
    ("kind", "sticker", "请点上面的按钮选一下"),
    ("description", "sticker", "这里请直接说（语音）、打字，或者发照片"),
    ("description", "document", "这里请直接说（语音）、打字，或者发照片"),
    ("summary", "sticker", "这个用不上"),
    ("place", "sticker", "这个用不上"),
    ("parties", "document", "这个用不上"),
]


async def wrong(user: UserClient, kind: str) -> None:
    if kind == "sticker":
        await user.send_sticker()
    elif kind == "text":
        await user.send("随便说点什么")
    elif kind == "photo":
        await user.send_photo()
    elif kind == "voice":
        await user.send_voice(3)
    elif kind == "location":
        await user.send_location(38.3, 116.8)
    elif kind == "document":
        await user.send_document("表格.xlsx", b"PK")


@pytest.mark.parametrize(("step", "kind", "explanation"), WRONG_INPUTS)
async def test_wrong_input_is_explained_and_the_question_repeated(
    gridbot: OfflineBot, step: str, kind: str, explanation: str
) -> None:
    user = (await leader(gridbot)).client
    question = await reach(user, step)
    state = await state_of(gridbot)
    await wrong(user, kind)
    assert explanation in user.last_text
    assert question in user.last_text, "the same question again"
    assert (user.last and user.last.inline_keyboard) or step == "description"
    assert await state_of(gridbot) == state
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0


async def test_too_long_texts_are_kept_with_the_limit_and_what_to_cut(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    text = "楼上漏水。" * 200 + "多"  # 1001 characters: one over
    await user.send(text)
    assert "这段话有 1001 字，最多只能 1000 字，请删掉 1 个字再发" in user.last_text
    assert "您写的内容没有丢" in user.last_text and DESCRIBE in user.last_text
    shown = user.messages[-2]
    assert shown.text == text, "the text is shown back whole, to copy and shorten"
    held = gridbot.app.user_data[user.user.id]["report"]["held_text"]
    assert held == text, "and kept in the draft"
    await gridbot.restart()
    assert gridbot.app.user_data[user.user.id]["report"]["held_text"] == text
    await user.send(text[:-1])
    assert "请看一下您要报的事" in user.last_text
    assert gridbot.app.user_data[user.user.id]["report"]["held_text"] is None
    # at the summary: an addition that makes the whole too long says how much to cut
    await user.send("还有")
    assert "这段话有 1003 字，最多只能 1000 字，请删掉 3 个字再发" in user.last_text
    assert user.messages[-2].text == "还有"
    assert "请看一下您要报的事" in user.last_text
    # the parties and a typed address have their own limit of 200
    await user.press("➕ 当事双方")
    await user.send("甲" * 201)
    assert "这段话有 201 字，最多只能 200 字，请删掉 1 个字再发" in user.last_text
    assert "纠纷双方是谁" in user.last_text, "the same screen again"
    await user.send("甲乙两家")
    assert "当事双方：甲乙两家" in user.last_text


@pytest.mark.parametrize("step", list(STEPS))
async def test_cancel_at_each_step(gridbot: OfflineBot, step: str) -> None:
    user = (await leader(gridbot)).client
    await reach(user, step)
    await user.send("/cancel")
    assert user.last_text == "已取消本次上报，内容没有保存。"
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await state_of(gridbot) is None
    assert "report" not in gridbot.app.user_data[user.user.id]
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0
    await user.send("/cancel")
    assert "当前没有进行中的操作" in user.last_text


async def test_cancel_button_at_the_summary_asks_first(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "summary")
    summary = user.last
    assert summary is not None
    seen = len(user.messages)
    await user.press("❌ 取消")
    assert len(user.messages) == seen, "asked in place of the summary"
    assert "确定不报了吗" in user.last_text
    assert user.buttons() == [["不报了"], ["⬅ 接着写"]]
    await user.press("⬅ 接着写")
    assert user.last is not None and user.last.message_id == summary.message_id
    assert "请看一下您要报的事" in user.last_text and "楼上漏水" in user.last_text
    flow = await gridbot.db.fetchval("SELECT flow FROM report_drafts")
    await user.press_data(f"v1:rep:{flow}:sum:drop")  # "discard" only ever answers "are you sure?"
    assert "按钮已失效" in (user.last_answer.text or "")  # type: ignore[union-attr]
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 1
    await user.press("❌ 取消")
    await user.press("不报了")
    assert user.last_text == "已取消本次上报，内容没有保存。"
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await state_of(gridbot) is None


async def test_stale_and_forged_buttons_change_nothing(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    old = user.last
    assert old is not None
    old_data = str(old.inline_keyboard[0][0]["callback_data"])
    await user.send("/cancel")
    await user.send("/report")
    # a button of the cancelled draft
    await user.press_data(old_data, old.message_id)
    assert user.last_answer is not None and user.last_answer.show_alert
    assert "按钮已失效" in (user.last_answer.text or "")
    assert "请选择问题类别" in user.last_text
    await user.press("环境卫生")
    flow = str(user.buttons() and user.last.inline_keyboard[0][0]["callback_data"]).split(":")[2]  # type: ignore[union-attr]
    # a button of a question already answered, a kind of another category, nonsense
    for data in (
        f"v1:rep:{flow}:cat:safety",
        f"v1:rep:{flow}:kind:ebike",
        f"v1:rep:{flow}:kind",
        "v1:rep:zzzzzz:kind:garbage",
        f"v1:rep:{flow}:sum:ok",
    ):
        await user.press_data(data)
        assert user.last_answer is not None and user.last_answer.show_alert, data
        assert "按钮已失效" in (user.last_answer.text or ""), data
    await user.press("垃圾堆积")
    await user.send("描述")
    await user.press("📍 改地点")
    # a place outside the leader's building, one that does not exist, another's options
    elsewhere = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '滨河龙韵西区2号楼'")
    for data in (
        f"v1:rep:{flow}:place:{elsewhere}",
        f"v1:rep:{flow}:place:99999",
        f"v1:rep:{flow}:sum:parties",  # a dispute's, not sanitation's
        f"v1:rep:{flow}:sum:anon",  # an opinion's
        f"v1:rep:{flow}:chg:urgency",
    ):
        await user.press_data(data)
        assert "按钮已失效" in (user.last_answer.text or ""), data  # type: ignore[union-attr]
    assert "问题在哪里" in user.last_text
    await user.press("1单元")
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT category, subcategory FROM cases")
    assert case is not None and tuple(case) == ("sanitation", "garbage")


async def test_a_draft_survives_a_restart(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    await gridbot.restart()
    await user.send("重启前开始写的")
    assert "请看一下您要报的事" in user.last_text
    await user.press("📍 改地点")
    await gridbot.restart()
    await user.press("2单元")
    await user.press("➕ 当事双方")
    await gridbot.restart()
    await user.send("301与401")
    assert "当事双方：301与401" in user.last_text and "/2单元，" in user.last_text
    await user.press("✅ 提交")
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 1


async def test_a_duplicate_update_and_a_double_confirm_make_one_case(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await admin(gridbot)
    await reach(user, "description")
    update = await user.send("楼上漏水")
    seen = len(user.messages)
    await gridbot.deliver(update)  # Telegram delivers it again
    assert len(user.messages) == seen
    assert "情况：楼上漏水\n" in user.last_text + "\n", "not added twice"
    summary = user.last
    assert summary is not None
    submit = str(summary.inline_keyboard[0][0]["callback_data"])
    pressed = await user.press_data(submit, summary.message_id)
    await gridbot.deliver(pressed)  # the same press delivered twice
    await gridbot.restart()
    await gridbot.deliver(pressed)  # and again after a restart
    await user.press_data(submit, summary.message_id)  # a second press of the button
    assert user.last_answer is not None and user.last_answer.show_alert
    assert "已经提交过了，编号 YH-20260613-0001" in (user.last_answer.text or "")
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 1
    assert await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'case.new'") == 1
    assert sum("已提交，编号" in text for text in user.texts()) == 1


async def test_only_leaders_report(gridbot: OfflineBot) -> None:
    stranger = gridbot.user("路人")
    await stranger.send("/report")
    assert "您还没有加入网格" in stranger.last_text
    boss = (await admin(gridbot)).client
    await boss.send("/report")
    assert "仅供楼门长、村民小组长及其助理使用" in boss.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


@pytest.mark.parametrize("label", ["📋 我的上报", "📝 上报问题", "/report", "📅 会议"])
async def test_a_menu_button_mid_report_asks_to_continue_or_start_over(
    gridbot: OfflineBot, label: str
) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    flow = await gridbot.db.fetchval("SELECT flow FROM report_drafts")
    await user.send(label)
    assert user.last_text == "您还有一份上报没写完（矛盾纠纷）。要接着写，还是重新开始？"
    assert user.buttons() == [["▶️ 接着写"], ["🔄 重新开始"], ["🗑 不报了"]]
    assert await gridbot.db.fetchval("SELECT flow FROM report_drafts") == flow, "nothing lost"
    await user.press("▶️ 接着写")
    assert DESCRIBE in user.last_text
    await user.send("楼上漏水")  # the draft goes on, with what it had
    assert "请看一下您要报的事" in user.last_text and "邻里纠纷" in user.last_text
    await user.send(label)
    await user.press("🔄 重新开始")
    assert "请选择问题类别" in user.last_text
    new_flow = await gridbot.db.fetchval("SELECT flow FROM report_drafts")
    assert new_flow is not None and new_flow != flow  # a new draft, not none at all
    assert "report" in gridbot.app.user_data[user.user.id]
    await user.send(label)
    assert "（未选类别）" in user.last_text
    await user.press("🗑 不报了")
    assert "这份上报不报了" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await state_of(gridbot) is None
    await user.send("📋 我的上报")  # the menu works again
    assert "您还有一份上报没写完" not in user.last_text


async def test_a_command_of_another_flow_still_waits(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    await user.send("/mycases")
    assert user.last_text.startswith("您正在进行「上报问题」")
    await user.send("楼上漏水")
    assert "请看一下您要报的事" in user.last_text


async def abandon(gridbot: OfflineBot) -> Person:
    me = await leader(gridbot)
    await reach(me.client, "summary")
    gridbot.clock.advance(timedelta(minutes=29))
    await gridbot.run_due_jobs()
    assert "请看一下您要报的事" in me.client.last_text, "not yet"
    return me


async def test_an_abandoned_draft_ends_with_a_message(gridbot: OfflineBot) -> None:
    me = await abandon(gridbot)
    user = me.client
    question = user.last
    assert question is not None
    submit = str(question.inline_keyboard[0][0]["callback_data"])
    gridbot.clock.advance(timedelta(minutes=2))
    await gridbot.run_due_jobs()
    assert "未完成的上报（矛盾纠纷）超过 30 分钟没有继续，已自动结束" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await state_of(gridbot) is None
    assert "report" not in gridbot.app.user_data[user.user.id]
    await gridbot.run_due_jobs()
    assert sum("已自动结束" in text for text in user.texts()) == 1
    # the conversation is over: its buttons are stale, other commands are not held up
    assert user.buttons(question) == [], "its buttons were taken off"
    await user.press_data(submit, question.message_id)
    assert "按钮已失效" in (user.last_answer.text or "")  # type: ignore[union-attr]
    await user.send("/help")
    assert "您正在进行" not in user.last_text
    await user.send("/report")
    assert "请选择问题类别" in user.last_text


async def test_a_step_after_the_draft_ended_says_so(gridbot: OfflineBot) -> None:
    """If the conversation outlived its draft (a crash after the sweep), the next step ends it."""
    me = await abandon(gridbot)
    assert me.member is not None
    await gridbot.db.execute("DELETE FROM report_drafts")  # the sweep's work, as if it crashed
    await me.client.send_photo()
    assert "因长时间没有继续，已经结束" in me.client.last_text
    assert await state_of(gridbot) is None


async def test_draft_timeout_survives_a_restart_without_a_double_message(
    gridbot: OfflineBot,
) -> None:
    me = await abandon(gridbot)
    await gridbot.restart()
    gridbot.clock.advance(timedelta(minutes=2))
    gridbot.api.fail_next("server_error", method="sendMessage")
    await gridbot.run_due_jobs()
    rows = await outbox.of_kind(gridbot.db, "report.expired")
    assert len(rows) == 1
    await gridbot.restart()
    gridbot.clock.advance(timedelta(minutes=5))
    await gridbot.run_due_jobs()
    rows = await outbox.of_kind(gridbot.db, "report.expired")
    assert [r.status for r in rows] == ["sent"]
    assert sum("已自动结束" in text for text in me.client.texts()) == 1


async def test_a_filed_draft_is_never_reported_abandoned(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    await reach(me.client, "summary")
    await me.client.press("✅ 提交")
    gridbot.clock.advance(timedelta(hours=2))
    await gridbot.run_due_jobs()
    assert await outbox.of_kind(gridbot.db, "report.expired") == []


async def test_only_the_open_question_has_buttons(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "place")
    await user.send_photo()
    await user.send_photo()
    await user.press("📍 改地点")
    await user.send("北门外")  # a typed address: the place buttons go too
    with_buttons = [m for m in user.messages if m.inline_keyboard]
    assert len(with_buttons) == 1 and "请看一下您要报的事" in with_buttons[0].text
    assert "照片：2 张" in with_buttons[0].text


async def test_the_ending_message_names_the_category_chosen(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "kind")
    gridbot.clock.advance(timedelta(minutes=31))
    await gridbot.run_due_jobs()
    assert "未完成的上报（矛盾纠纷）" in user.last_text
    assert [m for m in user.messages if m.inline_keyboard] == []


async def test_report_again_starts_a_new_draft(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    first = await gridbot.db.fetchval("SELECT flow FROM report_drafts")
    await user.send("/report")
    await user.press("🔄 重新开始")
    assert "请选择问题类别" in user.last_text
    assert await gridbot.db.fetchval("SELECT flow FROM report_drafts") != first
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 1
    await user.press("环境卫生")
    assert "请选择具体类型" in user.last_text


async def test_an_edited_answer_is_not_a_new_answer(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "summary")
    seen = len(user.messages)
    await user.edit_last("改了描述")
    assert len(user.messages) == seen
    await user.press("📍 改地点")
    await user.press("1单元")
    assert "情况：楼上漏水\n" in user.last_text


async def test_no_photo_step_when_max_photos_is_zero(config: Config, clock: FakeClock) -> None:
    offline = OfflineBot(config.replace(**{"reports.max_photos": 0}), clock=clock)
    await offline.start()
    try:
        await offline.import_areas()
        user = (await leader(offline)).client
        await user.send("/report")
        await user.press("环境卫生")
        await user.press("垃圾堆积")
        await user.send("垃圾")
        assert "照片" not in str(user.buttons())
        await user.send_photo()
        assert "这里上报不收照片，照片没有保存" in user.last_text
        await user.press("✅ 提交")
        assert await offline.db.fetchval("SELECT count(*) FROM cases") == 1
        assert await offline.db.fetchval("SELECT count(*) FROM case_photos") == 0
    finally:
        await offline.stop()
    offline.api.assert_clean()


async def test_a_report_the_member_may_no_longer_file_is_refused(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "summary")
    # the member moved to another building while the draft waited at the summary
    await gridbot.db.execute(
        "UPDATE members SET area_id = (SELECT id FROM areas WHERE name = '滨河龙韵西区2号楼')"
    )
    await user.press("✅ 提交")
    assert "这份上报没能提交" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await state_of(gridbot) is None


async def test_an_inactive_member_cannot_report(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "kind")
    await gridbot.db.execute("UPDATE members SET active = 0")
    await user.press("邻里纠纷")
    assert "您的账号已停用" in (user.last_answer.text or "")  # type: ignore[union-attr]
    assert await state_of(gridbot) is None
    await user.send("/report")
    assert "您的账号已停用" in user.last_text


async def test_an_album_before_the_kind_is_kept_and_answered_once(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "kind")
    seen = len(user.messages)
    await user.send_album(4)
    assert len(user.messages) == seen + 1
    assert "照片收到了" in user.last_text and "请选择具体类型" in user.last_text
    await user.press("其他纠纷")
    assert "照片：4 张" in user.last_text


async def test_an_album_with_too_long_a_caption_keeps_both(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    seen = len(user.messages)
    await user.send_album(3, caption="漏" * 1001)
    assert len(user.messages) == seen + 2, "the caption shown back and the question, once"
    assert "这段话有 1001 字，最多只能 1000 字，请删掉 1 个字再发" in user.last_text
    assert "请看一下您要报的事" in user.last_text, "the photos describe it already"
    assert "照片：3 张" in user.last_text
    assert gridbot.app.user_data[user.user.id]["report"]["held_text"] == "漏" * 1001
    await user.send("漏" * 1000)
    await user.press("✅ 提交")
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_photos") == 3
    assert await gridbot.db.fetchval("SELECT length(description) FROM cases") == 1000


async def test_user_text_is_escaped_once_in_the_summary(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "summary")
    await user.send("<b>楼上</b> & 楼下")
    await user.press("📍 改地点")
    await user.send("3号楼 <东侧> & 北门")
    await user.press("➕ 当事双方")
    await user.send("301 & <401>")
    text = user.last_text
    assert "楼上漏水\n<b>楼上</b> & 楼下" in text
    assert "滨河龙韵西区1号楼，3号楼 <东侧> & 北门，" in text
    assert "当事双方：301 & <401>" in text
    raw = user.last.raw if user.last else ""
    assert "&amp;amp;" not in (raw or "") and "&lt;东侧&gt; &amp; 北门" in (raw or "")


PERSISTED = ("ptb_user_data", "ptb_chat_data", "ptb_bot_data", "ptb_conversations")


async def test_a_submit_cut_short_after_filing_ends_with_the_number(gridbot: OfflineBot) -> None:
    """Killed after the case was stored, before the conversation's state was: Telegram
    sends the press again, and the leader gets the number, not "expired" (nor a loop)."""
    user = (await leader(gridbot)).client
    await admin(gridbot)
    await reach(user, "description")
    await user.send("楼上漏水")
    before = {table: await gridbot.db.fetchall(f"SELECT * FROM {table}") for table in PERSISTED}
    summary = user.last
    assert summary is not None
    shown_before = copy.deepcopy((summary.data, summary.raw))
    pressed = await user.press("✅ 提交")
    number = await gridbot.db.fetchval("SELECT number FROM cases")
    # The state as a kill right after the case's commit leaves it: the press neither
    # answered nor saved as handled, the summary not edited yet, the conversation and
    # the draft as they were before it.
    summary.data, summary.raw = shown_before
    gridbot.api.callbacks[pressed["callback_query"]["id"]].answered = False
    await gridbot.stop()
    db = await Database(gridbot.config.database.path).open()
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "DELETE FROM processed_updates WHERE update_id = ?", (pressed["update_id"],)
            )
            for table, rows in before.items():
                await tx.execute(f"DELETE FROM {table}")
                for row in rows:
                    marks = ", ".join("?" * len(row))
                    await tx.execute(f"INSERT INTO {table} VALUES ({marks})", tuple(row))
    finally:
        await db.close()
    await gridbot.start()
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 1
    await gridbot.deliver(pressed)
    answer = gridbot.api.callbacks[pressed["callback_query"]["id"]]
    assert answer.answered and not answer.show_alert, "a plain answer: nothing to press again"
    shown = user.chat.messages[summary.message_id]
    assert f"已提交，编号 {number}" in (shown.text or "") and not shown.inline_keyboard
    assert sum("已提交，编号" in text for text in user.texts()) == 1
    assert not any("已经结束" in text for text in user.texts())
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 1
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0


async def test_a_submit_after_the_draft_ended_unfiled_says_so_and_files_nothing(
    gridbot: OfflineBot,
) -> None:
    """The draft's end is found by the confirm's own transaction (no read before it)."""
    me = await abandon(gridbot)
    await gridbot.db.execute("DELETE FROM report_drafts")  # the sweep's work, as if it crashed
    await me.client.press("✅ 提交")
    assert "因长时间没有继续，已经结束" in me.client.last_text
    assert me.client.buttons() == [], "the summary's buttons are taken off"
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0
    assert await state_of(gridbot) is None
    await me.client.send("/report")
    assert "请选择问题类别" in me.client.last_text
