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
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
#: papermill writes here first; a run that fails leaves its notebook here for inspection.
SCRATCH = BOOK / "_build" / "papermill"
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


def book_parameters(name: str) -> dict[str, Any]:
    """The parameters ``book/params.yml`` gives notebook ``name`` (defaults merged in)."""
    config = yaml.safe_load(PARAMS.read_text()) or {}
    unknown = set(config) - {"defaults", "notebooks"}
    if unknown:
        raise PipelineError(f"{PARAMS.name}: unknown top-level keys {sorted(unknown)}")
    per_notebook = config.get("notebooks") or {}
    strays = sorted(set(per_notebook) - set(notebook_names()))
    if strays:
        raise PipelineError(f"{PARAMS.name} has entries for missing notebooks: {strays}")
    params = dict(config.get("defaults") or {})
    params.update(per_notebook.get(name) or {})
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


def book_run(name: str, kernel: str) -> float:
    """papermill ``notebooks/name.ipynb`` -> ``book/name.ipynb`` with book-scale parameters."""
    import papermill

    source = NOTEBOOKS / f"{name}.ipynb"
    scratch = SCRATCH / f"{name}.ipynb"
    target = BOOK / f"{name}.ipynb"
    parameters = book_parameters(name)
    undeclared = sorted(set(parameters) - declared_parameters(source))
    if undeclared:
        raise PipelineError(
            f"{PARAMS.name} sets {undeclared} for {name}, "
            "but its `parameters` cell does not define them"
        )
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
            f"{name}: the book run failed; book/{name}.ipynb is unchanged, "
            f"the failed run is in {scratch.relative_to(ROOT)}\n{exc}"
        ) from None
    nb = nbformat.read(scratch, as_version=4)
    tidy_executed(nb, parameters)
    nbformat.write(nb, target)
    return time.perf_counter() - start


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
    args = parser.parse_args(argv)

    try:
        names = resolve_names(args.notebooks)
        for name in names:
            book_parameters(name)  # fail on a bad params.yml before running anything
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
            seconds = book_run(name, args.kernel)
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
