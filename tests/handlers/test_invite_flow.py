"""/invite: an admin makes invites for roles and areas at or below their own."""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services.grid import Role
from handlers.common.callbacks import pack


async def community_admin(gridbot: OfflineBot) -> Person:
    return await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")


async def test_invite_by_buttons_gives_code_link_and_qr(gridbot: OfflineBot) -> None:
    admin = (await community_admin(gridbot)).client
    await admin.send("/invite")
    # an urban community has buildings, no village groups: 村民小组长 is not offered
    assert admin.buttons() == [["楼门长", "楼门长助理"], ["社区（村）管理员"]]
    await admin.press("楼门长")
    assert "当前位置：运河区/光明街道/滨河社区" in admin.last_text
    await admin.press("📂 滨河龙韵西区1号楼")
    assert admin.buttons()[0] == ["✅ 选择「滨河龙韵西区1号楼」"]
    assert ["⬆ 返回上级"] in admin.buttons()
    await admin.press("✅ 选择「滨河龙韵西区1号楼」")
    created = admin.texts()[-2]
    assert "邀请已生成" in created
    assert "运河区/光明街道/滨河社区/滨河龙韵西区1号楼" in created
    link = next(word for word in created.split() if word.startswith("https://t.me/"))
    code = link.rsplit("=", 1)[1]
    assert link == f"https://t.me/gridbot_demo_bot?start={code}"
    assert len(code) == 22
    qr = admin.photos[-1]
    assert "扫码加入" in qr.text
    assert (admin.file_bytes(qr) or b"").startswith(b"\x89PNG")
    row = await gridbot.db.fetchone(
        "SELECT role, created_by, code_hash FROM invites WHERE created_by IS NOT NULL"
    )
    assert row is not None and row["role"] == "building_leader" and row["created_by"] == 1
    assert code not in row["code_hash"]
    # the code works
    newcomer = gridbot.user("新人")
    await newcomer.send(f"/start {code}")
    await newcomer.send("新人")
    await newcomer.share_contact()
    assert "加入成功" in newcomer.last_text


async def test_units_and_paging_back_up(gridbot: OfflineBot) -> None:
    admin = (await community_admin(gridbot)).client
    await admin.send("/invite")
    await admin.press("楼门长助理")
    await admin.press("📂 滨河龙韵西区1号楼")
    await admin.press("2单元")
    assert "运河区/光明街道/滨河社区/滨河龙韵西区1号楼/2单元" in admin.texts()[-2]


async def test_typed_area_names(gridbot: OfflineBot) -> None:
    street = (await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")).client
    await street.send("/invite")
    await street.press("楼门长")
    await street.send("欣园小区")
    assert "没有找到" in street.last_text
    assert ["运河区/光明街道/光明街社区/欣园小区1号楼"] in street.buttons()
    await street.press("运河区/光明街道/光明街社区/欣园小区1号楼")
    assert "邀请已生成" in street.texts()[-2]
    await street.send("/invite")
    await street.press("楼门长")
    await street.send("南陈屯镇")  # outside the street office's area
    assert "没有找到" in street.last_text
    await street.send("光明街社区")  # the right level is a building; show its buildings
    assert "不能设在" in street.texts()[-2]
    assert "当前位置：运河区/光明街道/光明街社区" in street.last_text


async def test_ambiguous_name_offers_candidates(gridbot: OfflineBot) -> None:
    admin = (await gridbot.member("镇干部", Role.STREET_ADMIN, "南陈屯镇")).client
    await admin.send("/invite")
    await admin.press("村民小组长")
    await admin.send("第一村民小组")
    assert "对应多个区域" in admin.last_text
    assert admin.buttons() == [
        ["运河区/南陈屯镇/刘舒庄村/第一村民小组"],
        ["运河区/南陈屯镇/姚庄子村/第一村民小组"],
    ]
    await admin.press("运河区/南陈屯镇/姚庄子村/第一村民小组")
    assert "姚庄子村/第一村民小组" in admin.texts()[-2]


async def test_forged_and_stale_buttons_change_nothing(gridbot: OfflineBot) -> None:
    admin = (await community_admin(gridbot)).client
    await admin.send("/invite")
    await admin.press("楼门长")
    flow = admin.last.inline_keyboard[0][0]["callback_data"].split(":")[2]  # type: ignore[union-attr]
    beside = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '欣园小区1号楼'")
    await admin.press_data(pack("inv", flow, "pick", beside))
    assert admin.last_answer is not None and "失效" in (admin.last_answer.text or "")
    await admin.press_data(pack("inv", "000000", "role", "district_admin"))
    await admin.press_data("v1:inv:garbage")
    await admin.press_data("v1:nonsense")
    assert (
        await gridbot.db.fetchval("SELECT count(*) FROM invites WHERE created_by IS NOT NULL") == 0
    )
    # a community admin cannot make a street admin, even by forging the role button
    await admin.send("/invite")
    flow = admin.last.inline_keyboard[0][0]["callback_data"].split(":")[2]  # type: ignore[union-attr]
    await admin.press_data(pack("inv", flow, "role", "street_admin"))
    assert "失效" in (admin.last_answer.text or "")  # type: ignore[union-attr]
    assert (
        await gridbot.db.fetchval("SELECT count(*) FROM invites WHERE created_by IS NOT NULL") == 0
    )


async def test_wrong_input_and_cancel(gridbot: OfflineBot) -> None:
    admin = (await community_admin(gridbot)).client
    await admin.send("/invite")
    await admin.send_sticker()
    assert "请点击上方按钮" in admin.last_text
    await admin.send("/cancel")
    assert "已取消邀请" in admin.last_text
    await admin.send("/cancel")
    assert "没有进行中的操作" in admin.last_text


async def test_leaders_and_strangers_cannot_invite(gridbot: OfflineBot) -> None:
    leader = (await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")).client
    await leader.send("/invite")
    assert "仅供社区、街道和区级管理员" in leader.last_text
    stranger = gridbot.user("路人")
    await stranger.send("/invite")
    assert "还没有加入" in stranger.last_text


async def test_invite_flow_survives_a_restart(gridbot: OfflineBot) -> None:
    admin = (await community_admin(gridbot)).client
    await admin.send("/invite")
    await admin.press("楼门长")
    await gridbot.restart()
    await admin.press("📂 滨河龙韵西区2号楼")
    await admin.press("✅ 选择「滨河龙韵西区2号楼」")
    assert "邀请已生成" in admin.texts()[-2]


async def test_menu_button_starts_invite(gridbot: OfflineBot) -> None:
    admin = (await community_admin(gridbot)).client
    await admin.send("/start")
    assert admin.reply_keyboard is not None
    await admin.press("➕ 邀请成员")
    assert "要邀请什么身份" in admin.last_text
