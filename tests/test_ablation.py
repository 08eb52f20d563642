"""The ablation's settings (one factor at a time) and its runner on a few real images."""

from dataclasses import fields

import numpy as np
import pytest
from matplotlib.figure import Figure

from licnn.core.config import LICNNConfig
from licnn.data import load_dataset
from licnn.experiments.ablation import (
    FACTORS,
    ablation_figure,
    ablation_settings,
    ablation_table,
    run_ablation,
)
from licnn.experiments.localisation import BoxBenchmark, MaskBenchmark, sample_records


def changed_fields(config: LICNNConfig, base: LICNNConfig) -> list[str]:
    return [f.name for f in fields(config) if getattr(config, f.name) != getattr(base, f.name)]


def test_settings_change_one_factor_at_a_time():
    base = LICNNConfig()
    settings = ablation_settings()
    assert settings[0].factor == "default" and settings[0].config == base
    others = [s for s in settings[1:] if s.factor != "seed_code"]
    # every value of every factor except the default's
    assert len(others) == sum(len(values) - 1 for values in FACTORS.values())
    for setting in others:
        assert changed_fields(setting.config, base) == [setting.factor]
        assert str(getattr(setting.config, setting.factor)) == setting.value
    code = settings[-1]
    assert code.factor == "seed_code"
    # The released code's choices (SPEC section 1's table), the rest as in the default.
    assert changed_fields(code.config, base) == ["layer_norm", "gate_last", "resize"]
    assert (code.config.layer_norm, code.config.gate_last, code.config.resize) == (
        False,
        False,
        "nearest",
    )
    assert len({s.label for s in settings}) == len(settings)


def test_settings_pick_factors_and_reject_unknown_ones():
    settings = ablation_settings(factors=["k"], with_seed_code=False)
    assert [s.label for s in settings] == ["default", "k = 3", "k = 5", "k = 9"]
    with pytest.raises(ValueError, match="unknown ablation factors"):
        ablation_settings(factors=["alpha"])


def test_run_ablation_on_real_images(lite0, fetched_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path))
    val = load_dataset("imagenet-val-1300", root=fetched_data)
    pascal = load_dataset("pascal-s", root=fetched_data)
    boxes = BoxBenchmark(lite0, val, sample_records(val, 2), progress=False)
    masks = MaskBenchmark(lite0, pascal, sample_records(pascal, 2), progress=False)
    settings = ablation_settings(factors=["layer_norm"], with_seed_code=False)
    rows = run_ablation(boxes, masks, settings)
    assert [r["label"] for r in rows] == ["default", "layer_norm = False"]
    assert "versus_default" not in rows[0]
    versus = rows[1]["versus_default"]
    assert {"difference", "p_value", "p_holm", "b", "c"} <= versus["pointing_game"].keys()
    assert versus["f_measure"]["n"] == 2
    assert rows[1]["config"]["layer_norm"] is False
    table = ablation_table(rows)
    assert "layer_norm = False" in table and "McNemar" in table
    assert isinstance(ablation_figure(rows, "test"), Figure)


def test_settings_computed_together_equal_separate_runs(lite0, fetched_data, tmp_path, monkeypatch):
    # run_ablation computes all settings in one pass per image; each setting's scores must be
    # those of a run of that setting alone (in a separate cache).
    val = load_dataset("imagenet-val-1300", root=fetched_data)
    pascal = load_dataset("pascal-s", root=fetched_data)
    settings = ablation_settings(factors=["k", "gate_last", "resize"], with_seed_code=False)
    configs = [s.config for s in settings]

    def benchmarks(folder):
        monkeypatch.setenv("LICNN_CACHE", str(tmp_path / folder))
        return (
            BoxBenchmark(lite0, val, sample_records(val, 2), progress=False),
            MaskBenchmark(lite0, pascal, sample_records(pascal, 2), progress=False),
        )

    boxes, masks = benchmarks("together")
    together_boxes = boxes.scores_configs("licnn_attention", "gt", configs)
    together_masks = masks.scores_configs("licnn_saliency", configs)
    boxes, masks = benchmarks("alone")
    for config, box_scores, mask_scores in zip(
        configs, together_boxes, together_masks, strict=True
    ):
        alone_boxes = boxes.scores("licnn_attention", "gt", config)
        alone_masks = masks.scores("licnn_saliency", config)
        for name in ("hit", "energy", "iou", "target"):
            np.testing.assert_allclose(box_scores[name], alone_boxes[name], atol=1e-6)
        for name in ("precision", "recall", "adaptive_f", "mae"):
            np.testing.assert_allclose(mask_scores[name], alone_masks[name], atol=1e-6)


def _fake_row(label: str, p: float | None) -> dict:
    """A row shaped like run_ablation's, with made-up numbers (no model needed)."""
    row: dict = {
        "factor": "default" if p is None else "k",
        "value": "-",
        "label": label,
        "pointing_game": {"accuracy": 0.5, "low": 0.4, "high": 0.6},
        "pascal_s": {
            "f_measure": {"max": 0.6, "low": 0.5, "high": 0.7},
            "mae": {"mean": 0.2},
        },
    }
    if p is not None:
        row["versus_default"] = {
            "pointing_game": {"difference": 0.01, "p_value": p, "b": 1, "c": 2},
            "f_measure": {"difference": 0.0, "low": -0.1, "high": 0.1},
            "mae": {"mean": 0.0, "low": -0.1, "high": 0.1},
        }
    return row


def test_add_holm_adjusts_over_all_comparisons_and_keeps_raw_p():
    from licnn.experiments.ablation import add_holm
    from licnn.metrics.stats import holm

    raw = [0.001, 0.04, 0.03, 0.5, 0.01, 0.2, 0.9, 0.002, 0.06, 0.7, 0.3, 0.045]
    rows = [_fake_row("default", None)] + [_fake_row(f"s{i}", p) for i, p in enumerate(raw)]
    out = add_holm(rows)
    assert out is rows and "versus_default" not in rows[0]
    tests = [r["versus_default"]["pointing_game"] for r in rows[1:]]
    assert [t["p_value"] for t in tests] == raw
    np.testing.assert_allclose([t["p_holm"] for t in tests], holm(raw))
    # By hand: the smallest of 12 is multiplied by 12, the largest stays within [raw, 1].
    assert tests[0]["p_holm"] == pytest.approx(0.012)
    assert all(t["p_holm"] >= t["p_value"] for t in tests)
    table = ablation_table(rows, holm_column=True)
    assert "p (Holm)" in table and "0.012" in table
    assert "p (Holm)" not in ablation_table(rows)  # the default reads as before


def test_ablation_table_without_holm_leaves_the_column_blank():
    rows = [_fake_row("default", None), _fake_row("k = 3", 0.02)]
    assert "p (Holm)" in ablation_table(rows, holm_column=True)
