"""/report: each category end to end, the ways to answer each step, and what is stored."""

from __future__ import annotations

from bot.offline import OfflineBot, Person
from bot.services.grid import Role
from storage import outbox


async def leader(gridbot: OfflineBot) -> Person:
    return await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")


async def admin(gridbot: OfflineBot) -> Person:
    return await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")


async def test_sanitation_report_by_buttons_and_one_message(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    boss = await admin(gridbot)
    user = me.client
    await user.send("/report")
    assert "请选择问题类别" in user.last_text
    assert user.buttons() == [["矛盾纠纷", "环境卫生"], ["平安稳定", "疫情防控"], ["社情民意"]]
    await user.press("环境卫生")
    assert "请选择具体类型" in user.last_text
    await user.press("垃圾堆积")
    assert "请描述情况" in user.last_text
    await user.send("3单元门口垃圾三天没人清运")
    assert "可以发送现场照片" in user.last_text
    await user.press("不需要照片")
    assert "问题在哪里" in user.last_text
    assert user.buttons()[0][0] == "整个滨河龙韵西区1号楼"
    await user.press("3单元")
    await user.press("一般")
    summary = user.last_text
    assert "环境卫生 · 垃圾堆积" in summary
    assert "3单元门口垃圾三天没人清运" in summary
    assert "运河区/光明街道/滨河社区/滨河龙韵西区1号楼/3单元" in summary
    await user.press("✅ 提交")
    assert "已提交，编号 YH-20260613-0001" in user.last_text
    case = await gridbot.db.fetchone("SELECT * FROM cases")
    assert case is not None
    assert (case["category"], case["subcategory"], case["urgent"]) == ("sanitation", "garbage", 0)
    assert case["place_text"] is None and case["place_area_id"] is not None
    community = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '滨河社区'")
    assert case["community_id"] == case["responsible_area_id"] == community
    assert case["reporter_id"] == me.member.id  # type: ignore[union-attr]
    assert (case["status"], case["accept_due"]) == ("new", "2026-06-13T01:30:00Z")  # 30 min
    events = await gridbot.db.fetchall("SELECT kind, actor_id FROM case_events")
    assert [tuple(e) for e in events] == [("created", me.member.id)]  # type: ignore[union-attr]
    rows = await outbox.of_kind(gridbot.db, "case.new")
    assert [r.member_id for r in rows] == [boss.member.id]  # type: ignore[union-attr]
    assert "YH-20260613-0001" in boss.client.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


class Counting:
    """Counts the taps and messages a leader needs."""

    def __init__(self, person: Person) -> None:
        self.client = person.client
        self.taps = 0
        self.messages = 0

    async def press(self, label: str) -> None:
        self.taps += 1
        await self.client.press(label)

    async def send(self, text: str) -> None:
        self.messages += 1
        await self.client.send(text)


async def test_a_dispute_with_parties_typed(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    await admin(gridbot)
    user = me.client
    await user.send("/report")
    await user.press("矛盾纠纷")
    assert user.buttons() == [["邻里纠纷", "家庭纠纷"], ["物业纠纷", "其他纠纷"]]
    await user.press("邻里纠纷")
    assert "纠纷双方" in user.last_text
    await user.send("2单元301与401住户")
    await user.send("楼上卫生间漏水，双方争执")
    await user.press("不需要照片")
    await user.press("整个滨河龙韵西区1号楼")
    await user.press("紧急")
    assert "当事方：2单元301与401住户" in user.last_text
    assert "紧急程度：紧急" in user.last_text
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT details, urgent, accept_due FROM cases")
    assert case is not None
    assert case["details"] == '{"parties": "2单元301与401住户"}'
    assert case["urgent"] == 1 and case["accept_due"] == "2026-06-13T01:10:00Z"


async def test_each_category_in_seven_taps_and_one_message(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    await admin(gridbot)
    plans = [
        ("矛盾纠纷", ["家庭纠纷", "跳过"]),
        ("环境卫生", ["楼道堆物"]),
        ("平安稳定", ["楼道电动车充电"]),
        ("疫情防控", ["卡口异常"]),
        ("社情民意", ["物业服务", "🙈 隐去姓名"]),
    ]
    for number, (category, details) in enumerate(plans, start=1):
        who = Counting(me)
        await who.client.send("/report")  # or the menu button: not counted as a step
        await who.press(category)
        for label in details:
            await who.press(label)
        await who.send(f"第{number}件事的情况")
        await who.press("不需要照片")
        await who.press("1单元")
        await who.press("一般")
        await who.press("✅ 提交")
        assert f"YH-20260613-000{number}" in who.client.last_text
        assert who.taps <= 7 and who.messages == 1, (category, who.taps)
    rows = await gridbot.db.fetchall("SELECT category, subcategory, anonymous FROM cases")
    assert [tuple(r) for r in rows] == [
        ("dispute", "family", 0),
        ("sanitation", "stairwell", 0),
        ("safety", "ebike", 0),
        ("health", "checkpoint", 0),
        ("opinion", "property", 1),
    ]
    assert await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'case.new'") == 5


async def test_menu_button_starts_a_report(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("📝 上报问题")
    assert "请选择问题类别" in user.last_text


async def test_voice_description_location_and_urgent(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    boss = await admin(gridbot)
    user = me.client
    await user.send("/report")
    await user.press("平安稳定")
    await user.press("消防通道堵塞")
    await user.send_voice(12)
    assert "可以发送现场照片" in user.last_text
    await user.press("不需要照片")
    await user.send_location(38.30412, 116.83871)
    await user.press("紧急")
    assert "（语音 12 秒）" in user.last_text
    assert "位置 38.30412, 116.83871" in user.last_text
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone(
        "SELECT description, voice_file_id, voice_duration, latitude, longitude FROM cases"
    )
    assert case is not None
    assert case["description"] is None and case["voice_file_id"]
    assert case["voice_duration"] == 12
    assert (case["latitude"], case["longitude"]) == (38.30412, 116.83871)
    assert len(boss.client.voices) == 1  # the admin's alert carries the voice


async def test_typed_address_and_opinion_name_shown(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("社情民意")
    assert "请选择反映的主题" in user.last_text
    await user.press("公共设施")
    await user.press("公开姓名")
    await user.send("小区健身器材坏了")
    await user.press("不需要照片")
    await user.send("滨河龙韵西区南门外健身广场")
    await user.press("一般")
    assert "上报人姓名：公开" in user.last_text
    place = "地点：运河区/光明街道/滨河社区/滨河龙韵西区1号楼，滨河龙韵西区南门外健身广场"
    assert place in user.last_text
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT place_text, place_area_id, anonymous FROM cases")
    building = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '滨河龙韵西区1号楼'")
    assert case is not None
    # the typed address is kept with the building it is in (issue 9)
    assert tuple(case) == ("滨河龙韵西区南门外健身广场", building, 0)


async def test_a_single_photo_and_an_album(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("乱倒乱扔")
    await user.send("建筑垃圾堆在绿化带")
    await user.send_photo()
    assert "已收到 1 张照片" in user.last_text
    assert user.buttons() == [["✅ 完成"]]
    before = len(user.messages)
    await user.send_album(3)
    assert len(user.messages) == before + 1, "an album is acknowledged once"
    assert "已收到一组照片" in user.last_text
    await user.send_album(2)  # one more than the limit of five
    assert "已达 5 张上限" in user.last_text
    await user.press("✅ 完成")
    await user.press("2单元")
    await user.press("一般")
    assert "照片：5 张" in user.last_text
    await user.press("✅ 提交")
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_photos") == 5
    positions = await gridbot.db.fetchall("SELECT position FROM case_photos ORDER BY id")
    assert [p[0] for p in positions] == [0, 1, 2, 3, 4]


async def test_changing_a_field_at_the_summary(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("垃圾堆积")
    await user.send("第一次写的")
    await user.press("不需要照片")
    await user.press("1单元")
    await user.press("一般")
    await user.press("✏️ 修改")
    assert user.last_text == "要修改哪一项？"
    await user.press("情况描述")
    assert "请描述情况" in user.last_text
    await user.send("改过的描述")
    assert "请核对" in user.last_text and "改过的描述" in user.last_text
    await user.press("✏️ 修改")
    await user.press("类别")
    await user.press("矛盾纠纷")
    await user.press("物业纠纷")
    await user.press("跳过")
    summary = user.last_text
    assert "矛盾纠纷 · 物业纠纷" in summary and "改过的描述" in summary
    assert "滨河龙韵西区1号楼/1单元" in summary
    await user.press("✏️ 修改")
    await user.press("⬅ 返回核对")
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT category, subcategory, description FROM cases")
    assert case is not None and tuple(case) == ("dispute", "property", "改过的描述")


async def test_a_village_group_leader_reports_their_group(gridbot: OfflineBot) -> None:
    me = await gridbot.member("村长", Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    town = await gridbot.member("镇干部", Role.STREET_ADMIN, "南陈屯镇")
    user = me.client
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("污水外溢")
    await user.send("村口排水沟堵了")
    await user.press("不需要照片")
    assert user.buttons() == [["第一村民小组"]]
    await user.press("第一村民小组")
    await user.press("一般")
    await user.press("✅ 提交")
    assert "已提交" in user.last_text
    assert "村口排水沟堵了" in town.client.last_text  # no village admin: the town is alerted
