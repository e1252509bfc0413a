"""The one retry policy: bounded, visible waits; nothing sleeps for real."""

from __future__ import annotations

import pytest

from collectors.base import Budget, Scrubber
from collectors.retry import GaveUpError, InterruptedRun, RetryPolicy, TransientError


def flaky(failures: list[TransientError]):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def call() -> str:
        calls["n"] += 1
        if failures:
            raise failures.pop(0)
        return "done"

    return call, calls


def test_waits_for_the_reset_with_a_countdown_then_succeeds() -> None:
    slept: list[float] = []
    shown: list[tuple[float, str]] = []
    policy = RetryPolicy(sleep=slept.append, on_wait=lambda s, why: shown.append((s, why)))
    call, calls = flaky([TransientError("rate limit", retry_after=3.5, rate_limited=True)])
    assert policy.call(call, "X search") == "done"
    assert calls["n"] == 2
    assert slept == [1.0, 1.0, 1.0, 0.5]
    assert [round(s, 1) for s, _ in shown] == [3.5, 2.5, 1.5, 0.5, 0.0]  # counting down
    assert "X search: rate limit" in shown[0][1]
    assert policy.waited == 3.5 and policy.retries == 1


def test_backoff_is_exponential_and_bounded_in_count() -> None:
    slept: list[float] = []
    policy = RetryPolicy(max_retries=3, sleep=slept.append, base_delay=2, max_backoff=5)
    call, calls = flaky([TransientError("503")] * 4)
    with pytest.raises(GaveUpError, match="gave up after 3 retries"):
        policy.call(call, "search")
    assert calls["n"] == 4
    assert sum(slept) == 2 + 4 + 5  # capped at max_backoff


def test_a_wait_longer_than_allowed_is_refused_not_slept() -> None:
    slept: list[float] = []
    policy = RetryPolicy(max_wait=60, sleep=slept.append)
    call, _ = flaky([TransientError("rate limit", retry_after=900)])
    with pytest.raises(GaveUpError, match="longer than max_wait_seconds"):
        policy.call(call, "search")
    assert slept == []


def test_a_stop_request_ends_a_wait_at_once() -> None:
    policy = RetryPolicy()

    def sleep(seconds: float) -> None:
        policy.stop.set()  # Ctrl-C arrives during the first second of waiting

    policy.sleep = sleep
    call, calls = flaky([TransientError("rate limit", retry_after=600)])
    with pytest.raises(InterruptedRun):
        policy.call(call, "search")
    assert calls["n"] == 1


def test_the_budget_never_allows_going_over() -> None:
    budget = Budget(run_limit=250, month_left=120)
    assert budget.allowance() == 120
    budget.spend(100)
    assert budget.allowance() == 20
    budget.spend(20)
    assert budget.allowance() == 0
    assert "monthly read budget" in budget.exhausted_reason()
    assert Budget().allowance() is None


def test_secrets_are_scrubbed_from_messages() -> None:
    scrub = Scrubber(["s3cr3t-token-value"])
    text = ("failed: {'Authorization': 'Bearer s3cr3t-token-value'} and again s3cr3t-token-value,"
            " Authorization: Bearer abcdefghijklmnop, jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig")
    cleaned = scrub(text)
    assert "s3cr3t" not in cleaned and "abcdefghijklmnop" not in cleaned
    assert "eyJhbGciOiJIUzI1NiJ9" not in cleaned
    assert "****" in cleaned


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_network_reason_finds_the_cause_under_requests_and_httpx() -> None:
    """X (requests) and Bluesky (httpx) nest the socket's error under the request; the
    reason a person needs is at the bottom."""
    import httpx
    import requests

    from collectors.base import network_reason

    url = f"http://127.0.0.1:{_closed_port()}/2/tweets/search/recent?query=%23KNOWvember"
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(url, timeout=5)
    assert network_reason(caught.value) == "Connection refused"
    with pytest.raises(httpx.ConnectError) as again:
        httpx.get(url, timeout=5)
    assert network_reason(again.value) == "Connection refused"
    assert network_reason(ValueError("not a network error")) is None
