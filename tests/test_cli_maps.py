"""`licnn saliency` and `licnn bench` on real images: files written, numbers printed."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from licnn.cli import main


def test_saliency_writes_map_and_overlay(samples_dir, tmp_path, capsys):
    image = samples_dir / "n02110341_dalmatian.JPEG"
    assert main(["saliency", str(image), "--top-k", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "efficientnet-lite0" in out and "dalmatian" in out
    assert "map: saliency of the top-2 classes (dalmatian" in out
    saliency = np.load(tmp_path / "n02110341_dalmatian.JPEG.licnn-top2.npy")
    assert saliency.shape == (224, 224) and np.isfinite(saliency).all()
    assert abs(np.linalg.norm(saliency) - 1) < 1e-5
    with Image.open(tmp_path / "n02110341_dalmatian.JPEG.licnn-top2.png") as png:
        assert png.size == (224, 224)


def test_saliency_skips_a_bad_file_and_exits_2(samples_dir, tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    good = samples_dir / "n01534433_junco.JPEG"
    code = main(["saliency", str(good), str(bad), "--class", "13", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "broken.jpg" in err and "1 of 2 images" in err
    assert (
        tmp_path / "o" / "n01534433_junco.JPEG.licnn-class13.npy"
    ).exists()  # finished work is kept


def test_bench_json(samples_dir, capsys):
    code = main(
        [
            "bench",
            "--model",
            "efficientnet-lite0",
            "--images",
            "1",
            "--top-k",
            "2",
            "--image-dir",
            str(samples_dir),
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "efficientnet-lite0" and result["n_images"] == 1
    for key in ("fast_s", "floor_s", "reference_s"):
        assert math.isfinite(result[key]) and result[key] > 0, key
    # The ratios as licnn.experiments.bench defines them, from the timings reported beside them.
    assert result["speedup"] == pytest.approx(result["reference_s"] / result["fast_s"])
    assert result["floor_ratio"] == pytest.approx(result["fast_s"] / result["floor_s"])
    assert 0 <= result["max_abs_diff"] <= 1e-5
    if Path("/proc/cpuinfo").is_file():  # Linux: the record names the processor
        assert result["cpu"] and result["cpu"] != "x86_64", result["cpu"]


def test_bench_steps_json(samples_dir, capsys):
    """--steps adds each fast-path step's seconds and the floor share they add up to."""
    from licnn.experiments.bench_steps import STEPS

    args = ["bench", "--model", "efficientnet-lite0", "--images", "1", "--top-k", "2"]
    code = main([*args, "--image-dir", str(samples_dir), "--no-reference", "--steps", "--json"])
    assert code == 0
    steps = json.loads(capsys.readouterr().out)["steps_s"]
    for key in STEPS:
        assert math.isfinite(steps[key]) and steps[key] > 0, key
    assert steps["max_c"] == pytest.approx(steps["first_pass"] - steps["floor_backward"])
    own = (
        steps["max_c"]
        + steps["inhibition"]
        + steps["gated_pass"]
        - steps["floor_forward"]
        + steps["combine"]
    )
    assert steps["own"] == pytest.approx(own)
    floor = steps["floor_backward"] + steps["floor_forward"]
    assert steps["own_share"] == pytest.approx(own / floor)


def test_step_times_refuses_the_gradient_kind():
    import torch

    from licnn.core.config import LICNNConfig
    from licnn.experiments.bench_steps import step_times
    from licnn.models import load_model

    model = load_model("efficientnet-lite0")
    x = torch.zeros(1, 3, 224, 224)
    with pytest.raises(ValueError, match="response kind"):
        step_times(model, x, config=LICNNConfig(kind="gradient"))
    with pytest.raises(ValueError, match="repeats"):
        step_times(model, x, repeats=0)
