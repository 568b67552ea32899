"""The demo: it runs offline from a script and shows what a person would see."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.config import load_config
from bot.i18n import t
from bot.offline.demo.runner import PERSONAS, Demo
from tests.helpers.demo import ROOT, SCRIPTS, play


def play_lines(lines: str, tmp_path: Path, name: str = "script.txt") -> str:
    """Play the given lines (one per line) on the demo database in ``tmp_path``."""
    script = tmp_path / name
    script.write_text(lines, encoding="utf-8")
    return play(script, tmp_path)


def spoken(out: str) -> list[str]:
    """The leader's demo output split at each line typed: [intro, after line 1, ...]."""
    return out.split("\n张思凯> ")


def test_join_script(tmp_path: Path) -> None:
    out = play("join.txt", tmp_path)
    assert "欢迎！您受邀以 楼门长助理 身份加入" in out
    assert "[1] 刘芳" in out  # the name button, numbered
    assert "🎉 加入成功！" in out
    assert "Switched to English." in out
    assert "You are a building leader's assistant" in out
    assert "✅ Invite ready" not in out  # the admin still speaks Chinese
    assert "✅ 邀请已生成" in out


def test_demo_runs_as_a_command_with_no_token_and_no_network(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--script", str(SCRIPTS / "join.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "http_proxy": "http://127.0.0.1:9"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "🎉 加入成功！" in result.stdout
    assert "Traceback" not in result.stderr


def test_every_demo_script_runs(tmp_path: Path) -> None:
    for script in sorted(SCRIPTS.glob("*.txt")):
        out = play(script.name, tmp_path / script.stem)
        assert "Traceback" not in out
        assert "(unknown:" not in out, script.name
        assert "(there is no button" not in out, script.name
        assert "fits several buttons" not in out, script.name


def test_a_kept_database_hears_the_next_run_from_its_first_line(tmp_path: Path) -> None:
    # The first run handles some updates; the second, a fresh stand-in on the same file,
    # must not number its updates from 1 again (the bot would skip them as seen).
    none_yet = t("zh-CN", "mycases.none")
    first = play_lines("/help\n:as admin\n/help\n:as leader\n/mycases\n", tmp_path, "one.txt")
    assert none_yet in first
    second = play_lines("/mycases\n", tmp_path, "two.txt")
    assert none_yet in second.split("张思凯> /mycases", 1)[1]  # the very first line is heard
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        (handled,) = db.execute("SELECT count(*) FROM processed_updates").fetchone()
    assert handled == 4  # three texts in the first run, one in the second


REPORT = (
    "/report\n[环境卫生]\n[垃圾堆积]\n3单元门口垃圾三天没人清运\n[不需要照片]\n[3单元]\n[一般]\n"
    "[✅ 提交]\n"
)


async def test_a_kept_database_does_not_edit_the_new_runs_messages(tmp_path: Path) -> None:
    config = load_config(None, environ={}).replace(
        **{"database.path": str(tmp_path / "demo.sqlite3")}
    )
    # Run 1: a case whose alert is the admin's message #1 there.
    first = Demo(config, io.StringIO())
    await first.start()
    try:
        for line in REPORT.splitlines():
            await first.handle(line)
    finally:
        await first.stop()
    # Run 2, on the kept database: a second case alerts the admin; then the first case is
    # accepted, and the bot edits the first case's alert: it must not land on the second's.
    demo = Demo(config, io.StringIO())
    await demo.start()
    try:
        for line in REPORT.splitlines():
            await demo.handle(line)
        for line in (":as admin", "/cases", "1", "[✅ 受理]"):  # 1: the oldest case
            await demo.handle(line)
        admin = demo.clients["admin"]
        second = [m.text for m in admin.messages if "YH-" in m.text and "0002" in m.text]
        assert second and "0002（一般）· 待受理" in second[0], [m.text for m in admin.messages]
    finally:
        await demo.stop()


def test_an_unknown_label_is_answered_with_the_labels_there_are(tmp_path: Path) -> None:
    out = play_lines("[English]\n/lang\n[Français]\n[English]\n[语]\n", tmp_path)
    assert "Traceback" not in out
    assert "(there is no button [English]: no buttons are showing)" in out
    assert "(there is no button [Français]; the buttons are: [中文], [English])" in out
    assert "Switched to English." in out  # the demo went on after the unknown label


def test_a_part_of_a_label_that_fits_several_buttons_asks_which(tmp_path: Path) -> None:
    out = play_lines("/report\n[情]\n[环境]\n", tmp_path)
    assert "([情] fits several buttons: [疫情防控], [社情民意]; say which)" in out
    assert "请选择具体类型" in out  # [环境] was unique: pressed


def test_numbers_say_which_message_they_belong_to(tmp_path: Path) -> None:
    out = play_lines("/lang\n/lang\n2\n:buttons\n:buttons 2\n1\n:buttons 99\n", tmp_path)
    parts = spoken(out)
    assert "buttons of #2 (newest): [1] 中文  [2] English" in parts[1]
    assert "buttons of #4 (newest): [1] 中文  [2] English" in parts[2]
    # Pressing 2 pressed the newest message's English; the answer came as a new message
    # (it carries the new menu) and the question keeps its buttons: the numbers are now
    # an older message's, and they say so.
    assert "Switched to English." in parts[3]
    assert "buttons of #4 (older: 1 message(s) came after it): [1] 中文  [2] English" in parts[3]
    assert "  #2 " in parts[4] and "  #4 " in parts[4] and "[中文], [English]" in parts[4]
    assert "buttons of #2 (older: 2 message(s) came after it)" in parts[5]
    assert "已切换为中文" in parts[6]  # button 1 of the picked message
    assert "(message #99 has no buttons" in parts[7]


async def test_toasts_and_alerts_are_printed(tmp_path: Path) -> None:
    config = load_config(None, environ={}).replace(**{"database.path": str(tmp_path / "d.db")})
    out = io.StringIO()
    demo = Demo(config, out)
    await demo.start()
    try:
        await demo.handle("/lang")
        # A forged (or long outdated) button: refused with an alert, which is printed.
        demo.screen.choices[0].data = "lang:v0:nonsense"
        await demo.handle("1")
        assert f"⚠️ alert: {t('zh-CN', 'common.stale_button')}" in out.getvalue()
        for line in ("/report", "[环境卫生]", "[垃圾堆积]", "门口垃圾没人清运", "[不需要照片]"):
            await demo.handle(line)
        for line in ("[3单元]", "[一般]", "[✅ 提交]", ":as admin"):
            await demo.handle(line)
        before = len(out.getvalue())
        await demo.handle("[✅ 受理]")
        assert "💬 toast: " in out.getvalue()[before:]
    finally:
        await demo.stop()


def test_the_grid_personas_are_there_to_play(tmp_path: Path) -> None:
    keys = {p.key: p for p in PERSONAS}
    assert {"village", "town", "district", "group"} <= set(keys)
    out = play_lines(
        ":help\n:as village\n/help\n:as town\n/help\n:as district\n/help\n:as group\n/help\n",
        tmp_path,
    )
    assert "People (':as KEY'): leader 张思凯, admin 李敏" in out
    assert "village 刘秀英, town 赵建国, district 孙立新, group 刘长河" in out
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        rows = db.execute(
            "SELECT m.name, m.role, a.path FROM members m JOIN areas a ON a.id = m.area_id"
            " WHERE m.tg_user_id IN (20005, 20006, 20007, 20008) ORDER BY m.tg_user_id"
        ).fetchall()
    assert rows == [
        ("刘秀英", "community_admin", "运河区/南陈屯镇/刘舒庄村"),
        ("赵建国", "street_admin", "运河区/南陈屯镇"),
        ("孙立新", "district_admin", "运河区"),
        ("刘长河", "group_leader", "运河区/南陈屯镇/刘舒庄村/第一村民小组"),
    ]
    assert "(unknown:" not in out and "(who?" not in out


def test_report_script(tmp_path: Path) -> None:
    out = play("report.txt", tmp_path)
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (5,)
        assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'case.new'").fetchone() == (5,)
    assert out.count("✅ 已提交，编号 YH-") == 5
    assert out.count("📨 to 李敏: 🆕 案件 YH-") == 5
    assert "📋 我的上报（共 5 件，第 1/1 页）" in out
    assert "✅ 已记录政策宣讲：反诈宣传，约 30 户" in out
    assert "📍 位置已附到" in out
    assert "未完成的上报（环境卫生）超过 30 分钟没有继续" in out
