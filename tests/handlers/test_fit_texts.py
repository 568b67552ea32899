"""Texts built from what people typed fit Telegram's limits, whatever was typed.

Every field is filled to its maximum; the stand-in refuses what Telegram would (a text
over 4096 characters, a caption over 1024) and the ``gridbot`` fixture fails on any
such refusal or logged error. A shortened text offers 📄 查看全文, which sends it whole.
"""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services import cases
from bot.services.cases import MAX_TEXT, MediationRecord
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.members import MAX_NAME
from bot.services.notify import notify_member
from bot.services.reporting import Report
from storage.times import to_db
from tests.helpers.cases import open_report

SHOW_ALL = "📄 查看全文"


def long_text(mark: str, size: int) -> str:
    """A text of exactly ``size`` characters with HTML specials in it, ending in ``mark``."""
    body = ("楼上漏水<b>&amp;" * size)[: size - len(mark)]
    return body + mark


async def full_report(gridbot: OfflineBot, leader: Person) -> int:
    assert leader.member is not None
    limit = gridbot.config.reports.description_max_chars
    opened = await open_report(
        gridbot,
        leader,
        Report(
            category=Category.DISPUTE,
            subcategory="neighbours",
            details={"parties": long_text("当事人完", 200)},
            description=long_text("描述完", limit),
            place_text=long_text("地点完", 200),
        ),
        key="full",
    )
    await gridbot.run_due_jobs()
    return opened.case.id


async def add_note(admin: Person, text: str) -> None:
    await admin.client.press("📝 备注")
    await admin.client.send(text)


async def test_a_card_with_every_field_full_is_sent_edited_and_escalated(
    gridbot: OfflineBot,
) -> None:
    leader = await gridbot.member("张" * MAX_NAME, Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    await full_report(gridbot, leader)
    await admin.client.press("✅ 受理")
    for n in range(3):
        await add_note(admin, long_text(f"备注{n}完", MAX_TEXT))
    card = next(m for m in admin.client.messages if m.kind == "text")
    assert card.text.count("📝 备注：") == 3  # the third note made it onto the card in place
    assert "…" in card.text and len(card.text) <= 4096
    await admin.client.press("⬆️ 升级")
    await admin.client.press("⬆️ 确认升级")
    await admin.client.send(long_text("原因完", MAX_TEXT))
    failed = await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'failed'")
    assert failed == 0
    alert = street.client.last
    assert alert is not None and "督办单位：光明街道" in alert.text
    assert SHOW_ALL in [label for row in street.client.buttons() for label in row]

    # 查看全文 sends the card whole, in parts that each fit
    mark = street.client.mark()
    await street.client.press(SHOW_ALL)
    parts = street.client.texts(mark)
    assert len(parts) >= 2
    whole = "".join(parts)
    for end in ("描述完", "地点完", "备注0完", "备注1完", "备注2完"):
        assert end in whole
    assert "楼上漏水<b>&amp;" in whole  # shown as typed: escaped once, never twice


async def test_show_all_is_refused_to_who_may_not_see_the_case(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    stranger = await gridbot.member("周末", Role.COMMUNITY_ADMIN, "光明街社区")
    case_id = await full_report(gridbot, leader)
    mark = stranger.client.mark()
    await stranger.client.press_data(f"v1:all:c:{case_id}")
    assert stranger.client.texts(mark) == []
    await stranger.client.press_data("v1:all:c:abc")
    assert stranger.client.texts(mark) == []


async def test_a_long_timeline_is_shortened_and_shown_whole_on_request(
    gridbot: OfflineBot,
) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    assert leader.member is not None and admin.member is not None
    case_id = await full_report(gridbot, leader)
    db, clock, config = gridbot.db, gridbot.clock, gridbot.config
    version = int(await db.fetchval("SELECT version FROM cases WHERE id = ?", (case_id,)))
    case = await cases.accept(db, clock, admin.member, case_id, version)
    for n in range(4):
        case = await cases.resolve(
            db,
            clock,
            config,
            admin.member,
            case_id,
            case.version,
            long_text(f"结果{n}完", MAX_TEXT),
            mediation=MediationRecord("甲乙", "漏水", "修好", "一周内"),
        )
        case = await cases.reopen(
            db,
            clock,
            config,
            leader.member,
            case_id,
            case.version,
            long_text(f"理由{n}完", MAX_TEXT),
        )
    await gridbot.run_due_jobs()  # every notice to the reporter fits, or the fixture fails
    await leader.client.send("/mycases")
    await leader.client.press("1. YH-20260613-0001")
    shown = leader.client.last
    assert shown is not None and "…" in shown.text
    assert len(shown.text) <= 4096
    mark = leader.client.mark()
    await leader.client.press(SHOW_ALL)
    parts = leader.client.texts(mark)
    assert len(parts) >= 3
    whole = "".join(parts)
    for n in range(4):
        assert f"结果{n}完" in whole and f"理由{n}" in whole
    assert "描述完" in whole
    # someone else's case: a forged button shows nothing
    other = await gridbot.member("赵刚", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    mark = other.client.mark()
    await other.client.press_data(f"v1:all:t:{case_id}")
    assert other.client.texts(mark) == []


async def test_a_notice_quoting_a_reason_longer_than_any_limit_still_arrives(
    gridbot: OfflineBot,
) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    assert leader.member is not None
    case_id = await full_report(gridbot, leader)
    # A reason far past what the service lets through today: the notice fits all the same.
    reason = long_text("原因完", 6000)
    await notify_member(
        gridbot.db,
        leader.member,
        cases.CASE_REPORTER,
        {"case_id": case_id, "event": "rejected", "reason": "other", "text": reason},
        now=to_db(gridbot.clock.now()),
    )
    await gridbot.run_due_jobs()
    notice = leader.client.last
    assert notice is not None and "不予受理" in notice.text and notice.text.endswith("…")
    assert SHOW_ALL in [label for row in leader.client.buttons(notice) for label in row]
    sent = await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'")
    failed = await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'failed'")
    assert sent and not failed
