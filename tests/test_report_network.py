"""Connections between organisations and the all-posts CSV, on SQLite and PostgreSQL (their
SQL differs: json_each / unnest, group_concat / rows, strftime / to_char)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from reports.dataset import load_campaign_data
from reports.network import build_connections, write_graph_files
from reports.posts_csv import COLUMNS, job_for, make_job, write_posts_csv
from reports.scope import excluded_account_ids
from tests.test_report_world import World, make_settings, open_world


@pytest.fixture
def world(campaign_dir: Path, db_url: str) -> Iterator[World]:
    yield from open_world(make_settings(campaign_dir), db_url)


def _connections(world: World):  # type: ignore[no-untyped-def]
    data = load_campaign_data(world.db, world.settings)
    with world.db.begin() as conn:
        return build_connections(conn, data, excluded_account_ids(conn, world.settings))


def test_links_between_organisations(world: World) -> None:
    c = _connections(world)
    edges = {(u, v): d for u, v, d in c.graph.edges(data=True)}
    # p2 replies to and mentions a3, p4 reposts a3: RWE -> R0A three times.
    assert edges[("RWE", "R0A")] == {"replies": 1, "reposts": 1, "quotes": 0,
                                          "mentions": 1, "weight": 3}
    assert edges[("R0A", "RWE")]["mentions"] == 1  # p3 mentions @uhl_lib
    assert edges[("SCHOOLS", "RWE")]["mentions"] == 1  # out of scope, still a connection
    # Not links: p1 mentions the opted-out @optout; p5 names an X handle in a Mastodon
    # post; p7's author is unattributed; p9's author opted out.
    assert set(edges) == {("RWE", "R0A"), ("R0A", "RWE"), ("SCHOOLS", "RWE")}
    assert c.interactions == 5
    assert c.internal == 2  # p6 quotes its own author's p5; p12 mentions its own author
    assert c.links[0] == {"a": "R0A", "a_name": c.links[0]["a_name"], "b": "RWE",
                          "b_name": c.links[0]["b_name"], "replies": 1, "reposts": 1,
                          "quotes": 0, "mentions": 2, "weight": 4}
    assert c.graph.nodes["SCHOOLS"]["out_of_scope"] is True


def test_graph_files_open_in_networkx(world: World, tmp_path: Path) -> None:
    files = write_graph_files(_connections(world), tmp_path)
    for path in files.values():
        assert path.stat().st_size > 0
    gexf = nx.read_gexf(tmp_path / "connections.gexf")
    assert gexf.edges["RWE", "R0A"]["weight"] == 3
    graphml = nx.read_graphml(tmp_path / "connections.graphml")
    assert graphml.nodes["UNI-LIB" if "UNI-LIB" in graphml else "RWE"]["label"]


def test_posts_csv_holds_every_counted_post(world: World, tmp_path: Path) -> None:
    data = load_campaign_data(world.db, world.settings)
    path = tmp_path / "posts.csv"
    with world.db.begin() as conn:
        job = make_job(conn, data, path, excluded_account_ids(conn, world.settings))
        assert write_posts_csv(conn, job) == 10
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    by_id = {r["platform_id"]: r for r in rows}
    assert set(by_id) == {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p12", "p13"}
    assert by_id["p1"] == by_id["p1"] | {"created_at_utc": "2019-11-01T09:00:00Z",
                                         "account": "x:@uhl_lib", "organisation_code": "RWE",
                                         "kind": "original", "engagement": "8"}
    assert by_id["p7"]["organisation_code"] == ""
    assert by_id["p8"]["text"].startswith("<script>")  # stored as written, not a formula


def test_the_export_can_be_made_as_soon_as_the_accounts_are_read(
        world: World, tmp_path: Path) -> None:
    """The report starts posts.csv before reading the posts: the job made then (posts
    counted by SQL, organisations as resolved for the accounts) is the job made after."""
    seen = []

    def accounts_read(conn, campaign, period, directory, excluded):  # type: ignore[no-untyped-def]
        seen.append(job_for(conn, campaign, period, directory, tmp_path / "posts.csv",
                            excluded))

    data = load_campaign_data(world.db, world.settings, accounts_read=accounts_read)
    with world.db.begin() as conn:
        after = make_job(conn, data, tmp_path / "posts.csv",
                         excluded_account_ids(conn, world.settings))
    assert seen == [after]


def test_posts_csv_from_a_database_it_cannot_write_to(world: World, tmp_path: Path) -> None:
    """A read-only SQLite file, a read-only PostgreSQL transaction (a replica, a role without
    TEMP): the export writes nothing to the database, so it works on both."""
    import sqlite3

    import sqlalchemy as sa

    data = load_campaign_data(world.db, world.settings)
    with world.db.begin() as conn:
        excluded = excluded_account_ids(conn, world.settings)
        assert write_posts_csv(conn, make_job(conn, data, tmp_path / "a.csv", excluded)) == 10
        job = make_job(conn, data, tmp_path / "b.csv", excluded)
    engine = world.db.engine
    if engine.dialect.name == "sqlite":
        file = engine.url.database
        engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(
            f"file:{file}?mode=ro", uri=True))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            with pytest.raises(sa.exc.OperationalError, match="readonly"):
                conn.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
        assert write_posts_csv(conn, job) == 10
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()


def test_posts_csv_neutralises_formulas(world: World, tmp_path: Path) -> None:
    import sqlalchemy as sa

    with world.db.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET text = :t WHERE platform_id = 'p7'"),
                     {"t": "=HYPERLINK(\"http://evil\") #KNOWvember19"})
        conn.execute(sa.text("UPDATE posts SET text = :t WHERE platform_id = 'p5'"),
                     {"t": "\tTabbed #KNOWvember"})
    data = load_campaign_data(world.db, world.settings)
    path = tmp_path / "posts.csv"
    with world.db.begin() as conn:
        write_posts_csv(conn, make_job(conn, data, path, set()))
    with path.open(newline="", encoding="utf-8") as handle:
        texts = {r["platform_id"]: r["text"] for r in csv.DictReader(handle)}
    assert texts["p7"] == "'=HYPERLINK(\"http://evil\") #KNOWvember19"
    assert texts["p5"] == "'\tTabbed #KNOWvember"
    assert "p9" in texts  # no opt-outs passed: the job decides, not the query


def test_sqlite_looks_mentioned_accounts_up_by_handle(campaign_dir: Path) -> None:
    """Without table statistics SQLite once chose to try every account against every handle
    (minutes at 1,000,000 posts); the plan must use the (platform, handle) index."""
    import sqlalchemy as sa

    from reports.network import _binds, _window, mention_sql

    url = f"sqlite:///{campaign_dir / 'knowvember.db'}"
    for w in open_world(make_settings(campaign_dir), url):
        data = load_campaign_data(w.db, w.settings)
        with w.db.begin() as conn:
            plan = " ".join(str(row[-1]) for row in conn.execute(
                sa.text("EXPLAIN QUERY PLAN " + mention_sql(conn, data)).bindparams(*_binds()),
                _window(data)))
        assert "ix_accounts_platform_handle (platform=? AND handle=?)" in plan, plan
