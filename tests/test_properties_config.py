"""Property tests over the config loader: any campaign.toml is either valid or refused with
messages that each name the file and the key, never a traceback and never a secret.

Generated: arbitrary text and bytes; and well-formed TOML built from a valid config with
random keys set to random values of every TOML type (strings with any Unicode, huge ints,
floats, dates, times, arrays, inline tables), known keys and unknown ones alike.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import BaseModel

from knowvember.config import Settings, load_settings_file, parse_settings
from knowvember.errors import ConfigError
from tests.conftest import BASE_CONFIG

TEXT_EXAMPLES, TOML_EXAMPLES, CLI_EXAMPLES = 150, 300, 15
PROPERTY = hypothesis_settings(deadline=None, database=None,
                               suppress_health_check=[HealthCheck.function_scoped_fixture])
LABEL = Path("/campaigns/2019/campaign.toml")


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted key the config knows, e.g. `sources.x.bearer_token_env`."""
    found = []
    for name, info in model.model_fields.items():
        if name == "path":
            continue
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += _keys(kind, f"{prefix}{name}.")
        else:
            found.append(f"{prefix}{name}")
    return found


KNOWN = _keys(Settings)
SCALARS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["", "#KNOWvember", "x:@UHLLibraries", "not-a-url", "http://", "30m",
                     "Europe/Narnia", "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRi"
                     "SDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F",
                     "postgresql+psycopg2://u:p@h/db", "sqlite:///../../etc/passwd"]),
    st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True), st.booleans(),
    st.dates(), st.datetimes(timezones=st.just(dt.UTC)), st.times(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
                      max_leaves=6)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) \
        + "}"


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes, plus DEL, which TOML also wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _document(data: dict[str, Any]) -> str:
    """Tables of inline values: enough TOML to say anything the loader reads."""
    lines = [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in data.items()
             if not isinstance(v, dict)]
    for table, values in data.items():
        if isinstance(values, dict):
            lines.append(f"[{_toml_string(table)}]")
            lines += [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _same(a: Any, b: Any) -> bool:
    """Equal, taking NaN as equal to itself."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = value


def _assert_clear(exc: ConfigError, label: str) -> None:
    message = str(exc)
    assert message and "Traceback" not in message
    for line in message.splitlines():
        assert line.startswith(f"{label}: "), line
    assert "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA" not in message, "a secret was echoed"


@hypothesis_settings(PROPERTY, max_examples=TEXT_EXAMPLES)
@given(text=st.text(max_size=300) | st.sampled_from([
    BASE_CONFIG, BASE_CONFIG[:80], BASE_CONFIG + "[campaign]\n", BASE_CONFIG.replace("=", ":"),
    BASE_CONFIG + '\n[sources.x]\nbearer_token = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0"\n']))
def test_any_text_is_a_config_or_a_clear_refusal(text: str) -> None:
    try:
        settings = parse_settings(text, LABEL)
    except ConfigError as exc:
        _assert_clear(exc, str(LABEL))
    else:
        assert settings.campaign.hashtags


@hypothesis_settings(PROPERTY, max_examples=TOML_EXAMPLES)
@given(changes=st.lists(st.tuples(
    st.sampled_from(KNOWN) | st.from_regex(r"\A[a-z_]{1,10}(\.[a-z_]{1,10}){0,2}\Z"),
    VALUES), min_size=1, max_size=4))
def test_any_value_under_any_key_is_valid_or_named(changes: list[tuple[str, Any]]) -> None:
    data = tomllib.loads(BASE_CONFIG)
    for key, value in changes:
        _set(data, key, value)
    text = _document(data)
    assert _same(tomllib.loads(text), data)  # the generator writes real TOML
    try:
        settings = parse_settings(text, LABEL)
    except ConfigError as exc:
        _assert_clear(exc, str(LABEL))
        # One line per problem, each naming where: a key of the file, printable.
        for line in str(exc).splitlines():
            where = line.removeprefix(f"{LABEL}: ").split(": ", 1)[0]
            assert where and where.isprintable(), line
    else:
        assert isinstance(settings, Settings)


def test_a_file_that_is_not_text_is_a_clear_refusal(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_bytes(b"\xff\xfe[campaign]\x00\x81")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: cannot read"):
        load_settings_file(path)


def test_config_check_never_shows_a_traceback(cli, campaign_dir: Path) -> None:  # type: ignore[no-untyped-def]
    @hypothesis_settings(PROPERTY, max_examples=CLI_EXAMPLES)
    @given(changes=st.lists(st.tuples(st.sampled_from(KNOWN), VALUES), min_size=1, max_size=3))
    def check(changes: list[tuple[str, Any]]) -> None:
        data = tomllib.loads(BASE_CONFIG)
        for key, value in changes:
            _set(data, key, value)
        (campaign_dir / "campaign.toml").write_text(_document(data), encoding="utf-8")
        result = cli("config", "check")
        assert result.exit_code in (0, 3), result.stderr
        assert "Traceback" not in result.stderr and "unexpected" not in result.stderr

    check()
