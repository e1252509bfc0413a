"""The line an error names in an X account archive's tweets.js that was changed or cut:
orjson gives its position in characters, which was counted as bytes, so in an archive full
of emoji and accents (X writes them as they are, not escaped) the message named a line well
above the damage."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_trial9_x_archives import ACCOUNT_JS, _archived
from tests.test_trial10b_fediverse_gzip import run_import


def test_a_damaged_tweets_js_names_the_line_of_the_damage(sqlite_db, tmp_path: Path
                                                          ) -> None:  # type: ignore[no-untyped-def]
    items = [_archived(f"11916723115878686{n:02d}",
                       f"Café {n} 🎉📚 naïve résumé — “quoted” #KNOWvember19") for n in range(40)]
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "account.js").write_text(ACCOUNT_JS, encoding="utf-8")
    text = "window.YTD.tweets.part0 = " + json.dumps(items, indent=2, ensure_ascii=False)
    broken = text.replace('"full_text": "Café 30', '"full_text": oops "Café 30')
    assert broken != text
    path = folder / "tweets.js"
    path.write_text(broken, encoding="utf-8")
    line = broken.split("oops")[0].count("\n") + 1
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "failed"
    assert f"tweets.js:{line}: not valid JSON after `window.YTD...`" in (record.error or "")
