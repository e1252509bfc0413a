"""Found in a coordinator's trial of KM stories from the command line and form exports:
piped answers to `stories review` read as one answer per line (a note is never read as
keys), and re-exports of a form whose respondents changed their answers after review."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_stories_cli import SUBMIT, flat


def _submitted(cli: Any, count: int) -> list[int]:
    return [int(json.loads(cli(*SUBMIT, "--format", "json").stdout)["id"])
            for _ in range(count)]


def _trail(cli: Any, story_id: int) -> list[tuple[str, str | None]]:
    shown = json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)
    return [(e["action"], e["note"]) for e in shown["events"]]


@pytest.mark.parametrize("answers", [
    "s\nr\nSpam\na\n",          # keys, the note on the line after the r
    "skip\nreject\nSpam\napprove\n",  # the words instead of the keys
])
def test_a_piped_note_is_the_line_after_the_key_never_keys(
        campaign_dir, cli, monkeypatch, answers: str) -> None:  # type: ignore[no-untyped-def]
    """`printf 's\\nr\\nSpam\\na\\n' | stories review`: skip the first, reject the second with
    the note "Spam", approve the third. Read a key at a time, the newline after the r was
    the (empty) note, and then the `a` of "Spam" approved the second story."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    first, second, third = _submitted(cli, 3)
    result = cli("stories", "review", input=answers)
    assert result.exit_code == 0, result.stderr
    assert "Decided 2 of 3: 1 approved, 1 rejected, 0 sent back for changes, 1 skipped" in (
        flat(result.stderr))
    assert _trail(cli, first) == [("submitted", None)]
    assert _trail(cli, second) == [("submitted", None), ("rejected", "Spam")]
    assert _trail(cli, third) == [("submitted", None), ("approved", None)]


