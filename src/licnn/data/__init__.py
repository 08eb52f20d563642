"""The report's datasets: committed manifests, fetch and verify, and loaders.

- :func:`load_dataset` gives a :class:`Dataset` of :class:`Record` (image path, ImageNet
  label, name, wnid, boxes, mask) for ``imagenet-val-1300``, ``imagenet-samples-1000``,
  ``pascal-s``, ``imagenet-val``, ``imagenet-a`` and ``imagenet-a-proxy``.
- :func:`fetch` puts a dataset in the data root from a local mirror or its source;
  :func:`verify` checks it against its manifest.
- :func:`manifest_hash` is the SHA-256 of a dataset's manifest, the provenance reports print.
- :func:`imagenet_a_class_indices` lists the 200 ImageNet-A classes as ImageNet indices.

See :mod:`licnn.data.paths` for where the data root, manifests and mirror are.
"""

from licnn.data.datasets import (
    IMAGE_DATASETS,
    Dataset,
    Record,
    imagenet_a_class_indices,
    iter_images,
    load_dataset,
    parse_boxes,
    wnid_to_index,
)
from licnn.data.fetch import FetchReport, fetch
from licnn.data.manifest import (
    DatasetInfo,
    FileEntry,
    dataset_info,
    dataset_names,
    manifest_hash,
    read_index,
    read_manifest,
    sha256_file,
)
from licnn.data.paths import data_root, manifests_dir, mirror_dir, repo_root
from licnn.data.verify import VerifyReport, is_present, verify

__all__ = [
    "IMAGE_DATASETS",
    "Dataset",
    "DatasetInfo",
    "FetchReport",
    "FileEntry",
    "Record",
    "VerifyReport",
    "data_root",
    "dataset_info",
    "dataset_names",
    "fetch",
    "imagenet_a_class_indices",
    "is_present",
    "iter_images",
    "load_dataset",
    "manifest_hash",
    "manifests_dir",
    "mirror_dir",
    "parse_boxes",
    "read_index",
    "read_manifest",
    "repo_root",
    "sha256_file",
    "verify",
    "wnid_to_index",
]
