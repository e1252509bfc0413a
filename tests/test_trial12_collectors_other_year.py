"""Importing another year's archive says so: `#KNOWvember` (a tag of every year) matched
its posts, the run said "ok, N new" and nothing else, and no report counted them."""

from __future__ import annotations

from pathlib import Path

from tests.test_import_files import run_import

HEADER = "platform,id,author_handle,created_at,text\n"


def _import(db, path: Path, rows: str):  # type: ignore[no-untyped-def]
    path.write_text(HEADER + rows, encoding="utf-8")
    (run,) = run_import(db, "csv", path).runs
    return run


def test_a_file_of_last_years_posts_is_named_as_such(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _import(db, tmp_path / "TAGS KNOWvember18.csv", (
        "x,1058672311587880001,@UHLLibraries,2018-11-05 09:30,Journal club #KNOWvember\n"
        "x,1058672311587880002,@UHLLibraries,2018-11-28 09:30,Knowledge harvest "
        "#KNOWvember18 #KNOWvember\n"))
    assert run.status == "ok" and run.new == 2
    assert run.details["warnings"] == [
        "every post in the file is dated 05 Nov 2018 to 28 Nov 2018, outside the campaign "
        "(01 Nov 2019 to 30 Nov 2019): another year's archive? Its 2 new post(s) are "
        "stored, but a report counts them only with --since and --until around those dates"]
    # A file reaching into the campaign (a teaser the day before) is this year's.
    run = _import(db, tmp_path / "TAGS KNOWvember19.csv", (
        "x,1189672311587880001,@UHLLibraries,2019-10-31 09:30,Coming soon #KNOWvember\n"
        "x,1191672311587880002,@UHLLibraries,2019-11-01 00:30,Day one #KNOWvember19\n"))
    assert run.status == "ok" and run.new == 2
    assert not run.details.get("warnings")


def test_a_file_with_no_campaign_post_names_the_campaigns_hashtags(db, tmp_path: Path
                                                                   ) -> None:  # type: ignore[no-untyped-def]
    # Last November's archive, imported into the campaign `init` made for the coming one:
    # every post was "skipped off-campaign", exit 0, and nothing said why.
    run = _import(db, tmp_path / "TAGS KNOWvember18.csv", (
        "x,1058672311587880001,@UHLLibraries,2018-11-05 09:30,Journal club #KNOWvember18\n"
        "x,1058672311587880002,@UHLLibraries,2018-11-28 09:30,Harvest #KNOWvember2018\n"))
    assert run.status == "ok" and run.new == 0 and run.skipped == 2
    assert run.details["warnings"] == [
        "none of the file's 2 post(s) has a campaign hashtag (#KNOWvember2019, #KNOWvember19, "
        "#KNOWvember, #Knowvmber19) or answers a campaign post: is the file this campaign's, "
        "and are [campaign] hashtags its year's?"]
