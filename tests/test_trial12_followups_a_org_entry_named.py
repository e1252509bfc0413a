"""The organisations catalogue names a faulty [[organisations]] entry as validation does.

"organisations[2].accounts[0]: 'x:@leiclibraries' is already mapped to 'RWE'" counted the
entries from 0 and said neither the entry's code nor its line: in a file of thirty entries
the coordinator went to the entry after the one meant. Now the entry is counted from 1,
with its code, name and the line of its header, as `config check` names the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knowvember.errors import EXIT_CONFIG


def _line(path: Path, n: int) -> int:
    """The line of the n-th (from 1) [[organisations]] header of the file."""
    headers = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if line.strip() == "[[organisations]]"]
    return headers[n - 1]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_an_account_mapped_twice_names_both_entries(write_config: Any, cli: Any) -> None:
    path = write_config('[[organisations]]\ncode = "RWE"\naccounts = ["x:@LeicLibraries"]\n\n'
                        '[[organisations]]\ncode = "UNI-LIB"\nname = "Uni Health Library"\n\n'
                        '[[organisations]]\ncode = "RYJ"\naccounts = ["x:@leiclibraries"]\n')
    result = cli("orgs", "list")
    assert result.exit_code == EXIT_CONFIG
    said = _flat(result.stderr)
    assert (f"'x:@leiclibraries' is already mapped to 'RWE' (by the 1st [[organisations]] "
            f"entry, code 'RWE', line {_line(path, 1)}); an account counts for one "
            f"organisation (in the 3rd [[organisations]] entry, code 'RYJ', "
            f"line {_line(path, 3)})") in said


def test_a_code_configured_twice_names_both_entries(write_config: Any, cli: Any) -> None:
    path = write_config('[[organisations]]\ncode = "RWE"\n\n'
                        '[[organisations]]\ncode = "rwe"\nname = "Leicester Libraries"\n')
    result = cli("orgs", "list")
    assert result.exit_code == EXIT_CONFIG
    said = _flat(result.stderr)
    assert (f"'RWE' is already configured in an earlier entry (the 1st [[organisations]] "
            f"entry, code 'RWE', line {_line(path, 1)}); put everything in one entry (in the "
            f"2nd [[organisations]] entry, code 'rwe', name 'Leicester Libraries', "
            f"line {_line(path, 2)})") in said


def test_a_new_code_without_a_name_names_its_entry(write_config: Any, cli: Any) -> None:
    path = write_config('[[organisations]]\ncode = "RWE"\n\n[[organisations]]\ncode = "LIB-X"\n')
    result = cli("orgs", "list")
    assert result.exit_code == EXIT_CONFIG
    assert (f"required for 'LIB-X', which is not an NHS trust code in the catalogue (in the "
            f"2nd [[organisations]] entry, code 'LIB-X', line {_line(path, 2)})"
            ) in _flat(result.stderr)
