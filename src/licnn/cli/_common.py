"""Arguments shared by the sub-commands that run a model."""

from __future__ import annotations

import argparse

from licnn.config import LICNNConfig
from licnn.models import DEFAULT_MODEL, MODEL_NAMES


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"classifier: {', '.join(MODEL_NAMES)} (default: %(default)s)",
    )
    parser.add_argument(
        "--weights", metavar="FILE", help="weights file (vgg16: vgg16-397923af.pth)"
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device, e.g. cpu or cuda (default: %(default)s)"
    )


def add_licnn_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("LICNN options (defaults: the seed paper's text)")
    group.add_argument(
        "--a", type=float, default=0.1, help="average-term weight (default: %(default)s)"
    )
    group.add_argument(
        "--b", type=float, default=0.9, help="differential-term weight (default: %(default)s)"
    )
    group.add_argument(
        "--k", type=int, default=7, help="side of the inhibition zone, odd (default: %(default)s)"
    )
    group.add_argument(
        "--score", choices=("softmax", "logit"), default="softmax", help="back-propagated score"
    )
    group.add_argument(
        "--seed-code",
        action="store_true",
        help="the seed author's code's choices: no per-layer norm, last layer ungated, nearest resize",
    )
    group.add_argument(
        "--kind", choices=("response", "gradient"), default="response", help="map kind"
    )


def licnn_config(args: argparse.Namespace) -> LICNNConfig:
    changes = {"a": args.a, "b": args.b, "k": args.k, "score": args.score, "kind": args.kind}
    try:
        return LICNNConfig.seed_code(**changes) if args.seed_code else LICNNConfig(**changes)
    except ValueError as exc:
        from licnn.errors import LicnnError

        raise LicnnError(f"{exc}; see licnn saliency --help") from None
