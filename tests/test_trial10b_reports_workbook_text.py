"""The fifth trial's second pass: the workbook shows post text as it was written.

Text starting with @ + - = (every X reply starts "@handle ...") was written into the
workbook with an apostrophe in front, which Excel and LibreOffice show as part of the text:
"'@UHLLibraries thanks for the Peer Assist". A workbook's string cell is never evaluated;
the quote prefix (Excel's own mark for typed-as-text) keeps an edited cell text instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

Cli = Callable[..., Any]

TEXTS = ["@UHLLibraries thanks for the #KNOWvember19 peer assist",
         '=HYPERLINK("http://evil","x") #KNOWvember19',
         "-2+3 #KNOWvember19 retrospect"]


def _view(n: int, text: str, name: str) -> dict[str, Any]:
    did = f"did:plc:acct{n}"
    return {"uri": f"at://{did}/app.bsky.feed.post/3kghnlgjhwg2{n}", "cid": f"bafyrei{n}",
            "author": {"did": did, "handle": f"acct{n}.bsky.social", "displayName": name},
            "record": {"$type": "app.bsky.feed.post", "text": text,
                       "createdAt": f"2019-11-0{n}T10:00:00.000Z"},
            "replyCount": 0, "repostCount": 0, "likeCount": 10 - n, "quoteCount": 0,
            "indexedAt": f"2019-11-0{n}T10:00:01.000Z"}


def test_formula_looking_text_is_kept_as_written_in_a_quote_prefixed_cell(
        write_config: Callable[..., Path], campaign_dir: Path, cli: Cli) -> None:
    write_config()
    posts = [_view(n, text, name) for n, (text, name)
             in enumerate(zip(TEXTS, ["@admin", "=SUM(1,2)", "-minus"], strict=True), 1)]
    (campaign_dir / "page.json").write_text(json.dumps({"posts": posts}), encoding="utf-8")
    assert cli("import", "bluesky", "page.json").exit_code == 0
    result = cli("report", "--format", "xlsx")
    assert result.exit_code == 0, result.stderr
    sheet = openpyxl.load_workbook(campaign_dir / "report" / "report.xlsx")["posts"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    texts = {r[header.index("text")].value: r[header.index("text")] for r in rows}
    names = {r[header.index("display name")].value for r in rows}
    assert set(texts) == set(TEXTS)
    assert names == {"@admin", "=SUM(1,2)", "-minus"}
    for cell in (c for row in rows for c in row):
        assert cell.data_type != "f", cell.coordinate
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
            assert cell.quotePrefix, cell.coordinate
