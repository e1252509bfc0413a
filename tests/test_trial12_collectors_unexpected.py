"""An import stopped by an error no reader foresaw says so, naming the file and how far it
got: it was recorded as "the file is empty (no posts to import)", or as ok once a chunk had
been stored, and the files named after it were not imported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors import archive
from collectors.archive import Chunk
from knowvember.errors import EXIT_FAILED, EXIT_PARTIAL
from knowvember.runs import list_runs
from tests.test_import_files import TAGS_HEADER, run_import, tags_row, write_csv

CSV = ("platform,id,author_handle,created_at,text\n"
       "x,1191672311587870001,@UHLLibraries,2019-11-05 09:30,Peer assist #KNOWvember19\n")


def _breaking(after_chunk: bool) -> Any:
    """The csv reader, broken as a bug would break it: at once, or after its first chunk."""
    real = archive.formats()["csv"][0]

    def read(path: Path, chunk_posts: int = 5000) -> Iterator[Chunk]:
        if path.name.startswith("bad"):
            if after_chunk:
                first = next(iter(real(path, chunk_posts=chunk_posts)))
                first.lines = 2
                yield first
            raise ZeroDivisionError("division by zero")
        yield from real(path, chunk_posts=chunk_posts)

    return read


@pytest.mark.parametrize("after_chunk", [False, True])
def test_an_unexpected_error_is_named_with_the_file_and_the_rest_imports(
        db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after_chunk: bool
        ) -> None:  # type: ignore[no-untyped-def]
    reader = _breaking(after_chunk)
    formats = archive.formats
    monkeypatch.setattr(archive, "formats", lambda: {**formats(), "csv": (reader, None)})
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV, encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(CSV.replace("870001", "870002"), encoding="utf-8")
    outcome = run_import(db, "csv", bad, good)
    first, second = outcome.runs
    assert first.status == ("partial" if after_chunk else "failed")
    where = ("after line 2 (the campaign posts before it are stored)" if after_chunk
             else "before any post was stored")
    assert first.error == (f"{bad}: the import stopped {where}: unexpected "
                           "ZeroDivisionError: division by zero (run with -v for details, "
                           "and please report it)")
    assert "empty" not in (first.error or "")
    assert second.status == "ok" and second.new == 1
    assert outcome.exit_code == (EXIT_PARTIAL if after_chunk else EXIT_FAILED)
    assert [r.error for r in list_runs(db, source="import:csv")][-1] == first.error


def test_a_tags_count_r_wrote_as_inf_is_named_on_its_line(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # R (tidytags, write.csv) writes an infinite value as `Inf`: it stopped the import with
    # an OverflowError, recorded as "no posts in the file".
    rows = [tags_row("1191672311587868672", "UHLLibraries", "Peer assist #KNOWvember19"),
            tags_row("1191672311587868673", "NorfolkLKS", "Journal club #KNOWvember19",
                     user_followers_count="Inf")]
    path = write_csv(tmp_path / "tidytags.csv", TAGS_HEADER, rows)
    outcome = run_import(db, "tags", path)
    (run,) = outcome.runs
    assert run.status == "partial" and run.new == 1
    assert outcome.line_errors == [f"{path}:3: user_followers_count 'Inf' is not a number"]
