"""The per-item cache: atomic writes, separate folders per key, resume after an interruption."""

import numpy as np
import pytest

from licnn.cache import ResultCache


def test_put_get_and_key_separation(tmp_path):
    a = ResultCache("exp", {"model": "m", "k": 7}, root=tmp_path)
    b = ResultCache("exp", {"model": "m", "k": 5}, root=tmp_path)
    a.put("img/1.jpg", {"map": np.ones((2, 2)), "label": 3})
    assert "img/1.jpg" in a and "img/1.jpg" not in b
    got = a.get("img/1.jpg")
    assert got["map"].shape == (2, 2) and int(got["label"]) == 3
    assert not list(a.folder.glob("*.tmp"))


def test_map_resumes_without_recomputing(tmp_path):
    calls = []

    def compute(items, fail_on=None):
        calls.extend(items)
        if fail_on in items:
            raise KeyboardInterrupt
        return [{"value": np.array(len(i))} for i in items]

    cache = ResultCache("exp", {"v": 1}, root=tmp_path)
    items = [f"item{i}" for i in range(10)]
    with pytest.raises(KeyboardInterrupt):
        cache.map(
            items, lambda chunk: compute(chunk, fail_on="item6"), batch_size=3, progress=False
        )
    done = [i for i in items if i in cache]
    assert done == items[:6]  # two whole batches were kept
    calls.clear()
    results = ResultCache("exp", {"v": 1}, root=tmp_path).map(
        items, compute, batch_size=3, progress=False
    )
    assert calls == items[6:]  # only the unfinished items were computed
    assert [int(results[i]["value"]) for i in items] == [len(i) for i in items]


def test_aligned_batches_are_fixed_slices_computed_whole(tmp_path):
    calls = []

    def compute(items):
        calls.append(list(items))
        return [{"v": np.asarray(i)} for i, _ in enumerate(items)]

    cache = ResultCache("aligned", {"k": 1}, root=tmp_path)
    cache.put("c", {"v": np.asarray(7)})
    unaligned = ResultCache("plain", {"k": 1}, root=tmp_path)
    unaligned.put("c", {"v": np.asarray(7)})
    got = cache.map(["a", "b", "c", "d", "e"], compute, batch_size=2, aligned=True)
    assert calls == [["a", "b"], ["c", "d"], ["e"]]
    # "c" was stored from another batch: it is computed again beside "d" and replaced.
    assert int(got["c"]["v"]) == 0 and int(got["d"]["v"]) == 1
    assert int(cache.get("c")["v"]) == 0
    calls.clear()
    unaligned.map(["a", "b", "c", "d", "e"], compute, batch_size=2)
    assert calls == [["a", "b"], ["d", "e"]]  # without alignment, the missing ones are packed
