"""Helpers the report's notebooks call: provenance of every result, and stable result files.

Every number and figure in the report states where it came from. :func:`provenance` gathers
that in one dictionary (model and weights with their SHA-256, data sets with their manifest
hashes, the notebook's parameters, library versions, device); :func:`print_provenance` shows
it under a figure or table. Nothing time-dependent is recorded, so re-running a notebook on
the same inputs gives the same text.

:func:`save_results` writes a notebook's headline numbers to ``book/results/NN_name.json``
with sorted keys and floats rounded to :data:`SIGNIFICANT_DIGITS` significant digits, so a
re-run shows in ``git diff`` only where a number really changed.

Notebooks take ``results_dir`` as a papermill parameter whose default is ``None``: the small
default run (the one ``pytest --nbval`` executes) writes nothing, and the book-scale run
(``scripts/build_book.py``, parameters from ``book/params.yml``) passes ``"book/results"``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import platform
import re
import textwrap
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

#: Significant digits kept for floats in result files.
SIGNIFICANT_DIGITS = 6

#: Distributions whose versions :func:`provenance` records, in this order.
VERSIONED = ("torch", "torchvision", "numpy", "captum", "licnn")

_NOTEBOOK_NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def library_versions() -> dict[str, str]:
    """Python and the libraries results depend on, as ``{name: version}``."""
    versions = {"python": platform.python_version()}
    versions.update({name: _version(name) for name in VERSIONED})
    return versions


def _model_entry(model: Any) -> dict[str, Any]:
    if isinstance(model, str):
        return {"name": model}
    return {
        "name": getattr(model, "name", type(model).__name__),
        "weights": getattr(model, "weights", None),
        "weights_sha256": getattr(model, "weights_sha256", None),
        "input_size": getattr(model, "input_size", None),
        "gate_points": len(getattr(model, "gate_points", ()) or ()),
    }


def _device_of(model: Any) -> str:
    device = getattr(model, "device", None)
    if device is None or getattr(device, "type", "cpu") != "cuda":
        return "cpu"
    import torch

    return f"cuda ({torch.cuda.get_device_name(device)})"


def _manifest_hash(name: str) -> str | None:
    """The data layer's manifest hash for ``name``, or ``None`` where it cannot say."""
    try:
        data = importlib.import_module("licnn.data")
    except ImportError:
        return None
    manifest_hash = getattr(data, "manifest_hash", None)
    if manifest_hash is None:
        return None
    try:
        return str(manifest_hash(name))
    except Exception:  # an unknown name or a missing manifest: say so, do not fail the notebook
        return None


def _dataset_entries(dataset: str | Sequence[str]) -> list[dict[str, Any]]:
    names = [dataset] if isinstance(dataset, str) else list(dataset)
    return [{"name": name, "manifest_sha256": _manifest_hash(name)} for name in names]


def provenance(
    model: Any = None,
    dataset: str | Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Where a result comes from, as a JSON-ready dictionary.

    ``model`` is a :class:`licnn.models.LoadedModel` (name, weights description, weights
    SHA-256, input size, number of gate points) or just a model name. ``dataset`` is one data
    set name or several; each gets the data layer's manifest hash (``None`` where the data
    layer cannot give one). ``params`` are the notebook's parameters, recorded as given.
    Library versions and the device (the model's; ``cpu`` without a model) complete it. No
    timestamp: the same inputs give the same dictionary.
    """
    record: dict[str, Any] = {}
    if model is not None:
        record["model"] = _model_entry(model)
    if dataset is not None:
        record["datasets"] = _dataset_entries(dataset)
    if params is not None:
        record["parameters"] = dict(params)
    record["versions"] = library_versions()
    record["device"] = _device_of(model)
    return record


def format_provenance(record: Mapping[str, Any]) -> str:
    """The text :func:`print_provenance` prints."""
    lines = []
    model = record.get("model")
    if model:
        lines.append(f"Model:      {model['name']}")
        if model.get("weights"):
            lines.append(f"  weights:  {model['weights']}")
        if model.get("weights_sha256"):
            lines.append(f"  SHA-256:  {model['weights_sha256']}")
        if model.get("gate_points"):
            lines.append(
                f"  input {model.get('input_size')} px, {model['gate_points']} gate points"
            )
    for entry in record.get("datasets", ()):
        lines.append(f"Data:       {entry['name']}")
        lines.append(f"  manifest: {entry.get('manifest_sha256') or 'hash unavailable'}")
    params = record.get("parameters")
    if params:
        lines += _wrapped("Parameters:", [f"{k}={v!r}" for k, v in params.items()])
    versions = record.get("versions", {})
    lines += _wrapped("Versions:", [f"{k} {v}" for k, v in versions.items()])
    lines.append(f"Device:     {record.get('device', 'cpu')}")
    return "\n".join(lines)


def _wrapped(label: str, items: list[str], width: int = 78) -> list[str]:
    """``label`` and comma-separated ``items``, wrapped under the first item."""
    text = ", ".join(items)
    return textwrap.wrap(
        text,
        width,
        initial_indent=f"{label:<12}",
        subsequent_indent=" " * 12,
        break_long_words=False,
        break_on_hyphens=False,
    )


def print_provenance(
    model: Any = None,
    dataset: str | Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Print :func:`provenance` readably and return it (to pass on to :func:`save_results`)."""
    record = provenance(model, dataset, params)
    print(format_provenance(record))
    return record


def _round_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return 0.0
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def to_jsonable(value: Any) -> Any:
    """``value`` with floats rounded and numpy/torch scalars and arrays made plain Python.

    Non-finite floats become the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` so the
    file stays strict JSON.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _round_float(value)
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars, torch tensors
    if callable(tolist):
        return to_jsonable(tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(item) for item in items]
    raise TypeError(f"cannot store a {type(value).__name__} in a result file: {value!r}")


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) holding
    ``pyproject.toml``; ``start`` itself where there is none."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return here


def results_path(notebook_name: str, results_dir: str | os.PathLike[str]) -> Path:
    """Where :func:`save_results` writes: ``results_dir/NN_name.json``; a relative
    ``results_dir`` is taken from the project root (see :func:`project_root`), so it means
    the same from the repository root and from ``notebooks/``."""
    if not _NOTEBOOK_NAME.match(notebook_name):
        raise ValueError(
            f"notebook name {notebook_name!r} is not of the form NN_name (e.g. '01_overview')"
        )
    folder = Path(results_dir)
    if not folder.is_absolute():
        folder = project_root() / folder
    return folder / f"{notebook_name}.json"


def save_results(
    notebook_name: str,
    results: Mapping[str, Any],
    results_dir: str | os.PathLike[str] | None = None,
) -> None:
    """Write ``results`` to ``results_dir/NN_name.json``; with ``results_dir=None``, nothing.

    The file has sorted keys, two-space indentation, a final newline and floats rounded to
    :data:`SIGNIFICANT_DIGITS` significant digits. Pass a notebook's ``results_dir``
    parameter straight through: ``None`` in the small default run, ``"book/results"`` in the
    book build. Values are checked either way, so the small run catches what JSON cannot
    hold. It prints where it wrote (relative to the project root) and returns nothing, so
    it can end a notebook cell without echoing a machine-specific path.
    """
    text = json.dumps(
        to_jsonable(results), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False
    )
    if results_dir is None:
        return
    path = results_path(notebook_name, results_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    try:
        shown = path.relative_to(project_root())
    except ValueError:
        shown = path
    print(f"Results saved to {shown.as_posix()}")
