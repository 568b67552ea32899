"""Notices: each bad input gets a clear answer; nothing goes twice or to the wrong people."""

from __future__ import annotations

import pytest

from bot.offline.harness import OfflineBot
from bot.services import notices as service
from bot.services.grid import Role
from bot.services.notices import Draft, NoticeError
from tests.helpers.notices import compose, town_admin, village_people


async def _to_body(user: object) -> None:
    await user.send("/notice")  # type: ignore[attr-defined]
    await user.press("✏️ 写新通知")  # type: ignore[attr-defined]
    await user.send("标题")  # type: ignore[attr-defined]


async def test_empty_and_over_long_text(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    user = boss.client
    await _to_body(user)
    await user.send_photo()
    assert "请用文字写通知正文" in user.last_text
    await user.send("字" * 3001)
    assert "正文最多 3000 个字，您写了 3001 个字" in user.last_text
    await user.send("字" * 3000)
    assert "可以发照片" in user.last_text
    # A caption that would make the text too long: the photo is kept, the caption is not.
    await user.send_photo(caption="多出来的说明")
    texts = user.texts()
    assert any("说明文字加到正文后会超过 3000 个字" in text for text in texts)
    assert "照片 1 张" in user.last_text
    for bad in ("", "   ", "\u3000\n"):
        with pytest.raises(NoticeError) as refused:
            service.check_body(bad)
        assert refused.value.code == "notices.error.empty_body"


async def test_title_too_long(gridbot: OfflineBot) -> None:
    user = (await town_admin(gridbot)).client
    await user.send("/notice")
    await user.press("✏️ 写新通知")
    await user.send("长" * 61)
    assert "标题最多 60 个字" in user.last_text


async def test_document_too_big_or_not_a_policy_file(gridbot: OfflineBot) -> None:
    user = (await town_admin(gridbot)).client
    await _to_body(user)
    await user.send("正文")
    big = gridbot.api.new_file(
        "document", None, file_name="拆迁方案.pdf", mime_type="application/pdf"
    )
    big.file_size = 60 * 1024 * 1024
    await user._post({"document": big.to_json()})
    assert "有 60 MB，太大了" in user.last_text
    await user.send_document("名单.zip")
    assert "不是 PDF 或 Word 文件" in user.last_text
    await user.send_document("拆迁方案.docx")
    assert "文件「拆迁方案.docx」" in user.last_text
    await user.send_voice(4)
    assert "语音 1 段" in user.last_text


async def test_area_outside_and_empty_recipients(gridbot: OfflineBot) -> None:
    village = await gridbot.member("村官", Role.COMMUNITY_ADMIN, "刘舒庄村")
    user = village.client
    await _to_body(user)
    await user.send("正文")
    await user.press("下一步 ➡")
    await user.send("姚庄子村")
    assert "「运河区/南陈屯镇/姚庄子村」不在您管辖的范围内" in user.last_text
    await user.press("选择「刘舒庄村」")
    await user.press("✅ 选好了")
    await user.press("下一步 ➡")
    await user.press("👀 预览")
    assert "找不到接收人，不能发送" in user.last_text
    assert user.buttons() == [["✏️ 修改", "🗑 放弃"]]
    # A forged pick of an area outside: refused on the server.
    other = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '姚庄子村'")
    data = str(user.last.inline_keyboard[0][0]["callback_data"])  # type: ignore[union-attr]
    flow_id = data.split(":")[2]
    await user.press("✏️ 修改")
    await user.press("发送范围")
    await user.press_data(f"v1:ntc:{flow_id}:pick:{other}")
    assert "不在您管辖的范围内" in (user.last_answer.text or "")  # type: ignore[union-attr]
    # The service refuses too, and an empty recipient set is refused there as well.
    home = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '刘舒庄村'")
    assert village.member is not None
    for targets, code in (
        ((other,), "notices.error.area_outside"),
        ((home,), "notices.error.no_recipients"),
    ):
        with pytest.raises(NoticeError) as refused:
            await service.send(
                gridbot.db,
                gridbot.clock,
                village.member,
                Draft(key="k1", title="t", body="b", targets=targets, roles=("group_leader",)),
                rate=30,
            )
        assert refused.value.code == code
    assert await gridbot.db.fetchval("SELECT count(*) FROM notices") == 0


async def test_send_pressed_twice_makes_one_notice(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    await compose(boss)
    user = boss.client
    message = user.last
    assert message is not None
    data = str(message.inline_keyboard[0][0]["callback_data"])
    await user.press_data(data, message.message_id)
    await user.press_data(data, message.message_id)
    assert "已经发出了，不会重复发送" in (user.last_answer.text or "")  # type: ignore[union-attr]
    assert await gridbot.db.fetchval("SELECT count(*) FROM notices") == 1
    assert len([m for m in people[0].client.messages if "拆迁" in m.text]) == 1


async def test_forged_relayed_is_refused(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    outsider = await gridbot.member("别村组长", Role.GROUP_LEADER, "姚庄子村/第一村民小组")
    await compose(boss)
    await boss.client.press("📤 发送")
    notice_id = await gridbot.db.fetchval("SELECT id FROM notices")
    for data in (f"v1:ntr:{notice_id}:ok", f"v1:ntr:{notice_id}:h:20", f"v1:ntr:{notice_id}:read"):
        await outsider.client.press_data(data)
        assert "不是发给您的" in (outsider.client.last_answer.text or "")  # type: ignore[union-attr]
    for data in ("v1:ntr:x:ok", f"v1:ntr:{notice_id}:h:7", "v1:ntr", f"v1:ntr:{notice_id}:bogus"):
        await outsider.client.press_data(data)
        assert "按钮已失效" in (outsider.client.last_answer.text or ""), data  # type: ignore[union-attr]
    # Households before relaying: refused; pressing relayed twice logs one outreach.
    leader = people[0].client
    await leader.press_data(f"v1:ntr:{notice_id}:h:20")
    assert "不是发给您的" in (leader.last_answer.text or "")  # type: ignore[union-attr]
    await leader.press("✅ 已传达")
    await leader.press("约 10 户")
    await leader.press_data(f"v1:ntr:{notice_id}:h:20")
    assert "已经记下了" in (leader.last_answer.text or "")  # type: ignore[union-attr]
    assert await gridbot.db.fetchval("SELECT count(*) FROM outreach_logs") == 1
    relayed = await gridbot.db.fetchval(
        "SELECT count(*) FROM notice_deliveries WHERE relayed_at IS NOT NULL"
    )
    assert relayed == 1


async def test_more_than_500_asks_once_more(gridbot: OfflineBot) -> None:
    gridbot.config = gridbot.config.replace(**{"notices.confirm_above": 5})
    await gridbot.restart()
    boss = await town_admin(gridbot)
    await village_people(gridbot)
    await compose(boss)
    user = boss.client
    await user.press("📤 发送")
    assert "将发送给 6 人，人数较多。确定要发送吗？" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM notices") == 0
    await user.press("确定发送给 6 人")
    assert await gridbot.db.fetchval("SELECT count(*) FROM notices") == 1


async def test_a_leader_cannot_send(gridbot: OfflineBot) -> None:
    people = await village_people(gridbot)
    user = people[0].client
    await user.send("/notice")
    assert "管理员" in user.last_text
    await user.press_data("v1:ntn")
    assert await gridbot.db.fetchval("SELECT count(*) FROM notices") == 0


async def test_next_with_nothing_chosen_is_refused_and_the_choice_stays(
    gridbot: OfflineBot,
) -> None:
    boss = await town_admin(gridbot)
    await village_people(gridbot)
    user = boss.client
    await user.send("/notice")
    await user.press("✏️ 写新通知")
    await user.send("拆迁通知")
    await user.send("请向各户说明。")
    await user.press("下一步 ➡")
    await user.press("✅ 选好了")  # no place chosen yet
    assert "请至少选一个地方" in str(user.last_answer.text)  # type: ignore[union-attr]
    assert "发给哪些地方" in user.last_text
    await user.send("刘舒庄村")
    await user.press("✅ 选好了")
    for role in ("村民小组长", "村民小组长助理", "楼门长", "楼门长助理"):
        await user.press(f"☑ {role}")  # every role unticked
    await user.press("下一步 ➡")
    assert "请至少选一种接收人" in str(user.last_answer.text)  # type: ignore[union-attr]
    assert "发给哪些人" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM notices") == 0
