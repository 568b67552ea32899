"""Every keyboard the bot sends, for every kind of area of the demo district, is one
Telegram accepts (the stand-in checks each request and the fixture fails on a refusal).

The invite flow is walked in full: each role offered, every area the picker can open or
page to, and a choice at the end. Only roles that fit the kind of area are offered.
"""

from __future__ import annotations

import pytest

from bot.offline.harness import OfflineBot
from bot.offline.standin.client import UserClient
from bot.services.grid import Role

ADMIN_AREAS = {
    "district": ("运河区", Role.DISTRICT_ADMIN),
    "street": ("光明街道", Role.STREET_ADMIN),
    "town": ("南陈屯镇", Role.STREET_ADMIN),
    "community": ("滨河社区", Role.COMMUNITY_ADMIN),
    "village": ("刘舒庄村", Role.COMMUNITY_ADMIN),
}
LEADER_AREAS = {
    "building": ("滨河龙韵西区1号楼", Role.BUILDING_LEADER),
    "unit": ("滨河龙韵西区1号楼/2单元", Role.BUILDING_ASSISTANT),
    "group": ("刘舒庄村/第一村民小组", Role.GROUP_LEADER),
}
URBAN = {"楼门长", "楼门长助理"}
RURAL = {"村民小组长", "村民小组长助理"}
ADMINS = ["社区（村）管理员", "街道（镇）管理员", "区级管理员"]
ROLES_OFFERED = {
    "district": URBAN | RURAL | set(ADMINS),
    "street": URBAN | set(ADMINS[:2]),
    "town": RURAL | set(ADMINS[:2]),
    "community": URBAN | set(ADMINS[:1]),
    "village": RURAL | set(ADMINS[:1]),
}


def _datas(client: UserClient) -> list[str]:
    last = client.last
    assert last is not None and last.inline_keyboard, "a picker without buttons"
    return [str(b["callback_data"]) for row in last.inline_keyboard for b in row]


async def _walk_invite(client: UserClient, role_label: str) -> int:
    """Open every area the picker offers for the role, then choose one; return keyboards seen."""
    await client.send("/invite")
    await client.press(role_label)
    seen: set[str] = set()
    picks: list[str] = []
    queue = [d for d in _datas(client) if ":open:" in d or ":pick:" in d]
    shown = 1
    while queue:
        data = queue.pop()
        if data in seen:
            continue
        seen.add(data)
        if ":pick:" in data:
            picks.append(data)
            continue
        await client.press_data(data)
        assert client.last_answer is not None and not client.last_answer.show_alert
        shown += 1
        queue.extend(d for d in _datas(client) if d not in seen)
    assert picks, f"{role_label}: nothing to choose"
    await client.press_data(picks[0])
    assert "邀请已生成" in client.texts()[-2]
    return shown


@pytest.mark.parametrize("kind", sorted(ADMIN_AREAS))
async def test_every_admin_keyboard_of_every_area_kind(gridbot: OfflineBot, kind: str) -> None:
    area, role = ADMIN_AREAS[kind]
    admin = (await gridbot.member("管理员", role, area)).client
    for command in ("/start", "/help", "/meetings", "/shifts", "/cases", "/lang"):
        await admin.send(command)
    await admin.send("/cancel")
    await admin.send("/invite")
    offered = {label for row in admin.buttons() for label in row}
    assert offered == ROLES_OFFERED[kind]
    for label in sorted(offered):
        await _walk_invite(admin, label)
    # a meeting and a duty shift for the area, with the keyboards that come with them
    await admin.send("/meetings")
    await admin.press("➕ 新建例会")
    await admin.press("工作例会")  # 楼门长 or 村民小组长, as the area has
    for label in ("每周一次", "周二", "19:30"):
        await admin.press(label)
    await admin.send("会议室")
    for label in ("完成", "默认：提前1天、1小时", "✅ 确认创建"):
        await admin.press(label)
    assert "已创建" in admin.last_text
    await admin.send("/meetings")
    await admin.press("取消本次")
    await admin.press("不取消")
    await admin.send("/shifts")
    await admin.press("➕ 新建岗位")
    await admin.send("东门卡口")
    await admin.send("/shifts")
    await admin.press("➕ 班次：东门卡口")
    await admin.send("2026-06-20 08:00-12:00 2")
    await admin.send("/shifts")
    assert admin.buttons()


@pytest.mark.parametrize("kind", sorted(LEADER_AREAS))
async def test_every_member_keyboard_of_every_area_kind(gridbot: OfflineBot, kind: str) -> None:
    area, role = LEADER_AREAS[kind]
    leader = (await gridbot.member("成员", role, area)).client
    for command in ("/start", "/help", "/meetings", "/shifts", "/mycases", "/lang"):
        await leader.send(command)
    assert leader.reply_keyboard is not None
    await leader.send("/report")
    assert leader.buttons()
    await leader.send("/cancel")
