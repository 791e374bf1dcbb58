"""The dispatcher over datasets: load one by name, with its normalisation statistics.

The top of the data layer: it imports the loaders (cifar10, download, synthetic), which
import only the shared types in split.py.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .cifar10 import CIFAR10_MEAN, CIFAR10_STD, FOLDER, find_batches_dir, read_cifar10
from .download import download_cifar10
from .split import Channels, Split
from .synthetic import SYNTHETIC_MEAN, SYNTHETIC_STD, make_synthetic

DATASETS: tuple[str, ...] = ("cifar10", "synthetic")


def load_cifar10(data_dir: str | os.PathLike[str], download: bool = False) -> tuple[Split, Split]:
    """(train, test) Splits read from `data_dir` (the parent folder or `cifar-10-batches-py` itself).

    With `download=True`, missing files are fetched first (see `download_cifar10`);
    otherwise they raise `DataUnavailable`, whose message says how to get them.
    """
    if download and find_batches_dir(data_dir) is None:
        parent = Path(data_dir).parent if Path(data_dir).name == FOLDER else Path(data_dir)
        download_cifar10(parent)
    return read_cifar10(data_dir)


def load_dataset(name: str, data_dir: str | os.PathLike[str] | None = None,
                 download: bool = False, **kw: object) -> tuple[Split, Split]:
    """(train, test) for `name` in DATASETS; `kw` goes to the dataset's loader.

    "cifar10" reads `data_dir` (see `load_cifar10`); "synthetic" ignores it and
    generates images in memory (see `make_synthetic`).
    """
    if name == "cifar10":
        if data_dir is None:
            raise ValueError("load_dataset('cifar10') needs data_dir, the folder holding cifar-10-batches-py")
        return load_cifar10(data_dir, download=download, **kw)  # type: ignore[arg-type]
    if name == "synthetic":
        # Deterministic in its arguments and ~12k images to render: a server training many
        # runs (the app's job runner) renders each set once, not once per run.
        return _synthetic_cached(tuple(sorted(kw.items())))
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


@functools.lru_cache(maxsize=2)
def _synthetic_cached(kw: tuple) -> tuple[Split, Split]:
    return make_synthetic(**dict(kw))  # type: ignore[arg-type]


def dataset_mean_std(name: str) -> tuple[Channels, Channels]:
    """Per-channel (mean, std) in 0..1 units of a dataset's train split, for `normalize`."""
    if name == "cifar10":
        return CIFAR10_MEAN, CIFAR10_STD
    if name == "synthetic":
        return SYNTHETIC_MEAN, SYNTHETIC_STD
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
