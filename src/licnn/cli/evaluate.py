"""``licnn evaluate --model M --dataset D``: top-1 / top-5 accuracy, bad files skipped."""

from __future__ import annotations

import argparse
import json
import math
import sys

from licnn.cli._common import add_model_arguments


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
    parser.add_argument("--limit", type=int, default=None, help="only the first N images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--root", default=None, help="data root (default: $LICNN_DATA or data/)")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and dataset, evaluate, print a summary or JSON."""
    from licnn.data import load_dataset
    from licnn.errors import LicnnError
    from licnn.evaluate import evaluate
    from licnn.models import load_model

    if args.limit is not None and args.limit < 1:
        raise LicnnError(f"--limit must be at least 1 (got {args.limit})")
    if args.batch_size < 1:
        raise LicnnError(f"--batch-size must be at least 1 (got {args.batch_size})")
    dataset = load_dataset(args.dataset, root=args.root, limit=args.limit)
    model = load_model(args.model, weights=args.weights, device=args.device)
    result = evaluate(
        model,
        dataset,
        batch_size=args.batch_size,
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
