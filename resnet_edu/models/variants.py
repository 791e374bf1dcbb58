"""One residual unit for the v2 experiments: unit designs, shortcut variants and span.

- `design`: where BN and ReLU sit around the addition (v2 Fig. 4, Table 2).
- `variant`: what the shortcut does to x (v2 Fig. 2, Table 1).
- `span`: how many weight layers the residual branch skips (v1 §3.2 uses 2 or 3 and notes
  a single layer gives no advantage; the seed notes ask how results depend on it).

With design="original", variant="identity", span=2 this unit computes exactly what
`BasicBlock` computes (a test checks it); `BasicBlock` stays the readable version.
"""

from collections import OrderedDict

import torch
import torch.nn as nn

from .layers import conv1x1, conv3x3, norm
from .shortcuts import ShortcutDropout, make_shortcut

DESIGNS = ("original", "bn_after_add", "relu_before_add", "relu_preact", "full_preact")
VARIANTS = ("identity", "scaling", "exclusive_gate", "shortcut_gate", "conv1x1", "dropout")


def _layer(design: str, conv: nn.Conv2d, channels: int, last: bool, batchnorm: bool,
           skip_preact: bool) -> list[tuple[str, nn.Module]]:
    """One weight layer of a branch, with BN and ReLU where `design` puts them (v2 Fig. 4)."""
    bn, relu = norm(channels if design not in ("full_preact",) else conv.in_channels, batchnorm), nn.ReLU()
    if design == "original":  # (a) conv-BN-ReLU ... conv-BN, ReLU after the addition
        return [("conv", conv), ("bn", bn)] + ([] if last else [("relu", relu)])
    if design == "bn_after_add":  # (b) conv-BN-ReLU ... conv, then BN-ReLU after the addition
        return [("conv", conv)] + ([] if last else [("bn", bn), ("relu", relu)])
    if design == "relu_before_add":  # (c) conv-BN-ReLU ... conv-BN-ReLU, then add
        return [("conv", conv), ("bn", bn), ("relu", relu)]
    if design == "relu_preact":  # (d) ReLU-conv-BN ... then add
        return ([] if skip_preact else [("relu", relu)]) + [("conv", conv), ("bn", bn)]
    # (e) full pre-activation: BN-ReLU-conv ... then add
    return ([] if skip_preact else [("bn", bn), ("relu", relu)]) + [("conv", conv)]


