"""/cases pages by key (keyset paging): the buttons carry the case the page starts from."""

from __future__ import annotations

import re

import pytest

from bot.offline.harness import OfflineBot
from bot.services.cases import reading
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report, open_case


async def _cases(gridbot: OfflineBot, count: int) -> list[str]:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    assert leader.member is not None
    numbers = []
    for i in range(count):
        gridbot.clock.advance(minutes=1)
        opened = await open_case(
            gridbot.db,
            gridbot.clock,
            gridbot.config,
            leader.member,
            Report(category=Category.SANITATION, subcategory="garbage", description=f"垃圾{i}"),
            idempotency_key=f"k{i}",
        )
        numbers.append(opened.case.number)
    return numbers


def _listed(rows: list[list[str]]) -> list[str]:
    return [m.group(0) for row in rows for m in [re.search(r"YH-\d{8}-\d{4}", row[0])] if m]


async def test_pages_go_forward_and_back_by_key(gridbot: OfflineBot) -> None:
    numbers = await _cases(gridbot, 19)
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await admin.client.send("/cases")
    assert "共 19 件，第 1/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[:8]
    await admin.client.press("下一页 ›")
    assert "第 2/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[8:16]
    data = [str(b.get("callback_data")) for row in admin.client.last.inline_keyboard for b in row]
    assert any(re.fullmatch(r"v1:cl:-:-:2:a\d+", d) for d in data), data
    await admin.client.press("下一页 ›")
    assert "第 3/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[16:]
    await admin.client.press("‹ 上一页")
    assert _listed(admin.client.buttons()) == numbers[8:16]
    await admin.client.press("‹ 上一页")
    assert "第 1/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[:8]


async def test_a_page_whose_cases_were_handled_meanwhile_starts_again(gridbot: OfflineBot) -> None:
    numbers = await _cases(gridbot, 9)
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await admin.client.send("/cases")
    await admin.client.press("下一页 ›")
    assert _listed(admin.client.buttons()) == numbers[8:]
    # the ninth case is closed by someone else; the old 下一页 leads to the first page
    await gridbot.db.execute("UPDATE cases SET status = 'closed' WHERE number = ?", (numbers[8],))
    last = numbers[7]
    case_id = await gridbot.db.fetchval("SELECT id FROM cases WHERE number = ?", (last,))
    await admin.client.press_data(f"v1:cl:-:-:1:a{case_id}")
    assert "共 8 件，第 1/1 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[:8]


async def test_old_and_forged_paging_buttons(gridbot: OfflineBot) -> None:
    numbers = await _cases(gridbot, 9)
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await admin.client.send("/cases")
    await admin.client.press_data("v1:cl:-:-:1")  # drawn before keyset paging: the first page
    assert _listed(admin.client.buttons()) == numbers[:8]
    for forged in ("v1:cl:-:-:1:x5", "v1:cl:-:-:1:a", "v1:cl:-:-:1:a-5", "v1:cl:-:-:1:a5:b"):
        await admin.client.press_data(forged)
        assert "失效" in str(admin.client.last_answer.text)  # type: ignore[union-attr]


async def _finished(gridbot: OfflineBot, count: int) -> list[str]:
    """``count`` cases, all closed: the finished list's numbers, latest reported first."""
    numbers = await _cases(gridbot, count)
    await gridbot.db.execute("UPDATE cases SET status = 'closed'")
    return numbers[::-1]


async def test_finished_cases_come_latest_first_and_page_by_key(gridbot: OfflineBot) -> None:
    numbers = await _finished(gridbot, 19)
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await admin.client.send("/cases")
    await admin.client.press("已结束")
    assert "共 19 件，最近报的在前，第 1/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[:8]
    await admin.client.press("下一页 ›")
    assert _listed(admin.client.buttons()) == numbers[8:16]
    await admin.client.press("下一页 ›")
    assert "第 3/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[16:]
    assert not any("下一页" in label for row in admin.client.buttons() for label in row)
    await admin.client.press("‹ 上一页")
    assert _listed(admin.client.buttons()) == numbers[8:16]
    await admin.client.press("‹ 上一页")
    assert "第 1/3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[:8]


async def test_a_long_list_is_counted_no_further_than_the_cap(
    gridbot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A district's finished cases run into the millions: the count stops at the cap
    # (1000; 10 here, to keep the test small) and the pages go on without a last one.
    monkeypatch.setattr(reading, "COUNT_CAP", 10)
    numbers = await _finished(gridbot, 19)
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await admin.client.send("/cases")
    await admin.client.press("已结束")
    assert "已结束的案件（" in admin.client.last_text
    assert "10 件以上，最近报的在前，第 1 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[:8]
    await admin.client.press("下一页 ›")
    await admin.client.press("下一页 ›")
    assert "10 件以上，最近报的在前，第 3 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[16:]
    assert not any("下一页" in label for row in admin.client.buttons() for label in row)
    await admin.client.press("‹ 上一页")
    assert "第 2 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[8:16]
    # the open ones are counted the same way
    await gridbot.db.execute("UPDATE cases SET status = 'new'")
    await admin.client.send("/cases")
    assert "待办案件（" in admin.client.last_text and "10 件以上，第 1 页" in admin.client.last_text
    assert _listed(admin.client.buttons()) == numbers[::-1][:8]
