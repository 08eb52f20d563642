"""The module names before the layered layout still import, as the very same modules.

tests/data/old_public_names.json holds, per old module name, the public names it exposed on
main before the move, written there by tests/data/record_old_public_names.py (names that do
not start with ``_``, are not modules, and are licnn's own or plain values, e.g. constants).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import licnn  # noqa: F401  (installs the alias finder)
from licnn._aliases import ALIASES

OLD_NAMES: dict[str, list[str]] = json.loads(
    (Path(__file__).parent / "data" / "old_public_names.json").read_text(encoding="utf-8")
)
#: Names an old module no longer has, and why.
DROPPED = {
    # imported for annotations only (so that the core needs no torchvision)
    ("licnn.reference", "LoadedModel"),
}


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_old_name_exposes_its_public_names(old: str) -> None:
    module = importlib.import_module(old)
    missing = [n for n in OLD_NAMES[old] if (old, n) not in DROPPED and not hasattr(module, n)]
    assert not missing, f"{old} lost {missing}"


@pytest.mark.parametrize("old", sorted(ALIASES))
def test_old_name_is_the_new_module(old: str) -> None:
    new = importlib.import_module(ALIASES[old])
    assert importlib.import_module(old) is new
    assert sys.modules[old] is new
    assert new.__name__ == ALIASES[old]
    assert new.__spec__ is not None and new.__spec__.name == ALIASES[old]
    parent, _, child = old.rpartition(".")
    assert getattr(sys.modules[parent], child) is new


def test_every_old_module_is_covered() -> None:
    """Each old name is either an alias or still a module of that name (a package now)."""
    for old in OLD_NAMES:
        assert old in ALIASES or importlib.util.find_spec(old).name == old


def test_monkeypatching_through_an_old_name_reaches_the_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import licnn.stats as old_stats
    from licnn.metrics import stats

    def fake(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(old_stats, "mean_ci", fake)
    assert stats.mean_ci is fake


def test_aliases_print_nothing_in_a_fresh_interpreter() -> None:
    code = (
        "import warnings; warnings.simplefilter('error'); "
        "from licnn import sanity; from licnn.attention import LICNN; "
        "from licnn.localisation import format_table; "
        "from licnn.report import print_provenance, save_results; "
        "import licnn.blur_experiment as bx; "
        "import licnn.experiments.sanity as s; assert sanity is s; "
        "import licnn.core.attention as a; assert LICNN is a.LICNN; "
        "import licnn.experiments.blur.protocol as p; assert bx is p"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def test_an_unknown_old_name_is_still_not_found() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("licnn.no_such_module")
