"""The `stories` commands end to end through the CLI: submit (with and without a terminal),
import, list, show, the review decisions and their refusals, edit, delete, the interactive
review queue and export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from knowvember.errors import (
    EXIT_CONFLICT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
)
from tests.test_stories import HOSTILE, new, other_campaign

SUBMIT = ["stories", "submit", "--title", "Coffee trials", "--body", "We paired staff.",
          "--name", "Jane Smith", "--email", "jane.smith@nhs.net", "--consent",
          "--technique", "Randomised Coffee Trials", "--technique", "AAR",
          "--org", "RWE", "--role", "Librarian", "--link", "https://example.org/rct"]


@pytest.fixture
def cli_env(campaign_dir: Path, monkeypatch: pytest.MonkeyPatch, cli):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann Coordinator")
    return cli


def flat(text: str) -> str:
    """Messages on stderr wrap at the console width; compare them as one line."""
    return " ".join(text.split())


def submit(cli, *extra: str) -> int:  # type: ignore[no-untyped-def]
    result = cli(*SUBMIT, *extra, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def test_submit_prints_the_id_and_json(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = cli_env(*SUBMIT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1"
    assert "waits for a coordinator's review" in flat(result.stderr)
    data = json.loads(cli_env(*SUBMIT, "--format", "json").stdout)
    assert data["id"] == 2 and data["status"] == "submitted"
    assert data["chosen_techniques"] == ["Randomised Coffee Trial", "After Action Review"]
    assert data["source"] == "cli"


def test_submit_off_a_terminal_names_the_missing_fields(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = cli_env("stories", "submit", "--title", "Only a title")
    assert result.exit_code == EXIT_USAGE
    assert ("missing required field(s): --body, --name, --email, --consent/--no-consent "
            "(not on a terminal, so nothing was asked)") in flat(result.stderr)
    assert "Traceback" not in flat(result.stderr)
    bad = cli_env(*SUBMIT[:-2], "--link", "javascript:alert(1)")
    assert bad.exit_code == EXIT_USAGE and "--link" in flat(bad.stderr)


def test_submit_asks_for_missing_fields_when_interactive(cli_env) -> None:  # type: ignore[no-untyped-def]
    answers = "\n".join(["We paired staff.", "Jane", "not-an-email", "jane@nhs.net", "y"])
    result = cli_env("stories", "submit", "--title", "Coffee", "--interactive",
                     "--format", "json", input=answers + "\n")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout[result.stdout.index("{"):])
    assert (data["body"], data["name"], data["email"], data["consent"]) == (
        "We paired staff.", "Jane", "jane@nhs.net", True)
    assert "is not an email address" in flat(result.stderr)  # asked again after a bad answer


def test_submit_body_from_a_file(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    body = tmp_path / "story.md"
    body.write_text("Line one\nLine two 🧠\n", encoding="utf-8")
    args = list(SUBMIT)
    i = args.index("--body")
    del args[i:i + 2]
    result = cli_env(*args, "--body-file", str(body), "--format", "json")
    assert json.loads(result.stdout)["body"] == "Line one\nLine two 🧠\n"


def test_review_decisions_and_their_refusals(cli_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first, second, third = submit(cli_env), submit(cli_env), submit(cli_env)
    ok = cli_env("stories", "approve", str(first), "--reviewer", "Bob")
    assert ok.exit_code == 0 and "approved by Bob" in flat(ok.stderr)
    again = cli_env("stories", "approve", str(first))
    assert again.exit_code == EXIT_CONFLICT and "already approved" in flat(again.stderr)
    no_note = cli_env("stories", "reject", str(second))
    assert no_note.exit_code == EXIT_USAGE and "needs a note" in flat(no_note.stderr)
    assert cli_env("stories", "reject", str(second), "--note", "Off topic").exit_code == 0
    changes = cli_env("stories", "request-changes", str(third), "--note", "Add outcome",
                      "--format", "json")
    assert json.loads(changes.stdout)["status"] == "changes_requested"
    refused = cli_env("stories", "approve", str(third))
    assert refused.exit_code == EXIT_CONFLICT and "stories edit" in flat(refused.stderr)
    missing = cli_env("stories", "approve", "999")
    assert missing.exit_code == EXIT_NOT_FOUND
    monkeypatch.delenv("KNOWVEMBER_REVIEWER")
    anonymous = cli_env("stories", "approve", str(third))
    assert anonymous.exit_code == EXIT_USAGE and "--reviewer" in flat(anonymous.stderr)


def test_show_has_the_trail(cli_env) -> None:  # type: ignore[no-untyped-def]
    story = submit(cli_env)
    cli_env("stories", "request-changes", str(story), "--note", "Please add the outcome")
    cli_env("stories", "edit", str(story), "--outcome", "Two journal clubs", "--note",
            "from Jane")
    cli_env("stories", "approve", str(story))
    data = json.loads(cli_env("stories", "show", str(story), "--format", "json").stdout)
    assert data["status"] == "approved"
    assert [(e["action"], e["reviewer"], e["note"]) for e in data["events"]] == [
        ("submitted", None, None),
        ("changes_requested", "Ann Coordinator", "Please add the outcome"),
        ("edited", "Ann Coordinator", "from Jane"),
        ("approved", "Ann Coordinator", None),
    ]
    assert all(e["at"].endswith("Z") for e in data["events"])
    assert data["events"][2]["previous"]["outcome"] is None
    table = cli_env("stories", "show", str(story)).stdout
    assert "Trail:" in table and "changes requested by Ann Coordinator" in table
    assert "jane.smith@nhs.net" in table  # a coordinator's view


def test_edit_options(cli_env) -> None:  # type: ignore[no-untyped-def]
    story = submit(cli_env)
    result = cli_env("stories", "edit", str(story), "--technique", "", "--link", "",
                     "--role", "", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["chosen_techniques"] == [] and data["links"] == [] and data["role"] is None
    nothing = cli_env("stories", "edit", str(story))
    assert nothing.exit_code == EXIT_USAGE and "nothing to change" in flat(nothing.stderr)
    bad = cli_env("stories", "edit", str(story), "--email", "nope")
    assert bad.exit_code == EXIT_USAGE and "--email" in flat(bad.stderr)


def test_list_formats_and_filters(cli_env) -> None:  # type: ignore[no-untyped-def]
    a = submit(cli_env)
    b = submit(cli_env, "--technique", "Peer Assist")
    cli_env("stories", "approve", str(b))
    rows = json.loads(cli_env("stories", "list", "--format", "json").stdout)
    assert [r["id"] for r in rows] == [a, b]
    assert all("email" not in r for r in rows)
    with_email = json.loads(cli_env("stories", "list", "--format", "json",
                                    "--include-email").stdout)
    assert with_email[0]["email"] == "jane.smith@nhs.net"
    approved = json.loads(cli_env("stories", "list", "--status", "approved", "--format",
                                  "json").stdout)
    assert [r["id"] for r in approved] == [b]
    peer = json.loads(cli_env("stories", "list", "--technique", "peer assist", "--format",
                              "json").stdout)
    assert [r["id"] for r in peer] == [b]
    assert json.loads(cli_env("stories", "list", "--org", "rwe", "--format",
                              "json").stdout)[0]["id"] == a
    text = cli_env("stories", "list", "--format", "csv").stdout
    rows_csv = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["id"]) for r in rows_csv] == [a, b] and "email" not in rows_csv[0]
    assert "jane.smith@nhs.net" not in text
    table = cli_env("stories", "list")
    assert table.exit_code == 0 and "Coffee trials" in table.stdout
    bad = cli_env("stories", "list", "--status", "pending")
    assert bad.exit_code == EXIT_USAGE and "unknown status" in flat(bad.stderr)


def test_hostile_text_is_escaped_on_the_terminal(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = cli_env("stories", "submit", "--title", HOSTILE, "--body", HOSTILE + "\n[red]x[/]",
                     "--name", "[bold]Jane[/bold]", "--email", "j@nhs.net", "--consent",
                     "--format", "json")
    story = json.loads(result.stdout)
    assert story["title"] == HOSTILE  # stored and returned as given
    for command in (("stories", "show", str(story["id"])), ("stories", "list")):
        shown = cli_env(*command).stdout
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    shown = cli_env("stories", "show", str(story["id"])).stdout
    assert "\\x1b[31m" in shown and "<U+202E>" in shown
    assert "[bold]Jane[/bold]" in shown and "[red]x[/]" in shown  # never read as markup


def test_delete_needs_confirmation_then_erases(cli_env) -> None:  # type: ignore[no-untyped-def]
    story = submit(cli_env)
    unconfirmed = cli_env("stories", "delete", str(story))
    assert unconfirmed.exit_code == EXIT_USAGE and "--yes" in flat(unconfirmed.stderr)
    result = cli_env("stories", "delete", str(story), "--yes")
    assert result.exit_code == 0 and "erased" in flat(result.stderr)
    gone = cli_env("stories", "show", str(story))
    assert gone.exit_code == EXIT_NOT_FOUND and "was deleted" in flat(gone.stderr)


def test_a_story_of_another_campaign_is_not_found(cli_env, settings) -> None:  # type: ignore[no-untyped-def]
    """A database shared by two campaigns: this campaign's commands treat the other's story
    as an unknown id (exit code 6, naming it), and leave it as it was."""
    from knowvember.db import open_database
    from knowvember.stories import get_story

    ours = submit(cli_env)
    db = open_database(settings)
    elsewhere, other_settings = other_campaign(db, settings)
    try:
        theirs = new(elsewhere, other_settings).id
        for command in (["show", str(theirs)], ["show", str(theirs), "--format", "json"],
                        ["approve", str(theirs)], ["reject", str(theirs), "--note", "No"],
                        ["request-changes", str(theirs), "--note", "Add outcome"],
                        ["edit", str(theirs), "--title", "Taken over"],
                        ["delete", str(theirs), "--yes"]):
            result = cli_env("stories", *command)
            assert result.exit_code == EXIT_NOT_FOUND, (command, result.stderr)
            assert f"there is no story {theirs} in this campaign" in flat(result.stderr)
            assert result.stdout == ""
        assert cli_env("stories", "show", "999").exit_code == EXIT_NOT_FOUND  # as unknown
        kept = get_story(elsewhere, theirs)
        assert (kept.status, kept.title) == ("submitted", "Our third round of Randomised "
                                                          "Coffee Trials")
        assert [e.action for e in kept.events] == ["submitted"]
        listed = json.loads(cli_env("stories", "list", "--format", "json").stdout)
        assert [s["id"] for s in listed] == [ours]
    finally:
        elsewhere.dispose()
        db.dispose()


def test_a_story_erased_from_another_campaign_is_not_said_to_have_been(  # type: ignore[no-untyped-def]
        cli_env, settings) -> None:
    """Only this campaign's erasures are told of ("was deleted on ..."); another campaign's
    erased story is an unknown id here, like one that never was."""
    from knowvember.db import open_database
    from knowvember.stories import delete_story

    ours = submit(cli_env)
    db = open_database(settings)
    elsewhere, other_settings = other_campaign(db, settings)
    try:
        theirs = new(elsewhere, other_settings).id
        delete_story(elsewhere, theirs, reviewer="Bob")
        assert cli_env("stories", "delete", str(ours), "--yes").exit_code == 0
        mine = cli_env("stories", "show", str(ours))
        assert mine.exit_code == EXIT_NOT_FOUND
        assert f"story {ours} was deleted on" in flat(mine.stderr)
        other = cli_env("stories", "show", str(theirs))
        assert other.exit_code == EXIT_NOT_FOUND
        assert f"there is no story {theirs} in this campaign" in flat(other.stderr)
        assert "deleted" not in flat(other.stderr)
    finally:
        elsewhere.dispose()
        db.dispose()


def test_review_queue_with_one_key_per_story(cli_env) -> None:  # type: ignore[no-untyped-def]
    ids = [submit(cli_env) for _ in range(5)]
    # approve; reject with a note; request changes but give no note, then skip; request
    # changes with a note; quit before the fifth.
    keys = "a" + "r" + "Not a KM story\n" + "c" + "\n" + "s" + "x" + "c" + "Add outcome\n" + "q"
    result = cli_env("stories", "review", input=keys)
    assert result.exit_code == 0, result.stderr
    assert "1 of 5" in flat(result.stderr) and "Coffee trials" in flat(result.stderr)
    assert "A note is needed" in flat(result.stderr)
    assert "Press a, r, c, s or q" in flat(result.stderr)
    assert "Decided 3 of 5: 1 approved, 1 rejected, 1 sent back for changes, 1 skipped" in (
        flat(result.stderr))
    statuses = {r["id"]: r["status"] for r in json.loads(
        cli_env("stories", "list", "--format", "json").stdout)}
    assert [statuses[i] for i in ids] == ["approved", "rejected", "submitted",
                                          "changes_requested", "submitted"]
    note = json.loads(cli_env("stories", "show", str(ids[1]), "--format", "json").stdout)
    assert note["events"][-1]["note"] == "Not a KM story"
    # oldest first: the skipped story is first in the next round
    again = cli_env("stories", "review", input="q")
    assert f"#{ids[2]}" in flat(again.stderr).split("of 2")[1][:200]


def test_review_with_an_empty_queue(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = cli_env("stories", "review")
    assert result.exit_code == 0 and "Nothing waits for review" in flat(result.stderr)


def test_import_csv_exit_codes_and_json_summary(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "responses.csv"
    path.write_text("title,body,name,email,consent\n"
                    "Good one,Body,Ann,ann@nhs.net,Yes\n"
                    "Bad one,Body,Bob,bob-at-nhs,Yes\n", encoding="utf-8")
    result = cli_env("stories", "import", str(path))
    assert result.exit_code == EXIT_PARTIAL
    assert "1 imported, 0 already imported, 1 failed" in flat(result.stderr)
    assert "row 3: email" in flat(result.stderr)
    again = cli_env("stories", "import", str(path), "--format", "csv", "--output", "json")
    summary = json.loads(again.stdout)
    assert again.exit_code == EXIT_PARTIAL
    assert (summary["imported"], summary["already_imported"], summary["failed"]) == (0, 1, 1)
    assert summary["errors"][0]["row"] == 3 and summary["status"] == "partial"
    path.write_text("title,body,name,email,consent\nGood one,Body,Ann,ann@nhs.net,Yes\n",
                    encoding="utf-8")
    assert cli_env("stories", "import", str(path)).exit_code == EXIT_OK


def test_import_takes_format_json_like_every_command(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`--format json` was the input format's option here, so a script's `--format json`
    was a usage error; it now selects the output, and the input format has its own option."""
    path = tmp_path / "responses.csv"
    path.write_text("title,body,name,email,consent\nGood one,Body,Ann,ann@nhs.net,Yes\n",
                    encoding="utf-8")
    result = cli_env("stories", "import", str(path), "--format", "json")
    assert result.exit_code == EXIT_OK, result.stderr
    assert json.loads(result.stdout)["imported"] == 1
    table = cli_env("stories", "import", str(path), "--format", "table")
    assert table.exit_code == EXIT_OK and table.stdout == ""
    assert "0 imported, 1 already imported" in flat(table.stderr)
    renamed = tmp_path / "responses.export"
    renamed.write_bytes(path.read_bytes())
    unknown = cli_env("stories", "import", str(renamed))
    assert unknown.exit_code == EXIT_USAGE and "--input-format csv|xlsx" in flat(unknown.stderr)
    for spelling in (["--input-format", "csv", "--format", "json"],
                     ["--format", "csv", "--output", "json"],  # as before --input-format
                     ["--input-format", "csv", "--output", "json"]):
        again = cli_env("stories", "import", str(renamed), *spelling)
        assert again.exit_code == EXIT_OK, (spelling, again.stderr)
        assert json.loads(again.stdout)["already_imported"] == 1
    for clash in (["--format", "json", "--output", "table"],
                  ["--format", "xlsx", "--input-format", "csv"]):
        refused = cli_env("stories", "import", str(path), *clash)
        assert refused.exit_code == EXIT_USAGE and "disagree" in refused.stderr


