"""The paper's CIFAR augmentation (v1 §4.2) as pure, batched functions of (images, generator).

No per-image Python loop: a batch of 128 is augmented by a few tensor ops on
whatever device holds it. Randomness comes only from the `generator` argument,
so the same generator state gives the same augmentation, which lets the trainer
show several models exactly the same augmented batches.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _to(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return t.to(like.device, non_blocking=True)


def random_crop(images: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """Pad each side with `padding` zeros, then take a random H×W crop per image (v1 §4.2).

    `images` (N, C, H, W) of any dtype (uint8 included); returns the same shape and
    dtype. Equivalently, a random shift of up to ±padding pixels per image, with
    zeros shifted in. The offsets are drawn on `generator.device` (CPU generator
    with CUDA images works too); the same generator state gives the same crops.
    """
    n, c, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))  # (N, C, H+2p, W+2p), zeros
    # Top-left corner of each crop, 0..2p inclusive.
    top = _to(torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=generator.device), images)
    left = _to(torch.randint(0, 2 * padding + 1, (n,), generator=generator, device=generator.device), images)
    rows = top.view(n, 1, 1, 1) + torch.arange(h, device=images.device).view(1, 1, h, 1)  # (N, 1, H, 1)
    cols = left.view(n, 1, 1, 1) + torch.arange(w, device=images.device).view(1, 1, 1, w)  # (N, 1, 1, W)
    # Two gathers: pick H rows, then W columns, of every image's padded copy.
    picked_rows = padded.gather(2, rows.expand(n, c, h, w + 2 * padding))  # (N, C, H, W+2p)
    return picked_rows.gather(3, cols.expand(n, c, h, w))  # (N, C, H, W)


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability 0.5; (N, C, H, W), dtype kept.

    The coin flips are drawn on `generator.device`; the same generator state gives
    the same flips.
    """
    flip = torch.rand(images.shape[0], generator=generator, device=generator.device) < 0.5  # (N,)
    return torch.where(_to(flip, images).view(-1, 1, 1, 1), images.flip(3), images)


def paper_augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """v1 §4.2 training augmentation: 4-pixel zero pad + random 32×32 crop, then horizontal flip."""
    return random_flip(random_crop(images, generator, padding=4), generator)


def per_channel(values: Sequence[float] | torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """(1, C, 1, 1) float32 on `device`: build mean/std once, before the loop, not in every step."""
    return torch.as_tensor(values, dtype=torch.float32, device=device).view(1, -1, 1, 1)


def normalize(images: torch.Tensor, mean: Sequence[float] | torch.Tensor,
              std: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """float32 (x/255 − mean) / std per channel, for uint8 images (N, C, H, W).

    `mean` and `std` are per channel in 0..1 units, e.g. CIFAR10_MEAN / CIFAR10_STD. In a
    training loop pass `per_channel(...)` tensors already on the images' device: a list
    becomes a new tensor every call, a host->device copy that makes a GPU step wait.
    """
    mean_t, std_t = per_channel(mean, images.device), per_channel(std, images.device)
    return (images.float() / 255 - mean_t) / std_t
