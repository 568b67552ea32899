"""Roster import: every row checked and reported by number; invites tied to name and phone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.offline.harness import OfflineBot
from bot.services import areas as area_service
from bot.services import roster
from bot.services.grid import Role
from tests.conftest import DEMO_AREAS

HEADER = ["姓名", "手机号", "角色", "区域", "工作证号"]
BUILDINGS = ["欣园小区1号楼", "欣园小区2号楼", "滨河龙韵西区1号楼", "滨河龙韵西区2号楼"]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\nusername = "yunhe_grid_bot"\n[database]\npath = "{tmp_path / "g.sqlite3"}"\n',
        encoding="utf-8",
    )
    assert main(["init", "--areas", str(DEMO_AREAS), "--config", str(path)], out=io.StringIO()) == 0
    return path


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(args), out=out)
    return status, out.getvalue()


def xlsx(path: Path, rows: list[list[object]], merge: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def twenty() -> list[list[object]]:
    rows: list[list[object]] = [HEADER]
    for i in range(20):
        phone: object = 13900000000 + i  # Excel made a number of it
        if i == 1:
            phone = 1.3900000001e10  # and a float
        if i == 2:
            phone = "１３９ ００００ ０００２"  # full-width, with spaces
        if i == 3:
            phone = "+86 139-0000-0003"
        role = "楼门长" if i % 2 == 0 else "楼门长助理"
        area = BUILDINGS[i % 4] if i != 4 else "运河区/光明街道/光明街社区/欣园小区1号楼"
        rows.append([f"  居民{i:02d}  ", phone, role, area, f"YH-R-{i:04d}" if i < 10 else None])
    return rows


def test_a_twenty_row_roster_is_invited_with_its_cards(config_file: Path, tmp_path: Path) -> None:
    file = xlsx(tmp_path / "花名册.xlsx", twenty())
    status, out = cli("import-roster", str(file), "--config", str(config_file))
    assert status == 0, out
    assert "20 rows valid, 0 with problems" in out
    assert "20 invites made" in out
    cards = tmp_path / "花名册-invite-cards.pdf"
    assert f"invite cards: {cards} (3 pages, 8 a page)" in out
    pdf = cards.read_bytes()
    assert pdf.startswith(b"%PDF") and b"/Count 3" in pdf
    import sqlite3

    conn = sqlite3.connect(tmp_path / "g.sqlite3")
    rows = conn.execute(
        "SELECT r.name, r.phone, r.work_id, i.role FROM roster_invites r"
        " JOIN invites i ON i.id = r.invite_id ORDER BY r.phone"
    ).fetchall()
    conn.close()
    assert len(rows) == 20
    assert rows[0] == ("居民00", "13900000000", "YH-R-0000", "building_leader")
    assert rows[1][1] == "13900000001" and rows[2][1] == "13900000002"
    assert rows[3][1] == "13900000003" and rows[11][2] is None
    # the same roster again: the old invites are replaced, not doubled in effect
    status, out = cli("import-roster", str(file), "--config", str(config_file))
    assert status == 0 and "20 earlier unused invites for the same phones no longer work" in out


def test_every_bad_row_is_reported_and_nothing_written(config_file: Path, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        HEADER,
        ["张三", 13900000001, "楼门长", "欣园小区1号楼", None],  # row 2: fine
        ["李四", 13900000002, "楼门长", "火星小区", None],  # 3: unknown area
        ["王五", 13900000003, "楼主", "欣园小区1号楼", None],  # 4: unknown role
        ["赵六", 13900000004, "村民小组长", "欣园小区1号楼", None],  # 5: role does not fit
        ["钱七", 13900000001, "楼门长", "欣园小区2号楼", None],  # 6: duplicate phone
        ["孙八", 12345, "楼门长", "欣园小区2号楼", None],  # 7: not a phone
        ["周九", 13900000009, "楼门长", "第一村民小组", None],  # 8: ambiguous, role misfit
        ["吴十", 13900000010, "楼门长", "1单元", None],  # 9: ambiguous area
        ["", 13900000011, "楼门长", "欣园小区3号楼", None],  # 10: no name
        ["郑一", 13900000012, "楼门长", "欣园小区3号楼", "坏 工号!"],  # 11: bad work ID
        ["冯二", 13900000013, "楼门长", None, None],  # 12: merged with 11 below
        ["陈三", 13900000014, "楼门长", None, None],  # 13
    ]
    file = xlsx(tmp_path / "bad.xlsx", rows, merge="D12:D13")
    status, out = cli("import-roster", str(file), "--config", str(config_file))
    assert status == 1
    for expected in (
        "row 3: unknown area: 火星小区",
        "row 4: unknown role: 楼主",
        "row 5: role does not fit the area",
        "row 6: duplicate phone: 13900000001, as in row 2",
        "row 7: bad phone: 12345",
        "row 8: ambiguous area",
        "row 9: ambiguous area",
        "row 10: no name",
        "row 11: bad work ID: 坏 工号!",
        "row 12: merged cells: D12:D13",
        "row 13: merged cells: D12:D13",
        "1 rows valid, 11 with problems",
        "nothing written",
    ):
        assert expected in out, expected
    assert "row 2:" not in out
    assert not (tmp_path / "bad-invite-cards.pdf").exists()
    status, out = cli("import-roster", str(file), "--apply", "--config", str(config_file))
    assert status == 0 and "1 invites made" in out


def test_files_that_cannot_be_used(config_file: Path, tmp_path: Path) -> None:
    wrong = xlsx(tmp_path / "wrong.xlsx", [["名字", "电话号", "职位"], ["张三", 1, "楼门长"]])
    status, _ = cli("import-roster", str(wrong), "--config", str(config_file))
    assert status == 1
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a spreadsheet")
    assert cli("import-roster", str(broken), "--config", str(config_file))[0] == 1
    other = tmp_path / "roster.pdf"
    other.write_bytes(b"%PDF")
    assert cli("import-roster", str(other), "--config", str(config_file))[0] == 1
    missing = tmp_path / "nowhere.csv"
    assert cli("import-roster", str(missing), "--config", str(config_file))[0] == 1


def test_the_messages_for_bad_files(tmp_path: Path) -> None:
    wrong = xlsx(tmp_path / "wrong.xlsx", [["名字", "电话号", "职位"], ["张三", 1, "楼门长"]])
    with pytest.raises(roster.RosterFileError, match=r"missing: phone .*found: 名字, 电话号, 职位"):
        roster.header_map(roster.read_roster(wrong)[0][0][1])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(roster.RosterFileError, match="cannot be read as an Excel file"):
        roster.read_roster(broken)
    with pytest.raises(roster.RosterFileError, match=r"an \.xlsx or a \.csv"):
        roster.read_roster(tmp_path / "x.pdf")


def test_a_csv_roster_in_gbk(config_file: Path, tmp_path: Path) -> None:
    file = tmp_path / "名册.csv"
    file.write_bytes(
        "姓名,手机号,角色,区域\n刘芳,13911112222,村民小组长,刘舒庄村/第一村民小组\n".encode(
            "gb18030"
        )
    )
    status, out = cli("import-roster", str(file), "--config", str(config_file))
    assert status == 0 and "1 invites made" in out, out


def test_tidying_cells() -> None:
    assert roster.national_phone(13812345678) == "13812345678"
    assert roster.national_phone(1.3812345678e10) == "13812345678"
    assert roster.national_phone("＋８６ １３８１２３４５６７８") == "13812345678"
    assert roster.national_phone("008613812345678") == "13812345678"
    assert roster.national_phone("010-12345678") is None
    assert roster.tidy("  张　三  ") == "张 三"


async def test_joining_with_a_roster_invite_checks_the_phone(gridbot: OfflineBot) -> None:
    area = await area_service.resolve(gridbot.db, "滨河龙韵西区1号楼")
    row = roster.RosterRow(2, "张思凯", "13912345678", Role.BUILDING_LEADER, area, "YH-R-0001")
    (card,), _ = await roster.apply(gridbot.db, gridbot.clock, [row], ttl_days=30, source="t.xlsx")
    stranger = gridbot.user("Someone", phone="+8613900000000")
    await stranger.send(f"/start {card.code}")
    assert "分享我的手机号" in stranger.last_text  # the name is the roster's: not asked
    await stranger.share_contact()
    assert "发给另一个手机号" in stranger.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM members") == 0
    assert await gridbot.db.fetchval("SELECT used_at FROM invites") is None
    right = gridbot.user("Si Kai", phone="+86 139 1234 5678")
    await right.send(f"/start {card.code}")
    await right.share_contact()
    assert "加入成功" in right.last_text and "张思凯" in right.last_text
    assert "YH-R-0001" in right.last_text
    member = await gridbot.db.fetchone("SELECT name, work_id, role FROM members")
    assert member is not None and tuple(member) == ("张思凯", "YH-R-0001", "building_leader")
    # importing the same person again: they are a member already
    checked = await roster.check(
        gridbot.db,
        gridbot.clock,
        [(1, HEADER), (2, ["张思凯", "139 1234 5678", "楼门长", "滨河龙韵西区1号楼", None])],
        [],
        await area_service.tree(gridbot.db),
    )
    assert [str(p) for p in checked.problems] == [
        "row 2: already a member: 13912345678 (YH-R-0001)"
    ]


def test_the_demo_roster(config_file: Path, tmp_path: Path) -> None:
    roster_file = Path(__file__).resolve().parents[2] / "bot" / "offline" / "demo" / "roster.csv"
    cards = tmp_path / "cards.pdf"
    status, out = cli(
        "import-roster", str(roster_file), "--cards", str(cards), "--config", str(config_file)
    )
    assert status == 0, out
    assert "20 rows valid, 0 with problems" in out and "(3 pages, 8 a page)" in out
    assert cards.read_bytes().startswith(b"%PDF")
