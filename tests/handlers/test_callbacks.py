"""Callback data: versioned, within 64 bytes, and a button from before the upgrade is stale."""

from __future__ import annotations

import re

import pytest

from bot.i18n import t
from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from handlers.common.callbacks import (
    ANY,
    MAX_BYTES,
    NUMBER,
    BadCallback,
    any_of,
    exact,
    fields,
    is_for,
    pack,
    pattern,
    unpack,
    versioned,
)
from tests.helpers.cases import people, report, status


def test_data_is_versioned_and_parsed_back() -> None:
    data = pack("ca", 12, 3, "accept")
    assert data == "v1:ca:12:3:accept"
    assert versioned(data)
    assert unpack(data, "ca", 3) == ["12", "3", "accept"]
    assert fields(data, "ca") == ["12", "3", "accept"]
    assert is_for(data, "ca") and is_for(data, "ca", "12") and not is_for(data, "cr")
    for wrong in ("ca:12:3:accept", "v2:ca:12:3:accept", "v1:cr:12:3:accept", "", None, "v1"):
        with pytest.raises(BadCallback):
            fields(wrong, "ca")
        assert not is_for(wrong, "ca")
    with pytest.raises(BadCallback):
        unpack(data, "ca", 2)


def test_data_over_64_bytes_or_with_a_separator_is_refused() -> None:
    assert len(pack("x", "好" * 19).encode()) <= MAX_BYTES
    with pytest.raises(ValueError, match="over 64 bytes"):
        pack("x", "好" * 19, "yy")
    with pytest.raises(ValueError, match="inside a callback part"):
        pack("x", "a:b")


def test_patterns_take_only_this_version() -> None:
    assert re.match(pattern("mt"), "v1:mt:a:3")
    assert re.match(pattern("mt", "a"), "v1:mt:a:3")
    assert re.match(pattern("mt", "a"), "v1:mt:a")
    assert not re.match(pattern("mt", "a"), "v1:mt:ab:3")
    assert not re.match(pattern("mt"), "mt:a:3")
    assert not re.match(pattern("mt"), "v1:mtx:a")
    skip = exact("ca", NUMBER, NUMBER, "skip")
    assert re.match(skip, "v1:ca:1:2:skip") and not re.match(skip, "v1:ca:x:2:skip")
    assert re.match(exact("ca", ANY), "v1:ca:x") and not re.match(exact("ca", ANY), "v1:ca:x:y")
    either = any_of(exact("a", "b"), exact("c", NUMBER))
    assert re.match(either, "v1:a:b") and re.match(either, "v1:c:7")
    assert not re.match(either, "v1:a:bb") and not re.match(either, "v1:c:7:8")


async def test_a_button_from_before_the_upgrade_is_answered_as_stale(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    alert = admin.client.last
    assert alert is not None
    # The same card's accept button as the bot drew it before callback data were versioned.
    await admin.client.press_data(f"ca:{case_id}:0:accept", alert.message_id)
    answer = admin.client.last_answer
    assert answer is not None and answer.show_alert
    assert answer.text == t("zh-CN", "common.stale_button")
    assert await status(gridbot, case_id) == "new"
    # A forged version is just as stale, and says so in the member's language.
    english = await gridbot.member("Ann", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    await english.client.press_data(f"v0:ca:{case_id}:0:accept")
    assert english.client.last_answer is not None
    assert english.client.last_answer.text == t("en", "common.stale_button")
    await english.client.press_data("lang:set:zh-CN")  # an old language button
    assert english.client.last_answer.text == t("en", "common.stale_button")
    assert await gridbot.db.fetchval("SELECT language FROM members WHERE name = 'Ann'") == "en"
    assert await status(gridbot, case_id) == "new"
    # The card's real button still works.
    await admin.client.press("✅ 受理")
    assert await status(gridbot, case_id) == "accepted"
