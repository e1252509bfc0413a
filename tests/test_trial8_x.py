"""The eighth trial of X collection and archives, as a new coordinator met them.

The live collector against the local fake X API v2 (the monthly usage cap's 429, a token
pasted with its line end, an `api_base` with no X routes), and the archive imports with the
files coordinators really hold: Excel's empty rows and repeated headers, workbooks, ZIPs and
CSVs given to the wrong import, twarc 1 stream notices, gzip by any name, quotes left open,
pandas' decimals, twarc-csv exports and JSON saved as Windows-1252.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from knowvember import ingest
from knowvember.config import parse_settings
from knowvember.db import open_database
from tests.conftest import BASE_CONFIG
from tests.conftest import stored_posts as stored
from tests.fakeapi import X_TOKEN, FakeAPI, Fault, _Answer, _dump, x_id, x_page, x_tweet, x_user
from tests.test_collect_x import KNOW_CAMPAIGN, Sleeps, hooks, know_api, run, setup
from tests.test_import_files import TAGS_HEADER, tags_row

NOV = dt.datetime(2019, 11, 6, 10, 0, tzinfo=dt.UTC)


# -- the monthly usage cap ----------------------------------------------------------------


class CappedAPI(FakeAPI):
    """The fake X API, also answering a fault "usage-cap" as X does when the app's monthly
    post cap is used up: 429, a body titled UsageCapExceeded, and rate-limit headers that
    show plenty left in the 15-minute window (the cap is not a rate limit)."""

    def _fault_answer(self, fault: Fault, path: str) -> _Answer:
        if fault.kind != "usage-cap":
            return super()._fault_answer(fault, path)
        return _Answer(429, _dump({
            "account_id": 1234567890, "product_name": "standard-basic",
            "title": "UsageCapExceeded", "period": "Monthly", "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.twitter.com/2/problems/usage-capped"}), {
            "x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
            "x-rate-limit-reset": str(int(self.clock()) + 600)})


@pytest.fixture
def capped() -> Iterator[CappedAPI]:
    with CappedAPI().load_fixtures() as server:
        yield server


def test_the_monthly_usage_cap_stops_the_run_at_once_saying_so(capped, tmp_path: Path
                                                              ) -> None:  # type: ignore[no-untyped-def]
    """X's 429 UsageCapExceeded is not a rate limit: waiting for the window's reset and
    asking again (five times, up to 15 minutes each) reads nothing and holds the run (and
    the next cron run, "already running") for over an hour. The run stops at once, keeps
    the pages it read, and says what happened."""
    ids = know_api(capped, 150)
    settings, db = setup(capped, f"sqlite:///{tmp_path / 'x.db'}", "max_wait_seconds = 900",
                         campaign=KNOW_CAMPAIGN)
    capped.fail("/2/tweets/search", "usage-cap", times=10, after=1)
    sleeps = Sleeps()
    record = run(settings, db, hooks(sleeps))
    assert sleeps == []  # no wait for a reset that does not lift the cap
    assert len(capped.seen("/2/tweets/search")) == 2
    assert record.status == "partial"
    assert "monthly usage cap" in record.error and "UsageCapExceeded" in record.error
    assert "Monthly product cap" in record.error, record.error
    assert len(stored(db)) == 100
    # the next run, once the cap is lifted, goes on where this one stopped
    capped.faults.clear()
    again = run(settings, db, hooks(now=dt.datetime(2021, 9, 23, 12, 30, tzinfo=dt.UTC)))
    assert again.status == "ok", again.error
    assert set(stored(db)) == set(ids)
    db.dispose()


# -- spreadsheets: rows Excel leaves empty ------------------------------------------------


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


@pytest.mark.parametrize("fmt", ["tags", "csv"])
def test_rows_excel_left_with_only_empty_cells_are_not_errors(db, tmp_path: Path, fmt: str
                                                              ) -> None:  # type: ignore[no-untyped-def]
    """Excel saves `,,,,` rows below the data wherever a cell was once formatted or
    cleared: they were each reported as a row that failed ("id_str '' is not a tweet id",
    "unknown platform ''"), and a complete import was partial (exit 4)."""
    if fmt == "tags":
        header = ",".join(TAGS_HEADER)
        row = ",".join(tags_row("1191672311587868672", "UHL_Library",
                                "Our first Peer Assist #KNOWvember19").values())
    else:
        header = "platform,id,author_handle,created_at,text,likes"
        row = "x,1191672311587868672,@UHL_Library,05/11/2019 09:30,Peer Assist #KNOWvember19,4"
    blank = "," * (header.count(","))
    path = tmp_path / f"{fmt}.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([header, row, blank, blank, " ," + blank[1:]])
                      + "\r\n").encode())
    record = run_import(db, fmt, path)
    assert (record.status, record.new, record.error) == ("ok", 1, None)
    assert set(stored(db)) == {"1191672311587868672"}


def test_a_row_with_something_in_it_is_still_reported(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text\n"
                    "x,1191672311587868672,@UHL_Library,05/11/2019 09:30,#KNOWvember19\n"
                    ",,,,stray note\n", encoding="utf-8")
    record = run_import(db, "csv", path)
    assert record.status == "partial" and "posts.csv:3" in record.error


# -- files of another kind given to a JSON import -----------------------------------------


def _tags_sheet(path: Path, rows: int) -> Path:
    lines = [",".join(TAGS_HEADER)]
    lines += [",".join(tags_row(str(1191672311587868672 + i), "UHL_Library",
                                "Peer Assist #KNOWvember19").values()) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("fmt", "name", "make", "said"), [
    ("twarc2", "TAGS KNOWvember19 - Archive.csv", lambda p: _tags_sheet(p, 30),
     "looks like a CSV export, not JSON; use `knowvember import tags`"),
    ("twarc2", "posts.csv", lambda p: p.write_text(
        "platform,id,author_handle,created_at,text\nx,1,@a,2019-11-05,#KNOWvember19\n"),
     "use `knowvember import csv`"),
    ("bluesky", "sheet.csv", lambda p: p.write_text("a,b,c\n1,2,3\n"),
     "`knowvember import tags` reads a TAGS sheet, `knowvember import csv` the generic CSV"),
    ("twarc2", "knowvember19.zip", lambda p: p.write_bytes(
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4),
     "a ZIP archive, not JSON: unzip it"),
    ("twarc2", "tweets.js", lambda p: p.write_text(
        'window.YTD.tweets.part0 = [\n  {\n    "tweet" : {\n      "id_str" : "1191672311587868700",'
        '\n      "full_text" : "Coffee Trial #KNOWvember19"\n    }\n  }\n]\n'),
     "a file from an X account archive (\"Download an archive of your data\""),
    ("mastodon", "statuses.json", lambda p: p.write_bytes(
        '[{"id": "1", "content": "caf\u00e9"}]\n'.encode("utf-16")),
     "UTF-16 text"),
])
def test_a_file_that_is_no_json_is_refused_saying_what_it_is(db, tmp_path: Path, fmt: str,
                                                            name: str, make, said: str
                                                            ) -> None:  # type: ignore[no-untyped-def]
    """A TAGS sheet given to `import twarc2` was 31 lines each "not valid JSON" (a real
    sheet: thousands), a ZIP or UTF-16 file the same, and none said what to do."""
    path = tmp_path / name
    make(path)
    record = run_import(db, fmt, path)
    assert record.status == "failed"
    assert said in record.error, record.error
    assert record.details["line_errors"] == 0


@pytest.mark.parametrize(("fmt", "name"), [
    ("twarc2", "KNOWVEMBER19.JSONL.GZ"), ("twarc2", "knowvember19.jsonl"),
    ("tags", "TAGS KNOWVEMBER19.CSV.GZ"), ("tags", "TAGS KNOWvember19 - Archive.csv"),
])
def test_a_compressed_file_is_read_whatever_the_case_or_ending_of_its_name(
        db, tmp_path: Path, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """`.GZ` (a name from Windows) was read as text, and so was a gzip download saved
    without its .gz: both were refused as not JSON or as lacking the TAGS columns."""
    tid = x_id(NOV, 1)
    if fmt == "twarc2":
        data = orjson.dumps(x_page([x_tweet(tid, "Peer Assist #KNOWvember19", "111", NOV)],
                                   [x_user("111", "UHL_Library")])) + b"\n"
    else:
        data = _tags_sheet(tmp_path / "plain.csv", 1).read_bytes()
        tid = "1191672311587868672"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data))
    record = run_import(db, fmt, path)
    assert (record.status, record.new, record.error) == ("ok", 1, None)
    assert set(stored(db)) == {tid}


def test_a_jsonl_file_with_one_stray_first_line_still_imports(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tweet = x_tweet(x_id(NOV, 1), "Peer Assist #KNOWvember19", "111", NOV)
    path = tmp_path / "search.jsonl"
    path.write_bytes(b"exported by a script, v2\n"
                     + orjson.dumps(x_page([tweet], [x_user("111", "UHL_Library")])) + b"\n")
    record = run_import(db, "twarc2", path)
    assert record.status == "partial" and "search.jsonl:1: not valid JSON" in record.error
    assert set(stored(db)) == {tweet["id"]}


def _workbook(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Archive"
    sheet.append(TAGS_HEADER)
    sheet.append(list(tags_row("1191672311587868672", "UHL_Library", "#KNOWvember19").values()))
    book.save(path)


@pytest.mark.parametrize("fmt", ["tags", "csv"])
@pytest.mark.parametrize(("name", "make", "said"), [
    ("TAGS KNOWvember19.xlsx", _workbook, "a spreadsheet workbook, not a CSV file: save the "
     "sheet as CSV (Google Sheets: File > Download > Comma-separated values"),
    ("TAGS KNOWvember19.xls", lambda p: p.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)), "a spreadsheet workbook"),
    ("archive.zip", lambda p: p.write_bytes(
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256))),
     "a ZIP archive, not a CSV file: unzip it"),
])
def test_a_workbook_or_zip_given_to_a_csv_import_is_named(db, tmp_path: Path, fmt: str,
                                                         name: str, make, said: str
                                                         ) -> None:  # type: ignore[no-untyped-def]
    """A TAGS sheet downloaded as .xlsx (Google Sheets offers it first) was refused as
    "missing column(s) ... (the header has PK\\x03\\x04\\x14\\x00...docProps/app.xm...)"."""
    path = tmp_path / name
    make(path)
    record = run_import(db, fmt, path)
    assert record.status == "failed"
    assert said in record.error and "missing column" not in record.error, record.error


# -- twarc 1 stream archives (2018, 2019) -------------------------------------------------


def v1_tweet(tid: str, text: str, screen: str, uid: str, created: dt.datetime
             ) -> dict[str, object]:
    """A v1.1 tweet as `twarc filter` wrote it (`extended_tweet` for the whole text)."""
    return {"created_at": created.strftime("%a %b %d %H:%M:%S +0000 %Y"), "id": int(tid),
            "id_str": tid, "text": text[:140], "truncated": len(text) > 140,
            "extended_tweet": {"full_text": text, "entities": {"hashtags": [
                {"text": w[1:], "indices": [0, 1]} for w in text.split() if w[:1] == "#"]}},
            "user": {"id": int(uid), "id_str": uid, "screen_name": screen, "name": screen,
                     "followers_count": 321}, "retweet_count": 0, "favorite_count": 2,
            "lang": "en", "is_quote_status": False}


def test_stream_notices_in_a_twarc1_filter_archive_are_not_unreadable_lines(db, tmp_path: Path
                                                                           ) -> None:  # type: ignore[no-untyped-def]
    """`twarc filter --warnings` writes the stream's limit notices and stall warnings between
    the tweets (and other stream savers its deletions too): each was "not a twarc2 line",
    and a complete #Knowvember18 archive imported as partial (exit 4)."""
    created = dt.datetime(2018, 11, 7, 10, 0, tzinfo=dt.UTC)
    first, second = x_id(created, 1), x_id(created + dt.timedelta(hours=1), 2)
    path = tmp_path / "knowvember18-filter.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(v) for v in [
        v1_tweet(first, "Knowledge café at lunchtime #KNOWvember19 #KM", "NHSLibrarian", "3001",
                 created),
        {"limit": {"track": 42, "timestamp_ms": "1541584800000"}},
        {"warning": {"code": "FALLING_BEHIND", "message": "Your connection is falling behind",
                     "percent_full": 60}},
        {"delete": {"status": {"id": 1, "id_str": "1", "user_id": 3, "user_id_str": "3"},
                    "timestamp_ms": "1541584900000"}},
        v1_tweet(second, "Our Peer Assist #KNOWvember19", "Jo_LKS", "3002",
                 created + dt.timedelta(hours=1)),
    ]) + b"\n")
    record = run_import(db, "twarc2", path)
    assert (record.status, record.new, record.error) == ("ok", 2, None)
    assert record.details["api_errors"] == 3 and record.details["line_errors"] == 0
    assert set(stored(db)) == {first, second}


