"""The fifth trial's second pass: every organisation gets its own page.

Codes `LKS.NW` and `LKS_NW` (both valid: letters, digits, `-`, `_`, `.`) were written to
one file, orgs/LKS_NW.html: the second page overwrote the first, and the report linked
both organisations to it, so one organisation's readers saw the other's numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.content import org_slug

Cli = Callable[..., Any]

ORGS = """
[[organisations]]
code = "LKS.NW"
name = "Library and Knowledge Services North West"
accounts = ["bluesky:one.bsky.social"]

[[organisations]]
code = "LKS_NW"
name = "LKS Network Wales"
accounts = ["bluesky:two.bsky.social"]

[[organisations]]
code = "INDEX"
name = "Index Library Services"
accounts = ["bluesky:three.bsky.social"]
"""


def _view(n: int, handle: str) -> dict[str, Any]:
    did = f"did:plc:{handle[:3]}"
    return {"uri": f"at://{did}/app.bsky.feed.post/3kghnlgjhwg2{n}", "cid": f"bafyrei{n}",
            "author": {"did": did, "handle": handle, "displayName": handle[:3].title()},
            "record": {"$type": "app.bsky.feed.post", "text": "#KNOWvember19 a peer assist",
                       "createdAt": f"2019-11-0{n}T10:00:00.000Z"},
            "replyCount": 0, "repostCount": 0, "likeCount": n, "quoteCount": 0,
            "indexedAt": f"2019-11-0{n}T10:00:01.000Z"}


def test_codes_differing_by_a_dot_or_naming_the_index_get_pages_of_their_own(
        write_config: Callable[[str], Path], campaign_dir: Path, cli: Cli) -> None:
    write_config(ORGS)
    posts = [_view(n, h) for n, h in enumerate(
        ["one.bsky.social", "two.bsky.social", "three.bsky.social"], 1)]
    (campaign_dir / "page.json").write_text(json.dumps({"posts": posts}), encoding="utf-8")
    assert cli("import", "bluesky", "page.json").exit_code == 0
    result = cli("report", "--per-org", "--format", "html")
    assert result.exit_code == 0, result.stderr
    folder = campaign_dir / "report"
    pages = {p.name.casefold() for p in (folder / "orgs").glob("*.html")}
    assert len(pages) == 4  # three organisations and the index, whatever the file system
    report = (folder / "report.html").read_text(encoding="utf-8")
    links = [(target, name) for target, name in
             re.findall(r'<a href="orgs/([^"]+)">([^<]+)</a>', report) if target != "index.html"]
    assert len({target for target, _ in links}) == 3
    for target, name in links:
        page = (folder / "orgs" / target).read_text(encoding="utf-8")
        assert f"<h1>{name}</h1>" in page
    assert org_slug("INDEX") != "INDEX" and org_slug("RWE") == "RWE"
