"""`knowvember sample` and `knowvember demo`: the tool end to end with no API keys.

`sample` writes a made-up campaign in the platforms' real payload shapes. `demo` makes a fresh
campaign folder, imports that sample through the same importers and story import a real
campaign uses, reviews some stories as a coordinator would, and writes the full report. It
wires collectors, the core and reports together, so (like every command) it lives in the CLI
layer; `run_demo` is callable from Python without typer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from knowvember.cli.common import TableOrJson, emit_json, err_console, handled

if TYPE_CHECKING:
    from knowvember.sample import Sample, SampleSpec

DEFAULT_DEMO_DIR = Path("knowvember-demo")
DEMO_MARKER = ".knowvember-demo"
REVIEWER = "Demo coordinator"
SAMPLE_DIR = "sample"
REPORT_DIR = "report"


def register(app: typer.Typer) -> None:
    app.command("sample")(sample)
    app.command("demo")(demo)


def _spec(posts: int, year: int, seed: int, split: str | None) -> SampleSpec:
    from knowvember.errors import InputError
    from knowvember.sample import SampleSpec, parse_shares

    try:
        shares = parse_shares(split) if split else {}
        return SampleSpec(posts=posts, year=year, seed=seed, shares=shares)
    except ValueError as exc:
        raise InputError(str(exc)) from None


_POSTS = typer.Option(3000, "--posts", min=0, help="How many posts to generate (all "
                      "platforms together; 1,000,000 takes well under a minute).")
_YEAR = typer.Option(2025, "--year", help="The KNOWvember to imitate (hashtags, dates; X only "
                     "before 2022).")
_SEED = typer.Option(1, "--seed", help="Random seed: the same seed and size give the same "
                     "files, byte for byte.")
_SPLIT = typer.Option(None, "--split", metavar="x=70,mastodon=15,bluesky=15",
                      help="Share of posts per platform (default depends on the year).")


@handled
def sample(
    out: Path = typer.Option(..., "--out", help="Folder to write the sample into (created; "
                             "an earlier sample there is replaced)."),
    posts: int = _POSTS,
    year: int = _YEAR,
    seed: int = _SEED,
    split: str | None = _SPLIT,
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json."),
) -> None:
    """Write a realistic sample campaign: X (twarc2), Mastodon, Bluesky pages, stories CSV.

    The files have the platforms' real shapes, so `knowvember import` reads them as it reads
    real archives; campaign.toml in the folder matches them.
    """
    from knowvember.sample import generate_sample

    spec = _spec(posts, year, seed, split)
    if spec.posts >= 100_000:
        err_console().print(f"Generating {spec.posts:,} posts in {out} ...", markup=False)
    started = time.perf_counter()
    result = generate_sample(out, spec)
    seconds = time.perf_counter() - started
    if format is TableOrJson.json:
        emit_json({"folder": str(out), "seconds": round(seconds, 2),
                   "files": [str(p) for p in result.files()], "manifest": result.manifest()})
        return
    _print_sample(result, seconds)


def _print_sample(result: Sample, seconds: float) -> None:
    console = err_console()
    stats = result.stats
    split = ", ".join(f"{s.posts:,} {name}" for name, s in stats.items())
    console.print(f"Wrote {result.spec.posts:,} posts ({split}) and {len(result.stories)} "
                  f"stories for {result.campaign.name} in {seconds:.1f} s:", markup=False)
    for path in result.files():
        typer.echo(str(path))
    folder = result.folder
    lines = [f"knowvember --config {folder / 'campaign.toml'} import twarc2 "
             f"{folder / 'x_search.jsonl'}"] if result.x_file else []
    if result.mastodon_files:
        lines.append(f"knowvember --config {folder / 'campaign.toml'} import mastodon "
                     f"{folder}/mastodon_*.jsonl")
    if result.bluesky_files:
        lines.append(f"knowvember --config {folder / 'campaign.toml'} import bluesky "
                     f"{folder / 'bluesky_search.jsonl'}")
    lines.append(f"knowvember --config {folder / 'campaign.toml'} stories import "
                 f"{folder / 'stories.csv'}")
    prefix = _own_database_prefix()
    console.print("Import it with:", markup=False)
    for line in lines:
        console.print("  " + prefix + line, markup=False, soft_wrap=True)
    if prefix:
        console.print(_env_note("the sample"), markup=False)


# `$KNOWVEMBER_DATABASE_URL` overrides every config's `[database] url`: a coordinator who
# exported it for the real campaign (as the README's PostgreSQL set-up does) and ran the
# commands `sample` and `demo` suggest imported made-up posts and accounts, with real NHS
# library handles, into the shared campaign database. Emptied for one command, it is unset.
_ENV_NOTE = ("Note: ${env} is set in this shell, so without the `{env}=` in front these "
             "commands would read and write that database instead of {what}'s own.")


def _env_note(what: str) -> str:
    from knowvember.config import ENV_DATABASE_URL

    return _ENV_NOTE.format(env=ENV_DATABASE_URL, what=what)


def _own_database_prefix() -> str:
    """`KNOWVEMBER_DATABASE_URL= ` when the variable is set, to put before a suggested
    command so it uses the folder's own database; else ""."""
    from knowvember.config import ENV_DATABASE_URL

    return f"{ENV_DATABASE_URL}= " if os.environ.get(ENV_DATABASE_URL) else ""


