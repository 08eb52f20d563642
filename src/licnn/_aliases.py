"""The module names of licnn before the layered layout, as aliases of the new modules.

Until the layered layout, licnn's modules sat at the top level (``licnn.attention``,
``licnn.sanity``, ``licnn.blur_experiment``, ...). These names exist for the report's executed
notebooks (notebooks/*.py, book/*.ipynb), which import them and whose executed copies must not
change, and for external users; they will be removed once the chapters import the new paths.
New code imports the new paths (the right-hand side of :data:`ALIASES`).

No file stands behind an old name: :class:`AliasFinder`, installed on :data:`sys.meta_path` by
``licnn/__init__.py``, answers an import of an old name by importing the new module and
registering the *same module object* under the old name in :data:`sys.modules`, so
``from licnn import sanity`` and monkeypatching through an old name act on the module the code
runs in. It prints no warning (the notebooks' outputs are compared cell by cell).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

#: old module name -> the module that now holds its code (or re-exports its split parts).
ALIASES: dict[str, str] = {
    "licnn.config": "licnn.core.config",
    "licnn.lateral_inhibition": "licnn.core.lateral_inhibition",
    "licnn.gates": "licnn.core.gates",
    "licnn.attention": "licnn.core.attention",
    "licnn.reference": "licnn.core.reference",
    "licnn.baselines": "licnn.methods.baselines",
    "licnn.similarity": "licnn.metrics.similarity",
    "licnn.stats": "licnn.metrics.stats",
    "licnn.images": "licnn.imaging.images",
    "licnn.blur": "licnn.imaging.blur",
    "licnn.sanity": "licnn.experiments.sanity",
    "licnn.localisation": "licnn.experiments.localisation",
    "licnn.ablation": "licnn.experiments.ablation",
    "licnn.evaluate": "licnn.experiments.evaluate",
    "licnn.bench": "licnn.experiments.bench",
    "licnn.background": "licnn.experiments.background",
    "licnn.blur_experiment": "licnn.experiments.blur.protocol",
    "licnn.headline": "licnn.report.headline",
    "licnn.claims": "licnn.report.claims",
    "licnn.plots": "licnn.report.plots",
    "licnn.figures": "licnn.report.figures",
    "licnn.blur_figures": "licnn.report.blur_figures",
}


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the new module itself instead of making a module."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module has run already, under its new name. The import system has just set its
        # __spec__ to the alias's; give it its own back, so that it keeps one identity.
        module.__spec__ = self._spec


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds the old names of :data:`ALIASES` (and nothing else)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        new = ALIASES.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new))


def install() -> None:
    """Put one :class:`AliasFinder` on :data:`sys.meta_path` (again: nothing happens)."""
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(AliasFinder())
