"""Which torch device to run on: ``"auto"`` (CUDA when there is one, else the CPU) or a name.

Every entry point (the command line, the notebooks, the experiment runners) resolves its
``device`` argument here, so a device that is requested but absent is one clear error, raised
before any model is loaded or any image is read.
"""

from __future__ import annotations

import torch

from licnn.errors import LicnnError

AUTO = "auto"


class DeviceError(LicnnError):
    """A requested device does not exist on this machine, or its name is not a device."""


def resolve_device(device: str | torch.device | None = AUTO) -> torch.device:
    """The :class:`torch.device` for ``device``; ``None`` and ``"auto"`` pick CUDA when present.

    Raises :class:`DeviceError` for a name torch does not know (``"gpu"``) and for a device
    this machine lacks (``"cuda"`` without a GPU, ``"cuda:3"`` with two GPUs, ``"mps"`` off
    Apple silicon), with what to use instead.
    """
    if device is None or (isinstance(device, str) and device.strip().lower() == AUTO):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceError(
                f"device {device!r} requested but this machine has no usable CUDA GPU; "
                "use --device cpu (or auto)"
            )
        index = resolved.index if resolved.index is not None else 0
        if index >= count:
            raise DeviceError(
                f"device {device!r} requested but this machine has {count} CUDA GPU(s) "
                f"(cuda:0..cuda:{count - 1})"
            )
        return resolved
    if resolved.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise DeviceError(f"device {device!r} requested but MPS is not available here; use cpu")
        return resolved
    raise DeviceError(f"device type {resolved.type!r} is not supported; use auto, cpu or cuda")


def describe_device(device: torch.device) -> str:
    """A line naming the device for provenance: ``"cpu (2 threads)"`` or the GPU's name."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)


#: Images per batch when the user gives none: what fits and keeps the device busy without
#: tuning. A CPU gains little beyond a few images per batch; a GPU needs many in flight.
DEFAULT_BATCH_SIZES = {
    "saliency": {"cpu": 8, "cuda": 32},
    "evaluate": {"cpu": 32, "cuda": 128},
}


def default_batch_size(device: torch.device, task: str) -> int:
    """The batch size for ``task`` (``"saliency"`` or ``"evaluate"``) on ``device``."""
    sizes = DEFAULT_BATCH_SIZES[task]
    return sizes.get(device.type, sizes["cpu"])


def loader_settings(device: torch.device, workers: int | None = None) -> dict[str, object]:
    """DataLoader keyword arguments that keep ``device`` fed with decoded images.

    On CUDA: worker processes decode the next batches while the GPU computes (``workers``,
    default up to 4 of the CPU cores) and pinned memory makes the copies asynchronous. On the
    CPU the decoding would compete with the computation for the same cores, so the default is
    no workers there.
    """
    import os

    if workers is None:
        workers = min(4, os.cpu_count() or 1) if device.type == "cuda" else 0
    return {"num_workers": workers, "pin_memory": device.type == "cuda"}
