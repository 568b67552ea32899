"""The meetings demo script: scheduled, reminded, answered, and sent once across a restart."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.demo import play


def test_meetings_script(tmp_path: Path) -> None:
    out = play("meetings.txt", tmp_path)
    assert "✅ 已创建「楼门长工作例会」。第一次：2030-01-08 (周二) 19:30" in out
    # the day-before reminder reaches the leader while the admin plays
    assert "📨 to 张思凯: ⏰ 会议提醒" in out
    assert "您的回复：参加" in out
    # down across 18:30: back up, the hour-before reminder and the summary come once
    after_restart = out.split("— the bot was down for 20m and is back")[1]
    before_meeting = after_restart.split("张思凯> :as leader")[0]
    assert before_meeting.count("⏰ 会议提醒") == 1
    assert "📨 to 李敏: 📊 回复情况" in after_restart
    assert "参加（1）：张思凯" in after_restart
    assert "已签到 ✅" in out
    assert "纪要已保存" in out
    assert "✅ 您已报名" in out
    # the series moves to another room: announced as a new place, not as 改期
    assert "📨 to 张思凯: 📍 会议换地点" in out
    assert "原来在「社区二楼会议室」" in out
    # cancelling asks first
    assert "确定取消这一次会议吗" in out and "没有取消" in out
    # the admin sees who signed up; the leader withdraws and the admin is told
    assert "已报名：张思凯" in out
    assert "您已退出这个班次" in out
    assert "📨 to 李敏: 🙅 张思凯 退出了班次" in out
