"""The salient-object measures of licnn.metrics.sod on tiny maps, by hand or by definition,
and against pysodmetrics where it is installed (it is not in the lock: that check skips)."""

import numpy as np
import pytest

from licnn.metrics.localisation import dataset_max_f_measure, f_measure_curve
from licnn.metrics.sod import (
    adaptive_e_measure,
    aggregate_sod,
    e_measure_curve,
    s_measure,
    sod_scores,
    weighted_f_measure,
)

MASK = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=bool)


def _random_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An 8-bit map (values k / 255, min 0 and max 1) brighter on a rectangular object.

    The rectangle's sides are odd, so its centroid is a whole pixel: pysodmetrics rounds a
    centroid half-way between pixels differently from the authors' MATLAB code (which
    licnn follows), and the oracle test must not depend on that.
    """
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(12, 30, 2))
    mask = np.zeros((h, w), dtype=bool)
    y0, x0 = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
    mask[y0 : y0 + 2 * (h // 6) + 1, x0 : x0 + 2 * (w // 6) + 1] = True
    levels = rng.integers(0, 256, (h, w))
    levels[mask] = np.minimum(levels[mask] + 90, 255)
    levels[0, 0], levels[-1, -1] = 0, 255
    return levels / 255.0, mask


def _e_by_definition(binary: np.ndarray, mask: np.ndarray) -> float:
    """Fan et al.'s enhanced alignment, pixel by pixel (sum over n - 1, as their code)."""
    f = binary.astype(float)
    g = mask.astype(float)
    n = f.size
    if g.sum() == 0:
        return float((1 - f).sum() / (n - 1))
    if g.sum() == n:
        return float(f.sum() / (n - 1))
    a, b = f - f.mean(), g - g.mean()
    den = a**2 + b**2
    xi = np.divide(2 * a * b, den, out=np.zeros_like(den), where=den != 0)
    return float(((1 + xi) ** 2 / 4).sum() / (n - 1))


def test_perfect_map_scores():
    scores = sod_scores(MASK.astype(float), MASK)
    n = MASK.size
    assert scores["s_measure"] == pytest.approx(1.0)
    assert scores["weighted_f"] == pytest.approx(1.0)
    assert scores["mae"] == 0.0 and scores["adaptive_f"] == pytest.approx(1.0)
    # Every threshold above 0 gives the mask itself: xi = 1 everywhere, sum n over n - 1.
    np.testing.assert_allclose(scores["e_curve"][1:], n / (n - 1))
    # Threshold 0 predicts everything: centred map 0, xi = 0, 1/4 per pixel.
    assert scores["e_curve"][0] == pytest.approx(0.25 * n / (n - 1))
    assert scores["adaptive_e"] == pytest.approx(n / (n - 1))


def test_s_measure_rounds_a_half_pixel_centroid_up():
    # Object pixels (row 1, columns 0 and 1): 1-based centroid (1.5, 2), column rounded up
    # to 2 (MATLAB's round), so the blocks are columns 0-1 and 2-3, rows 0-1 and 2.
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 0:2] = True
    saliency = mask.astype(float)
    saliency[0, 3] = 0.5
    fg, bg = saliency[mask], 1 - saliency[~mask]
    o = lambda v: 2 * v.mean() / (v.mean() ** 2 + 1 + (v.std(ddof=1) if v.size > 1 else 0))  # noqa: E731
    objects = 2 / 12 * o(fg) + 10 / 12 * o(bg)
    # Blocks: top-left (rows 0-1, cols 0-1) equals the mask; bottom blocks and the
    # top-right's mask are constant 0; the top-right map is not, so its SSIM is 0.
    regions = 4 / 12 * 1.0 + 4 / 12 * 0.0 + 2 / 12 * 1.0 + 2 / 12 * 1.0
    assert s_measure(saliency, mask) == pytest.approx(0.5 * objects + 0.5 * regions)


def test_s_measure_by_hand():
    mask = np.array([[1, 0], [0, 0]], dtype=bool)
    saliency = np.array([[1.0, 0.5], [0.0, 0.0]])
    # Object term: 1 on the object; on the background 1 - map = (0.5, 1, 1).
    bg = np.array([0.5, 1.0, 1.0])
    o_bg = 2 * bg.mean() / (bg.mean() ** 2 + 1 + bg.std(ddof=1))
    objects = 0.25 * 1.0 + 0.75 * o_bg
    # Centroid (1, 1) in 1-based pixels: four 1-pixel blocks, each constant: SSIM 1.
    assert s_measure(saliency, mask) == pytest.approx(0.5 * objects + 0.5 * 1.0)
    # Empty and full masks.
    assert s_measure(saliency, np.zeros((2, 2))) == pytest.approx(1 - saliency.mean())
    assert s_measure(saliency, np.ones((2, 2))) == pytest.approx(saliency.mean())


