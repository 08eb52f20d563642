"""The ImageNet class table: package data read on first use, the same names and types as before."""

from __future__ import annotations

import csv
import fnmatch
import importlib.util
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from licnn.data import derive, synsets
from licnn.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


def _table_text() -> str:
    return resources.files("licnn.data").joinpath(synsets.TABLE).read_text(encoding="utf-8")


def test_imagenet_table_has_1000_unique_classes() -> None:
    wnids, words = synsets.IMAGENET_WNIDS, synsets.SYNSET_WORDS
    assert type(wnids) is tuple and type(words) is tuple
    assert len(wnids) == len(words) == 1000
    assert len(set(wnids)) == 1000
    assert all(re.fullmatch(r"n\d{8}", w) for w in wnids)
    assert all(isinstance(w, str) and w and w == w.strip() for w in words)


def test_known_classes_are_at_their_torchvision_index() -> None:
    assert (synsets.IMAGENET_WNIDS[0], synsets.SYNSET_WORDS[0]) == (
        "n01440764",
        "tench, Tinca tinca",
    )
    assert (synsets.IMAGENET_WNIDS[1], synsets.SYNSET_WORDS[1]) == (
        "n01443537",
        "goldfish, Carassius auratus",
    )
    assert synsets.IMAGENET_WNIDS[999] == "n15075141"
    assert synsets.SYNSET_WORDS[999].startswith("toilet tissue")


def test_imagenet_a_classes_are_200_imagenet_classes() -> None:
    a = synsets.IMAGENET_A_WNIDS
    assert type(a) is tuple and len(a) == 200 and len(set(a)) == 200
    assert set(a) <= set(synsets.IMAGENET_WNIDS)
    assert a[0] == "n01498041"  # label200 0 is stingray
    assert synsets.SYNSET_WORDS[synsets.IMAGENET_WNIDS.index(a[0])] == "stingray"


def test_the_names_import_as_before() -> None:
    from licnn.data.synsets import IMAGENET_A_WNIDS, IMAGENET_WNIDS, SYNSET_WORDS

    assert IMAGENET_WNIDS is synsets.IMAGENET_WNIDS
    assert SYNSET_WORDS is synsets.SYNSET_WORDS
    assert IMAGENET_A_WNIDS is synsets.IMAGENET_A_WNIDS
    with pytest.raises(AttributeError, match="IMAGENET_WORDS"):
        synsets.IMAGENET_WORDS  # noqa: B018


def test_table_is_read_on_first_use_not_on_import() -> None:
    code = (
        "import sys, licnn.data\n"
        "m = sys.modules['licnn.data.synsets']\n"
        "print('IMAGENET_WNIDS' in vars(m), m._load.cache_info().currsize)\n"
        "n = len(licnn.data.synsets.SYNSET_WORDS)\n"
        "print('IMAGENET_WNIDS' in vars(m), m._load.cache_info().currsize, n)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["False 0", "True 1 1000"]


def test_table_is_package_data_of_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["licnn.data"]
    assert any(fnmatch.fnmatch(synsets.TABLE, p) for p in patterns)
    assert resources.files("licnn.data").joinpath(synsets.TABLE).is_file()


def test_derived_synset_words_match_the_table() -> None:
    lines = derive.synset_words().splitlines()
    assert len(lines) == 1000
    assert lines[0] == "n01440764 tench, Tinca tinca"


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: "",
        lambda t: t.replace("imagenet_a_label", "label", 1),
        lambda t: "\n".join(t.splitlines()[:-1]) + "\n",  # a class missing
        lambda t: t.replace("n01440764\t\t", "n01440764 ", 1),  # a row without its columns
        lambda t: t.replace("\t0\tstingray", "\t\tstingray", 1),  # an ImageNet-A label missing
        lambda t: t.replace("\t1\tgoldfinch", "\t0\tgoldfinch", 1),  # one label twice
        lambda t: t.replace("\t0\tstingray", "\tx\tstingray", 1),
    ],
)
def test_damaged_table_is_refused(damage: Callable[[str], str]) -> None:
    text = _table_text()
    damaged = damage(text)
    assert damaged != text
    with pytest.raises(DataError, match="reinstall licnn"):
        synsets.parse_table(damaged)


def test_generator_writes_the_packaged_table(tmp_path: Path) -> None:
    """scripts/make_manifests.py, given a mirror holding these classes, writes the same bytes."""
    path = ROOT / "scripts" / "make_manifests.py"
    spec = importlib.util.spec_from_file_location("make_manifests", path)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    (tmp_path / "imagenet-val-annotations").mkdir()
    (tmp_path / "imagenet-val-annotations" / "synset_words.txt").write_text(derive.synset_words())
    (tmp_path / "imagenet-a-index").mkdir()
    with open(tmp_path / "imagenet-a-index" / "imagenet-a.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "label200", "wnid", "name"])
        for label, wnid in reversed(list(enumerate(synsets.IMAGENET_A_WNIDS))):
            writer.writerow([f"{wnid}/a.jpg", label, wnid, "x"])
            writer.writerow([f"{wnid}/b.jpg", label, wnid, "x"])
    out = tmp_path / "synsets.tsv"
    script.write_synsets(tmp_path, out)
    assert out.read_bytes() == _table_text().encode()
