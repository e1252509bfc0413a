"""posts.csv: every post of the period, written by a separate process while the report runs.

At 1,000,000 posts the file takes several seconds of mostly Python work (a million rows
through the csv writer), which would otherwise come on top of everything else. It needs
nothing the rest of the report computes, so `start_export` runs it as its own process
(`python -m reports.posts_csv`, the job on stdin: the database URL may hold a password,
and a command line is visible to every user of the machine) on the machine's other core.

Each text cell passes through SQL that does what `reports.cells.safe_cell` does, so a
million cells cost no Python (only a text with an `@` in it is looked at again, for an email
address to remove); the organisation is the one reports use (a merged trust's
successor). Times are UTC. Ids are text in the file; a spreadsheet that opens it should
import the `platform_id` column as text (the workbook already does).

The file starts with a UTF-8 byte order mark: Excel on Windows, opening a CSV by a double
click, reads it as the ANSI code page without one, so "Zoë" and "café" came out as "ZoÃ«"
and "cafÃ©". LibreOffice, Python's `utf-8-sig` and the importers here read it as UTF-8.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from knowvember.models import Post
from reports.cells import _FORMULA_STARTS
from reports.choices import MAX_COUNT
from reports.redact import UNLISTED_NAME, redact_emails

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Connection

    from reports.dataset import CampaignData
    from reports.period import CampaignRow, Period
    from reports.scope import Directory

posts_t = Post.__table__
# With a byte order mark, for Excel (see the module's docstring).
ENCODING = "utf-8-sig"
COLUMNS = ("platform", "platform_id", "url", "created_at_utc", "account", "organisation_code",
           "kind", "likes", "reposts", "replies", "quotes", "engagement", "text")


@dataclass(frozen=True)
class CsvJob:
    """Everything the export needs, as plain values (it crosses a process boundary)."""

    url: str
    campaign_id: int
    start: str  # ISO 8601, UTC
    end: str
    path: str
    excluded: tuple[int, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)  # organisation code -> successor
    full_scan: bool = False
    # Accounts that asked not to be shown publicly (`reports.scope.asks_unlisted`): their
    # rows keep the numbers, without the account, the post's id, link and text.
    unlisted: tuple[int, ...] = ()
    # The X handles the excluded and unlisted accounts have had: another account's retweet
    # of one of their posts is a copy of their words (`copies_sql`).
    copied_x_handles: tuple[str, ...] = ()


def make_job(conn: Connection, data: CampaignData, path: Path, excluded: set[int]) -> CsvJob:
    return job_for(conn, data.campaign, data.period, data.directory, path, excluded,
                   posts=len(data.frame))


def job_for(conn: Connection, campaign: CampaignRow, period: Period, directory: Directory,
            path: Path, excluded: set[int], *, posts: int | None = None) -> CsvJob:
    """The export of `period`'s posts, once the accounts' organisations are resolved in
    `directory` (the report starts it then, before reading the posts); `posts`, the
    period's post count, is counted when not given."""
    from reports.network import scan_hint_for
    from reports.scope import unlisted_account_ids

    start, end = period.window_utc()
    renamed = {raw: info.code for raw, info in directory.resolved().items()
               if info is not None and info.code != raw}
    if posts is None:
        from reports.frame import period_filter

        posts = conn.execute(sa.select(sa.func.count()).select_from(posts_t).where(
            *period_filter(campaign.id, start, end))).scalar() or 0
    unlisted = unlisted_account_ids(conn)
    return CsvJob(
        url=conn.engine.url.render_as_string(hide_password=False),
        campaign_id=campaign.id, start=start.isoformat(), end=end.isoformat(),
        path=str(path), excluded=tuple(sorted(excluded)), renamed=renamed,
        full_scan=scan_hint_for(conn, posts) == "NOT INDEXED",
        unlisted=tuple(sorted(unlisted)),
        copied_x_handles=x_handles(conn, excluded | unlisted),
    )


def x_handles(conn: Connection, account_ids: set[int]) -> tuple[str, ...]:
    """The X handles of these accounts, now and before a rename, lower case and without
    the `@`: what an X retweet of their posts starts with ("RT @handle: ...")."""
    from knowvember.db import IN_CHUNK
    from knowvember.models import Account

    if not account_ids:
        return ()
    ids = sorted(account_ids)
    accounts = Account.__table__.c
    handles: set[str] = set()
    for start in range(0, len(ids), IN_CHUNK):
        for handle, former in conn.execute(
                sa.select(accounts.handle, accounts.former_handles).where(
                    accounts.id.in_(ids[start:start + IN_CHUNK]), accounts.platform == "x")):
            handles.update(h.lstrip("@").lower() for h in [handle, *(former or [])]
                           if isinstance(h, str) and h.strip("@"))
    return tuple(sorted(handles))


