"""``licnn saliency IMAGE...``: LICNN maps as PNG overlays and ``.npy`` arrays."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from licnn.attention import LICNN
from licnn.cli._common import add_licnn_arguments, add_model_arguments, licnn_config
from licnn.errors import ImageError, LicnnError
from licnn.images import load_image
from licnn.models import load_model
from licnn.plots import overlay


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "saliency",
        help="LICNN saliency (top-k) or attention (--class) maps of images",
        description="Writes NAME_licnn.png (overlay on the 224x224 crop) and NAME_licnn.npy "
        "(the map) per image, and prints the top-5 classes with their probabilities.",
    )
    parser.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE",
        help="image files; an EXIF orientation tag (phone photos) is applied, as image viewers do",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--top-k", type=int, default=5, help="classes summed in the saliency map (default: 5)"
    )
    parser.add_argument(
        "--class", dest="class_id", type=int, help="attention map for this class index instead"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("licnn-maps"), help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=8, help="images per batch (default: %(default)s)"
    )
    add_licnn_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = licnn_config(args)
    if args.top_k < 1:
        raise LicnnError(f"--top-k must be at least 1, got {args.top_k}")
    # Read every image first: bad files are reported before any model work.
    images: list[tuple[Path, Image.Image]] = []
    bad: list[str] = []
    for name in args.images:
        try:
            images.append((Path(name), load_image(name)))
        except ImageError as exc:
            if len(args.images) == 1:
                raise
            bad.append(str(exc))
            print(f"licnn: skipped: {exc}", file=sys.stderr)
    if not images:
        raise ImageError(f"none of the {len(args.images)} images could be read")
    model = load_model(args.model, weights=args.weights, device=args.device)
    if args.class_id is not None and not 0 <= args.class_id < len(model.class_names):
        raise LicnnError(
            f"--class must be a class index 0..{len(model.class_names) - 1}, got {args.class_id}"
        )
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LicnnError(f"cannot create output folder {args.out}: {exc.strerror}") from None
    explainer = LICNN(model, config, batch_size=args.batch_size)
    print(f"model: {model.describe()}; {config}")
    progress = tqdm(total=len(images), unit="image", disable=len(images) < 2, file=sys.stderr)
    for start in range(0, len(images), args.batch_size):
        batch = images[start : start + args.batch_size]
        crops = [model.crop(img) for _, img in batch]
        x = torch.stack([model.normalise(c) for c in crops]).to(model.device)
        if args.class_id is None:
            result = explainer.explain(x, top_k=args.top_k)
            maps = result.saliency
        else:
            result = explainer.explain(x, target=args.class_id)
            maps = result.attention[:, 0]
        with torch.no_grad():
            top5 = torch.softmax(result.logits, dim=1).topk(5, dim=1)
        for (path, _), crop, m, idx, prob in zip(
            batch, crops, maps, top5.indices, top5.values, strict=True
        ):
            stem = args.out / f"{path.stem}_licnn"
            saliency = m.cpu().numpy().astype(np.float32)
            np.save(stem.with_suffix(".npy"), saliency)
            Image.fromarray(overlay(crop, saliency)).save(stem.with_suffix(".png"))
            tops = ", ".join(
                f"{model.class_names[i]} {p:.3f}"
                for i, p in zip(idx.tolist(), prob.tolist(), strict=True)
            )
            tqdm.write(f"{path}: {tops} -> {stem}.png", file=sys.stdout)
        progress.update(len(batch))
    progress.close()
    if bad:
        print(
            f"licnn: error: {len(bad)} of {len(args.images)} images could not be read",
            file=sys.stderr,
        )
        return 2
    return 0
