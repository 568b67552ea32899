"""/report: four taps and one message for every category, and every field changed at the summary."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.offline.harness import OfflineBot, Person
from bot.offline.standin import UserClient
from bot.services.grid import Role
from storage import outbox
from tests.helpers.people import admin, leader
from tests.helpers.statements import statements

BUILDING = "运河区/光明街道/滨河社区/滨河龙韵西区1号楼"


async def area_id(gridbot: OfflineBot, name: str) -> int:
    found = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = ?", (name,))
    assert isinstance(found, int)
    return found


class Counting:
    """Counts the taps and messages a leader needs."""

    def __init__(self, person: Person) -> None:
        self.client = person.client
        self.taps = 0
        self.messages = 0

    async def tap_menu(self, label: str) -> None:
        self.taps += 1  # a menu (reply keyboard) button sends its label
        await self.client.send(label)

    async def press(self, label: str) -> None:
        self.taps += 1
        await self.client.press(label)

    async def say(self, how: str, text: str) -> None:
        """One message: typed, spoken, a photo with or without caption, or an album."""
        self.messages += 1
        if how == "text":
            await self.client.send(text)
        elif how == "voice":
            await self.client.send_voice(9)
        elif how == "photo":
            await self.client.send_photo()
        elif how == "photo+caption":
            await self.client.send_photo(caption=text)
        else:
            await self.client.send_album(3, caption=text)


async def test_sanitation_report_in_four_taps_and_one_message(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    boss = await admin(gridbot)
    user = me.client
    await user.send("📝 上报问题")
    assert "请选择问题类别" in user.last_text
    assert user.buttons() == [["矛盾纠纷", "环境卫生"], ["平安稳定", "疫情防控"], ["社情民意"]]
    await user.press("环境卫生")
    assert "请选择具体类型" in user.last_text
    await user.press("垃圾堆积")
    assert "直接说或打字描述情况，也可以发照片" in user.last_text
    await user.send("3单元门口垃圾三天没人清运")
    summary = user.last_text
    assert f"在{BUILDING}，环境卫生（垃圾堆积），一般，不急。" in summary
    assert "情况：3单元门口垃圾三天没人清运" in summary
    assert "照片：没有" in summary
    assert user.buttons() == [
        ["✅ 提交"],
        ["📍 改地点", "🔴 标为紧急"],
        ["📷 加照片"],
        ["✏️ 修改", "❌ 取消"],
    ]
    await user.press("✅ 提交")
    assert "已提交，编号 YH-20260613-0001" in user.last_text
    case = await gridbot.db.fetchone("SELECT * FROM cases")
    assert case is not None
    assert (case["category"], case["subcategory"], case["urgent"]) == ("sanitation", "garbage", 0)
    assert case["place_area_id"] == await area_id(gridbot, "滨河龙韵西区1号楼")
    assert case["place_text"] is None and case["latitude"] is None
    community = await area_id(gridbot, "滨河社区")
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


# category, kind, how the one message is sent, (description, voice?, photos) stored
PLANS = [
    ("矛盾纠纷", "家庭纠纷", "voice", (None, True, 0)),
    ("环境卫生", "楼道堆物", "photo", (None, False, 1)),
    ("平安稳定", "楼道电动车充电", "photo+caption", ("楼道里有人充电", False, 1)),
    ("疫情防控", "卡口异常", "album", ("北门卡口没人", False, 3)),
    ("社情民意", "物业服务", "text", ("物业电话总打不通", False, 0)),
]


@pytest.mark.parametrize(("category", "kind", "how", "stored"), PLANS)
async def test_each_category_in_four_taps_and_one_message(
    gridbot: OfflineBot,
    category: str,
    kind: str,
    how: str,
    stored: tuple[str | None, bool, int],
) -> None:
    me = await leader(gridbot)
    await admin(gridbot)
    who = Counting(me)
    await who.tap_menu("📝 上报问题")
    await who.press(category)
    await who.press(kind)
    await who.say(how, stored[0] or "")
    assert "请看一下您要报的事" in who.client.last_text
    await who.press("✅ 提交")
    assert "已提交，编号 YH-20260613-0001" in who.client.last_text
    assert (who.taps, who.messages) == (4, 1)
    case = await gridbot.db.fetchone("SELECT * FROM cases")
    assert case is not None
    description, voice, photos = stored
    assert case["description"] == description
    assert (case["voice_file_id"] is not None) == voice
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_photos") == photos
    # the defaults: the reporter's building, urgency normal, no parties, not anonymous
    assert case["place_area_id"] == await area_id(gridbot, "滨河龙韵西区1号楼")
    assert (case["place_text"], case["latitude"]) == (None, None)
    assert (case["urgent"], case["anonymous"], case["details"]) == (0, 0, "{}")
    assert await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'case.new'") == 1


async def test_every_field_changes_on_the_summary_in_place(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    await admin(gridbot)
    user = me.client
    await user.send("/report")
    await user.press("矛盾纠纷")
    await user.press("邻里纠纷")
    await user.send("楼上卫生间漏水")
    summary = user.last
    assert summary is not None
    assert "当事双方：没写（需要的话点“➕ 当事双方”）" in summary.text
    assert user.buttons()[2] == ["📷 加照片", "➕ 当事双方"]

    async def same_message() -> str:
        assert user.last is not None and user.last.message_id == summary.message_id
        return user.last_text

    # 📍 a unit, by one tap: the summary is edited, not sent again
    await user.press("📍 改地点")
    assert "问题在哪里？" in await same_message()
    assert user.buttons()[0][0] == "整个滨河龙韵西区1号楼"
    await user.press("3单元")
    assert f"在{BUILDING}/3单元，" in await same_message()
    # 🔴 urgency toggles in place
    await user.press("🔴 标为紧急")
    assert "（邻里纠纷），🔴 紧急。" in await same_message()
    await user.press("🟢 改回一般")
    assert "一般，不急" in await same_message()
    await user.press("🔴 标为紧急")
    # ✏️ the kind
    await user.press("✏️ 修改")
    assert user.buttons() == [["类别", "类型"], ["重新说情况"], ["⬅ 返回核对"]]
    await user.press("类型")
    await user.press("物业纠纷")
    assert "矛盾纠纷（物业纠纷），🔴 紧急" in user.last_text
    summary = user.last
    # ➕ the parties, typed
    await user.press("➕ 当事双方")
    assert "纠纷双方是谁" in await same_message()
    await user.send("2单元301与401住户")
    assert "当事双方记下了" in user.last_text
    assert "当事双方：2单元301与401住户" in user.last_text
    assert summary.message_id not in user.chat.messages, "one summary in the chat"
    # more text, and a voice message, are added to the description (and said so)
    await user.send("水已经渗到客厅")
    assert "这段话已加到情况里" in user.last_text
    assert "情况：楼上卫生间漏水\n水已经渗到客厅" in user.last_text
    await user.send_voice(7)
    assert "这段语音已加到情况里" in user.last_text
    assert "水已经渗到客厅；语音 7 秒" in user.last_text
    # 📷 photos: the button says how; photos sent at the summary are just taken
    await user.press("📷 加照片")
    assert "直接发照片就行" in user.last_text
    await user.send_photo()
    assert "照片加上了" in user.last_text and "照片：1 张" in user.last_text
    await user.send_album(2)
    assert "照片：3 张" in user.last_text
    assert sum("请看一下您要报的事" in m.text for m in user.messages) == 1
    # 📍 a typed address, kept with the unit it is in; then a shared location
    await user.press("📍 改地点")
    await user.send("3单元4楼东户")
    assert f"在{BUILDING}/3单元，3单元4楼东户，" in user.last_text
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT * FROM cases")
    assert case is not None
    assert (case["category"], case["subcategory"], case["urgent"]) == ("dispute", "property", 1)
    assert case["place_area_id"] == await area_id(gridbot, "3单元")
    assert case["place_text"] == "3单元4楼东户"
    assert case["description"] == "楼上卫生间漏水\n水已经渗到客厅"
    assert case["voice_duration"] == 7
    assert json.loads(case["details"]) == {"parties": "2单元301与401住户"}
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_photos") == 3


async def test_a_location_and_the_description_said_again(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("平安稳定")
    await user.press("消防通道堵塞")
    await user.send_voice(12)
    assert "情况：语音 12 秒" in user.last_text
    await user.send_location(38.30412, 116.83871)
    assert "地点改好了，用您发的位置" in user.last_text
    assert f"在{BUILDING}（位置 38.30412, 116.83871）" in user.last_text
    await user.press("✏️ 修改")
    await user.press("重新说情况")
    await user.send("消防通道被三辆车堵住")
    assert "情况已换成您刚说的" in user.last_text
    assert "语音" not in user.last_text, "the voice was replaced too"
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone(
        "SELECT description, voice_file_id, latitude, longitude, place_area_id FROM cases"
    )
    assert case is not None
    assert case["description"] == "消防通道被三辆车堵住" and case["voice_file_id"] is None
    assert (case["latitude"], case["longitude"]) == (38.30412, 116.83871)
    assert case["place_area_id"] == await area_id(gridbot, "滨河龙韵西区1号楼")


async def test_an_opinion_is_not_anonymous_unless_asked(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("社情民意")
    assert "请选择反映的主题" in user.last_text
    await user.press("公共设施")
    await user.send("小区健身器材坏了")
    assert "上报人：写您的名字（不想留名，点“🙈 匿名”）" in user.last_text
    await user.press("🙈 匿名")
    assert "上报人：🙈 匿名，只有本社区（村）管理员知道是您报的" in user.last_text
    await user.press("👤 取消匿名")
    assert "上报人：写您的名字" in user.last_text
    await user.press("🙈 匿名")
    await user.press("✅ 提交")
    assert await gridbot.db.fetchval("SELECT anonymous FROM cases") == 1


async def test_nothing_sent_on_the_way_is_lost(gridbot: OfflineBot) -> None:
    """A photo or text sent before the kind is chosen is kept; a second text is added."""
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.send_photo()  # while the category is asked
    assert "照片收到了，提交时一起交上去" in user.last_text
    assert "请选择问题类别" in user.last_text
    await user.press("环境卫生")
    await user.send("垃圾桶满了")  # typed before the kind was chosen
    assert "您说的情况记下了" in user.last_text and "请选择具体类型" in user.last_text
    mark = user.mark()
    await user.send_album(2)  # while the kind is asked
    assert user.texts(mark) and "请选择具体类型" in user.last_text
    await user.press("垃圾堆积")
    assert "请看一下您要报的事" in user.last_text, "described already: straight to the summary"
    await user.send("已经溢到路上了")  # a second text
    assert "垃圾桶满了\n已经溢到路上了" in user.last_text
    assert "照片：3 张" in user.last_text
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT description FROM cases")
    assert case is not None and case["description"] == "垃圾桶满了\n已经溢到路上了"
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_photos") == 3


async def test_a_second_text_sent_while_the_first_is_answered_is_added(
    gridbot: OfflineBot,
) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("垃圾堆积")
    # both arrive before the bot has answered the first (updates handled concurrently)
    await asyncio.gather(user.send("垃圾桶满了"), user.send("已经溢到路上了"))
    assert "垃圾桶满了\n已经溢到路上了" in user.last_text
    assert "这段话已加到情况里" in user.last_text
    await user.press("✅ 提交")
    case = await gridbot.db.fetchone("SELECT description FROM cases")
    assert case is not None and case["description"] == "垃圾桶满了\n已经溢到路上了"


async def test_an_album_is_one_message_and_one_summary(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("乱倒乱扔")
    before = len(user.messages)
    await user.send_album(4, caption="建筑垃圾堆在绿化带")
    assert len(user.messages) == before + 1, "an album is answered once"
    assert "照片：4 张" in user.last_text and "情况：建筑垃圾堆在绿化带" in user.last_text
    await user.send_album(3)  # two more than the limit of five
    assert "照片最多 5 张，多出来的没有保存" in user.last_text
    assert "照片：5 张" in user.last_text
    await user.press("✅ 提交")
    positions = await gridbot.db.fetchall("SELECT position FROM case_photos ORDER BY id")
    assert [p[0] for p in positions] == [0, 1, 2, 3, 4]


async def test_a_village_group_leader_reports_their_group(gridbot: OfflineBot) -> None:
    me = await gridbot.member("村长", Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    town = await gridbot.member("镇干部", Role.STREET_ADMIN, "南陈屯镇")
    user = me.client
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("污水外溢")
    await user.send("村口排水沟堵了")
    assert "在运河区/南陈屯镇/刘舒庄村/第一村民小组，" in user.last_text
    await user.press("📍 改地点")
    assert user.buttons() == [["第一村民小组"], ["⬅ 返回核对"]]
    await user.press("⬅ 返回核对")
    await user.press("✅ 提交")
    assert "已提交" in user.last_text
    assert await gridbot.db.fetchval("SELECT place_area_id FROM cases") == await area_id(
        gridbot, "第一村民小组"
    )
    assert "村口排水沟堵了" in town.client.last_text  # no village admin: the town is alerted


async def test_in_english(gridbot: OfflineBot) -> None:
    person = await gridbot.member("Zhang", Role.BUILDING_LEADER, "滨河龙韵西区1号楼", language="en")
    user: UserClient = person.client
    await user.send("/report")
    assert "Choose the category" in user.last_text
    await user.press("Public health")
    await user.press("Health event")
    await user.send("x" * 1001)
    assert "That is 1001 characters, and the limit is 1000" in user.last_text
    await user.send("A resident has a fever")
    assert "Please check your report" in user.last_text
    assert "normal, not urgent" in user.last_text
    await user.press("🔴 Mark urgent")
    await user.press("✅ Submit")
    assert "Submitted as YH-20260613-0001" in user.last_text
    assert await gridbot.db.fetchval("SELECT urgent FROM cases") == 1


def _one_commit_with_the_update(seen: list[str], write: str) -> None:
    """``write`` ran once, in the step's one commit: the one that records the update."""
    assert seen.count("COMMIT") == 1, seen
    assert sum(1 for sql in seen if sql.startswith(write)) == 1, seen
    begin = seen.index("BEGIN IMMEDIATE")
    saved = seen[begin : seen.index("COMMIT")]
    assert any(sql.startswith(write) for sql in saved), seen
    assert any(sql.startswith("INSERT OR IGNORE INTO processed_updates") for sql in saved)
    assert any(sql.startswith("INSERT INTO ptb_user_data") for sql in saved), "with the draft"


