"""A memory budget for a run, checked before anything is built: refuse in one line, not a traceback.

Every dimension has its own bound (config.validate), but bounds multiply: resnet1994 at widths
1024/1024/1024 is inside each of them and needs about 70 GiB. So the run's need is estimated
from its nets built on PyTorch's "meta" device, which records shapes and allocates nothing:
    weights, their gradients and SGD's momentum: 3 x 4 bytes per parameter, summed over models;
    activations kept for backward: every leaf module's output (conv and BN: about what autograd
      keeps, the conv's output and the ReLU's after the BN) at the run's batch size, 4 bytes per
      number (bf16 halves some; the estimate keeps fp32), for the models that step at once;
    the data on the device: training images as uint8, test images as fp32.
and compared with the memory available now: MemAvailable (Linux) or free pages (os.sysconf)
for the CPU, torch.cuda.mem_get_info for a GPU. The estimate is rough and errs low, so that a run
that fits is never refused: one fp32 step of resnet56 at batch 256 on the CPU grew the peak
resident memory by 1.38 GiB where this says 1.27 GiB (2026-12-05, torch 2.13 CPU, load about 9).
It exists to refuse runs that cannot fit by far, before they take the machine down.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import torch

from .config import RunConfig, model_spec

GIB = 2 ** 30
SLACK = 0.9  # of the available memory a run may plan to use: the allocator and the app need some


class MemoryBudget(ValueError):
    """A run that would need more memory than the machine has free (the message says how much)."""


@functools.lru_cache(maxsize=128)
def model_bytes(entry: str, widths: tuple[int, int, int], batch_size: int) -> tuple[int, int]:
    """(parameter bytes, activation bytes at this batch) of one model, without building it.

    A CIFAR net is linear in n (units per stage): the stem and head once, then per stage a first
    unit and n-1 equal ones, so the two smallest nets of its kind (n = 1, 2) give any depth
    (as runs/eta.py does for time) and a 2,000-layer net costs what a 14-layer one does.
    """
    spec = model_spec(entry, widths)
    if spec.family != "cifar":
        return _spec_bytes(spec, batch_size)
    k = spec.layers_per_unit  # depth = 3·n·k + 2
    one, two = (_spec_bytes(dataclasses.replace(spec, depth=3 * n * k + 2), batch_size) for n in (1, 2))
    return tuple(a + (spec.n - 1) * (b - a) for a, b in zip(one, two))


def _spec_bytes(spec, batch_size: int) -> tuple[int, int]:
    """Parameters and leaf-module outputs of `spec` built on the meta device (shapes only)."""
    with torch.device("meta"):
        net = spec.build()
        outputs = []
        # Leaf modules only: a conv's output and its BN's stand for what autograd keeps (the conv's
        # output and the functional ReLU's after the BN, which no hook sees).
        hooks = [m.register_forward_hook(lambda mod, inp, out: outputs.append(out.numel()
                                                                            if isinstance(out, torch.Tensor) else 0))
                 for m in net.modules() if not list(m.children())]
        size = 224 if spec.family == "imagenet" else 32
        net(torch.empty(batch_size, 3, size, size))
        for h in hooks:
            h.remove()
    params = sum(p.numel() for p in net.parameters())
    return 4 * params, 4 * sum(outputs)


def need_bytes(config: RunConfig, train_images: int | None = None, test_images: int | None = None) -> dict:
    """What the run needs, by part (bytes)."""
    sizes = [model_bytes(entry, tuple(config.widths), config.batch_size) for _, entry, _ in config.members()]
    weights = sum(p for p, _ in sizes)
    # Models step one after another unless stacked (same nets of a band as one computation).
    activations = sum(a for _, a in sizes) if config.stack else max(a for _, a in sizes)
    train_n = train_images or config.train_size or 50_000
    test_n = test_images or config.test_size or 10_000
    return {"weights": weights, "gradients and momentum": 2 * weights, "activations": activations,
            "data": 3 * 32 * 32 * (train_n + 4 * test_n)}


def available_bytes(device: torch.device) -> tuple[int | None, str]:
    """Free memory on `device` now, and what it is called in the message (None when unknown)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return free, f"free on {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        try:
            with open("/proc/meminfo", encoding="ascii") as f:
                for line in f:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024, "of RAM available"
        except (OSError, ValueError, IndexError):
            pass
        try:
            return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "of RAM free"
        except (ValueError, OSError, AttributeError):
            return None, ""
    return None, ""  # MPS shares RAM in ways PyTorch does not report


def check(config: RunConfig, device: torch.device, available: int | None = None) -> dict:
    """Raise MemoryBudget when the run cannot fit; returns the estimate by part otherwise."""
    parts = need_bytes(config)
    where = "available"
    if available is None:
        available, where = available_bytes(device)
    total = sum(parts.values())
    if available is not None and total > SLACK * available:
        detail = ", ".join(f"{name} {v / GIB:.1f}" for name, v in parts.items())
        raise MemoryBudget(f"this run needs about {total / GIB:.1f} GiB ({detail}) but only "
                           f"{available / GIB:.1f} GiB {where}: use a smaller batch, narrower widths, "
                           f"fewer models or a shallower net")
    return parts
