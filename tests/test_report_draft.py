"""The pure rules of a report draft: the order of questions, changing a field, filing."""

from __future__ import annotations

import json

import pytest

from bot.services.categories import Category
from bot.services.report_draft import (
    BadText,
    Draft,
    DraftIncomplete,
    Step,
    add_photo,
    changeable,
    choose_category,
    choose_kind,
    clean_text,
    first_of_album,
    next_step,
    reopen,
    steps_of,
    to_report,
)


def complete(category: str, kind: str) -> Draft:
    draft = Draft(flow="abc123")
    assert choose_category(draft, category) and choose_kind(draft, kind)
    draft.parties_done = True
    draft.anonymous = False
    draft.description = "情况"
    draft.photos_done = True
    draft.place_text = "北门"
    draft.urgent = False
    return draft


def test_the_questions_of_each_category() -> None:
    assert steps_of("dispute") == (
        Step.CATEGORY,
        Step.KIND,
        Step.PARTIES,
        Step.DESCRIPTION,
        Step.PHOTOS,
        Step.PLACE,
        Step.URGENCY,
        Step.SUMMARY,
    )
    assert Step.ANONYMOUS in steps_of("opinion") and Step.PARTIES not in steps_of("opinion")
    for category in ("sanitation", "safety", "health"):
        assert Step.ANONYMOUS not in steps_of(category)
        assert Step.PARTIES not in steps_of(category)


def test_next_step_walks_the_order() -> None:
    draft = Draft(flow="f")
    assert next_step(draft) is Step.CATEGORY
    assert not choose_category(draft, "weather")
    assert choose_category(draft, "dispute")
    assert next_step(draft) is Step.KIND
    assert not choose_kind(draft, "garbage")  # a kind of another category
    assert choose_kind(draft, "family")
    assert next_step(draft) is Step.PARTIES
    draft.parties_done = True
    assert next_step(draft) is Step.DESCRIPTION
    draft.voice_file_id, draft.voice_duration = "v", 4
    assert next_step(draft) is Step.PHOTOS
    draft.photos_done = True
    assert next_step(draft) is Step.PLACE
    draft.latitude, draft.longitude = 38.3, 116.8
    assert next_step(draft) is Step.URGENCY
    draft.urgent = True
    assert next_step(draft) is Step.SUMMARY


def test_changing_the_category_asks_its_details_again_and_keeps_the_rest() -> None:
    draft = complete("dispute", "family")
    assert Step.PARTIES in changeable(draft) and Step.SUMMARY not in changeable(draft)
    reopen(draft, Step.CATEGORY)
    assert next_step(draft) is Step.CATEGORY
    choose_category(draft, "opinion")
    assert next_step(draft) is Step.KIND
    choose_kind(draft, "policy")
    assert next_step(draft) is Step.ANONYMOUS
    draft.anonymous = True
    assert next_step(draft) is Step.SUMMARY
    assert draft.description == "情况" and draft.place_text == "北门"


@pytest.mark.parametrize("step", [s for s in Step if s is not Step.SUMMARY])
def test_reopening_a_field_asks_it_and_then_returns_to_the_summary(step: Step) -> None:
    draft = complete("dispute" if step is not Step.ANONYMOUS else "opinion", "other")
    reopen(draft, step)
    assert next_step(draft) is step


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
    add_photo(draft, "p", None, 5)
    text = json.dumps(draft.to_json())
    assert Draft.from_json(json.loads(text)) == draft
    assert Draft.from_json(None) is None
    assert Draft.from_json({"no": "flow"}) is None
    assert Draft.from_json({"flow": "f", "category": "x", "unknown": 1}) == Draft(
        flow="f", category="x"
    )


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
    assert report.place_text == "北门" and report.urgent is False
    # anonymity is for opinions only, whatever the draft says
    safety = complete("safety", "ebike")
    safety.anonymous = True
    assert not to_report(safety).anonymous
