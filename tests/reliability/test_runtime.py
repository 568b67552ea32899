"""The update loop under load and abuse (issue 10): concurrency, floods, poison, blocks.

- updates of different chats are handled at once, each chat's in order, and a
  stranger's flood costs the members nothing;
- an update that cannot be handled is contained: logged, recorded, and the bot goes on;
- a member who blocked the bot is unreachable, not removed; unblocking brings them back;
- an inactive member cannot change their settings; operators list and reactivate;
- two processes migrating a new database; a locked database while marking a send.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path

import pytest
from telegram import Update

from bot import cli
from bot.clock import FakeClock
from bot.config import Config
from bot.offline.harness import OfflineBot
from bot.offline.standin import UserClient
from bot.offline.standin.records import JSON
from bot.services import members as member_service
from bot.services.grid import Role
from storage import outbox
from storage.db import Database
from storage.migrate import available_migrations, migrate, schema_version
from storage.times import to_db
from tests.conftest import ErrorLog


def through_the_queue(gridbot: OfflineBot, user_id: int) -> UserClient:
    """A user whose updates go through the real update queue, as from the updater."""

    async def put(update: JSON) -> None:
        await gridbot.app.update_queue.put(Update.de_json(update, gridbot.app.bot))

    gridbot.user(f"用户{user_id}", user_id=user_id)
    return UserClient(gridbot.api, gridbot.api.users[user_id], put)


async def drained(gridbot: OfflineBot) -> None:
    queue = gridbot.app.update_queue
    assert hasattr(queue, "drained")
    async with asyncio.timeout(10):
        await queue.drained()
    await gridbot.settle()


async def test_a_held_chat_does_not_hold_the_others_and_keeps_its_order(
    gridbot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = await gridbot.member("慢", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=30_001)
    await gridbot.member("快", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=30_002)
    gate, held = asyncio.Event(), asyncio.Event()
    handle = gridbot.api.handle

    async def hold_the_slow_one(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "sendMessage" and params.get("chat_id") == 30_001 and not gate.is_set():
            held.set()
            await gate.wait()
        return await handle(method, params)

    monkeypatch.setattr(gridbot.api, "handle", hold_the_slow_one)
    first, fast = through_the_queue(gridbot, 30_001), through_the_queue(gridbot, 30_002)
    await first.send("/help")
    await first.send("你好")  # the same chat: must wait for the /help
    async with asyncio.timeout(10):
        await held.wait()
    await fast.send("/help")
    async with asyncio.timeout(10):
        while "您是 楼门长" not in fast.last_text:  # noqa: ASYNC110 - the stand-in's state
            await asyncio.sleep(0)
    assert slow.client.texts() == []  # still held, and its second message not yet handled
    gate.set()
    await drained(gridbot)
    texts = slow.client.texts()
    assert "您是 楼门长" in texts[0] and "没看明白" in texts[1]


async def test_a_strangers_flood_is_answered_once_and_costs_a_member_nothing(
    gridbot: OfflineBot,
) -> None:
    member = await gridbot.member("成员", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=30_010)
    stranger = through_the_queue(gridbot, 30_011)
    await stranger.send("刷屏")
    await drained(gridbot)
    statements: list[str] = []
    await gridbot.db.conn.set_trace_callback(statements.append)
    for n in range(199):
        await stranger.send(f"刷屏 {n}")
    await drained(gridbot)
    await gridbot.db.conn.set_trace_callback(None)
    # The rest of the flood never reached the database (the handled-update records
    # aside: one statement each, so a restart knows they were seen).
    assert len(statements) <= 199 * 3, statements[:10]
    assert not any("members" in sql for sql in statements)
    await through_the_queue(gridbot, 30_010).send("/help")
    await drained(gridbot)
    assert len(stranger.texts()) == 1 and "还没有加入网格" in stranger.texts()[0]
    assert "您是 楼门长" in member.client.last_text
    # A minute later the stranger is answered again; joining is never held up.
    gridbot.clock.advance(minutes=1)
    await stranger.send("在吗")
    await stranger.send("/start nonsense-code")
    await drained(gridbot)
    assert len(stranger.texts()) == 3


async def test_an_album_from_a_member_is_all_handled_in_order(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=30_020)
    client = through_the_queue(gridbot, 30_020)
    for n in range(10):
        await client.send(f"第{n}条")
    await drained(gridbot)
    answers = [t for t in person.client.texts() if "没看明白" in t]
    assert len(answers) == 10  # nothing a member sends is dropped


@pytest.mark.parametrize("update_id", ["abc", 2**64, -1, None])
async def test_a_poison_update_is_contained(
    gridbot: OfflineBot, errors: ErrorLog, update_id: object
) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    poison = Update.de_json({"update_id": update_id}, gridbot.app.bot)
    await gridbot.app.process_update(poison)  # does not raise
    assert any("unusable update_id" in m for m in errors.take())
    await person.client.send("/help")
    assert "您是 楼门长" in person.client.last_text


async def test_an_update_that_fails_in_saving_is_recorded_and_the_bot_goes_on(
    gridbot: OfflineBot, errors: ErrorLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")

    async def broken(update_id: int | None) -> None:
        raise RuntimeError("a bug after handling")

    monkeypatch.setattr(gridbot.app, "_save", broken)
    sent = await person.client.send("/help")
    assert any("could not be handled" in m for m in errors.take())
    monkeypatch.undo()
    error = await gridbot.db.fetchval(
        "SELECT error FROM processed_updates WHERE update_id = ?", (sent["update_id"],)
    )
    assert "a bug after handling" in error
    await person.client.send("/help")
    assert "您是 楼门长" in person.client.last_text


async def test_blocking_and_unblocking_the_bot(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    assert leader.member is not None
    await leader.client.block_bot()
    await leader.client.block_bot()  # told once, however often
    await gridbot.settle()
    told = [t for t in admin.client.texts() if "已屏蔽机器人" in t]
    assert len(told) == 1 and "张思凯" in told[0]
    # Something queued for them meanwhile is held, not failed and not dropped.
    async with gridbot.db.transaction() as tx:
        member = await member_service.current(tx, leader.client.user.id)
        assert member is not None
        await outbox.enqueue(
            tx,
            channel="telegram",
            recipient=str(leader.client.user.id),
            member_id=member.id,
            kind="member.blocked",
            payload={"member_id": admin.member.id if admin.member else 0},
            now=to_db(gridbot.clock.now()),
        )
    await gridbot.run_due_jobs()
    assert leader.client.texts() == []
    assert await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0
    # Writing in a group proves nothing (a blocked bot still reads the group).
    gridbot.api.add_group(-800, "楼栋群", members=[leader.client.user.id])
    await leader.client.in_chat(-800).send("大家好")
    row = await gridbot.db.fetchone(
        "SELECT unreachable_since FROM members WHERE id = ?", (leader.member.id,)
    )
    assert row is not None and row["unreachable_since"] is not None
    await leader.client.unblock_bot()
    await gridbot.settle()
    assert any("李敏" in t for t in leader.client.texts())  # what was held arrived
    row = await gridbot.db.fetchone(
        "SELECT active, unreachable_since FROM members WHERE id = ?", (leader.member.id,)
    )
    assert row is not None and row["active"] == 1 and row["unreachable_since"] is None


async def test_an_inactive_member_cannot_change_the_language(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    assert person.member is not None
    await person.client.send("/lang")
    await member_service.deactivate(gridbot.db, person.member.id)
    await person.client.press("English")
    assert person.client.last_answer is not None
    assert "已停用" in (person.client.last_answer.text or "")
    language = await gridbot.db.fetchval(
        "SELECT language FROM members WHERE id = ?", (person.member.id,)
    )
    assert language == "zh-CN"


async def test_operators_list_and_reactivate_members(gridbot: OfflineBot, config: Config) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    other = await gridbot.member("乙", Role.BUILDING_LEADER, "欣园小区1号楼")
    assert person.member is not None and other.member is not None
    await member_service.deactivate(gridbot.db, person.member.id)
    await other.client.block_bot()
    await gridbot.stop()
    path = Path(config.database.path)
    conf = path.parent / "config.toml"
    conf.write_text(f'[database]\npath = "{path}"\n', encoding="utf-8")

    async def run(*args: str) -> str:
        out = io.StringIO()
        argv = ["members", "--config", str(conf), *args]
        assert await asyncio.to_thread(cli.main, argv, out) == 0  # the CLI runs its own loop
        return out.getvalue()

    inactive = await run("--inactive")
    assert "甲" in inactive and "乙" not in inactive
    unreachable = await run("--unreachable")
    assert "乙" in unreachable and "blocked the bot" in unreachable
    assert "is active" in await run("--reactivate", str(person.member.id))
    assert "甲" not in await run("--inactive")
    assert "is active" in await run("--reactivate", str(other.member.id))
    assert "0 member(s)" in await run("--unreachable")
    assert "is inactive" in await run("--deactivate", str(other.member.id))
    await gridbot.start()


async def test_two_processes_migrate_a_new_database_at_once(tmp_path: Path) -> None:
    first = await Database(tmp_path / "new.sqlite3").open()
    second = await Database(tmp_path / "new.sqlite3").open()
    try:
        results = await asyncio.gather(migrate(first), migrate(second))
        newest = available_migrations()[-1].version
        assert sorted(results[0] + results[1]) == list(range(1, newest + 1))
        assert await schema_version(first) == newest
    finally:
        await first.close()
        await second.close()


async def test_a_locked_database_while_marking_a_send_does_not_send_twice(
    config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    gridbot = OfflineBot(config.replace(**{"database.busy_timeout_ms": 20}), clock=clock)
    await gridbot.start()
    try:
        await gridbot.import_areas()
        person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
        assert person.member is not None
        async with gridbot.db.transaction() as tx:
            member = await member_service.current(tx, person.client.user.id)
            assert member is not None
            await outbox.enqueue(
                tx,
                channel="telegram",
                recipient=str(person.client.user.id),
                member_id=member.id,
                kind="member.blocked",
                payload={"member_id": member.id},
                now=to_db(clock.now()),
            )
        # Another process takes the write lock the moment Telegram has the message,
        # and lets go a little later.
        other = sqlite3.connect(config.database.path, isolation_level=None)
        handle = gridbot.api.handle

        async def lock_after_sending(method: str, params: JSON) -> tuple[int, JSON]:
            answer = await handle(method, params)
            if method == "sendMessage":
                other.execute("BEGIN IMMEDIATE")
                asyncio.get_running_loop().call_later(0.3, other.rollback)
            return answer

        monkeypatch.setattr(gridbot.api, "handle", lock_after_sending)
        await gridbot.run_due_jobs()
        monkeypatch.undo()
        await gridbot.run_due_jobs()
        assert len(person.client.texts()) == 1
        statuses = await gridbot.db.fetchall("SELECT status FROM outbox")
        assert [r[0] for r in statuses] == ["sent"]
        other.close()
    finally:
        await gridbot.stop()


async def test_a_write_left_for_a_save_the_locked_database_refused_goes_with_the_next(
    config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    gridbot = OfflineBot(config.replace(**{"database.busy_timeout_ms": 20}), clock=clock)
    await gridbot.start()
    other = sqlite3.connect(config.database.path, isolation_level=None)
    try:
        await gridbot.import_areas()
        person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
        handle = gridbot.api.handle

        async def lock_after_asking(method: str, params: JSON) -> tuple[int, JSON]:
            answer = await handle(method, params)
            if method == "sendMessage":  # another process holds the lock at the save
                other.execute("BEGIN IMMEDIATE")
            return answer

        monkeypatch.setattr(gridbot.api, "handle", lock_after_asking)
        await person.client.send("/report")
        monkeypatch.undo()
        other.rollback()
        # The draft's row was left for the save (report_flow.begin), which could not write.
        assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
        await person.client.press("环境卫生")
        row = await gridbot.db.fetchone("SELECT category FROM report_drafts")
        assert row is not None and row[0] == "sanitation", "written with the next save"
        await person.client.press("垃圾堆积")
        await person.client.send("楼下垃圾没人清")
        await person.client.press("✅ 提交")
        assert "已提交，编号" in person.client.last_text
    finally:
        other.close()
        await gridbot.stop()


async def test_polling_confirms_a_batch_only_once_it_is_handled(
    gridbot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pins what the confirm-after-handled guarantee rests on in python-telegram-bot.

    The updater's getUpdates goes through the ``get_updates_request`` (ConfirmAfterHandled
    holds it back) and every update it queues reaches ``process_update`` as the same
    object (HandledQueue then counts it handled). If a release changes either, an update
    is confirmed to Telegram while it is still being handled, and this fails.
    """
    slow = await gridbot.member("慢", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=30_030)
    other = await gridbot.member("快", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=30_031)
    gate, held = asyncio.Event(), asyncio.Event()
    handle = gridbot.api.handle

    async def hold(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "sendMessage" and params.get("chat_id") == 30_030 and not gate.is_set():
            held.set()
            await gate.wait()
        return await handle(method, params)

    monkeypatch.setattr(gridbot.api, "handle", hold)
    updater = gridbot.app.updater
    assert updater is not None
    await updater.start_polling(poll_interval=0, timeout=0)
    try:
        await UserClient(gridbot.api, slow.client.user, gridbot.api.enqueue_update).send("/help")
        await UserClient(gridbot.api, other.client.user, gridbot.api.enqueue_update).send("/help")
        async with asyncio.timeout(10):
            await held.wait()
            while "您是 楼门长" not in other.client.last_text:  # noqa: ASYNC110
                await asyncio.sleep(0)
        # The other chat's update is handled; the batch is not confirmed while one is held.
        assert len(gridbot.api.pending_updates) == 2
        gate.set()
        async with asyncio.timeout(10):
            while gridbot.api.pending_updates:  # noqa: ASYNC110 - the stand-in's state
                await asyncio.sleep(0.01)
        assert "您是 楼门长" in slow.client.last_text
    finally:
        await updater.stop()


async def test_a_conversation_state_is_stored_only_with_its_update_recorded(
    gridbot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two leaders' /report handled at once, their saves close together: at no commit is
    one's conversation state stored while that update is not yet recorded as handled.
    (python-telegram-bot collects every update's changes when one asks; written with
    the other's record, a kill before the second commit would have Telegram resend the
    update, which then met its own state: "you have a report not finished".)"""
    ids = (30_021, 30_022)
    for user_id in ids:
        await gridbot.member(
            f"组长{user_id}", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=user_id
        )
    gate, waiting = asyncio.Event(), set()
    handle = gridbot.api.handle

    async def hold_both(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "sendMessage" and params.get("chat_id") in ids and not gate.is_set():
            waiting.add(params["chat_id"])
            await gate.wait()
        return await handle(method, params)

    monkeypatch.setattr(gridbot.api, "handle", hold_both)
    reports: dict[int, int] = {}  # user id -> the update id of their /report
    path = gridbot.config.database.path
    broken: list[str] = []

    def committed_so_far(statement: str) -> None:
        # Each BEGIN sees every commit before it: the moment a kill could come.
        if not statement.startswith("BEGIN"):
            return
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as peek:
            states = {r[0] for r in peek.execute("SELECT key FROM ptb_conversations")}
            handled = {r[0] for r in peek.execute("SELECT update_id FROM processed_updates")}
        for user_id, update_id in reports.items():
            if f"[{user_id},{user_id}]" in states and update_id not in handled:
                broken.append(f"the state of {user_id} is stored, update {update_id} is not")

    clients = [through_the_queue(gridbot, user_id) for user_id in ids]
    await gridbot.db.conn.set_trace_callback(committed_so_far)
    for client in clients:
        reports[client.user.id] = (await client.send("/report"))["update_id"]
    async with asyncio.timeout(10):
        while len(waiting) < len(ids):  # noqa: ASYNC110 - the stand-in's state
            await asyncio.sleep(0)
    gate.set()
    await drained(gridbot)
    committed_so_far("BEGIN")
    await gridbot.db.conn.set_trace_callback(None)
    assert broken == []
    for client in clients:
        assert "请选择问题类别" in client.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 2
