"""Issue 15, classes 2 and 3 of the command line: a row per case found.

Class 2: no two inputs, targets or settings share an output file, and a write that fails
(full disk, Ctrl-C) leaves no file behind. Class 3: every bad input or fault ends in one
line ``licnn: error: ...`` on stderr and exit status 2, before work starts where it can be
checked, and with no map written.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from licnn.cli import main
from tiny_cli import map_files, write_image


def _err_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def _unwritable_folder(tmp_path: Path) -> Path:
    """An existing folder this process cannot write in (root ignores permission bits)."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if Path("/sys").is_dir():
        try:
            (Path("/sys") / ".licnn-probe").touch()
        except OSError:
            return Path("/sys")
    pytest.skip("no unwritable folder available to root here")


# ---------------------------------------------------------------- class 2: distinct, whole
def _two_folders(tmp: Path) -> list[list[str]]:
    a, b = write_image(tmp / "a" / "photo.jpg", 1), write_image(tmp / "b" / "photo.jpg", 2)
    return [[str(a), str(b)]]


def _two_formats(tmp: Path) -> list[list[str]]:
    return [[str(write_image(tmp / "x.jpg", 1)), str(write_image(tmp / "x.png", 2))]]


def _class_and_top_k(tmp: Path) -> list[list[str]]:
    image = str(write_image(tmp / "x.jpg", 1))
    return [[image, "--top-k", "2"], [image, "--class", "3"]]


def _folders_given(tmp: Path) -> list[list[str]]:
    write_image(tmp / "in" / "a" / "photo.jpg", 1)
    write_image(tmp / "in" / "b" / "photo.jpg", 2)
    write_image(tmp / "in" / "b" / "photo.png", 3)
    (tmp / "in" / "notes.txt").write_text("not an image; ignored")
    return [[str(tmp / "in")]]


CLASS2 = {
    "same name in two folders": (
        _two_folders,
        ["a/photo.jpg.licnn-top5", "b/photo.jpg.licnn-top5"],
    ),
    "same stem, two formats": (_two_formats, ["x.jpg.licnn-top5", "x.png.licnn-top5"]),
    "--class and top-k into one --out": (
        _class_and_top_k,
        ["x.jpg.licnn-class3", "x.jpg.licnn-top2"],
    ),
    "a folder with same-named files": (
        _folders_given,
        ["a/photo.jpg.licnn-top5", "b/photo.jpg.licnn-top5", "b/photo.png.licnn-top5"],
    ),
}


@pytest.mark.parametrize("case", sorted(CLASS2))
def test_every_input_and_target_has_its_own_outputs(case, tiny, tmp_path, capsys) -> None:
    build, stems = CLASS2[case]
    out = tmp_path / "out"
    for argv in build(tmp_path):
        assert main(["saliency", *argv, "--out", str(out)]) == 0
    expected = sorted(f"{s}.{ext}" for s in stems for ext in ("npy", "png"))
    assert map_files(out) == expected
    maps = [np.load(out / f) for f in expected if f.endswith(".npy")]
    for i, first in enumerate(maps):  # different images or targets: different maps
        for second in maps[i + 1 :]:
            assert not np.allclose(first, second)
    stdout = capsys.readouterr().out
    assert "map: " in stdout and ("top-" in stdout or "class 3" in stdout)


def _fsync_raises(error: BaseException) -> Callable[[int], None]:
    def fsync(_fd: int) -> None:
        raise error

    return fsync


