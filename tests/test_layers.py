"""The package's shape: which layer may import which, and how long a module may grow.

The layers run core <- models <- methods <- experiments <- report (an arrow points at the
layer that may import the one it comes from). Two rules are checked on the source, with
:mod:`ast`, so that an import inside a function counts as much as one at the top:

- no module of :mod:`licnn.experiments` imports :mod:`licnn.report` (shared helpers such as
  :mod:`licnn.tables` and :mod:`licnn.plotting` sit below both);
- :mod:`licnn.core` imports, of licnn, only itself and :mod:`licnn.errors` when it runs. Two
  of its modules import :class:`licnn.models.LoadedModel` under ``if TYPE_CHECKING:`` for
  their annotations (nothing is imported at run time, so the core still needs no
  torchvision); that exception is listed here by name, so that a new one fails.

And no module of ``src/licnn`` is longer than :data:`MAX_LINES` lines (data files such as
``synsets.tsv`` are not modules).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "licnn"
#: The longest a module may be: past it, split it along a seam (one job per module).
MAX_LINES = 400

#: (core module, licnn module) imported under ``if TYPE_CHECKING:`` only, for annotations.
CORE_TYPE_ONLY = {
    ("attention.py", "licnn.models"),
    ("reference.py", "licnn.models"),
}


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_only: bool = False) -> Iterator[tuple[str, bool]]:
    """(imported module, whether under ``if TYPE_CHECKING:``) for every import in ``tree``.

    ``from licnn import report`` yields ``licnn.report``; relative imports yield their
    dotted tail with leading dots (licnn uses none, and the checks then see no licnn name).
    """
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for node in child.body:
                yield from _imports(ast.Module(body=[node], type_ignores=[]), True)
            for node in child.orelse:
                yield from _imports(ast.Module(body=[node], type_ignores=[]), type_only)
            continue
        if isinstance(child, ast.Import):
            for alias in child.names:
                yield alias.name, type_only
        elif isinstance(child, ast.ImportFrom):
            base = "." * child.level + (child.module or "")
            yield base, type_only
            for alias in child.names:
                yield f"{base}.{alias.name}", type_only
        yield from _imports(child, type_only)


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_import_walker_sees_nested_and_type_only_imports() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from licnn.models import LoadedModel\n"
        "def f():\n    from licnn import report\n    import licnn.report.plots\n"
    )
    found = set(_imports(tree))
    assert ("licnn.models", True) in found
    assert ("licnn.report", False) in found
    assert ("licnn.report.plots", False) in found


@pytest.mark.parametrize(
    "path", _modules(PACKAGE / "experiments"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_experiments_do_not_import_the_report(path: Path) -> None:
    bad = sorted({name for name, _ in _imports(_parse(path)) if _within(name, "licnn.report")})
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_core_imports_only_core_and_errors() -> None:
    runtime: dict[str, set[str]] = {}
    type_only: set[tuple[str, str]] = set()
    for path in _modules(PACKAGE / "core"):
        for name, typing_only in _imports(_parse(path)):
            if not _within(name, "licnn") or name == "licnn":
                continue
            if _within(name, "licnn.core") or _within(name, "licnn.errors"):
                continue
            top = ".".join(name.split(".")[:2])
            if typing_only:
                type_only.add((path.name, top))
            else:
                runtime.setdefault(path.name, set()).add(name)
    assert not runtime, f"licnn.core imports other licnn modules at run time: {runtime}"
    assert type_only == CORE_TYPE_ONLY, (
        f"licnn.core's typing-only imports changed: {sorted(type_only)} "
        f"(listed: {sorted(CORE_TYPE_ONLY)})"
    )


def test_no_module_is_too_long() -> None:
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in _modules(PACKAGE)
    }
    long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them along a seam): {long}"
