"""The data layer: manifests, fetch from a mirror or a source (with resume), verify, loaders."""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import licnn.data as data
from licnn.cli import main
from licnn.data import derive
from licnn.data.download import download, part_path
from licnn.errors import DataError

# --- manifests -------------------------------------------------------------------------


def test_index_lists_every_dataset_with_matching_manifest_hashes() -> None:
    index = data.read_index()
    assert set(index) == {
        "imagenet-val-1300",
        "imagenet-samples-1000",
        "pascal-s",
        "imagenet-val-annotations",
        "imagenet-a-index",
        "imagenet-a",
        "imagenet-val",
        "imagenet-a-proxy",
    }
    for name, info in index.items():
        assert info.description and info.licence and info.source
        assert data.manifest_hash(name) == info.manifest_sha256, name
        assert len(data.manifest_hash(name)) == 64


def test_manifest_rows_name_their_source() -> None:
    for name in (
        "imagenet-val-1300",
        "imagenet-samples-1000",
        "pascal-s",
        "imagenet-val-annotations",
    ):
        entries = data.read_manifest(name)
        assert len(entries) == data.dataset_info(name).n_files
        for entry in entries:
            assert len(entry.sha256) == 64 and entry.size and entry.size > 0
            assert entry.url.startswith("https://raw.githubusercontent.com/") or entry.derived
    (tar,) = data.read_manifest("imagenet-a")
    assert tar.sha256 == "unknown" and tar.url.endswith("imagenet-a.tar")
    assert (
        data.dataset_info("imagenet-samples-1000").transform["name"].startswith("shorter-side-256")
    )


def test_imagenet_a_class_indices() -> None:
    indices = data.imagenet_a_class_indices()
    assert len(indices) == len(set(indices)) == 200
    assert list(indices) == sorted(indices)
    assert indices[0] == 6  # stingray, n01498041


def test_text_recipes_reproduce_the_fetched_files(data_dir: Path) -> None:
    notes = data_dir / "imagenet-val-annotations"
    assert derive.synset_words().encode() == (notes / "synset_words.txt").read_bytes()
    val = data_dir / "imagenet-val-1300"
    files = [p.name for p in (val / "images").iterdir()]
    text = derive.imagenet_val_1300_labels(files, notes)
    assert text.encode() == (val / "labels.csv").read_bytes()


def test_imagenet_a_index_recipe() -> None:
    source = (
        "path,label,class,valid\n"
        "/home/x/imagenet-a/n01498041/0.1_a _ b_0.8.jpg,0,stingray,\n"
        "/home/x/imagenet-a/n01531178/0.2_c.jpg,1,goldfinch,OK\n"
    )
    rows = list(csv.reader(io.StringIO(derive.imagenet_a_index(source))))
    assert rows == [
        ["file", "label200", "wnid", "name"],
        ["n01498041/0.1_a _ b_0.8.jpg", "0", "n01498041", "stingray"],
        ["n01531178/0.2_c.jpg", "1", "n01531178", "goldfinch"],
    ]


# --- fetch (the data root serves as the mirror), verify, load ---------------------------


def test_fetch_copies_and_verify_passes(fetched_data: Path) -> None:
    for name in ("imagenet-val-1300", "pascal-s", "imagenet-val-annotations"):
        report = data.verify(name, fetched_data)
        assert report.status == "ok", report.summary()
        assert report.hard_links == 0 and not report.strays, report.summary()
    again = data.fetch("imagenet-val-1300", fetched_data, progress=False)
    assert [r.present for r in again] == [4, 1301]