FAULTS = {
    "full disk": (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left"),
    "Ctrl-C while writing": (KeyboardInterrupt(), 130, "interrupted"),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_a_failed_write_leaves_no_file(case, tiny, tmp_path, capsys, monkeypatch) -> None:
    error, code, message = FAULTS[case]
    image = write_image(tmp_path / "x.jpg", 1)
    monkeypatch.setattr("licnn.cli._common.os.fsync", _fsync_raises(error))
    out = tmp_path / "out"
    out.mkdir()
    assert main(["saliency", str(image), "--out", str(out)]) == code
    lines = _err_lines(capsys)
    assert len(lines) == 1 and message in lines[0]
    assert sorted(p.name for p in out.iterdir()) == []  # no map, no temporary file


def test_other_settings_into_one_out_are_refused(tiny, tmp_path, capsys) -> None:
    image = str(write_image(tmp_path / "x.jpg", 1))
    out = tmp_path / "out"
    assert main(["saliency", image, "--out", str(out)]) == 0
    before = (out / "x.jpg.licnn-top5.npy").read_bytes()
    capsys.readouterr()
    for change in (["--kind", "gradient"], ["--a", "0.2"], ["--seed-code"]):
        assert main(["saliency", image, "--out", str(out), *change]) == 2
        lines = _err_lines(capsys)
        assert len(lines) == 1 and "other settings (config" in lines[0]
    assert (out / "x.jpg.licnn-top5.npy").read_bytes() == before


def test_two_files_with_one_output_name_are_refused(tiny, tmp_path, capsys) -> None:
    write_image(tmp_path / "d1" / "x.jpg", 1)
    write_image(tmp_path / "d2" / "d1" / "x.jpg", 2)
    # d1 and d2 as folders: d1/x.jpg and d2/d1/x.jpg map to "d1/x.jpg" and "d2/d1/x.jpg";
    # the same file twice is one input, not a clash.
    x = str(tmp_path / "d1" / "x.jpg")
    assert main(["saliency", x, x, "--out", str(tmp_path / "o")]) == 0
    assert map_files(tmp_path / "o") == ["x.jpg.licnn-top5.npy", "x.jpg.licnn-top5.png"]


# --------------------------------------------------------- class 3: one line and exit 2
def _image(tmp: Path) -> str:
    return str(write_image(tmp / "x.jpg", 1))


def _weights(tmp: Path, content: object | bytes) -> str:
    path = tmp / "w.pth"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    return str(path)


# name -> (argv builder, needs the tiny model, env, expected words in the error line)
CLASS3: dict[str, tuple[Callable[[Path], list[str]], bool, dict[str, str], str]] = {
    "lite0 garbage weights": (
        lambda t: ["saliency", _image(t), "--weights", _weights(t, b"\0garbage" * 50)],
        False,
        {},
        "not a PyTorch state_dict file",
    ),
    "lite0 weights of another network": (
        lambda t: ["saliency", _image(t), "--weights", _weights(t, {"fc.weight": torch.zeros(2)})],
        False,
        {},
        "does not hold efficientnet-lite0 weights",
    ),
    "lite0 weights: a pickled module": (
        lambda t: ["saliency", _image(t), "--weights", _weights(t, torch.nn.Linear(2, 2))],
        False,
        {},
        "not a PyTorch state_dict file",
    ),
    "evaluate with garbage weights": (
        lambda t: ["evaluate", "--dataset", "imagenet-val-1300", "--weights", _weights(t, b"x")],
        False,
        {},
        "not a PyTorch state_dict file",
    ),
    "--top-k above the classes": (
        lambda t: ["saliency", _image(t), "--top-k", "1001"],
        True,
        {},
        "1000 classes",
    ),
    "--top-k 0": (lambda t: ["saliency", _image(t), "--top-k", "0"], True, {}, "--top-k"),
    "--top-k not a number": (
        lambda t: ["saliency", _image(t), "--top-k", "five"],
        True,
        {},
        "--top-k",
    ),
    "--class 1000": (lambda t: ["saliency", _image(t), "--class", "1000"], True, {}, "0..999"),
    "--class -1": (lambda t: ["saliency", _image(t), "--class", "-1"], True, {}, "--class"),
    "--batch-size 0": (
        lambda t: ["saliency", _image(t), "--batch-size", "0"],
        True,
        {},
        "--batch-size",
    ),
    "--batch-size -1": (
        lambda t: ["saliency", _image(t), "--batch-size", "-1"],
        True,
        {},
        "--batch-size",
    ),
    "--workers -1": (lambda t: ["saliency", _image(t), "--workers", "-1"], True, {}, "--workers"),
    "--a nan": (lambda t: ["saliency", _image(t), "--a", "nan"], True, {}, "finite"),
    "--b inf": (lambda t: ["saliency", _image(t), "--b", "inf"], True, {}, "finite"),
    "--k 4": (lambda t: ["saliency", _image(t), "--k", "4"], True, {}, "odd"),
    "--a -1": (lambda t: ["saliency", _image(t), "--a", "-1"], True, {}, "non-negative"),
    "--device gpu": (
        lambda t: ["saliency", _image(t), "--device", "gpu"],
        True,
        {},
        "unknown device",
    ),
    "--device cuda:99": (
        lambda t: ["saliency", _image(t), "--device", "cuda:99"],
        True,
        {},
        "cuda:99",
    ),
    "--shard 2/2": (lambda t: ["saliency", _image(t), "--shard", "2/2"], True, {}, "--shard"),
    "--shard 0/0": (lambda t: ["saliency", _image(t), "--shard", "0/0"], True, {}, "--shard"),
    "--shard x": (lambda t: ["saliency", _image(t), "--shard", "x"], True, {}, "--shard"),
    "--limit without --dataset": (
        lambda t: ["saliency", _image(t), "--limit", "3"],
        True,
        {},
        "--dataset",
    ),
    "no inputs": (lambda t: ["saliency"], True, {}, "give image files"),
    "empty folder": (lambda t: ["saliency", str(t)], True, {}, "no image files"),
    "missing image": (lambda t: ["saliency", str(t / "none.jpg")], True, {}, "no such file"),
    "unknown dataset": (lambda t: ["saliency", "--dataset", "cifar"], True, {}, "unknown dataset"),
    "--out is a file": (
        lambda t: ["saliency", _image(t), "--out", _image(t)],
        True,
        {},
        "cannot create output folder",
    ),
    "--out exists, unwritable": (
        lambda t: ["saliency", _image(t), "--out", str(_unwritable_folder(t))],
        True,
        {},
        "cannot write in output folder",
    ),
    "evaluate --workers -1": (
        lambda t: ["evaluate", "--dataset", "pascal-s", "--workers", "-1"],
        True,
        {},
        "--workers",
    ),
    "evaluate --batch-size 0": (
        lambda t: ["evaluate", "--dataset", "pascal-s", "--batch-size", "0"],
        True,
        {},
        "--batch-size",
    ),
    "evaluate --limit -3": (
        lambda t: ["evaluate", "--dataset", "pascal-s", "--limit", "-3"],
        True,
        {},
        "--limit",
    ),
    "evaluate --device cuda:99": (
        lambda t: ["evaluate", "--dataset", "pascal-s", "--device", "cuda:99"],
        True,
        {},
        "cuda:99",
    ),
    "bench --repeats 0": (lambda t: ["bench", "--repeats", "0"], True, {}, "--repeats"),
    "bench --images 0": (lambda t: ["bench", "--images", "0"], True, {}, "--images"),
    "bench --batch-size 0": (lambda t: ["bench", "--batch-size", "0"], True, {}, "--batch-size"),
    "bench --top-k above the classes": (
        lambda t: ["bench", "--top-k", "1001"],
        True,
        {},
        "1000 classes",
    ),
    "bench --image-dir with too few images": (
        lambda t: ["bench", "--images", "3", "--image-dir", str(Path(_image(t)).parent)],
        True,
        {},
        "fewer than --images 3",
    ),
    "bench --device gpu": (lambda t: ["bench", "--device", "gpu"], True, {}, "unknown device"),
    "bench LICNN_THREADS=abc": (
        lambda t: ["bench"],
        True,
        {"LICNN_THREADS": "abc"},
        "LICNN_THREADS",
    ),
    "bench LICNN_THREADS=0": (lambda t: ["bench"], True, {"LICNN_THREADS": "0"}, "LICNN_THREADS"),
}


@pytest.mark.parametrize("case", sorted(CLASS3))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch, request) -> None:
    build, needs_tiny, env, words = CLASS3[case]
    if needs_tiny:
        request.getfixturevalue("tiny")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LICNN_DATA", str(tmp_path / "no-data"))
    inputs = tmp_path / "in"
    inputs.mkdir()
    argv = build(inputs)
    out = tmp_path / "out"
    if "--out" not in argv and argv[0] == "saliency":
        argv += ["--out", str(out)]
    assert main(argv) == 2
    lines = _err_lines(capsys)
    assert len(lines) == 1, lines
    assert lines[0].startswith("licnn: error: ") and words in lines[0], lines[0]
    assert map_files(out) == []


def test_another_image_of_the_same_name_is_neither_skipped_nor_overwritten(
    tiny, tmp_path, capsys
) -> None:
    a, b = (
        write_image(tmp_path / "a" / "photo.jpg", 1),
        write_image(tmp_path / "b" / "photo.jpg", 2),
    )
    out = tmp_path / "out"
    assert main(["saliency", str(a), "--out", str(out)]) == 0
    before = (out / "photo.jpg.licnn-top5.npy").read_bytes()
    capsys.readouterr()
    assert main(["saliency", str(b), "--out", str(out)]) == 2
    lines = _err_lines(capsys)
    assert len(lines) == 1 and f"holds the map of {a.resolve()}" in lines[0]
    assert (out / "photo.jpg.licnn-top5.npy").read_bytes() == before
