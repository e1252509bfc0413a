"""The fifth trial's second pass: names in the Markdown report are bold, not "**Jane **".

A display name with a space at either end (as stored from the platform: a custom emoji
dropped from "Jane Smith :nhs:", a trailing space typed) was written "**Jane Smith **",
which Markdown does not read as bold: the blog post showed the asterisks. Story bylines
("*Zoë , Librarian*") had the same fault in italics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from reports.stories_export import md_emphasis

Cli = Callable[..., Any]


def _view(name: str) -> dict[str, Any]:
    return {"uri": "at://did:plc:jane/app.bsky.feed.post/3kghnlgjhwg21", "cid": "bafyrei1",
            "author": {"did": "did:plc:jane", "handle": "jane.bsky.social",
                       "displayName": name},
            "record": {"$type": "app.bsky.feed.post", "text": "#KNOWvember19 a peer assist",
                       "createdAt": "2019-11-04T10:00:00.000Z"},
            "replyCount": 0, "repostCount": 0, "likeCount": 5, "quoteCount": 0,
            "indexedAt": "2019-11-04T10:00:01.000Z"}


def test_a_name_with_spaces_at_its_ends_is_still_bold_in_the_markdown(
        write_config: Callable[..., Path], campaign_dir: Path, cli: Cli) -> None:
    write_config()
    page = {"posts": [_view("Jane Smith\u00a0 ")]}
    (campaign_dir / "page.json").write_text(json.dumps(page), encoding="utf-8")
    assert cli("import", "bluesky", "page.json").exit_code == 0
    result = cli("report", "--format", "md")
    assert result.exit_code == 0, result.stderr
    html = MarkdownIt("commonmark").render(
        (campaign_dir / "report" / "report.md").read_text(encoding="utf-8"))
    assert "<strong>Jane Smith</strong>" in html
    assert "**" not in html


def test_emphasis_never_has_space_inside_its_marks() -> None:
    render = MarkdownIt("commonmark").renderInline
    assert render(md_emphasis(" Zoë , Librarian ", "*")) == "<em>Zoë , Librarian</em>"
    assert render(md_emphasis("*star* ")) == "<strong>*star*</strong>"
    assert md_emphasis("   ") == "" and md_emphasis(None) == ""
