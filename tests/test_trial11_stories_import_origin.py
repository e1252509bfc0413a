"""An imported story's trail says which export and row it came from.

The `submitted` step of a story from a form export is the import's time (the response's own
time is the story's `submitted_at`), and it had no note: on the review page a story "sent 6
November 2027" showed "Submitted on 3 December" in its trail, and nothing anywhere named the
file it came from, which a coordinator checking a story against the form needs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HEADERS = ["Timestamp", "Email Address", "Your name", "Title", "What happened?",
           "Which knowledge mobilisation techniques did you use?", "Consent to publish"]


def test_the_submitted_step_names_the_file_and_row(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = campaign_dir / "KNOWvember stories (Responses) - Form responses 1.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerow(["06/11/2019 11:02:13", "aoife.ohara@nhs.net", "Aoife Ó hAra",
                         "Peer assist, before the new clinic",
                         "We asked another team to a peer assist.\nThey shared 10 lessons.",
                         "Peer Assist, Knowledge Café", "Yes, I agree to my story being shared"])
        writer.writerow(["07/11/2019 16:45:00", "bjorn@nhs.net", "Björn Sørensen",
                         "Coffee trials", "We paired staff.", "", "No, I do not agree"])
    result = cli("stories", "import", str(path), "--form", "Staff form")
    assert result.exit_code == 0, result.stderr
    story = json.loads(cli("stories", "show", "2", "--format", "json").stdout)
    first = story["events"][0]
    assert first["action"] == "submitted"
    assert first["note"] == (f"imported from {path.name}, row 3 (form 'Staff form')")
    assert story["submitted_at"] == "2019-11-07T16:45:00Z"

    submitted = cli("stories", "submit", "--title", "Typed in", "--body", "We met.",
                    "--name", "Zoë", "--email", "zoe@nhs.net", "--consent", "--format", "json")
    typed = json.loads(cli("stories", "show", str(json.loads(submitted.stdout)["id"]),
                           "--format", "json").stdout)
    assert typed["events"][0]["note"] is None  # only imports say where they came from
