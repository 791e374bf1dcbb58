"""Probes: what a learner wants to see inside a net while it trains.

    with Probe(model) as probe:
        probe.arm()                        # record the next forward and backward
        loss = criterion(model(x), y)
        loss.backward()
        probe.before_update()              # remember W before the optimizer moves it
        optimizer.step()
        record = probe.read(step)          # one ProbeRecord, one device sync

Per unit (v2 Eq. 5 is about these): ‖∂E/∂x_{l+1}‖, the gradient that reaches the unit's
output on the way back, and the norm of the gradient of the unit's weights.
Per weight layer: the std of its response (v1 Fig. 7: after BN, before ReLU/addition),
‖∇W‖, ‖∇W‖/‖W‖ and ‖ΔW‖/‖W‖ (the update:data ratio, healthy around 1e-3 with SGD).

Hooks are removed on exit; they only attach to output tensors, never full backward
hooks, so they work with any unit. Values stay on the device until `read`.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn

from ..models.anatomy import _convs, list_units


@dataclass(frozen=True)
class ProbeRecord:
    """One logged step's statistics, as plain floats, in depth order."""

    step: int
    units: tuple[str, ...]
    unit_output_grad_norm: tuple[float, ...]  # ‖∂E/∂x_{l+1}‖ over the batch
    unit_weight_grad_norm: tuple[float, ...]  # ‖∂E/∂W‖ over all of the unit's parameters
    layers: tuple[str, ...]
    layer_response_std: tuple[float, ...]  # std over all of (N, C, H, W)
    layer_weight_grad_norm: tuple[float, ...]
    layer_grad_to_data: tuple[float, ...]  # ‖∂E/∂W‖ / ‖W‖
    layer_update_to_data: tuple[float, ...]  # ‖W_after - W_before‖ / ‖W_before‖; nan without before_update()

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


class Probe:
    """A scoped, removable probe on every unit and weight layer of a model (see module doc)."""

    def __init__(self, model: nn.Module):
        self.model = model
        units = list_units(model)
        if not units:
            raise ValueError("this model has no residual or plain units to probe")
        self.units = units
        self.layers = []  # (name, conv, response module)
        for u in units:
            for i, (conv, resp) in enumerate(zip(_convs(u.module), u.module.response_layers()), start=1):
                self.layers.append((f"{u.name}.layer{i}", conv, resp))
        self._hooks, self._armed = [], False
        self._grad_sq: dict[int, torch.Tensor] = {}
        self._std: dict[int, torch.Tensor] = {}
        self._before: list[torch.Tensor] | None = None

    # -- scope ----------------------------------------------------------------------
    def __enter__(self) -> "Probe":
        for i, u in enumerate(self.units):
            self._hooks.append(u.module.register_forward_hook(self._on_unit_output(i)))
        for j, (_, _, resp) in enumerate(self.layers):
            self._hooks.append(resp.register_forward_hook(self._on_response(j)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks.clear()

    def _on_unit_output(self, i: int):
        def hook(module, inputs, output):
            if self._armed and output.requires_grad:
                # The gradient w.r.t. the unit's output arrives during backward.
                output.register_hook(lambda g: self._grad_sq.__setitem__(i, g.detach().float().pow(2).sum()))
        return hook

    def _on_response(self, j: int):
        def hook(module, inputs, output):
            if self._armed:
                self._std[j] = output.detach().float().std()
        return hook

    # -- one recorded step ----------------------------------------------------------------
    def arm(self) -> None:
        """Record the next forward and backward pass."""
        self._armed, self._before = True, None
        self._grad_sq.clear()
        self._std.clear()

    def before_update(self) -> None:
        """Copy each layer's weights, so `read` can report ‖ΔW‖/‖W‖ after the optimizer step."""
        self._before = [conv.weight.detach().clone() for _, conv, _ in self.layers]

    def read(self, step: int = 0) -> ProbeRecord:
        """Everything recorded since `arm`, as floats. Synchronises with the device once."""
        if not self._armed:
            raise RuntimeError("call probe.arm() before the forward pass you want to record")
        self._armed = False
        nan = torch.tensor(float("nan"))
        dev = self.layers[0][1].weight.device
        nan = nan.to(dev)

        def grad_sq(params) -> torch.Tensor:
            sq = [p.grad.detach().float().pow(2).sum() for p in params if p.grad is not None]
            return torch.stack(sq).sum() if sq else nan

        unit_out = [self._grad_sq.get(i, nan).sqrt() for i in range(len(self.units))]
        unit_w = [grad_sq(u.module.parameters()).sqrt() for u in self.units]
        std = [self._std.get(j, nan) for j in range(len(self.layers))]
        # ‖W‖ where the gradient was taken: before the optimizer step when there was one.
        weights = self._before or [conv.weight.detach() for _, conv, _ in self.layers]
        w_norm = [w.float().norm() for w in weights]
        g_norm = [grad_sq([conv.weight]).sqrt() for _, conv, _ in self.layers]
        if self._before is not None:
            upd = [(conv.weight.detach().float() - b.float()).norm() / n
                   for (_, conv, _), b, n in zip(self.layers, self._before, w_norm)]
        else:
            upd = [nan] * len(self.layers)
        ratio = [g / w for g, w in zip(g_norm, w_norm)]
        flat = torch.stack([t.to(dev) for t in unit_out + unit_w + std + g_norm + ratio + upd]).cpu().tolist()
        nu, nl = len(self.units), len(self.layers)
        parts, k = [], 0
        for size in (nu, nu, nl, nl, nl, nl):
            parts.append(tuple(flat[k:k + size]))
            k += size
        self._before = None
        return ProbeRecord(step, tuple(u.name for u in self.units), parts[0], parts[1],
                           tuple(name for name, _, _ in self.layers), parts[2], parts[3], parts[4], parts[5])
