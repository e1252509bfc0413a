"""`stories export --format csv --out FILE` starts the file with a UTF-8 byte order mark.

Excel on Windows, opening a CSV by a double click, reads a file without one as the ANSI code
page: the published stories of "Siân" and the "Knowledge Café" came out as "SiÃ¢n" and
"Knowledge CafÃ©". The report's posts.csv and `stories trail --out` already had the mark.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


def test_the_export_file_opens_as_utf8_in_excel(cli, campaign_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KNOWVEMBER_REVIEWER", "Ann")
    assert cli("stories", "submit", "--title", "Knowledge Café in Leeds", "--body", "We met.",
               "--name", "Siân Jones", "--email", "sian@nhs.net", "--consent").exit_code == 0
    assert cli("stories", "approve", "1").exit_code == 0
    out = campaign_dir / "stories.csv"
    result = cli("stories", "export", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == ["Knowledge Café in Leeds"]
    assert "Siân Jones" in raw.decode("utf-8-sig")

    markdown = campaign_dir / "stories.md"  # only a CSV gets the mark
    assert cli("stories", "export", "--format", "md", "--out", str(markdown)).exit_code == 0
    assert not markdown.read_bytes().startswith(b"\xef\xbb\xbf")
    stdout = cli("stories", "export", "--format", "csv").stdout  # a pipe: as before
    assert not stdout.startswith("\ufeff")
