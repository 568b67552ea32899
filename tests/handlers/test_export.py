"""/export and ``python -m bot export``: XLSX and CSV of an area and period, for its reader."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from bot import cli
from bot.config import Config
from bot.offline.harness import OfflineBot
from bot.services import exports
from tests.handlers.test_stats import District, district  # noqa: F401  (the fixture)


def workbook(content: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(content))


async def export_month(client, fmt_label: str = "Excel 表格（xlsx）") -> None:  # type: ignore[no-untyped-def]
    await client.send("/export")
    assert "请选择导出时段" in client.last_text
    await client.press("本月")
    assert "请选择格式" in client.last_text
    await client.press(fmt_label)


async def test_street_admin_exports_the_month_to_excel(
    gridbot: OfflineBot,
    district: District,  # noqa: F811
) -> None:
    ids = await district.month()
    street = district.street.client
    await export_month(street)
    document = street.documents[-1]
    assert document.data["document"]["file_name"] == "光明街道_2026-06-01_2026-06-13.xlsx"
    assert "案件 5 件" in (document.data.get("caption") or "")
    book = workbook(street.file_bytes(document) or b"")
    assert book.sheetnames == [
        "案件", "办理记录", "成员", "政策宣讲", "巡逻打卡", "会议签到", "值班",
    ]  # fmt: skip
    cases = book["案件"]
    assert cases.freeze_panes == "A2"
    header = [c.value for c in cases[1]]
    assert header[:4] == ["案件编号", "类别", "问题类型", "状态"]
    assert cases.column_dimensions["F"].width == 40
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in cases.iter_rows(min_row=2, values_only=True)
    }
    assert len(rows) == 5
    number = await gridbot.db.fetchval("SELECT number FROM cases WHERE id = ?", (ids["closed"],))
    closed = rows[number]
    assert closed["状态"] == "已结案" and closed["评价"] == "满意"
    assert isinstance(closed["上报时间"], datetime) and closed["上报时间"].hour == 9  # local time
    assert isinstance(closed["受理时间"], datetime)
    # the street is not the reporter's community: the phone is masked, as on the card
    assert "****" in closed["上报人电话"] and closed["上报人"] == "张思凯"
    hidden = await gridbot.db.fetchval("SELECT number FROM cases WHERE id = ?", (ids["escalated"],))
    assert rows[hidden]["上报人"] == "（匿名）" and not rows[hidden]["上报人电话"]
    # the street handles the escalated case now: its internal note is there
    timeline = list(book["办理记录"].iter_rows(min_row=2, values_only=True))
    assert any(r[7] and "先别告诉居民" in r[7] for r in timeline)
    assert {r[2] for r in timeline} >= {"上报", "受理", "办结", "确认解决", "重办", "督办", "备注"}
    members = list(book["成员"].iter_rows(min_row=2, values_only=True))
    assert all("****" in (m[4] or "****") for m in members)
    assert [r[4] for r in book["政策宣讲"].iter_rows(min_row=2, values_only=True)] == ["反诈宣传"]


async def test_a_community_admin_sees_its_phones_and_the_notes_of_cases_it_handles(
    gridbot: OfflineBot,
    district: District,  # noqa: F811
) -> None:
    ids = await district.month()
    admin = district.admin.client
    await export_month(admin)
    book = workbook(admin.file_bytes(admin.documents[-1]) or b"")
    header = [c.value for c in book["案件"][1]]
    rows = [
        dict(zip(header, r, strict=True))
        for r in book["案件"].iter_rows(min_row=2, values_only=True)
    ]
    assert len(rows) == 4  # 滨河社区 only
    assert any(r["上报人电话"] and "****" not in r["上报人电话"] for r in rows)
    assert any(r["上报人"] == "张思凯" and r["匿名"] == "是" for r in rows)  # their own: shown
    timeline = list(book["办理记录"].iter_rows(min_row=2, values_only=True))
    # supervised by the street, the case is still this community's to handle: its notes show
    assert any(r[7] and "先别告诉居民" in r[7] for r in timeline)
    assert ids


async def test_csv_is_a_zip_of_utf8_files_with_a_bom(
    gridbot: OfflineBot,
    district: District,  # noqa: F811
) -> None:
    await district.month()
    street = district.street.client
    await export_month(street, "CSV（压缩包）")
    document = street.documents[-1]
    assert document.data["document"]["file_name"].endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(street.file_bytes(document) or b"")) as archive:
        names = archive.namelist()
        assert names[0] == "01-案件.csv"
        raw = archive.read(names[0])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "案件编号" and len(rows) == 6


async def test_nothing_to_export_sends_no_file(
    gridbot: OfflineBot,
    district: District,  # noqa: F811
) -> None:
    street = district.street.client
    await street.send("/export 2026-05-01 2026-05-31")
    await street.press("Excel 表格（xlsx）")
    assert "没有任何记录，所以没有生成文件" in street.last_text
    assert not street.documents
    await street.send("/export 2026-05-31 2026-05-01")
    assert "结束日期早于开始日期" in street.last_text
    admin = district.admin.client
    await admin.send("/export 南陈屯镇")
    assert "只能查看本辖区" in admin.last_text


def test_a_big_file_is_zipped_then_split(tmp_path: Path) -> None:
    big = tmp_path / "a.xlsx"
    noise = random.Random(13).randbytes(102_400)  # bytes that do not compress
    big.write_bytes(noise)
    parts = exports.package(big, 40_000)
    assert [p.name for p in parts] == ["a.xlsx.zip.001", "a.xlsx.zip.002", "a.xlsx.zip.003"]
    joined = b"".join(p.read_bytes() for p in parts)
    with zipfile.ZipFile(io.BytesIO(joined)) as archive:
        assert archive.read("a.xlsx") == noise
    small = tmp_path / "b.xlsx"
    small.write_bytes(b"x" * 100)
    assert exports.package(small, 40_000) == [small]
    squeezable = tmp_path / "c.xlsx"
    squeezable.write_bytes(b"x" * 100_000)
    assert [p.name for p in exports.package(squeezable, 40_000)] == ["c.xlsx.zip"]


async def test_the_cli_writes_the_file(
    gridbot: OfflineBot,
    district: District,  # noqa: F811
    config: Config,
    tmp_path: Path,
) -> None:
    await district.month()
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[database]\npath = "{config.database.path}"\n', encoding="utf-8")
    out = io.StringIO()
    target = tmp_path / "out"
    code = await asyncio.to_thread(
        cli.main,
        ["export", "--config", str(config_file), "--area", "光明街道", "--from", "2026-06-01",
         "--to", "2026-06-13", "--out", str(target)],
        out,
    )  # fmt: skip
    assert code == 0, out.getvalue()
    written = target / "光明街道_2026-06-01_2026-06-13.xlsx"
    assert written.is_file() and "5 cases" in out.getvalue()
    book = load_workbook(written)
    header = [c.value for c in book["案件"][1]]
    rows = [
        dict(zip(header, r, strict=True))
        for r in book["案件"].iter_rows(min_row=2, values_only=True)
    ]
    assert all("****" not in (r["上报人电话"] or "") for r in rows)  # the operator sees all
    out = io.StringIO()
    code = await asyncio.to_thread(
        cli.main,
        ["export", "--config", str(config_file), "--area", "光明街道", "--from", "2026-05-01",
         "--to", "2026-05-31", "--out", str(target)],
        out,
    )  # fmt: skip
    assert code == 1


async def test_a_settled_dispute_carries_its_mediation_record(
    gridbot: OfflineBot,
    district: District,  # noqa: F811
) -> None:
    from bot.services import cases as case_service
    from bot.services.cases import MediationRecord
    from bot.services.categories import Category

    db, clock, config = gridbot.db, gridbot.clock, gridbot.config
    admin = district.admin.member
    assert admin is not None
    case_id = await district.report(district.leader, Category.DISPUTE, "neighbours", "m1")
    await case_service.accept(db, clock, admin, case_id, await district.version(case_id))
    record = MediationRecord("楼上楼下两户", "卫生间漏水", "楼上修好防水层", "六月底前完工")
    await case_service.resolve(
        db, clock, config, admin, case_id, await district.version(case_id), "已调解",
        mediation=record,
    )  # fmt: skip
    await gridbot.run_due_jobs()
    await export_month(district.admin.client)
    book = workbook(district.admin.client.file_bytes(district.admin.client.documents[-1]) or b"")
    header = [c.value for c in book["案件"][1]]
    (row,) = [
        dict(zip(header, r, strict=True))
        for r in book["案件"].iter_rows(min_row=2, values_only=True)
    ]
    assert row["调解协议"] == "楼上修好防水层" and row["履行方式及期限"] == "六月底前完工"
    assert isinstance(row["回访时间"], datetime)
