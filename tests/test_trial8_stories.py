"""Found in the eighth new-user trial of stories, review, users and the web app: what a
coordinator and a submitter ran into, each fixed with the behaviour it should have."""

from __future__ import annotations

import codecs
import json

import pytest
from fastapi.testclient import TestClient

from knowvember import stories
from knowvember.retag import note_tagging
from knowvember.techniques import Taxonomy
from tests.web_support import (
    CATALOGUE,
    SECRET,
    TAXONOMY,
    add_coordinator,
    cheap_hashing,
    sign_in,
)

LOOKUPS = stories.Lookups(CATALOGUE, TAXONOMY)


@pytest.fixture
def client(settings, sqlite_db, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    from knowvember.web import create_app

    cheap_hashing(monkeypatch)
    add_coordinator(sqlite_db)
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    return TestClient(create_app(settings, sqlite_db, catalogue=CATALOGUE, taxonomy=TAXONOMY))


def _submit(settings, db, **fields: object) -> int:  # type: ignore[no-untyped-def]
    data = stories.StoryInput.parse({"title": "Our Peer Assist", "body": "A Peer Assist.",
                                     "name": "Siobhán", "email": "s@nhs.net",
                                     "consent": True, "organisation": "RX1", **fields},
                                    settings)
    story, _ = stories.submit_story(db, settings, data, lookups=LOOKUPS)
    return story.id


# -- the dashboard warns, as `summary` does, when the stored tags are other rules' ---------


@pytest.mark.parametrize("path", ["/dashboard", "/orgs/RX1"])
def test_dashboard_warns_when_stored_technique_tags_are_stale(
    client: TestClient, settings, sqlite_db, path: str  # type: ignore[no-untyped-def]
) -> None:
    """Stories tagged by the shipped rules, the app run with other rules (a campaign.toml
    [techniques] edit, or a new release): the technique counts mix the two."""
    note_tagging(sqlite_db, Taxonomy.load())  # the first writer's rules are recorded
    _submit(settings, sqlite_db)
    sign_in(client)
    page = client.get(path).text
    assert "Technique numbers may be out of date" in page
    assert "knowvember techniques retag" in page


@pytest.mark.parametrize("path", ["/dashboard", "/orgs/RX1"])
def test_dashboard_says_nothing_of_tags_made_by_the_current_rules(
    client: TestClient, settings, sqlite_db, path: str  # type: ignore[no-untyped-def]
) -> None:
    note_tagging(sqlite_db, TAXONOMY)
    _submit(settings, sqlite_db)
    sign_in(client)
    page = client.get(path).text
    assert "out of date" not in page and "retag" not in page


# -- the public stories page publishes no email address, as `stories export` does not ------


def test_public_stories_page_shows_no_email_address(
    client: TestClient, settings, sqlite_db  # type: ignore[no-untyped-def]
) -> None:
    """A submitter wrote their address into the title, byline, text and a link's query."""
    story_id = _submit(settings, sqlite_db, title="Ask jane.doe@nhs.net about our Peer Assist",
                       body="Email me at jane.doe@nhs.net to join.",
                       outcome="Write to jane.doe@nhs.net", name="Jane jane.doe@nhs.net",
                       role="Librarian", email="jane.doe@nhs.net",
                       links=["https://forms.example/?contact=jane.doe@nhs.net",
                              "https://example.nhs.uk/peer-assist"])
    stories.approve_story(sqlite_db, story_id, reviewer="coordinator", lookups=LOOKUPS)
    page = client.get("/stories").text
    assert "Ask [email address removed] about our Peer Assist" in page
    assert "Email me at [email address removed] to join." in page
    assert "Librarian" in page and "https://example.nhs.uk/peer-assist" in page
    assert "jane.doe@nhs.net" not in page and "contact=" not in page


def test_public_stories_page_dates_a_story_in_campaign_time(
    client: TestClient, settings, sqlite_db  # type: ignore[no-untyped-def]
) -> None:
    """Sent at 23:30 UTC on 30 November, which is 1 December in the campaign's timezone
    (Europe/Berlin here): the page says the campaign's date, as the export does."""
    import datetime as dt

    from knowvember.config import parse_settings

    berlin = parse_settings(
        settings.path.read_text(encoding="utf-8").replace(
            'timezone = "Europe/London"', 'timezone = "Europe/Berlin"'), settings.path)
    assert str(berlin.campaign.tz) == "Europe/Berlin"
    data = stories.StoryInput.parse({"title": "Late Peer Assist", "body": "B", "name": "N",
                                     "email": "n@nhs.net", "consent": True}, berlin)
    added = stories.add_stories(sqlite_db, berlin, [stories.NewStory(
        data, submitted_at=dt.datetime(2019, 11, 30, 23, 30, tzinfo=dt.UTC))],
        source="form", lookups=LOOKUPS)
    stories.approve_story(sqlite_db, added.added[0].id, reviewer="coordinator",
                          lookups=LOOKUPS)
    client.app.state.kv.settings = berlin  # type: ignore[attr-defined]
    page = client.get("/stories").text
    assert "1 December 2019" in page and "30 November 2019" not in page


# -- a story's text from a file saved by Notepad or Word ------------------------------------

SUBMIT = ("stories", "submit", "--title", "From a file", "--name", "Siobhán",
          "--email", "s@nhs.net", "--consent", "--format", "json")


TYPED = "We ran a Peer Assist.\r\nIt helped.\r\n"


@pytest.mark.parametrize("encoded", [
    codecs.BOM_UTF8 + TYPED.encode(),  # Notepad's "UTF-8 with BOM"
    codecs.BOM_UTF16_LE + TYPED.encode("utf-16-le"),  # Notepad's "Unicode"
    codecs.BOM_UTF16_BE + TYPED.encode("utf-16-be"),
    b"We ran a Peer Assist.\nIt helped.\n",
], ids=["utf-8-bom", "utf-16-le", "utf-16-be", "utf-8"])
def test_body_file_is_read_without_its_byte_order_mark(
    campaign_dir, cli, encoded: bytes  # type: ignore[no-untyped-def]
) -> None:
    (campaign_dir / "story.txt").write_bytes(encoded)
    result = cli(*SUBMIT, "--body-file", str(campaign_dir / "story.txt"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["body"] == "We ran a Peer Assist.\nIt helped.\n"


def test_body_file_from_stdin_loses_a_byte_order_mark(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(*SUBMIT, "--body-file", "-", input="\ufeffPiped from PowerShell.\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["body"] == "Piped from PowerShell.\n"


def test_body_file_not_in_utf8_says_how_to_save_it(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "story.txt").write_bytes("Caf\u00e9 with the team".encode("cp1252"))
    result = cli(*SUBMIT, "--body-file", str(campaign_dir / "story.txt"))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "story.txt: not UTF-8 text (byte 4 is 0xe9)" in said and "save it as UTF-8" in said


# -- stories import given a folder ----------------------------------------------------------


@pytest.mark.parametrize("extra", [(), ("--input-format", "xlsx")], ids=["by-name", "given"])
def test_stories_import_of_a_folder_says_it_is_a_folder(
    campaign_dir, cli, extra: tuple[str, ...]  # type: ignore[no-untyped-def]
) -> None:
    """A coordinator gives the folder the export was downloaded to (or `Responses.xlsx`,
    a folder Windows made when unzipping)."""
    folder = campaign_dir / "Responses.xlsx"
    folder.mkdir()
    result = cli("stories", "import", str(folder), *extra)
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "Responses.xlsx: is a folder, not a file" in said
    assert "no such file" not in said and "cannot tell the format" not in said


# -- serve on a port in use, or an address the machine does not have ----------------------


def test_serve_on_a_port_in_use_says_so_and_exits_1(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """uvicorn logged the reason and exited 3, the code for a bad campaign.toml."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("-q", "serve", "--port", str(port),
                     env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert f"cannot listen on 127.0.0.1:{port}: another program" in said
    assert "--port" in said


def test_serve_on_an_address_this_machine_lacks_is_bad_input(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("-q", "serve", "--host", "192.0.2.1", "--port", "8799",
                 env={"KNOWVEMBER_SECRET_KEY": SECRET})
    assert result.exit_code == 2
    assert "--host 192.0.2.1: this machine has no such address" in " ".join(
        result.stderr.split())


# -- the story form over its hourly limit keeps the story ---------------------------------


def test_story_over_the_submission_limit_comes_back_as_typed(
    write_config, sqlite_db, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    """Colleagues behind one trust network share an address: the limit can be theirs, and
    the story typed for twenty minutes must not be lost to an error page."""
    import re

    from knowvember.config import load_settings
    from knowvember.web import create_app
    from tests.web_support import FakeClock, csrf

    settings = load_settings(write_config("[web]\nsubmissions_per_hour = 1\n"))
    monkeypatch.setenv(settings.web.secret_key_env, SECRET)
    clock = FakeClock()
    client = TestClient(create_app(settings, sqlite_db, clock=clock,
                                   catalogue=CATALOGUE, taxonomy=TAXONOMY))
    story = {"title": "Zoë's Retrospect", "body": "Line one.\r\nLine two & <more>.",
             "name": "Zoë Ní Bhriain", "email": "zoe@nhs.net", "consent": "yes",
             "techniques": "Retrospect"}

    def send(**fields: str):  # type: ignore[no-untyped-def]
        page = client.get("/submit").text
        submission = re.search(r'name="submission" value="([^"]+)"', page)
        assert submission
        return client.post("/submit", data={**story, **fields, "csrf_token": csrf(page),
                                            "submission": submission.group(1)},
                           follow_redirects=False)

    assert send(title="First").status_code == 303
    limited = send()
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 60
    page = limited.text
    assert "Too many attempts" in page and "has not been sent yet" in page
    assert "Zoë&#39;s Retrospect" in page and "Line two &amp; &lt;more&gt;.</textarea>" in page
    assert 'value="zoe@nhs.net"' in page and 'value="Retrospect" checked' in page
    assert [s.title for s in stories.list_stories(sqlite_db)] == ["First"]
    clock.advance(3601)  # sent again from the page that came back, once the hour is over
    again = re.search(r'name="submission" value="([^"]+)"', page)
    assert again
    sent = client.post("/submit", data={**story, "csrf_token": csrf(page),
                                        "submission": again.group(1)}, follow_redirects=False)
    assert sent.status_code == 303
    assert [s.title for s in stories.list_stories(sqlite_db)] == ["First", "Zoë's Retrospect"]


# -- one form imported under two --form names ----------------------------------------------

MS_HEADER = "ID,Completion time,Email,Name,Title,What happened?,Consent to publish\n"
MS_ROWS = ("1,03/11/2019 09:30:44,siobhan@nhs.net,Siobhán,Our Peer Assist,We ran one.,Yes\n"
           "2,04/11/2019 14:22:00,priya@nhs.net,Priya,Our Retrospect,We held one.,Yes\n")
GOOGLE = ("Timestamp,Email address,Your name,Title,What happened?,Consent\n"
          "2019/11/06 10:31:22 AM GMT,tom@nhs.net,Tom,Our AAR,We held an AAR.,Yes\n")


def _imported(cli, path, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("stories", "import", str(path), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("content", [MS_HEADER + MS_ROWS, GOOGLE], ids=["ms-ids", "google"])
def test_a_form_imported_again_under_another_form_name_adds_nothing(
    campaign_dir, cli, monkeypatch, content: str  # type: ignore[no-untyped-def]
) -> None:
    """Imported first without --form, then with one (as the clash warning advises for a
    second form): each response came in again, with its consent as in the form, undoing a
    withdrawal recorded since."""
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    path = campaign_dir / "responses.csv"
    path.write_text(content, encoding="utf-8")
    first = _imported(cli, path)
    assert first["imported"] == len(first["story_ids"]) >= 1
    withdrawn = first["story_ids"][0]
    assert cli("stories", "approve", str(withdrawn)).exit_code == 0
    assert cli("stories", "edit", str(withdrawn), "--no-consent",
               "--note", "withdrew by email").exit_code == 0
    again = _imported(cli, path, "--form", "knowvember-stories")
    assert again["imported"] == 0 and again["story_ids"] == []
    assert again["already_imported"] == first["imported"]
    assert any(f"as story {withdrawn}, imported before under another --form name" in w
               for w in again["warnings"])
    listed = json.loads(cli("stories", "list", "--format", "json").stdout)
    assert sorted(s["id"] for s in listed) == sorted(first["story_ids"])
    exported = cli("stories", "export", "--format", "csv").stdout
    assert exported.strip().count("\n") == 0  # the header alone: nothing may be published


def test_another_form_with_the_same_respondent_and_title_is_imported(
    campaign_dir, cli  # type: ignore[no-untyped-def]
) -> None:
    """Same email and title in a second form, at another time: another response."""
    path = campaign_dir / "a.csv"
    path.write_text(MS_HEADER + MS_ROWS, encoding="utf-8")
    _imported(cli, path)
    other = campaign_dir / "b.csv"
    other.write_text(MS_HEADER + MS_ROWS.replace("09:30:44", "09:31:00"), encoding="utf-8")
    again = _imported(cli, other, "--form", "second")
    assert again["imported"] == 1  # the Peer Assist, sent at another time
    assert again["already_imported"] == 1  # the Retrospect: the same response


# -- a yes with a condition is not consent to publish ---------------------------------------


@pytest.mark.parametrize("answer", [
    "Yes, but anonymously", "Yes - anonymous", "Yes, internally only", "Yes if my name is left out",
    "Yes, but not my name", "Yes, first name only", "Yes, without my name",
])
def test_a_conditional_yes_is_not_read_as_consent(settings, answer: str) -> None:  # type: ignore[no-untyped-def]
    """A usual option of a consent question: read as yes, the story was published whole,
    with the name its author asked to leave out, on /stories and in every export."""
    with pytest.raises(stories.StoryValidationError) as caught:
        stories.StoryInput.parse({"title": "T", "body": "B", "name": "N", "email": "n@nhs.net",
                                  "consent": answer}, settings)
    said = caught.value.errors["consent"]
    assert "a yes with a condition" in said and "ask the submitter, then; answer yes or no" in said


@pytest.mark.parametrize("answer", [
    "Yes", "Yes - I consent", "Yes, I consent to my story being published", "Yes please",
    "Yes;", "Yes, I am happy for my story to be shared publicly", "Yes, I don't mind",
    "Yes, no problem", "Yes (with my name)", "Yes \U0001f44d",
])
def test_a_plain_yes_is_still_consent(settings, answer: str) -> None:  # type: ignore[no-untyped-def]
    parsed = stories.StoryInput.parse({"title": "T", "body": "B", "name": "N",
                                       "email": "n@nhs.net", "consent": answer}, settings)
    assert parsed.consent is True


def test_a_form_row_with_a_conditional_yes_fails_naming_it(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.csv"
    path.write_text(MS_HEADER + MS_ROWS.replace(",We ran one.,Yes", ",We ran one.,"
                                                '"Yes, but anonymously"'), encoding="utf-8")
    result = cli("stories", "import", str(path), "--format", "json")
    assert result.exit_code == 4
    shown = json.loads(result.stdout)
    assert shown["imported"] == 1
    assert shown["errors"][0]["row"] == 2
    assert "'Yes, but anonymously' is a yes with a condition" in shown["errors"][0]["reason"]


# -- recording a withdrawal of consent says the story is no longer published ---------------


def test_withdrawing_consent_of_a_published_story_says_it_is_no_longer_published(
    campaign_dir, cli, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    path = campaign_dir / "responses.csv"
    path.write_text(MS_HEADER + MS_ROWS, encoding="utf-8")
    published, waiting = _imported(cli, path)["story_ids"]
    assert cli("stories", "approve", str(published)).exit_code == 0
    result = cli("-q", "stories", "edit", str(published), "--no-consent")
    assert result.exit_code == 0
    assert f"Story {published} is no longer published: consent is withdrawn" in " ".join(
        result.stderr.split())
    # Not said of a story that was not published anyway.
    quiet = cli("stories", "edit", str(waiting), "--no-consent")
    assert quiet.exit_code == 0 and "no longer published" not in quiet.stderr


# -- bidi overrides and control characters in a story are shown, not obeyed -----------------


def test_story_pages_show_bidi_overrides_and_control_characters(
    client: TestClient, settings, sqlite_db  # type: ignore[no-untyped-def]
) -> None:
    """A U+202E in a title reversed how the rest of the line read, on /stories and on the
    review page the coordinator decides from; `stories export` and the CLI show it."""
    story_id = _submit(settings, sqlite_db, title="Peer Assist \u202etpircs\u202c notes",
                       body="Ran it.\x07\nSecond line.", name="Zoë \u2066N\u2069")
    stories.approve_story(sqlite_db, story_id, reviewer="coordinator", lookups=LOOKUPS)
    sign_in(client)
    for path in ("/stories", f"/review/{story_id}", "/review?status=all", "/orgs/RX1"):
        page = client.get(path).text
        assert "\u202e" not in page and "\u2066" not in page and "\x07" not in page, path
        assert "Peer Assist &lt;U+202E&gt;tpircs&lt;U+202C&gt; notes" in page, path
    assert "Ran it.\\x07\nSecond line." in client.get("/stories").text


def test_a_form_name_too_long_for_the_keys_is_refused(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """The name is in every row's key, a column of 200 characters: PostgreSQL refused the
    insert, SQLite stored keys longer than the column."""
    path = campaign_dir / "responses.csv"
    path.write_text(MS_HEADER + MS_ROWS, encoding="utf-8")
    result = cli("stories", "import", str(path), "--form", "x" * 250)
    assert result.exit_code == 2
    assert "--form: a short name for the form, at most 100 characters (this one has 250)" in (
        " ".join(result.stderr.split()))
    assert json.loads(cli("stories", "list", "--format", "json").stdout) == []
    assert _imported(cli, path, "--form", "y" * 100)["imported"] == 2


# -- a story sent while the database is busy comes back as typed ---------------------------


def test_story_sent_while_the_database_is_busy_comes_back_as_typed(
    client: TestClient, sqlite_db, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    """An SQLite file another process writes to past the busy timeout (a large retag or
    forget), or a database server down: 'The service is busy' lost the story."""
    import re

    from knowvember.errors import DatabaseError
    from tests.web_support import csrf

    page = client.get("/submit").text
    submission = re.search(r'name="submission" value="([^"]+)"', page)
    assert submission
    form = {"title": "Our Peer Assist", "body": "Line one.\r\nLine two & more.",
            "name": "Zoë", "email": "zoe@nhs.net", "consent": "yes",
            "csrf_token": csrf(page), "submission": submission.group(1)}

    def busy(*args: object, **kwargs: object) -> None:
        raise DatabaseError("database is locked")

    monkeypatch.setattr(stories, "add_stories", busy)
    refused = client.post("/submit", data=form, follow_redirects=False)
    assert refused.status_code == 503
    assert "could not be saved just now" in refused.text
    assert "Line one.\nLine two &amp; more.</textarea>" in refused.text
    assert f'value="{submission.group(1)}"' in refused.text  # sent again: still one story
    monkeypatch.undo()
    sent = client.post("/submit", data={**form, "csrf_token": csrf(refused.text)},
                       follow_redirects=False)
    assert sent.status_code == 303
    assert [s.title for s in stories.list_stories(sqlite_db)] == ["Our Peer Assist"]


# -- users set-password for a name that is not there ----------------------------------------


def test_set_password_of_an_unknown_user_says_so_before_asking(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """It asked for the new password twice (or, not on a terminal, said to pipe one in),
    and only then said there was no such user."""
    result = cli("users", "set-password", "Siobhan")
    assert result.exit_code == 6
    said = " ".join(result.stderr.split())
    assert "no user 'siobhan' (see `knowvember users list`)" in said
    assert "terminal" not in said and "Password" not in result.output


# -- line breaks in form exports: Excel's _x000D_, and CRLF -------------------------------


def test_xlsx_line_breaks_written_by_excel_are_read_as_line_breaks(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    """Excel writes a carriage return in a cell (every line break of an answer typed in a
    browser: CRLF) as `_x000D_`, which openpyxl leaves in the text: stories read
    "We ran a Peer Assist._x000D_" on /stories, in exports and in the review queue."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Completion time", "Email", "Name", "Title", "What happened?",
                  "Outcome", "Consent to publish"])
    sheet.append([1, "03/11/2019 09:30:44", "s@nhs.net", "Siobhán", "Our Peer Assist",
                  "We ran a Peer Assist._x000D_\nIt helped._x000D_\n_x005F_x000D_ stays.",
                  "Three pitfalls_x000D_\navoided", "Yes"])
    book.save(campaign_dir / "responses.xlsx")
    (story_id,) = _imported(cli, campaign_dir / "responses.xlsx")["story_ids"]
    shown = json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)
    assert shown["body"] == "We ran a Peer Assist.\nIt helped.\n_x000D_ stays."
    assert shown["outcome"] == "Three pitfalls\navoided"
    again = _imported(cli, campaign_dir / "responses.xlsx")
    assert again["already_imported"] == 1 and again["warnings"] == []


def test_csv_line_breaks_inside_a_cell_are_stored_as_lf(campaign_dir, cli) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "responses.csv"
    path.write_bytes(MS_HEADER.encode() + b'1,03/11/2019 09:30:44,s@nhs.net,S,Our Peer Assist,'
                     b'"Line one.\r\nLine two.",Yes\r\n')
    (story_id,) = _imported(cli, path)["story_ids"]
    shown = json.loads(cli("stories", "show", str(story_id), "--format", "json").stdout)
    assert shown["body"] == "Line one.\nLine two."


def test_stories_stored_with_cr_line_breaks_are_not_changed_in_the_form() -> None:
    """Stories imported before hold CRLF or `_x000D_`: a re-import reads LF, which is no
    change by the respondent (it warned "changed in the form since it was imported")."""
    from collectors.forms import _same_value

    assert _same_value("Line one.\nLine two.", "Line one.\r\nLine two.")
    assert _same_value("Line one.\nLine two.", "Line one._x000D_\nLine two.")
    assert not _same_value("Line one.\nLine two.", "Line one.\nLine 2.")
    assert _same_value("", None) and not _same_value("x", None)
