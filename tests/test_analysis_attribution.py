"""Attributions: image-shaped, finite maps; saliency equals autograd's; IG completeness."""

import pytest
import torch

from resnet_edu.analysis.attribution import attributions, compare_attributions, last_stage_layer
from resnet_edu.models import build_model


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _net(name: str):
    torch.manual_seed(0)
    return build_model(name, widths=(4, 8, 8))


def test_maps_have_the_image_shape_and_are_finite():
    model, x = _net("resnet8"), torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    model.train()
    maps = attributions(model, x, ig_steps=16)
    for m in (maps.saliency, maps.integrated_gradients, maps.grad_cam):
        assert m.shape == (3, 32, 32) and torch.isfinite(m).all()
    assert (maps.saliency >= 0).all() and (maps.grad_cam >= 0).all()
    assert model.training  # the caller's mode is restored
    with torch.no_grad():
        assert torch.equal(maps.predicted, model.eval()(x).argmax(1))
    assert torch.equal(maps.target, maps.predicted)


def test_saliency_is_the_max_abs_input_gradient():
    model, x = _net("plain8").eval(), torch.randn(2, 3, 32, 32)
    target = torch.tensor([3, 7])
    maps = attributions(model, x, target, ig_steps=4)
    xg = x.clone().requires_grad_()
    model(xg).gather(1, target[:, None]).sum().backward()  # oracle: autograd by hand
    assert torch.allclose(maps.saliency, xg.grad.abs().amax(dim=1), atol=1e-6)


def test_integrated_gradients_are_complete():
    model, x = _net("resnet8").eval(), torch.randn(4, 3, 32, 32)
    maps = attributions(model, x, ig_steps=64)
    with torch.no_grad():
        rows = torch.arange(4)
        gap = model(x)[rows, maps.target] - model(torch.zeros_like(x))[rows, maps.target]  # f(x) − f(x̄)
    total = maps.integrated_gradients.sum(dim=(1, 2))
    # Σ IG = f(x) − f(x̄) up to Captum's convergence delta, which itself must be small.
    assert torch.allclose(total - gap, maps.ig_delta, atol=1e-4)
    assert (maps.ig_delta.abs() <= 1e-2 * gap.abs() + 1e-3).all()


def test_plain_and_residual_side_by_side_explain_the_true_class():
    x, y = torch.randn(2, 3, 32, 32), torch.tensor([1, 2])
    done = []
    out = compare_attributions({"plain8": _net("plain8"), "resnet8": _net("resnet8")}, x, y, explain="true",
                               ig_steps=4, on_progress=lambda d, t: done.append((d, t)))
    assert list(out) == ["plain8", "resnet8"] and done == [(1, 2), (2, 2)]
    assert all(torch.equal(m.target, y) for m in out.values())
    with pytest.raises(ValueError):
        compare_attributions({"p": _net("plain8")}, x, None, explain="true")


@pytest.mark.parametrize("design", ["full_preact", "relu_preact"])
def test_grad_cam_on_a_pre_activation_net_reads_after_the_head_activation(design):
    """The map the classifier pools: after the head's BN-ReLU (v2 §4.1), not the last raw sum."""
    torch.manual_seed(0)
    model, x = build_model("resnet8", widths=(4, 8, 8), design=design).eval(), torch.randn(2, 3, 32, 32)
    layer = last_stage_layer(model)
    assert layer is model.head_relu
    seen = {}
    layer.register_forward_hook(lambda m, i, o: seen.__setitem__("a", o))
    maps = attributions(model, x, ig_steps=4)
    # Oracle: Grad-CAM by hand on that tensor, A (N, C, 8, 8) ≥ 0; α_k = mean of ∂f_c/∂A^k.
    with torch.no_grad():
        model(x)
    a = seen["a"].detach().requires_grad_()
    logits = model.fc(a.mean(dim=(2, 3)))
    logits.gather(1, maps.target[:, None]).sum().backward()
    cam = torch.relu((a.grad.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=(32, 32), mode="bilinear")[:, 0]
    assert (seen["a"] >= 0).all()
    assert torch.allclose(maps.grad_cam, cam.detach(), atol=1e-5)


def test_grad_cam_on_a_v1_net_reads_the_last_unit():
    model = _net("resnet8")
    assert last_stage_layer(model) is model.stage3[-1]
