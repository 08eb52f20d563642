"""The timing chapter's helpers: scaling exponents of sweeps, and their tables and figures."""

from __future__ import annotations

import pytest

from licnn.experiments.bench import sweep_exponents
from licnn.report import bench_figures


def _row(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "device": "cpu",
        "threads": 2,
        "top_k": 5,
        "n_images": 4,
        "batch_size": 8,
        "image_size": 224,
        "fast_s": 1.0,
        "floor_s": 0.5,
        "total_s": 4.0,
        "peak_memory_mb": {"fast": 120.4, "floor": 60.6},
    }
    row.update(values)
    return row


def test_sweep_exponents_by_hand() -> None:
    sweeps = {
        # time quadruples when the side doubles: proportional to the pixels (exponent 1)
        "a": [_row(image_size=100, fast_s=1.0), _row(image_size=200, fast_s=4.0)],
        # time doubles when the side doubles: the square root of the pixels
        "b": [_row(image_size=100, fast_s=1.0), _row(image_size=200, fast_s=2.0)],
        "one row": [_row()],
    }
    exponents = sweep_exponents(sweeps, "image_size", "fast_s", power=2)
    assert exponents == pytest.approx({"a": 1.0, "b": 0.5})
    counts = {"a": [_row(n_images=n, total_s=3.0 * n) for n in (1, 2, 4)]}
    assert sweep_exponents(counts, "n_images", "total_s") == pytest.approx({"a": 1.0})


def test_device_label() -> None:
    assert bench_figures.device_label(_row()) == "CPU (2 threads)"
    assert bench_figures.device_label(_row(threads=1)) == "CPU (1 thread)"
    assert bench_figures.device_label(_row(device="NVIDIA H200")) == "NVIDIA H200"


def test_bench_table_row() -> None:
    result = _row(reference_s=2.5, speedup=2.5, floor_ratio=2.0, max_abs_diff=1.5e-8)
    lines = bench_figures.bench_table({"lite0": result}).splitlines()
    assert len(lines) == 3
    assert lines[2] == (
        "| lite0 | 4 | 2.500 | 1.000 | 0.500 | 2.5x | 2.00 | 1.5e-08 | fast 120, floor 61 |"
    )


def test_sweep_tables() -> None:
    sweeps = {"lite0": [_row(batch_size=1), _row(batch_size=2, fast_s=0.75)]}
    batch = bench_figures.batch_size_table(sweeps).splitlines()
    assert batch[2:] == [
        "| lite0 | 1 | 1.000 | 0.500 | 120 | 61 |",
        "| lite0 | 2 | 0.750 | 0.500 | 120 | 61 |",
    ]
    count = bench_figures.image_count_table({"lite0": [_row(n_images=3, total_s=2.346)]})
    assert count.splitlines()[2] == "| lite0 | 3 | 2.35 | 1.000 |"


def test_sweep_figures_one_per_model_with_the_run_in_the_title() -> None:
    sweeps = {
        "lite0": [_row(batch_size=1), _row(batch_size=4)],
        "vgg": [_row(batch_size=1, device="NVIDIA H200", n_images=2)],
        "empty": [],
    }
    figures = bench_figures.batch_size_figures(sweeps)
    assert len(figures) == 2
    titles = [fig.axes[0].get_title() for fig in figures]
    assert (
        titles[0] == "Top-5 saliency maps, lite0, CPU (2 threads), 4 imagenet-samples-1000 images"
    )
    assert "NVIDIA H200" in titles[1] and "2 imagenet-samples-1000 images" in titles[1]
    ticks = [t.get_text() for t in figures[0].axes[0].get_xticklabels()]
    assert ticks == ["1", "4"]
    sizes = bench_figures.image_size_figures({"lite0": [_row(image_size=160), _row()]})
    assert [t.get_text() for t in sizes[0].axes[0].get_xticklabels()] == ["160 px", "224 px"]
    assert sizes[0].axes[0].get_title().endswith("batch 8")


def test_steps_table_in_milliseconds_with_the_share() -> None:
    steps = {
        "first_pass": 0.11,
        "floor_backward": 0.1,
        "max_c": 0.01,
        "inhibition": 0.012,
        "gated_pass": 0.07,
        "floor_forward": 0.064,
        "combine": 0.002,
        "own": 0.03,
        "own_share": 0.182,
    }
    table = bench_figures.steps_table({"efficientnet-lite0": steps, "vgg16-random": steps})
    lines = table.splitlines()
    assert "efficientnet-lite0" in lines[0] and "vgg16-random" in lines[0]
    inhibition = next(line for line in lines if "lateral inhibition" in line)
    assert inhibition.count("12.0") == 2
    assert "0.182" in lines[-1] and "own work / floor" in lines[-1]
    assert len(lines) == 2 + len(bench_figures.STEP_ROWS) + 1
