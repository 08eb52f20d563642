"""The CLI turns user errors into one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from licnn.cli import main
from test_images import BAD, make_bad

LICNN = Path(sys.executable).parent / "licnn"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("licnn: error: ") and "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_image_in_the_cli(kind: str, tmp_path: Path, capsys) -> None:
    path = make_bad(kind, tmp_path)
    assert main(["saliency", str(path), "--out", str(tmp_path / "out")]) == 2
    # a folder is an input of its own (searched for images): an empty one is the error
    expected = "holds no image files" if kind == "directory" else BAD[kind]
    assert expected in _one_error_line(capsys)


def test_unknown_model(fetched_data: Path, capsys) -> None:
    argv = ["evaluate", "--model", "resnet-9000", "--dataset", "imagenet-val-1300"]
    assert main([*argv, "--root", str(fetched_data)]) == 2
    assert "unknown model 'resnet-9000'" in _one_error_line(capsys)


def test_missing_vgg16_weights(fetched_data: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("LICNN_VGG16_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    argv = ["evaluate", "--model", "vgg16", "--dataset", "imagenet-val-1300", "--limit", "1"]
    assert main([*argv, "--root", str(fetched_data)]) == 2
    assert "VGG-16 weights" in _one_error_line(capsys)
    assert main([*argv, "--root", str(fetched_data), "--weights", str(tmp_path / "no.pth")]) == 2
    assert "not found" in _one_error_line(capsys)


def test_missing_and_unknown_dataset(tmp_path: Path, capsys) -> None:
    assert main(["evaluate", "--dataset", "imagenet-samples-1000", "--root", str(tmp_path)]) == 2
    assert "licnn data fetch imagenet-samples-1000 --mirror DIR" in _one_error_line(capsys)
    assert main(["evaluate", "--dataset", "cifar", "--root", str(tmp_path)]) == 2
    assert "unknown dataset 'cifar'" in _one_error_line(capsys)
    assert main(["data", "fetch", "cifar"]) == 2
    assert "unknown dataset" in _one_error_line(capsys)
    assert main(["data", "fetch", "pascal-s", "--mirror", str(tmp_path / "none")]) == 2
    assert "mirror folder" in _one_error_line(capsys)


def test_bad_arguments(fetched_data: Path, capsys) -> None:
    argv = ["evaluate", "--dataset", "imagenet-val-1300", "--root", str(fetched_data)]
    assert main([*argv, "--limit", "0"]) == 2
    assert "--limit" in _one_error_line(capsys)


@pytest.mark.slow
def test_subprocess_has_no_traceback(tmp_path: Path) -> None:
    if not LICNN.exists():
        pytest.skip(f"{LICNN} not installed")
    bad = make_bad("truncated", tmp_path)
    env = {"LICNN_DATA": str(tmp_path / "nodata"), "PATH": "/usr/bin:/bin"}
    for argv in (
        ["saliency", str(bad), "--out", str(tmp_path / "out")],
        ["evaluate", "--dataset", "pascal-s"],
    ):
        done = subprocess.run(
            [str(LICNN), *argv], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("licnn: error: ")
        assert "Traceback" not in done.stderr
