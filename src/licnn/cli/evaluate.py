"""``licnn evaluate --model M --dataset D``: top-1 / top-5 accuracy, bad files skipped."""

from __future__ import annotations

import argparse
import json
import math
import sys

from licnn.cli._common import (
    add_model_arguments,
    non_negative_int,
    positive_int,
    resolve_device_argument,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``licnn evaluate``."""
    parser = subparsers.add_parser(
        "evaluate",
        help="top-1 / top-5 accuracy of a model on a dataset",
        description="Accuracy over the images that can be read; unreadable files are skipped "
        "and counted. ImageNet-A sets are scored over their 200 classes only.",
    )
    add_model_arguments(parser)
    parser.add_argument(
        "--dataset", required=True, help="a labelled dataset (see: licnn data list)"
    )
    parser.add_argument("--limit", type=positive_int, default=None, help="only the first N images")
    parser.add_argument(
        "--batch-size", type=positive_int, help="default: 32 on the CPU, 128 on a GPU"
    )
    parser.add_argument("--root", default=None, help="data root (default: $LICNN_DATA or data/)")
    parser.add_argument(
        "--workers",
        type=non_negative_int,
        help="image-decoding worker processes (default: 0 on the CPU, up to 4 on a GPU)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and dataset, evaluate, print a summary or JSON."""
    from licnn.data import load_dataset
    from licnn.device import default_batch_size
    from licnn.experiments.evaluate import evaluate
    from licnn.models import load_model

    device = resolve_device_argument(args)
    model = load_model(args.model, weights=args.weights, device=device)
    dataset = load_dataset(args.dataset, root=args.root, limit=args.limit)
    result = evaluate(
        model,
        dataset,
        batch_size=args.batch_size or default_batch_size(device, "evaluate"),
        progress=not args.json and sys.stderr.isatty(),
        num_workers=args.workers,
    )
    if args.json:
        clean = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.items()
        }
        print(json.dumps(clean, indent=2))
        return 0
    print(
        f"{result['model']} on {dataset.describe()}: top-1 {result['top1']:.4f}, "
        f"top-5 {result['top5']:.4f} over {result['n_images']} images "
        f"({result['classes']} classes), {result['n_skipped']} skipped, {result['seconds']:.1f} s"
    )
    for item in result["skipped"]:
        print(f"  skipped {item['error']}")
    return 0
