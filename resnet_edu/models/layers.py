"""Named primitives: the conv and norm layers every net here is built from."""

import torch.nn as nn


def conv3x3(in_channels: int, out_channels: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """3×3 convolution with padding 1; no bias because BN follows (v1 §3.4)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=bias)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """1×1 convolution: projection shortcuts (v1 Eq. 2) and bottleneck layers (v1 Fig. 5)."""
    return nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=bias)


def norm(channels: int, enabled: bool = True) -> nn.Module:
    """BatchNorm after every conv (v1 §3.4), or an identity for the 'no BN' experiments."""
    return nn.BatchNorm2d(channels) if enabled else nn.Identity()


def he_init(model: nn.Module) -> None:
    """He et al. 2015 ('Delving deep into rectifiers') init, as v1 §3.4 prescribes.

    Conv weights ~ N(0, 2 / (k·k·C_in)); BN starts as the identity (γ=1, β=0).
    Conv biases (only present when BN is switched off) start at 0. Gate convs set
    their own bias afterwards (v2 §3.1), so this must run before that.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
