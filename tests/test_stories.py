"""The stories core: validation, submission, every review transition (and the refused ones),
edits that keep the previous version, erasure, and hostile text stored faithfully.

Runs on SQLite and PostgreSQL through the `db` fixture.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from knowvember.config import parse_settings
from knowvember.errors import ConflictError, InputError, NotFoundError
from knowvember.models import Story, StoryEvent, StoryTechnique
from knowvember.stories import (
    APPROVED,
    CHANGES_REQUESTED,
    REJECTED,
    SUBMITTED,
    StoryInput,
    StoryValidationError,
    approve_story,
    count_by_status,
    delete_story,
    edit_story,
    get_story,
    list_stories,
    parse_yes_no,
    pending_stories,
    printable,
    published_stories,
    reject_story,
    request_changes,
    split_choices,
    story_events,
    submit_story,
    transition,
)
from tests.conftest import BASE_CONFIG

GOOD: dict[str, Any] = {
    "title": "Our third round of Randomised Coffee Trials",
    "body": "We paired 40 staff across the trust for coffee.",
    "outcome": "Two new journal clubs started.",
    "techniques": ["Randomised Coffee Trials"],
    "organisation": "RWE",
    "name": "Jane Smith",
    "email": "jane.smith@nhs.net",
    "role": "Clinical librarian",
    "links": ["https://example.org/rct"],
    "consent": True,
}

# <script>, bidi override, RTL mark and Hebrew, 4-byte emoji, C0 controls and an ANSI escape,
# quotes, a spreadsheet formula.
HOSTILE = ("<script>alert('x')</script> \u202eevil\u202c \u200fשלום 🧠🫶 \x01\x07\x1b[31mred"
           " \"quoted\" & =1+2")


def story(settings, **changes: Any) -> StoryInput:  # type: ignore[no-untyped-def]
    return StoryInput.parse({**GOOD, **changes}, settings)


def new(db, settings, **changes: Any):  # type: ignore[no-untyped-def]
    record, _ = submit_story(db, settings, story(settings, **changes), source="cli")
    return record


# -- validation -------------------------------------------------------------------------


def test_valid_input_is_kept_as_given(settings) -> None:  # type: ignore[no-untyped-def]
    data = StoryInput.parse({**GOOD, "title": "  Spaced title  ", "email": " a@b.nhs.uk ",
                             "techniques": "Peer Assist; AAR;", "links": "https://a.org/x "
                             "http://b.org/y"}, settings)
    assert data.title == "  Spaced title  "  # free text byte for byte
    assert data.email == "a@b.nhs.uk"
    assert data.techniques == ("Peer Assist", "AAR")
    assert data.links == ("https://a.org/x", "http://b.org/y")


def test_every_problem_is_reported_under_its_field(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoryValidationError) as caught:
        StoryInput.parse({"title": " ", "body": "x" * 20_001, "email": "not-an-email",
                          "consent": "maybe", "links": ["javascript:alert(1)"]}, settings)
    errors = caught.value.errors
    assert errors["title"] == "required"
    assert errors["name"] == "required"
    assert "20,001 characters, the limit is 20,000" in errors["body"]
    assert "max_body_chars" in errors["body"]
    assert "is not an email address" in errors["email"]
    assert "yes or no" in errors["consent"]
    assert "not an http(s) link" in errors["links"]
    assert isinstance(caught.value, InputError)


def test_title_limit_comes_from_config(settings) -> None:  # type: ignore[no-untyped-def]
    small = parse_settings(BASE_CONFIG + "\n[stories]\nmax_title_chars = 10\n")
    with pytest.raises(StoryValidationError, match="max_title_chars"):
        StoryInput.parse({**GOOD, "title": "x" * 11}, small)
    assert StoryInput.parse({**GOOD, "title": "x" * 11}, settings).title == "x" * 11


def test_consent_must_be_answered(settings) -> None:  # type: ignore[no-untyped-def]
    for missing in (None, "", "  "):
        with pytest.raises(StoryValidationError, match="consent: required"):
            StoryInput.parse({**GOOD, "consent": missing}, settings)
    assert StoryInput.parse({**GOOD, "consent": "No"}, settings).consent is False
    assert StoryInput.parse({**GOOD, "consent": "Yes, I consent"}, settings).consent is True


@pytest.mark.parametrize(("answer", "expected"), [
    ("Yes", True), ("yes.", True), ("Y", True), ("TRUE", True), (True, True), (1, True),
    ("No", False), ("no, thanks", False), ("n", False), (False, False), (0, False),
    ("", None), (None, None),
])
def test_yes_no_answers(answer: Any, expected: bool | None) -> None:
    assert parse_yes_no(answer) is expected


def test_yes_no_refuses_other_answers() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_yes_no("perhaps")


def test_multi_choice_separators() -> None:
    assert split_choices("Peer Assist;After Action Review;") == ["Peer Assist",
                                                                 "After Action Review"]
    assert split_choices("Peer Assist, Knowledge Café") == ["Peer Assist", "Knowledge Café"]
    assert split_choices(["A", "", None, " B "]) == ["A", "B"]  # type: ignore[list-item]


def test_text_a_database_cannot_hold_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoryValidationError, match="NUL"):
        StoryInput.parse({**GOOD, "body": "a\x00b"}, settings)
    with pytest.raises(StoryValidationError, match="lone surrogate"):
        StoryInput.parse({**GOOD, "title": "bad \udc80"}, settings)


# -- submission and reading -----------------------------------------------------------------


def test_submit_stores_the_story_its_techniques_and_an_event(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings, techniques=["AAR", "peer assist"],
                 body="We ran a knowledge café after the audit.")
    assert record.status == SUBMITTED and record.source == "cli"
    # chosen names are normalised by the taxonomy, techniques in the text are added
    assert record.chosen_techniques == ("After Action Review", "Peer Assist")
    assert record.techniques[:2] == ("After Action Review", "Peer Assist")
    assert "Knowledge Café" in record.techniques
    stored = get_story(db, record.id)
    assert stored.techniques == record.techniques
    assert [(e.action, e.to_status) for e in stored.events] == [("submitted", SUBMITTED)]
    assert stored.to_json()["events"][0].keys() >= {"action", "reviewer", "at", "note"}


def test_unknown_technique_and_organisation_are_kept_as_written(db, settings) -> None:  # type: ignore[no-untyped-def]
    record, warnings = submit_story(db, settings, story(
        settings, techniques=["Lunch and learn"], organisation="Our Little Library"))
    assert record.chosen_techniques == ("Lunch and learn",)
    assert "Lunch and learn" in record.techniques
    assert record.organisation_code is None
    assert record.organisation_text == "Our Little Library"
    assert any("not in the taxonomy" in w for w in warnings)
    assert any("not in the catalogue" in w for w in warnings)


def test_hostile_text_is_stored_byte_for_byte(db, settings) -> None:  # type: ignore[no-untyped-def]
    roomy = parse_settings(BASE_CONFIG + "\n[stories]\nmax_body_chars = 200000\n")
    big = (HOSTILE + "\n") * (100_000 // len(HOSTILE))
    assert len(big.encode("utf-8")) > 100_000
    record, _ = submit_story(db, roomy, StoryInput.parse(
        {**GOOD, "title": HOSTILE, "body": big, "outcome": HOSTILE, "name": HOSTILE,
         "role": HOSTILE, "organisation": HOSTILE}, roomy))
    stored = get_story(db, record.id)
    assert stored.title == HOSTILE and stored.body == big and stored.outcome == HOSTILE
    assert stored.name == HOSTILE and stored.role == HOSTILE
    assert stored.organisation_text == HOSTILE.strip()
    with db.begin() as conn:
        raw = conn.execute(sa.select(Story.__table__.c.body)
                           .where(Story.__table__.c.id == record.id)).scalar()
    assert raw == big


def test_list_filters_by_status_org_and_technique(db, settings) -> None:  # type: ignore[no-untyped-def]
    a = new(db, settings, techniques=["Peer Assist"], organisation="Trust A", body="Plain.")
    b = new(db, settings, techniques=["After Action Review"], organisation="Trust B",
            body="Plain.")
    approve_story(db, b.id, reviewer="Ann")
    assert [s.id for s in list_stories(db)] == [a.id, b.id]
    assert [s.id for s in list_stories(db, status=APPROVED)] == [b.id]
    assert [s.id for s in list_stories(db, status=[SUBMITTED, APPROVED])] == [a.id, b.id]
    assert [s.id for s in list_stories(db, org="trust a")] == [a.id]
    assert [s.id for s in list_stories(db, technique="AAR")] == [b.id]  # a synonym
    assert [s.id for s in list_stories(db, technique="peer assist")] == [a.id]
    assert [s.id for s in pending_stories(db)] == [a.id]
    with pytest.raises(InputError, match="unknown status"):
        list_stories(db, status="pending")


def test_get_unknown_story_is_not_found(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError, match="no story 999"):
        get_story(db, 999)


# -- transitions ------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "note", "status", "event"), [
    ("approve", None, APPROVED, "approved"),
    ("reject", "Not a KM story", REJECTED, "rejected"),
    ("request_changes", "Please add the outcome", CHANGES_REQUESTED, "changes_requested"),
])
def test_each_decision_on_a_submitted_story(db, settings, action, note, status, event) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    after = transition(db, record.id, action, reviewer="Ann Coordinator", note=note)
    assert after.status == status
    last = after.events[-1]
    assert (last.action, last.reviewer, last.note) == (event, "Ann Coordinator", note)
    assert (last.from_status, last.to_status) == (SUBMITTED, status)
    assert last.at.tzinfo is not None
    assert after.updated_at >= record.updated_at


@pytest.mark.parametrize("action", ["reject", "request_changes"])
def test_reject_and_request_changes_need_a_note(db, settings, action) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    for note in (None, "", "   "):
        with pytest.raises(InputError, match="needs a note"):
            transition(db, record.id, action, reviewer="Ann", note=note)
    assert get_story(db, record.id).status == SUBMITTED
    assert len(story_events(db, record.id)) == 1  # nothing recorded


def test_approve_needs_no_note_but_keeps_one(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    assert approve_story(db, record.id, reviewer="Ann").events[-1].note is None
    other = new(db, settings)
    assert approve_story(db, other.id, reviewer="Ann", note="Lovely").events[-1].note == "Lovely"


def test_a_reviewer_is_required(db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    monkeypatch.delenv("KNOWVEMBER_REVIEWER", raising=False)
    with pytest.raises(InputError, match="KNOWVEMBER_REVIEWER"):
        transition(db, record.id, "approve", reviewer="  ")
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Env Reviewer")
    from knowvember.stories import resolve_reviewer

    assert resolve_reviewer(None) == "Env Reviewer"
    assert resolve_reviewer("Flag Reviewer") == "Flag Reviewer"


REFUSED = [
    (APPROVED, "approve", "already approved"),
    (APPROVED, "reject", "only a submitted story can be rejected"),
    (APPROVED, "request_changes", "only a submitted story"),
    (REJECTED, "approve", "a rejected story is closed"),
    (REJECTED, "reject", "already rejected"),
    (REJECTED, "request_changes", "a rejected story is closed"),
    (CHANGES_REQUESTED, "approve", "edit it"),
    (CHANGES_REQUESTED, "reject", "edit it"),
    (CHANGES_REQUESTED, "request_changes", "already changes requested"),
]


@pytest.mark.parametrize(("status", "action", "message"), REFUSED)
def test_refused_transitions(db, settings, status, action, message) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    first = {APPROVED: "approve", REJECTED: "reject", CHANGES_REQUESTED: "request_changes"}
    transition(db, record.id, first[status], reviewer="Ann", note="first decision")
    events_before = len(story_events(db, record.id))
    with pytest.raises(ConflictError, match=message) as caught:
        transition(db, record.id, action, reviewer="Bob", note="second decision")
    assert caught.value.exit_code == 7
    assert get_story(db, record.id).status == status
    assert len(story_events(db, record.id)) == events_before


def test_transition_on_a_missing_story(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        approve_story(db, 12345, reviewer="Ann")


def other_campaign(db, settings):  # type: ignore[no-untyped-def]
    """The same database opened for another campaign (KNOWvember 2018), as a shared database
    is; the caller disposes of it."""
    from knowvember.db import open_database

    text = (BASE_CONFIG.replace('slug = "knowvember19"', 'slug = "knowvember18"')
            .replace('name = "KNOWvember 2019"', 'name = "KNOWvember 2018"')
            .replace("2019-11-01", "2018-11-01").replace("2019-11-30", "2018-11-30"))
    other = parse_settings(text, settings.path)
    return open_database(other, url=db.engine.url.render_as_string(hide_password=False)), other


def test_a_story_of_another_campaign_is_not_found_by_id(db, settings) -> None:  # type: ignore[no-untyped-def]
    """By id as in the queue: another campaign's story cannot be shown, decided, edited or
    erased from this one, and it is left as it was."""
    elsewhere, other_settings = other_campaign(db, settings)
    try:
        theirs = new(elsewhere, other_settings)
        ours = new(db, settings)
        assert [s.id for s in pending_stories(db)] == [ours.id]
        refusals = [
            lambda: get_story(db, theirs.id),
            lambda: approve_story(db, theirs.id, reviewer="Ann"),
            lambda: reject_story(db, theirs.id, reviewer="Ann", note="Not ours"),
            lambda: request_changes(db, theirs.id, reviewer="Ann", note="Not ours"),
            lambda: edit_story(db, settings, theirs.id, {"title": "Taken over"}, editor="Ann"),
            lambda: delete_story(db, theirs.id, reviewer="Ann"),
        ]
        for refused in refusals:
            with pytest.raises(NotFoundError, match=f"there is no story {theirs.id} in this "
                                                    "campaign"):
                refused()
        assert story_events(db, theirs.id) == []
        kept = get_story(elsewhere, theirs.id)
        assert (kept.status, kept.title, kept.campaign) == (SUBMITTED, GOOD["title"],
                                                           "knowvember18")
        assert [e.action for e in kept.events] == ["submitted"]
        with pytest.raises(NotFoundError, match=f"no story {ours.id} in this campaign"):
            approve_story(elsewhere, ours.id, reviewer="Ann")  # and the other way round
        assert get_story(db, ours.id).status == SUBMITTED
    finally:
        elsewhere.dispose()


def test_a_decision_taken_meanwhile_wins_and_the_second_is_refused(db, settings) -> None:  # type: ignore[no-untyped-def]
    """The status check and the update are one compare-and-set: no lost decision."""
    record = new(db, settings)
    table = Story.__table__
    with db.begin() as conn:  # another coordinator approves between our read and update
        conn.execute(table.update().where(table.c.id == record.id).values(status=APPROVED))
    with pytest.raises(ConflictError):
        reject_story(db, record.id, reviewer="Bob", note="too late")


def test_full_trail_through_changes_and_resubmission(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    request_changes(db, record.id, reviewer="Ann", note="Add the outcome please")
    edited, _ = edit_story(db, settings, record.id, {"outcome": "Three teams joined."},
                           editor="Ann", note="Outcome from Jane's email")
    assert edited.status == SUBMITTED  # back in the queue
    approved = approve_story(db, record.id, reviewer="Bob")
    trail = [(e.action, e.reviewer, e.from_status, e.to_status) for e in approved.events]
    assert trail == [
        ("submitted", None, None, SUBMITTED),
        ("changes_requested", "Ann", SUBMITTED, CHANGES_REQUESTED),
        ("edited", "Ann", CHANGES_REQUESTED, SUBMITTED),
        ("approved", "Bob", SUBMITTED, APPROVED),
    ]
    assert [e.note for e in approved.events][1:3] == ["Add the outcome please",
                                                      "Outcome from Jane's email"]
    assert count_by_status(db) == {SUBMITTED: 0, APPROVED: 1, REJECTED: 0,
                                   CHANGES_REQUESTED: 0}


# -- editing ----------------------------------------------------------------------------


def test_edit_keeps_the_previous_version_in_the_trail(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings, title="First title", techniques=["Peer Assist"])
    edited, _ = edit_story(db, settings, record.id,
                           {"title": "Better title", "techniques": ["After Action Review"]},
                           editor="Ann")
    assert edited.title == "Better title"
    assert edited.chosen_techniques == ("After Action Review",)
    assert "Peer Assist" not in edited.techniques
    previous = edited.events[-1].previous
    assert previous is not None
    assert previous["title"] == "First title"
    assert previous["chosen_techniques"] == ["Peer Assist"]
    assert previous["body"] == GOOD["body"] and previous["email"] == GOOD["email"]
    again, _ = edit_story(db, settings, record.id, {"title": "Best title"}, editor="Bob")
    versions = [e.previous["title"] for e in again.events if e.action == "edited"]
    assert versions == ["First title", "Better title"]  # nothing silently overwritten


def test_edit_keeps_status_of_approved_and_submitted_stories(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    assert edit_story(db, settings, record.id, {"role": "Librarian"},
                      editor="Ann")[0].status == SUBMITTED
    approve_story(db, record.id, reviewer="Ann")
    fixed, _ = edit_story(db, settings, record.id, {"title": "Typo fixed"}, editor="Ann")
    assert fixed.status == APPROVED


def test_edit_refusals(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    with pytest.raises(InputError, match="nothing to change"):
        edit_story(db, settings, record.id, {}, editor="Ann")
    with pytest.raises(InputError, match="already reads like that"):
        edit_story(db, settings, record.id, {"title": GOOD["title"]}, editor="Ann")
    with pytest.raises(StoryValidationError, match="email"):
        edit_story(db, settings, record.id, {"email": "nope"}, editor="Ann")
    with pytest.raises(InputError, match="cannot edit status"):
        edit_story(db, settings, record.id, {"status": APPROVED}, editor="Ann")
    reject_story(db, record.id, reviewer="Ann", note="Duplicate")
    with pytest.raises(ConflictError, match="rejected story is closed"):
        edit_story(db, settings, record.id, {"title": "New"}, editor="Ann")
    assert len([e for e in story_events(db, record.id) if e.action == "edited"]) == 0


# -- erasure ----------------------------------------------------------------------------


def test_delete_erases_the_story_and_its_personal_data(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    request_changes(db, record.id, reviewer="Ann", note="Jane, please add your outcome")
    edit_story(db, settings, record.id, {"outcome": "Jane's new outcome"}, editor="Ann")
    delete_story(db, record.id, reviewer="Ann")
    with pytest.raises(NotFoundError, match="was deleted"):
        get_story(db, record.id)
    events = story_events(db, record.id)
    assert events[-1].action == "deleted" and events[-1].reviewer == "Ann"
    assert all(e.note is None for e in events)
    assert all(e.previous is None for e in events[:-1])
    assert events[-1].previous == {"campaign_id": db.campaign_id}  # the tombstone: no more
    with db.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Story)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count())
                            .select_from(StoryTechnique)).scalar() == 0
        dumped = " ".join(str(tuple(row)) for row in conn.execute(sa.select(StoryEvent)))
    for personal in ("Jane", "jane.smith@nhs.net", GOOD["title"], GOOD["body"]):
        assert personal not in dumped
    with pytest.raises(NotFoundError):
        delete_story(db, record.id, reviewer="Ann")


def test_an_erased_storys_id_is_never_reused(db, settings) -> None:  # type: ignore[no-untyped-def]
    first = new(db, settings)
    delete_story(db, first.id, reviewer="Ann")
    second = new(db, settings)
    assert second.id != first.id
    assert [e.action for e in get_story(db, second.id).events] == ["submitted"]


# -- publication and display --------------------------------------------------------------


def test_published_means_approved_and_consented(db, settings) -> None:  # type: ignore[no-untyped-def]
    yes = new(db, settings)
    no = new(db, settings, consent=False)
    waiting = new(db, settings)
    approve_story(db, yes.id, reviewer="Ann")
    approve_story(db, no.id, reviewer="Ann")
    assert [s.id for s in published_stories(db)] == [yes.id]
    assert waiting.id not in [s.id for s in published_stories(db)]
    public = published_stories(db)[0].public_json()
    assert "email" not in public and "events" not in public


def test_json_shape(db, settings) -> None:  # type: ignore[no-untyped-def]
    record = new(db, settings)
    data = get_story(db, record.id).to_json()
    assert {"id", "status", "events", "title", "body", "techniques", "consent",
            "submitted_at", "email"} <= data.keys()
    assert data["submitted_at"].endswith("Z")
    assert "email" not in record.to_json(include_email=False)
    dt.datetime.fromisoformat(data["events"][0]["at"].replace("Z", "+00:00"))


def test_printable_shows_controls_instead_of_running_them() -> None:
    shown = printable("a\x1b[31mb\u202ec\r\nd\x07")
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert shown == "a\\x1b[31mb<U+202E>c\nd\\x07"
    assert printable("one\ntwo", keep_newlines=False) == "one two"
    assert printable("שלום 🧠\u200f") == "שלום 🧠\u200f"  # ordinary text untouched


# -- any input: a clear answer, never a crash ----------------------------------------------

_ANY = st.one_of(st.none(), st.text(max_size=300), st.booleans(), st.integers(),
                 st.lists(st.text(max_size=40), max_size=5))


@hypothesis_settings(max_examples=100, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({name: _ANY for name in GOOD}))
def test_any_input_is_accepted_or_refused_by_field(settings, data) -> None:  # type: ignore[no-untyped-def]
    try:
        parsed = StoryInput.parse(data, settings)
    except StoryValidationError as exc:
        assert exc.errors and set(exc.errors) <= set(GOOD)
        assert all(isinstance(v, str) and v for v in exc.errors.values())
    else:
        assert parsed.title == data["title"] and parsed.body == data["body"]
        assert "\x00" not in parsed.title + parsed.body
