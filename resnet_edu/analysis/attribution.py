"""Where does a trained net look? Saliency, Integrated Gradients and Grad-CAM, via Captum.

- Saliency (Simonyan et al. 2014): |∂f_c/∂x|, max over colour channels.
- Integrated Gradients (Sundararajan et al. 2017): (x − x̄) · ∫₀¹ ∂f_c(x̄ + α(x − x̄))/∂x dα,
  summed over colour channels; baseline x̄ = 0, the mean image after normalisation.
  Completeness: Σ attributions = f_c(x) − f_c(x̄), up to Captum's convergence delta.
- Grad-CAM (Selvaraju et al. 2017): ReLU(Σ_k α_k A^k) on the map the classifier pools (8×8
  for the CIFAR nets), upsampled bilinearly to 32×32: the last unit's output, or in a
  pre-activation net the output of the extra BN-ReLU after it (v2 §4.1).

f_c is the logit of class c (the predicted class by default). All maps are (N, 32, 32) on the CPU.
"""

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

from ..models import list_units

Progress = Callable[[int, int], None] | None
METHODS = ("saliency", "integrated_gradients", "grad_cam")


@dataclass(frozen=True)
class AttributionMaps:
    """Maps for N images, one (N, 32, 32) tensor per method, and what the net said."""

    saliency: torch.Tensor  # (N, H, W) ≥ 0
    integrated_gradients: torch.Tensor  # (N, H, W) signed, channels summed
    grad_cam: torch.Tensor  # (N, H, W) ≥ 0
    target: torch.Tensor  # (N,) the class each map explains
    predicted: torch.Tensor  # (N,)
    ig_delta: torch.Tensor  # (N,) Captum's convergence delta: Σ IG − (f(x) − f(x̄))


def last_stage_layer(model: nn.Module) -> nn.Module:
    """The layer whose (N, C, 8, 8) output Grad-CAM reads: what the average pool sees.

    A pre-activation net's last unit leaves its sum un-activated and the head's BN-ReLU follows
    (v2 §4.1), so there Grad-CAM reads after that ReLU, not the raw sum.
    """
    head = getattr(model, "head_relu", None)
    if isinstance(head, nn.Module):
        return head
    units = list_units(model)
    if not units:
        raise ValueError("this model has no units: Grad-CAM needs a last stage")
    return units[-1].module


def attributions(model: nn.Module, x: torch.Tensor, target: torch.Tensor | None = None, *,
                 ig_steps: int = 32, device: str | torch.device = "cpu",
                 on_progress: Progress = None) -> AttributionMaps:
    """All three maps for normalised images x (N, 3, 32, 32); the model is used in eval mode.

    Args:
        target: the class to explain per image; None explains the predicted class.
        ig_steps: points of the Gauss-Legendre rule for the IG integral (Captum's default 50).
    """
    was_training = model.training
    model.eval()
    try:
        x = x.to(device).float().detach().requires_grad_()  # Captum differentiates w.r.t. x
        with torch.no_grad():
            predicted = model(x).argmax(dim=1)  # (N,)
        target = predicted if target is None else target.to(device)
        sal = Saliency(model).attribute(x, target=target, abs=True).amax(dim=1)  # (N, 32, 32)
        if on_progress:
            on_progress(1, 3)
        baseline = torch.zeros_like(x)
        ig, delta = IntegratedGradients(model).attribute(
            x, baselines=baseline, target=target, n_steps=ig_steps, internal_batch_size=len(x) * 8,
            return_convergence_delta=True)
        ig = ig.sum(dim=1)  # (N, 32, 32)
        if on_progress:
            on_progress(2, 3)
        cam = LayerGradCam(model, last_stage_layer(model)).attribute(x, target=target, relu_attributions=True)
        cam = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")[:, 0]
        if on_progress:
            on_progress(3, 3)
    finally:
        model.train(was_training)
    cpu = lambda t: t.detach().float().cpu()  # noqa: E731
    return AttributionMaps(cpu(sal), cpu(ig), cpu(cam), target.cpu(), predicted.cpu(), cpu(delta))


def compare_attributions(models: dict[str, nn.Module], x: torch.Tensor, y: torch.Tensor | None = None, *,
                         explain: str = "predicted", ig_steps: int = 32, device: str | torch.device = "cpu",
                         on_progress: Progress = None) -> dict[str, AttributionMaps]:
    """The same images through several nets (e.g. plain-20 and ResNet-20), side by side.

    explain="predicted" explains each net's own prediction; "true" explains the label y.
    """
    if explain not in ("predicted", "true"):
        raise ValueError(f"explain must be 'predicted' or 'true', got {explain!r}")
    if explain == "true" and y is None:
        raise ValueError("explain='true' needs the labels y")
    out = {}
    for k, (name, model) in enumerate(models.items()):
        out[name] = attributions(model, x, y if explain == "true" else None, ig_steps=ig_steps, device=device)
        if on_progress:
            on_progress(k + 1, len(models))
    return out
