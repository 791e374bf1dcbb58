"""Data for the ResNet lab: CIFAR-10 (real) or a procedural stand-in, held as uint8 tensors.

    train, test = load_dataset("cifar10", "data")        # or "synthetic", no files needed
    train, val = train_val_split(train)                  # 45k / 5k, v1 §4.2
    x = normalize(paper_augment(train.images[:128], g), *dataset_mean_std("cifar10"))

Imports flow one way: split (the shared types) <- augment, cifar10, synthetic <- download
<- dataset (the dispatcher).
"""

from .augment import normalize, paper_augment, random_crop, random_flip
from .cifar10 import CIFAR10_MEAN, CIFAR10_STD, find_batches_dir, train_val_split
from .dataset import DATASETS, dataset_mean_std, load_cifar10, load_dataset
from .download import CIFAR10_MD5, CIFAR10_URL, download_cifar10
from .split import DataCorrupt, DataUnavailable, Split
from .synthetic import SYNTHETIC_CLASSES, SYNTHETIC_MEAN, SYNTHETIC_STD, make_synthetic

__all__ = [
    "CIFAR10_MD5", "CIFAR10_MEAN", "CIFAR10_STD", "CIFAR10_URL", "DATASETS", "DataCorrupt",
    "DataUnavailable", "SYNTHETIC_CLASSES", "SYNTHETIC_MEAN", "SYNTHETIC_STD", "Split",
    "dataset_mean_std", "download_cifar10", "find_batches_dir", "load_cifar10", "load_dataset",
    "make_synthetic", "normalize", "paper_augment", "random_crop", "random_flip", "train_val_split",
]
