"""``licnn saliency IMAGE|FOLDER... | --dataset NAME``: LICNN maps as ``.npy`` and PNG overlays.

Built for many images: inputs are decoded by a DataLoader (worker processes and pinned memory
on a GPU) and streamed, so memory stays flat; each input's outputs are named after its path
relative to the inputs' common folder (``a/photo.jpg`` -> ``OUT/a/photo.jpg.licnn-top5.npy``),
so no two inputs, and no two targets (``top5``, ``class13``), share a file. Every file is
written under a temporary name and renamed, so a re-run skips the inputs whose maps exist
(resume) and a kill leaves nothing truncated. ``--shard i/n`` keeps every n-th input of the
sorted list, starting at the i-th, so jobs of a scheduler (SLURM arrays, torchrun ranks)
split the work without talking to each other.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image, PngImagePlugin
from torch.utils.data import DataLoader
from tqdm import tqdm

from licnn.cli._common import (
    OutputError,
    add_licnn_arguments,
    add_model_arguments,
    check_top_k,
    check_writable_folder,
    licnn_config,
    non_negative_int,
    positive_int,
    resolve_device_argument,
    write_atomically,
)
from licnn.cli._inputs import IMAGE_SUFFIXES as IMAGE_SUFFIXES
from licnn.cli._inputs import Input as Input
from licnn.cli._inputs import _collate, _Decoded
from licnn.cli._inputs import collect_inputs as collect_inputs
from licnn.errors import LicnnError

if TYPE_CHECKING:  # imported by run(), so that --help needs no model code (torchvision)
    from licnn.core.attention import LICNN
    from licnn.models import LoadedModel

#: The file in ``--out`` recording the model and settings its maps were made with.
RUN_FILE = "licnn-run.json"


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` with ``0 <= i < n`` (argparse ``type``)."""
    parts = text.split("/")
    try:
        index, count = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be i/n, e.g. 0/4, got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(
            f"must be i/n with n >= 1 and 0 <= i < n (shards count from 0), got {text}"
        )
    return index, count


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "saliency",
        help="LICNN saliency (top-k) or attention (--class) maps of images, folders or a dataset",
        description="Writes OUT/NAME.licnn-top5.npy (the map) and OUT/NAME.licnn-top5.png "
        "(overlay on the crop) per image, NAME being the image's path relative to the inputs' "
        "common folder; with --class C the files are NAME.licnn-classC.*. Prints each "
        "image's top-5 classes and which map was written. Re-running the same command skips "
        "images whose maps exist (resume).",
    )
    parser.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="image files or folders (searched recursively for "
        f"{', '.join(sorted(IMAGE_SUFFIXES))}); an EXIF orientation tag (phone photos) "
        "is applied, as image viewers do",
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="the images of a fetched dataset (see: licnn data list)"
    )
    parser.add_argument("--root", help="data root for --dataset (default: $LICNN_DATA or data/)")
    parser.add_argument("--limit", type=positive_int, help="only the first N images of --dataset")
    add_model_arguments(parser)
    parser.add_argument(
        "--top-k",
        type=positive_int,
        default=5,
        help="classes summed in the saliency map (default: 5)",
    )
    parser.add_argument(
        "--class",
        dest="class_id",
        type=non_negative_int,
        help="attention map for this class index instead",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("licnn-maps"), help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        help="images per batch (default: 8 on the CPU, 32 on a GPU)",
    )
    parser.add_argument(
        "--workers",
        type=non_negative_int,
        help="image-decoding worker processes (default: 0 on the CPU, up to 4 on a GPU)",
    )
    parser.add_argument(
        "--shard",
        type=parse_shard,
        metavar="I/N",
        help="process only shard I of N (0 <= I < N) of the sorted inputs, for splitting "
        "the work across jobs",
    )
    add_licnn_arguments(parser)
    parser.set_defaults(run=run)


