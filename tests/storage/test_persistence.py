"""What survives a restart, and an update delivered twice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from storage.db import Database
from storage.persistence import SQLitePersistence
from tests.helpers.people import make_invite


async def test_conversation_state_is_in_sqlite_after_every_step(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    row = await gridbot.db.fetchone("SELECT name, key, state FROM ptb_conversations")
    assert row is not None
    assert (row["name"], json.loads(row["key"]), json.loads(row["state"])) == (
        "join",
        [user.user.id, user.user.id],
        0,
    )
    data = json.loads(
        await gridbot.db.fetchval(
            "SELECT data FROM ptb_user_data WHERE user_id = ?", (user.user.id,)
        )
    )
    assert data["join"]["code"] == code
    await user.send("甲某")
    state = await gridbot.db.fetchval("SELECT state FROM ptb_conversations")
    assert json.loads(state) == 1
    await user.share_contact()
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


async def test_an_update_delivered_twice_is_handled_once(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send("甲某")
    before = len(user.messages)
    contact = await user.share_contact()
    await gridbot.deliver(contact)  # Telegram sends it again after a restart
    await gridbot.restart()
    await gridbot.deliver(contact)
    assert len(user.messages) == before + 1
    assert await gridbot.db.fetchval("SELECT count(*) FROM members") == 1


async def test_old_update_ids_are_forgotten(gridbot: OfflineBot, clock: FakeClock) -> None:
    user = gridbot.user("甲")
    await user.send("/help")
    assert await gridbot.db.fetchval("SELECT count(*) FROM processed_updates") == 1
    clock.advance(timedelta(days=3))
    assert await gridbot.app.forget_old_updates() == 1


async def test_persistence_stores_json_only(db: Database) -> None:
    persistence = SQLitePersistence(db)
    await persistence.update_user_data(1, {"ok": [1, 2]})
    with pytest.raises(TypeError):
        await persistence.update_user_data(2, {"bad": {1, 2}})
    assert await persistence.get_user_data() == {}, "collected, not written yet"
    await persistence.flush()
    assert await persistence.get_user_data() == {1: {"ok": [1, 2]}}
    await persistence.update_conversation("c", (1, 1), 3)
    await persistence.update_conversation("c", (2, 2), "X")
    await persistence.flush()
    assert await SQLitePersistence(db).get_conversations("c") == {(1, 1): 3, (2, 2): "X"}
    await persistence.update_conversation("c", (1, 1), None)
    await persistence.flush()
    assert await SQLitePersistence(db).get_conversations("c") == {(2, 2): "X"}
    await persistence.drop_user_data(1)
    await persistence.flush()
    assert await persistence.get_user_data() == {}


async def test_unchanged_data_is_not_written_again(db: Database) -> None:
    persistence = SQLitePersistence(db)
    await persistence.update_chat_data(5, {"a": 1})
    await persistence.flush()
    await db.execute("UPDATE ptb_chat_data SET data = '{\"a\": 2}'")  # changed behind its back
    await persistence.update_chat_data(5, {"a": 1})  # the same as it last wrote: skipped
    assert not persistence.has_pending
    await persistence.flush()
    assert json.loads(await db.fetchval("SELECT data FROM ptb_chat_data")) == {"a": 2}


async def test_changes_whose_transaction_failed_are_written_later(db: Database) -> None:
    persistence = SQLitePersistence(db)
    await persistence.update_user_data(7, {"draft": "楼上漏水"})
    await persistence.update_conversation("report", (7, 7), 2)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            taken = await persistence.write_pending(tx)
            raise RuntimeError("the commit failed")  # e.g. locked past the busy timeout
    persistence.put_back(taken)
    assert persistence.has_pending, "collected again, not lost"
    await persistence.flush()
    assert await SQLitePersistence(db).get_user_data() == {7: {"draft": "楼上漏水"}}
    assert await SQLitePersistence(db).get_conversations("report") == {(7, 7): 2}


async def test_changes_of_users_in_hand_wait_for_their_own_record(db: Database) -> None:
    persistence = SQLitePersistence(db)
    await persistence.update_conversation("report", (7, 7), 1)  # another update's, in hand
    await persistence.update_conversation("report", (8, 8), 1)  # this update's own
    await persistence.update_chat_data(9, {"x": 1})  # nobody's in hand: a job's
    async with db.transaction() as tx:
        await persistence.write_pending(tx, own={8}, held={7, 8})
    assert await SQLitePersistence(db).get_conversations("report") == {(8, 8): 1}
    assert await SQLitePersistence(db).get_chat_data() == {9: {"x": 1}}
    assert persistence.has_pending
    async with db.transaction() as tx:
        await persistence.write_pending(tx, own={7})
    assert await SQLitePersistence(db).get_conversations("report") == {(7, 7): 1, (8, 8): 1}