class ResidualUnit(nn.Module):
    """x_{l+1} = f(h(x_l) ⊕ F(x_l)): v1 Eq. (1) and its v2 variations. (N, C_in, H, W) -> (N, C_out, H/s, W/s).

    Args:
        design: one of DESIGNS (v2 Fig. 4).
        shortcut: "A", "B", "C", or None for a plain unit (no shortcut, same branch).
        variant: one of VARIANTS (v2 Table 1). "conv1x1" means a projection on every unit.
        span: weight layers in the branch (basic units only; bottlenecks always span 3).
        bottleneck: 1×1, 3×3, 1×1 branch with a 4× narrower middle (v1 Fig. 5).
        scale: λ for "scaling"; `scale_branch` also scales F by 1-λ (v2 §3.1, both cases). v2
            Table 1 at λ = 0.5: λ on the shortcut and 1-λ on F is the 12.35 % row ("frozen
            gating"); λ on the shortcut only (scale_branch=False) is the row that fails.
        gate_bias: initial b_g of the gate σ(W_g x + b_g). v2 Table 1: exclusive gating fails for
            b_g = 0 to -5, 8.70 % at -6, 9.81 % at -7; shortcut-only gating 12.86 % at 0, 6.91 % at -6.
        dropout: drop ratio on the shortcut for "dropout" (v2 §3.1 uses 0.5).
        dropout_rescale: False (default) is v2 §3.1's dropout, a scale with expectation 1 - p on
            the shortcut; True is PyTorch's inverted dropout (kept elements × 1/(1 - p)).
        skip_preact: the first unit of a pre-activation net reuses the activation right after
            conv1 (v2 §4.1), so its branch starts at the conv.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *,
                 design: str = "original", shortcut: str | None = "A", variant: str = "identity",
                 span: int = 2, bottleneck: bool = False, scale: float = 0.5, scale_branch: bool = True,
                 gate_bias: float = 0.0, dropout: float = 0.5, dropout_rescale: bool = False,
                 batchnorm: bool = True, skip_preact: bool = False):
        super().__init__()
        if design not in DESIGNS:
            raise ValueError(f"unknown unit design {design!r}; allowed: {', '.join(DESIGNS)}")
        if variant not in VARIANTS:
            raise ValueError(f"unknown shortcut variant {variant!r}; allowed: {', '.join(VARIANTS)}")
        if not 1 <= span <= 4:
            raise ValueError(f"span must be 1, 2, 3 or 4 layers, got {span}")
        if shortcut is None and variant != "identity":
            raise ValueError("a plain unit (shortcut=None) has no shortcut to vary")
        self.design, self.variant = design, variant
        self.scale, self.scale_branch = scale, scale_branch

        # The branch F as a list of (kernel, out channels, stride) weight layers.
        if bottleneck:
            mid = out_channels // 4
            # Stride on the first 1×1, as in v2's released pre-activation code (resnet-1k-layers,
            # resnet-pre-act.lua: Convolution(nInputPlane, nBottleneckPlane, 1, 1, stride, stride))
            # and in our v1 Bottleneck.
            plan = [(1, mid, stride), (3, mid, 1), (1, out_channels, 1)]
        else:
            plan = [(3, out_channels, stride)] + [(3, out_channels, 1)] * (span - 1)
        modules, c_in = [], in_channels
        for i, (k, c_out, s) in enumerate(plan, start=1):
            conv = (conv3x3 if k == 3 else conv1x1)(c_in, c_out, s, bias=not batchnorm)
            layer = _layer(design, conv, c_out, last=i == len(plan), batchnorm=batchnorm,
                           skip_preact=skip_preact and i == 1)
            modules += [(f"{name}{i}", m) for name, m in layer]
            c_in = c_out
        self.branch = nn.Sequential(OrderedDict(modules))

        self.gate = None
        if variant in ("exclusive_gate", "shortcut_gate"):
            self.gate = conv1x1(in_channels, out_channels, stride, bias=True)  # g(x) = σ(W_g x + b_g)
            self.gate_bias = gate_bias  # applied by init_gates() after the net's He init
        if variant == "conv1x1":
            shortcut = "C"
        # Pre-activation nets as released (resnet-1k-layers, resnet-pre-act.lua): a projection is a
        # bare 1×1 conv, no BN, and it reads the branch's pre-activated input: "common BN, ReLU" for
        # the branch and the shortcut (v2 appendix: "when pre-activation is used, these projection
        # shortcuts are also with pre-activation"). The released code has design (e) only; (d)
        # follows the same rule here, with its ReLU as the shared pre-activation.
        preact = design in ("relu_preact", "full_preact")
        self.shortcut = make_shortcut(shortcut, in_channels, out_channels, stride, batchnorm,
                                      projection_bn=not preact)
        # The leading activation of a pre-activation branch: ReLU (d) or BN-ReLU (e); none in the
        # first unit, which reads the stem's activation (v2 §4.1).
        self.n_preact = 0 if not preact or skip_preact else (1 if design == "relu_preact" else 2)
        self.shares_preact = self.n_preact > 0 and isinstance(self.shortcut, nn.Conv2d)
        self.drop = None
        if variant == "dropout":
            self.drop = nn.Dropout(dropout) if dropout_rescale else ShortcutDropout(dropout)

        # What happens after the addition (v2 Fig. 4): ReLU, BN then ReLU, or nothing.
        if design == "original":
            self.after_add = nn.ReLU()
        elif design == "bn_after_add":
            self.after_add = nn.Sequential(OrderedDict(bn=norm(out_channels, batchnorm), relu=nn.ReLU()))
        else:
            self.after_add = nn.Identity()

    def init_gates(self) -> None:
        if self.gate is not None:
            nn.init.constant_(self.gate.bias, self.gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.n_preact if self.shares_preact else 0
        if k:  # one pre-activation feeds the branch and the projection (v2 appendix)
            x = self.branch[:k](x)  # (N, C_in, H, W), activated: the projection (and a gate) read it
        f = self.branch[k:](x) if k else self.branch(x)  # F(x_l)
        if self.shortcut is None:  # plain unit
            return self.after_add(f)
        return self.after_add(self._add(x, f))  # x_{l+1} = f(y_l)

    def deleted_forward(self, x: torch.Tensor) -> torch.Tensor:
        """This unit with its branch deleted, F = 0 (a lesion, Veit et al. 2016 §4).

        What is left is the shortcut term of the variant (h, λh, (1 - g) ⊙ h, ...). The ReLU after
        the addition stays only where v1 has one (design "original"): it matters for projections,
        whose output can be negative. Other designs' after-addition layers are left out.
        """
        if self.shortcut is None:
            raise ValueError("a plain unit has no shortcut to keep")
        if self.shares_preact:
            x = self.branch[:self.n_preact](x)
        y = self._add(x, 0.0)
        return torch.relu(y) if self.design == "original" else y

    def _add(self, x: torch.Tensor, f: torch.Tensor | float) -> torch.Tensor:
        """y_l = h(x_l) ⊕ F(x_l), the addition of this unit's shortcut variant (v2 Table 1)."""
        h = self.shortcut(x)  # h(x_l): x_l, or its padded / projected version
        if self.variant == "scaling":  # h = λx; F scaled by 1-λ or not
            y = self.scale * h + ((1 - self.scale) if self.scale_branch else 1.0) * f
        elif self.variant == "exclusive_gate":  # (1 - g) ⊙ x + g ⊙ F, as in Highway Networks
            g = torch.sigmoid(self.gate(x))
            y = (1 - g) * h + g * f
        elif self.variant == "shortcut_gate":  # (1 - g) ⊙ x + F
            g = torch.sigmoid(self.gate(x))
            y = (1 - g) * h + f
        elif self.variant == "dropout":  # dropout(x) + F
            y = self.drop(h) + f
        else:  # "identity" and "conv1x1": h(x) + F(x), v2 Eq. (1)
            y = h + f
        return y

    def response_layers(self) -> list[nn.Module]:
        """Each weight layer's response: its BN when BN follows the conv, else the conv."""
        layers, children = [], list(self.branch.children())
        for i, m in enumerate(children):
            if isinstance(m, nn.Conv2d):
                nxt = children[i + 1] if i + 1 < len(children) else None
                layers.append(nxt if isinstance(nxt, nn.BatchNorm2d) else m)
        return layers
