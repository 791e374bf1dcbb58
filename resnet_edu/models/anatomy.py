"""Look inside a net: its units in depth order, parameter and multiply-add counts.

The probes, the lesion study and the app's diagrams all read a model through `list_units`.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn

from .blocks import BasicBlock, Bottleneck
from .variants import ResidualUnit

UNIT_TYPES = (BasicBlock, Bottleneck, ResidualUnit)


@dataclass(frozen=True)
class UnitInfo:
    """One block of a net, in depth order. `module` is the live block."""

    index: int  # 0 = the first block after the stem
    name: str  # dotted module path, e.g. "stage2.0"
    kind: str  # "residual" or "plain"
    block: str  # class name, e.g. "BasicBlock"
    in_channels: int
    out_channels: int
    stride: int
    module: nn.Module


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    """A unit's weight layers in order: its convs outside the shortcut and the gate."""
    return [m for name, m in module.named_modules() if isinstance(m, nn.Conv2d)
            and not name.startswith(("shortcut", "gate"))]


def list_units(model: nn.Module) -> list[UnitInfo]:
    """The residual (or plain) units of a model, in the order the input meets them."""
    units = []
    for name, m in model.named_modules():
        if isinstance(m, UNIT_TYPES):
            convs = _convs(m)
            units.append(UnitInfo(
                index=len(units), name=name,
                kind="plain" if m.shortcut is None else "residual",
                block=type(m).__name__, in_channels=convs[0].in_channels,
                out_channels=convs[-1].out_channels,
                stride=max(c.stride[0] for c in convs), module=m))
    return units


def response_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every weight layer inside the units, as (name, module whose output is its response).

    v1 Fig. 7 reads "the outputs of each 3×3 layer, after BN and before other nonlinearity
    (ReLU/addition)"; bottleneck units contribute their 1×1 layers too.
    """
    out = []
    for unit in list_units(model):
        for i, layer in enumerate(unit.module.response_layers(), start=1):
            out.append((f"{unit.name}.layer{i}", layer))
    return out


def count_params(model: nn.Module) -> int:
    """Trainable parameters (BN's running statistics are buffers, not parameters)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, input_size: tuple[int, ...] = (1, 3, 32, 32)) -> int:
    """Multiply-adds of the conv and FC layers for one forward pass of `input_size`.

    This is what v1 Table 1 calls FLOPs (ResNet-50: 3.8 ×10⁹ at 224×224). BN, ReLU,
    additions and pooling are left out, as the paper leaves them out.
    """
    total = 0

    def on_conv(m: nn.Conv2d, inp, out):
        nonlocal total
        kh, kw = m.kernel_size
        total += out.numel() * (m.in_channels // m.groups) * kh * kw

    def on_linear(m: nn.Linear, inp, out):
        nonlocal total
        total += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(on_conv))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(on_linear))
    _probe_forward(model, input_size, hooks)
    return total // input_size[0]


def unit_output_shapes(model: nn.Module, input_size=(1, 3, 32, 32)) -> dict[str, tuple[int, ...]]:
    """Output shape of every unit for one input, by unit name: the diagram's labels."""
    shapes, hooks = {}, []
    for unit in list_units(model):
        hooks.append(unit.module.register_forward_hook(
            lambda m, i, o, name=unit.name: shapes.__setitem__(name, tuple(o.shape))))
    _probe_forward(model, input_size, hooks)
    return shapes


def _probe_forward(model: nn.Module, input_size: tuple[int, ...], hooks: list) -> None:
    """One eval-mode forward pass of zeros for the given hooks; removes them and restores the mode."""
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            p = next(model.parameters())
            model(torch.zeros(input_size, device=p.device, dtype=p.dtype))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
