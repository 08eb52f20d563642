"""Errors with one-line messages that say what is wrong and what to do.

The CLI prints ``licnn: error: <message>`` for any :class:`LicnnError` and exits with
status 2, so every message must make sense on its own, on one line.
"""

from __future__ import annotations


class LicnnError(Exception):
    """Base class for the errors a user can fix (bad input, missing files)."""


class ImageError(LicnnError):
    """A file could not be used as an image (not an image, truncated, too small, ...)."""


class DataError(LicnnError):
    """A dataset is missing, incomplete or fails its checksums."""


class WeightsError(LicnnError):
    """Model weights are missing or do not match their checksum."""


class ModelError(LicnnError):
    """An unknown model name, or a model LICNN cannot gate."""


class InputError(LicnnError, ValueError):
    """Inputs a method cannot explain: wrong shape, NaN or infinite values, bad targets."""


class ConfigError(LicnnError, ValueError):
    """LICNN parameters out of their domain (e.g. ``a`` NaN, ``k`` even or not positive)."""
