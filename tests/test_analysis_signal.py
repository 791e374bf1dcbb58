"""Signal propagation at init: norms equal a hand-written forward/backward; scaling shrinks by λ^L."""

import pytest
import torch
import torch.nn.functional as F

from resnet_edu.analysis.signal import init_batch, measure_signal, signal_at_init, signal_sweep, sweep_entries
from resnet_edu.training.config import model_spec


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def test_norms_equal_a_hand_computation():
    torch.manual_seed(0)
    model = model_spec("resnet8", (2, 4, 4)).build()
    x, y = init_batch(4, seed=3)
    profile = measure_signal(model, x, y, "resnet8")
    # Oracle: run the stages by hand, keep every x_l, and let autograd's retain_grad read ∂E/∂x_l.
    torch.manual_seed(0)
    twin = model_spec("resnet8", (2, 4, 4)).build().train()
    xs = [F.relu(twin.bn1(twin.conv1(x)))]
    for unit in (twin.stage1[0], twin.stage2[0], twin.stage3[0]):
        xs.append(unit(xs[-1]))
    for t in xs:
        t.retain_grad()
    F.cross_entropy(twin.fc(xs[-1].mean(dim=(2, 3))), y).backward()
    assert profile.forward_norm == pytest.approx([t.norm().item() for t in xs], rel=1e-5)
    assert profile.backward_norm == pytest.approx([t.grad.norm().item() for t in xs], rel=1e-5)
    assert profile.bn_mode == "train" and len(profile.forward_norm) == 4


def test_scaling_multiplies_the_shortcut_gradient_by_lambda_per_unit():
    # With every branch at zero (last BN γ=0), a same-shape unit computes x_{l+1} = relu(λ x_l),
    # and x_l ≥ 0 already: forward ×λ exactly, backward ×λ exactly (identity: ×1), v2 Eq. 7.
    ident = signal_at_init("resnet20:zero_init_last=true", widths=(4, 4, 4), batch=8)
    scaled = signal_at_init("resnet20:zero_init_last=true,variant=scaling,scale=0.5", widths=(4, 4, 4), batch=8)
    # Units that neither subsample nor pad (units 3 and 6 do). Not the last one, 8: the head's
    # gradient at x_L is dense, and the ReLU mask of unit 8 then zeroes part of it.
    same_shape = [0, 1, 2, 4, 5, 7]
    for l in same_shape:
        assert ident.backward_norm[l] == pytest.approx(ident.backward_norm[l + 1], rel=1e-5)
        assert scaled.backward_norm[l] == pytest.approx(0.5 * scaled.backward_norm[l + 1], rel=1e-5)
        assert scaled.forward_norm[l + 1] == pytest.approx(0.5 * scaled.forward_norm[l], rel=1e-5)


def test_deep_scaled_net_loses_the_gradient_that_identity_keeps():
    # v2 Eq. 7 in a real He-initialised net, BN as at init (eval mode = identity map):
    # measured 1e-4 (scaling) vs 1e4 (identity) at depth 56; 1e-2 is a wide margin at depth 32.
    kw = dict(widths=(4, 8, 8), batch=8, bn_mode="eval")
    ident = signal_at_init("resnet32", **kw)
    scaled = signal_at_init("resnet32:variant=scaling", **kw)
    assert scaled.backward_norm[0] < 1e-2 * ident.backward_norm[0] * scaled.backward_norm[-1] / ident.backward_norm[-1]
    assert scaled.gradient_ratio < 1e-2 * ident.gradient_ratio


def test_sweep_covers_designs_variants_and_plain():
    entries = sweep_entries((8,), designs=("original", "full_preact"), variants=("identity", "scaling"))
    assert entries == ["plain8", "resnet8", "resnet8:design=full_preact", "resnet8:variant=scaling"]
    seen = []
    profiles = signal_sweep(entries, widths=(2, 2, 2), batch=4, on_progress=lambda d, t: seen.append(d))
    assert seen == [1, 2, 3, 4]
    for p in profiles:
        assert p.depth == 8 and len(p.backward_norm) == 4
        assert all(v > 0 and v == v for v in p.forward_norm + p.backward_norm)
