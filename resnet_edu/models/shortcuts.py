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


class ShortcutDropout(nn.Module):
    """v2 §3.1's dropout on the shortcut: keep each element with probability 1 - p, no rescale.

    v2 reads it as "imposing a scale of λ with an expectation of 0.5 on the shortcut" (p = 0.5),
    which is what fails in Table 1. PyTorch's nn.Dropout rescales the kept elements by 1/(1 - p),
    so its expectation is x itself: a different experiment (variant "dropout" with
    dropout_rescale=True). At test time classic dropout multiplies by the keep rate (Srivastava
    et al. 2014), so the expectation is the same in both modes: E[h'] = (1 - p)·x.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout ratio must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x * (1 - self.p)
        keep = torch.rand_like(x) >= self.p  # (N, C, H, W) bool, True with probability 1 - p
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}, no rescale"


def make_shortcut(option: str | None, in_channels: int, out_channels: int, stride: int,
                  batchnorm: bool = True, projection_bn: bool = True) -> nn.Module | None:
    """The shortcut for one block; None means a plain block (no shortcut at all).

    A: identity, zero padding where the shape changes.  B: projection only where the
    shape changes, identity elsewhere.  C: projection on every block (v1 §3.3, Table 3).
    projection_bn=False: the projection is a bare 1×1 conv, as in v2's released
    pre-activation nets (no BN on the shortcut).
    """
    if option is None:
        return None
    if option not in SHORTCUT_OPTIONS:
        raise ValueError(f"unknown shortcut option {option!r}; allowed: A, B, C (or None for plain)")
    same_shape = in_channels == out_channels and stride == 1
    if option == "C" or (option == "B" and not same_shape):
        if not projection_bn:
            return conv1x1(in_channels, out_channels, stride, bias=not batchnorm)
        return Projection(in_channels, out_channels, stride, batchnorm)
    if same_shape:
        return nn.Identity()
    return ZeroPadShortcut(in_channels, out_channels, stride)
