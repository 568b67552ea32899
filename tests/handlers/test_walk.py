"""What walking the demo as each persona found, each fixed with a test."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.harness import OfflineBot
from bot.services.categories import Category
from bot.services.grid import Role
from tests.handlers.test_case_handling import people, report


async def test_village_groups_are_offered_in_the_order_of_the_area_file(
    gridbot: OfflineBot,
) -> None:
    village = await gridbot.member("刘秀英", Role.COMMUNITY_ADMIN, "南陈屯镇/刘舒庄村")
    await village.client.send("/invite")
    await village.client.press("村民小组长")
    assert village.client.buttons() == [["第一村民小组", "第二村民小组"], ["第三村民小组"]]


async def test_an_empty_list_of_closed_cases_does_not_call_them_open(gridbot: OfflineBot) -> None:
    district = await gridbot.member("孙立新", Role.DISTRICT_ADMIN, "运河区")
    await district.client.send("/cases")
    assert "目前没有符合条件的待办案件" in district.client.last_text
    await district.client.press("已结束")
    assert "还没有符合条件的已结束案件" in district.client.last_text
    assert "待办" not in district.client.last_text.splitlines()[0]


async def test_a_card_with_text_and_voice_says_there_is_a_voice(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await leader.client.send("📝 上报问题")
    await leader.client.press("平安稳定")
    await leader.client.press("楼道电动车充电")
    await leader.client.send("楼道里有人给电动车充电")
    await leader.client.send_voice(4)
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    card = next(m.text for m in admin.client.messages if "案件 YH-" in m.text)
    assert "情况：楼道里有人给电动车充电\n（语音，见下方）" in card
    assert len(admin.client.voices) == 1


async def test_the_reporter_who_answered_not_fixed_has_no_answer_buttons_left(
    gridbot: OfflineBot,
) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await leader.client.send("📝 上报问题")
    await leader.client.press("环境卫生")
    await leader.client.press("垃圾堆积")
    await leader.client.send("垃圾没人清运")
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("已清运")
    await admin.client.press("跳过")
    question = leader.client.last
    assert question is not None and "问题解决了吗？" in question.text
    await leader.client.press("👎 未解决")
    await leader.client.send("又堆起来了")
    assert "已重新打开" in leader.client.last_text
    asked = next(m for m in leader.client.messages if m.message_id == question.message_id)
    assert asked.inline_keyboard == []


async def test_a_card_opened_from_todo_is_current_after_a_typed_step(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    helper = await gridbot.member("刘芳", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    await leader.client.send("📝 上报问题")
    await leader.client.press("环境卫生")
    await leader.client.press("垃圾堆积")
    await leader.client.send("垃圾没人清运")
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("刘芳")
    await helper.client.send("/todo")
    await helper.client.press("YH-")
    opened = helper.client.last
    assert opened is not None and helper.client.buttons(opened) == [
        ["🏁 办结", "↩️ 退回"],
        ["📝 备注"],
    ]
    await helper.client.press("📝 备注")
    await helper.client.send("联系了保洁公司")
    now = next(m for m in helper.client.messages if m.message_id == opened.message_id)
    assert "📝 备注：联系了保洁公司" in now.text
    await helper.client.press("🏁 办结")
    await helper.client.send("已清运")
    await helper.client.press("跳过")
    # every copy of the card she holds shows it resolved, with only what is still allowed
    copies = [m for m in helper.client.messages if "案件 YH-" in m.text]
    assert len(copies) == 2
    for message in copies:
        assert "已办结待确认" in message.text, message.text
        assert helper.client.buttons(message) == [["📝 备注"]]


async def test_the_digest_calls_a_photo_only_case_a_photo(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await leader.client.send("📝 上报问题")
    await leader.client.press("环境卫生")
    await leader.client.press("垃圾堆积")
    await leader.client.send_photo()
    await leader.client.press("✅ 提交")
    for _ in range(30):  # the next 08:00 digest, in steps the sweeps run at
        gridbot.clock.advance(hours=1)
        await gridbot.run_due_jobs()
    digests = [text for text in admin.client.texts() if "每日简报" in text]
    assert digests and "垃圾堆积：（照片）" in digests[0] and "语音" not in digests[0]


async def test_the_revisit_reminder_opens_the_case(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader, category=Category.DISPUTE, kind="neighbours")
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("双方达成一致")
    await admin.client.press("跳过")
    for answer in ("301室张某、401室李某", "楼上漏水渗到楼下", "李某负责维修", "本周内修好"):
        await admin.client.send(answer)
    gridbot.clock.advance(days=30)
    await gridbot.run_due_jobs()
    reminder = next(m for m in admin.client.messages if "回访提醒" in m.text)
    assert admin.client.buttons(reminder) == [["📂 查看案件"]]
    await admin.client.press("📂 查看案件")
    assert "调解协议：李某负责维修" in admin.client.last_text


async def test_a_town_that_escalates_is_told_the_district_was_asked(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("刘长河", Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    await gridbot.member("刘秀英", Role.COMMUNITY_ADMIN, "南陈屯镇/刘舒庄村")
    town = await gridbot.member("赵建国", Role.STREET_ADMIN, "南陈屯镇")
    district = await gridbot.member("孙立新", Role.DISTRICT_ADMIN, "运河区")
    await report(gridbot, leader)
    gridbot.clock.advance(minutes=31)  # past the 30 minutes to accept: the town supervises
    await gridbot.run_due_jobs()
    await town.client.press("⬆️ 升级")
    await town.client.press("⬆️ 确认升级")
    await town.client.send("路灯归区里维修")
    assert "已请 运河区 督办" in town.client.last_text
    assert any("案件 YH-" in text for text in district.client.texts())


async def test_a_date_example_is_tomorrow_and_typing_it_works(gridbot: OfflineBot) -> None:
    village = await gridbot.member("刘秀英", Role.COMMUNITY_ADMIN, "南陈屯镇/刘舒庄村")
    admin = village.client
    gridbot.clock.advance(days=400)  # long after any date a text could have fixed
    await admin.send("/shifts")
    await admin.press("➕ 新建岗位")
    await admin.send("东门卡口")
    await admin.send("/shifts")
    await admin.press("➕ 班次：东门卡口")
    tomorrow = (gridbot.clock.now().astimezone(gridbot.config.tz) + timedelta(days=1)).date()
    example = f"{tomorrow.isoformat()} 08:00-12:00 2"
    assert f"如 {example}（" in admin.last_text
    await admin.send("明天上午")
    assert f"请按 {example} 的格式输入" in admin.last_text  # asked again, with the example
    await admin.send(example)
    assert await gridbot.db.fetchval("SELECT count(*) FROM shifts") == 1


async def test_a_menu_button_pressed_while_typing_a_resolution_is_not_the_resolution(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("🗂 待办案件")
    assert "您正在进行「案件办理」" in admin.client.last_text  # said so, nothing taken
    await admin.client.send("已清运")  # the question is still open
    await admin.client.press("跳过")
    resolution = await gridbot.db.fetchval("SELECT resolution FROM cases WHERE id = ?", (case_id,))
    assert resolution == "已清运"


async def test_text_sent_where_a_photo_is_asked_for_is_added_to_the_result(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("已清运")
    await admin.client.send("并在楼道张贴了提醒")
    assert "这段话已加到办理结果里" in admin.client.last_text
    await admin.client.press("跳过")
    resolution = await gridbot.db.fetchval("SELECT resolution FROM cases WHERE id = ?", (case_id,))
    assert resolution == "已清运\n并在楼道张贴了提醒"


async def test_a_village_is_offered_the_village_group_leaders_meeting(gridbot: OfflineBot) -> None:
    village = await gridbot.member("刘秀英", Role.COMMUNITY_ADMIN, "南陈屯镇/刘舒庄村")
    await village.client.send("/meetings")
    await village.client.press("➕ 新建例会")
    assert village.client.buttons() == [["村民小组长工作例会"]]
    _leader, admin, _other = await people(gridbot)
    await admin.client.send("/meetings")
    await admin.client.press("➕ 新建例会")
    assert admin.client.buttons() == [["楼门长工作例会"]]


async def test_cancelling_a_typed_reason_gives_the_card_its_actions_back(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    card = admin.client.last
    assert card is not None
    await admin.client.press("🚫 不予受理")
    await admin.client.press("其他原因")
    await admin.client.send("/cancel")
    assert "已取消，案件没有变化" in admin.client.last_text
    now = next(m for m in admin.client.messages if m.message_id == card.message_id)
    assert admin.client.buttons(now) == [["✅ 受理", "🚫 不予受理"], ["📝 备注", "⬆️ 升级"]]