def test_a_json_line_that_is_neither_tweet_nor_notice_is_still_reported(db, tmp_path: Path
                                                                       ) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b'{"hello": "world"}\n')
    record = run_import(db, "twarc2", path)
    assert record.status == "failed" and "odd.jsonl:1: not a twarc2 line" in record.error


# -- a CSV cell the csv module cannot read ------------------------------------------------


@pytest.mark.parametrize("fmt", ["tags", "csv"])
def test_a_quote_left_open_is_named_by_its_line_and_the_rows_before_it_are_kept(
        db, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """A quote never closed runs a cell on through the rest of the file; past the csv
    module's 131,072 characters that was "unexpected Error: field larger than field limit
    ... please report it", nothing was stored, and the run log said the file had no rows."""
    if fmt == "tags":
        header = ",".join(TAGS_HEADER)
        good = ",".join(tags_row("1191672311587868672", "UHL_Library", "#KNOWvember19 ok")
                        .values())
        bad = ",".join(tags_row("1191672311587868673", "UHL_Library", '"Peer Assist').values())
    else:
        header = "platform,id,author_handle,created_at,text"
        good = "x,1191672311587868672,@UHL_Library,2019-11-05,#KNOWvember19 ok"
        bad = 'x,1191672311587868673,@UHL_Library,2019-11-05,"Peer Assist'
    rest = [good.replace("868672", f"{868700 + i}") for i in range(3000)]
    path = tmp_path / f"{fmt}.csv"
    path.write_text("\n".join([header, good, bad, *rest]) + "\n", encoding="utf-8")
    record = run_import(db, fmt, path)
    assert record.status == "partial"
    assert f"{fmt}.csv:3: a cell runs on for more than 131,072 characters" in record.error
    assert "quote" in record.error and "the rest of the file was not read" in record.error
    assert set(stored(db)) == {"1191672311587868672"}


def test_a_header_cell_the_csv_module_cannot_read_is_a_clear_error(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text('platform,id,author_handle,created_at,"text' + "x" * 140_000 + "\n",
                    encoding="utf-8")
    record = run_import(db, "csv", path)
    assert record.status == "failed"
    assert record.error.startswith(f"{path}:1: a cell runs on for more than"), record.error


# -- the generic CSV ----------------------------------------------------------------------


def test_the_generic_csv_reads_xs_own_created_at_form(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """twarc 1's `json2csv` (and other v1.1 exports) write `created_at` as X sent it: every
    row was refused as "not a date and time"."""
    path = tmp_path / "twarc-json2csv.csv"
    path.write_text("platform,id,author_handle,created_at,text\n"
                    "x,1191672311587868672,@UHL_Library,Tue Nov 05 09:30:00 +0000 2019,"
                    "Peer Assist #KNOWvember19\n"
                    "x,1191672311587868673,@UHL_Library,Tue Nov 05 11:45:10 +0100 2019,"
                    "Knowledge café #KNOWvember19\n", encoding="utf-8")
    record = run_import(db, "csv", path)
    assert (record.status, record.new) == ("ok", 2), record.error
    posts = stored(db)
    times = {tid: p.created_at.replace(tzinfo=dt.UTC) if p.created_at.tzinfo is None
             else p.created_at for tid, p in posts.items()}
    assert times["1191672311587868672"] == dt.datetime(2019, 11, 5, 9, 30, tzinfo=dt.UTC)
    assert times["1191672311587868673"] == dt.datetime(2019, 11, 5, 10, 45, 10, tzinfo=dt.UTC)


# -- the bearer token as it was pasted ----------------------------------------------------


def test_a_token_pasted_with_its_line_end_is_used_without_it(capped, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A secrets file saved on Windows ends the token in '\\r': every request failed as
    "connection to X failed (InvalidHeader ...)", was retried, and the run failed."""
    know_api(capped, 5)
    settings, db = setup(capped, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    sleeps = Sleeps()
    record = run(settings, db, hooks(sleeps, KNOWVEMBER_X_BEARER_TOKEN=f" {X_TOKEN}\r\n"))
    assert (record.status, record.new, record.error) == ("ok", 5, None)
    assert sleeps == []
    assert capped.seen("/2/tweets/search")[0].headers["authorization"] == f"Bearer {X_TOKEN}"
    db.dispose()


def test_a_token_of_blanks_is_not_set(capped, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A variable holding only blanks sent 'Bearer ' and X refused it with 401."""
    settings, db = setup(capped, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    sleeps = Sleeps()
    record = run(settings, db, hooks(sleeps, KNOWVEMBER_X_BEARER_TOKEN="  \r\n"))
    assert record.status == "failed"
    assert "set $KNOWVEMBER_X_BEARER_TOKEN" in record.error
    assert capped.seen("/2/tweets/search") == [] and sleeps == []
    db.dispose()


def test_a_token_with_a_line_break_inside_is_refused_at_once_naming_the_variable(
        capped, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, db = setup(capped, f"sqlite:///{tmp_path / 'x.db'}", campaign=KNOW_CAMPAIGN)
    sleeps = Sleeps()
    broken = X_TOKEN[:10] + "\n" + X_TOKEN[10:]
    record = run(settings, db, hooks(sleeps, KNOWVEMBER_X_BEARER_TOKEN=broken))
    assert record.status == "failed" and sleeps == []
    assert "$KNOWVEMBER_X_BEARER_TOKEN" in record.error and "line break" in record.error
    assert X_TOKEN[10:] not in record.error and X_TOKEN[:10] not in record.error
    db.dispose()


def test_a_quote_never_closed_in_the_last_row_is_reported_not_swallowed(db, tmp_path: Path
                                                                      ) -> None:  # type: ignore[no-untyped-def]
    """Short of the csv module's limit, a quote left open took every row after it into
    one post's text, and the import said ok: those posts were lost without a word."""
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text\n"
                    "x,1191672311587868671,@UHL_Library,2019-11-05,First #KNOWvember19\n"
                    'x,1191672311587868672,@UHL_Library,2019-11-05,"Peer Assist #KNOWvember19\n'
                    "x,1191672311587868673,@UHL_Library,2019-11-05,Café #KNOWvember19\n"
                    "x,1191672311587868674,@UHL_Library,2019-11-05,Fishbowl #KNOWvember19\n",
                    encoding="utf-8")
    record = run_import(db, "csv", path)
    assert record.status == "partial"
    assert "posts.csv:3: a quote (\") opened in this row is never closed" in record.error
    assert "the 2 line(s) after it" in record.error
    assert set(stored(db)) == {"1191672311587868671"}  # no post holding the other rows


def test_quoted_cells_over_several_lines_and_quotes_inside_cells_still_read(
        db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text\n"
                    'x,1191672311587868671,@a,2019-11-05,"A thread:\nPeer Assist #KNOWvember19"\n'
                    'x,1191672311587868672,@a,2019-11-05,"He said ""hi"" #KNOWvember19"\n'
                    'x,1191672311587868673,@a,2019-11-05,Peer "Assist" at UHL #KNOWvember19\n'
                    'x,1191672311587868674,@a,2019-11-05,"Last one,\n\nover lines #KNOWvember19"\n',
                    encoding="utf-8")
    record = run_import(db, "csv", path)
    assert (record.status, record.new, record.error) == ("ok", 4, None)
    posts = stored(db)
    assert posts["1191672311587868674"].text == "Last one,\n\nover lines #KNOWvember19"
    assert posts["1191672311587868672"].text == 'He said "hi" #KNOWvember19'


def test_counts_written_as_decimals_by_pandas_are_read(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """pandas writes a count column holding an empty cell as floats (`12.0`): every such
    row was refused as "likes '12.0' is not a whole number"; a real fraction still is."""
    path = tmp_path / "posts.csv"
    path.write_text("platform,id,author_handle,created_at,text,likes,reposts,author_followers\n"
                    "x,1191672311587868671,@a,2019-11-05,Peer Assist #KNOWvember19,12.0,,2345.0\n"
                    "x,1191672311587868672,@a,2019-11-05,Café #KNOWvember19,3.,1.00,\n"
                    "x,1191672311587868673,@a,2019-11-05,Fishbowl #KNOWvember19,2.5,0,\n",
                    encoding="utf-8")
    record = run_import(db, "csv", path)
    assert record.status == "partial" and record.new == 2
    assert "posts.csv:4: likes '2.5' is not a whole number" in record.error
    posts = stored(db)
    assert (posts["1191672311587868671"].likes, posts["1191672311587868672"].likes,
            posts["1191672311587868672"].reposts) == (12, 3, 1)


@pytest.mark.parametrize("fmt", ["tags", "csv"])
def test_two_exports_put_one_after_the_other_import_without_an_error(db, tmp_path: Path,
                                                                    fmt: str) -> None:  # type: ignore[no-untyped-def]
    """`cat "Archive 1.csv" "Archive 2.csv" > all.csv` (or the second pasted below the
    first) holds the header twice, BOM and all: its row was a failed post ("id_str 'id_str'
    is not a tweet id"), and the import partial (exit 4)."""
    if fmt == "tags":
        header = ",".join(TAGS_HEADER)
        rows = [",".join(tags_row(tid, "UHL_Library", "Peer Assist #KNOWvember19").values())
                for tid in ("1191672311587868671", "1191672311587868672")]
    else:
        header = "Platform,ID,Author_Handle,Created_At,Text"
        rows = [f"x,{tid},@UHL_Library,2019-11-05,Peer Assist #KNOWvember19"
                for tid in ("1191672311587868671", "1191672311587868672")]
    path = tmp_path / "all.csv"
    path.write_text("\ufeff" + "\n".join([header, rows[0], "\ufeff" + header, rows[1]]) + "\n",
                    encoding="utf-8")
    record = run_import(db, fmt, path)
    assert (record.status, record.new, record.error) == ("ok", 2, None)


# -- where the requests went --------------------------------------------------------------


def _pointed_at(api_base: str, db_url: str, extra: str = ""):  # type: ignore[no-untyped-def]
    settings = parse_settings(KNOW_CAMPAIGN + f"""
[sources.x]
enabled = true
api_base = "{api_base}"
timeout = 2
{extra}
""")
    return settings, open_database(settings, url=db_url)


def test_an_api_base_with_no_x_routes_is_named_with_the_key_to_check(capped, tmp_path: Path
                                                                    ) -> None:  # type: ignore[no-untyped-def]
    """`api_base = ".../2"` (the version pasted in too) sent every request to a 404: the run
    said only "X rejected the search (404): NotFound"."""
    settings, db = _pointed_at(capped.url + "/2", f"sqlite:///{tmp_path / 'x.db'}")
    record = run(settings, db)
    assert record.status == "failed"
    assert record.error == (f"{capped.url}/2 has no X search endpoint (404 Not Found: "
                            "NotFound): check [sources.x] api_base")
    db.dispose()


def test_a_connection_that_fails_names_where_it_was_going(tmp_path: Path) -> None:
    with FakeAPI() as api:
        url = api.url  # nothing answers there once it has stopped
    settings, db = _pointed_at(url, f"sqlite:///{tmp_path / 'x.db'}", "max_retries = 0")
    record = run(settings, db)
    assert record.status == "failed"
    assert f"connection to X at {url} failed" in record.error, record.error
    db.dispose()


@pytest.mark.parametrize("fmt", ["tags", "csv"])
def test_a_twarc_csv_export_is_named_with_the_import_that_reads_its_source(
        db, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """twarc-csv's CSV of a twarc2 archive was refused as missing columns, quoting its long
    header, without saying that the JSONL it came from imports as it is."""
    path = tmp_path / "knowvember19.csv"
    path.write_text("id,conversation_id,referenced_tweets.replied_to.id,author_id,created_at,"
                    "text,lang,public_metrics.like_count,author.username\n"
                    "1191672311587868672,1191672311587868672,,111,2019-11-05T09:30:00.000Z,"
                    "Peer Assist #KNOWvember19,en,4,UHL_Library\n", encoding="utf-8")
    record = run_import(db, fmt, path)
    assert record.status == "failed" and "missing column(s)" in record.error
    assert "twarc-csv's export of a twarc2 archive" in record.error
    assert "`knowvember import twarc2`" in record.error


# -- JSON saved as "ANSI" ------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["page", "flattened", "v1.1"])
def test_a_jsonl_file_saved_as_windows_1252_is_read(db, tmp_path: Path, shape: str) -> None:  # type: ignore[no-untyped-def]
    """Notepad's "ANSI" save writes `café` and `–` as Windows-1252: each tweet holding one
    was "Invalid UTF-8 encoded string" or "not valid JSON", and the rest imported alone."""
    tid = x_id(NOV, 1)
    text = "Knowledge café – Peer Assist #KNOWvember19"
    user = x_user("111", "UHL_Library", name="Café Library")
    tweet = x_tweet(tid, text, "111", NOV)
    value: dict[str, object]
    if shape == "page":
        value = x_page([tweet], [user])
    elif shape == "flattened":
        value = {**tweet, "author": user}
    else:
        value = v1_tweet(tid, text, "UHL_Library", "111", NOV)
    path = tmp_path / "knowvember19.jsonl"
    plain = x_tweet(x_id(NOV, 2), "Plain Peer Assist #KNOWvember19", "111", NOV)
    path.write_bytes(orjson.dumps(value).decode().encode("cp1252") + b"\n"
                     + orjson.dumps(x_page([plain], [user])) + b"\n")
    record = run_import(db, "twarc2", path)
    assert (record.status, record.new, record.error) == ("ok", 2, None)
    assert stored(db)[tid].text == text
    again = run_import(db, "twarc2", path)
    assert (again.status, again.new, again.updated) == ("ok", 0, 0)