def test_e_measure_equals_its_definition():
    for seed in range(3):
        saliency, mask = _random_pair(seed)
        curve = e_measure_curve(saliency, mask)
        for index in (0, 40, 128, 200, 255):
            t = np.linspace(0, 1, 256)[index]
            assert curve[index] == pytest.approx(_e_by_definition(saliency >= t, mask))
        adaptive = saliency >= min(2 * saliency.mean(), 1.0)
        assert adaptive_e_measure(saliency, mask) == pytest.approx(_e_by_definition(adaptive, mask))
    empty = np.zeros_like(MASK)
    saliency = np.arange(12, dtype=float).reshape(3, 4)
    curve = e_measure_curve(saliency, empty)
    assert curve[-1] == pytest.approx(_e_by_definition(saliency >= 1.0 * 11, empty))


def test_weighted_f_edge_cases():
    assert weighted_f_measure(np.ones((3, 4)), np.zeros((3, 4))) == 0.0
    # A map that is 1 everywhere except one object pixel is worse than the mask itself.
    worse = MASK.astype(float)
    worse[2, 3] = 1.0
    assert 0 < weighted_f_measure(worse, MASK) < 1


def test_aggregate_follows_the_toolkits_and_keeps_the_old_max_f():
    pairs = [_random_pair(seed) for seed in range(3)]
    per_image = [sod_scores(s, m) for s, m in pairs]
    out = aggregate_sod(per_image)
    f_curves = np.stack([f_measure_curve(s, m)[2] for s, m in pairs])
    assert out["max_f"] == pytest.approx(f_curves.mean(axis=0).max())
    assert out["mean_f"] == pytest.approx(f_curves.mean())
    assert out["max_f_pr"] == pytest.approx(dataset_max_f_measure(pairs))
    e_curves = np.stack([e_measure_curve(s, m) for s, m in pairs])
    assert out["max_e"] == pytest.approx(e_curves.mean(axis=0).max())
    assert out["mean_e"] == pytest.approx(e_curves.mean())
    for key in ("adaptive_f", "adaptive_e", "s_measure", "weighted_f", "mae"):
        assert out[key] == pytest.approx(np.mean([s[key] for s in per_image]))
    assert out["n"] == 3
    # The stacked arrays (as a benchmark's cache gives them) give the same, with or without
    # the F curves (rebuilt from precision and recall).
    stacked = {k: np.stack([s[k] for s in per_image]) for k in per_image[0]}
    assert aggregate_sod(stacked) == pytest.approx(out)
    del stacked["f_curve"]
    assert aggregate_sod(stacked) == pytest.approx(out)
    with pytest.raises(ValueError):
        aggregate_sod([])


def test_against_pysodmetrics():
    # pysodmetrics pins numpy<2.3.5, so it is not in the lock; this runs only where it is
    # installed by hand (pip install --no-deps pysodmetrics).
    psm = pytest.importorskip("py_sod_metrics")
    meters = {
        "sm": psm.Smeasure(),
        "em": psm.Emeasure(),
        "wfm": psm.WeightedFmeasure(),
        "fm": psm.Fmeasure(),
        "mae": psm.MAE(),
    }
    per_image = []
    for seed in range(4):
        saliency, mask = _random_pair(seed)
        pred = np.round(saliency * 255).astype(np.uint8)
        for meter in meters.values():
            meter.step(pred=pred, gt=mask.astype(np.uint8) * 255)
        per_image.append(sod_scores(saliency, mask))
    ours = aggregate_sod(per_image)
    results = {name: meter.get_results()[name] for name, meter in meters.items()}
    assert ours["s_measure"] == pytest.approx(results["sm"])
    assert ours["weighted_f"] == pytest.approx(results["wfm"])
    assert ours["mae"] == pytest.approx(results["mae"])
    assert ours["max_e"] == pytest.approx(results["em"]["curve"].max())
    assert ours["mean_e"] == pytest.approx(results["em"]["curve"].mean())
    assert ours["adaptive_e"] == pytest.approx(results["em"]["adp"])
    assert ours["max_f"] == pytest.approx(results["fm"]["curve"].max())
    assert ours["mean_f"] == pytest.approx(results["fm"]["curve"].mean())
    assert ours["adaptive_f"] == pytest.approx(results["fm"]["adp"])
