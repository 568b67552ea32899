"""Binding a group: only the area's admins may; the group is told who reads it and what comes."""

from __future__ import annotations

from bot.offline.harness import OfflineBot
from bot.services.grid import Role


async def test_binding_says_who_reads_the_group_and_what_it_receives(gridbot: OfflineBot) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    other_admin = await gridbot.member("赵刚", Role.COMMUNITY_ADMIN, "滨河社区")
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    resident = gridbot.user("王大妈")
    ids = [admin.client.user.id, other_admin.client.user.id, leader.client.user.id]
    gridbot.api.add_group(-700, "滨河社区群", members=[*ids, resident.user.id])
    group = admin.client.in_chat(-700)
    await group.send("/bindgroup")
    said = group.last_text
    assert "本群已绑定 运河区/光明街道/滨河社区" in said
    assert "本群共有 4 人（不算机器人），其中 2 位是该单位的管理员" in said
    assert "⚠️ 本群有 2 人不是该单位的管理员" in said
    assert "不会收到内部备注" in said and "中间四位隐去" in said
    assert await gridbot.db.fetchval("SELECT count(*) FROM area_groups") == 1


async def test_a_group_of_admins_only_gets_no_warning(gridbot: OfflineBot) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    gridbot.api.add_group(-701, "管理员群", members=[admin.client.user.id])
    group = admin.client.in_chat(-701)
    await group.send("/bindgroup")
    assert "本群共有 1 人（不算机器人），其中 1 位是该单位的管理员" in group.last_text
    assert "⚠️" not in group.last_text


async def test_only_an_admin_may_bind(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    stranger = gridbot.user("路人")
    gridbot.api.add_group(-702, "楼栋群", members=[leader.client.user.id, stranger.user.id])
    await leader.client.in_chat(-702).send("/bindgroup")
    assert "仅供" in leader.client.in_chat(-702).last_text
    await stranger.in_chat(-702).send("/bindgroup")
    assert await gridbot.db.fetchval("SELECT count(*) FROM area_groups") == 0


async def test_binding_in_english(gridbot: OfflineBot) -> None:
    admin = await gridbot.member("Li", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    gridbot.api.add_group(-703, "admins", members=[admin.client.user.id])
    group = admin.client.in_chat(-703)
    await group.send("/bindgroup")
    assert "(not counting the bot): 1; admins of that area among them: 1" in group.last_text
    assert "no internal notes" in group.last_text


async def test_a_group_bound_to_one_community_is_not_taken_by_another(gridbot: OfflineBot) -> None:
    ours = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    theirs = await gridbot.member("周末", Role.COMMUNITY_ADMIN, "光明街社区")
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    ids = [ours.client.user.id, theirs.client.user.id, street.client.user.id]
    gridbot.api.add_group(-704, "联合群", members=ids)
    await ours.client.in_chat(-704).send("/bindgroup")
    await theirs.client.in_chat(-704).send("/bindgroup")
    assert "只有该单位的管理员" in theirs.client.in_chat(-704).last_text
    area = "SELECT a.name FROM area_groups g JOIN areas a ON a.id = g.area_id"
    assert await gridbot.db.fetchval(area) == "滨河社区"
    # the street answers for both communities: it may move the group up to itself
    await street.client.in_chat(-704).send("/bindgroup")
    assert await gridbot.db.fetchval(area) == "光明街道"
