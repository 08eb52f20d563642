"""The committed book agrees with its sources.

Each ``notebooks/NN_name.py`` (the source people edit) has a paired ``notebooks/NN_name.ipynb``
with the same cells, and an executed copy ``book/NN_name.ipynb`` (made by
``scripts/build_book.py``) whose code is the same apart from papermill's injected parameters:
otherwise the published page shows the output of code that no longer exists. The fixes are
named in the failure messages: ``make notebooks`` (re-pair), ``make section NB=...``
(re-run), ``make prose`` (copy edited markdown).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
NAME = re.compile(r"^\d{2}_[a-z0-9_]+$")

SOURCES = sorted(p for p in NOTEBOOKS.glob("*.py") if NAME.match(p.stem))
NAMES = [p.stem for p in SOURCES]


def toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for key, value in node.items():
                if key != "file":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [Path(e).with_suffix("").as_posix() for e in entries]


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _build_book_module():
    """scripts/build_book.py as a module (registered, as its dataclasses need)."""
    if "build_book" in sys.modules:
        return sys.modules["build_book"]
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_book"] = module
    spec.loader.exec_module(module)
    return module


#: The book's copies show code without harness comments (scripts/build_book.py takes them out).
without_harness = _build_book_module().without_harness


def cells(nb: nbformat.NotebookNode, kind: str) -> list[str]:
    """Sources of the cells of one kind (code less harness comments), without papermill's
    injected cell."""
    return [
        (without_harness(c.source) if kind == "code" else c.source).strip()
        for c in nb.cells
        if c.cell_type == kind and "injected-parameters" not in tags(c)
    ]


def read_source(name: str) -> nbformat.NotebookNode:
    return jupytext.read(NOTEBOOKS / f"{name}.py")


def read_ipynb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def executed_names() -> list[str]:
    return sorted(p.stem for p in BOOK.glob("*.ipynb") if NAME.match(p.stem))


def test_there_are_notebooks() -> None:
    assert SOURCES, "no notebooks/NN_name.py found"


def test_book_config_links() -> None:
    for name in ("_config.yml", "_toc.yml"):
        link = BOOK / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve(), (
            f"book/{name} must be a symbolic link to ../{name}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_one_parameters_cell(name: str) -> None:
    marked = [c for c in read_source(name).cells if "parameters" in tags(c)]
    assert len(marked) == 1, (
        f"notebooks/{name}.py needs exactly one cell tagged parameters "
        f'(`# %% tags=["parameters"]`), found {len(marked)}'
    )
    assert marked[0].cell_type == "code"


@pytest.mark.parametrize("name", NAMES)
def test_paired_notebook_matches_source(name: str) -> None:
    paired = NOTEBOOKS / f"{name}.ipynb"
    assert paired.is_file(), f"{paired.relative_to(ROOT)} is missing: run `make notebooks`"
    source, ipynb = read_source(name), read_ipynb(paired)
    for kind, fix in (("code", "make notebooks"), ("markdown", "make prose")):
        assert cells(ipynb, kind) == cells(source, kind), (
            f"notebooks/{name}.ipynb has other {kind} cells than {name}.py: run `{fix}`"
        )


@pytest.mark.parametrize("name", NAMES)
def test_notebook_in_toc(name: str) -> None:
    assert name in toc_entries(), f"notebooks/{name}.py is not in _toc.yml"


def test_toc_entries_exist() -> None:
    for entry in toc_entries():
        found = [BOOK / f"{entry}{suffix}" for suffix in (".md", ".ipynb")]
        assert any(p.is_file() for p in found), f"_toc.yml lists {entry}; book/ has no such page"
        if NAME.match(entry):
            assert entry in NAMES, f"book/{entry}.ipynb has no source notebooks/{entry}.py"


def test_no_stray_executed_copies() -> None:
    strays = sorted(set(executed_names()) - set(NAMES))
    assert not strays, f"book/ has executed notebooks without a source in notebooks/: {strays}"


@pytest.mark.parametrize("name", NAMES)
def test_executed_copy_is_current(name: str) -> None:
    executed = BOOK / f"{name}.ipynb"
    assert executed.is_file(), f"book/{name}.ipynb is missing: run `make section NB={name}`"
    book = read_ipynb(executed)
    assert cells(book, "code") == cells(read_source(name), "code"), (
        f"book/{name}.ipynb was executed from older code than notebooks/{name}.py: "
        f"run `make section NB={name}`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_executed_copy_prose_is_current(name: str) -> None:
    book = read_ipynb(BOOK / f"{name}.ipynb")
    assert cells(book, "markdown") == cells(read_source(name), "markdown"), (
        f"book/{name}.ipynb has older text than notebooks/{name}.py: run `make prose`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_executed_copy_ran_cleanly(name: str) -> None:
    book = read_ipynb(BOOK / f"{name}.ipynb")
    code = [c for c in book.cells if c.cell_type == "code"]
    injected = [c for c in code if "injected-parameters" in tags(c)]
    assert len(injected) == 1, f"book/{name}.ipynb was not made by papermill (build_book.py)"
    for cell in code:
        if {"parameters", "injected-parameters"} & set(tags(cell)):
            assert "remove-cell" in tags(cell), f"book/{name}.ipynb shows its parameter cells"
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"book/{name}.ipynb has an error output: {errors[0].get('ename')}"
        if cell.source.strip() and "remove-cell" not in tags(cell):
            assert cell.get("execution_count"), f"book/{name}.ipynb has an unexecuted cell"


@pytest.mark.parametrize("name", NAMES)
def test_executed_copy_shows_no_warnings(name: str) -> None:
    # A warning printed into the book is a library's message to its caller (with this
    # machine's paths), not something a reader can act on: the code should not cause it.
    book = read_ipynb(BOOK / f"{name}.ipynb")
    for cell in book.cells:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) if out.get("name") == "stderr" else ""
            assert "Warning" not in text, f"book/{name}.ipynb prints a warning: {text[:200]}"


@pytest.mark.parametrize("name", NAMES)
def test_results_file(name: str) -> None:
    path = BOOK / "results" / f"{name}.json"
    assert path.is_file(), (
        f"book/results/{name}.json is missing: the notebook must call "
        f"save_results({name!r}, ..., results_dir) and run with `make section NB={name}`"
    )
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", (
        f"book/results/{name}.json was not written by licnn.report.save_results"
    )


def parameter_names(name: str) -> set[str]:
    cell = next(c for c in read_source(name).cells if "parameters" in tags(c))
    names = set()
    for node in ast.parse(cell.source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_book_parameters_are_declared() -> None:
    config = yaml.safe_load((BOOK / "params.yml").read_text()) or {}
    assert set(config) <= {"defaults", "notebooks"}
    per_notebook = config.get("notebooks") or {}
    assert set(per_notebook) <= set(NAMES), "book/params.yml names notebooks that do not exist"
    for name in NAMES:
        given = set(config.get("defaults") or {}) | set(per_notebook.get(name) or {})
        missing = given - parameter_names(name)
        assert not missing, (
            f"book/params.yml sets {sorted(missing)} for {name}; its parameters cell lacks them"
        )
        assert "results_dir" in parameter_names(name), (
            f"notebooks/{name}.py: the parameters cell needs `results_dir = None`"
        )


def test_headline_table_is_current() -> None:
    path = BOOK / "headline.md"
    assert path.is_file(), "book/headline.md is missing: run `make prose` to write it"
    assert path.read_text() == _build_book_module().front_pages()["headline.md"], (
        "book/headline.md differs from book/results/*.json: run `make prose` to regenerate it"
    )


def test_intro_includes_headline_table() -> None:
    assert "{include} headline.md" in (BOOK / "intro.md").read_text()


@pytest.mark.parametrize("name", ["claims.md", "conclusions.md"])
def test_generated_page_is_current(name: str) -> None:
    path = BOOK / name
    assert path.is_file(), f"book/{name} is missing: run `make prose` to write it"
    assert path.read_text(encoding="utf-8") == _build_book_module().front_pages()[name], (
        f"book/{name} differs from book/claims.yml, book/conclusions.in.md and "
        "book/results/*.json: run `make prose` to regenerate it"
    )


def test_front_figure_is_current(tmp_path: Path) -> None:
    from licnn.report.headline import write_front_figure

    path = BOOK / "front_figure.svg"
    assert path.is_file(), "book/front_figure.svg is missing: run `make prose` to write it"
    assert write_front_figure(BOOK / "results", tmp_path / "figure.svg")
    assert (tmp_path / "figure.svg").read_bytes() == path.read_bytes(), (
        "book/front_figure.svg differs from book/results/06_blur_experiments.json: "
        "run `make prose` to regenerate it"
    )


def test_front_page_and_toc_carry_the_new_pages() -> None:
    intro = (BOOK / "intro.md").read_text()
    assert "{include} claims.md" in intro and "front_figure.svg" in intro
    assert "conclusions.md" in intro, "the front page must link to the closing chapter"
    entries = toc_entries()
    assert entries.index("conclusions") == entries.index("references") - 1
