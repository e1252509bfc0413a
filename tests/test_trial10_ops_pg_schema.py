"""A fifth new-user trial of operations: a PostgreSQL URL whose search_path names a schema
that does not exist yet.

The README says the schema knowvember uses is the URL's `search_path`; set to a schema not
created yet, every command failed with PostgreSQL's own "no schema has been selected to
create in". It now says the schema is missing and how to create it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from knowvember.errors import EXIT_DATABASE
from tests.conftest import PG_DEFAULT, require_postgres

pytestmark = pytest.mark.postgres

Invoke = Callable[..., Any]


def test_a_search_path_naming_no_schema_says_which_to_create(  # type: ignore[no-untyped-def]
        cli: Invoke, write_config, monkeypatch: pytest.MonkeyPatch) -> None:
    require_postgres()
    write_config("")
    missing = f"kv_ops_missing_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("KNOWVEMBER_DATABASE_URL",
                       f"{PG_DEFAULT}?options=-csearch_path%3D{missing}")
    for args in (("db", "upgrade"), ("summary",)):
        result = cli(*args)
        message = " ".join(result.stderr.split())
        assert result.exit_code == EXIT_DATABASE, message
        assert f"search_path ({missing}) names no schema that exists" in message
        assert f"CREATE SCHEMA {missing}" in message
        assert "no schema has been selected" not in message
