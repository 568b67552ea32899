"""Case handling: the lifecycle through the buttons, with the reporter kept in the loop."""

from __future__ import annotations

from bot.offline import OfflineBot, Person
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report, open_case


async def people(gridbot: OfflineBot) -> tuple[Person, Person, Person]:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    other = await gridbot.member("赵刚", Role.COMMUNITY_ADMIN, "滨河社区")
    return leader, admin, other


async def report(
    gridbot: OfflineBot,
    leader: Person,
    *,
    category: Category = Category.SANITATION,
    kind: str = "garbage",
    urgent: bool = False,
    key: str = "d1",
) -> int:
    assert leader.member is not None
    opened = await open_case(
        gridbot.db,
        gridbot.clock,
        gridbot.config,
        leader.member,
        Report(category=category, subcategory=kind, description="垃圾堆在楼下", urgent=urgent),
        idempotency_key=key,
    )
    await gridbot.run_due_jobs()
    return opened.case.id


async def status(gridbot: OfflineBot, case_id: int) -> str:
    return str(await gridbot.db.fetchval("SELECT status FROM cases WHERE id = ?", (case_id,)))


async def test_whole_lifecycle(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    case_id = await report(gridbot, leader)
    alert = admin.client.last
    assert alert is not None and "待受理" in alert.text
    assert admin.client.buttons()[0] == ["✅ 受理", "🚫 不予受理"]
    await admin.client.press("✅ 受理")
    assert await status(gridbot, case_id) == "accepted"
    assert "已被受理" in leader.client.last_text
    # the other admin's copy was edited in place, not sent again
    assert other.client.last is not None and "已受理" in other.client.last.text
    assert len([m for m in other.client.messages if m.kind == "text"]) == 1

    await admin.client.press("👤 指派")
    await admin.client.press("赵刚")
    assert await status(gridbot, case_id) == "in_progress"
    assert "赵刚" in leader.client.last_text
    assert "已指派给您" in other.client.texts()[-1]

    await admin.client.press("🏁 办结")
    assert "办理结果" in admin.client.last_text
    await admin.client.send("已清运，并张贴了告示")
    await admin.client.send_photo()
    assert await status(gridbot, case_id) == "resolved"
    assert "已清运" in leader.client.last_text
    assert (
        await gridbot.db.fetchval("SELECT count(*) FROM case_photos WHERE stage = 'resolution'")
        == 1
    )

    await leader.client.press("👍 已解决")
    assert await status(gridbot, case_id) == "closed"
    assert "请为这次办理评价" in leader.client.last_text
    await leader.client.press("满意")
    assert await gridbot.db.fetchval("SELECT rating FROM cases WHERE id = ?", (case_id,)) == (
        "satisfied"
    )
    kinds = [
        r["kind"]
        for r in await gridbot.db.fetchall(
            "SELECT kind, actor_id FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
        )
    ]
    assert kinds == ["created", "accepted", "assigned", "resolved", "confirmed", "rated"]
    copy = next(m for m in other.client.messages if m.kind == "text")
    assert "已结案" in copy.text and "满意" in copy.text
    assert copy.inline_keyboard == [[{"text": "📝 备注", "callback_data": f"ca:{case_id}:5:note"}]]
