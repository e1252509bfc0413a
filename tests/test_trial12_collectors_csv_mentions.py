"""`import csv` reads the @-mentions in a row's text, as each platform writes them: the other
imports take them from the payload, and a CSV's posts drew no connection in the report."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import stored_posts
from tests.test_import_files import run_import

HEADER = "platform,id,author_handle,created_at,text\r\n"


def _import(db, tmp_path: Path, rows: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_bytes(("\ufeff" + HEADER + rows).encode("utf-8"))
    (run,) = run_import(db, "csv", path).runs
    assert run.status == "ok", run.error
    return stored_posts(db)


def test_x_mastodon_and_bluesky_mentions_are_read_from_the_text(db, tmp_path: Path
                                                               ) -> None:  # type: ignore[no-untyped-def]
    stored = _import(db, tmp_path, (
        'x,1191672311587870001,@UHLLibraries,05/11/2019 09:30,"Knowledge café with '
        '@NorfolkLKS and @NHS_HEE_KfH. Questions to library@uhl-tr.nhs.uk #KNOWvember19"\r\n'
        'mastodon,https://nhs.social/users/lib/statuses/1,@lib@nhs.social,2019-11-06 10:00:00,'
        '"Thanks @KfH@med-mastodon.com and @bob for the journal club #knowvember19"\r\n'
        'bluesky,at://did:plc:abc/app.bsky.feed.post/3kabc,uhl.bsky.social,2019-11-07T10:00:00Z,'
        '"Shout out to @NorfolkLKS.bsky.social. #KNOWvember19"\r\n'
        'x,1191672311587870002,@UHLLibraries,05/11/2019 09:30,'
        '"Email lks@nhs.net to book a literature search #KNOWvember19"\r\n'))
    assert stored["1191672311587870001"].mentions == "@norfolklks @nhs_hee_kfh"
    # (a bare @bob names someone on an instance the text does not say)
    assert stored["https://nhs.social/users/lib/statuses/1"].mentions == (
        "@kfh@med-mastodon.com")
    assert stored["at://did:plc:abc/app.bsky.feed.post/3kabc"].mentions == (
        "norfolklks.bsky.social")
    assert stored["1191672311587870002"].mentions is None  # an email address is no mention
