"""Does the exact L2 normalisation move the sanity-check chapters (4 and 5)?

The fast path's normalisation was ``x / max(||x||, 1e-12)`` (old) and is now "divide by
max |x|, then by the norm; a zero map stays zero" (new). The two differ only for maps whose
L2 norm is below 1e-12 (and, through float32 underflow of the old sum of squares, only
there). This script runs the LICNN methods of chapters 4 and 5 (``licnn_attention`` for the
trained model's top-1 class, ``licnn_saliency`` top-5) on the chapters' images (the seeded
sample of ``imagenet-val-1300`` and the junco) with the trained model and at every step of
cascading and independent randomisation of EfficientNet-Lite0, as :mod:`licnn.sanity`
does, with :func:`licnn.core.lateral_inhibition.l2_normalise` wrapped to record, for every map
it normalises, the exact L2 norm (computed in float64 after scaling by max |x|). It prints
one row per (mode, step): maps normalised, smallest non-zero norm, maps that are zero, and
maps with 0 < norm < 1e-12, and the largest absolute difference between the old and new
outputs of the normalisation itself over all its calls (rounding: the new one divides twice).
Where a map below 1e-12 occurs, or with ``--compare-all`` everywhere, it re-runs the step
with the old normalisation and gives the largest absolute difference of the final maps and
the number of final maps that differ at all (a gate decision at a near-tie can flip on a
rounding difference).

The library is not changed: the wrapper returns what ``l2_normalise`` returns. Nothing is
read from or written to the result cache.

    nice -n 10 .venv/bin/python scripts/measure_normalisation.py            # book scale
    nice -n 10 .venv/bin/python scripts/measure_normalisation.py --n-images 2 --steps head stem
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml

import licnn.core.attention
import licnn.core.lateral_inhibition
from licnn import sanity
from licnn.data import Record, load_dataset
from licnn.methods import make_method
from licnn.models import LoadedModel, load_model

ROOT = Path(__file__).resolve().parents[1]
OLD_EPS = 1e-12
METHODS = ("licnn_attention", "licnn_saliency")
#: The modules that bind ``l2_normalise`` by name (both must be patched).
_HOLDERS = (licnn.core.lateral_inhibition, licnn.core.attention)
_EXACT = licnn.core.lateral_inhibition.l2_normalise


def old_l2_normalise(x: torch.Tensor) -> torch.Tensor:
    """The normalisation before issue 15: divide by the norm floored at 1e-12."""
    norm = torch.linalg.vector_norm(x, dim=(-2, -1), keepdim=True)
    return x / norm.clamp_min(OLD_EPS)


def exact_norms(x: torch.Tensor) -> torch.Tensor:
    """The L2 norm of each ``H x W`` map of ``x`` in float64, free of underflow (flattened)."""
    flat = x.detach().double().reshape(-1, *x.shape[-2:])
    scale = flat.abs().amax(dim=(-2, -1), keepdim=True)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    return (torch.linalg.vector_norm(flat / safe, dim=(-2, -1), keepdim=True) * scale).flatten()


@dataclass
class Tally:
    """What the wrapped normalisation saw in one (mode, step)."""

    maps: int = 0
    zero: int = 0
    tiny: int = 0  # 0 < norm < OLD_EPS
    min_norm: float = math.inf  # smallest non-zero norm
    call_diff: float = 0.0  # max |old - new| of the normalisation's output, all calls
    final_diff: float | None = None  # max |old - new| of the final maps, if re-run
    final_changed: int = 0  # final maps with any difference, if re-run


class Recorder:
    """Wraps ``l2_normalise``: records norms into the current :class:`Tally`."""

    def __init__(self) -> None:
        self.current: Tally | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = _EXACT(x)
        tally = self.current
        if tally is not None:
            norms = exact_norms(x)
            nonzero = norms[norms > 0]
            tally.maps += norms.numel()
            tally.zero += int((norms == 0).sum())
            small = int((nonzero < OLD_EPS).sum())
            tally.tiny += small
            if nonzero.numel():
                tally.min_norm = min(tally.min_norm, float(nonzero.min()))
            if x.numel():
                diff = (old_l2_normalise(x) - out).abs().max()
                tally.call_diff = max(tally.call_diff, float(diff))
        return out


@contextlib.contextmanager
def normalisation(function: Callable[[torch.Tensor], torch.Tensor]) -> Iterator[None]:
    """Use ``function`` as ``l2_normalise`` in the fast path for the duration."""
    saved = [holder.l2_normalise for holder in _HOLDERS]
    for holder in _HOLDERS:
        holder.l2_normalise = function  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for holder, original in zip(_HOLDERS, saved, strict=True):
            holder.l2_normalise = original  # type: ignore[attr-defined]


def attribute(
    model: LoadedModel, x: torch.Tensor, targets: torch.Tensor, batch_size: int
) -> dict[str, np.ndarray]:
    """The LICNN methods' maps of ``x`` on ``model`` (as :func:`licnn.sanity._attribute_all`)."""
    return {
        name: make_method(name, model, batch_size=batch_size).attribute(x, targets).float().numpy()
        for name in METHODS
    }


