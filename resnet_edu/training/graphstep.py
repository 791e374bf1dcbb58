"""The whole training step as one CUDA graph: the GPU never waits for Python.

On a GPU an eager ResNet-56 step is bound by launching several hundred small kernels, not by
the GPU (issue 26, one H200, torch 2.11: 19-26 ms eager at batch 128). Captured once with
`torch.cuda.graph` and replayed, the same step took 5.63 ms (bf16) / 7.06 ms (fp32).

So the step of one *unit* (a member alone, or a stacked group of members, stacked.py) is one
function of tensors that stay where they are, `UnitStep.body`:

    indices (B,) per seed    copied in before each step (static input buffers)
    gather + crop + flip     from device generators registered with the graph (v1 §4.2)
    normalise, forward, loss, backward (autograd.grad: no .grad state to keep)
    SGD: foreach, momentum, weight decay, lr from DeviceSchedule (device tensors)
    loss and error sums      accumulated on the device, read by the trainer at log steps only

The body has no host sync and builds no tensor from Python data (tests/test_graphstep.py checks
both on a CPU), so it can be captured. `CapturedStep` runs it: 3 eager warm-up steps on a
side stream (PyTorch's whole-network capture recipe), then capture, then replay. If capture
fails, the unit trains eagerly for good, and says so once (`note`).

What the graph path changes, honestly: crops and flips come from each seed's own generator
stream, seeded once when the units are built, so a graph run draws other crops than an eager
run of the same seed (every member of a seed still sees the same crops, and the same seed
gives the same run). Numbers per op are the eager trainer's (tests: same loss and weights
with augmentation off).
"""

import contextlib
import time
from typing import Callable

import torch
import torch.nn.functional as F

from ..data import normalize, random_crop, random_flip
from . import fastpath

WARMUP_STEPS = 3  # eager steps on a side stream before capture (allocator and cuDNN settle)


def capturable(device: torch.device) -> bool:
    """CUDA graphs exist on CUDA only; elsewhere the step runs eagerly (tests patch this)."""
    return device.type == "cuda"


class DeviceSchedule:
    """v1 §4.2's learning rate for S members as device tensors, the trainer's `lr()` without the host.

    lr_s(t) = (warm_s ? warmup_lr : lr) · 0.1^(number of milestones < t); warm_s is the v1 flag
    (training error still >= 80 %, refreshed at log steps) or, for v2 members, t <= warmup_steps.
    A member that left the run (diverged) gets lr 0, as in stacked.step.
    """

    def __init__(self, config, members: list, step: torch.Tensor):
        dev = step.device
        self.step = step  # () float32, the step being taken: the trainer fills it before each step
        self.lr, self.warmup_lr = config.lr, config.warmup_lr if config.warmup_lr is not None else config.lr
        self.warmup_steps = config.warmup_steps
        # Built once, here, from Python data: never inside the step.
        self.milestones = torch.tensor(tuple(config.milestones), dtype=torch.float32, device=dev)  # (M,)
        self.v2 = torch.tensor([m.warmup_rule == "v2" for m in members], device=dev)  # (S,) bool
        self.warm = torch.tensor([float(m.warmup) for m in members], device=dev)  # (S,) the v1 flag
        self.alive = torch.ones(len(members), device=dev)  # (S,) 0 once diverged
        self._host = [(bool(m.warmup), True) for m in members]

    def lrs(self) -> torch.Tensor:
        """(S,) float32 learning rates at `self.step`; device ops only."""
        warm = torch.where(self.v2, (self.step <= self.warmup_steps).float(), self.warm)  # (S,)
        base = warm * self.warmup_lr + (1 - warm) * self.lr
        decay = torch.pow(0.1, (self.step > self.milestones).sum())  # () 0.1^k
        return base * decay * self.alive

    def refresh(self, members: list) -> None:
        """After a log step: a warm-up that ended, a member that diverged (fill_: no copy, no sync)."""
        for s, m in enumerate(members):
            state = (bool(m.warmup), m.status == "running")
            if state != self._host[s]:
                self.warm[s].fill_(float(state[0]))
                self.alive[s].fill_(float(state[1]))
                self._host[s] = state


