#!/usr/bin/env python
"""Run the report's notebooks and build the book.

For each ``notebooks/NN_name.py`` (all of them, or those named on the command line):

1. **pair**: ``jupytext --to ipynb --update`` writes ``notebooks/NN_name.ipynb`` from the
   ``.py`` (one way: the ``.py`` is the source; stored outputs of unchanged cells are kept);
2. **small run**: executes ``notebooks/NN_name.ipynb`` in place with its own default
   parameters (no injected cell) and keeps its text outputs: they are what
   ``pytest --nbval`` compares against in ``make test``; images are dropped;
3. **book run**: papermill executes it with the parameters of ``book/params.yml`` into
   ``book/NN_name.ipynb`` (never in place), then the parameter cells of that copy are tagged
   ``remove-cell``, the other code inputs ``hide-input`` (the provenance output
   ``hide-output`` too), harness comments are dropped from the code shown, and run-time
   metadata (timings) is removed so re-runs diff cleanly;
4. **html**: ``jupyter-book build -W book/``.

``--prose`` copies edited markdown cells into the executed copies and dresses them for
reading as in step 3, without running anything (only where the code cells still agree). Kernels run in ``notebooks/`` with
``TQDM_DISABLE=1`` and ``PYTHONHASHSEED=0``.

``--profile NAME`` runs the same notebooks with the parameters of ``book/params-NAME.yml``
instead (``seed``: VGG-16 and the seed's 7500 validation images; ``seed-smoke``: the same
path with random weights and two images) into ``book-NAME/`` (or ``--out DIR``), with its
own ``results/``, and leaves ``book/`` and ``notebooks/`` alone: no pairing, no small run,
no front page; the chapters get an HTML book of their own there. Before any notebook runs,
every model and dataset the profile's chapters use is loaded once, so a missing weights
file or data folder is one line and exit code 2; the images of every draw (``NAME:N``) are
listed in ``results/datasets.json``. ``--device`` sets the ``device`` parameter of every
notebook that has one, in any profile.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
PARAMS = BOOK / "params.yml"
TOC = ROOT / "_toc.yml"
NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")
HIDDEN_TAGS = ("parameters", "injected-parameters")
#: Comments meant for the test harness and the formatter, not for readers of the book: a whole
#: line ``# NBVAL_IGNORE_OUTPUT`` (nbval) or a trailing ``# fmt: skip`` (ruff format).
HARNESS_COMMENT = re.compile(
    r"^[ \t]*# NBVAL_IGNORE_OUTPUT[ \t]*\n?|[ \t]*# fmt: skip(?=[ \t]*$)", re.M
)
#: Layout tags set in a notebook's cell header (``# %% tags=["full-width"]``) for its figure:
#: copied to the executed copy by ``--prose`` too, so a layout change needs no re-run.
LAYOUT_TAGS = ("full-width",)
#: A call whose output is the provenance record (versions, hashes): shown collapsed.
PROVENANCE_CALL = "print_provenance("
# OpenMP's default wait policy is kept: with one busy process, passive waiting made
# EfficientNet-Lite0's forward and backward passes about 15% slower on 2 cores (nbval, where
# the test process and the kernel share the cores, uses OMP_WAIT_POLICY=PASSIVE).
KERNEL_ENV = {"TQDM_DISABLE": "1", "PYTHONHASHSEED": "0"}


class PipelineError(RuntimeError):
    """A problem the user has to fix (printed without a traceback)."""


#: The default profile: ``book/params.yml`` into ``book/``, what is committed.
BOOK_PROFILE = "book"
#: Parameters the pipeline sets for a profile other than the book's (to its own folder).
PIPELINE_PARAMETERS = ("results_dir",)


@dataclass(frozen=True)
class Profile:
    """The parameters file a run reads and the folder its executed notebooks go to."""

    name: str
    params: Path
    out: Path

    @property
    def is_book(self) -> bool:
        return self.name == BOOK_PROFILE

    @property
    def results(self) -> Path:
        """Where the chapters of a profile other than the book's save their results."""
        return self.out / "results"

    @property
    def scratch(self) -> Path:
        """papermill writes here first; a run that fails leaves its notebook here."""
        return self.out / "_build" / "papermill"


