"""Arguments shared by the sub-commands, their validation, and safe output writing.

Every numeric option is checked when the command line is parsed (:func:`positive_int`,
:func:`non_negative_int`, :func:`finite_float`), so a bad value is one line and exit 2 before
any model is loaded. :func:`check_writable_folder` tries a real write in the output folder
before long work starts, and :func:`write_atomically` writes each output under a temporary
name and renames it, so a full disk, a kill or Ctrl-C never leaves a truncated file behind.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

import torch

from licnn.core.config import LICNNConfig
from licnn.errors import LicnnError
from licnn.models import DEFAULT_MODEL, MODEL_NAMES


class OutputError(LicnnError):
    """An output folder or file cannot be written (permissions, full disk, not a folder)."""


def positive_int(text: str) -> int:
    """An ``int`` of at least 1 (argparse ``type``)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """An ``int`` of at least 0 (argparse ``type``)."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0, got {text}")
    return value


def finite_float(text: str) -> float:
    """A finite ``float``: NaN or infinity would give a silently all-NaN map (argparse ``type``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


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
        "--device",
        default="auto",
        help="auto (a CUDA GPU when there is one, else the CPU), cpu, cuda or cuda:N "
        "(default: %(default)s)",
    )


def add_licnn_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("LICNN options (defaults: the seed paper's text)")
    group.add_argument(
        "--a", type=finite_float, default=0.1, help="average-term weight (default: %(default)s)"
    )
    group.add_argument(
        "--b",
        type=finite_float,
        default=0.9,
        help="differential-term weight (default: %(default)s)",
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
        raise LicnnError(f"{exc}; see licnn saliency --help") from None


def resolve_device_argument(args: argparse.Namespace) -> torch.device:
    """``args.device`` as a present device (one-line :class:`DeviceError` otherwise)."""
    from licnn.device import resolve_device

    return resolve_device(args.device)


def check_top_k(top_k: int, n_classes: int) -> None:
    if top_k > n_classes:
        raise LicnnError(f"--top-k {top_k} is more than the model's {n_classes} classes")


def check_writable_folder(folder: Path, option: str = "--out") -> None:
    """Create ``folder`` if needed and prove it writable by writing and removing a file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output folder {folder} ({exc.strerror}); choose another {option}"
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".licnn-probe-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"cannot write in output folder {folder} ({exc.strerror}); choose another {option}"
        ) from None


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it to ``path``.

    The rename is atomic on one file system, so ``path`` either holds the whole output or is
    absent; on any failure (full disk, Ctrl-C) the temporary file is removed. An ``OSError``
    becomes one :class:`OutputError` line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
