"""The run log: every collection and import is recorded, started and finished.

A run is written as `running` before any work, and finished with its counts and status, so a
run killed half-way still shows up (as `running` with no finish time, reported as failed).
Its counts are brought up to date as its batches commit (`save_counts`, every few seconds), so
a killed run's record still says what it stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowvember.db import Database
from knowvember.models import Run, utcnow

runs_t = Run.__table__

STATUSES = ("ok", "partial", "failed")
# The details key counting, of a run's `skipped`, the posts of accounts opted out of
# collection or erased with `forget` (the rest had no campaign hashtag).
SKIPPED_OPTED_OUT = "skipped_opted_out"


@dataclass
class RunRecord:
    """A run as `collect`, `import` and `runs` print it (`--format json`)."""

    source: str
    status: str = "running"
    started_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    skipped: int = 0
    requests: int = 0
    posts_read: int = 0
    estimated_cost: float = 0.0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at"):
            value = data[key]
            data[key] = value.isoformat().replace("+00:00", "Z") if value else None
        data["estimated_cost"] = round(self.estimated_cost, 4)
        return data

    @property
    def off_campaign(self) -> int:
        """Of `skipped`, the posts left out for having no campaign hashtag."""
        return self.skipped - int(self.details.get(SKIPPED_OPTED_OUT, 0))

    def add_warning(self, message: str) -> None:
        self.details.setdefault("warnings", []).append(message)


def start_run(db: Database, record: RunRecord) -> RunRecord:
    with db.begin() as conn:
        result = conn.execute(
            runs_t.insert().values(
                campaign_id=db.campaign_id,
                source=record.source,
                started_at=record.started_at,
                status="running",
                details=record.details,
            )
        )
        record.id = int(result.inserted_primary_key[0])
    return record


def add_reads(db: Database, record: RunRecord, posts: int) -> None:
    """Count `posts` read (X bills each one) in the run's row now, not only when it finishes:
    a run killed half-way must still count against the month's read budget."""
    record.posts_read += posts
    with db.begin() as conn:
        conn.execute(runs_t.update().where(runs_t.c.id == record.id)
                     .values(posts_read=record.posts_read))


def save_counts(conn: Connection, record: RunRecord, *, fetched: int = 0, new: int = 0,
                updated: int = 0, skipped: int = 0) -> None:
    """Write the run's counts so far, plus those given (a batch's, in the transaction that
    stores it), leaving it `running`: a run killed later still says what it stored. The
    record itself is not changed, so a transaction that fails changes nothing."""
    conn.execute(runs_t.update().where(runs_t.c.id == record.id).values(
        fetched=record.fetched + fetched, new=record.new + new,
        updated=record.updated + updated, skipped=record.skipped + skipped))


def finish_run(db: Database, record: RunRecord, status: str | None = None) -> RunRecord:
    """Write the run's final counts and status (ok unless an error says otherwise)."""
    if status is not None:
        record.status = status
    elif record.status == "running":
        record.status = "failed" if record.error else "ok"
    record.finished_at = utcnow()
    values = {k: v for k, v in asdict(record).items() if k not in ("id", "source")}
    with db.begin() as conn:
        conn.execute(runs_t.update().where(runs_t.c.id == record.id).values(**values))
    return record


def list_runs(db: Database, *, source: str | None = None, limit: int | None = None
              ) -> list[RunRecord]:
    query = (
        sa.select(runs_t)
        .where(runs_t.c.campaign_id == db.campaign_id)
        .order_by(runs_t.c.started_at.desc(), runs_t.c.id.desc())
    )
    if source:
        query = query.where(runs_t.c.source == source)
    if limit:
        query = query.limit(limit)
    with db.begin() as conn:
        rows = conn.execute(query).mappings().all()
    records = []
    # Newest first: a source seen already has a later run, which could only start once it
    # held the source's run lock, so an unfinished run before it is not running any more.
    # It was shown as `running` "(killed or still running)" for the rest of the campaign.
    later: dict[str, int] = {}
    for row in rows:
        status = row["status"]
        error = row["error"]
        if status == "running" and row["finished_at"] is None:
            if row["source"] in later:
                status = "failed"
                error = error or (f"the run was killed before it finished (run "
                                  f"#{later[row['source']]} of {row['source']} started after "
                                  "it); what it stored is kept")
            else:
                error = error or "the run did not finish (killed or still running)"
        later[row["source"]] = row["id"]
        records.append(
            RunRecord(
                id=row["id"], source=row["source"], status=status,
                started_at=row["started_at"], finished_at=row["finished_at"],
                fetched=row["fetched"], new=row["new"], updated=row["updated"],
                skipped=row["skipped"], requests=row["requests"], posts_read=row["posts_read"],
                estimated_cost=row["estimated_cost"], error=error, details=row["details"] or {},
            )
        )
    return records