def profile_names() -> list[str]:
    """``book`` and the NAME of every ``book/params-NAME.yml``."""
    others = sorted(p.stem.removeprefix("params-") for p in BOOK.glob("params-*.yml"))
    return [BOOK_PROFILE, *others]


def make_profile(name: str = BOOK_PROFILE, out: str | os.PathLike[str] | None = None) -> Profile:
    """The profile ``name``: ``book`` writes ``book/``, any other ``book-NAME/`` or ``out``."""
    if name == BOOK_PROFILE:
        if out is not None:
            raise PipelineError("--out is for the other profiles; the book profile writes book/")
        return Profile(name, PARAMS, BOOK)
    params = BOOK / f"params-{name}.yml"
    if not params.is_file():
        raise PipelineError(
            f"no profile {name!r} (book/params-{name}.yml not found); known: "
            + ", ".join(profile_names())
        )
    folder = Path(out).expanduser().resolve() if out is not None else ROOT / f"book-{name}"
    if folder == BOOK.resolve() or folder == ROOT.resolve():
        raise PipelineError(f"--out {folder} would overwrite the committed book; choose another")
    return Profile(name, params, folder)


def notebook_names() -> list[str]:
    """The stems ``NN_name`` of every ``notebooks/NN_name.py``, in order."""
    return sorted(p.stem for p in NOTEBOOKS.glob("*.py") if NAME.match(p.stem))


def resolve_names(requested: list[str]) -> list[str]:
    """Full names for ``requested`` (``NN_name``, ``NN``, or a path to either file)."""
    known = notebook_names()
    if not requested:
        return known
    chosen = []
    for item in requested:
        stem = Path(item).stem
        matches = [n for n in known if n == stem or n.split("_", 1)[0] == stem]
        if len(matches) != 1:
            raise PipelineError(f"no single notebook matches {item!r}; known: {', '.join(known)}")
        chosen.append(matches[0])
    return chosen


def toc_files(toc_path: Path = TOC) -> list[str]:
    """Every ``file`` entry of the table of contents (root first), as written there."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return files


def check_toc() -> None:
    """Every notebook is in the toc and every toc entry exists in ``book/``."""
    listed = [Path(f).with_suffix("").as_posix() for f in toc_files()]
    problems = [
        f"notebooks/{name}.py is not in _toc.yml (add `- file: {name}`)"
        for name in notebook_names()
        if name not in listed
    ]
    for entry in listed:
        if not any((BOOK / f"{entry}{suffix}").is_file() for suffix in (".md", ".ipynb")):
            hint = " (run: make section NB=" + entry + ")" if NAME.match(entry) else ""
            problems.append(f"_toc.yml lists {entry}, but book/ has no {entry}.md or .ipynb{hint}")
    if problems:
        raise PipelineError(
            "the table of contents and the notebooks disagree:\n  " + "\n  ".join(problems)
        )


def book_parameters(name: str, profile: Profile | None = None) -> dict[str, Any]:
    """The parameters the profile's file (``book/params.yml`` by default) gives notebook
    ``name``, defaults merged in; a profile other than the book's gets its own
    ``results_dir`` and may not set it."""
    profile = profile or make_profile()
    source = profile.params
    config = yaml.safe_load(source.read_text()) or {}
    unknown = set(config) - {"defaults", "notebooks"}
    if unknown:
        raise PipelineError(f"{source.name}: unknown top-level keys {sorted(unknown)}")
    per_notebook = config.get("notebooks") or {}
    strays = sorted(set(per_notebook) - set(notebook_names()))
    if strays:
        raise PipelineError(f"{source.name} has entries for missing notebooks: {strays}")
    params = dict(config.get("defaults") or {})
    params.update(per_notebook.get(name) or {})
    if not profile.is_book:
        fixed = sorted(set(params) & set(PIPELINE_PARAMETERS))
        if fixed:
            raise PipelineError(
                f"{source.name} sets {fixed} for {name}; the pipeline sets them for a profile "
                f"(results go to {profile.results})"
            )
        params["results_dir"] = str(profile.results)
    return params


def run(cmd: list[str], **kwargs: Any) -> None:
    result = subprocess.run(cmd, cwd=ROOT, **kwargs)
    if result.returncode:
        raise PipelineError(f"command failed ({result.returncode}): {' '.join(cmd)}")


def pair(name: str) -> Path:
    """Write ``notebooks/name.ipynb`` from ``notebooks/name.py`` (one way)."""
    source = NOTEBOOKS / f"{name}.py"
    run([sys.executable, "-m", "jupytext", "--quiet", "--to", "ipynb", "--update", str(source)])
    return source.with_suffix(".ipynb")


def _kernel_env() -> None:
    os.environ.update(KERNEL_ENV)


def _drop_run_metadata(nb: nbformat.NotebookNode) -> None:
    """Remove per-cell timings and papermill's bookkeeping (and the empty tag lists it adds)."""
    for cell in nb.cells:
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]


