"""The checkpoint demo: an urgent 疫情防控 report nobody accepts is supervised by the town,
then the district (one notice per level); the town urges; the village accepts and resolves;
the leader confirms and rates."""

from __future__ import annotations

from pathlib import Path

from tests.offline.test_demo import play


def test_checkpoint_script(tmp_path: Path) -> None:
    out = play("checkpoint.txt", tmp_path)
    assert "Traceback" not in out and "(there is no button" not in out
    # The village is alerted at once; the town supervises after 10 minutes, the district
    # after 10 more, each with one notice to the village, and then nothing more.
    assert "📨 to 刘秀英: 🆕 案件 YH-" in out
    town_notice = "超过时限未处理，已由 运河区/南陈屯镇 督办，仍由原单位办理。"
    district_notice = "超过时限未处理，已由 运河区 督办，仍由原单位办理。"
    assert out.count("📨 to 刘秀英: ⏰ 案件 YH-20") == 2, out
    assert out.count(town_notice) == 1 and district_notice in out
    assert "📨 to 赵建国: 🆕 案件 YH-" in out and "📨 to 孙立新: 🆕 案件 YH-" in out
    assert "📣 督办单位：运河区、南陈屯镇" in out
    # The reporter hears of each level in plain words.
    assert "已请南陈屯镇督办，刘舒庄村会尽快处理。" in out
    assert "已请运河区督办，刘舒庄村会尽快处理。" in out
    # The town urges: the village and the reporter are told.
    assert "📨 to 刘秀英: 📣 南陈屯镇督促尽快办理案件" in out
    assert "📣 南陈屯镇已督促刘舒庄村尽快处理您上报的" in out
    # Thirty quiet minutes after the district joined: no further notice to anyone.
    quiet = out.split("孙立新> :wait 30m", 1)[1].split("孙立新> :as village", 1)[0]
    assert "⏰" not in quiet and "📨" not in quiet
    # The village still handles it; the leader confirms and rates.
    assert "已受理 YH-" in out and "✅ 您上报的 YH-" in out and "已被受理" in out
    assert "📨 to 刘长河: 🏁 您上报的 YH-" in out
    assert "感谢您的评价：满意。" in out
    assert "办理结果：已联系村医上门登记" in out
    # The leader's timeline says in plain words what the bot did by itself.
    timeline = out.rsplit("刘长河> [YH-]", 1)[1]
    assert "过了办理时限，自动请南陈屯镇督办" in timeline
    assert "过了办理时限，自动请运河区督办" in timeline
    assert "街道（镇）管理员：南陈屯镇督促尽快处理" in timeline
    assert "系统" not in timeline