def test_import_xlsx_with_the_config_mapping(cli_env, write_config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_stories_forms import MS_HEADER, MS_MAPPING, ms_row, write_xlsx

    write_config(MS_MAPPING)
    path = write_xlsx(tmp_path / "Stories.xlsx", MS_HEADER, [ms_row(1), ms_row(2)])
    result = cli_env("stories", "import", str(path), "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 2
    listed = json.loads(cli_env("stories", "list", "--format", "json").stdout)
    assert [r["source"] for r in listed] == ["form", "form"]


def test_import_file_errors(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = cli_env("stories", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == EXIT_USAGE and "no such file" in flat(missing.stderr)
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    result = cli_env("stories", "import", str(odd))
    assert result.exit_code == EXIT_USAGE and "no column for title" in flat(result.stderr)


def test_export_to_a_file_and_stdout(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shown = submit(cli_env)
    hidden = submit(cli_env, "--no-consent")
    cli_env("stories", "approve", str(shown))
    cli_env("stories", "approve", str(hidden))
    out = tmp_path / "site" / "stories.html"
    result = cli_env("stories", "export", "--format", "html", "--out", str(out))
    assert result.exit_code == 0 and "Wrote 1 story" in flat(result.stderr)
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "Coffee trials" in html
    assert "jane.smith@nhs.net" not in html
    for fmt in ("md", "csv"):
        text = cli_env("stories", "export", "--format", fmt).stdout
        assert "Coffee trials" in text and "jane.smith@nhs.net" not in text
    fragment = cli_env("stories", "export", "--format", "html", "--fragment").stdout
    assert fragment.startswith('<section class="km-stories">')
    assert "Jane Smith" not in cli_env("stories", "export", "--anonymous").stdout


def test_every_stories_command_has_help(cli_env) -> None:  # type: ignore[no-untyped-def]
    for command in ("submit", "import", "list", "show", "approve", "reject",
                    "request-changes", "edit", "delete", "review", "export"):
        result = cli_env("stories", command, "--help")
        assert result.exit_code == 0 and len(result.stdout) > 100, command