def small_run(name: str, kernel: str, timeout: int | None) -> float:
    """Execute ``notebooks/name.ipynb`` with its defaults and store its text outputs."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    _kernel_env()
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        raise PipelineError(
            f"{name}: the small run failed; {path.name} is unchanged\n{exc}"
        ) from None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data:
                for mime in [m for m in data if m.startswith("image/")]:
                    del data[mime]
    _drop_run_metadata(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def declared_parameters(path: Path) -> set[str]:
    import papermill

    return set(papermill.inspect_notebook(str(path)))


def without_harness(source: str) -> str:
    """``source`` less the comments only nbval and the formatter read (:data:`HARNESS_COMMENT`)."""
    return HARNESS_COMMENT.sub("", source)


def _add_tags(cell: nbformat.NotebookNode, *wanted: str) -> None:
    tags = list(cell.metadata.get("tags", []))
    cell.metadata["tags"] = tags + [t for t in wanted if t not in tags]


def present(nb: nbformat.NotebookNode) -> bool:
    """Dress an executed copy for reading, in place; returns whether anything changed.

    The parameter cells are removed; every other code cell's input is hidden behind a toggle
    (``hide-input``), the provenance record is collapsed too (``hide-output``), and harness
    comments are taken out of the code shown. Outputs are untouched, so this never needs a run.
    """
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if any(tag in tags for tag in HIDDEN_TAGS):
            _add_tags(cell, "remove-cell")
            if "injected-parameters" in tags:
                cell["id"] = "injected-parameters"
            continue
        _add_tags(cell, "hide-input")
        if PROVENANCE_CALL in cell.source:
            _add_tags(cell, "hide-output")
        cell.source = without_harness(cell.source)
    return nbformat.writes(nb) != before


def tidy_executed(nb: nbformat.NotebookNode, parameters: dict[str, Any]) -> None:
    """Dress the copy for reading (:func:`present`) and drop what changes from run to run."""
    present(nb)
    _drop_run_metadata(nb)
    nb.metadata.pop("jupytext", None)
    nb.metadata["papermill"] = {"parameters": parameters}


def run_parameters(
    name: str, source: Path, profile: Profile, device: str | None = None
) -> dict[str, Any]:
    """The profile's parameters for ``name``, checked against the notebook's ``parameters``
    cell, with ``device`` (when given) for a notebook that has that parameter."""
    parameters = book_parameters(name, profile)
    declared = declared_parameters(source)
    undeclared = sorted(set(parameters) - declared)
    if undeclared:
        raise PipelineError(
            f"{profile.params.name} sets {undeclared} for {name}, "
            "but its `parameters` cell does not define them"
        )
    if device is not None and "device" in declared:
        parameters["device"] = device
    return parameters


def book_run(
    name: str,
    kernel: str,
    profile: Profile | None = None,
    source: Path | None = None,
    parameters: dict[str, Any] | None = None,
) -> float:
    """papermill ``source`` (default ``notebooks/name.ipynb``) -> ``<profile folder>/name.ipynb``
    with the profile's parameters (default: book-scale parameters into ``book/``)."""
    import papermill

    profile = profile or make_profile()
    source = source or NOTEBOOKS / f"{name}.ipynb"
    scratch = profile.scratch / f"{name}.ipynb"
    target = profile.out / f"{name}.ipynb"
    if parameters is None:
        parameters = run_parameters(name, source, profile)
    _kernel_env()
    scratch.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(source),
            str(scratch),
            parameters=parameters,
            kernel_name=kernel,
            cwd=str(NOTEBOOKS),
            progress_bar=False,
        )
    except papermill.PapermillExecutionError as exc:
        raise PipelineError(
            f"{name}: the {profile.name} run failed; {_shown(target)} is unchanged, "
            f"the failed run is in {_shown(scratch)}\n{exc}"
        ) from None
    nb = nbformat.read(scratch, as_version=4)
    tidy_executed(nb, parameters)
    nbformat.write(nb, target)
    return time.perf_counter() - start


