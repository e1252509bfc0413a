"""The web app is a library: it sets up the campaign's log file without the command line.

`create_app_from_env` (what each `serve --workers N` process and `uvicorn --factory` run)
imported `configure_log_file` from `knowvember.cli.common`, so the web app depended on the CLI
and loaded typer and the whole command layer in every worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BASE_CONFIG, REPO
from tests.reliability_support import cli_env

_PROBE = """\
import json, logging, sys
from knowvember.web.app import create_app_from_env
app = create_app_from_env()
files = [getattr(h, "_knowvember_file", None) for h in logging.getLogger().handlers]
print(json.dumps({"cli": sorted(m for m in sys.modules if m.startswith("knowvember.cli")),
                  "typer": "typer" in sys.modules,
                  "log_files": [f for f in files if f]}))
"""


def test_a_web_worker_sets_up_the_log_file_without_importing_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "campaign.toml"
    config.write_text(BASE_CONFIG + '\n[logging]\nfile = "logs/web.log"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, timeout=60,
        env=cli_env({"KNOWVEMBER_CONFIG": str(config),
                     "KNOWVEMBER_SECRET_KEY": "k" * 48}), check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["cli"] == [] and not found["typer"]
    assert found["log_files"] == [str(tmp_path / "logs" / "web.log")]
    assert (tmp_path / "logs" / "web.log").is_file()


def test_the_cli_still_offers_configure_log_file_where_it_was() -> None:
    from knowvember.cli.common import configure_log_file as from_cli
    from knowvember.logfile import configure_log_file

    assert from_cli is configure_log_file
