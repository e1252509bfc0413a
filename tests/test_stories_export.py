"""`stories export`: only approved + consented stories, no email address in any format, and
hostile text escaped in HTML and Markdown and neutralised in CSV."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from knowvember.config import parse_settings
from knowvember.stories import StoryInput, approve_story, reject_story, submit_story
from reports.stories_export import (
    EMAIL_REMOVED,
    export_stories,
    md_escape,
    md_paragraphs,
    redact_emails,
)
from tests.conftest import BASE_CONFIG
from tests.test_stories import GOOD, HOSTILE

FORMATS = ("md", "html", "csv")


def add(db, settings, approve: bool = True, **changes):  # type: ignore[no-untyped-def]
    record, _ = submit_story(db, settings, StoryInput.parse({**GOOD, **changes}, settings))
    if approve:
        approve_story(db, record.id, reviewer="Ann")
    return record


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href" and v]

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


@pytest.fixture
def published(db, settings):  # type: ignore[no-untyped-def]
    """Stories in every state; only the first two may be published."""
    shown = add(db, settings, title="Coffee trials", techniques=["Randomised Coffee Trials"],
                body="We paired staff. Write to me at jane.smith@nhs.net or @lib@nhs.social.")
    second = add(db, settings, title="AAR with F1 doctors",
                 techniques=["After Action Review", "Randomised Coffee Trials"],
                 email="second.person@nhs.net", name="Sam (sam@nhs.net)")
    add(db, settings, title="No consent story", consent=False)
    add(db, settings, approve=False, title="Waiting story")
    rejected = add(db, settings, approve=False, title="Rejected story")
    reject_story(db, rejected.id, reviewer="Ann", note="Off topic")
    return shown, second


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_approved_consented_stories_and_no_emails(db, settings, published, fmt) -> None:  # type: ignore[no-untyped-def]
    text, count = export_stories(db, settings, fmt)
    assert count == 2
    assert "Coffee trials" in text and "AAR with F1 doctors" in text
    for absent in ("No consent story", "Waiting story", "Rejected story"):
        assert absent not in text
    for email in ("jane.smith@nhs.net", "second.person@nhs.net", "sam@nhs.net"):
        assert email not in text
    assert "@" not in text.replace("@lib@nhs.social", "")  # no address of any kind
    assert "email address removed" in text
    assert "@lib@nhs.social" in text  # a public fediverse handle is not an email


def test_grouped_by_first_technique_with_see_also(db, settings, published) -> None:  # type: ignore[no-untyped-def]
    _, second = published
    md, _ = export_stories(db, settings, "md")
    aar = md.index("## After Action Review")
    rct = md.index("## Randomised Coffee Trial")
    assert aar < rct  # alphabetical groups
    assert md.index("### AAR with F1 doctors") < rct  # under its first technique
    assert f"Also using Randomised Coffee Trial: [AAR with F1 doctors](#story-{second.id})" in md
    assert md.count("### AAR with F1 doctors") == 1
    rows = list(csv.DictReader(io.StringIO(export_stories(db, settings, "csv")[0])))
    assert [(r["technique"], r["title"]) for r in rows] == [
        ("After Action Review", "AAR with F1 doctors"),
        ("Randomised Coffee Trial", "Coffee trials"),
    ]
    assert "email" not in rows[0]


def test_anonymous_export_leaves_names_out(db, settings, published) -> None:  # type: ignore[no-untyped-def]
    for fmt in FORMATS:
        text, _ = export_stories(db, settings, fmt, names=False)
        assert "Jane Smith" not in text and "Clinical librarian" not in text
    assert "Jane Smith" in export_stories(db, settings, "md")[0]


def test_empty_export_says_so(db, settings) -> None:  # type: ignore[no-untyped-def]
    md, count = export_stories(db, settings, "md")
    assert count == 0 and "No stories have been approved" in md
    assert export_stories(db, settings, "csv")[0].startswith("technique,id,title")


def _hostile(db, settings):  # type: ignore[no-untyped-def]
    roomy = parse_settings(BASE_CONFIG + "\n[stories]\nmax_body_chars = 200000\n")
    body = ("[click](javascript:alert(1)) <img src=x onerror=alert(1)> # heading\n"
            "- list\n1. numbered\n    code block\n> quote\n" + HOSTILE + "\n") * 600
    record, _ = submit_story(db, roomy, StoryInput.parse(
        {**GOOD, "title": HOSTILE, "body": body, "outcome": "=HYPERLINK(\"http://x\")",
         "name": "<b>Bold</b>", "role": "@SUM(A1)", "techniques": [HOSTILE[:60]]}, roomy))
    approve_story(db, record.id, reviewer="Ann")
    return record


def test_hostile_text_is_escaped_in_html(db, settings) -> None:  # type: ignore[no-untyped-def]
    _hostile(db, settings)
    html, _ = export_stories(db, settings, "html")
    parser = _Elements()
    parser.feed(html)
    assert not {"script", "img", "b"} & set(parser.tags)
    assert all(h.startswith(("http://", "https://", "#")) for h in parser.hrefs)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<script>" in "".join(parser.text)  # shown as text, not run
    assert "\x1b" not in html and "\u202e" not in html and "\x01" not in html
    assert "\\x1b[31m" in html and "&lt;U+202E&gt;" in html
    assert "🧠🫶" in html and "שלום" in html
    assert len(html) > 100_000


def test_hostile_text_is_escaped_in_markdown(db, settings) -> None:  # type: ignore[no-untyped-def]
    _hostile(db, settings)
    md, _ = export_stories(db, settings, "md")
    body = md[md.index("# heading") - 200:]
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md and "&lt;img src=x onerror=alert\\(1\\)&gt;" in md
    assert "\\[click\\]\\(javascript:alert\\(1\\)\\)" in md
    assert "\n- list" not in md and "\n\\- list" in md
    assert "\n1. numbered" not in md and "\n1\\. numbered" in md
    assert "\n    code block" not in md and "\n&gt; quote" in md
    assert "\\# heading" in body
    assert "\x1b" not in md and "\u202e" not in md


def test_csv_cells_cannot_run_formulas(db, settings) -> None:  # type: ignore[no-untyped-def]
    _hostile(db, settings)
    rows = list(csv.DictReader(io.StringIO(export_stories(db, settings, "csv")[0])))
    assert rows[0]["outcome"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["role"] == "'@SUM(A1)"
    assert rows[0]["title"] == HOSTILE  # otherwise as stored


def test_markdown_helpers() -> None:
    assert md_escape("a*b_c `d` [e](f) <g> & #h |i| ~j~") == (
        "a\\*b\\_c \\`d\\` \\[e\\]\\(f\\) &lt;g&gt; &amp; \\#h \\|i\\| \\~j\\~")
    assert md_paragraphs("+ one\n= two\n\n\n3) three") == "\\+ one  \n\\= two\n\n3\\) three"
    assert redact_emails("mail a.b+c@nhs.net, not @me@mastodon.social") == (
        f"mail {EMAIL_REMOVED}, not @me@mastodon.social")
