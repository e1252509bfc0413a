"""A TAGS sheet without `entities_str` takes only X mentions from a tweet's text.

Its fallback read any `@word` up to 15 characters: `@lib@nhs.social` (a Mastodon address
quoted in a tweet) became a mention of an X account `lib`, and a longer `@word` a cut-short
mention of somebody else. X usernames are 15 characters at most, so neither is one; the CSV
import's reading of X mentions is the rule both now share.
"""

from __future__ import annotations

import csv
from pathlib import Path

from collectors import tags
from tests.test_import_files import TAGS_HEADER, tags_row


def _mentions(tmp_path: Path, text: str) -> tuple[str, ...]:
    path = tmp_path / "TAGS.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, TAGS_HEADER)
        writer.writeheader()
        writer.writerow(tags_row("1191672311587869001", "UHLLibraries", text))
    [post] = [p for chunk in tags.read(path) for p in chunk.posts]
    return tuple(post.mentions)


def test_a_mastodon_address_and_a_long_word_are_no_x_mentions(tmp_path: Path) -> None:
    text = ("Peer assist with @KnowledgeNHS and @lib@nhs.social, thanks "
            "@averyveryverylongname_ #KNOWvember19")
    assert _mentions(tmp_path, text) == ("@knowledgenhs",)


def test_x_mentions_are_still_read(tmp_path: Path) -> None:
    assert _mentions(tmp_path, "Thanks @UHL_Lib, @nhs_kfh! #KNOWvember19") == (
        "@uhl_lib", "@nhs_kfh")
