"""The invite and meeting-creation flows take the buttons off their last question when they end.

A button left below an old question would only be refused as out of date when pressed;
so /cancel, the flow's end and beginning it anew leave buttons on the open question only.
"""

from __future__ import annotations

from bot.offline.harness import OfflineBot
from bot.offline.standin.client import UserClient
from bot.services.grid import Role
from tests.helpers.meetings import people


def flow_buttons(client: UserClient, prefix: str) -> list[list[str]]:
    """The labels of every message still showing buttons of the flow ``prefix``."""
    found = []
    for message in client.messages:
        rows = message.inline_keyboard or []
        datas = [str(b.get("callback_data", "")) for row in rows for b in row]
        if any(data.split(":")[1:2] == [prefix] for data in datas):
            found.append([label for row in client.buttons(message) for label in row])
    return found


async def test_cancel_at_the_role_question_takes_its_buttons_off(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    assert len(flow_buttons(admin, "inv")) == 1
    await admin.send("/cancel")
    assert "已取消邀请" in admin.last_text
    assert flow_buttons(admin, "inv") == []


async def test_cancel_in_the_area_picker_takes_its_buttons_off(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    await admin.press("楼门长")
    await admin.press("📂 滨河龙韵西区1号楼")
    await admin.send("/cancel")
    assert flow_buttons(admin, "inv") == []
    assert (
        await gridbot.db.fetchval("SELECT count(*) FROM invites WHERE created_by IS NOT NULL") == 0
    )


async def test_typed_area_leaves_only_the_open_question_with_buttons(gridbot: OfflineBot) -> None:
    street = (await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")).client
    await street.send("/invite")
    await street.press("楼门长")
    await street.send("欣园小区")  # not found: the candidates are the open question now
    (candidates,) = flow_buttons(street, "inv")
    assert "运河区/光明街道/光明街社区/欣园小区1号楼" in candidates
    await street.send("欣园小区1号楼")  # typed exactly: the invite is made, the flow ends
    assert "邀请已生成" in street.texts()[-2]
    assert flow_buttons(street, "inv") == []


async def test_invite_begun_anew_takes_the_old_buttons_off(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    await admin.press("楼门长")
    await admin.send("/invite")
    assert flow_buttons(admin, "inv") == [["楼门长", "楼门长助理", "社区（村）管理员"]]


async def test_cancel_in_meeting_creation_takes_its_buttons_off(gridbot: OfflineBot) -> None:
    admin, _leader, _assistant = await people(gridbot)
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.send("党建学习会")  # typed: the offered title's button comes off
    assert len(flow_buttons(client, "mc")) == 1
    await client.press("每周一次")
    assert len(flow_buttons(client, "mc")) == 1
    await client.send("/cancel")
    assert "已放弃" in client.last_text
    assert flow_buttons(client, "mc") == []
    assert await gridbot.db.fetchval("SELECT count(*) FROM meeting_series") == 0


async def test_cancel_at_the_roles_question_takes_its_buttons_off(gridbot: OfflineBot) -> None:
    admin, _leader, _assistant = await people(gridbot)
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.press("楼门长工作例会")
    await client.press("每周一次")
    await client.press("周二")
    await client.press("19:30")
    await client.send("社区二楼会议室")
    await client.press("✅ 村民小组长")  # ticked in place: still the open question
    assert len(flow_buttons(client, "mc")) == 1
    await client.send("/cancel")
    assert flow_buttons(client, "mc") == []


async def test_cancel_after_a_typed_answer_takes_the_buttons_off(gridbot: OfflineBot) -> None:
    admin, _leader, _assistant = await people(gridbot)
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.send("党建学习会")
    await client.press("每月几号")
    await client.send("31")  # the time question, with its quick times
    assert len(flow_buttons(client, "mc")) == 1
    await client.send("/cancel")
    assert flow_buttons(client, "mc") == []


async def test_cancel_after_a_restart_still_takes_the_buttons_off(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")).client
    await admin.send("/invite")
    await admin.press("楼门长")
    await gridbot.restart()  # the open question's message id is kept with the draft
    await admin.send("/cancel")
    assert "已取消邀请" in admin.last_text
    assert flow_buttons(admin, "inv") == []
