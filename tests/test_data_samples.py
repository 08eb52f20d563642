"""Seeded uniform draws of a dataset (``NAME:N[:seed=S]``, :mod:`licnn.data.samples`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from licnn import data
from licnn.data.samples import SampleName, draw_indices, parse_sample_name, sample_summary
from licnn.errors import DataError


def test_parse_sample_name() -> None:
    assert parse_sample_name("imagenet-val") is None
    assert parse_sample_name("imagenet-val:7500") == SampleName("imagenet-val", 7500, 0)
    assert parse_sample_name("pascal-s:3:seed=12") == SampleName("pascal-s", 3, 12)
    for bad in ("imagenet-val:0", "imagenet-val:", "imagenet-val:x", "a:3:seed=", "a:3:4"):
        with pytest.raises(DataError, match="NAME:N"):
            parse_sample_name(bad)


def test_draw_is_seeded_uniform_and_a_smaller_draw_is_a_prefix() -> None:
    first = draw_indices(50, 10, seed=3)
    assert first == draw_indices(50, 10, seed=3)
    assert len(set(first)) == 10 and all(0 <= i < 50 for i in first)
    assert draw_indices(50, 4, seed=3) == first[:4]
    assert draw_indices(50, 10, seed=4) != first
    # Uniform: over many seeds each position is drawn about n / population of the time.
    counts = np.bincount([i for s in range(400) for i in draw_indices(20, 5, s)], minlength=20)
    assert counts.min() > 0.6 * 400 * 5 / 20 and counts.max() < 1.4 * 400 * 5 / 20


def test_load_a_draw_of_a_fetched_dataset(data_dir: Path) -> None:
    base = data.load_dataset("imagenet-val-1300")
    drawn = data.load_dataset("imagenet-val-1300:5")
    expected = [base[i].key for i in draw_indices(len(base), 5, 0)]
    assert [r.key for r in drawn] == expected
    assert drawn.name == "imagenet-val-1300:5"
    assert {r.dataset for r in drawn} == {"imagenet-val-1300:5"}
    assert drawn.manifest_hash == base.manifest_hash == data.manifest_hash("imagenet-val-1300:5")
    assert "5 images drawn uniformly at random (seed 0) from the 1300" in drawn.description
    by_key = {r.key: r for r in base}
    assert all(r.label == by_key[r.key].label and r.path == by_key[r.key].path for r in drawn)
    assert [r.key for r in data.load_dataset("imagenet-val-1300:5", limit=2)] == expected[:2]
    assert [r.key for r in data.load_dataset("imagenet-val-1300:5:seed=1")] != expected
    summary = sample_summary(drawn, len(base))
    assert summary["images"] == expected and summary["drawn_from"] == len(base)
    assert (summary["base"], summary["n"], summary["seed"]) == ("imagenet-val-1300", 5, 0)


def test_a_draw_larger_than_its_dataset_is_an_error(data_dir: Path) -> None:
    with pytest.raises(DataError, match="asks for 2000 images, but pascal-s has 850"):
        data.load_dataset("pascal-s:2000")
    with pytest.raises(DataError, match="unknown dataset 'imagenet-z'"):
        data.load_dataset("imagenet-z:3")


def test_draw_of_a_validation_folder(data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """``imagenet-val:N`` draws from the images of the user's folder, labelled by the
    annotations; here a folder of links to imagenet-val-1300's files (their real names)."""
    folder = tmp_path / "val"
    folder.mkdir()
    thumbs = data.load_dataset("imagenet-val-1300", limit=30)
    for record in thumbs:
        (folder / record.key).symlink_to(record.path)
    monkeypatch.setenv("LICNN_IMAGENET_VAL", str(folder))
    drawn = data.load_dataset("imagenet-val:4")
    assert len(drawn) == 4 and drawn.folder == folder
    labels = {r.key: r.label for r in thumbs}
    assert all(r.path.parent == folder and r.label == labels[r.key] for r in drawn)
    with pytest.raises(DataError, match="asks for 31 images, but imagenet-val has 30"):
        data.load_dataset("imagenet-val:31")
