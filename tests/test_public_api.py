"""The public surface: ``from licnn import ...`` works, lazily, and the core needs no torchvision."""

from __future__ import annotations

import subprocess
import sys

import pytest

import licnn


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_core_imports_without_torchvision_or_matplotlib() -> None:
    result = _run(
        "import sys; from licnn import LICNN, LICNNConfig; "
        "assert 'torchvision' not in sys.modules, 'torchvision'; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib'; "
        "from licnn import load_model, wrap_model, make_method, quantus_explain"
    )
    assert result.returncode == 0, result.stderr


def test_core_modules_need_no_torchvision_or_matplotlib() -> None:
    """Every module of licnn.core (the layer the rest builds on) runs on torch alone."""
    result = _run(
        "import sys, importlib; "
        "[importlib.import_module('licnn.core.' + m) for m in "
        "('config', 'lateral_inhibition', 'gates', 'checks', 'attention', 'reference')]; "
        "assert 'torchvision' not in sys.modules, 'torchvision'; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib'"
    )
    assert result.returncode == 0, result.stderr


def test_import_licnn_alone_loads_no_torch() -> None:
    result = _run("import sys, licnn; assert 'torch' not in sys.modules")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", licnn.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(licnn, name) is not None
    assert name in dir(licnn)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        licnn.nonexistent  # noqa: B018