def test_verify_detects_a_corrupted_and_a_missing_file(data_dir: Path, tmp_path: Path) -> None:
    data.fetch("imagenet-val-annotations", tmp_path, data_dir, progress=False)
    data.fetch("imagenet-a-index", tmp_path, data_dir, progress=False)
    folder = tmp_path / "imagenet-val-annotations"
    target = folder / "image_sizes.txt"
    original = target.read_bytes()
    target.write_bytes(original[:-1] + b"9")  # a copy: the data root's file is not touched
    (folder / "synset_words.txt").unlink()
    report = data.verify("imagenet-val-annotations", tmp_path)
    assert report.failed
    assert report.bad == ["image_sizes.txt"] and report.missing == ["synset_words.txt"]
    assert "bad checksum" in report.summary() and "missing" in report.summary()
    assert main(["data", "verify", "--root", str(tmp_path), "imagenet-val-annotations"]) == 2
    data.fetch("imagenet-val-annotations", tmp_path, data_dir, progress=False)
    assert data.verify("imagenet-val-annotations", tmp_path).status == "ok"
    assert data.verify("imagenet-a-index", tmp_path).status == "ok"


def test_damaged_mirror_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "mirror" / "imagenet-a-index"
    fake.mkdir(parents=True)
    (fake / "LICENSE").write_text("not the licence\n")
    with pytest.raises(DataError, match="mirror file .* fails its SHA-256"):
        data.fetch("imagenet-a-index", tmp_path / "root", tmp_path / "mirror", progress=False)


