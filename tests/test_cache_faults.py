"""Issue 15, class 4: the result cache survives damaged entries, concurrent writers and
item names that sanitise alike."""

from __future__ import annotations

import multiprocessing as mp
import warnings

import numpy as np
import pytest

from licnn.cache import CacheWarning, ResultCache, _safe


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path):
    data = bytearray(path.read_bytes())
    for i in range(40, len(data), 7):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated": _truncate,
    "flipped bytes": _flip,
    "empty file": lambda p: p.write_bytes(b""),
    "not a zip": lambda p: p.write_text("hello"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_entry_warns_and_is_recomputed(tmp_path, case):
    cache = ResultCache("exp", {"k": 1}, root=tmp_path)
    cache.put("img/1", {"v": np.arange(1000.0)})
    path = cache.path("img/1")
    DAMAGE[case](path)
    calls = []

    def compute(items):
        calls.append(list(items))
        return [{"v": np.arange(1000.0)} for _ in items]

    with pytest.warns(CacheWarning, match=str(path.name)):
        out = cache.map(["img/1"], compute, progress=False)
    assert calls == [["img/1"]]
    np.testing.assert_array_equal(out["img/1"]["v"], np.arange(1000.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get("img/1") is not None  # rewritten, readable again


@pytest.mark.parametrize(
    ("first", "second"),
    [("a/b", "a_b"), ("x y", "x_y"), ("a/b", "a?b"), ("ü.jpg", "_.jpg"), ("a/b", "a_b-0")],
)
def test_names_that_sanitise_alike_do_not_share(tmp_path, first, second):
    cache = ResultCache("exp", {}, root=tmp_path)
    out = cache.map(
        [first, second], lambda items: [{"name": np.asarray(i)} for i in items], progress=False
    )
    assert str(out[first]["name"]) == first and str(out[second]["name"]) == second
    assert cache.path(first) != cache.path(second)
    assert str(cache.get(first)["name"]) == first
    assert str(cache.get(second)["name"]) == second


def test_legacy_entries_still_hit_unless_ambiguous(tmp_path):
    cache = ResultCache("exp", {}, root=tmp_path)
    legacy = cache.legacy_path("ds/img.jpg")
    assert legacy.name == f"{_safe('ds/img.jpg')}.npz"
    np.savez(legacy, v=np.ones(3))  # as the cache wrote it before the hash suffix
    out = cache.map(["ds/img.jpg"], lambda items: pytest.fail("recomputed"), progress=False)
    np.testing.assert_array_equal(out["ds/img.jpg"]["v"], np.ones(3))
    # Two items asked for together that share the legacy name: it is nobody's, recompute.
    fresh = ResultCache("exp", {}, root=tmp_path)
    out = fresh.map(
        ["ds/img.jpg", "ds_img.jpg"],
        lambda items: [{"v": np.full(3, len(i))} for i in items],
        progress=False,
    )
    np.testing.assert_array_equal(out["ds/img.jpg"]["v"], np.full(3, 10))


def _writer(root, n, tag):
    cache = ResultCache("exp", {"k": "same"}, root=root)
    for i in range(n):
        cache.put(f"item/{i}", {"v": np.full(2000, i, dtype=np.float64), "tag": np.asarray(tag)})


def test_two_processes_writing_one_cache(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(tmp_path, 40, t)) for t in ("p", "q")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    cache = ResultCache("exp", {"k": "same"}, root=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(40):
            values = cache.get(f"item/{i}")
            np.testing.assert_array_equal(values["v"], np.full(2000, i, dtype=np.float64))
    assert not list(cache.folder.glob("*.tmp"))
