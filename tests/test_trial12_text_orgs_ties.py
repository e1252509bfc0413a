"""The twelfth trial: suggestions come in the same order in every run.

"Library Services Manager, NHS England - Midlands" suggested West Midlands Ambulance before
East Midlands Ambulance in one run and after it in the next: the similar-words score of two
equally good suggestions was summed in the order of a set, which changes with each process's
string hashing, so the last digit differed and `orgs unmatched` and `orgs match --limit`
showed different suggestions from one day to the next.
"""

from __future__ import annotations

import os
import subprocess
import sys

TEXTS = ("Library Services Manager, NHS England - Midlands",
         "Knowledge team, NHS Gloucestershire",
         "Knowledge team, NHS Dorset")
SCRIPT = (
    "import sys\n"
    "from knowvember.organisations import Catalogue\n"
    "catalogue = Catalogue.load()\n"
    "for text in sys.argv[1:]:\n"
    "    print([c.code for c in catalogue.match(text, limit=4)])\n"
)


def _suggestions(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-c", SCRIPT, *TEXTS], env=env, check=True,
                          capture_output=True, text=True, timeout=60).stdout


def test_equal_suggestions_are_ranked_the_same_in_every_process() -> None:
    runs = {seed: _suggestions(seed) for seed in ("1", "2")}
    assert len(set(runs.values())) == 1, runs
    # Equal scores are ranked by code.
    assert runs["1"].splitlines()[0] == "['RRE', 'RJE', 'RX9', 'RYA']"