def compare(
    tally: Tally,
    model: LoadedModel,
    inputs: Sequence[torch.Tensor],
    targets: Sequence[torch.Tensor],
    new_maps: Sequence[dict[str, np.ndarray]],
    batch_size: int,
) -> None:
    """Re-run ``model`` with the old normalisation; record how far its final maps move."""
    diff, changed = 0.0, 0
    with normalisation(old_l2_normalise):
        for x, t, new in zip(inputs, targets, new_maps, strict=True):
            old = attribute(model, x, t, batch_size)
            for name in METHODS:
                delta = np.abs(old[name] - new[name]).reshape(len(x), -1).max(axis=1)
                diff = max(diff, float(delta.max()))
                changed += int((delta > 0).sum())
    tally.final_diff, tally.final_changed = diff, changed


def chunks(records: Sequence[Record], size: int) -> list[list[Record]]:
    return [list(records[i : i + size]) for i in range(0, len(records), size)]


def book_params() -> dict[str, object]:
    """Chapter 4's book-scale parameters (chapter 5 has the same ones)."""
    params = yaml.safe_load((ROOT / "book" / "params.yml").read_text())["notebooks"]
    four, five = params["04_cascading_randomisation"], params["05_independent_randomisation"]
    if four != five:
        raise SystemExit(f"chapters 4 and 5 differ in book parameters: {four} vs {five}")
    return four


def main(argv: Sequence[str] | None = None) -> int:
    params = book_params()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-images", type=int, default=params["n_images"])
    parser.add_argument(
        "--first",
        type=int,
        default=None,
        help="keep only the first N images of that sample (a subset of the book's images)",
    )
    parser.add_argument("--steps", nargs="*", default=params["steps"], help="default: all")
    parser.add_argument("--modes", nargs="*", default=list(sanity.MODES))
    parser.add_argument("--no-junco", action="store_true", help="leave out the junco image")
    parser.add_argument("--chunk-size", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--compare-all",
        action="store_true",
        help="re-run every step with the old normalisation (twice the time), not only steps "
        "with a map below 1e-12",
    )
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    model = load_model("efficientnet-lite0")
    groups = sanity.layer_groups(model, "stage")
    records = sanity.sample_records(load_dataset("imagenet-val-1300"), args.n_images, seed=0)
    records = records[: args.first]
    n_sample = len(records)
    if not args.no_junco:
        samples = load_dataset("imagenet-samples-1000")
        records.append(next(r for r in samples if r.key == "n01534433_junco.JPEG"))
    batches = chunks(records, args.chunk_size)
    print(f"{len(records)} images in {len(batches)} chunks; methods {', '.join(METHODS)}")
    recorder = Recorder()
    tallies: dict[tuple[str, str], Tally] = {}
    inputs, targets, originals = [], [], []
    start = time.monotonic()

    # The trained model: targets (top-1) and maps, shared by both modes.
    tallies[("trained", "-")] = recorder.current = Tally()
    with normalisation(recorder):
        for chunk in batches:
            x = sanity._load_batch(model, chunk)
            with torch.no_grad():
                t = model.module(x).argmax(dim=1)
            inputs.append(x)
            targets.append(t)
            originals.append(attribute(model, x, t, args.batch_size))
    done = tallies[("trained", "-")]
    print(
        f"trained model: {done.maps} maps, min norm {done.min_norm:.3g}, {done.zero} zero, "
        f"{done.tiny} below {OLD_EPS:g} ({time.monotonic() - start:.0f} s)",
        flush=True,
    )

    for mode in args.modes:
        for step, randomised in sanity.randomised_models(model, mode, 0, groups, args.steps):
            tally = tallies[(mode, step)] = recorder.current = Tally()
            new_maps = []
            with normalisation(recorder):
                for x, t in zip(inputs, targets, strict=True):
                    new_maps.append(attribute(randomised, x, t, args.batch_size))
            recorder.current = None
            if tally.tiny or args.compare_all:
                compare(tally, randomised, inputs, targets, new_maps, args.batch_size)
            print(
                f"{mode} {step}: {tally.maps} maps, min norm {tally.min_norm:.3g}, "
                f"{tally.zero} zero, {tally.tiny} below {OLD_EPS:g} "
                f"({time.monotonic() - start:.0f} s)",
                flush=True,
            )
    recorder.current = None

    # The trained model's maps are compared the same way.
    trained = tallies[("trained", "-")]
    if trained.tiny or args.compare_all:
        compare(trained, model, inputs, targets, originals, args.batch_size)

    print()
    print(
        f"images: {len(records)} (the first {n_sample} of {args.n_images} sampled from "
        f"imagenet-val-1300 with seed 0{'' if args.no_junco else ', + the junco'}); "
        f"methods: {', '.join(METHODS)}"
    )
    header = ("mode", "step", "maps", "min norm", "zero", f"< {OLD_EPS:g}", "max|d| call",
              "max|d| final", "final maps changed")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for (mode, step), t in tallies.items():
        final = "-" if t.final_diff is None else f"{t.final_diff:.3g}"
        changed = "-" if t.final_diff is None else str(t.final_changed)
        print(f"| {mode} | {step} | {t.maps} | {t.min_norm:.3g} | {t.zero} | {t.tiny} | "
              f"{t.call_diff:.3g} | {final} | {changed} |")  # fmt: skip
    total = sum(t.tiny for t in tallies.values())
    print(f"\nmaps with 0 < norm < {OLD_EPS:g}: {total} of {sum(t.maps for t in tallies.values())}"
          f"; {time.monotonic() - start:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
