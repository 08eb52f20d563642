"""``licnn bench``: seconds per image of the reference, the fast path and the floor."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from licnn.cli._common import (
    add_model_arguments,
    check_top_k,
    positive_int,
    resolve_device_argument,
)
from licnn.errors import LicnnError
from licnn.experiments.bench import run_bench
from licnn.imaging.images import load_image
from licnn.models import load_model


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time LICNN top-k saliency maps: reference vs fast vs the floor",
        description="Times reference, fast and floor on the same images in one run and "
        "reports seconds per image, speedup, floor_ratio, max_abs_diff and peak memory.",
    )
    add_model_arguments(parser)
    parser.set_defaults(model="vgg16-random")
    parser.add_argument(
        "--images", type=positive_int, default=4, help="number of images (default: %(default)s)"
    )
    parser.add_argument(
        "--image-dir", type=Path, help="folder of images (default: imagenet-samples-1000)"
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=8, help="images per batch (default: %(default)s)"
    )
    parser.add_argument(
        "--top-k", type=positive_int, default=5, help="classes per saliency map (default: 5)"
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=1, help="timed runs, best kept (default: 1)"
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the (slow) reference")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="also time each step of the fast path on the first batch beside the floor's "
        "passes (Max-C, inhibition, gated pass, combine)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def _image_files(folder: Path | None, n: int) -> list[Path]:
    """``n`` image files of ``folder`` (default: imagenet-samples-1000 when fetched), or [].

    A folder given with fewer than ``n`` images is an error: timing fewer images, or
    random inputs instead, would report numbers for something else than was asked.
    """
    given = folder is not None
    if folder is None:
        from licnn.data.paths import data_root, mirror_dir

        candidates = [data_root() / "imagenet-samples-1000" / "images"]
        if (mirror := mirror_dir()) is not None:
            candidates.append(mirror / "imagenet-samples-1000" / "images")
        folder = next((c for c in candidates if c.is_dir()), None)
        if folder is None:
            return []
    if not folder.is_dir():
        raise LicnnError(f"image folder {folder} not found")
    files = sorted(p for p in folder.iterdir() if p.is_file())[:n]
    if len(files) < n:
        where = "--image-dir" if given else "the default image folder"
        raise LicnnError(
            f"{where} {folder} holds {len(files)} files, fewer than --images {n}; "
            "lower --images or give a larger --image-dir"
        )
    return files


def _threads() -> None:
    """Apply ``$LICNN_THREADS`` (a positive whole number) to torch."""
    if (threads := os.environ.get("LICNN_THREADS")) is None:
        return
    try:
        count = int(threads)
    except ValueError:
        count = 0
    if count < 1:
        raise LicnnError(f"LICNN_THREADS must be a whole number of at least 1, got {threads!r}")
    torch.set_num_threads(count)


def run(args: argparse.Namespace) -> int:
    _threads()
    device = resolve_device_argument(args)
    files = _image_files(args.image_dir, args.images)
    model = load_model(args.model, weights=args.weights, device=device)
    check_top_k(args.top_k, len(model.class_names))
    if files:
        x = torch.stack([model.preprocess(load_image(f)) for f in files])
        inputs = f"{len(files)} images from {files[0].parent}"
    else:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(args.images, 3, model.input_size, model.input_size, generator=gen)
        inputs = f"{args.images} random normal inputs (no image folder found; run licnn data fetch imagenet-samples-1000)"
    dtype = getattr(torch, args.dtype)
    model.module.to(dtype)
    x = x.to(model.device, dtype)
    result = run_bench(
        model,
        x,
        inputs,
        batch_size=args.batch_size,
        top_k=args.top_k,
        with_reference=not args.no_reference,
        repeats=args.repeats,
    )
    steps = None
    if args.steps:
        from licnn.experiments.bench_steps import step_times

        steps = step_times(model, x[: args.batch_size], args.top_k, args.repeats)
    if args.json:
        out = result.as_dict()
        if steps is not None:
            out["steps_s"] = steps
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"model {result.model} on {result.device} ({result.dtype}, {result.threads} threads); {inputs}"
    )
    print(
        f"  fast       {result.fast_s:8.3f} s/image   (batch {result.batch_size}, top-{result.top_k})"
    )
    print(f"  floor      {result.floor_s:8.3f} s/image   floor_ratio {result.floor_ratio:.2f}")
    if result.reference_s is not None:
        print(f"  reference  {result.reference_s:8.3f} s/image   speedup {result.speedup:.2f}")
        print(f"  max_abs_diff {result.max_abs_diff:.2e}")
    print(f"  peak memory (MB): {result.peak_memory_mb}")
    if steps is not None:
        print(
            f"  steps of the fast path on one batch of {min(args.batch_size, x.shape[0])} (s/image):"
        )
        for name, value in steps.items():
            if name != "own_share":
                print(f"    {name:15s} {value:8.4f}")
        print(f"    own / floor     {steps['own_share']:8.3f}")
    return 0
