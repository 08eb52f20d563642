"""`licnn saliency` and `licnn bench` on real images: files written, numbers printed."""

import json
import math

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
