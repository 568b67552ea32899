"""The pure rules of a report draft: three questions, the defaults, changing a field, filing."""

from __future__ import annotations

import json

import pytest

from bot.services.categories import Category
from bot.services.report_draft import (
    BadText,
    Draft,
    DraftIncomplete,
    Mode,
    Step,
    add_description,
    add_photo,
    add_voice,
    changeable,
    choose_category,
    choose_kind,
    clean_text,
    first_of_album,
    next_step,
    place_at,
    place_with_address,
    place_with_location,
    reopen,
    steps_of,
    to_report,
    toggle_anonymous,
    toggle_urgent,
)

HOME = 7  # the leader's own building


def complete(category: str, kind: str) -> Draft:
    draft = Draft(flow="abc123", place_area_id=HOME)
    assert choose_category(draft, category) and choose_kind(draft, kind)
    draft.description = "情况"
    return draft


def test_three_questions_for_every_category() -> None:
    for category in Category:
        assert steps_of(category) == (Step.CATEGORY, Step.KIND, Step.DESCRIPTION, Step.SUMMARY)


def test_next_step_walks_the_order() -> None:
    draft = Draft(flow="f")
    assert next_step(draft) is Step.CATEGORY
    assert not choose_category(draft, "weather")
    assert choose_category(draft, "dispute")
    assert next_step(draft) is Step.KIND
    assert not choose_kind(draft, "garbage")  # a kind of another category
    assert choose_kind(draft, "family")
    assert next_step(draft) is Step.DESCRIPTION
    add_voice(draft, "v", 4)
    assert next_step(draft) is Step.SUMMARY


@pytest.mark.parametrize("how", ["text", "voice", "photo"])
def test_one_message_describes_it(how: str) -> None:
    draft = Draft(flow="f")
    choose_category(draft, "safety")
    choose_kind(draft, "ebike")
    if how == "text":
        add_description(draft, "楼道充电", 100)
    elif how == "voice":
        add_voice(draft, "v", 3)
    else:
        add_photo(draft, "p", "u", 5)
    assert next_step(draft) is Step.SUMMARY


def test_the_defaults_are_filed_as_they_are() -> None:
    report = to_report(complete("sanitation", "garbage"))
    assert report.place_area_id == HOME and report.place_text is None
    assert report.urgent is False and report.anonymous is False and report.details == {}


def test_the_summary_toggles() -> None:
    draft = complete("opinion", "policy")
    toggle_urgent(draft)
    assert draft.urgent
    toggle_urgent(draft)
    assert not draft.urgent
    assert toggle_anonymous(draft) and draft.anonymous
    assert toggle_anonymous(draft) and not draft.anonymous
    other = complete("safety", "ebike")
    assert not toggle_anonymous(other) and not other.anonymous


def test_the_place_unit_address_and_location() -> None:
    draft = complete("safety", "ebike")
    place_with_address(draft, HOME, "北门外")
    assert (draft.place_area_id, draft.place_text) == (HOME, "北门外")
    place_at(draft, 9)  # a unit button replaces the address
    assert (draft.place_area_id, draft.place_text) == (9, None)
    place_with_location(draft, HOME, 38.3, 116.8)
    assert (draft.place_area_id, draft.latitude) == (9, 38.3), "kept with the unit"
    empty = Draft(flow="f")
    place_with_address(empty, HOME, "南门")
    assert empty.place_area_id == HOME, "a typed address keeps the leader's building"


def test_more_text_and_voices_are_added() -> None:
    draft = complete("dispute", "neighbours")
    add_description(draft, " 又漏了 ", 10)
    assert draft.description == "情况\n又漏了"
    with pytest.raises(BadText) as long:
        add_description(draft, "长" * 5, 10)
    assert (long.value.length, long.value.limit) == (12, 10)
    assert draft.description == "情况\n又漏了", "nothing changed by a refused text"
    add_voice(draft, "v1", 3)
    add_voice(draft, "v2", 4)
    report = to_report(draft)
    assert report.voice_file_id == "v1" and report.voice_duration == 3
    assert report.details == {"voices": [{"file_id": "v2", "duration": 4}]}


def test_changing_the_category_asks_it_and_the_kind_and_keeps_the_rest() -> None:
    draft = complete("dispute", "family")
    draft.parties = "甲乙"
    assert changeable(draft) == (Step.CATEGORY, Step.KIND, Step.DESCRIPTION)
    reopen(draft, Step.CATEGORY)
    assert next_step(draft) is Step.CATEGORY and draft.parties is None
    choose_category(draft, "opinion")
    assert next_step(draft) is Step.KIND
    choose_kind(draft, "policy")
    assert next_step(draft) is Step.SUMMARY
    assert draft.description == "情况" and draft.place_area_id == HOME


def test_the_summary_is_not_a_field() -> None:
    with pytest.raises(ValueError, match="not a field"):
        reopen(complete("safety", "ebike"), Step.SUMMARY)


def test_texts_are_trimmed_and_limited() -> None:
    assert clean_text("  漏水  ", 10) == "漏水"
    with pytest.raises(BadText) as empty:
        clean_text("   ", 10)
    assert empty.value.reason == "empty"
    with pytest.raises(BadText) as long:
        clean_text("长" * 11, 10)
    assert (long.value.reason, long.value.length, long.value.limit) == ("too_long", 11, 10)


def test_photos_are_limited_and_albums_acknowledged_once() -> None:
    draft = Draft(flow="f")
    assert all(add_photo(draft, f"p{i}", f"u{i}", 3) for i in range(3))
    assert not add_photo(draft, "p4", "u4", 3)
    assert [p[0] for p in draft.photos] == ["p0", "p1", "p2"]
    assert first_of_album(draft, "g1") and not first_of_album(draft, "g1")
    assert first_of_album(draft, "g2")
    for i in range(20):
        first_of_album(draft, f"x{i}")
    assert len(draft.albums) == 10


def test_a_draft_is_plain_json_and_read_back_whole() -> None:
    draft = complete("opinion", "policy")
    draft.anonymous = True
    draft.mode = Mode.PLACE
    draft.held_text = "太长的一段"
    add_photo(draft, "p", None, 5)
    text = json.dumps(draft.to_json())
    back = Draft.from_json(json.loads(text))
    assert back == draft and back is not None and back.open_mode is Mode.PLACE
    assert Draft.from_json(None) is None
    assert Draft.from_json({"no": "flow"}) is None
    assert Draft.from_json({"flow": "f", "category": "x", "unknown": 1}) == Draft(
        flow="f", category="x"
    )
    # a draft begun before the four-tap flow, with "not answered yet" as None
    old = Draft.from_json({"flow": "f", "urgent": None, "anonymous": None, "photos_done": True})
    assert old is not None and old.urgent is False and old.anonymous is False


def test_to_report() -> None:
    with pytest.raises(DraftIncomplete):
        to_report(Draft(flow="f"))
    dispute = complete("dispute", "neighbours")
    dispute.parties = "301与401"
    report = to_report(dispute)
    assert report.category is Category.DISPUTE and report.details == {"parties": "301与401"}
    assert not report.anonymous
    opinion = complete("opinion", "policy")
    opinion.anonymous = True
    add_photo(opinion, "p", "u", 5)
    report = to_report(opinion)
    assert report.anonymous and report.details == {} and report.photos == (("p", "u"),)
    # anonymity is for opinions only, whatever the draft says
    safety = complete("safety", "ebike")
    safety.anonymous = True
    assert not to_report(safety).anonymous
