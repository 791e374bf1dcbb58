"""How many bytes one training image moves through memory: the hardware limit of a step.

A CIFAR ResNet is small (0.85M parameters for ResNet-56) and its layers are thin, so a
GPU step is bound by memory traffic, not by arithmetic. We count, for one forward and
backward pass, the bytes every operator reads and writes (each aten op's tensor inputs
and outputs), as if nothing were fused. Dividing a GPU's memory bandwidth by this gives a
ceiling on training images per second for the unfused step; fusion (BN+ReLU, the add)
can only lower the traffic, so the ceiling is conservative for fused code.
"""

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

# Peak memory bandwidth, bytes/s, of GPUs a class is likely to meet (vendor data sheets).
BANDWIDTH = {"H100 SXM": 3.35e12, "H100 PCIe": 2.0e12, "H200": 4.8e12, "A100 80GB": 2.0e12,
             "L4": 0.3e12, "T4": 0.32e12}


class _CountBytes(TorchDispatchMode):
    def __init__(self, activation_bytes: int):
        super().__init__()
        self.total = 0
        self.activation_bytes = activation_bytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten((args, kwargs or {}, out))[0]:
            if isinstance(t, torch.Tensor) and t.dim() > 0:
                # Activations travel in bf16 on the fast path; count them at that width.
                self.total += t.numel() * min(t.element_size(), self.activation_bytes)
        return out


def bytes_per_image(model: torch.nn.Module, batch: int = 32, activation_bytes: int = 2) -> float:
    """Unfused memory traffic of one training step, per image, in bytes (forward + backward)."""
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, 10, (batch,))
    model.train()
    with _CountBytes(activation_bytes) as counter:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.total / batch


def ceiling_images_per_s(bytes_per_img: float, bandwidth: float) -> float:
    return bandwidth / bytes_per_img
