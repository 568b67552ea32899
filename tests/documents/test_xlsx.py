"""bot/documents/xlsx.py writes workbooks that read back as written: text, numbers,
dates, header, widths."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.documents.xlsx import XlsxWriter, column_letter


def test_a_workbook_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    book = XlsxWriter(path)
    rows = [
        ["张三 <&> \x01铃", 3, 2.5, datetime(2026, 6, 13, 9, 30), True, None, "  空格  "],
        ["", None, 0, None, False, "F", "x"],
    ]
    assert book.sheet("案件/记录", ["名称", "数", "小数", "时间", "是否", "空", "文字"],
                      [20, 6, 6, 17, 6, 6, 10], iter(rows)) == 2  # fmt: skip
    assert book.sheet("空表", ["甲"], [8], iter([])) == 0
    book.close()
    wb = load_workbook(path)
    assert wb.sheetnames == ["案件 记录", "空表"]
    ws = wb["案件 记录"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "名称" and ws["A1"].font.b
    assert ws.column_dimensions["A"].width == 20
    assert [c.value for c in ws[2]] == [
        "张三 <&> 铃",
        3,
        2.5,
        datetime(2026, 6, 13, 9, 30),
        True,
        None,
        "  空格  ",
    ]
    assert ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in ws[3]] == [None, None, 0, None, False, "F", "x"]
    assert wb["空表"].max_row == 1


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