class UnitStep:
    """One unit's training step on fixed tensors: a member alone or a StackedGroup.

    data: the trainer's device tensors (train_images, train_labels, mean, std); `indices`:
    seed -> (B,) int64 buffer the trainer fills before each step; `step`: () float32.
    """

    def __init__(self, members: list, group, data: dict, indices: dict[int, torch.Tensor],
                 step: torch.Tensor, config, start_step: int):
        self.members, self.group = members, group
        self.data, self.indices, self.config = data, indices, config
        self.device = step.device
        self.bf16 = members[0].bf16
        self.schedule = DeviceSchedule(config, members, step)
        self.seeds = [m.seed for m in members]
        self.distinct = list(dict.fromkeys(self.seeds))
        # One generator per seed, seeded alike in every unit: all members of a seed draw the
        # same crops and flips (each unit draws the same amount per step).
        self.generators = {s: torch.Generator(device=self.device).manual_seed(s * 7_919 + start_step * 104_729 + 1)
                           for s in self.distinct}
        if group is None:
            m = members[0]
            self.net = m.module
            self.params = [p for p in m.module.parameters()]
            self.buffers = [_momentum_buffer(m.optimizer, p) for p in self.params]
            self.loss_sum, self.err_sum = m.loss_sum, m.err_sum  # () each
        else:
            group.ensure_loaded()
            self.net = group.net
            self.params = list(group.net.params)
            self.buffers = group.opt.buffers
            self.loss_sum, self.err_sum = group.loss_sum, group.err_sum  # (S,) each
        S = len(members)
        # Which rows of each parameter belong to which member: the lr of member s on its rows.
        # fc (S, 10, C): one row per member (1); the others (S·C, ...): C rows per member.
        self._rows = [1 if k.startswith("fc.") else p.shape[0] // S for k, p in zip(self._names(), self.params)]

    def _names(self) -> list[str]:
        return self.group.net.names if self.group is not None else [k for k, _ in self.net.named_parameters()]

    def inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This step's augmented, normalised batch: x (B, 3 or S·3, 32, 32), y (B,) or (S, B)."""
        d, cfg = self.data, self.config
        per_seed = {}
        for s in self.distinct:
            idx = self.indices[s]  # (B,) int64, filled by the trainer
            x, y = d["images"][idx], d["labels"][idx]  # (B, 3, 32, 32) uint8, (B,)
            if cfg.augment:
                g = self.generators[s]
                x = random_flip(random_crop(x, g, padding=4), g)
            per_seed[s] = (normalize(x, d["mean"], d["std"]), y)
        if len(self.distinct) == 1:
            x, y = per_seed[self.distinct[0]]
        else:  # a stack over seeds: member s's batch in channel slot s
            x = torch.cat([per_seed[s][0] for s in self.seeds], dim=1)
            y = torch.stack([per_seed[s][1] for s in self.seeds])
        return fastpath.prepare_input(x, d["channels_last"]), y

    def body(self) -> None:
        """The whole step: data, forward, loss, backward, SGD, metric sums. No sync, no host data."""
        x, y = self.inputs()
        S = len(self.members)
        with _autocast(self.device, self.bf16):
            logits = self.net(x)  # (B, 10) alone, (S, B, 10) stacked
        wide = logits.float()
        if self.group is None:
            losses = F.cross_entropy(wide, y).unsqueeze(0)  # (1,)
            wrong = (logits.detach().argmax(dim=1) != y).float().mean().unsqueeze(0)
        else:
            targets = y if y.dim() == 2 else y.expand(S, y.shape[0])  # (S, B)
            losses = F.cross_entropy(wide.flatten(0, 1), targets.flatten(), reduction="none").view(S, -1).mean(1)
            wrong = (logits.detach().argmax(dim=2) != targets).float().mean(dim=1)  # (S,)
        grads = torch.autograd.grad(losses.sum(), self.params)  # disjoint parameters: each its own loss
        with torch.no_grad():
            self._sgd(list(grads), self.schedule.lrs())
            self.loss_sum += losses.detach().view(self.loss_sum.shape)
            self.err_sum += wrong.view(self.err_sum.shape)

    def _sgd(self, grads: list[torch.Tensor], lrs: torch.Tensor) -> None:
        """torch.optim.SGD's update (dampening 0): v <- mu v + (g + wd p); p <- p - lr v. lrs: (S,)."""
        cfg = self.config
        if cfg.weight_decay:
            grads = torch._foreach_add(grads, self.params, alpha=cfg.weight_decay)
        torch._foreach_mul_(self.buffers, cfg.momentum)
        torch._foreach_add_(self.buffers, grads)
        if len(self.members) == 1:
            rates = [lrs[0]] * len(self.params)  # a 0-dim device tensor: no host value
        else:  # member s's lr on its rows of each parameter: (rows,) -> broadcast over the rest
            rates = [(lrs if r == 1 else lrs.repeat_interleave(r)).view(-1, *[1] * (p.dim() - 1))
                     for r, p in zip(self._rows, self.params)]
        # p + (-1)·v·lr in one rounding, as SGD's p.add_(v, alpha=-lr): the same bits on a CPU.
        torch._foreach_addcmul_(self.params, self.buffers, rates, value=-1.0)

    def before_step(self) -> None:
        """A group the trainer wrote back and invalidated (a probe step) reloads, in place."""
        if self.group is not None:
            self.group.ensure_loaded()

    def after_step(self) -> None:
        """Host bookkeeping a replay cannot do: the group's dirty flag and its BN batch count.

        (A member alone counts its BN batches on the device, in nn.BatchNorm2d: the graph too.)
        """
        if self.group is not None:
            self.group.mark_stepped()


def _momentum_buffer(optimizer: torch.optim.Optimizer, p: torch.Tensor) -> torch.Tensor:
    """The optimizer's own momentum buffer for p (created as zeros): checkpoints and eager steps share it.

    torch.optim.SGD's first step sets v = g; zeros then v = mu·0 + g is the same number.
    """
    state = optimizer.state[p]
    if state.get("momentum_buffer") is None:
        state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    return state["momentum_buffer"]


def _autocast(device: torch.device, bf16: bool):
    # cache_enabled=False: autocast's weight-cast cache must not outlive a captured region (CUDA graph docs).
    if bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)
    return contextlib.nullcontext()


