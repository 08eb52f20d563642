"""licnn.report.records: provenance records and stable result files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from licnn.report import records as report


def fake_model() -> SimpleNamespace:
    return SimpleNamespace(
        name="tiny",
        weights="random, seed 0",
        weights_sha256="ab" * 32,
        input_size=32,
        gate_points=[object()] * 3,
        device=torch.device("cpu"),
    )


def test_provenance_is_deterministic_and_complete() -> None:
    params = {"n_images": 4, "results_dir": None}
    first = report.provenance(fake_model(), "imagenet-val-1300", params)
    assert first == report.provenance(fake_model(), "imagenet-val-1300", params)
    assert first["model"] == {
        "name": "tiny",
        "weights": "random, seed 0",
        "weights_sha256": "ab" * 32,
        "input_size": 32,
        "gate_points": 3,
    }
    assert first["parameters"] == params
    assert first["device"] == "cpu"
    assert set(first["versions"]) == {"python", *report.VERSIONED}
    assert not any("time" in key or "date" in key for key in first)
    json.dumps(first)  # storable as it is


def test_provenance_of_names_only() -> None:
    record = report.provenance("efficientnet-lite0", ["no-such-dataset"])
    assert record["model"] == {"name": "efficientnet-lite0"}
    assert record["datasets"] == [{"name": "no-such-dataset", "manifest_sha256": None}]
    assert record["device"] == "cpu"


def test_provenance_uses_the_data_layers_manifest_hash() -> None:
    data = pytest.importorskip("licnn.data")
    expected = data.manifest_hash("imagenet-val-1300")
    record = report.provenance(dataset="imagenet-val-1300")
    assert record["datasets"][0]["manifest_sha256"] == expected


def test_print_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    record = report.print_provenance(fake_model(), "no-such-dataset", {"k": 7})
    text = capsys.readouterr().out
    assert text.strip() == report.format_provenance(record)
    assert "Model:      tiny" in text
    assert "Data:       no-such-dataset\n  manifest: hash unavailable" in text
    assert "Parameters: k=7" in text
    assert "Device:     cpu" in text


def test_to_jsonable_rounds_and_converts() -> None:
    value = {
        "pi": math.pi,
        "small": 1.234567891e-9,
        "array": np.array([0.1234567891, 2.0], dtype=np.float64),
        "scalar": np.float32(0.5),
        "int": np.int64(3),
        "tensor": torch.tensor([1.0, 2.5]),
        "tuple": (1, 2),
        "path": Path("a/b"),
        3: "key made a string",
        "special": [float("nan"), float("inf"), -float("inf")],
    }
    assert report.to_jsonable(value) == {
        "pi": 3.14159,
        "small": 1.23457e-9,
        "array": [0.123457, 2.0],
        "scalar": 0.5,
        "int": 3,
        "tensor": [1.0, 2.5],
        "tuple": [1, 2],
        "path": "a/b",
        "3": "key made a string",
        "special": ["NaN", "Infinity", "-Infinity"],
    }
    with pytest.raises(TypeError):
        report.to_jsonable({"bad": object()})


def test_save_results_without_dir_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert report.save_results("01_overview", {"x": 1.0}, None) is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError):
        report.save_results("01_overview", {"x": object()}, None)


def test_save_results_relative_to_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # where kernels run
    report.save_results("02_implementation", {"b": 1 / 3, "a": [2.0, 1]}, "book/results")
    path = tmp_path / "book" / "results" / "02_implementation.json"
    assert path.read_text() == '{\n  "a": [\n    2.0,\n    1\n  ],\n  "b": 0.333333\n}\n'
    assert capsys.readouterr().out == "Results saved to book/results/02_implementation.json\n"


def test_save_results_checks_the_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NN_name"):
        report.save_results("overview", {}, tmp_path)