# -- the demo -----------------------------------------------------------------------------


@dataclass
class DemoResult:
    """Where everything went and what it counted."""

    folder: Path
    config: Path
    database: Path
    sample: Sample
    imports: list[dict[str, Any]] = field(default_factory=list)
    stories: dict[str, int] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)  # label -> file or folder
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder), "config": str(self.config),
            "database": str(self.database), "sample": str(self.sample.folder),
            "imports": self.imports, "stories": self.stories,
            "reports": {label: str(path) for label, path in self.reports.items()},
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


Say = Callable[[str], None]


def _prepare_demo_folder(folder: Path) -> None:
    """A new or empty folder, or an earlier demo (replaced); anything else is refused."""
    import shutil

    from knowvember.errors import InputError

    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; choose a folder for the demo")
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / DEMO_MARKER).exists():
            raise InputError(f"{folder} is not empty and holds no earlier demo; choose a new "
                             "or empty folder (--out DIR)")
        for name in (SAMPLE_DIR, REPORT_DIR):
            shutil.rmtree(folder / name, ignore_errors=True)
        for path in folder.glob("knowvember.db*"):
            path.unlink()
        (folder / "campaign.toml").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_MARKER).write_text(
        "Made by `knowvember demo`; running it again replaces this folder's demo.\n",
        encoding="utf-8")


def run_demo(folder: Path, spec: SampleSpec, say: Say = lambda _: None) -> DemoResult:
    """Make the demo campaign in `folder`: sample, imports, reviews, attribution, report."""
    from knowvember.config import ENV_DATABASE_URL, load_settings_file
    from knowvember.db import open_database, sqlite_url
    from knowvember.sample import generate_sample

    clock = time.perf_counter
    started = clock()
    folder = Path(folder)
    _prepare_demo_folder(folder)
    sample_dir = folder / SAMPLE_DIR
    made = generate_sample(sample_dir, spec, database="../knowvember.db")
    config = folder / "campaign.toml"
    text = (sample_dir / "campaign.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('url = "sqlite:///../knowvember.db"',
                                   'url = "sqlite:///knowvember.db"'), encoding="utf-8")
    seconds = {"sample": clock() - started}
    say(f"Generated {spec.posts:,} posts and {len(made.stories)} stories in {sample_dir}")
    settings = load_settings_file(config)
    database = (folder / "knowvember.db").resolve()
    if os.environ.get(ENV_DATABASE_URL):
        say(f"Note: {ENV_DATABASE_URL} is set; the demo ignores it and uses its own {database}")
    # Always the demo's own file: never a database the environment points at.
    db = open_database(settings, url=sqlite_url(database))
    result = DemoResult(folder=folder, config=config, database=database, sample=made,
                        seconds=seconds)
    try:
        mark = clock()
        result.imports = _import_posts(db, settings, made, say)
        seconds["import"] = clock() - mark
        mark = clock()
        result.stories = _import_and_review_stories(db, settings, made, say)
        seconds["stories"] = clock() - mark
        mark = clock()
        _attribute_and_tag(db, settings, say)
        seconds["attribution"] = clock() - mark
        mark = clock()
        result.reports = _write_report(db, settings, folder / REPORT_DIR, say)
        seconds["report"] = clock() - mark
    finally:
        db.dispose()
    seconds["total"] = clock() - started
    return result


def _import_posts(db: Any, settings: Any, made: Sample, say: Say) -> list[dict[str, Any]]:
    """Each platform's files through `knowvember import`'s own code path."""
    from knowvember.errors import PartialError
    from knowvember.ingest import import_files

    runs: list[dict[str, Any]] = []
    batches = [("twarc2", [made.x_file] if made.x_file else []),
               ("mastodon", made.mastodon_files), ("bluesky", made.bluesky_files)]
    for fmt, files in batches:
        if not files:
            continue
        outcome = import_files(db, settings, fmt, files)
        for run in outcome.runs:
            data = run.to_json()
            runs.append(data)
            say(f"Imported {Path(data['details']['file']).name}: {data['new']:,} new, "
                f"{data['skipped']:,} off-campaign skipped")
        if outcome.exit_code:
            raise PartialError(f"importing the sample's {fmt} files did not fully succeed: "
                               + "; ".join(r.error or r.status for r in outcome.runs))
    return runs


