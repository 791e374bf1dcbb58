"""The shared types of the data layer: a Split of images held as tensors, and the errors.

A split lives on the device as uint8 images (like airbench): 50,000 CIFAR images
are 150 MiB as uint8, 600 MiB as float32, so we normalise per batch instead.
Every other data module imports from here; this module imports none of them.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import torch

Channels = tuple[float, float, float]


class DataUnavailable(Exception):
    """The data is not on disk (or could not be fetched); the message says how to get it."""

    def __init__(self, reason: str, data_dir: str | os.PathLike[str] | None = None) -> None:
        where = str(data_dir) if data_dir is not None else "DIR"
        self.reason = reason
        self.data_dir = Path(data_dir) if data_dir is not None else None
        super().__init__(
            f"{reason}\n"
            f"To fix: run `python -m resnet_edu download --data-dir {where}`, or copy an existing "
            f"`cifar-10-batches-py` folder (e.g. torchvision's) into {where}, "
            f"or use the synthetic dataset `--dataset synthetic`."
        )


class DataCorrupt(DataUnavailable):
    """A data file exists but cannot be trusted (bad pickle, wrong shape, failed MD5)."""


@dataclass(frozen=True, eq=False)  # eq=False: tensors do not compare to a single bool
class Split:
    """A labelled set of 32×32 colour images, e.g. CIFAR-10's train or test split."""

    images: torch.Tensor  # (N, 3, 32, 32) uint8, 0..255
    labels: torch.Tensor  # (N,) int64, index into `classes`
    classes: tuple[str, ...]  # class names, e.g. ("airplane", ..., "truck")
    name: str  # "cifar10" or "synthetic"
    synthetic: bool  # True when the images are procedural, not photographs

    def __post_init__(self) -> None:
        # Only shape/dtype checks here: they cost nothing and never sync a GPU.
        images, labels = self.images, self.labels
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1:] != (3, 32, 32):
            raise ValueError(f"images must be uint8 (N, 3, 32, 32), got {images.dtype} {tuple(images.shape)}")
        if labels.dtype != torch.int64 or labels.shape != (images.shape[0],):
            raise ValueError(f"labels must be int64 ({images.shape[0]},), "
                             f"got {labels.dtype} {tuple(labels.shape)}")

    def __len__(self) -> int:
        return self.images.shape[0]

    def __repr__(self) -> str:
        kind = "synthetic" if self.synthetic else "real"
        return (f"Split(name={self.name!r}, n={len(self)}, classes={len(self.classes)}, {kind}, "
                f"images={self.images.dtype} {tuple(self.images.shape)} on {self.images.device})")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def to(self, device: torch.device | str) -> Split:
        """The same split with its tensors on `device` (no copy when already there)."""
        return dataclasses.replace(self, images=self.images.to(device), labels=self.labels.to(device))

    def subset(self, n: int) -> Split:
        """A class-balanced, deterministic subset of `n` images, kept in their original order.

        Takes the first image of every class, then the second of every class, and so
        on, so each class gets n // num_classes images (±1) while it has enough. No
        randomness: the same split gives the same subset. Like slicing, `n` larger
        than the split returns the whole split.
        """
        if n < 0:
            raise ValueError(f"subset size must be >= 0, got {n}")
        if n >= len(self):
            return self
        labels = self.labels.cpu()
        # rank[i] = how many earlier images share image i's class (0 for the first one).
        order = torch.argsort(labels, stable=True)
        counts = torch.bincount(labels, minlength=self.num_classes)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.empty_like(labels)
        rank[order] = torch.arange(len(labels)) - starts[labels[order]]
        # Round-robin over classes: all rank-0 images first, then rank-1, ...
        key = rank * self.num_classes + labels
        chosen = torch.argsort(key, stable=True)[:n].sort().values
        chosen = chosen.to(self.images.device)
        return dataclasses.replace(self, images=self.images[chosen], labels=self.labels[chosen])