def test_a_piped_line_that_is_not_an_answer_decides_nothing(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A line such as "approve it, ok" is not taken letter by letter (its `r` would reject):
    it is named as not an answer and the next line is read."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    (only,) = _submitted(cli, 1)
    result = cli("stories", "review", input="a\n")
    assert _trail(cli, only)[-1] == ("approved", None)
    (second,) = _submitted(cli, 1)
    result = cli("stories", "review", input="c\n\nq\n")
    assert "A note is needed" in flat(result.stderr)
    result = cli("stories", "review", input="request changes, ok\napprove it\nq\n")
    assert "Not an answer: 'request changes, ok'" in flat(result.stderr)
    assert "Not an answer: 'approve it'" in flat(result.stderr)
    assert _trail(cli, second) == [("submitted", None)]
    result = cli("stories", "review", input="request changes\nAdd the outcome\n")
    assert _trail(cli, second)[-1] == ("changes_requested", "Add the outcome")
    assert "Note (why? the trail keeps it): Add the outcome" in flat(result.stderr)


def test_keystrokes_sent_without_newlines_still_work(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Input that does not start with an answer on its own line is read key by key, the
    note being the rest of the key's line, as before."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    first, second = _submitted(cli, 2)
    result = cli("stories", "review", input="arNot a KM story\n")
    assert result.exit_code == 0, result.stderr
    assert _trail(cli, first)[-1] == ("approved", None)
    assert _trail(cli, second)[-1] == ("rejected", "Not a KM story")


# -- re-exports of a form whose respondents changed their answers ---------------------------

MS_COLUMNS = """
[stories.form_columns]
title = "Give your story a title"
body = "Please tell us your story"
techniques = "Which techniques did you use?"
organisation = "Which organisation do you work for?"
consent = "Are you happy for us to share your story?"
"""
MS_HEADER = ["ID", "Start time", "Completion time", "Email", "Name",
             "Give your story a title", "Please tell us your story",
             "Which techniques did you use?", "Which organisation do you work for?",
             "Are you happy for us to share your story?"]
YES = "Yes, I am happy for my story to be shared publicly"


def _ms_row(number: int, *, body: str = "We ran a Peer Assist.\nThen, a \"Retrospect\".",
            consent: str = YES) -> list[Any]:
    import datetime as dt

    when = dt.datetime(2019, 11, number, 14, 5, 33)
    return [number, when - dt.timedelta(minutes=5), when, f"person{number}@nhs.net",
            "Siobhán O'Neill", f"Story {number}", body, "Peer Assist;Retrospect;",
            "Leeds Teaching Hospitals", consent]


def _xlsx(path: Any, rows: list[list[Any]]) -> Any:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(MS_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _import(cli: Any, path: Any) -> dict[str, Any]:
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(result.stdout))


def _story(cli: Any, story_id: int) -> dict[str, Any]:
    return dict(json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout))


def _published_titles(cli: Any) -> list[str]:
    import csv
    import io

    result = cli("stories", "export", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return [row["title"] for row in csv.DictReader(io.StringIO(result.stdout))]


def test_consent_withdrawn_in_a_re_export_stops_publication(
        write_config, cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The respondent edits their Microsoft Forms response to say No after the story was
    approved: the re-import used to skip the row silently (same ID) and the story stayed
    published. The withdrawal is applied (the status is the reviewer's and stays), the
    other rows are untouched, and a later import says nothing more about it."""
    write_config(MS_COLUMNS)
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    first = _import(cli, _xlsx(tmp_path / "v1.xlsx", [_ms_row(1), _ms_row(2)]))
    one, two = first["story_ids"]
    for story_id in (one, two):
        assert cli("stories", "approve", str(story_id)).exit_code == 0
    assert len(_published_titles(cli)) == 2
    again = _import(cli, _xlsx(tmp_path / "v2.xlsx",
                               [_ms_row(1, consent="No"), _ms_row(2), _ms_row(3)]))
    assert (again["imported"], again["already_imported"]) == (1, 2)
    assert [w for w in again["warnings"] if "withdrew consent" in w] == [
        f"row 2: the respondent withdrew consent to publish in the form: story {one} is no "
        "longer published (consent set to no; it stays approved)"]
    withdrawn = _story(cli, one)
    assert (withdrawn["status"], withdrawn["consent"]) == ("approved", False)
    last = withdrawn["events"][-1]
    assert (last["action"], last["reviewer"], last["previous"]["consent"]) == (
        "edited", "form response", True)
    assert last["note"] == "consent withdrawn in the form (v2.xlsx, row 2)"
    assert _story(cli, two)["consent"] is True and len(_story(cli, two)["events"]) == 2
    assert _published_titles(cli) == ["Story 2"]
    quiet = _import(cli, tmp_path / "v2.xlsx")
    assert quiet["imported"] == 0 and quiet["warnings"] == []


def test_an_answer_changed_after_review_is_named_not_re_applied(
        write_config, cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A respondent rewrites their story after it was approved: the reviewer's decision and
    the approved text stay, and the import says which row changed and how to take it.
    A coordinator's own edit is not taken for a change in the form."""
    write_config(MS_COLUMNS)
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    (one, two) = _import(cli, _xlsx(tmp_path / "v1.xlsx", [_ms_row(1), _ms_row(2)]))[
        "story_ids"]
    assert cli("stories", "approve", str(one)).exit_code == 0
    assert cli("stories", "edit", str(two), "--title", "Story two, typo fixed").exit_code == 0
    changed = _import(cli, _xlsx(tmp_path / "v2.xlsx",
                                 [_ms_row(1, body="Rewritten, after the review."), _ms_row(2)]))
    assert changed["imported"] == 0 and changed["already_imported"] == 2
    assert changed["warnings"] == [
        f"row 2: changed in the form since it was imported as story {one} (body); not "
        f"re-applied: edit the story (`knowvember stories edit {one} ...`) to take the change"]
    story = _story(cli, one)
    assert story["status"] == "approved" and story["body"] == _ms_row(1)[6]
    assert _story(cli, two)["title"] == "Story two, typo fixed"


GOOGLE_COLUMNS = """
[stories.form_columns]
title = "Title of your story"
body = "Please tell us your story"
techniques = "Which KM techniques did you use?"
organisation = "Which organisation do you work for?"
consent = "Can we share your story publicly?"
name = "Your name"
"""
GOOGLE_HEADER = ["Timestamp", "Email address", "Your name", "Title of your story",
                 "Please tell us your story", "Which KM techniques did you use?",
                 "Which organisation do you work for?", "Can we share your story publicly?"]


def _google(path: Any, rows: list[list[str]]) -> Any:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([GOOGLE_HEADER, *rows, [""] * len(GOOGLE_HEADER)])
    return path


def test_a_google_forms_response_edited_later_is_not_imported_twice(
        write_config, cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Google Forms has no response id, and an edited response carries the time of the
    edit: the row's key changed and the edited response came in as a second story. It is
    now matched to the story (same email and title, later time); a new response of the
    same person with another title is a new story."""
    write_config(GOOGLE_COLUMNS)
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    original = ["02/11/2019 14:05:33", "siobhan@nhs.net", "Siobhán Ní Bhriain",
                "Peer assist, then retro", "Line one,\nline \"two\"", "Peer Assist, Retrospect",
                "Leeds Teaching Hospitals", YES]
    (story_id,) = _import(cli, _google(tmp_path / "g1.csv", [original]))["story_ids"]
    assert _story(cli, story_id)["submitted_at"] == "2019-11-02T14:05:33Z"
    assert cli("stories", "approve", str(story_id)).exit_code == 0
    edited = ["20/11/2019 08:00:00", *original[1:4], "Line one, edited", *original[5:7], "No"]
    other = ["21/11/2019 10:00:00", "siobhan@nhs.net", "Siobhán Ní Bhriain", "A second story",
             "Another", "", "RR8", "Yes"]
    result = _import(cli, _google(tmp_path / "g2.csv", [edited, other]))
    assert (result["imported"], result["already_imported"]) == (1, 1)
    assert result["warnings"][0] == (
        f"row 2: looks like story {story_id} edited in the form since it was imported (same "
        "email and title, submitted 2019-11-02 14:05 UTC, now 2019-11-20 08:00 UTC); not "
        "imported again")
    assert any("withdrew consent" in w for w in result["warnings"])
    assert any(f"imported as story {story_id} (body)" in w for w in result["warnings"])
    listed = json.loads(cli("stories", "list", "--format", "json").stdout)
    assert sorted(s["title"] for s in listed) == ["A second story", "Peer assist, then retro"]
    story = _story(cli, story_id)
    assert (story["status"], story["consent"], story["body"]) == (
        "approved", False, "Line one,\nline \"two\"")
    again = _import(cli, tmp_path / "g2.csv")
    assert (again["imported"], again["already_imported"]) == (0, 2)


ANON_COLUMNS = """
[stories.form_columns]
title = "Give your story a title"
body = "Please tell us your story"
consent = "Are you happy for us to share your story?"
"""
ANON_HEADER = ["ID", "Start time", "Completion time", "Email", "Name",
               "Give your story a title", "Please tell us your story",
               "Are you happy for us to share your story?"]


def _anonymous_form(path: Any, *questions: str) -> Any:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([*ANON_HEADER, *questions])
    for number in (1, 2):
        when = dt.datetime(2019, 11, 2, 14, number)
        sheet.append([number, when, when, "anonymous", None, f"Story {number}", "Body", "No",
                      *([f"Zoë {number}", f"zoe{number}@nhs.net"] if questions else [])])
    book.save(path)
    return path


def test_an_anonymous_microsoft_form_reads_its_own_name_and_email_questions(
        write_config, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A form anyone can answer writes "anonymous" in its fixed Email column and nothing in
    Name; it asks "Your name" and "Your email address" instead. Those default headers came
    after the fixed columns, so every row failed ("'anonymous' is not an email address",
    "name: required") however well it was filled in."""
    write_config(ANON_COLUMNS)
    result = _import(cli, _anonymous_form(tmp_path / "anon.xlsx", "Your name",
                                          "Your email address"))
    assert (result["imported"], result["failed"]) == (2, 0)
    assert (result["columns"]["email"], result["columns"]["name"]) == (
        "Your email address", "Your name")
    story = _story(cli, result["story_ids"][0])
    assert (story["name"], story["email"]) == ("Zoë 1", "zoe1@nhs.net")


def test_an_anonymous_form_without_an_email_question_is_refused_clearly(
        write_config, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_config(ANON_COLUMNS)
    result = cli("stories", "import", str(_anonymous_form(tmp_path / "anon.xlsx")))
    assert result.exit_code == 2
    assert ("the 'Email' column says 'anonymous' on every row: the form does not record who "
            "responded. Add a question asking for the email address and map it in "
            "campaign.toml: [stories.form_columns] email = \"<its header>\"") in flat(
                result.stderr)
    assert json.loads(cli("stories", "list", "--format", "json").stdout) == []


def test_a_google_forms_response_edited_after_its_story_was_erased_stays_out(
        write_config, cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Erased on request, then the respondent edits the response in the form (its time
    moves, so its key): the story came back with its personal data. The tombstone keeps
    a digest of email and title (nothing readable) that the import recognises."""
    write_config(GOOGLE_COLUMNS)
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    original = ["02/11/2019 14:05:33", "zoe@nhs.net", "Zoë", "Café stories", "Body",
                "Knowledge Café", "RR8", "Yes"]
    (story_id,) = _import(cli, _google(tmp_path / "g1.csv", [original]))["story_ids"]
    assert cli("stories", "edit", str(story_id), "--title", "Café stories, retitled").exit_code == 0
    assert cli("stories", "delete", str(story_id), "--yes").exit_code == 0
    tombstone = json.dumps(_events_of_erased(story_id))
    assert "zoe@nhs.net" not in tombstone and "Café" not in tombstone
    edited = ["20/11/2019 08:00:00", *original[1:4], "Body, edited", *original[5:]]
    result = _import(cli, _google(tmp_path / "g2.csv", [edited]))
    assert (result["imported"], result["already_imported"]) == (0, 1)
    assert result["warnings"] == [
        "row 2: looks like a response edited in the form after its story was erased on "
        "request; not imported again"]
    assert json.loads(cli("stories", "list", "--format", "json").stdout) == []
    unchanged = _import(cli, tmp_path / "g1.csv")
    assert (unchanged["imported"], unchanged["already_imported"]) == (0, 1)
    assert unchanged["warnings"] == []


def _events_of_erased(story_id: int) -> list[dict[str, Any]]:
    from knowvember.config import load_settings
    from knowvember.db import open_database
    from knowvember.stories import story_events

    db = open_database(load_settings())
    try:
        return [e.to_json() for e in story_events(db, story_id)]
    finally:
        db.dispose()


@pytest.mark.parametrize(("written", "expected"), [
    ("2/11/19 14:05", "2019-11-02T14:05:00Z"),      # Excel's short date, UK
    ("13/11/19 09:00:01", "2019-11-13T09:00:01Z"),
    ("02-Nov-2019 14:05", "2019-11-02T14:05:00Z"),
    ("2 November 2019 14:05", "2019-11-02T14:05:00Z"),
])
def test_dates_as_excel_writes_them_in_a_csv_are_read(
        write_config, cli, tmp_path, written: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    """A Microsoft Forms workbook saved as CSV from Excel has its times as Excel shows
    them: two-digit years or month names failed every row ("cannot read ... as a date")."""
    write_config()
    path = tmp_path / "saved from excel.csv"
    path.write_text("ID,Completion time,Email,Name,Title,Story,Consent\n"
                    f"1,{written},zoe@nhs.net,Zoë,A title,What happened,Yes\n",
                    encoding="utf-8")
    result = _import(cli, path)
    assert result["imported"] == 1, result
    assert _story(cli, result["story_ids"][0])["submitted_at"] == expected


def test_two_digit_years_month_first_are_told_apart_per_file(
        write_config, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_config()
    path = tmp_path / "us.csv"
    path.write_text("ID,Completion time,Email,Name,Title,Story,Consent\n"
                    "1,11/2/19 2:05 PM,a@nhs.net,A,One,Body,Yes\n"
                    "2,11/13/19 9:00 AM,b@nhs.net,B,Two,Body,Yes\n", encoding="utf-8")
    result = _import(cli, path)
    assert [_story(cli, i)["submitted_at"] for i in result["story_ids"]] == [
        "2019-11-02T14:05:00Z", "2019-11-13T09:00:00Z"]


@pytest.mark.parametrize(("answer", "consent"), [
    ("I agree;", True),  # a Microsoft Forms tick box: its option, then `;`
    ("I consent to my story being published on the KNOWvember blog;", True),
    ("I\u2019m happy for my story to be shared", True),
    ("I do not agree", False),
    ("I don\u2019t consent;", False),
    ("Not at this time", False),
])
def test_consent_in_a_tick_box_s_own_words_is_read(
        write_config, cli, tmp_path, answer: str, consent: bool) -> None:  # type: ignore[no-untyped-def]
    write_config()
    path = tmp_path / "consent.csv"
    path.write_text('ID,Email,Name,Title,Story,Consent\n'
                    f'1,zoe@nhs.net,Zoë,A title,What happened,"{answer}"\n', encoding="utf-8")
    result = _import(cli, path)
    assert result["imported"] == 1, result
    assert _story(cli, result["story_ids"][0])["consent"] is consent


@pytest.mark.parametrize("answer", ["I agree, but not with my name", "I agree without my name",
                                    "I am happy to talk but would not want it published"])
def test_a_doubtful_consent_is_a_row_error_never_a_yes(
        write_config, cli, tmp_path, answer: str) -> None:  # type: ignore[no-untyped-def]
    write_config()
    path = tmp_path / "consent.csv"
    path.write_text('ID,Email,Name,Title,Story,Consent\n'
                    f'1,zoe@nhs.net,Zoë,A title,What happened,"{answer}"\n', encoding="utf-8")
    result = cli("stories", "import", str(path), "--format", "json")
    summary = json.loads(result.stdout)
    assert result.exit_code == 1 and summary["failed"] == 1
    assert summary["errors"][0]["reason"].startswith("consent (Consent): cannot read")


def test_approving_a_story_without_consent_in_the_queue_says_it_will_not_be_published(
        campaign_dir, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`stories approve` said so; the review queue, where most approvals happen, did not."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    no_consent = [*SUBMIT[:SUBMIT.index("--consent")], "--no-consent",
                  *SUBMIT[SUBMIT.index("--consent") + 1:]]
    assert cli(*no_consent).exit_code == 0
    result = cli("stories", "review", input="a\n")
    assert ("Note: the submitter did not consent to publication, so it will not appear in "
            "exports.") in flat(result.stderr)
    assert cli(*SUBMIT).exit_code == 0
    assert "did not consent" not in flat(cli("stories", "review", input="a\n").stderr)


def test_a_second_form_imported_without_a_name_changes_nothing_and_says_why(
        write_config, cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two Microsoft Forms both number their responses 1, 2...: a second form imported
    without --form had its rows skipped in silence as "already imported", and its "No"
    would have withdrawn the consent of the first form's unrelated story."""
    write_config(MS_COLUMNS)
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    (story_id,) = _import(cli, _xlsx(tmp_path / "form a.xlsx", [_ms_row(1)]))["story_ids"]
    other = _ms_row(1, consent="No")
    other[3] = "someone.else@nhs.net"
    result = _import(cli, _xlsx(tmp_path / "form b.xlsx", [other]))
    assert (result["imported"], result["already_imported"]) == (0, 1)
    assert result["warnings"] == [
        f"row 2: its response id was imported before, as story {story_id}, from another "
        "respondent: not imported. If this is another form, import it with a name of its "
        "own: `knowvember stories import FILE --form NAME`"]
    story = _story(cli, story_id)
    assert story["consent"] is True and len(story["events"]) == 1
    named = cli("stories", "import", str(tmp_path / "form b.xlsx"), "--form", "b",
                "--format", "json")
    assert json.loads(named.stdout)["imported"] == 1


def test_changes_asked_for_and_made_in_the_form_put_the_story_back_in_the_queue(
        write_config, cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A coordinator asks for changes; the respondent makes them by editing the form
    response. The re-import said nothing and the story waited for changes forever; now
    the changes are applied as an edit (the old version in the trail) and the story is
    back in the review queue. An approved story's edit is still only named."""
    write_config(MS_COLUMNS)
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    (story_id,) = _import(cli, _xlsx(tmp_path / "v1.xlsx", [_ms_row(1)]))["story_ids"]
    assert cli("stories", "request-changes", str(story_id), "--note",
               "Please say what changed afterwards").exit_code == 0
    changed = _ms_row(1, body="We ran a Peer Assist. Afterwards, incidents fell by half.")
    result = _import(cli, _xlsx(tmp_path / "v2.xlsx", [changed]))
    assert result["warnings"] == [
        f"row 2: the respondent made changes in the form (body), as asked: story {story_id} "
        "is back in the review queue"]
    story = _story(cli, story_id)
    assert (story["status"], story["body"]) == ("submitted", changed[6])
    last = story["events"][-1]
    assert (last["action"], last["reviewer"], last["from_status"], last["to_status"]) == (
        "edited", "form response", "changes_requested", "submitted")
    assert last["previous"]["body"] == _ms_row(1)[6]
    assert _import(cli, tmp_path / "v2.xlsx")["warnings"] == []