def _import_and_review_stories(db: Any, settings: Any, made: Sample, say: Say
                               ) -> dict[str, int]:
    """The form export through `stories import`, then a coordinator's decisions."""
    from collectors.forms import import_form_export
    from knowvember.errors import PartialError
    from knowvember.stories import Lookups, approve_story, reject_story, request_changes

    assert made.stories_file is not None
    result = import_form_export(db, settings, made.stories_file,
                                lookups=Lookups.load(settings))
    if result.failed or result.imported != len(made.stories):
        raise PartialError(f"{made.stories_file}: {result.failed} row(s) failed: "
                           + "; ".join(f"row {e.row}: {e.reason}" for e in result.errors[:3]))
    counts = {"imported": result.imported, "approved": 0, "rejected": 0,
              "changes_requested": 0, "submitted": 0}
    for plan, story_id in zip(made.stories, result.story_ids, strict=True):
        if plan.decision == "approve":
            approve_story(db, story_id, reviewer=REVIEWER)
            counts["approved"] += 1
        elif plan.decision == "reject":
            reject_story(db, story_id, reviewer=REVIEWER, note=plan.note or "")
            counts["rejected"] += 1
        elif plan.decision == "request_changes":
            request_changes(db, story_id, reviewer=REVIEWER, note=plan.note or "")
            counts["changes_requested"] += 1
        else:
            counts["submitted"] += 1
    say(f"Imported {result.imported} stories; {REVIEWER} approved {counts['approved']}, "
        f"rejected {counts['rejected']}, asked for changes on {counts['changes_requested']}")
    return counts


def _attribute_and_tag(db: Any, settings: Any, say: Say) -> None:
    """Attribute every account (config mappings, then confident matches); tag techniques."""
    from knowvember.attribution import attribute_accounts

    summary = attribute_accounts(db, settings, None)
    say(f"Attributed accounts: {summary.by_config} from the config, {summary.auto} matched "
        f"automatically, {summary.queued} left for a coordinator (`knowvember orgs "
        "unmatched`)")


def _write_report(db: Any, settings: Any, out: Path, say: Say) -> dict[str, Path]:
    """The full report, as `knowvember report --format html,pdf,md,xlsx --per-org`."""
    from reports.build import FORMATS, build_report

    written = build_report(db, settings, out, formats=FORMATS, per_org=True)
    say(f"Wrote the report ({', '.join(FORMATS)}, one page per organisation) in {out}")
    return written


@handled
def demo(
    out: Path = typer.Option(DEFAULT_DEMO_DIR, "--out", help="Folder for the demo campaign "
                             "(created; an earlier demo there is replaced)."),
    posts: int = typer.Option(3000, "--posts", min=0, help="How many posts to generate and "
                              "import (all platforms together)."),
    year: int = _YEAR,
    seed: int = _SEED,
    split: str | None = _SPLIT,
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json."),
) -> None:
    """See the whole tool work on a made-up campaign, no API keys needed.

    Creates a campaign folder (campaign.toml, SQLite database), generates a sample campaign,
    imports it through the real importers and story import, reviews some stories, attributes
    accounts and writes the full report (HTML, PDF, Markdown, XLSX, per-organisation pages).
    """
    console = err_console()
    spec = _spec(posts, year, seed, split)

    def say(message: str) -> None:
        console.print(message, markup=False, highlight=False)

    result = run_demo(out, spec, say)
    if format is TableOrJson.json:
        emit_json(result.to_json())
        return
    say(f"Done in {result.seconds['total']:.1f} s. The demo campaign is in {result.folder}:")
    typer.echo(f"config:   {result.config}")
    typer.echo(f"database: {result.database}")
    typer.echo(f"sample:   {result.sample.folder}")
    for label, path in result.reports.items():
        typer.echo(f"{label}: {path}")
    prefix = _own_database_prefix()
    say(f"Open {_main_report(result)} in a browser. Try next: {prefix}knowvember --config "
        f"{result.config} summary")
    if prefix:
        say(_env_note("the demo"))


def _main_report(result: DemoResult) -> Path:
    html = [p for p in result.reports.values() if p.suffix == ".html"]
    return html[0] if html else result.folder / REPORT_DIR
