"""Write data/manifests/ (one CSV per dataset, index.json) and licnn/data/synsets.tsv from a mirror.

Usage: python scripts/make_manifests.py [--mirror /work/shared/datasets]

Each manifest row is ``relpath,sha256,size,url``: the file's path in the dataset folder (the
mirror's layout), its checksum and size in the mirror, and where it comes from (a raw GitHub
URL at the commit given, or ``derived:RECIPE`` for files rebuilt from the source by
:mod:`licnn.data.derive`). The script also checks that every text recipe reproduces the
mirror's bytes exactly, so a download from the sources gives the same files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
MANIFESTS = REPO / "data" / "manifests"
SYNSETS_TABLE = REPO / "src" / "licnn" / "data" / "synsets.tsv"

IMAGENET_TERMS = "ImageNet terms of access (non-commercial research and education only)"


def raw_url(repo: str, commit: str, path: str) -> str:
    """A raw.githubusercontent.com URL for ``path`` in ``repo`` at ``commit``."""
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{quote(path)}"


IMAGENET_A_URL = "https://people.eecs.berkeley.edu/~hendrycks/imagenet-a.tar"
IMAGENET_A_SOURCE_CSV = raw_url(
    "lisadunlap/natural-adv-examples", "5849afb", "notebooks/imagenet-a_images.csv"
)

# name -> (kind, description, licence, source, labelled, requires, url of a relpath or None)
DATASETS: dict[str, dict] = {
    "imagenet-val-1300": {
        "kind": "files",
        "description": "1300 ILSVRC2012 validation images in 725 classes, resized to 227x227 by the "
        "source (aspect ratio not kept), with labels and boxes scaled to 227x227",
        "licence": IMAGENET_TERMS,
        "source": "GitHub VeriSilicon/acuity-dataset at aded2e9, ILSVRC2012_VAL_SET/data; labels.csv "
        "rebuilt from imagenet-val-annotations",
        "labelled": True,
        "requires": ["imagenet-val-annotations"],
        "url": lambda rel: (
            raw_url("VeriSilicon/acuity-dataset", "aded2e9", "ILSVRC2012_VAL_SET/data/" + rel[7:])
            if rel.startswith("images/")
            else "derived:imagenet-val-1300-labels"
        ),
    },
    "imagenet-samples-1000": {
        "kind": "files",
        "description": "one ImageNet image per class (split not stated by the source), shorter "
        "side shrunk to 256 px where it was longer",
        "licence": IMAGENET_TERMS,
        "source": "GitHub EliSchwartz/imagenet-sample-images at bc69043 (repository root); "
        "labels.csv rebuilt from the file names",
        "labelled": True,
        "requires": [],
        "transform": {
            "name": "shorter-side-256-lanczos-q95",
            "applies_to": "images/",
            "note": "the mirror shrank images whose shorter side exceeds 256 px to 256 px "
            "(Pillow Lanczos, JPEG quality 95) and kept the others unchanged; a download from "
            "the source is transformed the same way before checking, and a shrunk image whose "
            "bytes differ (another Pillow or libjpeg version) is reported as regenerated",
        },
        "url": lambda rel: (
            raw_url("EliSchwartz/imagenet-sample-images", "bc69043", rel[7:])
            if rel.startswith("images/")
            else "derived:imagenet-samples-1000-labels"
        ),
    },
    "pascal-s": {
        "kind": "files",
        "description": "PASCAL-S salient object benchmark: 850 images with graded masks "
        "(share of 12 annotators; binarise at 0.5); no class labels",
        "licence": "not stated by the source",
        "source": "GitHub frankLeo123/Saliency_Matlab at 265e547, config/pascal and config/mask "
        "(original: Li et al., CVPR 2014)",
        "labelled": False,
        "requires": [],
        "url": lambda rel: raw_url(
            "frankLeo123/Saliency_Matlab",
            "265e547",
            ("config/pascal/" + rel[7:])
            if rel.startswith("images/")
            else ("config/mask/" + rel[6:]),
        ),
    },
    "imagenet-val-annotations": {
        "kind": "files",
        "description": "labels, image sizes and boxes (original pixels) of all 50,000 ILSVRC2012 "
        "validation images, and the 1000 class synsets in index order",
        "licence": "MIT",
        "source": "GitHub clovaai/wsolevaluation at 96f4b88, metadata/ILSVRC/test; "
        "synset_words.txt written from licnn.data.synsets",
        "labelled": False,
        "requires": [],
        "url": lambda rel: (
            "derived:synset-words"
            if rel == "synset_words.txt"
            else raw_url("clovaai/wsolevaluation", "96f4b88", "metadata/ILSVRC/test/" + rel)
        ),
    },
    "imagenet-a-index": {
        "kind": "files",
        "description": "the list of the 7500 ImageNet-A files (file, label200, wnid, name); no images",
        "licence": "MIT",
        "source": "GitHub lisadunlap/natural-adv-examples at 5849afb, notebooks/imagenet-a_images.csv "
        "(rewritten as file,label200,wnid,name); LICENSE from hendrycks/natural-adv-examples",
        "labelled": False,
        "requires": [],
        "derived_from": {"imagenet-a-index": IMAGENET_A_SOURCE_CSV},
        "url": lambda rel: (
            "derived:imagenet-a-index"
            if rel == "imagenet-a.csv"
            else raw_url("hendrycks/natural-adv-examples", "13aadd7", rel)
        ),
    },
}


EXTRA_ENTRIES: dict[str, dict] = {
    "imagenet-a": {
        "kind": "archive",
        "description": "ImageNet-A natural adversarial examples: 7500 images of 200 ImageNet "
        "classes (Hendrycks et al.); accuracy is computed over the 200 classes only",
        "licence": "MIT (code); images from the web, research use",
        "source": f"{IMAGENET_A_URL} (extracted); file list from imagenet-a-index",
        "labelled": True,
        "requires": ["imagenet-a-index"],
        "notes": "the tarball's SHA-256 is not known here, so it is recorded as unknown and not "
        "checked; fetch prints the checksum of the tarball it got, and verify checks that every "
        "file of imagenet-a-index is present",
        "n_files": 7500,
    },
    "imagenet-val": {
        "kind": "folder",
        "description": "a full ILSVRC2012 validation folder the user has (50,000 images), "
        "labelled and boxed (original pixels) by imagenet-val-annotations",
        "licence": IMAGENET_TERMS,
        "source": "image-net.org after registration (cannot be downloaded automatically); "
        "give the folder with LICNN_IMAGENET_VAL or put it in <data root>/imagenet-val",
        "labelled": True,
        "requires": ["imagenet-val-annotations"],
        "n_files": 50000,
    },
    "imagenet-a-proxy": {
        "kind": "subset",
        "description": "proxy for ImageNet-A made by adversarial filtration: the images of the 200 "
        "ImageNet-A classes in imagenet-val-1300 and imagenet-samples-1000 that "
        "EfficientNet-Lite2 gets wrong at top-1; accuracy over the 200 classes only",
        "licence": IMAGENET_TERMS,
        "source": "imagenet-val-1300 and imagenet-samples-1000, filtered by "
        "scripts/make_imagenet_a_proxy.py",
        "labelled": True,
        "requires": ["imagenet-val-1300", "imagenet-samples-1000"],
    },
}


def sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_synsets(mirror: Path, out: Path = SYNSETS_TABLE) -> None:
    """Generate licnn/data/synsets.tsv: the 1000 classes (wnid, words), their ImageNet-A labels.

    One row per ImageNet class in index order (torchvision's): its wnid, its ImageNet-A label
    (0..199; empty for the 800 classes ImageNet-A does not have) and its words, last, so
    that no line ends in a tab.
    :mod:`licnn.data.synsets` reads it.
    """
    lines = (mirror / "imagenet-val-annotations" / "synset_words.txt").read_text().splitlines()
    pairs = [line.split(" ", 1) for line in lines]
    with open(mirror / "imagenet-a-index" / "imagenet-a.csv", newline="") as fh:
        a_wnids = sorted({(int(r["label200"]), r["wnid"]) for r in csv.DictReader(fh)})
    assert [i for i, _ in a_wnids] == list(range(200)), "ImageNet-A labels are not 0..199"
    label200 = {wnid: label for label, wnid in a_wnids}
    assert set(label200) <= {wnid for wnid, _ in pairs}, "ImageNet-A has a wnid ImageNet lacks"
    text = io.StringIO()
    text.write("wnid\timagenet_a_label\twords\n")
    for wnid, words in pairs:
        assert "\t" not in words and words == words.strip(), f"bad words of {wnid}: {words!r}"
        text.write(f"{wnid}\t{label200.get(wnid, '')}\t{words}\n")
    out.write_text(text.getvalue(), encoding="utf-8")


def list_files(folder: Path) -> list[str]:
    """Every file under ``folder`` as a POSIX relative path, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def write_manifest(name: str, rows: list[list[object]]) -> Path:
    path = MANIFESTS / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["relpath", "sha256", "size", "url"])
        writer.writerows(rows)
    return path