def output_paths(out: Path, item: Input, tag: str) -> tuple[Path, Path]:
    stem = out / f"{item.key}.licnn-{tag}"
    return stem.with_name(stem.name + ".npy"), stem.with_name(stem.name + ".png")


#: The PNG text field naming the image a map was made from (checked when resuming).
SOURCE_KEY = "licnn-source"


def is_complete(npy: Path, png: Path, size: int, source: Path) -> bool:
    """Both outputs exist, whole (files are renamed when whole), and made from ``source``.

    Raises :class:`LicnnError` when they were made from another image of the same name (an
    earlier run on other inputs into the same ``--out``): skipping it would keep the wrong
    map, redoing it would overwrite the other image's.
    """
    if not (npy.is_file() and png.is_file()):
        return False
    try:
        with Image.open(png) as picture:
            made_from = picture.text.get(SOURCE_KEY)  # type: ignore[attr-defined]
        whole = np.load(npy, mmap_mode="r").shape == (size, size)
    except (OSError, ValueError, SyntaxError):
        return False
    if made_from is not None and made_from != str(source.resolve()):
        raise LicnnError(
            f"{npy} holds the map of {made_from}, not of {source}; choose another --out"
        )
    return whole and made_from is not None


def _check_run_file(out: Path, settings: dict[str, object]) -> None:
    """Refuse an ``--out`` whose maps were made with another model or settings."""
    path = out / RUN_FILE
    if path.is_file():
        try:
            before = json.loads(path.read_text())
        except (OSError, ValueError):
            before = None
        if before != settings:
            differ = (
                ", ".join(
                    k
                    for k in settings
                    if not isinstance(before, dict) or before.get(k) != settings[k]
                )
                or "unreadable record"
            )
            raise LicnnError(
                f"{out} holds maps made with other settings ({differ}, see {path}); "
                "choose another --out, or delete its maps to redo them"
            )
        return
    text = json.dumps(settings, indent=2, sort_keys=True).encode()
    write_atomically(path, text)


def run(args: argparse.Namespace) -> int:
    from licnn.core.attention import LICNN
    from licnn.device import default_batch_size, loader_settings
    from licnn.imaging.images import load_image
    from licnn.models import load_model
    from licnn.report.plots import overlay

    # Everything that can be checked is checked before the model runs.
    config = licnn_config(args)
    if not args.images and args.dataset is None:
        raise LicnnError("give image files, folders or --dataset NAME; see licnn saliency --help")
    if args.limit is not None and args.dataset is None:
        raise LicnnError("--limit applies to --dataset; give --dataset NAME or drop --limit")
    device = resolve_device_argument(args)
    inputs = collect_inputs(args.images, args.dataset, args.root, args.limit)
    n_all = len(inputs)
    if args.shard is not None:
        index, count = args.shard
        inputs = inputs[index::count]
    if n_all == 1:
        load_image(inputs[0].path)  # one bad image: its own error, before the model loads
    model = load_model(args.model, weights=args.weights, device=device)
    n_classes = len(model.class_names)
    check_top_k(args.top_k, n_classes)
    if args.class_id is not None and args.class_id >= n_classes:
        raise LicnnError(f"--class must be a class index 0..{n_classes - 1}, got {args.class_id}")
    check_writable_folder(args.out)
    _check_run_file(
        args.out,
        {
            "model": model.name,
            "weights": model.weights,
            "weights_sha256": model.weights_sha256,
            "config": config.as_dict(),
        },
    )
    tag = f"top{args.top_k}" if args.class_id is None else f"class{args.class_id}"
    todo = [
        item
        for item in inputs
        if not is_complete(*output_paths(args.out, item, tag), model.input_size, item.path)
    ]
    batch_size = args.batch_size or default_batch_size(device, "saliency")
    shard = f", shard {args.shard[0]}/{args.shard[1]}" if args.shard else ""
    print(f"model: {model.describe()} on {device}; {config}")
    print(
        f"{len(inputs)} of {n_all} inputs{shard}; {len(inputs) - len(todo)} already have "
        f"their {tag} maps in {args.out} (kept), {len(todo)} to do, batch {batch_size}"
    )
    explainer = LICNN(model, config, batch_size=batch_size)
    loader = DataLoader(
        _Decoded(todo, model),
        batch_size=batch_size,
        shuffle=False,
        collate_fn=_collate,
        **loader_settings(device, args.workers),  # type: ignore[arg-type]
    )
    bad: list[str] = []
    done = 0
    progress = tqdm(
        total=len(todo),
        unit="image",
        disable=len(todo) < 2 or not sys.stderr.isatty(),
        file=sys.stderr,
    )
    try:
        for indices, x, crops, failed in loader:
            for _, error in failed:
                bad.append(error)
                tqdm.write(f"licnn: skipped: {error}", file=sys.stderr)
            if x is not None:
                done += _explain_batch(
                    explainer,
                    model,
                    x.to(device, non_blocking=True),
                    crops,
                    indices,
                    todo,
                    args,
                    tag,
                    overlay,
                )
            progress.update(len(indices) + len(failed))
    except OutputError as exc:
        raise OutputError(
            f"{exc}; {done} maps of this run are complete and kept, re-run to resume"
        ) from None
    except torch.cuda.OutOfMemoryError:
        raise LicnnError(
            f"out of GPU memory at --batch-size {batch_size}; give a smaller --batch-size "
            f"({done} maps of this run are complete and kept, re-run to resume)"
        ) from None
    finally:
        progress.close()
    if bad:
        print(
            f"licnn: error: {len(bad)} of {len(todo)} images could not be read "
            f"(the other maps are written)",
            file=sys.stderr,
        )
        return 2
    return 0


