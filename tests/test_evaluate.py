"""evaluate: accuracy on real images, bad files skipped and counted, 200-class scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from licnn.cli import main
from licnn.data import Dataset, imagenet_a_class_indices, load_dataset
from licnn.errors import DataError
from licnn.experiments.evaluate import evaluate, restrict_to_classes, topk_hits


def test_topk_hits() -> None:
    logits = torch.tensor([[0.1, 0.9, 0.0, 0.5], [0.8, 0.1, 0.3, 0.2], [0.0, 0.1, 0.2, 0.3]])
    labels = torch.tensor([1, 2, 0])
    hits = topk_hits(logits, labels, ks=(1, 2))
    assert hits.tolist() == [[True, True], [False, True], [False, False]]


def test_restricting_to_classes_ranks_only_among_them() -> None:
    logits = torch.tensor([[5.0, 1.0, 2.0, 3.0], [0.0, 4.0, 1.0, 2.0]])
    labels = torch.tensor([3, 0])
    sub, positions = restrict_to_classes(logits, labels, [1, 3])
    assert sub.tolist() == [[1.0, 3.0], [4.0, 2.0]]
    assert positions.tolist() == [1, -1]  # class 0 is outside the subset: never a hit
    assert topk_hits(logits, labels, (1,), [1, 3]).tolist() == [[True], [False]]
    assert topk_hits(logits, labels, (1,)).tolist() == [[False], [False]]


@pytest.mark.slow
def test_evaluate_16_real_images(lite0, fetched_data: Path) -> None:
    dataset = load_dataset("imagenet-val-1300", fetched_data, limit=16)
    result = evaluate(lite0, dataset, batch_size=8, progress=False)
    assert result["n_images"] == 16 and result["n_skipped"] == 0
    assert result["top1"] >= 0.5 and result["top5"] >= result["top1"]
    assert result["classes"] == 1000
    assert result["manifest_hash"] == dataset.manifest_hash
    assert "efficientnet-lite0" in result["model"]
    json.dumps(result)


@pytest.mark.slow
def test_bad_file_is_skipped_and_counted(lite0, fetched_data: Path, tmp_path: Path) -> None:
    real = load_dataset("imagenet-samples-1000", fetched_data, limit=3)
    truncated = tmp_path / "truncated.JPEG"
    truncated.write_bytes(real[0].path.read_bytes()[:500])
    records = (*real.records[:2], type(real[0])(path=truncated, label=0), *real.records[2:])
    dataset = Dataset("mixed", records, real.manifest_hash, True, tmp_path)
    result = evaluate(lite0, dataset, batch_size=2, progress=False)
    assert result["n_images"] == 3 and result["n_skipped"] == 1
    assert result["skipped"][0]["file"] == str(truncated)
    assert "truncated" in result["skipped"][0]["error"]


def test_proxy_is_scored_over_200_classes(lite0, fetched_data: Path) -> None:
    dataset = load_dataset("imagenet-a-proxy", fetched_data, limit=8)
    result = evaluate(lite0, dataset, progress=False)
    assert result["classes"] == 200 == len(imagenet_a_class_indices())
    assert 0.0 <= result["top1"] <= result["top5"] <= 1.0


def test_unlabelled_dataset_is_refused(lite0, fetched_data: Path) -> None:
    with pytest.raises(DataError, match="no class labels"):
        evaluate(lite0, load_dataset("pascal-s", fetched_data, limit=2), progress=False)


@pytest.mark.slow
def test_cli_evaluate_json(fetched_data: Path, capsys) -> None:
    argv = ["evaluate", "--dataset", "imagenet-val-1300", "--limit", "4", "--json"]
    assert main([*argv, "--root", str(fetched_data), "--batch-size", "4"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_images"] == 4 and result["dataset"] == "imagenet-val-1300"
