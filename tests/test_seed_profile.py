"""The seed-scale profile of the book pipeline (``scripts/build_book.py --profile seed``).

The seed profile needs what this machine lacks (VGG-16's ImageNet weights, a full ILSVRC2012
validation folder), so its path is run here at the smallest scale by the ``seed-smoke``
profile: VGG-16 with random weights and draws of two fetched images, through the same
parameters, the same checks before the first notebook and the same output folder layout.
Every profile's parameters are also checked against each notebook's ``parameters`` cell, so
a chapter left out of the smoke run still cannot be handed a parameter it does not have.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from licnn.data import load_dataset
from licnn.errors import DataError
from test_book_pipeline import NAMES, _build_book_module, parameter_names

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
BUILD = ROOT / "scripts" / "build_book.py"
PROFILES = sorted(BOOK.glob("params-*.yml"))
#: The model every chapter of a profile runs with (chapter 9 takes a list of models).
PROFILE_MODEL = {"seed": "vgg16", "seed-smoke": "vgg16-random"}
#: The chapters the smoke run executes in ``make test``: those that read a draw or ImageNet-A
#: (4, 6, 7, 10) and two cheap ones (1, 9); under 9 minutes on one thread of this project's
#: CPU beside other work. Chapters 2, 3, 5 and 8 add more than 10 minutes (2: the reference
#: trace and the text-vs-code variants, 3: pointing game and class specificity, 5: the path
#: of 4 again, 8: every method on two benchmarks) and only swap the model; their parameters
#: are checked by the tests above. ``LICNN_SEED_SMOKE=all`` runs every chapter.
SMOKE_CHAPTERS = [
    "01_overview",
    "04_cascading_randomisation",
    "06_blur_experiments",
    "07_background_influence",
    "09_performance",
    "10_blur_controls",
]


def profile_name(path: Path) -> str:
    return path.stem.removeprefix("params-")


def chapter_parameters(path: Path) -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(path.read_text()) or {}
    assert set(config) <= {"defaults", "notebooks"}, f"{path.name}: unknown top-level keys"
    per_notebook = config.get("notebooks") or {}
    return {
        name: {**(config.get("defaults") or {}), **(per_notebook.get(name) or {})}
        for name in per_notebook
    }


@pytest.mark.parametrize("path", PROFILES, ids=profile_name)
def test_profile_parameters_are_declared(path: Path) -> None:
    """Every key of every chapter of a profile is a parameter of that notebook."""
    chapters = chapter_parameters(path)
    assert sorted(chapters) == NAMES, f"{path.name} must give every chapter its own entry"
    for name, given in chapters.items():
        missing = set(given) - parameter_names(name)
        assert not missing, f"{path.name} sets {sorted(missing)} for {name}, not a parameter"
        assert "results_dir" not in given, f"{path.name}: the pipeline sets results_dir"


@pytest.mark.parametrize("path", PROFILES, ids=profile_name)
def test_profile_runs_every_chapter_with_its_model(path: Path) -> None:
    model = PROFILE_MODEL[profile_name(path)]
    for name, given in chapter_parameters(path).items():
        if "model_name" in parameter_names(name):
            assert given.get("model_name") == model, f"{path.name}: {name} is not run with {model}"
        else:
            assert given.get("models") == [model], f"{path.name}: {name} does not time {model}"


def test_a_profile_may_not_set_results_dir(tmp_path: Path) -> None:
    build = _build_book_module()
    params = tmp_path / "params-x.yml"
    params.write_text(yaml.safe_dump({"notebooks": {NAMES[0]: {"results_dir": "book/results"}}}))
    profile = build.Profile("x", params, tmp_path / "out")
    with pytest.raises(build.PipelineError, match="the pipeline sets them"):
        build.book_parameters(NAMES[0], profile)
    params.write_text(yaml.safe_dump({"notebooks": {NAMES[0]: {"model_name": "vgg16"}}}))
    given = build.book_parameters(NAMES[0], profile)
    assert given == {"model_name": "vgg16", "results_dir": str(tmp_path / "out" / "results")}


def test_the_book_profile_is_unchanged() -> None:
    build = _build_book_module()
    profile = build.make_profile()
    assert (profile.params, profile.out) == (BOOK / "params.yml", BOOK)
    assert build.make_profile("seed").out == ROOT / "book-seed"
    with pytest.raises(build.PipelineError, match="no profile 'nope'"):
        build.make_profile("nope")


def _run(
    args: list[str], env: dict[str, str], drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``scripts/build_book.py args`` with ``env`` added to the environment, ``drop`` removed."""
    environment = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, str(BUILD), *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
    )


