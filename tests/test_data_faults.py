"""Faults of data folders, mirrors and manifests: each is reported, by name, never ignored.

Every test builds a tiny index of its own (``LICNN_MANIFESTS``) over fake datasets that carry
the real names (``pascal-s``, ``imagenet-val-1300``, ...), so the real loaders run, in a
``tmp_path`` mirror and data root. Nothing here reads or writes the real data folder.
Source URLs are ``file://`` paths that do not exist: a download always fails, at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

import licnn.data as data
from licnn.cli import main
from licnn.errors import DataError

WNID = "n01440764"  # tench, ImageNet index 0


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 40, 90)).save(out, "JPEG")
    return out.getvalue()


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (8, 8), shade).save(out, "PNG")
    return out.getvalue()


def _sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@dataclass
class Fake:
    """A mirror, an empty data root and the manifests describing the mirror's datasets."""

    mirror: Path
    root: Path
    manifests: Path
    gone: str  # a file:// URL prefix where nothing exists

    def write_manifest(self, name: str, rows: list[list[object]]) -> None:
        with open(self.manifests / f"{name}.csv", "w", newline="") as fh:
            csv.writer(fh).writerows([["relpath", "sha256", "size", "url"], *rows])

    def index(self) -> dict:
        return json.loads((self.manifests / "index.json").read_text())

    def write_index(self, index: dict) -> None:
        (self.manifests / "index.json").write_text(json.dumps(index))


