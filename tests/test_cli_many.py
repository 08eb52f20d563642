"""``licnn saliency`` over many images: folders, datasets, resume, shards, flat memory."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import numpy as np
import psutil

from licnn.cli import main
from tiny_cli import map_files, write_image


def _folder(root: Path, n: int, side: int = 40) -> Path:
    for i in range(n):
        write_image(root / f"sub{i % 3}" / f"img{i:04d}.jpg", i, side)
    return root


def test_resume_redoes_only_missing_or_broken_maps(tiny, tmp_path, capsys) -> None:
    images, out = _folder(tmp_path / "in", 5), tmp_path / "out"
    assert main(["saliency", str(images), "--out", str(out)]) == 0
    first = {f: (out / f).stat().st_mtime_ns for f in map_files(out)}
    assert len(first) == 10
    (out / "sub0/img0000.jpg.licnn-top5.png").unlink()  # half of one image's outputs
    (out / "sub1/img0001.jpg.licnn-top5.npy").write_bytes(b"\x93NUMPY")  # a foreign truncation
    capsys.readouterr()
    assert main(["saliency", str(images), "--out", str(out)]) == 0
    assert "3 already have their top5 maps" in capsys.readouterr().out
    after = {f: (out / f).stat().st_mtime_ns for f in map_files(out)}
    assert after.keys() == first.keys()
    redone = {f for f in after if after[f] != first.get(f)}
    assert {f.split(".licnn")[0] for f in redone} == {"sub0/img0000.jpg", "sub1/img0001.jpg"}
    assert np.load(out / "sub1/img0001.jpg.licnn-top5.npy").shape == (32, 32)


def test_shards_split_the_sorted_inputs_exactly(tiny, tmp_path) -> None:
    images = _folder(tmp_path / "in", 7)
    whole = tmp_path / "whole"
    assert main(["saliency", str(images), "--out", str(whole)]) == 0
    parts = []
    for i in range(3):
        out = tmp_path / f"shard{i}"
        assert main(["saliency", str(images), "--shard", f"{i}/3", "--out", str(out)]) == 0
        parts.append(set(map_files(out)))
    assert sum(len(p) for p in parts) == len(set().union(*parts))  # disjoint
    assert set().union(*parts) == set(map_files(whole))  # and complete
    assert [len(p) // 2 for p in parts] == [3, 2, 2]  # every third of the sorted list
    for i, part in enumerate(parts):  # same maps as the unsharded run
        for f in (f for f in part if f.endswith(".npy")):
            np.testing.assert_array_equal(np.load(tmp_path / f"shard{i}" / f), np.load(whole / f))


def test_a_dataset_is_an_input(tiny, fetched_data, tmp_path) -> None:
    out = tmp_path / "out"
    argv = ["saliency", "--dataset", "pascal-s", "--root", str(fetched_data), "--limit", "3"]
    assert main([*argv, "--out", str(out)]) == 0
    files = map_files(out)
    assert len(files) == 6 and all(f.startswith("images/") for f in files)


class _RssSampler:
    """The process's resident set size, sampled every 2 ms in a thread, in MiB."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process()
        while not self._stop.wait(0.002):
            self.samples.append(proc.memory_info().rss / 2**20)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


#: Allowed growth of the RSS, in MiB. Holding every decoded 256 x 256 input (the command's
#: old behaviour: all images read before the first map) would add about 300 x 0.19 = 56 MiB;
#: allocator noise between runs on this machine is a few MiB.
RSS_GROWTH_MIB = 20


def test_memory_stays_flat_over_hundreds_of_images(tiny, tmp_path) -> None:
    images = _folder(tmp_path / "in", 300, side=256)
    warm = tmp_path / "warm"
    assert (
        main(["saliency", *sorted(map(str, images.rglob("*.jpg")))[:16], "--out", str(warm)]) == 0
    )
    gc.collect()
    with _RssSampler() as rss:
        assert main(["saliency", str(images), "--out", str(tmp_path / "out")]) == 0
    assert len(map_files(tmp_path / "out")) == 600
    start, peak = rss.samples[0], max(rss.samples)
    assert peak - start < RSS_GROWTH_MIB, f"RSS grew from {start:.0f} to {peak:.0f} MiB"


def test_memory_stays_flat_over_hundreds_of_calls(tiny, tmp_path) -> None:
    image = str(write_image(tmp_path / "x.jpg", 0, 256))
    for i in range(20):  # warm-up: caches, lazy imports, allocator pools
        assert main(["saliency", image, "--out", str(tmp_path / f"w{i}")]) == 0
    gc.collect()
    start = psutil.Process().memory_info().rss / 2**20
    for i in range(200):
        assert main(["saliency", image, "--out", str(tmp_path / f"o{i}"), "--class", "7"]) == 0
    gc.collect()
    end = psutil.Process().memory_info().rss / 2**20
    assert end - start < RSS_GROWTH_MIB, f"RSS grew from {start:.0f} to {end:.0f} MiB"