def test_cli_fetch_and_verify(data_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LICNN_DATA", str(tmp_path))
    monkeypatch.setenv("LICNN_DATA_MIRROR", str(data_dir))
    assert main(["data", "fetch", "imagenet-a-index", "--quiet"]) == 0
    assert "imagenet-a-index: 2 files: 2 copied" in capsys.readouterr().out
    assert main(["data", "verify"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "imagenet-a-index: ok, 2 files" in out[4]
    assert any(line.startswith("pascal-s: absent") for line in out)
    assert main(["data", "list"]) == 0
    assert "imagenet-a-index" in capsys.readouterr().out


def test_load_imagenet_val_1300(fetched_data: Path) -> None:
    dataset = data.load_dataset("imagenet-val-1300", fetched_data)
    assert len(dataset) == 1300 and dataset.labelled and dataset.class_indices is None
    assert dataset.manifest_hash == data.manifest_hash("imagenet-val-1300")
    first = dataset[0]
    assert first.label == 472 and first.wnid == "n02951358" and first.name == "canoe"
    assert first.boxes.shape == (8, 4) and first.boxes.dtype == np.float32
    assert np.allclose(first.boxes[0], [9.1, 105.9, 50.4, 176.8])
    assert first.path.is_file()
    assert len(data.load_dataset("imagenet-val-1300", fetched_data, limit=5)) == 5


def test_load_samples_and_pascal(fetched_data: Path) -> None:
    samples = data.load_dataset("imagenet-samples-1000", fetched_data)
    assert [r.label for r in samples] == list(range(1000))
    assert samples[0].boxes is None
    pascal = data.load_dataset("pascal-s", fetched_data)
    assert len(pascal) == 850 and not pascal.labelled
    assert pascal[0].label is None and pascal[0].mask.is_file()
    assert [r.key for r in pascal[:3]] == ["1.jpg", "2.jpg", "3.jpg"]


def test_load_proxy_over_200_classes(fetched_data: Path) -> None:
    proxy = data.load_dataset("imagenet-a-proxy", fetched_data)
    assert len(proxy) == data.dataset_info("imagenet-a-proxy").n_files > 50
    assert proxy.class_indices == data.imagenet_a_class_indices()
    assert all(r.label in proxy.class_indices and r.path.is_file() for r in proxy)
    assert data.verify("imagenet-a-proxy", fetched_data).status == "ok"


def test_missing_dataset_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="licnn data fetch pascal-s --mirror DIR"):
        data.load_dataset("pascal-s", tmp_path)
    with pytest.raises(DataError, match="unknown dataset"):
        data.load_dataset("imagenet-z", tmp_path)
    with pytest.raises(DataError, match="not images"):
        data.load_dataset("imagenet-val-annotations", tmp_path)


def test_iter_images_skips_bad_files(fetched_data: Path, tmp_path: Path) -> None:
    records = list(data.load_dataset("imagenet-val-1300", fetched_data, limit=3))
    bad = tmp_path / "bad.JPEG"
    bad.write_text("not an image")
    records.insert(1, data.Record(path=bad, label=1))
    errors: list = []
    loaded = list(data.iter_images(records, errors))
    assert len(loaded) == 3 and all(image.mode == "RGB" for _, image in loaded)
    assert len(errors) == 1 and "not an image" in errors[0][1]


def test_imagenet_val_folder_uses_the_annotations(
    fetched_data: Path, tmp_path: Path, monkeypatch
) -> None:
    val = tmp_path / "val"
    val.mkdir()
    for i in (1, 2, 3):
        Image.new("RGB", (500, 375), "grey").save(val / f"ILSVRC2012_val_{i:08d}.JPEG")
    dataset = data.load_dataset("imagenet-val", fetched_data, path=tmp_path)
    assert [r.label for r in dataset] == [65, 970, 230]
    assert np.allclose(dataset[0].boxes, [[111, 108, 441, 193]])
    assert dataset.manifest_hash == data.manifest_hash("imagenet-val-annotations")
    monkeypatch.setenv("LICNN_IMAGENET_VAL", str(val))
    assert len(data.load_dataset("imagenet-val", fetched_data)) == 3
    assert data.verify("imagenet-val", fetched_data).n_files == 3
    (report,) = data.fetch("imagenet-val", fetched_data, progress=False)[-1:]
    assert report.present == 3 and "3 of 50000 images found" in report.summary()


def test_imagenet_a_from_a_tarball(fetched_data: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(open(fetched_data / "imagenet-a-index" / "imagenet-a.csv")))
    payload = (Path(__file__).parent / "test_data.py").read_bytes()[:64]
    mirror = tmp_path / "mirror" / "imagenet-a"
    mirror.mkdir(parents=True)
    with tarfile.open(mirror / "imagenet-a.tar", "w") as tar:
        for row in rows:
            info = tarfile.TarInfo(f"imagenet-a/{row['file']}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    root = tmp_path / "root"
    (root / "imagenet-a-index").mkdir(parents=True)
    for f in ("imagenet-a.csv", "LICENSE"):
        (root / "imagenet-a-index" / f).symlink_to(fetched_data / "imagenet-a-index" / f)
    (report,) = [
        r
        for r in data.fetch("imagenet-a", root, tmp_path / "mirror", progress=False)
        if r.name == "imagenet-a"
    ]
    assert "not checked" in report.summary()
    assert data.verify("imagenet-a", root).status == "ok"
    dataset = data.load_dataset("imagenet-a", root)
    assert len(dataset) == 7500 and dataset.class_indices == data.imagenet_a_class_indices()
    assert {r.label for r in dataset} == set(data.imagenet_a_class_indices())


# --- download with resume, fetch from a source -----------------------------------------


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` (path -> bytes), honouring ``Range: bytes=N-`` when ``ranges`` is set."""

    files: dict[str, bytes] = {}
    ranges = True
    seen: list[str | None] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = self.files.get(self.path)
        self.seen.append(self.headers.get("Range"))
        if body is None:
            self.send_error(404)
            return
        start = 0
        header = self.headers.get("Range")
        if header and self.ranges:
            start = int(header.removeprefix("bytes=").rstrip("-"))
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[tuple[str, type[_RangeHandler]]]:
    handler = type("Handler", (_RangeHandler,), {"files": {}, "ranges": True, "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def test_download_resumes_a_part_file(server, tmp_path: Path) -> None:
    url, handler = server
    body = bytes(range(256)) * 400
    handler.files["/blob.bin"] = body
    dest = tmp_path / "blob.bin"
    part_path(dest).write_bytes(body[:40_000])
    download(f"{url}/blob.bin", dest, progress=False)
    assert dest.read_bytes() == body and not part_path(dest).exists()
    assert handler.seen == ["bytes=40000-"]


def test_download_restarts_when_the_server_ignores_range(server, tmp_path: Path) -> None:
    url, handler = server
    handler.ranges = False
    body = b"abc" * 10_000
    handler.files["/x"] = body
    dest = tmp_path / "x"
    part_path(dest).write_bytes(b"zzz")
    download(f"{url}/x", dest, progress=False)
    assert dest.read_bytes() == body


def test_download_of_a_complete_part_and_errors(server, tmp_path: Path) -> None:
    url, handler = server
    handler.files["/done"] = b"complete"
    dest = tmp_path / "done"
    part_path(dest).write_bytes(b"complete")
    download(f"{url}/done", dest, progress=False)  # server answers 416: nothing left
    assert dest.read_bytes() == b"complete"
    with pytest.raises(DataError, match="HTTP 404"):
        download(f"{url}/nothing", tmp_path / "nothing", progress=False)
    with pytest.raises(DataError, match="cannot download"):
        download("http://127.0.0.1:9/closed", tmp_path / "closed", progress=False, timeout=2)


def test_download_file_url(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"local bytes")
    download(source.as_uri(), tmp_path / "copy.bin", progress=False)
    assert (tmp_path / "copy.bin").read_bytes() == b"local bytes"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_fetch_from_source_checks_and_regenerates(server, tmp_path: Path, monkeypatch) -> None:
    """A tiny index served over HTTP: plain files, a resized image, a bad checksum."""
    url, handler = server
    big = io.BytesIO()
    Image.new("RGB", (600, 400), (0, 90, 200)).save(big, "JPEG", quality=90)
    small = io.BytesIO()
    Image.new("RGB", (300, 200), (9, 9, 9)).save(small, "JPEG", quality=90)
    handler.files.update(
        {"/a.txt": b"alpha\n", "/big.jpg": big.getvalue(), "/small.jpg": small.getvalue()}
    )
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    rows = [
        ["a.txt", _sha(b"alpha\n"), 6, f"{url}/a.txt"],
        # the resized bytes are not known in advance: recorded as regenerated
        ["images/big.jpg", "0" * 64, 1, f"{url}/big.jpg"],
        # shorter side under 256: kept unchanged, so its checksum must match
        ["images/small.jpg", _sha(small.getvalue()), len(small.getvalue()), f"{url}/small.jpg"],
    ]
    with open(manifests / "tiny.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["relpath", "sha256", "size", "url"], *rows])
    entry = {
        "kind": "files",
        "description": "test",
        "licence": "none",
        "source": url,
        "manifest": "tiny.csv",
        "manifest_sha256": None,
        "n_files": 3,
        "labelled": False,
        "transform": {"name": derive.TRANSFORM_NAME, "applies_to": "images/"},
    }
    broken = {**entry, "manifest": "broken.csv", "transform": None}
    with open(manifests / "broken.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(
            [["relpath", "sha256", "size", "url"], ["a.txt", "1" * 64, 6, f"{url}/a.txt"]]
        )
    (manifests / "index.json").write_text(
        json.dumps({"datasets": {"tiny": entry, "broken": broken}})
    )
    monkeypatch.setenv("LICNN_MANIFESTS", str(manifests))
    monkeypatch.delenv("LICNN_DATA_MIRROR", raising=False)
    root = tmp_path / "root"

    (report,) = data.fetch("tiny", root, progress=False)
    assert report.downloaded == 3 and report.regenerated == ["images/big.jpg"]
    with Image.open(root / "tiny" / "images" / "big.jpg") as resized:
        assert resized.size == (384, 256)
    verified = data.verify("tiny", root)
    assert verified.status == "regenerated" and not verified.failed
    assert "1 regenerated" in verified.summary()
    (again,) = data.fetch("tiny", root, progress=False)
    assert again.present == 3 and again.downloaded == 0

    with pytest.raises(DataError, match="fail their SHA-256"):
        data.fetch("broken", root, progress=False)
    assert not (root / "broken" / "a.txt").exists()
