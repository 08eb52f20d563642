"""Tables and figures of the timings (:mod:`licnn.experiments.bench`) for the performance chapter.

Every function takes the rows :func:`licnn.experiments.bench.run_bench` (``.as_dict()``) and
:func:`licnn.experiments.bench.bench_sweep` return, keyed by model name, and gives a Markdown
table (show it with ``IPython.display.Markdown``) or one figure per model. Titles name the
model, the device, the number of images and the data set, as every report figure does; the
device, the top-k and the batch size are read from the rows, so they cannot disagree with
the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from licnn.report.plots import plot_curves
from licnn.tables import format_table

#: One timing row (``BenchResult.as_dict()``, with ``image_size`` and ``total_s`` in a sweep).
Row = Mapping[str, Any]
#: The rows of one model's sweep, by model name.
Sweeps = Mapping[str, Sequence[Row]]

#: Columns of :func:`bench_table`.
BENCH_HEADER = (
    "model",
    "images",
    "reference s/image",
    "fast s/image",
    "floor s/image",
    "speedup",
    "fast / floor",
    "max |diff|",
    "peak memory (MB)",
)


def device_label(row: Row) -> str:
    """``CPU (2 threads)`` for a CPU run, else the device's name as the row records it."""
    if row["device"] == "cpu":
        threads = int(row["threads"])
        return f"CPU ({threads} thread{'' if threads == 1 else 's'})"
    return str(row["device"])


def bench_table(results: Mapping[str, Row]) -> str:
    """Reference, fast path and floor per model: seconds per image, their ratios, the largest
    difference between the reference's and the fast path's maps, and peak memory."""
    rows = [
        [
            name,
            r["n_images"],
            f"{r['reference_s']:.3f}",
            f"{r['fast_s']:.3f}",
            f"{r['floor_s']:.3f}",
            f"{r['speedup']:.1f}x",
            f"{r['floor_ratio']:.2f}",
            f"{r['max_abs_diff']:.1e}",
            ", ".join(f"{k} {v:.0f}" for k, v in r["peak_memory_mb"].items()),
        ]
        for name, r in results.items()
    ]
    return format_table(BENCH_HEADER, rows)


#: Rows of :func:`steps_table`: a step of the fast path (or the floor's passes it is set
#: beside) and what it is.
STEP_ROWS = (
    ("first_pass", "fast: forward + top-k backward passes with the Max-C maps"),
    ("floor_backward", "floor: forward + top-k backward passes"),
    ("max_c", "difference: Max-C reductions, backward to the input"),
    ("inhibition", "fast: lateral inhibition and gates of every layer"),
    ("gated_pass", "fast: top-k gated forward passes with the Sum-C maps"),
    ("floor_forward", "floor: top-k plain forward passes"),
    ("combine", "fast: normalise, resize and sum the Sum-C maps"),
    ("own", "LICNN's own work (differences, inhibition, combine)"),
)


def steps_table(steps: Mapping[str, Mapping[str, float]]) -> str:
    """Milliseconds per image of each step (:func:`licnn.experiments.bench_steps.step_times`),
    one column per model, and the share of the floor's passes that LICNN's own work adds."""
    names = list(steps)
    rows: list[list[object]] = [
        [label, *(f"{1000 * steps[n][key]:.1f}" for n in names)] for key, label in STEP_ROWS
    ]
    rows.append(["own work / floor", *(f"{steps[n]['own_share']:.3f}" for n in names)])
    return format_table(["step (ms per image)", *names], rows)


def _fast_and_floor(sweep: Sequence[Row], ticks: Sequence[str], xlabel: str, title: str) -> Figure:
    """Seconds per image of the fast path and of the floor along one sweep (no interval:
    each point is the best of its repeats)."""
    fast = [r["fast_s"] for r in sweep]
    floor = [r["floor_s"] for r in sweep]
    return plot_curves(
        ticks,
        {"fast": (fast, fast, fast), "floor": (floor, floor, floor)},
        ylabel="seconds per image",
        xlabel=xlabel,
        title=title,
    )


def batch_size_figures(sweeps: Sweeps, dataset: str = "imagenet-samples-1000") -> list[Figure]:
    """One figure per model: seconds per image against the batch size."""
    return [
        _fast_and_floor(
            sweep,
            [str(r["batch_size"]) for r in sweep],
            "batch size",
            f"Top-{sweep[0]['top_k']} saliency maps, {name}, {device_label(sweep[0])}, "
            f"{sweep[0]['n_images']} {dataset} images",
        )
        for name, sweep in sweeps.items()
        if sweep
    ]


def image_size_figures(sweeps: Sweeps, dataset: str = "imagenet-samples-1000") -> list[Figure]:
    """One figure per model: seconds per image against the side of the (square) image."""
    return [
        _fast_and_floor(
            sweep,
            [f"{r['image_size']} px" for r in sweep],
            "image side (square)",
            f"Top-{sweep[0]['top_k']} saliency maps by image size, {name}, "
            f"{device_label(sweep[0])}, {sweep[0]['n_images']} {dataset} images, "
            f"batch {sweep[0]['batch_size']}",
        )
        for name, sweep in sweeps.items()
        if sweep
    ]


def batch_size_table(sweeps: Sweeps) -> str:
    """Seconds per image and peak memory (fast path and floor) per model and batch size."""
    rows = [
        [name, r["batch_size"], f"{r['fast_s']:.3f}", f"{r['floor_s']:.3f}"]
        + [f"{r['peak_memory_mb'].get(k, 0):.0f}" for k in ("fast", "floor")]
        for name, sweep in sweeps.items()
        for r in sweep
    ]
    return format_table(
        ["model", "batch", "fast s/image", "floor s/image", "fast MB", "floor MB"], rows
    )


def image_count_table(sweeps: Sweeps) -> str:
    """Total seconds (fast path) and seconds per image per model and number of images."""
    rows = [
        [name, r["n_images"], f"{r['total_s']:.2f}", f"{r['fast_s']:.3f}"]
        for name, sweep in sweeps.items()
        for r in sweep
    ]
    return format_table(["model", "images", "total s (fast)", "s/image"], rows)
