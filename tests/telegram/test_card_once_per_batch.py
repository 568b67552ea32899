"""A case going to several holders in one delivery batch: its card is read once, and drawn
once per audience (language, rights; a group for its least-privileged member), with every
privacy rule kept for each holder."""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services import cases
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report
from tests.helpers.cases import open_report
from tests.helpers.statements import Statements, statements


async def test_one_read_of_the_card_for_every_holder_of_a_new_case(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    first = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    second = await gridbot.member("赵刚", Role.COMMUNITY_ADMIN, "滨河社区")
    english = await gridbot.member("Li", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    admins = (first, second, english)
    resident = gridbot.user("居民")
    gridbot.api.add_group(-700, "滨河社区群", members=[first.client.user.id, resident.user.id])
    group = first.client.in_chat(-700)
    await group.send("/bindgroup")
    before = len(group.texts())
    await open_report(
        gridbot,
        leader,
        Report(category=Category.SANITATION, subcategory="garbage", description="垃圾堆在楼下"),
        key="k1",
    )
    assert gridbot.app.delivery is not None
    async with statements(gridbot) as seen:
        await gridbot.app.delivery.run_once()
    # Four holders, one read of the case's card: its events and photos once (a mediation
    # record is read for a dispute only), its reporter once, the recipients in one statement.
    assert seen.count("FROM case_events WHERE case_id = ") == 1
    assert seen.count("FROM case_photos WHERE case_id = ") == 1
    assert seen.count("FROM mediations WHERE case_id = ") == 0
    assert seen.count("WHERE m.id IN (") == 1
    assert seen.count("WHERE m.id = ") == 1  # the reporter, shown on the card
    # What each holder sees is still drawn for them.
    phone = leader.client.user.phone
    assert phone is not None
    masked = phone[:-8] + "****" + phone[-4:]
    cards = [admin.client.last_text for admin in admins]
    assert cards[0] == cards[1] and "待受理" in cards[0] and phone in cards[0]
    assert "Case YH-20260613-0001" in cards[2] and phone in cards[2] and "待受理" not in cards[2]
    shown = group.texts()[before:]
    assert len(shown) == 1 and masked in shown[0] and phone not in shown[0]
    assert first.client.buttons()[0] == ["✅ 受理", "🚫 不予受理"]


async def _a_case_and_its_admin(gridbot: OfflineBot) -> Person:
    """A leader's new case, queued for their community's one admin; the admin."""
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await open_report(
        gridbot,
        leader,
        Report(category=Category.SANITATION, subcategory="garbage", description="垃圾堆在楼下"),
        key="k1",
    )
    return admin


async def test_a_copy_sent_is_kept_for_its_edits_in_the_commit_that_marks_it_sent(
    gridbot: OfflineBot,
) -> None:
    admin = await _a_case_and_its_admin(gridbot)
    assert gridbot.app.delivery is not None
    async with statements(gridbot) as seen:
        await gridbot.app.delivery.run_once()
    writes = [s for s in seen.seen if s.split(" ", 1)[0] in ("INSERT", "UPDATE", "COMMIT", "BEGIN")]
    keep = next(i for i, s in enumerate(writes) if s.startswith("INSERT INTO message_refs"))
    mark = next(
        i for i, s in enumerate(writes) if s.startswith("UPDATE outbox SET status = 'sent'")
    )
    assert writes[keep - 1].startswith("BEGIN") and mark == keep + 1, writes
    assert writes[mark + 1] == "COMMIT"
    assert "YH-" in admin.client.last_text
    # The copy is edited in place when the case moves: it was kept.
    await admin.client.press("✅ 受理")
    assert sum("YH-" in t for t in admin.client.texts()) == 1


async def _accepted_while_watched(gridbot: OfflineBot) -> tuple[Person, Statements]:
    """A new case's admin, once its alert came, presses ✅ 受理; the statements it ran."""
    admin = await _a_case_and_its_admin(gridbot)
    await gridbot.run_due_jobs()
    async with statements(gridbot) as seen:
        await admin.client.press("✅ 受理")
    return admin, seen


async def test_the_pressed_copys_refresh_is_closed_in_the_commit_that_records_the_press(
    gridbot: OfflineBot,
) -> None:
    admin, seen = await _accepted_while_watched(gridbot)
    writes = [s for s in seen.seen if s.split(" ", 1)[0] in ("INSERT", "UPDATE", "COMMIT", "BEGIN")]
    settle = next(i for i, s in enumerate(writes) if "EXISTS (SELECT 1 FROM message_refs" in s)
    # In the transaction that records the update as handled (with its persistence write).
    begin = max(i for i, s in enumerate(writes[:settle]) if s.startswith("BEGIN"))
    commit = next(i for i, s in enumerate(writes) if i > settle and s == "COMMIT")
    saved = writes[begin:commit]
    assert any(s.startswith("INSERT OR IGNORE INTO processed_updates") for s in saved), saved
    assert not any(s.startswith("UPDATE cases") for s in saved), "not the press's own commit"
    # The outbox never looked at that copy again: no read of where it is kept.
    assert seen.count("SELECT chat_id, message_id FROM message_refs") == 0
    row = await gridbot.db.fetchone(
        "SELECT status, result FROM outbox WHERE kind = 'case.update' AND member_id IS NOT NULL"
    )
    assert row is not None and row[0] == "sent" and '"in_place": true' in row[1]
    assert "已受理" in admin.client.last_text


async def test_a_press_on_a_card_opened_from_a_list_still_gets_the_kept_copy_edited(
    gridbot: OfflineBot,
) -> None:
    admin = await _a_case_and_its_admin(gridbot)
    await gridbot.run_due_jobs()
    alert = admin.client.last
    assert alert is not None and "待受理" in alert.text
    await admin.client.send("/cases")
    await admin.client.press("YH-20260613-0001 · 待受理")
    opened = admin.client.last
    assert opened is not None and opened.message_id != alert.message_id
    assert "待受理" in opened.text
    await admin.client.press("✅ 受理")  # the newest message with the button: the opened card
    # The card pressed was redrawn by the handler, and the alert kept for edits by the outbox.
    assert "已受理" in admin.client.chat.messages[opened.message_id].text
    assert "已受理" in admin.client.chat.messages[alert.message_id].text


async def test_a_copy_sent_in_a_batch_is_the_one_a_later_row_of_the_batch_edits(
    gridbot: OfflineBot,
) -> None:
    # The alert and, before it went, the case accepted: both rows due in one batch. The
    # kept copy read ahead (none yet) serves the first row only; the edit finds the alert.
    admin = await _a_case_and_its_admin(gridbot)
    assert admin.member is not None
    case = await cases.get(gridbot.db, 1)
    assert case is not None
    await cases.accept(gridbot.db, gridbot.clock, admin.member, case.id, case.version)
    assert gridbot.app.delivery is not None
    await gridbot.app.delivery.run_once()
    cards = [t for t in admin.client.texts() if "YH-20260613-0001" in t]
    assert len(cards) == 1 and "已受理" in cards[0], cards
    # The edit found the copy just sent (it showed this already), not "no copy kept".
    row = await gridbot.db.fetchone("SELECT status, result FROM outbox WHERE kind = 'case.update'")
    assert row is not None and row[0] == "sent" and '"edited": true' in row[1], tuple(row or ())


async def test_the_marks_of_a_batchs_edits_go_with_its_send_in_one_commit(
    gridbot: OfflineBot,
) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    first = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    others = [await gridbot.member(f"赵刚{n}", Role.COMMUNITY_ADMIN, "滨河社区") for n in (1, 2)]
    await open_report(
        gridbot,
        leader,
        Report(category=Category.SANITATION, subcategory="garbage", description="垃圾堆在楼下"),
        key="k1",
    )
    await gridbot.run_due_jobs()
    assert first.member is not None
    case = await cases.get(gridbot.db, 1)
    assert case is not None
    await cases.accept(gridbot.db, gridbot.clock, first.member, case.id, case.version)
    assert gridbot.app.delivery is not None
    async with statements(gridbot) as seen:
        await gridbot.app.delivery.run_once()
    # Three edits (every admin's copy) and the reporter's new message: one commit.
    assert seen.count("COMMIT") == 1, seen.seen
    marks = [s for s in seen.seen if s.startswith("UPDATE outbox SET status = 'sent'")]
    assert len(marks) == 4, seen.seen
    for admin in (first, *others):
        assert "已受理" in admin.client.last_text
    assert "已被受理" in leader.client.last_text
    pending = await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'")
    assert pending == 0


async def test_a_press_redraws_its_card_from_what_its_action_read_in_its_own_transaction(
    gridbot: OfflineBot,
) -> None:
    admin, seen = await _accepted_while_watched(gridbot)
    # The card is read once, before the action's commit: no read of it after.
    first_commit = seen.seen.index("COMMIT")
    photos = [i for i, s in enumerate(seen.seen) if "FROM case_photos WHERE case_id" in s]
    assert photos and all(i < first_commit for i in photos), seen.seen
    assert "已受理" in admin.client.last_text
    # A card kept for a version the press did not make is not used: it is read.
    assert admin.member is not None
    case = await cases.get(gridbot.db, 1)
    assert case is not None
    drawn = await cases.read_card(gridbot.db, case.id, fresh=case.version + 1)
    assert drawn is not None and drawn.view.case.version == case.version
