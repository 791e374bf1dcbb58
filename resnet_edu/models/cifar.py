"""The CIFAR-10 nets of v1 §4.2 and v2 §4: a 3×3 stem, three stages, average pool, FC.

    depth = 6n + 2 (basic blocks) or 9n + 2 (bottlenecks)
    stem:   3×3 conv, 16 filters                          (N, 16, 32, 32)
    stage1: n blocks, 16 filters on 32×32 maps            (N, 16·e, 32, 32)
    stage2: n blocks, 32 filters on 16×16, first stride 2 (N, 32·e, 16, 16)
    stage3: n blocks, 64 filters on 8×8, first stride 2   (N, 64·e, 8, 8)
    head:   global average pool, 10-way FC               (N, 10)

e is the expansion: 1 for basic blocks, 4 for bottlenecks.
"""

from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import conv3x3, he_init, norm

# make_unit(in_channels, out_channels, stride, index) -> a block; index counts from 0 in depth order.
UnitFactory = Callable[[int, int, int, int], nn.Module]


class CifarNet(nn.Module):
    """Stem, three stages of n units, head. Takes normalised images (N, 3, 32, 32), returns logits.

    Args:
        make_unit: builds one block (plain or residual, any design) for the given shape.
        n: blocks per stage.
        widths: filters per stage (v1: 16, 32, 64). Narrower nets train faster on a CPU.
        expansion: output width multiplier of a unit (4 for bottlenecks).
        preact_head: v2 §4.1 and appendix: an extra activation after the last addition, because
            pre-activation units leave their output un-activated. "bn_relu" (or True) for full
            pre-activation (e), "relu" for ReLU-only pre-activation (d): each design's own activation.
        zero_init_last: start every residual branch's last BN at γ=0 (off in the papers).
    """

    def __init__(self, make_unit: UnitFactory, n: int, widths: tuple[int, int, int] = (16, 32, 64),
                 num_classes: int = 10, expansion: int = 1, preact_head: bool | str = False,
                 batchnorm: bool = True, zero_init_last: bool = False):
        super().__init__()
        self.conv1 = conv3x3(3, widths[0], bias=not batchnorm)
        self.bn1 = norm(widths[0], batchnorm)

        index, in_channels, stages = 0, widths[0], []
        for stage, width in enumerate(widths):
            strides = [1 if stage == 0 else 2] + [1] * (n - 1)  # first block of stages 2, 3 downsamples
            units = []
            for stride in strides:
                units.append(make_unit(in_channels, width * expansion, stride, index))
                in_channels, index = width * expansion, index + 1
            stages.append(nn.Sequential(*units))
        self.stage1, self.stage2, self.stage3 = stages

        if preact_head not in (False, True, "bn_relu", "relu"):
            raise ValueError(f"preact_head must be False, 'bn_relu' or 'relu', got {preact_head!r}")
        self.head_bn = norm(in_channels, batchnorm) if preact_head in (True, "bn_relu") else None
        # A module, not F.relu, so Grad-CAM can read the map the classifier pools.
        self.head_relu = nn.ReLU() if preact_head else None
        self.fc = nn.Linear(in_channels, num_classes)

        he_init(self)
        for m in self.modules():
            if hasattr(m, "init_gates"):
                m.init_gates()
            if zero_init_last and hasattr(m, "response_layers") and getattr(m, "shortcut", None) is not None:
                last = m.response_layers()[-1]
                if isinstance(last, nn.BatchNorm2d):
                    nn.init.zeros_(last.weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))  # (N, 16, 32, 32)
        x = self.stage1(x)  # (N, 16e, 32, 32)
        x = self.stage2(x)  # (N, 32e, 16, 16)
        x = self.stage3(x)  # (N, 64e, 8, 8)
        if self.head_bn is not None:
            x = self.head_bn(x)
        if self.head_relu is not None:
            x = self.head_relu(x)  # v2 §4.1: the extra activation after the last addition
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.forward_features(x)
        x = x.mean(dim=(2, 3))  # global average pooling: (N, 64e)
        return self.fc(x)  # (N, 10) logits
