"""Duplicates: every update delivered twice yields the same state as delivered once.

Telegram resends updates it did not see confirmed (a restart, a lost answer to
getUpdates, a webhook that timed out). The same scenario runs on two fresh bots:
once with each update delivered once, once with each delivered twice at once and
all of them a third time after a restart (when the ids come from the database, not
memory). What users saw and what the database holds must be the same.

HOOK (lead): add the report flow, admin actions on cases and meeting answers to
``SCENARIOS`` once they are merged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_config
from bot.offline.harness import OfflineBot
from bot.offline.standin import UserClient
from bot.offline.standin.records import JSON
from bot.services.areas import resolve
from bot.services.grid import Role
from bot.services.invites import create_invite
from tests.conftest import ErrorLog

Scenario = Callable[[OfflineBot], Awaitable[list[UserClient]]]
# Invite codes are random; they are not part of the state compared.
CODE = re.compile(r"[A-Za-z0-9_-]{22}")


async def join(bot: OfflineBot) -> list[UserClient]:
    place = await resolve(bot.db, "滨河龙韵西区1号楼")
    invite = await create_invite(
        bot.db, bot.clock, role=Role.BUILDING_LEADER, area=place, by=None, ttl_days=3
    )
    users = []
    for n, how in enumerate(("typed", "button", "cancel")):
        user = bot.user(f"甲{n}", user_id=40_000 + n)
        users.append(user)
        await user.send(f"/start {invite.code if n == 0 else 'not-a-code'}")
        if n == 0:
            await user.send("/lang")  # a wrong kind of input mid-flow, then the name
            await user.send("张<b>三</b> & 李")
            await user.share_contact()
            await user.send("/help")
        elif how == "button":
            await user.send("/help")
        else:
            await user.send("/cancel")
    return users


async def invite(bot: OfflineBot) -> list[UserClient]:
    admin = (await bot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区", user_id=41_000)).client
    await admin.send("/invite")
    await admin.press("楼门长")
    await admin.press("📂 滨河龙韵西区1号楼")
    await admin.press("✅ 选择「滨河龙韵西区1号楼」")
    await admin.send("/invite")
    await admin.press("楼门长助理")
    await admin.send("欣园小区1号楼")  # the area typed instead
    await admin.press_data("v1:inv:forged:role:x")  # a forged button
    await admin.send("/cancel")
    return [admin]


SCENARIOS: dict[str, Scenario] = {"join": join, "invite": invite}

TABLES = {
    "members": "SELECT tg_user_id, name, phone, role, area_id, work_id, active, language"
    " FROM members ORDER BY id",
    "invites": "SELECT role, area_id, created_by, used_by IS NOT NULL FROM invites ORDER BY id",
    "conversations": "SELECT name, key, state FROM ptb_conversations ORDER BY name, key",
    "user_data": "SELECT user_id, data FROM ptb_user_data ORDER BY user_id",
    "counters": "SELECT name, value FROM counters ORDER BY name",
    "outbox": "SELECT recipient, kind, payload, status FROM outbox ORDER BY id",
    "cases": "SELECT number, status FROM cases ORDER BY id",
}


async def state(bot: OfflineBot, users: list[UserClient]) -> dict[str, object]:
    """What users saw and what the database holds, with random codes blanked."""
    seen: dict[str, object] = {
        f"chat {u.user.id}": [CODE.sub("<code>", m.text) for m in u.messages] for u in users
    }
    seen["answers"] = sorted(
        (c.user_id, c.text or "", c.show_alert) for c in bot.api.callbacks.values()
    )
    for name, sql in TABLES.items():
        rows = await bot.db.fetchall(sql)
        seen[name] = [CODE.sub("<code>", repr(tuple(r))) for r in rows]
    return seen


async def play(tmp_path: Path, scenario: Scenario, times: int) -> dict[str, object]:
    config = load_config(None, environ={}).replace(
        **{"database.path": str(tmp_path / f"bot-{times}.sqlite3")}
    )
    bot = OfflineBot(config, clock=FakeClock())
    await bot.start()
    try:
        await bot.import_areas()
        updates: list[JSON] = []
        deliver_once = bot.deliver

        async def deliver(update: JSON) -> None:
            updates.append(update)
            for _ in range(times):
                await deliver_once(update)

        bot.deliver = deliver  # type: ignore[method-assign]
        users = await scenario(bot)
        if times > 1:
            await bot.restart()
            for update in updates:
                await deliver_once(update)
        result = await state(bot, users)
        assert not bot.api.unanswered_callbacks()
        bot.api.assert_clean()
        return result
    finally:
        await bot.stop()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_every_update_twice_is_the_same_as_once(
    tmp_path: Path, errors: ErrorLog, name: str
) -> None:
    once = await play(tmp_path, SCENARIOS[name], 1)
    twice = await play(tmp_path, SCENARIOS[name], 2)
    assert once["members"] or once["invites"]  # the scenario did something
    for key in once:
        assert twice[key] == once[key], key
    assert errors.records == []
