"""Output redirected to a file is UTF-8 whatever the system's code page.

On Windows a redirected stdout is written in cp1252, where a Welsh "ŷ" or an Arabic name
ended `leaderboard --format csv > x.csv` with "unexpected UnicodeEncodeError" (exit 1).
PYTHONIOENCODING=cp1252 makes Python do the same on any system.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROWS = "\n".join([
    "platform,id,author_handle,author_name,created_at,text",
    "x,1196000000000000001,llyfrgellbcuhb,Llyfrgell Ŷ Gogledd,2019-11-05 10:00:00,"
    "Diolch! Evidence summaries for the wards today #KNOWvember19",
    "mastodon,https://nhs.social/users/amira/statuses/112233,@amira@nhs.social,أميرة حسن,"
    "2019-11-06 11:00:00,Knowledge café on the stroke unit #KNOWvember19",
    "",
])


def test_a_contributor_leaderboard_redirected_in_cp1252_is_written_as_utf8(
        campaign_dir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (campaign_dir / "posts.csv").write_text(ROWS, encoding="utf-8")
    assert cli("-q", "import", "csv", "posts.csv").exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWVEMBER_")}
    env["PYTHONIOENCODING"] = "cp1252"
    done = subprocess.run(
        [sys.executable, "-m", "knowvember", "-q", "leaderboard", "--by", "contributor",
         "--format", "csv"],
        cwd=campaign_dir, env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out = done.stdout.decode("utf-8")
    assert "Llyfrgell Ŷ Gogledd" in out
    assert "أميرة حسن" in out


def test_streams_in_another_code_page_are_made_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowvember.cli import utf8_streams

    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors="strict")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    utf8_streams()
    assert (out.encoding, out.errors) == ("utf-8", "strict")
    assert (err.encoding, err.errors) == ("utf-8", "replace")
    out.write("ŷ")
    err.write("\udc80")  # a lone surrogate in a message is replaced, not raised
    out.flush()
    err.flush()
    assert out.buffer.getvalue() == "ŷ".encode()  # type: ignore[attr-defined]
    assert err.buffer.getvalue() == b"?"  # type: ignore[attr-defined]


def test_streams_swapped_by_a_caller_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowvember.cli import utf8_streams

    swapped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", swapped)
    monkeypatch.setattr(sys, "stderr", None)
    utf8_streams()
    assert sys.stdout is swapped