def test_seed_profile_names_what_is_missing_before_running(tmp_path: Path) -> None:
    """No weights, no validation folder: one line each, exit code 2, no notebook started."""
    env = {
        "TORCH_HOME": str(tmp_path / "torch"),  # an empty hub cache: no VGG-16 file there
        "LICNN_IMAGENET_VAL": str(tmp_path / "no-val-folder"),
        "LICNN_CACHE": str(tmp_path / "cache"),
    }
    out = tmp_path / "out"
    result = _run(
        ["--profile", "seed", "--out", str(out), "--no-html"], env, drop=("LICNN_VGG16_WEIGHTS",)
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert "LICNN_VGG16_WEIGHTS=FILE" in lines[0] and "vgg16-397923af.pth" in lines[0]
    assert "LICNN_IMAGENET_VAL" in lines[1] and "imagenet-val:7500" in lines[1]
    assert not list(out.glob("*.ipynb")) and not (out / "results").exists()
    assert "Traceback" not in result.stderr


def _model_of(results: dict[str, Any]) -> list[str]:
    """The model(s) a results file names: ``model``, else the provenance's model, else the
    models a performance run timed."""
    if "model" in results and isinstance(results["model"], str):
        return [results["model"]]
    provenance = results["provenance"]
    if "model" in provenance:
        return [provenance["model"]["name"]]
    return sorted(provenance["parameters"]["models"])


def _digest(folder: Path, pattern: str) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(pattern))
    }


def test_smoke_chapters_are_chapters() -> None:
    assert set(SMOKE_CHAPTERS) <= set(NAMES) and SMOKE_CHAPTERS == sorted(SMOKE_CHAPTERS)


@pytest.mark.slow
def test_seed_smoke_profile_runs_the_chapters(tmp_path: Path) -> None:
    """The chapters execute with VGG-16 (random weights) and the draw, into their own folder,
    and write a results file naming that model; book/ and notebooks/ are not touched."""
    before = {
        "book": _digest(BOOK, "*.ipynb"),
        "results": _digest(BOOK / "results", "*.json"),
        "notebooks": _digest(ROOT / "notebooks", "*.ipynb"),
    }
    out = tmp_path / "out"
    env = {"LICNN_CACHE": str(tmp_path / "cache")}
    chosen = NAMES if os.environ.get("LICNN_SEED_SMOKE") == "all" else SMOKE_CHAPTERS
    args = ["--profile", "seed-smoke", "--out", str(out), "--device", "cpu", "--no-html"]
    result = _run([*args, *chosen], env)
    assert result.returncode == 0, result.stderr[-3000:]
    chapters = chapter_parameters(BOOK / "params-seed-smoke.yml")
    for name in chosen:
        nb = nbformat.read(out / f"{name}.ipynb", as_version=4)
        injected = nb.metadata["papermill"]["parameters"]
        for key, value in chapters[name].items():
            assert injected[key] == value, f"{name}: {key} was not passed"
        if "device" in parameter_names(name):
            assert injected["device"] == "cpu", f"{name}: --device was not passed"
        else:
            assert "device" not in injected
        results = json.loads((out / "results" / f"{name}.json").read_text())
        assert _model_of(results) == ["vgg16-random"], f"{name} ran with {_model_of(results)}"
    draws = json.loads((out / "results" / "datasets.json").read_text())["draws"]
    drawn = [r.key for r in load_dataset("imagenet-val-1300:2")]
    assert (
        list(draws) == ["imagenet-val-1300:2"] and draws["imagenet-val-1300:2"]["images"] == drawn
    )
    cascading = json.loads((out / "results" / "04_cascading_randomisation.json").read_text())
    assert cascading["dataset"] == "imagenet-val-1300:2"
    assert sorted(cascading["images"]) == sorted(f"imagenet-val-1300:2/{key}" for key in drawn)
    try:
        load_dataset("imagenet-a")
    except DataError:
        assert "will use the ImageNet-A proxy" in result.stdout
    after = {
        "book": _digest(BOOK, "*.ipynb"),
        "results": _digest(BOOK / "results", "*.json"),
        "notebooks": _digest(ROOT / "notebooks", "*.ipynb"),
    }
    assert after == before, "the smoke run changed book/ or notebooks/"
