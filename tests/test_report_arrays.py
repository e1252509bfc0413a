"""The array helpers every count goes through answer exactly as numpy's general functions,
on both of their paths (a table over a small range of integers, a sort over a wide one)."""

from __future__ import annotations

import numpy as np
import pytest

from reports.dataset import distinct
from reports.frame import frame_positions


def reference_positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    where = {int(v): i for i, v in enumerate(ids)}
    return np.array([where.get(int(w), -1) for w in wanted], dtype=np.int64)


@pytest.mark.parametrize("bound", [1, 17, 85_017, 10**12])
@pytest.mark.parametrize("n", [0, 1, 1000, 50_000])
def test_distinct_is_np_unique(n: int, bound: int) -> None:
    keys = np.random.default_rng(n + bound).integers(0, bound, n)
    got = distinct(keys, bound)
    want = np.unique(keys)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_distinct_refuses_a_negative_key_rather_than_miscount() -> None:
    with pytest.raises(ValueError):
        distinct(np.array([3, -1]), 10)


@pytest.mark.parametrize("spread", [1, 3, 10**9])  # consecutive ids, gaps, ids far apart
def test_frame_positions_finds_each_id_or_says_minus_one(spread: int) -> None:
    rng = np.random.default_rng(spread)
    ids = rng.permutation(np.arange(5_000, dtype=np.int64) * spread + 40)
    wanted = np.concatenate([rng.choice(ids, 3_000), [0, 39, int(ids.max()) + 1, 41]])
    assert np.array_equal(frame_positions(ids, wanted), reference_positions(ids, wanted))


def test_frame_positions_of_nothing() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert frame_positions(empty, np.array([1, 2])).tolist() == [-1, -1]
    assert frame_positions(np.array([5]), empty).tolist() == []