def _shown(path: Path) -> str:
    """``path`` relative to the repository root where it is inside it."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def code_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The code of ``nb`` as run (harness comments aside), without papermill's injected cell."""
    return [
        without_harness(cell.source).strip()
        for cell in nb.cells
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", [])
    ]


def update_prose(name: str) -> bool:
    """Copy the markdown cells of ``notebooks/name.ipynb`` into ``book/name.ipynb``.

    Only when both have the same code cells in the same places; returns whether it changed.
    """
    paired = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    target = BOOK / f"{name}.ipynb"
    executed = nbformat.read(target, as_version=4)
    kept = [c for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    if [c.cell_type for c in kept] != [c.cell_type for c in paired.cells] or code_sources(
        paired
    ) != code_sources(executed):
        raise PipelineError(
            f"{name}: the code changed, so the notebook must run again (make section NB={name})"
        )
    changed = False
    for mine, theirs in zip(kept, paired.cells, strict=True):
        if mine.cell_type == "markdown" and mine.source != theirs.source:
            mine.source = theirs.source
            changed = True
        if mine.cell_type == "code":
            wanted = [t for t in theirs.metadata.get("tags", []) if t in LAYOUT_TAGS]
            tags = [t for t in mine.metadata.get("tags", []) if t not in LAYOUT_TAGS] + wanted
            if tags != mine.metadata.get("tags", []):
                mine.metadata["tags"] = tags
                changed = True
    changed = present(executed) or changed
    if changed:
        nbformat.write(executed, target)
    return changed


#: The claims, their verdict rules and the datasets' names in words (see licnn.report.claims).
CLAIMS = BOOK / "claims.yml"
#: The closing chapter's text, with placeholders for numbers from the results files.
CONCLUSIONS_TEMPLATE = BOOK / "conclusions.in.md"
GENERATED_NOTE = (
    "<!-- Generated by scripts/build_book.py from book/conclusions.in.md, book/claims.yml and "
    "book/results/*.json (licnn.report.claims); edit those, not this file. -->\n\n"
)


def front_pages() -> dict[str, str | None]:
    """The generated pages' text by file name (the figure is written separately)."""
    from licnn.report.claims import claims_table, dataset_names, render_template
    from licnn.report.headline import headline_table

    names = dataset_names(CLAIMS)
    results = BOOK / "results"
    template = CONCLUSIONS_TEMPLATE.read_text(encoding="utf-8")
    return {
        "headline.md": headline_table(results, names),
        "claims.md": claims_table(CLAIMS, results),
        "conclusions.md": GENERATED_NOTE + render_template(template, CLAIMS, results),
    }


def write_headline() -> Path:
    """Regenerate the front page's tables and figure and the closing chapter from
    book/results/*.json, book/claims.yml and book/conclusions.in.md."""
    from licnn.errors import LicnnError
    from licnn.report.headline import write_front_figure

    try:
        pages = front_pages()
    except LicnnError as exc:
        raise PipelineError(f"the front page cannot be generated: {exc}") from None
    for name, text in pages.items():
        (BOOK / name).write_text(text, encoding="utf-8")
    write_front_figure(BOOK / "results", BOOK / "front_figure.svg")
    return BOOK / "headline.md"


def build_html(full: bool) -> float:
    start = time.perf_counter()
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", "-W", "--keep-going", *(["--all"] if full else []), "book/"]
    run(cmd)
    return time.perf_counter() - start


# --- other profiles: the same notebooks, other parameters, another folder --------------------


def profile_source(name: str, profile: Profile) -> Path:
    """``notebooks/name.py`` as a notebook in the profile's folder (``notebooks/`` is left
    alone: no pairing, no stored outputs touched)."""
    import jupytext

    path = profile.out / "_build" / "source" / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(jupytext.read(NOTEBOOKS / f"{name}.py"), path)
    return path


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parameter value (lists and mappings searched, keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def code_literals(source: Path) -> set[str]:
    """The string constants of a notebook's code cells, its ``parameters`` cell aside (the
    profile's values replace those)."""
    nb = nbformat.read(source, as_version=4)
    found: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(without_harness(cell.source))
        except SyntaxError:  # cell magics and shell lines: nothing to learn from them
            continue
        found.update(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        )
    return found


def _is_dataset(text: str) -> bool:
    from licnn.data import IMAGE_DATASETS
    from licnn.data.samples import SAMPLE_NAME

    match = SAMPLE_NAME.match(text)
    return text in IMAGE_DATASETS or (match is not None and match["base"] in IMAGE_DATASETS)


@dataclass
class ProfileInputs:
    """What the chapters of a run need: models, datasets, and who reads ImageNet-A."""

    models: set[str]
    datasets: set[str]
    adversarial: list[str]


def profile_inputs(
    sources: dict[str, Path], parameters: dict[str, dict[str, Any]]
) -> ProfileInputs:
    """The models and datasets the chapters name, in their parameters or in their code.

    ``imagenet-a`` is not among them: the chapters that read it (through ``load_adversarial``)
    take the ImageNet-A proxy when it is absent, so it is optional.
    """
    from licnn.models import MODEL_NAMES

    inputs = ProfileInputs(set(), set(), [])
    for name, source in sources.items():
        texts = code_literals(source) | set(_strings(parameters[name]))
        inputs.models.update(t for t in texts if t.lower() in MODEL_NAMES)
        inputs.datasets.update(t for t in texts if t != "imagenet-a" and _is_dataset(t))
        if "load_adversarial(" in (NOTEBOOKS / f"{name}.py").read_text(encoding="utf-8"):
            inputs.adversarial.append(name)
    return inputs


def _model_problem(name: str) -> str | None:
    """Why model ``name`` cannot be loaded, in one line (None when it loads)."""
    from licnn.errors import LicnnError
    from licnn.models import load_model
    from licnn.models.loading import VGG16_ENV, VGG16_FILE, VGG16_URL, vgg16_weights_path

    if name.lower() == "vgg16" and not os.environ.get(VGG16_ENV):
        try:
            vgg16_weights_path()
        except LicnnError:
            import torch

            where = Path(torch.hub.get_dir()) / "checkpoints"
            return (
                f"the VGG-16 weights are missing: set {VGG16_ENV}=FILE ({VGG16_FILE}, from "
                f"{VGG16_URL}), or put that file in {where}"
            )
    try:
        load_model(name)
    except LicnnError as exc:
        return f"model {name}: {exc}"
    return None


def _dataset_problem(name: str) -> tuple[str | None, dict[str, Any] | None]:
    """Why dataset ``name`` cannot be loaded (None when it loads), and, for a draw, what
    ``results/datasets.json`` records of it."""
    from licnn.data import load_dataset
    from licnn.data.samples import parse_sample_name, sample_summary
    from licnn.errors import LicnnError

    try:
        dataset = load_dataset(name)
        sample = parse_sample_name(name)
        if sample is None:
            return None, None
        return None, sample_summary(dataset, len(load_dataset(sample.base)))
    except LicnnError as exc:
        return f"dataset {name}: {exc}", None


def preflight(profile: Profile, inputs: ProfileInputs, device: str | None) -> list[str]:
    """Load every model and dataset of the run once, before any notebook runs.

    Raises :class:`PipelineError` with one line per missing thing (weights file, data
    folder, device); adds the images of every draw to ``results/datasets.json`` and
    returns lines to print (what was drawn, and whether ImageNet-A is there).
    """
    from licnn.data import load_dataset
    from licnn.errors import LicnnError

    problems = []
    if device is not None:
        from licnn.device import resolve_device

        try:
            resolve_device(device)
        except LicnnError as exc:
            problems.append(f"--device {device}: {exc}")
    problems += [p for p in map(_model_problem, sorted(inputs.models)) if p]
    draws = {}
    for name in sorted(inputs.datasets):
        problem, summary = _dataset_problem(name)
        if problem:
            problems.append(problem)
        if summary:
            draws[name] = summary
    if problems:
        raise PipelineError("\n".join(f"profile {profile.name}: {p}" for p in problems))
    notes = [
        f"{name}: {d['n']} images drawn (seed {d['seed']}) from the {d['drawn_from']} of "
        f"{d['base']} in {d['folder']}"
        for name, d in draws.items()
    ]
    profile.results.mkdir(parents=True, exist_ok=True)
    path = profile.results / "datasets.json"
    # A run of some chapters keeps the draws recorded by runs of the others.
    known = json.loads(path.read_text(encoding="utf-8"))["draws"] if path.is_file() else {}
    record = {"draws": {**known, **draws}}
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    if inputs.adversarial:
        try:
            load_dataset("imagenet-a")
        except LicnnError as exc:
            notes.append(
                f"ImageNet-A is not there; {', '.join(inputs.adversarial)} will use the "
                f"ImageNet-A proxy: {exc}"
            )
    return notes


#: The book's files a profile's HTML book needs besides the executed chapters.
PROFILE_BOOK_FILES = ("references.bib", "references.md", "_static")


def write_profile_book(profile: Profile) -> None:
    """A Jupyter Book in the profile's folder: a first page, the chapters run there, the
    references. The report's front page, claims and conclusions are not made: their rules
    and text read the book's results."""
    chapters = [n for n in notebook_names() if (profile.out / f"{n}.ipynb").is_file()]
    for name in PROFILE_BOOK_FILES:
        source, target = BOOK / name, profile.out / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["title"] = f"LICNN, reproduced: profile {profile.name}"
    (profile.out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    toc = {
        "format": "jb-book",
        "root": "index",
        "chapters": [{"file": n} for n in chapters] + [{"file": "references"}],
    }
    (profile.out / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    draws = json.loads((profile.results / "datasets.json").read_text()).get("draws", {})
    lines = [
        f"# LICNN, reproduced: profile `{profile.name}`",
        "",
        f"The chapters below were run by `scripts/build_book.py --profile {profile.name}` with "
        f"the parameters of `book/{profile.params.name}`; each chapter's provenance record "
        "names its model, weights, data and parameters, and its numbers are in `results/`. "
        "The prose was written for the book built from `book/params.yml`, so where it quotes "
        "a number or a finding, the tables and figures of this run are what count. The "
        "report's front page, claims and conclusions are not made for this run.",
    ]
    if draws:
        lines += ["", "Images drawn at random (the lists are in `results/datasets.json`):", ""]
        lines += [
            f"- `{name}`: {d['n']} of the {d['drawn_from']} images of `{d['base']}`, "
            f"seed {d['seed']}"
            for name, d in draws.items()
        ]
    (profile.out / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_profile(profile: Profile, names: list[str], args: argparse.Namespace) -> None:
    """Run ``names`` with a profile other than the book's, into its folder (see the module
    docstring): everything is checked before the first notebook starts."""
    if args.small_only or args.prose or args.no_execute:
        raise PipelineError(
            f"--small-only, --prose and --no-execute are for the book profile, not {profile.name}"
        )
    sources = {name: profile_source(name, profile) for name in names}
    parameters = {
        name: run_parameters(name, source, profile, args.device) for name, source in sources.items()
    }
    for line in preflight(profile, profile_inputs(sources, parameters), args.device):
        print(line, flush=True)
    target = _shown(profile.out)
    for name in names:
        seconds = book_run(name, args.kernel, profile, sources[name], parameters[name])
        print(f"{name}: {profile.name} run {seconds:.1f} s -> {target}/{name}.ipynb", flush=True)
    if not args.no_html:
        write_profile_book(profile)
        start = time.perf_counter()
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        run([str(jupyter_book), "build", "-W", "--keep-going", "--all", str(profile.out)])
        seconds = time.perf_counter() - start
        print(f"html: {seconds:.1f} s -> {target}/_build/html/index.html", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="NN_name or NN (default: every notebook)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel (default: python3)")
    parser.add_argument(
        "--timeout", type=int, default=None, help="seconds per cell (default: none)"
    )
    parser.add_argument("--no-small", action="store_true", help="skip the small default run")
    parser.add_argument(
        "--small-only", action="store_true", help="pair and do the small run only (no book run)"
    )
    parser.add_argument("--no-execute", action="store_true", help="pair only; run nothing")
    parser.add_argument(
        "--prose",
        action="store_true",
        help="pair and copy markdown into the executed copies; run nothing",
    )
    parser.add_argument("--no-html", action="store_true", help="do not build the HTML")
    parser.add_argument(
        "--profile",
        default=BOOK_PROFILE,
        help="parameters book/params-NAME.yml into book-NAME/ (default: book, book/params.yml "
        "into book/); e.g. seed, seed-smoke",
    )
    parser.add_argument("--out", help="folder of a profile's run (default: book-NAME/)")
    parser.add_argument(
        "--device", help="device parameter of every notebook that has one (auto, cpu, cuda)"
    )
    args = parser.parse_args(argv)

    try:
        profile = make_profile(args.profile, args.out)
        names = resolve_names(args.notebooks)
        for name in names:
            book_parameters(name, profile)  # fail on a bad parameters file before running
        if not profile.is_book:
            run_profile(profile, names, args)
            return 0
        for name in names:
            pair(name)
            if args.prose:
                changed = update_prose(name)
                print(f"{name}: prose {'updated' if changed else 'unchanged'}", flush=True)
                continue
            if args.no_execute:
                continue
            if not args.no_small:
                seconds = small_run(name, args.kernel, args.timeout)
                print(f"{name}: small run {seconds:.1f} s", flush=True)
            if args.small_only:
                continue
            source = NOTEBOOKS / f"{name}.ipynb"
            parameters = run_parameters(name, source, profile, args.device)
            seconds = book_run(name, args.kernel, profile, source, parameters)
            print(f"{name}: book run {seconds:.1f} s -> book/{name}.ipynb", flush=True)
        if not (args.small_only or args.no_execute):
            write_headline()
            print("front page and conclusions -> book/", flush=True)
        check_toc()
        if not (args.no_html or args.small_only):
            seconds = build_html(full=not args.notebooks)
            print(f"html: {seconds:.1f} s -> book/_build/html/index.html", flush=True)
    except PipelineError as exc:
        print(f"build_book: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
