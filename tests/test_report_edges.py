"""/report: wrong input, cancel, stale buttons, restarts, duplicates, access, abandoned drafts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.offline import OfflineBot, Person
from bot.services.grid import Role
from bot.standin import UserClient
from storage import outbox
from tests.test_report_flow import admin, leader

Action = Callable[[UserClient], Awaitable[object]]


def press(label: str) -> Action:
    return lambda user: user.press(label)


def send(text: str) -> Action:
    return lambda user: user.send(text)


DISPUTE: list[Action] = [
    send("/report"),
    press("矛盾纠纷"),
    press("邻里纠纷"),
    send("301与401"),
    send("楼上漏水"),
    press("不需要照片"),
    press("1单元"),
    press("一般"),
]
OPINION_TO_ANONYMOUS: list[Action] = [send("/report"), press("社情民意"), press("民生诉求")]

# step -> (the actions that reach it, what its question says)
STEPS: dict[str, tuple[list[Action], str]] = {
    "category": (DISPUTE[:1], "请选择问题类别"),
    "kind": (DISPUTE[:2], "请选择具体类型"),
    "parties": (DISPUTE[:3], "纠纷双方"),
    "anonymous": (OPINION_TO_ANONYMOUS, "是否隐去您的姓名"),
    "description": (DISPUTE[:4], "请描述情况"),
    "photos": (DISPUTE[:5], "可以发送现场照片"),
    "place": (DISPUTE[:6], "问题在哪里"),
    "urgency": (DISPUTE[:7], "是否紧急"),
    "summary": (DISPUTE[:8], "请核对您的上报"),
}


async def reach(user: UserClient, step: str) -> str:
    actions, question = STEPS[step]
    for action in actions:
        await action(user)
    assert question in user.last_text, (step, user.last_text)
    return question


async def state_of(gridbot: OfflineBot) -> object:
    return await gridbot.db.fetchval("SELECT state FROM ptb_conversations WHERE name = 'report'")


# (step, a wrong input, what the explanation says)
WRONG_INPUTS: list[tuple[str, str, str]] = [
    ("category", "sticker", "请点击上方按钮选择"),
    ("category", "text", "请点击上方按钮选择"),
    ("kind", "text", "请点击上方按钮选择"),
    ("kind", "photo", "请点击上方按钮选择"),
    ("parties", "sticker", "这里需要文字，或点“跳过”"),
    ("parties", "voice", "这里需要文字，或点“跳过”"),
    ("anonymous", "text", "请点击上方按钮选择"),
    ("description", "photo", "这里需要文字或语音"),
    ("description", "sticker", "这里需要文字或语音"),
    ("description", "location", "这里需要文字或语音"),
    ("photos", "text", "这里需要照片，或点按钮"),
    ("photos", "voice", "这里需要照片，或点按钮"),
    ("place", "sticker", "这里需要点选地点、发送位置，或输入地址"),
    ("place", "photo", "这里需要点选地点、发送位置，或输入地址"),
    ("urgency", "text", "请点击上方按钮选择"),
    ("urgency", "location", "请点击上方按钮选择"),
    ("summary", "text", "请点击上方按钮选择"),
    ("summary", "sticker", "请点击上方按钮选择"),
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
    await reach(user, "parties")
    await user.send("甲" * 201)
    assert "这段话有 201 字，最多只能 200 字，请删掉 1 个字再发" in user.last_text
    await user.send("甲乙两家")
    text = "楼上漏水。" * 200 + "多"  # 1001 characters: one over
    await user.send(text)
    mark = user.mark()
    assert "这段话有 1001 字，最多只能 1000 字，请删掉 1 个字再发" in user.last_text
    assert "您写的内容没有丢" in user.last_text and "请描述情况" in user.last_text
    shown = user.messages[-2]
    assert shown.text == text, "the text is shown back whole, to copy and shorten"
    held = gridbot.app.user_data[user.user.id]["report"]["held_text"]
    assert held == text, "and kept in the draft"
    await gridbot.restart()
    assert gridbot.app.user_data[user.user.id]["report"]["held_text"] == text
    await user.send(text[:-1])
    assert "可以发送现场照片" in user.last_text
    assert gridbot.app.user_data[user.user.id]["report"]["held_text"] is None
    assert user.mark() > mark


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
    assert "请核对您的上报" in user.last_text and "楼上漏水" in user.last_text
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
    flow = str(user.buttons() and user.last.inline_keyboard[0][0]["callback_data"]).split(":")[1]  # type: ignore[union-attr]
    # a button of a question already answered, a kind of another category, nonsense
    for data in (
        f"rep:{flow}:cat:safety",
        f"rep:{flow}:kind:ebike",
        f"rep:{flow}:kind",
        "rep:zzzzzz:kind:garbage",
        f"rep:{flow}:sum:ok",
    ):
        await user.press_data(data)
        assert user.last_answer is not None and user.last_answer.show_alert, data
        assert "按钮已失效" in (user.last_answer.text or ""), data
    await user.press("垃圾堆积")
    await user.send("描述")
    await user.press("不需要照片")
    # a place outside the leader's building, and one that does not exist
    elsewhere = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '滨河龙韵西区2号楼'")
    for area in (elsewhere, 99999):
        await user.press_data(f"rep:{flow}:place:{area}")
        assert "按钮已失效" in (user.last_answer.text or "")  # type: ignore[union-attr]
    assert "问题在哪里" in user.last_text
    await user.press("1单元")
    await user.press("一般")
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT category, subcategory FROM cases")
    assert case is not None and tuple(case) == ("sanitation", "garbage")


async def test_a_draft_survives_a_restart(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    await gridbot.restart()
    await user.send("重启前开始写的")
    assert "可以发送现场照片" in user.last_text
    await user.press("不需要照片")
    await gridbot.restart()
    await user.press("2单元")
    await user.press("一般")
    assert "301与401" in user.last_text
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
    await user.press("不需要照片")
    await user.press("1单元")
    await user.press("一般")
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
    assert "请描述情况" in user.last_text
    await user.send("楼上漏水")  # the draft goes on, with what it had
    assert "可以发送现场照片" in user.last_text
    await user.send(label)
    await user.press("🔄 重新开始")
    assert "请选择问题类别" in user.last_text
    assert await gridbot.db.fetchval("SELECT flow FROM report_drafts") != flow
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
    assert "可以发送现场照片" in user.last_text


async def abandon(gridbot: OfflineBot) -> Person:
    me = await leader(gridbot)
    await reach(me.client, "photos")
    gridbot.clock.advance(timedelta(minutes=29))
    await gridbot.run_due_jobs()
    assert "可以发送现场照片" in me.client.last_text, "not yet"
    return me


async def test_an_abandoned_draft_ends_with_a_message(gridbot: OfflineBot) -> None:
    me = await abandon(gridbot)
    user = me.client
    question = user.last
    assert question is not None
    no_photos = str(question.inline_keyboard[0][0]["callback_data"])
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
    await user.press_data(no_photos, question.message_id)
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
    await reach(user, "photos")
    await user.send_photo()
    await user.send_photo()
    await user.press("✅ 完成")
    await user.send("北门外")  # a typed address: the place buttons go too
    with_buttons = [m for m in user.messages if m.inline_keyboard]
    assert len(with_buttons) == 1 and "是否紧急" in with_buttons[0].text


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


async def test_in_english(gridbot: OfflineBot) -> None:
    person = await gridbot.member("Zhang", Role.BUILDING_LEADER, "滨河龙韵西区1号楼", language="en")
    user = person.client
    await user.send("/report")
    assert "Choose the category" in user.last_text
    await user.press("Public health")
    await user.press("Health event")
    await user.send("x" * 1001)
    assert "1001 characters, and the limit is 1000" in user.last_text
    await user.send("A resident has a fever")
    await user.press("No photos")
    await user.press("1单元")  # area names are as the operator wrote them
    await user.press("Urgent")
    assert "Please check your report" in user.last_text
    await user.press("✅ Submit")
    assert "Submitted as YH-20260613-0001" in user.last_text


async def test_an_edited_answer_is_not_a_new_answer(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "photos")
    seen = len(user.messages)
    await user.edit_last("改了描述")
    assert len(user.messages) == seen
    await user.press("不需要照片")
    await user.press("1单元")
    await user.press("一般")
    assert "情况：楼上漏水" in user.last_text


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
        assert "问题在哪里" in user.last_text
        await user.press("1单元")
        await user.press("一般")
        await user.press("✏️ 修改")
        assert "照片" not in str(user.buttons())
        await user.press("⬅ 返回核对")
        await user.press("✅ 提交")
        assert await offline.db.fetchval("SELECT count(*) FROM cases") == 1
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
    assert "无法提交这份上报" in user.last_text
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


async def test_an_album_out_of_place_is_explained_once(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await reach(user, "description")
    seen = len(user.messages)
    await user.send_album(4)
    assert len(user.messages) == seen + 1
    assert "这里需要文字或语音" in user.last_text
    await user.send("描述")
    await user.send_album(2)  # the photo step is open now: kept
    await user.press("✅ 完成")
    await user.press("1单元")
    await user.press("一般")
    assert "照片：2 张" in user.last_text
