"""Count the aten ops of a training step on any device (the CPU runs the same op graph as a GPU).

On a GPU an eager step is launch-bound: each aten op is at least one kernel launch, so the
op count per step is the figure to shrink, and it can be measured here without a GPU.

    with OpCounter() as ops:
        train_one_step()
    ops.total, ops.kinds()   # 1234, {"cast": 120, "bn_counter": 55, "from_python": 0, "sync": 0}
"""

from collections import Counter

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# Ops that do no arithmetic and launch no kernel (metadata only).
_VIEWS = {"view", "_unsafe_view", "as_strided", "t", "transpose", "permute", "expand", "unsqueeze", "squeeze",
          "slice", "select", "alias", "detach", "reshape", "split", "unbind", "lift_fresh", "empty",
          "empty_strided", "_local_scalar_dense", "_to_copy_noop"}


class OpCounter(TorchDispatchMode):
    """Records every aten op dispatched inside the `with` block, forward and backward alike."""

    def __init__(self):
        super().__init__()
        self.ops: list[tuple[str, str]] = []  # (op name, kind)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.ops.append((func.__name__, _kind(func, args, kwargs)))
        return func(*args, **kwargs)

    @property
    def total(self) -> int:
        return len(self.ops)

    @property
    def kernels(self) -> int:
        """Ops that launch work (views and metadata ops excluded)."""
        return sum(1 for name, _ in self.ops if name.split(".")[0] not in _VIEWS)

    def kinds(self) -> dict[str, int]:
        counts = Counter(kind for _, kind in self.ops if kind)
        return {k: counts.get(k, 0) for k in ("cast", "bn_counter", "from_python", "sync")}


def _kind(func, args, kwargs) -> str:
    name = func.__name__.split(".")[0]
    if name == "lift_fresh":  # torch.tensor(list) / as_tensor(list): a tensor from Python data
        return "from_python"
    if name == "_local_scalar_dense":  # .item(), bool(t), float(t): the host waits for the device
        return "sync"
    if name == "_to_copy" and isinstance(args[0], torch.Tensor) and "dtype" in kwargs \
            and kwargs["dtype"] != args[0].dtype:
        return "cast"  # e.g. autocast re-casting fp32 weights to bf16, and the grads back
    if name == "add_" and isinstance(args[0], torch.Tensor) and args[0].dtype == torch.int64 \
            and args[0].dim() == 0:
        return "bn_counter"  # BatchNorm's num_batches_tracked += 1
    return ""
