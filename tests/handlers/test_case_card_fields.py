"""The case card shows everything the reporter gave: the building with a typed address or
a shared location, a photo-only report as such, and every voice message delivered."""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services.grid import Role

BUILDING = "运河区/光明街道/滨河社区/滨河龙韵西区1号楼"


async def people(gridbot: OfflineBot) -> tuple[Person, Person]:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    return leader, admin


async def start_report(leader: Person, category: str = "环境卫生", kind: str = "垃圾堆积") -> None:
    await leader.client.send("📝 上报问题")
    await leader.client.press(category)
    await leader.client.press(kind)


def card(person: Person) -> str:
    return next(m.text for m in reversed(person.client.messages) if "案件 YH-" in m.text)


async def test_the_card_shows_the_building_and_the_typed_address(gridbot: OfflineBot) -> None:
    leader, admin = await people(gridbot)
    await start_report(leader)
    await leader.client.send("垃圾三天没人清运")
    await leader.client.press("📍 改地点")
    await leader.client.send("东门外的垃圾站")
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    assert f"地点：{BUILDING}，东门外的垃圾站" in card(admin)
    await leader.client.send("/mycases")
    # the reporter's own timeline says the same
    number = await gridbot.db.fetchval("SELECT number FROM cases")
    await leader.client.press(f"1. {number}")
    assert f"地点：{BUILDING}，东门外的垃圾站" in leader.client.last_text


async def test_the_card_shows_the_building_and_the_shared_location(gridbot: OfflineBot) -> None:
    leader, admin = await people(gridbot)
    await start_report(leader)
    await leader.client.send("垃圾三天没人清运")
    await leader.client.press("📍 改地点")
    await leader.client.send_location(38.30412, 116.83871)
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    assert f"地点：{BUILDING}（位置 38.30412, 116.83871）" in card(admin)
    assert len(admin.client.locations) == 1  # and the pin under the card


async def test_a_photo_only_case_does_not_speak_of_a_voice(gridbot: OfflineBot) -> None:
    leader, admin = await people(gridbot)
    await start_report(leader)
    await leader.client.send_photo()
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    shown = card(admin)
    assert "情况：（没有文字，请看照片）" in shown and "语音" not in shown
    assert len(admin.client.photos) == 1


async def test_every_voice_message_reaches_the_admins(gridbot: OfflineBot) -> None:
    leader, admin = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    await start_report(leader)
    await leader.client.send_voice(8)
    await leader.client.send_voice(12)  # at the summary: added to the description
    await leader.client.send_voice(3)
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
    assert "情况：（语音，见下方）" in card(admin)
    durations = [m.data["voice"]["duration"] for m in admin.client.voices]
    assert durations == [8, 12, 3]
    said = admin.client.texts()
    assert any("第 2 段语音（共 3 段）" in text for text in said)
    assert any("第 3 段语音（共 3 段）" in text for text in said)
    # a level put over the case later gets the whole report too
    await admin.client.press("⬆️ 升级")
    await admin.client.press("⬆️ 确认升级")
    await admin.client.send("需要街道协调")
    await gridbot.run_due_jobs()
    assert [m.data["voice"]["duration"] for m in street.client.voices] == [8, 12, 3]