def _explain_batch(
    explainer: LICNN,
    model: LoadedModel,
    x: torch.Tensor,
    crops: torch.Tensor,
    indices: Sequence[int],
    todo: Sequence[Input],
    args: argparse.Namespace,
    tag: str,
    overlay: Callable[[NDArray, NDArray], NDArray[np.uint8]],
) -> int:
    """Explain one batch, write its maps, print one line per image; the number written."""
    if args.class_id is None:
        result = explainer.explain(x, top_k=args.top_k)
        maps = result.saliency
    else:
        result = explainer.explain(x, target=args.class_id)
        maps = result.attention[:, 0]
    with torch.no_grad():
        probs = torch.softmax(result.logits.float(), dim=1)
        top = probs.topk(max(5, args.top_k), dim=1)
    maps_np = maps.float().cpu().numpy()
    names = model.class_names
    for row, i in enumerate(indices):
        item = todo[i]
        npy, png = output_paths(args.out, item, tag)
        saliency = maps_np[row].astype(np.float32)
        picture = overlay(crops[row].numpy(), saliency)
        png_bytes, npy_bytes = io.BytesIO(), io.BytesIO()
        info = PngImagePlugin.PngInfo()
        info.add_text(SOURCE_KEY, str(item.path.resolve()))
        Image.fromarray(picture).save(png_bytes, format="PNG", pnginfo=info)
        np.save(npy_bytes, saliency)
        write_atomically(png, png_bytes.getvalue())
        write_atomically(npy, npy_bytes.getvalue())
        idx, prob = top.indices[row].tolist(), top.values[row].tolist()
        tops = ", ".join(f"{names[c]} {p:.3f}" for c, p in zip(idx[:5], prob[:5], strict=True))
        if args.class_id is None:
            chosen = ", ".join(names[c] for c in idx[: min(args.top_k, 5)])
            more = ", ..." if args.top_k > 5 else ""
            what = f"saliency of the top-{args.top_k} classes ({chosen}{more})"
        else:
            what = f"attention for class {args.class_id} ({names[args.class_id]})"
        tqdm.write(f"{item.path}: {tops}; map: {what} -> {npy} and .png", file=sys.stdout)
    return len(indices)
