"""Probe values against the same quantities computed by hand."""

import math

import pytest
import torch
import torch.nn.functional as F

from resnet_edu.models import build_model, list_units
from resnet_edu.training.probes import Probe


def _batch(seed=0, n=6):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("name", ["plain20", "resnet20", "preact_resnet110"])
def test_probe_matches_manual_computation(name):
    torch.manual_seed(0)
    model = build_model(name)
    units = list_units(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = _batch()

    # By hand: keep every unit's output and every response, with retain_grad.
    outputs, responses, hooks = {}, {}, []

    def keep_output(name):
        def hook(module, inputs, output):  # returns None: the output is left as it is
            output.retain_grad()
            outputs[name] = output
        return hook

    for u in units:
        hooks.append(u.module.register_forward_hook(keep_output(u.name)))
        for j, r in enumerate(u.module.response_layers(), start=1):
            hooks.append(r.register_forward_hook(
                lambda m, i, o, n=f"{u.name}.layer{j}": responses.__setitem__(n, o.detach())))

    with Probe(model) as probe:
        probe.arm()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        weights_before = {n: p.detach().clone() for n, p in model.named_parameters()}
        probe.before_update()
        opt.step()
        record = probe.read(step=7)
    for h in hooks:
        h.remove()

    assert record.step == 7 and record.units == tuple(u.name for u in units)
    for u, got in zip(units, record.unit_output_grad_norm):
        assert got == pytest.approx(outputs[u.name].grad.norm().item(), rel=1e-4)
    for u, got in zip(units, record.unit_weight_grad_norm):
        want = math.sqrt(sum(p.grad.norm().item() ** 2 for p in u.module.parameters()))
        assert got == pytest.approx(want, rel=1e-4)
    params = dict(model.named_parameters())
    for layer, std, gnorm, ratio, update in zip(record.layers, record.layer_response_std,
                                                record.layer_weight_grad_norm, record.layer_grad_to_data,
                                                record.layer_update_to_data):
        assert std == pytest.approx(responses[layer].std().item(), rel=1e-4)
        unit, idx = layer.rsplit(".layer", 1)
        conv_names = [n for n in params if n.startswith(unit + ".") and "conv" in n and n.endswith("weight")
                      and ".shortcut" not in n and ".gate" not in n]
        w = params[conv_names[int(idx) - 1]]
        w0 = weights_before[conv_names[int(idx) - 1]]
        assert gnorm == pytest.approx(w.grad.norm().item(), rel=1e-4)
        assert ratio == pytest.approx(w.grad.norm().item() / w0.norm().item(), rel=1e-4)
        assert update == pytest.approx((w.detach() - w0).norm().item() / w0.norm().item(), rel=1e-4)


def test_probe_is_scoped_and_only_records_when_armed():
    model = build_model("resnet20")
    x, y = _batch()
    with Probe(model) as probe:
        F.cross_entropy(model(x), y).backward()  # not armed: nothing is kept
        assert not probe._grad_sq and not probe._std
        with pytest.raises(RuntimeError):
            probe.read()
    # After the scope, no hook is left on the model.
    for m in model.modules():
        assert not m._forward_hooks


def test_update_ratio_is_nan_without_snapshot_and_record_serialises():
    model = build_model("plain20")
    x, y = _batch()
    with Probe(model) as probe:
        probe.arm()
        F.cross_entropy(model(x), y).backward()
        record = probe.read()
    assert all(math.isnan(v) for v in record.layer_update_to_data)
    d = record.to_dict()
    assert isinstance(d["unit_output_grad_norm"], list) and len(d["layers"]) == 18


def test_bn_plain_net_does_not_vanish_at_init():
    """v1 §4.1: with BN the plain net's backward gradients have healthy norms at init."""
    torch.manual_seed(0)
    model = build_model("plain56")
    x, y = _batch(n=32)
    with Probe(model) as probe:
        probe.arm()
        F.cross_entropy(model(x), y).backward()
        grads = probe.read().unit_output_grad_norm
    assert all(g > 1e-4 for g in grads)
