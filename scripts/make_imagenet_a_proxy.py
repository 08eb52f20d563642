"""Write data/manifests/imagenet-a-proxy.csv: the ImageNet-A proxy made by adversarial filtration.

Usage: python scripts/make_imagenet_a_proxy.py [--root DATA_ROOT] [--device cpu]

ImageNet-A (Hendrycks et al.) kept the web images of 200 classes that a fixed classifier
(ResNet-50) got wrong. The proxy does the same with the natural images at hand: the images of
the 200 ImageNet-A classes in ``imagenet-val-1300`` and ``imagenet-samples-1000`` that
EfficientNet-Lite2 (a different model from the Lite0 the report studies) gets wrong at top-1
over all 1000 classes. Deterministic: fixed weights, fixed preprocessing, no sampling.
The rows are ``dataset,file,label,lite2_top1``; afterwards run scripts/make_manifests.py so the
index records the proxy's file count and hash.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import torch

from licnn.data import imagenet_a_class_indices, load_dataset
from licnn.experiments.evaluate import predict_logits
from licnn.models import load_model

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "data" / "manifests" / "imagenet-a-proxy.csv"
SOURCES = ("imagenet-val-1300", "imagenet-samples-1000")
FILTER_MODEL = "efficientnet-lite2"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="data root (default: data/)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    torch.use_deterministic_algorithms(True, warn_only=True)
    model = load_model(FILTER_MODEL, device=args.device)
    classes = set(imagenet_a_class_indices())
    rows = []
    for name in SOURCES:
        dataset = load_dataset(name, root=args.root)
        records = [r for r in dataset if r.label in classes]
        logits, kept, skipped = predict_logits(model, records, args.batch_size, desc=name)
        if skipped:
            sys.exit(f"{name}: {len(skipped)} images could not be read; run licnn data verify")
        top1 = logits.argmax(dim=1).tolist()
        wrong = [(records[i], p) for i, p in zip(kept, top1, strict=True) if p != records[i].label]
        print(
            f"{name}: {len(records)} images in the 200 classes, {FILTER_MODEL} wrong on {len(wrong)}"
        )
        rows += [[name, r.key, r.label, p] for r, p in wrong]
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["dataset", "file", "label", "lite2_top1"])
        writer.writerows(rows)
    print(f"wrote {OUT.relative_to(REPO)}: {len(rows)} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