def check_recipes(mirror: Path) -> None:
    """Fail if a text recipe does not reproduce the mirror's file byte for byte."""
    from licnn.data import derive

    def same(text: str, path: Path) -> None:
        if text.encode() != path.read_bytes():
            sys.exit(f"recipe output differs from {path}")

    same(derive.synset_words(), mirror / "imagenet-val-annotations" / "synset_words.txt")
    val = mirror / "imagenet-val-1300"
    files = [p.name for p in (val / "images").iterdir()]
    same(
        derive.imagenet_val_1300_labels(files, mirror / "imagenet-val-annotations"),
        val / "labels.csv",
    )
    samples = mirror / "imagenet-samples-1000"
    with open(samples / "labels.csv", newline="") as fh:
        sizes = {
            r["file"]: (int(r["orig_width"]), int(r["orig_height"])) for r in csv.DictReader(fh)
        }
    same(derive.imagenet_samples_labels(sizes), samples / "labels.csv")
    print("text recipes reproduce the mirror's files exactly")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=os.environ.get("LICNN_DATA_MIRROR"))
    args = parser.parse_args()
    if args.mirror is None:
        parser.error("give --mirror DIR or set LICNN_DATA_MIRROR")
    mirror: Path = args.mirror.resolve()
    MANIFESTS.mkdir(parents=True, exist_ok=True)
    write_synsets(mirror)
    check_recipes(mirror)

    index_path = MANIFESTS / "index.json"
    old = json.loads(index_path.read_text())["datasets"] if index_path.exists() else {}
    datasets: dict[str, dict] = {}
    for name, spec in DATASETS.items():
        folder = mirror / name
        rows = []
        for rel in list_files(folder):
            path = folder / rel
            rows.append([rel, sha256(path), path.stat().st_size, spec["url"](rel)])
        manifest = write_manifest(name, rows)
        entry = {k: v for k, v in spec.items() if k != "url"}
        entry.update(
            manifest=manifest.name,
            manifest_sha256=sha256(manifest),
            n_files=len(rows),
            bytes=sum(int(r[2]) for r in rows),
        )
        datasets[name] = entry
        print(f"{name}: {len(rows)} files, manifest {entry['manifest_sha256'][:12]}")

    tar = write_manifest("imagenet-a", [["imagenet-a.tar", "unknown", "", IMAGENET_A_URL]])
    datasets["imagenet-a"] = {
        **EXTRA_ENTRIES["imagenet-a"],
        "manifest": tar.name,
        "manifest_sha256": sha256(tar),
    }
    datasets["imagenet-val"] = {
        **EXTRA_ENTRIES["imagenet-val"],
        "manifest": None,
        "manifest_sha256": datasets["imagenet-val-annotations"]["manifest_sha256"],
    }
    proxy = MANIFESTS / "imagenet-a-proxy.csv"
    proxy_entry = {**EXTRA_ENTRIES["imagenet-a-proxy"], "manifest": proxy.name}
    if proxy.exists():
        with open(proxy, newline="") as fh:
            proxy_entry["n_files"] = sum(1 for _ in csv.DictReader(fh))
        proxy_entry["manifest_sha256"] = sha256(proxy)
    else:
        previous = old.get("imagenet-a-proxy", {})
        proxy_entry["n_files"] = previous.get("n_files", 0)
        proxy_entry["manifest_sha256"] = None
        print("imagenet-a-proxy.csv missing: run scripts/make_imagenet_a_proxy.py")
    datasets["imagenet-a-proxy"] = proxy_entry

    index = {
        "format": 1,
        "about": "Datasets of the LICNN report. Each *.csv lists relpath,sha256,size,url per "
        "file; written by scripts/make_manifests.py from the local mirror. Images are never "
        "committed.",
        "datasets": datasets,
    }
    index_path.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {index_path.relative_to(REPO)} and {SYNSETS_TABLE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
