"""📌 我的待办 is in the menu only for someone with cases assigned to them; /todo works for
everyone, and its empty answer says kindly what will happen and where else to look."""

from __future__ import annotations

from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from tests.handlers.test_case_handling import people, report, status

TODO = "📌 我的待办"


def has_todo(keyboard: list[list[str]] | None) -> bool:
    assert keyboard is not None
    return any(TODO in row for row in keyboard)


async def test_the_todo_button_follows_the_assignments(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    helper = await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    for person in (leader, admin, helper):
        await person.client.send("/help")
        assert not has_todo(person.client.reply_keyboard), person
    # /todo works all the same, and says kindly what will come
    await helper.client.send("/todo")
    assert "有案件交给您办时，会马上发消息告诉您" in helper.client.last_text
    await admin.client.send("/todo")
    assert "本辖区的全部案件请看“🗂 待办案件”（/cases）" in admin.client.last_text
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    card = helper.client.last
    assert card is not None and "（您的全部待办：/todo）" in card.text
    await helper.client.send("/help")
    assert "/todo 我的待办" in helper.client.last_text
    assert has_todo(helper.client.reply_keyboard)
    await helper.client.send(TODO)
    assert "共 1 件" in helper.client.last_text
    await helper.client.press("🏁 办结")
    await helper.client.send("已找保洁清走")
    await helper.client.press("跳过")
    assert await status(gridbot, case_id) == "resolved"
    # the button left in the menu answers kindly and goes away
    await helper.client.send(TODO)
    assert "现在没有指派给您办的案件" in helper.client.last_text
    assert not has_todo(helper.client.reply_keyboard)
