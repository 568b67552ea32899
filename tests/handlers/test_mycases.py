"""/mycases: the member's own reports, newest first, paged, each with its timeline."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.harness import OfflineBot
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report
from storage import cases as case_repo
from tests.helpers.cases import open_report
from tests.helpers.people import admin, leader


async def file_cases(gridbot: OfflineBot, member_name: str, area: str, n: int) -> list[int]:
    person = await gridbot.member(member_name, Role.BUILDING_LEADER, area)
    assert person.member is not None
    ids = []
    for i in range(n):
        opened = await open_report(
            gridbot,
            person,
            Report(category=Category.SANITATION, subcategory="garbage", description=f"第{i + 1}件"),
            key=f"{member_name}:{i}",
        )
        ids.append(opened.case.id)
        gridbot.clock.advance(timedelta(hours=1))
    return ids


async def test_nothing_yet(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("/mycases")
    assert "您还没有上报过问题" in user.last_text
    mark = user.mark()
    await user.send("📋 我的上报")
    assert user.texts(mark) and "您还没有上报过问题" in user.last_text


async def test_a_report_made_in_the_bot_shows_in_mycases(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    await admin(gridbot)
    user = me.client
    await user.send("/report")
    for label in ("环境卫生", "垃圾堆积"):
        await user.press(label)
    await user.send("垃圾")
    await user.press("✅ 提交")
    gridbot.clock.advance(timedelta(minutes=5))
    await user.send("/mycases")
    assert "共 1 件" in user.last_text
    assert "1. YH-20260613-0001 环境卫生 · 待受理 · 5 分钟前" in user.last_text
    await user.press("1. YH-20260613-0001")
    assert "状态：待受理" in user.last_text
    assert "06-13 09:00 您：提交上报" in user.last_text  # 01:00 UTC is 09:00 in Cangzhou


async def test_paging_newest_first(gridbot: OfflineBot) -> None:
    await file_cases(gridbot, "张思凯", "滨河龙韵西区1号楼", 12)
    await file_cases(gridbot, "别人", "滨河龙韵西区2号楼", 1)
    user = gridbot.user("张思凯", user_id=10001)
    await user.send("/mycases")
    first = user.last_text
    assert "共 12 件，第 1/3 页" in first
    assert first.index("YH-20260613-0012") < first.index("YH-20260613-0011")
    assert "YH-20260613-0008" in first and "YH-20260613-0007" not in first
    assert "YH-20260613-0013" not in first  # someone else's
    assert "· 2 小时前" in first and "· 6 小时前" in first
    assert user.buttons()[-1] == ["下一页 ▶"]
    await user.press("下一页 ▶")
    assert "第 2/3 页" in user.last_text and "6. YH-20260613-0007" in user.last_text
    assert user.buttons()[-1] == ["◀ 上一页", "下一页 ▶"]
    await user.press("下一页 ▶")
    assert "第 3/3 页" in user.last_text and "12. YH-20260613-0001" in user.last_text
    assert user.buttons()[-1] == ["◀ 上一页"]
    await user.press("◀ 上一页")
    assert "第 2/3 页" in user.last_text
    assert len(user.messages) == 1, "one message, edited in place"
    gridbot.clock.advance(timedelta(days=3))
    await user.press("6. YH-20260613-0007")
    assert "第7件" in user.last_text
    await user.press("⬅ 返回列表")
    assert "第 2/3 页" in user.last_text and "3 天前" in user.last_text


async def test_timeline_shows_events_but_not_internal_notes_nor_names(
    gridbot: OfflineBot,
) -> None:
    [case_id] = await file_cases(gridbot, "张思凯", "滨河龙韵西区1号楼", 1)
    boss = await admin(gridbot)
    assert boss.member is not None
    await case_repo.add_event(
        gridbot.db,
        case_id,
        at="2026-06-13T02:30:00Z",
        actor_id=boss.member.id,
        kind="accepted",
        from_status="new",
        to_status="accepted",
    )
    await case_repo.add_event(
        gridbot.db,
        case_id,
        at="2026-06-13T02:31:00Z",
        actor_id=boss.member.id,
        kind="note",
        data={"note": "此人爱投诉"},
        internal=True,
    )
    await case_repo.add_event(
        gridbot.db,
        case_id,
        at="2026-06-13T02:40:00Z",
        actor_id=None,
        kind="escalated",
        data={"reason": "超时未办结"},
    )
    user = gridbot.user("张思凯", user_id=10001)
    await user.send("/mycases")
    await user.press("1. YH-20260613-0001")
    text = user.last_text
    assert "06-13 10:30 社区（村）管理员：受理" in text
    assert "06-13 10:40 自动：请上级督办（超时未办结）" in text
    assert "此人爱投诉" not in text and "李敏" not in text


async def test_someone_elses_case_and_forged_buttons(gridbot: OfflineBot) -> None:
    [theirs] = await file_cases(gridbot, "别人", "滨河龙韵西区2号楼", 1)
    await file_cases(gridbot, "张思凯", "滨河龙韵西区1号楼", 1)
    user = gridbot.user("张思凯", user_id=10002)
    await user.send("/mycases")
    before = user.last_text
    for data in (f"v1:my:c:{theirs}:0", "v1:my:c:999:0", "v1:my:p:x", "v1:my:zz", "v1:my:c:1"):
        await user.press_data(data)
        assert user.last_answer is not None and user.last_answer.show_alert, data
        assert "按钮已失效" in (user.last_answer.text or "")
    assert user.last_text == before
    await user.press_data("v1:my:p:99")  # past the end: the last page
    assert "第 1/1 页" in user.last_text


async def test_strangers_are_told_how_to_join(gridbot: OfflineBot) -> None:
    stranger = gridbot.user("路人")
    await stranger.send("/mycases")
    assert "您还没有加入网格" in stranger.last_text
    gridbot.clock.advance(minutes=1)  # a stranger is answered once a minute
    await stranger.press_data("v1:my:p:0", None)
    assert "您还没有加入网格" in (stranger.last_answer.text or "")  # type: ignore[union-attr]
