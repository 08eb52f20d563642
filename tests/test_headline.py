"""The first page's table of headline numbers, generated from results files."""

from __future__ import annotations

import json
from pathlib import Path

from licnn.report.headline import HEADER, headline_rows, headline_table


def test_no_results_gives_an_empty_table(tmp_path: Path) -> None:
    assert headline_rows(tmp_path) == []
    table = headline_table(tmp_path)
    assert "| " + " | ".join(HEADER) + " |" in table


def test_rows_come_from_the_results_file(tmp_path: Path) -> None:
    results = {
        "accuracy": {
            "some-set": {"n_images": 12, "n_skipped": 0, "top1": 0.5, "top5": 0.75},
        }
    }
    (tmp_path / "01_overview.json").write_text(json.dumps(results))
    rows = headline_rows(tmp_path)
    assert rows == [
        (
            "Top-1 / top-5 accuracy (224 px centre crop)",
            "0.500 / 0.750",
            "`some-set`, 12 images",
            "[1](01_overview.ipynb)",
        )
    ]
    assert "0.500 / 0.750" in headline_table(tmp_path)


def test_pipe_characters_are_escaped(tmp_path: Path) -> None:
    results = {"accuracy": {"a|b": {"n_images": 1, "n_skipped": 0, "top1": 1.0, "top5": 1.0}}}
    (tmp_path / "01_overview.json").write_text(json.dumps(results))
    assert "`a\\|b`" in headline_table(tmp_path)


def test_quantitative_rows_show_the_small_box_subset_and_the_s_measure(tmp_path: Path) -> None:
    def point(rate: float) -> dict:
        return {"rate": rate, "low": rate - 0.1, "high": rate + 0.1, "hits": 1}

    def mask(f: float, s: float, mae: float) -> dict:
        return {"n": 5, "f_measure": {"max": f}, "s_measure": {"mean": s}, "mae": {"mean": mae}}

    pg = {"accuracy": 0.9, "n": 40}
    results = {
        "pointing_game": {m: {"gt": pg} for m in ("licnn_attention", "grad_cam", "centre_prior")},
        "pointing_game_subsets": {
            "gt": {
                "all": {"n": 40, "methods": {}},
                "boxes < 25% of the image": {
                    "n": 7,
                    "methods": {
                        "licnn_attention": point(0.71),
                        "grad_cam": point(0.57),
                        "centre_prior": point(0.29),
                    },
                },
            }
        },
        "pascal_s": {
            "licnn_saliency": mask(0.8, 0.6, 0.3),
            "grad_cam": mask(0.7, 0.65, 0.2),
            "centre_prior": mask(0.5, 0.55, 0.3),
        },
    }
    (tmp_path / "08_quantitative_evaluation.json").write_text(json.dumps(results))
    rows = headline_rows(tmp_path)
    assert rows[1] == (
        "Pointing game (ground-truth class), images with boxes < 25% of the image",
        "LICNN attention 0.710; Grad-CAM 0.570; centre prior 0.290",
        "`imagenet-val-1300`, 7 of 40 images",
        "[8](08_quantitative_evaluation.ipynb)",
    )
    assert rows[2][0] == "Salient objects: max F-measure (β² = 0.3) / S-measure / MAE"
    assert rows[2][1].startswith("LICNN saliency 0.800 / 0.600 / 0.300; Grad-CAM 0.700")
