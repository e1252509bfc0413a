"""`knowvember demo` end to end: a fresh campaign folder, the sample imported through the real
importers and story import, reviews applied, the full report written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowvember.cli.demo import DEMO_MARKER, REVIEWER


def _scalar(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def _rows(engine: sa.Engine, sql: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {str(k): int(v) for k, v in conn.execute(sa.text(sql))}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from knowvember.cli import app

    base = tmp_path_factory.mktemp("demo")
    folder = base / "knowvember-demo"
    # A database the environment points at (a real campaign's) must never be touched.
    elsewhere = base / "real-campaign.db"
    result = CliRunner().invoke(app, ["demo", "--out", str(folder), "--posts", "800",
                                      "--format", "json"], catch_exceptions=False,
                                env={"KNOWVEMBER_DATABASE_URL": f"sqlite:///{elsewhere}"})
    assert not elsewhere.exists()
    return folder, result


@pytest.mark.slow
def test_demo_succeeds_and_says_where_everything_is(demo_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = demo_run
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert Path(data["config"]) == folder / "campaign.toml"
    assert Path(data["database"]).is_file()
    assert (folder / DEMO_MARKER).is_file()
    labels = " ".join(data["reports"])
    for kind in ("HTML", "PDF", "Markdown", "XLSX", "Organisation pages"):
        assert kind in labels, kind
    for path in map(Path, data["reports"].values()):
        assert path.exists(), path
        if path.is_file():
            assert path.stat().st_size > 0, path
    assert (folder / "report" / "orgs" / "index.html").stat().st_size > 0
    assert len(list((folder / "report" / "orgs").glob("*.html"))) > 10
    assert data["seconds"]["total"] < 60


@pytest.mark.slow
def test_demo_database_holds_exactly_what_the_sample_wrote(demo_run) -> None:  # type: ignore[no-untyped-def]
    folder, result = demo_run
    manifest = json.loads((folder / "sample" / "manifest.json").read_text(encoding="utf-8"))
    engine = sa.create_engine(f"sqlite:///{folder / 'knowvember.db'}")
    try:
        by_platform = _rows(engine, "SELECT platform, count(*) FROM posts GROUP BY platform")
        expected = {name: stats["campaign_posts"]
                    for name, stats in manifest["platforms"].items()}
        assert by_platform == expected
        data = json.loads(result.stdout)
        skipped = sum(run["skipped"] for run in data["imports"])
        mastodon = manifest["platforms"]["mastodon"]
        # Each instance's copy of an off-campaign status is skipped by its own import run.
        noise_copies = (skipped - manifest["platforms"]["x"]["off_campaign"]
                        - manifest["platforms"]["bluesky"]["off_campaign"])
        assert noise_copies >= mastodon["off_campaign"]
        assert all(run["status"] == "ok" for run in data["imports"])
        assert _scalar(engine, "SELECT count(*) FROM runs") == len(data["imports"])

        statuses = _rows(engine, "SELECT status, count(*) FROM stories GROUP BY status")
        decisions = manifest["stories"]["decisions"]
        assert statuses == {k: v for k, v in {
            "approved": decisions.get("approve", 0),
            "rejected": decisions.get("reject", 0),
            "changes_requested": decisions.get("request_changes", 0),
            "submitted": decisions.get("none", 0)}.items() if v}
        reviewers = _rows(engine, "SELECT reviewer, count(*) FROM story_events "
                          "WHERE reviewer IS NOT NULL GROUP BY reviewer")
        assert reviewers.get(REVIEWER) == sum(v for k, v in decisions.items() if k != "none")

        config_mapped = _scalar(engine, "SELECT count(*) FROM accounts "
                                "WHERE attribution = 'config'")
        assert config_mapped >= 2  # the national team and the law firm, from campaign.toml
        assert _scalar(engine, "SELECT count(*) FROM post_techniques") > 0
    finally:
        engine.dispose()


def test_demo_replaces_an_earlier_demo_but_not_other_folders(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from knowvember.cli.demo import _prepare_demo_folder

    folder = tmp_path / "demo"
    _prepare_demo_folder(folder)
    (folder / "knowvember.db").write_bytes(b"old")
    (folder / "report").mkdir()
    _prepare_demo_folder(folder)
    assert not (folder / "knowvember.db").exists() and not (folder / "report").exists()

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    result = cli("demo", "--out", str(mine), "--posts", "50")
    assert result.exit_code == 2
    assert "holds no earlier demo" in " ".join(result.stderr.split())
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("posts", ["0", "3"])
def test_demo_with_very_few_posts_succeeds(cli, tmp_path: Path, posts: str) -> None:  # type: ignore[no-untyped-def]
    """`demo --posts 0` (the option allows it) failed with exit 4: the sample wrote empty
    platform files, which `import` rightly refuses."""
    result = cli("demo", "--out", str(tmp_path / "demo"), "--posts", posts, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert all(run["status"] == "ok" for run in data["imports"])
    assert sum(run["fetched"] for run in data["imports"]) >= int(posts)
    assert data["stories"]["imported"] > 0 and Path(data["reports"]["HTML report"]).exists()