@contextlib.contextmanager
def side_stream():
    """Run the enclosed CUDA work on a side stream, ordered after and before the current one."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        yield
    torch.cuda.current_stream().wait_stream(stream)


def capture_cuda(body: Callable[[], None], generators: list[torch.Generator]):
    """Record `body` into a torch.cuda.CUDAGraph (nothing runs: replay() runs it)."""
    graph = torch.cuda.CUDAGraph()
    for g in generators:  # a non-default generator must be registered, or capture refuses it
        graph.register_generator_state(g)
    # thread_local: the app trains runs in worker threads; another thread's CUDA call during this
    # capture must not invalidate it (nor fail itself), as the default "global" mode would.
    with torch.cuda.graph(graph, capture_error_mode="thread_local"):
        body()
    return graph


class CapturedStep:
    """Runs a unit's step: eager warm-up, then one capture, then replays; eager for good if capture fails.

    `__call__` returns the path the step took: "eager" or "graph". `note` says once why a unit
    trains eagerly after all (the trainer turns it into one status message).
    """

    def __init__(self, unit: UnitStep, *, capture=None, warm_context=None, warmup: int = WARMUP_STEPS):
        self.unit = unit
        self.capture = capture or capture_cuda
        self.warm_context = warm_context or (side_stream if unit.device.type == "cuda" else contextlib.nullcontext)
        self.warm_left = warmup
        self.graph = None
        self.failed: str | None = None
        self.note: str | None = None  # set once, read (and cleared) by the trainer
        self.capture_s: float | None = None

    def __call__(self) -> str:
        self.unit.before_step()
        path = self._run()
        self.unit.after_step()
        return path

    def _run(self) -> str:
        if self.failed is not None:
            self.unit.body()
            return "eager"
        if self.warm_left > 0:
            with self.warm_context():
                self.unit.body()
            self.warm_left -= 1
            return "eager"
        if self.graph is None:
            start = time.perf_counter()
            try:
                self.graph = self.capture(self.unit.body, list(self.unit.generators.values()))
            except Exception as err:  # an op that cannot be captured, an old driver, a missing API
                lines = [line.strip() for line in str(err).splitlines() if line.strip()]
                self.failed = (" ".join(lines[:1]) or type(err).__name__)[:200]
                names = ", ".join(m.name for m in self.unit.members)
                self.note = f"CUDA graph capture failed for {names} ({self.failed}); they train eagerly"
                self.unit.body()  # capture ran nothing: this step still has to be taken
                return "eager"
            self.capture_s = time.perf_counter() - start
        self.graph.replay()
        return "graph"
