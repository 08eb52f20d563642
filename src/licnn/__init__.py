"""LICNN attention and saliency maps, with the experiments of the LICNN reproducibility report.

Start with :func:`licnn.models.load_model` and :class:`licnn.attention.LICNN`; the modules
are imported on demand, so ``import licnn`` alone loads nothing heavy.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("licnn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