def copies_sql(job: CsvJob) -> tuple[str, dict[str, Any]]:
    """SQL true where the post `p` is another account's repost of a post of an opted-out
    account, or of one that asked not to be shown publicly, and its parameters: such a
    repost's text is left out.

    A repost is a copy of its original's text ("RT @optedout: ..." on X; a Mastodon boost
    or a Bluesky repost carries the original's words), so posts.csv printed an opted-out
    person's post, name and all, on the row of whoever reposted it; `forget` reads such a
    repost as the person's words too. The original is found among their stored posts, or,
    for an X retweet whose original is not stored, by the "RT @handle:" it starts with.
    """
    theirs = sorted({*job.excluded, *job.unlisted})
    if not theirs:
        return "1 = 0", {}
    ids = ", ".join(str(int(i)) for i in theirs)
    # Their posts are read once (not per row: no correlation), through the account index.
    # IS NOT NULL first: a NULL made the whole test NULL, and the text of every repost
    # without a reference was left out.
    found = ["(p.referenced_id IS NOT NULL AND p.referenced_id IN (SELECT o.platform_id "
             f"FROM posts AS o WHERE o.account_id IN ({ids})))"]
    params: dict[str, Any] = {}
    for i, handle in enumerate(job.copied_x_handles):
        escaped = handle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found.append(f"(p.platform = 'x' AND p.text IS NOT NULL "
                     f"AND lower(p.text) LIKE :retweet_{i} ESCAPE '\\')")
        params[f"retweet_{i}"] = f"rt @{escaped}:%"
    return f"(p.kind = 'repost' AND ({' OR '.join(found)}))", params


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def safe_text_sql(column: str, dialect: str) -> str:
    """SQL doing what `reports.cells.safe_cell` does to a text column."""
    char = "char" if dialect == "sqlite" else "chr"
    starts = ", ".join(_quote(ch) if ch.isprintable() else f"{char}({ord(ch)})"
                       for ch in _FORMULA_STARTS)
    return (f"CASE WHEN substr({column}, 1, 1) IN ({starts}) "
            f"THEN {_quote(chr(39))} || {column} ELSE {column} END")


def _organisation_sql(job: CsvJob) -> str:
    code = "upper(trim(a.organisation_code))"
    if not job.renamed:
        return code
    cases = " ".join(f"WHEN {_quote(raw)} THEN {_quote(new)}"
                     for raw, new in sorted(job.renamed.items()))
    return f"CASE {code} {cases} ELSE {code} END"


_ACCOUNT_CELLS = "csv_account_cells"


def _shown_sql(job: CsvJob, column: str) -> str:
    """SQL true where the account in `column` may be shown (not in `job.unlisted`)."""
    if not job.unlisted:
        return "1 = 1"
    ids = ", ".join(str(int(i)) for i in job.unlisted)
    return f"({column} IS NULL OR {column} NOT IN ({ids}))"