def _entry(kind: str, manifest: str | None, n_files: int, labelled: bool = False) -> dict:
    return {
        "kind": kind,
        "description": "fake: for the fault tests",
        "licence": "none",
        "source": "nowhere",
        "manifest": manifest,
        "manifest_sha256": None,
        "n_files": n_files,
        "labelled": labelled,
    }


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fake:
    """``pascal-s`` (3 images, 3 masks), ``imagenet-val-1300`` (2 images, labels),
    ``imagenet-a-index`` + ``imagenet-a`` (2 images in a mirror folder) and a proxy list."""
    mirror, manifests = tmp_path / "mirror", tmp_path / "manifests"
    manifests.mkdir()
    gone = (tmp_path / "gone").as_uri()
    files: dict[str, dict[str, bytes]] = {
        "pascal-s": {
            **{f"images/{i}.jpg": _jpeg(i) for i in (1, 2, 10)},
            **{f"masks/{i}.png": _png(20 * i) for i in (1, 2, 10)},
        },
        "imagenet-val-1300": {f"images/{k}.JPEG": _jpeg(100 + i) for i, k in enumerate("ab")},
        "imagenet-a-index": {},
    }
    labels = "file,label,name,wnid,boxes_xyxy_227\n" + "".join(
        f"{k}.JPEG,0,tench,{WNID},1 2 30 40\n" for k in "ab"
    )
    files["imagenet-val-1300"]["labels.csv"] = labels.encode()
    a_files = [f"{WNID}/{i}.jpg" for i in (0, 1)]
    listing = "file,wnid,name\n" + "".join(f"{f},{WNID},tench\n" for f in a_files)
    files["imagenet-a-index"]["imagenet-a.csv"] = listing.encode()
    for name, content in files.items():
        for rel, payload in content.items():
            (mirror / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (mirror / name / rel).write_bytes(payload)
    for f in a_files:
        (mirror / "imagenet-a" / f).parent.mkdir(parents=True, exist_ok=True)
        (mirror / "imagenet-a" / f).write_bytes(_jpeg(7))
    result = Fake(mirror, tmp_path / "root", manifests, gone)
    for name, content in files.items():
        result.write_manifest(
            name,
            [[rel, _sha(b), len(b), f"{gone}/{name}/{rel}"] for rel, b in sorted(content.items())],
        )
    result.write_manifest("imagenet-a", [["imagenet-a.tar", "unknown", "", f"{gone}/a.tar"]])
    (manifests / "imagenet-a-proxy.csv").write_text(
        "dataset,file,label,lite2_top1\nimagenet-val-1300,b.JPEG,0,1\n"
    )
    index = {
        "pascal-s": _entry("files", "pascal-s.csv", 6),
        "imagenet-val-1300": _entry("files", "imagenet-val-1300.csv", 3, labelled=True),
        "imagenet-a-index": _entry("files", "imagenet-a-index.csv", 1),
        "imagenet-a": {
            **_entry("archive", "imagenet-a.csv", 2, labelled=True),
            "requires": ["imagenet-a-index"],
        },
        "imagenet-a-proxy": {
            **_entry("subset", "imagenet-a-proxy.csv", 1, labelled=True),
            "requires": ["imagenet-val-1300"],
        },
    }
    for entry in index.values():
        entry["manifest_sha256"] = _sha((manifests / entry["manifest"]).read_bytes())
    result.write_index({"datasets": index})
    monkeypatch.setenv("LICNN_MANIFESTS", str(manifests))
    monkeypatch.delenv("LICNN_DATA_MIRROR", raising=False)
    monkeypatch.delenv("LICNN_DATA", raising=False)
    return result


def _fetch(fake: Fake, name: str, **kwargs: object) -> data.FetchReport:
    return data.fetch(name, fake.root, fake.mirror, progress=False, **kwargs)[-1]


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# --- fetch: copy by default, links opt-in ------------------------------------------------


def test_fetch_copies_so_an_edit_leaves_the_mirror_alone(fake: Fake) -> None:
    report = _fetch(fake, "pascal-s")
    assert report.copied == 6 and report.linked == 0
    fetched = fake.root / "pascal-s" / "images" / "1.jpg"
    assert fetched.stat().st_nlink == 1
    fetched.write_bytes(b"edited in place")
    assert (fake.mirror / "pascal-s" / "images" / "1.jpg").read_bytes() == _jpeg(1)
    assert data.verify("pascal-s", fake.root).bad == ["images/1.jpg"]


def test_link_is_opt_in_and_a_later_copying_fetch_breaks_the_links(fake: Fake) -> None:
    report = _fetch(fake, "pascal-s", link=True)
    assert report.linked == 6
    verified = data.verify("pascal-s", fake.root)
    assert verified.status == "ok" and verified.hard_links == 6
    assert "6 hard links" in verified.summary()
    again = _fetch(fake, "pascal-s")
    assert again.unlinked == 6 and again.present == 0
    assert "hard links to the mirror replaced by copies" in again.summary()
    (fake.root / "pascal-s" / "masks" / "2.png").write_bytes(b"edited")
    assert (fake.mirror / "pascal-s" / "masks" / "2.png").read_bytes() == _png(40)
    assert _fetch(fake, "pascal-s").present == 5  # the edited mask is replaced from the mirror


def test_cli_link_flag_and_its_help(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["data", "fetch", "pascal-s", "--root", str(fake.root), "--mirror", str(fake.mirror)]
    assert main([*argv, "--quiet", "--link"]) == 0
    assert "6 linked" in capsys.readouterr().out
    assert main(["data", "fetch", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--link" in help_text and "changes (damages) the mirror too" in help_text
    assert main([*argv, "--link", "--copy"]) == 2
    assert "not allowed with" in _error_line(capsys)


# --- mirror faults -----------------------------------------------------------------------


def test_a_mirror_file_with_a_bad_checksum_is_named(fake: Fake) -> None:
    damaged = fake.mirror / "pascal-s" / "masks" / "10.png"
    damaged.write_bytes(b"not the mask")
    with pytest.raises(DataError, match="fails its SHA-256") as caught:
        _fetch(fake, "pascal-s")
    assert str(damaged) in str(caught.value)


def test_a_gap_in_the_mirror_names_the_file_not_the_option(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    (fake.mirror / "pascal-s" / "images" / "2.jpg").unlink()
    with pytest.raises(DataError) as caught:
        _fetch(fake, "pascal-s")
    message = str(caught.value)
    assert "images/2.jpg is not in the mirror" in message and "--mirror" not in message
    argv = ["data", "fetch", "pascal-s", "--root", str(fake.root), "--mirror", str(fake.mirror)]
    assert main([*argv, "--quiet"]) == 2
    line = _error_line(capsys)
    assert "images/2.jpg" in line and "--mirror" not in line


def test_a_mirror_without_the_dataset_folder_says_so(fake: Fake) -> None:
    empty = fake.mirror.parent / "empty-mirror"
    empty.mkdir()
    with pytest.raises(DataError, match="has no pascal-s folder"):
        data.fetch("pascal-s", fake.root, empty, progress=False)


def test_without_a_mirror_a_failed_download_advises_one(fake: Fake) -> None:
    with pytest.raises(DataError, match="--mirror DIR"):
        data.fetch("pascal-s", fake.root, progress=False)


def test_a_gap_in_a_mirrored_archive_folder_names_the_file(fake: Fake) -> None:
    data.fetch("imagenet-a-index", fake.root, fake.mirror, progress=False)
    (fake.mirror / "imagenet-a" / WNID / "1.jpg").unlink()
    with pytest.raises(DataError, match=f"not in the mirror .*first: {WNID}/1.jpg"):
        _fetch(fake, "imagenet-a")


def test_missing_mirror_folder_names_where_it_was_given(
    fake: Fake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LICNN_DATA_MIRROR", str(fake.mirror / "nowhere"))
    assert main(["data", "fetch", "pascal-s", "--root", str(fake.root)]) == 2
    assert "$LICNN_DATA_MIRROR" in _error_line(capsys)


def test_a_data_root_that_is_a_file_is_one_line(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.root.write_text("a file, not a folder")
    argv = ["data", "fetch", "pascal-s", "--root", str(fake.root), "--mirror", str(fake.mirror)]
    assert main([*argv, "--quiet"]) == 2
    assert "must be a writable folder" in _error_line(capsys)


# --- strays: reported by verify and fetch, ignored by the loaders -------------------------


@pytest.mark.parametrize(
    ("extra", "stray"),
    [
        ("images/11.jpg", "images/11.jpg"),  # the PASCAL-S case: a 4th image by hand
        ("images/old/1.jpg", "images/old/"),  # a stray sub-folder: one entry
        ("backup/masks/1.png", "backup/"),
        ("notes.txt", "notes.txt"),
    ],
)
def test_strays_are_reported_and_not_loaded(fake: Fake, extra: str, stray: str) -> None:
    _fetch(fake, "pascal-s")
    (fake.root / "pascal-s" / extra).parent.mkdir(parents=True, exist_ok=True)
    (fake.root / "pascal-s" / extra).write_bytes(_jpeg(3))
    report = data.verify("pascal-s", fake.root)
    assert report.strays == [stray] and report.status == "ok"
    assert f"1 not in the manifest, ignored by the loaders (first: {stray})" in report.summary()
    assert _fetch(fake, "pascal-s").strays == [stray]
    dataset = data.load_dataset("pascal-s", fake.root)
    assert [r.key for r in dataset] == ["1.jpg", "2.jpg", "10.jpg"]


def test_strays_of_an_archive_dataset(fake: Fake) -> None:
    _fetch(fake, "imagenet-a")
    (fake.root / "imagenet-a" / WNID / "extra.jpg").write_bytes(_jpeg(5))
    report = data.verify("imagenet-a", fake.root)
    assert report.status == "ok" and report.strays == [f"{WNID}/extra.jpg"]
    assert len(data.load_dataset("imagenet-a", fake.root)) == 2
    (fake.root / "imagenet-a" / WNID / "0.jpg").unlink()
    assert data.is_present("imagenet-a", fake.root) == (1, 2)  # the stray is not counted


def test_verify_names_only_strays_not_the_fetch_record(fake: Fake) -> None:
    _fetch(fake, "pascal-s")
    (fake.root / "pascal-s" / ".licnn-fetch.json").write_text("{}")
    assert data.verify("pascal-s", fake.root).strays == []


# --- the manifest lists what the folder lacks ---------------------------------------------


@pytest.mark.parametrize("lost", ["images/2.jpg", "masks/10.png"])
def test_a_listed_file_that_is_gone_is_named_by_the_loader(fake: Fake, lost: str) -> None:
    _fetch(fake, "pascal-s")
    (fake.root / "pascal-s" / lost).unlink()
    with pytest.raises(DataError, match=f"missing from .*first: {lost}.*licnn data fetch pascal-s"):
        data.load_dataset("pascal-s", fake.root)
    report = data.verify("pascal-s", fake.root)
    assert report.failed and report.missing == [lost]


def test_an_absent_dataset_folder(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DataError, match="licnn data fetch pascal-s"):
        data.load_dataset("pascal-s", fake.root)
    assert data.verify("pascal-s", fake.root).status == "absent"
    assert main(["data", "verify", "--root", str(fake.root), "pascal-s"]) == 2


def test_labels_that_disagree_with_the_manifest(fake: Fake) -> None:
    _fetch(fake, "imagenet-val-1300")
    labels = fake.root / "imagenet-val-1300" / "labels.csv"
    original = labels.read_text()
    labels.write_text(original + f"c.JPEG,0,tench,{WNID},\n")
    (fake.root / "imagenet-val-1300" / "images" / "c.JPEG").write_bytes(_jpeg(9))
    with pytest.raises(DataError, match="not in its manifest .*first: images/c.JPEG"):
        data.load_dataset("imagenet-val-1300", fake.root)
    labels.write_text(original.splitlines(keepends=True)[0] + original.splitlines()[1] + "\n")
    with pytest.raises(DataError, match="no labels row .*first: images/b.JPEG"):
        data.load_dataset("imagenet-val-1300", fake.root)
    assert data.verify("imagenet-val-1300", fake.root).bad == ["labels.csv"]


def test_a_listed_archive_image_that_is_gone(fake: Fake) -> None:
    _fetch(fake, "imagenet-a")
    (fake.root / "imagenet-a" / WNID / "1.jpg").unlink()
    with pytest.raises(DataError, match=f"first: {WNID}/1.jpg.*licnn data fetch imagenet-a"):
        data.load_dataset("imagenet-a", fake.root)


def test_a_proxy_row_the_source_does_not_have(fake: Fake) -> None:
    _fetch(fake, "imagenet-val-1300")
    assert [r.key for r in data.load_dataset("imagenet-a-proxy", fake.root)] == [
        "imagenet-val-1300/b.JPEG"
    ]
    (fake.manifests / "imagenet-a-proxy.csv").write_text(
        "dataset,file,label,lite2_top1\nimagenet-val-1300,z.JPEG,0,1\n"
    )
    with pytest.raises(DataError, match="imagenet-val-1300/z.JPEG, which that dataset"):
        data.load_dataset("imagenet-a-proxy", fake.root)


# --- the manifests themselves ---------------------------------------------------------------


def test_an_edited_manifest_fails_verification(fake: Fake) -> None:
    _fetch(fake, "pascal-s")
    path = fake.manifests / "pascal-s.csv"
    path.write_text(path.read_text().replace("images/10.jpg", "images/11.jpg"))
    report = data.verify("pascal-s", fake.root)
    assert report.failed and "differs from the SHA-256 in index.json" in report.summary()


@pytest.mark.parametrize("relpath", ["../outside.jpg", "/etc/passwd", "images/../../x.jpg", ""])
def test_manifest_paths_outside_the_folder_are_refused(fake: Fake, relpath: str) -> None:
    fake.write_manifest("pascal-s", [[relpath, "0" * 64, 1, f"{fake.gone}/x"]])
    with pytest.raises(DataError, match="not a path inside the dataset folder"):
        data.read_manifest("pascal-s")


def test_a_manifest_row_twice_is_refused(fake: Fake) -> None:
    row = ["images/1.jpg", "0" * 64, 1, f"{fake.gone}/x"]
    fake.write_manifest("pascal-s", [row, row])
    with pytest.raises(DataError, match="lists images/1.jpg twice"):
        data.read_manifest("pascal-s")
