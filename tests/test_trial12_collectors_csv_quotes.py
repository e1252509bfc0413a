"""A quote left open in a CSV cell mid-file is named, not made into a post: read leniently,
the cell ran on into the next row up to its first quote, and the two rows were stored as one
post under the second row's id, with the first row's text and the rest of both rows in it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import stored_posts
from tests.test_import_files import run_import

HEADER = "platform,id,author_handle,created_at,text,likes\r\n"


def test_rows_a_quote_left_open_ran_together_are_named_and_left_out(
        db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + (
        'x,1191672311587870001,@UHLLibraries,2019-11-05 09:30,"Peer assist #KNOWvember19",1\r\n'
        'x,1191672311587870002,@NorfolkLKS,2019-11-05 09:31,"Journal club #KNOWvember19,2\r\n'
        'x,1191672311587870003,@NorfolkLKS,2019-11-05 09:32,"Knowledge cafe #KNOWvember19",3\r\n'
        # A post of two lines is one row, as ever, and so is a quote written as two.
        'x,1191672311587870004,@UHLLibraries,2019-11-05 09:33,"Our ""Lunch and learn""\r\n'
        'today #KNOWvember19",4\r\n'), encoding="utf-8")
    outcome = run_import(db, "csv", path)
    (run,) = outcome.runs
    assert run.status == "partial"
    assert outcome.line_errors == [
        f'{path}:3: a quote (") opened in this row is not closed where its cell ends, so '
        'lines 3-4 were read as one row; they were left out: close the quote (or write a '
        'quote inside a cell as two, "") and import the file again']
    stored = stored_posts(db)
    assert set(stored) == {"1191672311587870001", "1191672311587870004"}
    assert stored["1191672311587870004"].text == 'Our "Lunch and learn"\r\ntoday #KNOWvember19'
