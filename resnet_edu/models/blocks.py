"""The building blocks of v1: the basic block (Fig. 2) and the bottleneck (Fig. 5, right).

Each is residual when it has a shortcut and plain when `shortcut=None`: the two
nets then differ by one line of `forward` and nothing else.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import conv1x1, conv3x3, norm
from .shortcuts import make_shortcut


class BasicBlock(nn.Module):
    """Two 3×3 conv layers, BN after each (v1 Fig. 2, §4.2). (N, C_in, H, W) -> (N, C_out, H/s, W/s)."""

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 shortcut: str | None = "A", batchnorm: bool = True):
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride, bias=not batchnorm)
        self.bn1 = norm(out_channels, batchnorm)
        self.conv2 = conv3x3(out_channels, out_channels, bias=not batchnorm)
        self.bn2 = norm(out_channels, batchnorm)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride, batchnorm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))  # F(x)
        if self.shortcut is None:  # plain:    y = relu(F(x))
            return F.relu(f)
        return F.relu(f + self.shortcut(x))  # residual: y = relu(F(x) + x), v1 Eq. (1)

    def response_layers(self) -> list[nn.Module]:
        """Where v1 Fig. 7 reads a layer's response: after BN, before ReLU or addition."""
        return [self.bn1, self.bn2]


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3, 1×1 restore, BN after each (v1 Fig. 5 right, Table 1).

    `out_channels` is the restored width (4× the 3×3 width). The stride sits on the first
    1×1 conv, as in the paper's released models; that placement reproduces the
    FLOPs of v1 Table 1 (3.8 ×10⁹ for ResNet-50), where a stride on the 3×3 gives 4.1.
    """

    expansion = 4

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 shortcut: str | None = "B", batchnorm: bool = True):
        super().__init__()
        width = out_channels // self.expansion
        self.conv1 = conv1x1(in_channels, width, stride, bias=not batchnorm)
        self.bn1 = norm(width, batchnorm)
        self.conv2 = conv3x3(width, width, bias=not batchnorm)
        self.bn2 = norm(width, batchnorm)
        self.conv3 = conv1x1(width, out_channels, bias=not batchnorm)
        self.bn3 = norm(out_channels, batchnorm)
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride, batchnorm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = F.relu(self.bn1(self.conv1(x)))  # 1×1 reduce: (N, C/4, H/s, W/s)
        f = F.relu(self.bn2(self.conv2(f)))  # 3×3
        f = self.bn3(self.conv3(f))  # 1×1 restore: (N, C, H/s, W/s) = F(x)
        if self.shortcut is None:
            return F.relu(f)
        return F.relu(f + self.shortcut(x))

    def response_layers(self) -> list[nn.Module]:
        return [self.bn1, self.bn2, self.bn3]
