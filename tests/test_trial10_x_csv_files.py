"""The tenth session's trial of the CSV imports, as a coordinator met them: a TAGS sheet is a
CSV file, so it is given to `import csv` first (and the generic CSV to `import tags`)."""

from __future__ import annotations

from pathlib import Path

from knowvember import ingest
from knowvember.config import parse_settings
from tests.conftest import BASE_CONFIG
from tests.test_import_files import TAGS_HEADER, tags_row, write_csv


def run_import(db, fmt: str, path: Path):  # type: ignore[no-untyped-def]
    (record,) = ingest.import_files(db, parse_settings(BASE_CONFIG), fmt, [path],
                                    ingest.Hooks(lock_wait=0)).runs
    return record


def test_a_tags_sheet_given_to_import_csv_names_import_tags(sqlite_db, tmp_path: Path
                                                            ) -> None:  # type: ignore[no-untyped-def]
    """It said only "missing column(s) platform, id, author_handle"."""
    path = write_csv(tmp_path / "TAGS - Archive.csv", TAGS_HEADER, [
        tags_row("1191672311587868672", "UHL_Library", "Peer assist #KNOWvember19")])
    record = run_import(sqlite_db, "csv", path)
    assert record.status == "failed"
    assert "missing column(s) platform, id, author_handle" in record.error
    assert "a TAGS sheet" in record.error
    assert record.error.endswith("import it with `knowvember import tags`")


def test_the_generic_csv_given_to_import_tags_names_import_csv(sqlite_db, tmp_path: Path
                                                               ) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.csv"
    path.write_text("Platform,ID,Author_Handle,Created_At,Text\r\n"
                    "x,1191672311587868672,@UHL_Library,2019-11-05 09:30,#KNOWvember19\r\n",
                    encoding="utf-8-sig")
    record = run_import(sqlite_db, "tags", path)
    assert record.status == "failed"
    assert "missing column(s) id_str, from_user" in record.error
    assert record.error.endswith("import it with `knowvember import csv`")


def test_a_csv_of_neither_kind_keeps_the_plain_message(sqlite_db, tmp_path: Path
                                                       ) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    path.write_text("name,email\r\nJane,jane@nhs.net\r\n", encoding="utf-8")
    record = run_import(sqlite_db, "csv", path)
    assert record.error.endswith("(the header has name, email)"), record.error


def test_an_x_account_archive_file_given_to_a_csv_import_names_import_twarc2(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """It said "missing column(s) ... (the header has window.ytd.tweets.part0 = [)"."""
    path = tmp_path / "tweets.js"
    path.write_text('window.YTD.tweets.part0 = [\n  {\n    "tweet" : {\n      "id_str" : "1"\n'
                    "    }\n  }\n]\n", encoding="utf-8")
    for fmt in ("csv", "tags"):
        record = run_import(sqlite_db, fmt, path)
        assert record.status == "failed"
        assert "an X account archive" in record.error, record.error
        assert "`knowvember import twarc2` reads the archive's tweets.js" in record.error


def test_x_author_ids_a_spreadsheet_spoiled_do_not_make_people_one_account(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Excel saves an 18-digit user id as 1.19017E+18 (or 1190174010209570000): every author
    whose id began alike was one account, their posts under the last one's handle (four
    libraries were two contributors)."""
    from tests.conftest import stored_posts as stored

    path = tmp_path / "posts.csv"
    path.write_text(
        "platform,id,author_handle,author_id,created_at,text\r\n"
        "x,1190174010209574999,@UHLLibraries,1.19017E+18,2019-11-05 09:30,One #KNOWvember19\r\n"
        "x,1190174010209575999,@AlderHeyLib,1.19017E+18,2019-11-05 10:30,Two #KNOWvember19\r\n"
        "x,1190174010209576999,@NUHLibrary,1190174010209570000,2019-11-05 11:30,Three "
        "#KNOWvember19\r\n"
        "x,1190174010209577999,@RCHTLibrary,1190174010209570000,2019-11-05 12:30,Four "
        "#KNOWvember19\r\n"
        "x,1190174010209578999,@STHLibrary,721682332779300977,2019-11-05 13:30,Five "
        "#KNOWvember19\r\n"
        "x,1190174010209579999,@LTHTLibrary,2837462.0,2019-11-05 14:30,Six #KNOWvember19\r\n",
        encoding="utf-8")
    record = run_import(sqlite_db, "csv", path)
    assert (record.status, record.new) == ("ok", 6), record.error
    posts = stored(sqlite_db)
    assert len({p.account_id for p in posts.values()}) == 6
    with sqlite_db.engine.connect() as conn:
        accounts = dict(conn.exec_driver_sql(
            "SELECT handle, platform_user_id FROM accounts").fetchall())
    assert accounts == {"@uhllibraries": None, "@alderheylib": None, "@nuhlibrary": None,
                        "@rchtlibrary": None, "@sthlibrary": "721682332779300977",
                        "@lthtlibrary": "2837462"}  # (pandas wrote it as a float)


def test_an_x_reference_a_spreadsheet_spoiled_is_left_out(sqlite_db, tmp_path: Path
                                                          ) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import stored_posts as stored

    path = tmp_path / "posts.csv"
    path.write_text(
        "platform,id,author_handle,created_at,text,kind,referenced_id\r\n"
        "x,1190174010209574999,@UHLLibraries,2019-11-05 09:30,Yes! #KNOWvember19,reply,"
        "1.19017E+18\r\n", encoding="utf-8")
    record = run_import(sqlite_db, "csv", path)
    assert (record.status, record.new) == ("ok", 1), record.error
    post = stored(sqlite_db)["1190174010209574999"]
    assert (post.kind, post.referenced_id) == ("reply", None)


def test_a_twarc_csv_export_given_to_import_twarc2_names_the_jsonl(
        sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """It pointed at `import tags` and `import csv`, which both point back at twarc2."""
    path = tmp_path / "knowvember19.csv"
    path.write_text(
        "id,conversation_id,referenced_tweets.replied_to.id,author_id,created_at,text,"
        "public_metrics.like_count,author.username\r\n"
        "1190174010209574913,1190174010209574913,,42,2019-11-01T08:02:03.000Z,"
        "Peer assist #KNOWvember19,3,UHLLibraries\r\n", encoding="utf-8")
    record = run_import(sqlite_db, "twarc2", path)
    assert record.status == "failed"
    assert "twarc-csv's CSV export of a twarc2 archive" in record.error, record.error
    assert "import the JSONL it was made from" in record.error