def write_posts_csv(conn: Connection, job: CsvJob) -> int:
    """Write the file; returns the number of posts in it."""
    from knowvember.models import UtcDateTime

    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        created = "replace(substr(p.created_at, 1, 19), ' ', 'T') || 'Z'"
    else:
        created = """to_char(p.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    not_excluded = ""
    if job.excluded:
        not_excluded = ("AND (p.account_id IS NULL OR p.account_id NOT IN ("
                        + ", ".join(str(int(i)) for i in job.excluded) + "))")
    hint = "NOT INDEXED" if sqlite and job.full_scan else ""
    # Four counts of 2**63 - 1 (a damaged archive) add up past bigint: SQLite gives a REAL,
    # PostgreSQL an error that lost the whole export, so there each count is capped as the
    # report caps it (`reports.choices.MAX_COUNT`).
    engagement = "p.likes + p.reposts + p.replies + p.quotes" if sqlite else " + ".join(
        f"LEAST(p.{count}, {MAX_COUNT})" for count in ("likes", "reposts", "replies", "quotes"))
    # A repost carries its original's counts, which the report does not count again: its
    # engagement cell is empty, so the column adds up to the report's engagement.
    engagement = f"CASE WHEN p.kind = 'repost' THEN NULL ELSE {engagement} END"
    # Each account's two cells, made once per account rather than once per post (at
    # 1,000,000 posts from a few thousand accounts that took a third of the export). SQLite
    # would compute a subquery's cells per post again, so they go into a temporary table
    # keyed by id; PostgreSQL joins the subquery by hash, and needs no table (a read-only
    # replica or a role without TEMP can still export).
    shown = _shown_sql(job, "p.account_id")
    copies, copies_params = copies_sql(job)
    binds = [sa.bindparam("lo", type_=UtcDateTime()), sa.bindparam("hi", type_=UtcDateTime())]
    per_account = (f"SELECT a.id AS id, CASE WHEN {_shown_sql(job, 'a.id')} THEN "
                   f"a.platform || ':' || a.handle ELSE {_quote(UNLISTED_NAME)} END AS account, "
                   f"{_organisation_sql(job)} AS organisation FROM accounts AS a")
    if sqlite:
        cells = f"temp.{_ACCOUNT_CELLS}"
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {cells}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_ACCOUNT_CELLS} ("
                             "id INTEGER PRIMARY KEY, account TEXT, organisation TEXT)")
        conn.exec_driver_sql(f"INSERT INTO {cells} (id, account, organisation) {per_account}")
    else:
        cells = f"({per_account})"
    sql = sa.text(f"""
        SELECT p.platform, CASE WHEN {shown} THEN p.platform_id END,
               CASE WHEN {shown} THEN p.url END, {created}, a.account, a.organisation,
               p.kind, p.likes, p.reposts, p.replies, p.quotes,
               {engagement},
               CASE WHEN {shown} AND NOT {copies}
                    THEN {safe_text_sql("p.text", conn.dialect.name)} END
        FROM posts AS p {hint}
        LEFT JOIN {cells} AS a ON a.id = p.account_id
        WHERE p.campaign_id = :campaign AND p.created_at >= :lo AND p.created_at < :hi
              {not_excluded}
        ORDER BY p.id""").bindparams(*binds)
    params = {"campaign": job.campaign_id, "lo": dt.datetime.fromisoformat(job.start),
              "hi": dt.datetime.fromisoformat(job.end), **copies_params}
    path = Path(job.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", newline="", encoding=ENCODING) as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        if sqlite:
            # Rows straight from the driver's cursor to the writer (SQLite reads lazily).
            result = conn.execute(sql, params)
            while batch := result.cursor.fetchmany(20_000):
                writer.writerows(_without_emails(batch))
                n += len(batch)
            result.close()
        else:  # a server-side cursor, through SQLAlchemy (it reads ahead of the cursor)
            result = conn.execution_options(stream_results=True).execute(sql, params)
            for partition in result.partitions(20_000):
                writer.writerows(_without_emails(partition))
                n += len(partition)
    return n


def _without_emails(rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The rows with any email address in their text (the last cell) removed.

    SQL cannot find an address the way `reports.redact` does on every database, so this is
    the one Python step per row; rows without an `@` (most) pass as they are.
    """
    return [row if "@" not in (row[-1] or "") else (*row[:-1], redact_emails(row[-1]))
            for row in rows]


def run_job(job: CsvJob) -> int:
    from knowvember.db import create_db_engine

    engine = create_db_engine(job.url)
    try:
        with engine.connect() as conn:
            return write_posts_csv(conn, job)
    finally:
        engine.dispose()


class Export:
    """A running export process; `wait()` returns the rows written or raises."""

    def __init__(self, job: CsvJob) -> None:
        self.job = job
        # stderr to a file, not a pipe nobody reads until the end (a full pipe would block)
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reports.posts_csv"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._errors, text=True)
        assert self.process.stdin is not None
        with self.process.stdin as stdin:
            stdin.write(json.dumps(asdict(self.job)))

    def wait(self) -> int:
        from knowvember.errors import KnowvemberError

        assert self.process.stdout is not None
        with self.process.stdout as stdout:
            out = stdout.read()
        code = self.process.wait()
        if code != 0:
            self._errors.seek(0)
            last = (self._errors.read().strip().splitlines() or ["no message"])[-1]
            raise KnowvemberError(f"writing posts.csv failed: {last}")
        return int(json.loads(out)["rows"])

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._errors.close()


def start_export(job: CsvJob) -> Export:
    return Export(job)


def main(argv: list[str] | None = None) -> int:
    payload: dict[str, Any] = json.loads(sys.stdin.read())
    payload["excluded"] = tuple(payload.get("excluded", ()))
    for key in ("unlisted", "copied_x_handles"):
        payload[key] = tuple(payload.get(key, ()))
    rows = run_job(CsvJob(**payload))
    sys.stdout.write(json.dumps({"rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
