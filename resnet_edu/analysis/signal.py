"""Signal propagation at initialisation (v2 §2–3, Eqs. 4–5).

With identity shortcuts and identity after-addition, x_L = x_l + Σ_{i≥l} F(x_i) (v2 Eq. 4) and

    ∂E/∂x_l = ∂E/∂x_L · (1 + ∂/∂x_l Σ_{i≥l} F(x_i))                          (v2 Eq. 5)

so the gradient reaches every unit through a clean "1" term. Scale each shortcut by λ and
the term becomes ∏ λ_i: the signal on the shortcut path shrinks like λ^L (v2 Eq. 7).

We measure, for one batch at initialisation, per position l = 0..L
(x_0 = stem output = input of unit 0, x_L = output of the last unit):
    forward_norm[l]  = ‖x_l‖          (Frobenius norm over the batch, (N, C, H, W))
    backward_norm[l] = ‖∂E/∂x_l‖      (E = mean cross-entropy of the batch)

BN decides what you see (`bn_mode`), and both views teach something:
- "train": BN normalises with the batch's statistics, as in the first training step. BN
  rescales every branch, so the λ^L shrinkage of the shortcut path is largely *hidden*:
  measured at depth 56 (widths 8-16-32, batch 32), ‖∂E/∂x_0‖/‖∂E/∂x_L‖ is 26 for identity
  and 760 for λ=0.5 scaling. Gradients *grow* towards the input in every BN net at init.
- "eval": BN applies its initial running statistics (mean 0, var 1), i.e. the identity:
  v2's equations as written. Then λ=0.5 scaling makes the gradient vanish (ratio 1.6e-4 at
  depth 56, 2e-8 at 110) while identity shortcuts make the forward signal grow (x_L = x_0 +
  Σ F adds variance every unit).
The clean statement, exact in any BN mode: with every branch at zero (zero_init_last=True),
each same-shape unit passes ‖∂E/∂x‖ back multiplied by exactly λ (identity: by exactly 1),
so the shortcut path carries λ^L of the signal through L units (a test checks it).

A caution for captions (v1 §4.1): plain nets with BN do *not* have vanishing gradients
at init in the usual sense; compare the *profiles*, not a single number.
"""

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models import list_units
from ..models.registry import parse_model_name

Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class SignalProfile:
    """Norms along depth for one net at init; index l = position x_l (see module doc)."""

    entry: str  # e.g. "resnet110:design=full_preact,variant=scaling"
    depth: int
    bn_mode: str  # "train" (batch statistics) or "eval" (running statistics)
    forward_norm: tuple[float, ...]  # ‖x_l‖, l = 0..L
    backward_norm: tuple[float, ...]  # ‖∂E/∂x_l‖, l = 0..L

    @property
    def gradient_ratio(self) -> float:
        """‖∂E/∂x_0‖ / ‖∂E/∂x_L‖: how much of the top gradient reaches the first unit."""
        return self.backward_norm[0] / self.backward_norm[-1]


def measure_signal(model: nn.Module, x: torch.Tensor, y: torch.Tensor, entry: str = "",
                   bn_mode: str = "train", depth: int = 0) -> SignalProfile:
    """One forward and backward pass of (x, y); the model's train/eval mode is restored.

    In "train" mode BN running statistics move by one step (momentum 0.1): pass a fresh model.
    """
    if bn_mode not in ("train", "eval"):
        raise ValueError(f"bn_mode must be 'train' or 'eval', got {bn_mode!r}")
    units = list_units(model)
    if not units:
        raise ValueError("this model has no units to measure")
    xs: list[torch.Tensor] = []

    def keep_input(module, inputs):
        xs.append(inputs[0])  # x_l, the input of unit l

    def keep_output(module, inputs, output):
        xs.append(output)  # x_L

    hooks = [u.module.register_forward_pre_hook(keep_input) for u in units]
    hooks.append(units[-1].module.register_forward_hook(keep_output))
    was_training = model.training
    try:
        model.train(bn_mode == "train")
        logits = model(x)  # (N, classes)
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, xs)  # ∂E/∂x_l for every position, one backward pass
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    norms = torch.stack([t.detach().norm() for t in xs] + [g.norm() for g in grads]).cpu().tolist()
    n = len(xs)
    return SignalProfile(entry, depth, bn_mode, tuple(norms[:n]), tuple(norms[n:]))


def init_batch(n: int = 64, num_classes: int = 10, seed: int = 0,
               device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """A standard-normal batch (n, 3, 32, 32), like normalised images, and random labels."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, num_classes, (n,), generator=g)
    return x.to(device), y.to(device)


def signal_at_init(entry: str, *, widths: tuple[int, int, int] = (8, 16, 32), batch: int = 32, seed: int = 0,
                   bn_mode: str = "train", device: str | torch.device = "cpu") -> SignalProfile:
    """Build `entry` (e.g. "resnet110:variant=scaling") with seed `seed` and measure it at init."""
    from ..training.config import model_spec
    spec = model_spec(entry, widths)
    torch.manual_seed(seed)
    model = spec.build().to(device)
    x, y = init_batch(batch, spec.num_classes, seed, device)
    return measure_signal(model, x, y, entry, bn_mode, spec.depth)


def sweep_entries(depths: Sequence[int] = (20, 56, 110), designs: Sequence[str] = ("original",),
                  variants: Sequence[str] = ("identity",), plain: bool = True) -> list[str]:
    """Model entries for a sweep: every depth × design × variant, plus plain nets for contrast.

    Variants other than identity use the original design (v2 Table 1 does). A gate bias other
    than 0 is the caller's entry to write ("resnet110:variant=shortcut_gate,gate_bias=-6").
    """
    entries = []
    for d in depths:
        if plain:
            entries.append(f"plain{d}")
        for design in designs:
            entries.append(f"resnet{d}" if design == "original" else f"resnet{d}:design={design}")
        for variant in variants:
            if variant != "identity":
                entries.append(f"resnet{d}:variant={variant}")
    for e in entries:
        parse_model_name(e.split(":")[0])  # fail early on a bad depth
    return list(dict.fromkeys(entries))


def signal_sweep(entries: Sequence[str], *, widths: tuple[int, int, int] = (8, 16, 32), batch: int = 32,
                 seed: int = 0, bn_mode: str = "train", device: str | torch.device = "cpu",
                 on_progress: Progress = None) -> list[SignalProfile]:
    """`signal_at_init` for each entry, in order, all on the same batch and seed."""
    out = []
    for k, entry in enumerate(entries):
        out.append(signal_at_init(entry, widths=widths, batch=batch, seed=seed, bn_mode=bn_mode, device=device))
        if on_progress:
            on_progress(k + 1, len(entries))
    return out
