"""Every write to a member is marked, so its commit tells whoever keeps a member read earlier;
the members of a delivery batch are read in one statement."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.services import members
from bot.services.areas import resolve
from bot.services.grid import Role
from bot.services.invites import create_invite
from storage import members as member_repo
from storage.db import Database, Transaction
from storage.members import Member


async def _join(db: Database, clock: FakeClock, tg_user_id: int) -> Member:
    place = await resolve(db, "滨河社区")
    invite = await create_invite(
        db, clock, role=Role.COMMUNITY_ADMIN, area=place, by=None, ttl_days=1
    )
    return await members.register(
        db,
        clock,
        code=invite.code,
        tg_user_id=tg_user_id,
        name=f"成员{tg_user_id}",
        phone=None,
        language="zh-CN",
        grid_code="YH",
        tz=ZoneInfo("Asia/Shanghai"),
    )


async def test_each_write_to_a_member_is_told_once_committed(
    district: Database, clock: FakeClock
) -> None:
    db = district
    told: list[int] = []
    db.on_commit(members.CHANGED, lambda: told.append(1))
    member = await _join(db, clock, 501)  # the insert
    assert len(told) == 1
    await members.set_language(db, member, "en")
    await members.deactivate(db, member.id)
    await members.reactivate(db, clock, member.id)
    assert len(told) == 4
    await members.blocked(db, clock, member.id)
    assert len(told) == 5
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await member_repo.set_language(tx, member.id, "zh-CN")
            raise RuntimeError("rolled back")
    assert len(told) == 5  # nothing committed, nothing told
    row = await member_repo.get(db, member.id)
    assert row is not None and row.language == "en"


async def test_set_language_returns_the_member_as_committed(
    district: Database, clock: FakeClock
) -> None:
    member = await _join(district, clock, 502)
    changed = await members.set_language(district, member, "en")
    assert changed == await member_repo.get(district, member.id)
    assert changed.language == "en"


async def test_members_by_ids_in_one_read(district: Database, clock: FakeClock) -> None:
    first = await _join(district, clock, 503)
    second = await _join(district, clock, 504)
    found = await member_repo.get_many(district, [second.id, first.id, second.id, 9999])
    assert found == {first.id: first, second.id: second}
    assert await member_repo.get_many(district, []) == {}


async def test_a_transaction_reads_a_member_once_until_it_writes_them(
    district: Database, clock: FakeClock
) -> None:
    db = district
    first = await _join(db, clock, 9001)
    second = await _join(db, clock, 9002)
    seen: list[str] = []

    async def body(tx: Transaction) -> tuple[Member | None, Member | None, Member | None]:
        await member_repo.get_many(tx, [first.id, second.id, 999_999])
        again = await member_repo.get(tx, first.id)  # kept from the statement above
        missing = await member_repo.get(tx, 999_999)  # known missing: not asked again
        await member_repo.set_active(tx, second.id, False)
        written = await member_repo.get(tx, second.id)  # written since: read anew
        return again, missing, written

    await db.conn.set_trace_callback(seen.append)
    try:
        again, missing, written = await db.run_transaction(body)
    finally:
        await db.conn.set_trace_callback(None)
    reads = [s for s in seen if s.startswith("SELECT m.id")]
    assert len(reads) == 2, seen
    assert again == first and missing is None
    assert written is not None and not written.active
    # Outside a transaction nothing is kept: each read asks.
    assert (await member_repo.get(db, second.id)) == written
