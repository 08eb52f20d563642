"""Write old_public_names.json: the public names of each licnn module before the layered layout.

Run on main before the move (``python tests/data/record_old_public_names.py >
tests/data/old_public_names.json``). A public name does not start with ``_``, is not a module,
and is licnn's own or a plain value (a constant): names imported from numpy, torch or the
standard library are left out.
"""

import importlib
import json
import sys
import types

OLD = [
    "config", "lateral_inhibition", "gates", "attention", "reference", "models", "baselines",
    "metrics", "similarity", "stats", "images", "blur", "sanity", "localisation", "ablation",
    "evaluate", "bench", "background", "blur_experiment", "report", "headline", "claims",
    "plots", "figures", "blur_figures",
]  # fmt: skip


def public(module: types.ModuleType) -> list[str]:
    """The public names of ``module`` (see the module docstring)."""
    out = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            continue
        owner = getattr(value, "__module__", None)
        if isinstance(owner, str) and not owner.startswith("licnn"):
            continue
        out.append(name)
    return out


if __name__ == "__main__":
    names = {f"licnn.{n}": public(importlib.import_module(f"licnn.{n}")) for n in OLD}
    json.dump(names, sys.stdout, indent=1, sort_keys=True)
    print()
