"""CIFAR-10 from its original python folder (`cifar-10-batches-py`, the same one torchvision uses).

Each batch file is a protocol-2 pickle of a dict with bytes keys:
`b"data"` a uint8 array (N, 3072) whose rows are channel-major (1024 R, 1024 G,
1024 B, each row-major 32×32) and `b"labels"` a list of N ints in 0..9.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import torch

from .split import Channels, DataCorrupt, DataUnavailable, Split

FOLDER = "cifar-10-batches-py"
TRAIN_FILES: tuple[str, ...] = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
META_FILE = "batches.meta"
ALL_FILES: tuple[str, ...] = (*TRAIN_FILES, TEST_FILE, META_FILE)

# Per-channel statistics of the 50,000 training images, in 0..1 units.
# (The often-copied std (0.2023, 0.1994, 0.2010) is a per-image average, not the dataset's std.)
CIFAR10_MEAN: Channels = (0.4914, 0.4822, 0.4465)
CIFAR10_STD: Channels = (0.2470, 0.2435, 0.2616)


def find_batches_dir(data_dir: str | os.PathLike[str]) -> Path | None:
    """The folder holding all CIFAR-10 files: `data_dir/cifar-10-batches-py` or `data_dir` itself."""
    data_dir = Path(data_dir)
    for folder in (data_dir / FOLDER, data_dir):
        if all((folder / f).is_file() for f in ALL_FILES):
            return folder
    return None


def read_cifar10(data_dir: str | os.PathLike[str]) -> tuple[Split, Split]:
    """(train, test) Splits read from `data_dir` (the parent folder or `cifar-10-batches-py` itself).

    Missing files raise `DataUnavailable`, whose message says how to get them;
    `load_cifar10(..., download=True)` in dataset.py fetches them first.
    """
    folder = find_batches_dir(data_dir)
    if folder is None:
        expected = Path(data_dir) / FOLDER
        missing = [f for f in ALL_FILES if not (expected / f).is_file()]
        what = f"no {FOLDER} folder" if not expected.is_dir() else f"{FOLDER} lacks {', '.join(missing)}"
        raise DataUnavailable(f"CIFAR-10 not found in {data_dir} ({what}).", data_dir)

    classes = _read_class_names(folder / META_FILE)
    parts = [_read_batch(folder / f, len(classes)) for f in TRAIN_FILES]
    train_images = torch.cat([images for images, _ in parts])
    train_labels = torch.cat([labels for _, labels in parts])
    test_images, test_labels = _read_batch(folder / TEST_FILE, len(classes))

    def split(images: torch.Tensor, labels: torch.Tensor) -> Split:
        return Split(images, labels, classes, name="cifar10", synthetic=False)

    return split(train_images, train_labels), split(test_images, test_labels)


def train_val_split(train: Split, val_size: int = 5000, seed: int = 0) -> tuple[Split, Split]:
    """(train, val): a random, seeded hold-out of `val_size` images, the paper's 45k/5k split (v1 §4.2).

    The same `seed` always gives the same split; both parts keep the original order.
    """
    if not 0 < val_size < len(train):
        raise ValueError(f"val_size must be in 1..{len(train) - 1}, got {val_size}")
    # A CPU generator: the permutation must not depend on where the split lives.
    perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = perm[:val_size].sort().values, perm[val_size:].sort().values

    def take(idx: torch.Tensor) -> Split:
        idx = idx.to(train.images.device)
        return Split(train.images[idx], train.labels[idx], train.classes, train.name, train.synthetic)

    return take(train_idx), take(val_idx)


# Only what a numpy array pickle needs: a batch file is data, never code.
# (_codecs.encode rebuilds bytes in files re-pickled by Python 3 at protocol 2.)
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name}")
        if module == "numpy.core.multiarray" and hasattr(np, "_core"):
            module = "numpy._core.multiarray"  # numpy >= 2 moved it; avoids a DeprecationWarning
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            obj = _SafeUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            ImportError, IndexError, KeyError, MemoryError) as err:
        raise DataCorrupt(f"{path} is corrupt: cannot unpickle it ({type(err).__name__}: {err}). "
                          f"Delete {path.parent} and fetch CIFAR-10 again.", path.parent.parent) from err
    if not isinstance(obj, dict):
        raise _corrupt(path, f"expected a dict, got {type(obj).__name__}")
    return obj


def _corrupt(path: Path, what: str) -> DataCorrupt:
    return DataCorrupt(f"{path} is corrupt: {what}. Delete {path.parent} and fetch CIFAR-10 again.",
                       path.parent.parent)


def _read_class_names(path: Path) -> tuple[str, ...]:
    # Only b"label_names" is used; b"num_cases_per_batch" is not trusted (we count rows).
    names = _unpickle(path).get(b"label_names")
    if not isinstance(names, list) or len(names) != 10 or not all(isinstance(n, bytes) for n in names):
        raise _corrupt(path, "b'label_names' is not a list of 10 names")
    return tuple(n.decode("ascii") for n in names)


def _read_batch(path: Path, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(images (N, 3, 32, 32) uint8, labels (N,) int64) from one batch file."""
    batch = _unpickle(path)
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == 3 * 32 * 32):
        shape = getattr(data, "shape", None)
        raise _corrupt(path, f"b'data' should be a uint8 array (N, 3072), got {type(data).__name__} {shape}")
    n = data.shape[0]
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as err:
        raise _corrupt(path, f"b'labels' are not integers ({err})") from err
    if labels.shape != (n,):
        raise _corrupt(path, f"{n} images but b'labels' has shape {labels.shape}")
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise _corrupt(path, f"labels outside 0..{num_classes - 1}")
    # Rows are channel-major, so a plain reshape gives (N, C, H, W).
    images = torch.from_numpy(np.ascontiguousarray(data).reshape(n, 3, 32, 32))
    return images, torch.from_numpy(labels)
