"""Device selection: auto picks what exists; absent or unknown devices are one clear error."""

from __future__ import annotations

import pytest
import torch

from licnn.device import DeviceError, describe_device, resolve_device


def test_auto_is_cuda_when_available_else_cpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected
    assert resolve_device(" AUTO ").type == expected


def test_cpu_is_always_there() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert describe_device(torch.device("cpu")).startswith("cpu (")


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "", "tpu:0"])
def test_unknown_names_are_refused(name: str) -> None:
    with pytest.raises(DeviceError, match="device"):
        resolve_device(name)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="checks the message on a machine without a GPU"
)
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:1"])
def test_absent_cuda_is_refused_with_advice(name: str) -> None:
    with pytest.raises(DeviceError, match="no usable CUDA GPU; use --device cpu"):
        resolve_device(name)


def test_cuda_index_beyond_the_count_is_refused() -> None:
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    with pytest.raises(DeviceError):
        resolve_device(f"cuda:{count + 1}")
