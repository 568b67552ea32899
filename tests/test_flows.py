"""One conversation at a time: the guard keeps a member in the flow they started."""

from __future__ import annotations

from bot.offline import OfflineBot
from bot.services.grid import Role


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
    assert "邀请已生成" in admin.texts()[-2]
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
