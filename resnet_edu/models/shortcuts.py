"""Shortcut connections of v1 §3.3: option A (zero-padded identity), B and C (projections)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import conv1x1, norm

SHORTCUT_OPTIONS = ("A", "B", "C")


class ZeroPadShortcut(nn.Module):
    """Option A: identity with stride-s subsampling and zero-padded extra channels.

    No parameters, so a residual net has exactly the plain net's parameters (v1 §3.3).
    (N, C_in, H, W) -> (N, C_out, H/s, W/s). The zeros go half before and half after the
    existing channels, as in the widely used reference port of the CIFAR nets, so its
    checkpoints map onto ours with the identity landing on the same channels.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError("option A can only add channels, not remove them")
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # subsample: (N, C_in, H/s, W/s)
        extra = self.out_channels - self.in_channels
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))  # (N, C_out, H/s, W/s)

    def extra_repr(self) -> str:
        return f"{self.in_channels}->{self.out_channels}, stride={self.stride}"


class Projection(nn.Sequential):
    """Options B and C: W_s x as a strided 1×1 conv followed by BN (v1 Eq. 2)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, batchnorm: bool = True):
        super().__init__()
        self.conv = conv1x1(in_channels, out_channels, stride, bias=not batchnorm)
        self.bn = norm(out_channels, batchnorm)


def make_shortcut(option: str | None, in_channels: int, out_channels: int, stride: int,
                  batchnorm: bool = True) -> nn.Module | None:
    """The shortcut for one block; None means a plain block (no shortcut at all).

    A: identity, zero padding where the shape changes.  B: projection only where the
    shape changes, identity elsewhere.  C: projection on every block (v1 §3.3, Table 3).
    """
    if option is None:
        return None
    if option not in SHORTCUT_OPTIONS:
        raise ValueError(f"unknown shortcut option {option!r}; allowed: A, B, C (or None for plain)")
    same_shape = in_channels == out_channels and stride == 1
    if option == "C" or (option == "B" and not same_shape):
        return Projection(in_channels, out_channels, stride, batchnorm)
    if same_shape:
        return nn.Identity()
    return ZeroPadShortcut(in_channels, out_channels, stride)