async def test_a_report_begins_in_one_commit_with_its_draft(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    async with statements(gridbot) as seen:
        await user.send("/report")
    _one_commit_with_the_update(seen.seen, "INSERT INTO report_drafts")
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 1


async def test_a_category_tap_stores_its_category_in_one_write(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    async with statements(gridbot) as seen:
        await user.press("环境卫生")
    # With the step's own save (the draft was begun moments ago: known alive).
    _one_commit_with_the_update(seen.seen, "UPDATE report_drafts SET")
    assert seen.count("category = coalesce('sanitation', category)") == 1
    stored = await gridbot.db.fetchval("SELECT category FROM report_drafts")
    assert stored == "sanitation", "stored before the kinds were shown"
    # a category tap of this draft at the kind question (stale, or forged) is refused,
    # and its category is not stored
    assert user.last is not None
    kind = str(user.last.inline_keyboard[0][0]["callback_data"])
    flow = kind.split(":")[2]
    await user.press_data(f"v1:rep:{flow}:cat:dispute", user.last.message_id)
    assert user.last_answer is not None and user.last_answer.show_alert
    assert await gridbot.db.fetchval("SELECT category FROM report_drafts") == "sanitation"


async def test_the_confirm_files_the_case_and_removes_its_draft_in_one_commit(
    gridbot: OfflineBot,
) -> None:
    user = (await leader(gridbot)).client
    await admin(gridbot)
    await user.send("/report")
    await user.press("环境卫生")
    await user.press("垃圾堆积")
    await user.send("门口垃圾没清运")
    async with statements(gridbot) as seen:
        await user.press("✅ 提交")
    # The case with its draft's removal, then the conversation's state with the tap's
    # record: nothing else commits (the draft is checked by a read, not touched). What
    # follows is the alert's delivery.
    delivery = next(i for i, sql in enumerate(seen.seen) if "FROM outbox o" in sql)
    commits = [i for i, sql in enumerate(seen.seen[:delivery]) if sql == "COMMIT"]
    assert len(commits) == 2, seen.seen
    first = seen.seen[: commits[0]]
    assert any(sql.startswith("INSERT INTO cases") for sql in first)
    assert any(sql.startswith("DELETE FROM report_drafts") for sql in first)
    assert seen.count("UPDATE report_drafts") == 0
    assert "已提交，编号" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0


async def test_steps_close_together_touch_the_draft_once(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/report")
    await user.press("环境卫生")  # stores the category: a write
    touched = await gridbot.db.fetchval("SELECT touched_at FROM report_drafts")
    gridbot.clock.advance(seconds=5)
    async with statements(gridbot) as seen:
        await user.press("垃圾堆积")
    # Known alive (touched 5 s ago, the sweep ends drafts idle for minutes): no write
    # but the conversation's own save.
    assert seen.count("report_drafts") == 0 and seen.count("COMMIT") == 1, seen.seen
    assert await gridbot.db.fetchval("SELECT touched_at FROM report_drafts") == touched
    gridbot.clock.advance(seconds=30)
    async with statements(gridbot) as seen:
        await user.send("门口垃圾没清运")
    assert seen.count("UPDATE report_drafts SET touched_at") == 1
    assert await gridbot.db.fetchval("SELECT touched_at FROM report_drafts") != touched
    assert "请看一下您要报的事" in user.last_text
    # Left alone past the timeout, the draft is ended as before.
    gridbot.clock.advance(minutes=31)
    await gridbot.run_due_jobs()
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert not user.buttons(), "the summary's buttons are taken off"
