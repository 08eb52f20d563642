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
