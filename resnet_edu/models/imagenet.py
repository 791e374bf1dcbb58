"""The ImageNet nets of v1 Table 1: ResNet-18/34 (basic blocks) and 50/101/152 (bottlenecks).

    conv1:   7×7, 64, stride 2, then 3×3 max pool stride 2   (N, 64, 56, 56) for 224×224 input
    conv2_x: 64-wide stage                                     (N, 64e, 56, 56)
    conv3_x: 128-wide, first block stride 2                    (N, 128e, 28, 28)
    conv4_x: 256-wide, first block stride 2                    (N, 256e, 14, 14)
    conv5_x: 512-wide, first block stride 2                    (N, 512e, 7, 7)
    head:    global average pool, 1000-way FC                  (N, 1000)
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import BasicBlock, Bottleneck
from .layers import he_init

# Blocks per stage, v1 Table 1.
IMAGENET_LAYERS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


class ImageNetNet(nn.Module):
    """A v1 Table 1 net. `shortcut=None` gives the plain baseline of v1 Fig. 3 (middle)."""

    def __init__(self, depth: int, shortcut: str | None = "B", num_classes: int = 1000,
                 zero_init_last: bool = False):
        super().__init__()
        if depth not in IMAGENET_LAYERS:
            raise ValueError(f"ImageNet depth must be one of {sorted(IMAGENET_LAYERS)}, got {depth}")
        block = BasicBlock if depth < 50 else Bottleneck
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)

        in_channels, stages = 64, []
        for stage, (blocks, width) in enumerate(zip(IMAGENET_LAYERS[depth], (64, 128, 256, 512))):
            strides = [1 if stage == 0 else 2] + [1] * (blocks - 1)
            units = []
            for stride in strides:
                units.append(block(in_channels, width * block.expansion, stride, shortcut=shortcut))
                in_channels = width * block.expansion
            stages.append(nn.Sequential(*units))
        self.stage1, self.stage2, self.stage3, self.stage4 = stages
        self.fc = nn.Linear(in_channels, num_classes)

        he_init(self)
        if zero_init_last:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)) and m.shortcut is not None:
                    nn.init.zeros_(m.response_layers()[-1].weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))  # (N, 64, 112, 112)
        x = F.max_pool2d(x, 3, stride=2, padding=1)  # (N, 64, 56, 56)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        return self.stage4(x)  # (N, 512e, 7, 7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x).mean(dim=(2, 3)))
