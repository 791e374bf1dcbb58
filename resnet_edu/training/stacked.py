"""Many models as one: S nets of the same v1 CIFAR architecture stepped as ONE computation.

The seeds of a band, or plain-N beside ResNet-N (option A adds no parameters), have the
same layers with different numbers. Stacking puts model s's channels in slot s of every
layer, so each conv becomes one grouped conv (groups=S) and each BN one BN over S·C
channels (BN's statistics are per channel, so they stay per model):

    activations  (B, S·C, H, W)       model s owns channels [s·C, (s+1)·C)
    conv weight  (S·C_out, C_in, k, k) grouped conv, groups=S: no model sees another's channels
    BN vectors   (S·C,)               per-channel mean/var = per-model statistics
    fc           (S, 10, C)           a batched matmul
    block        y = relu(F(x) + g·x)  g = 1 residual, 0 plain (v1 Eq. 1; plain: y = relu(F(x)))

Narrow nets are bound by per-layer overhead (a 16-filter conv is a tiny kernel), which the S
models now share: one launch per layer instead of S. Each model's numbers equal training it
alone: separate losses, separate gradients (the parameters are disjoint), the same SGD update
per element, with each model's own learning rate (a warm-up ends per model).

The members' own modules and optimizers stay the record: `load()` gathers them into the stack,
`store()` writes the stack back (before an evaluation, a probe step or a checkpoint).
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models.registry import ModelSpec
from . import fastpath


def stackable(spec: ModelSpec) -> bool:
    """The v1 CIFAR nets proper: basic blocks, BN, plain or option A (no per-model parameters differ)."""
    return (spec.family == "cifar" and spec.block == "basic" and spec.design == "original"
            and spec.variant == "identity" and spec.span == 2 and spec.batchnorm
            and spec.shortcut in (None, "A"))


def stack_key(spec: ModelSpec) -> tuple:
    """Models with the same key have the same layers and can share one stacked step."""
    return (spec.depth, tuple(spec.widths), spec.num_classes, spec.zero_init_last)


@dataclass(frozen=True)
class _Block:
    """One basic block's layer names and shapes (what the stacked forward needs)."""

    prefix: str  # "stage2.0"
    c_in: int
    c_out: int
    stride: int


class StackedCifarNet(nn.Module):
    """S v1 CIFAR nets of the same depth and widths as one module. forward: (B, 3, 32, 32) -> (S, B, 10).

    Parameters and buffers keep the single net's names (`stage1.0.conv1.weight`, ...), with
    model s's rows in slot s. `gains` (S,) is 1 for a residual model, 0 for a plain one.
    """

    def __init__(self, nets: list[nn.Module], residual: list[bool]):
        super().__init__()
        self.S = len(nets)
        ref = nets[0]
        self.names = [k for k, _ in ref.named_parameters()]
        self.buffer_names = [k for k, _ in ref.named_buffers() if not k.endswith("num_batches_tracked")]
        self.blocks = []
        for stage in ("stage1", "stage2", "stage3"):
            for i, block in enumerate(getattr(ref, stage)):
                self.blocks.append(_Block(f"{stage}.{i}", block.conv1.in_channels, block.conv1.out_channels,
                                          block.conv1.stride[0]))
        self._pindex = {k: i for i, k in enumerate(self.names)}
        self._bindex = {k: i for i, k in enumerate(self.buffer_names)}
        bn = ref.bn1
        self.bn_momentum, self.bn_eps = bn.momentum, bn.eps
        # nn.ParameterDict keys may not hold dots: keep the dotted names in a plain dict of slots.
        self.params = nn.ParameterList(nn.Parameter(torch.empty(0)) for _ in self.names)
        for i, k in enumerate(self.buffer_names):
            self.register_buffer(f"buf{i}", torch.empty(0))
        all_residual, all_plain = all(residual), not any(residual)
        self.mode = "residual" if all_residual else "plain" if all_plain else "mixed"
        gains = torch.tensor([1.0 if r else 0.0 for r in residual])
        self.register_buffer("gains", gains)  # (S,)
        self._gain_cache: dict[int, torch.Tensor] = {}

    # -- names -> stacked tensors ------------------------------------------------------------
    def p(self, name: str) -> torch.Tensor:
        return self.params[self._pindex[name]]

    def b(self, name: str) -> torch.Tensor:
        return getattr(self, f"buf{self._bindex[name]}")

    def _gain(self, channels: int) -> torch.Tensor:
        """(1, S·C, 1, 1): model s's gain on each of its C channels."""
        g = self._gain_cache.get(channels)
        if g is None or g.device != self.gains.device:
            g = self.gains.repeat_interleave(channels).view(1, -1, 1, 1)
            self._gain_cache[channels] = g
        return g

    # -- the forward pass, in the paper's terms ---------------------------------------------------
    def _conv(self, x: torch.Tensor, name: str, stride: int = 1, groups: int | None = None) -> torch.Tensor:
        return F.conv2d(x, self.p(name + ".weight"), stride=stride, padding=1,
                        groups=self.S if groups is None else groups)

    def _bn(self, x: torch.Tensor, name: str) -> torch.Tensor:
        # Per channel, so per model; running statistics updated in place as nn.BatchNorm2d does.
        # num_batches_tracked is counted on the host (store() adds it): it only matters when
        # momentum is None, and counting it on the device costs a kernel per BN per step.
        return F.batch_norm(x, self.b(name + ".running_mean"), self.b(name + ".running_var"),
                            self.p(name + ".weight"), self.p(name + ".bias"), self.training,
                            self.bn_momentum, self.bn_eps)

    def _shortcut(self, x: torch.Tensor, blk: _Block) -> torch.Tensor:
        """Option A per model: subsample, then zero-pad each model's channels (half before, half after)."""
        if blk.stride == 1 and blk.c_in == blk.c_out:
            return x
        x = x[:, :, ::blk.stride, ::blk.stride]  # (B, S·C_in, H/2, W/2)
        b, _, h, w = x.shape
        extra = blk.c_out - blk.c_in
        x = x.reshape(b, self.S, blk.c_in, h, w)
        x = F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))  # (B, S, C_out, H/2, W/2)
        return x.reshape(b, self.S * blk.c_out, h, w)

    def _block(self, x: torch.Tensor, blk: _Block) -> torch.Tensor:
        f = self._bn(self._conv(F.relu(self._bn(self._conv(x, blk.prefix + ".conv1", blk.stride),
                                                blk.prefix + ".bn1")), blk.prefix + ".conv2"),
                     blk.prefix + ".bn2")  # F(x): (B, S·C_out, H', W')
        if self.mode == "plain":  # y = relu(F(x))
            return F.relu(f)
        if self.mode == "residual":  # y = relu(F(x) + x), v1 Eq. (1)
            return F.relu(f + self._shortcut(x, blk))
        return F.relu(f + self._gain(blk.c_out) * self._shortcut(x, blk))  # g = 0 plain, 1 residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, 32, 32) shared by all models, or (B, S·3, 32, 32) with model s's batch in slot s."""
        groups = 1 if x.shape[1] == 3 else self.S  # a shared batch: the stem is one conv with S·16 filters
        x = F.relu(self._bn(self._conv(x, "conv1", groups=groups), "bn1"))  # (B, S·16, 32, 32)
        for blk in self.blocks:
            x = self._block(x, blk)  # (B, S·64, 8, 8) at the end
        x = x.mean(dim=(2, 3))  # global average pooling: (B, S·64)
        x = x.view(x.shape[0], self.S, -1).transpose(0, 1)  # (S, B, 64)
        return torch.baddbmm(self.p("fc.bias").unsqueeze(1), x, self.p("fc.weight").transpose(1, 2))  # (S, B, 10)

    # -- gathering from and scattering to the S single nets ---------------------------------------
    @torch.no_grad()
    def load(self, nets: list[nn.Module]) -> None:
        """Copy the S nets' parameters and running statistics into the stack."""
        for i, k in enumerate(self.names):
            tensors = [dict(n.named_parameters())[k] for n in nets]
            joined = _layout_like(torch.stack(tensors) if k.startswith("fc.") else torch.cat(tensors), tensors[0])
            if not _refill(self.params[i], joined):  # the first load; later ones keep the tensors
                self.params[i] = nn.Parameter(joined)
        for i, k in enumerate(self.buffer_names):
            joined = torch.cat([dict(n.named_buffers())[k] for n in nets])
            if not _refill(self.b(k), joined):
                setattr(self, f"buf{i}", joined.clone())

    @torch.no_grad()
    def store(self, nets: list[nn.Module], steps: int) -> None:
        """Copy the stack back into the S nets; `steps` training steps are added to num_batches_tracked."""
        for s, net in enumerate(nets):
            params, buffers = dict(net.named_parameters()), dict(net.named_buffers())
            for k in self.names:
                params[k].copy_(self._slot(self.p(k), k, s))
            for k in self.buffer_names:
                buffers[k].copy_(self._slot(self.b(k), k, s))
            for k, t in buffers.items():
                if k.endswith("num_batches_tracked"):
                    t += steps

    def _slot(self, t: torch.Tensor, name: str, s: int) -> torch.Tensor:
        if name.startswith("fc."):
            return t[s]
        rows = t.shape[0] // self.S
        return t[s * rows:(s + 1) * rows]


def _refill(old: torch.Tensor, new: torch.Tensor) -> bool:
    """Copy `new` into `old` in place when they match (shape, layout, dtype); False if they do not.

    A reload (after a probe step or a resume) keeps the stack's tensors where they are: a CUDA
    graph captured over them (graphstep.py) replays on the same addresses.
    """
    if old.shape != new.shape or old.stride() != new.stride() or old.dtype != new.dtype or old.device != new.device:
        return False
    old.detach().copy_(new)
    return True


def _layout_like(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if like.dim() == 4 and like.is_contiguous(memory_format=torch.channels_last):
        return t.contiguous(memory_format=torch.channels_last)
    return t.contiguous()


class StackedSGD:
    """SGD with momentum and weight decay (torch.optim.SGD's update, dampening 0, not Nesterov),
    with a learning rate per model: p ← p − lr_s · v,  v ← μ v + (g + λ p)."""

    def __init__(self, net: StackedCifarNet, momentum: float, weight_decay: float):
        self.net, self.momentum, self.weight_decay = net, momentum, weight_decay
        self.buffers = [torch.zeros_like(p) for p in net.params]
        self._lrs: tuple[float, ...] | None = None
        self._lr_tensors: list[torch.Tensor] | None = None

    def set_lrs(self, lrs: tuple[float, ...]) -> None:
        """Per-model learning rates; tensors are built only when they change (rarely: warm-up end, milestones)."""
        if lrs == self._lrs:
            return
        self._lrs = lrs
        if len(set(lrs)) == 1:
            self._lr_tensors = None  # one scalar for all: the same add as torch.optim.SGD
            return
        first = self.net.params[0]
        lr = torch.tensor(lrs, dtype=first.dtype, device=first.device)  # (S,), in the parameters' precision
        self._lr_tensors = []
        for k, p in zip(self.net.names, self.net.params):
            rows = lr if k.startswith("fc.") else lr.repeat_interleave(p.shape[0] // self.net.S)
            self._lr_tensors.append(rows.view(-1, *[1] * (p.dim() - 1)))

    @torch.no_grad()
    def step(self) -> None:
        params = list(self.net.params)
        grads = [p.grad for p in params]
        if self.weight_decay:
            grads = torch._foreach_add(grads, params, alpha=self.weight_decay)  # g + λ p
        torch._foreach_mul_(self.buffers, self.momentum)
        torch._foreach_add_(self.buffers, grads)  # v ← μ v + (g + λ p)
        if self._lr_tensors is None:
            torch._foreach_add_(params, self.buffers, alpha=-self._lrs[0])
        else:
            torch._foreach_addcmul_(params, self.buffers, self._lr_tensors, value=-1.0)

    def zero_grad(self) -> None:
        for p in self.net.params:
            p.grad = None

    @torch.no_grad()
    def load(self, optimizers: list[torch.optim.Optimizer], nets: list[nn.Module]) -> None:
        """Gather the members' momentum buffers (zeros where an optimizer has not stepped yet)."""
        per_model = []
        for opt, net in zip(optimizers, nets):
            named = dict(net.named_parameters())
            per_model.append({k: opt.state.get(named[k], {}).get("momentum_buffer") for k in self.net.names})
        for i, (k, p) in enumerate(zip(self.net.names, self.net.params)):
            parts = [m[k] if m[k] is not None else torch.zeros_like(dict(nets[s].named_parameters())[k])
                     for s, m in enumerate(per_model)]
            joined = torch.stack(parts) if k.startswith("fc.") else torch.cat(parts)
            joined = joined.to(p.dtype).contiguous(memory_format=_fmt(p))
            if not _refill(self.buffers[i], joined):
                self.buffers[i] = joined

    @torch.no_grad()
    def store(self, optimizers: list[torch.optim.Optimizer], nets: list[nn.Module]) -> None:
        """Write the momentum buffers back, so a member's optimizer resumes exactly where the stack was."""
        for s, (opt, net) in enumerate(zip(optimizers, nets)):
            named = dict(net.named_parameters())
            for k, buf in zip(self.net.names, self.buffers):
                opt.state[named[k]]["momentum_buffer"] = self.net._slot(buf, k, s).clone(
                    memory_format=_fmt(named[k]))


def _fmt(t: torch.Tensor) -> torch.memory_format:
    if t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous():
        return torch.channels_last
    return torch.contiguous_format


class StackedGroup:
    """Trainer members of one stack key, stepped together; the members' modules stay the record.

    `step()` trains all S models one step; `sync()` writes the stack back into the members'
    modules and optimizers and adds the losses to their sums (the trainer calls it before it
    reads a member: at each log, evaluation, probe step or checkpoint). `invalidate()` says the
    members changed outside the stack (a probe step, a resume): the next `step()` reloads.
    """

    def __init__(self, members: list, residual: list[bool], bf16: bool, momentum: float, weight_decay: float):
        self.members = members
        self.nets = [m.module for m in members]
        device = next(self.nets[0].parameters()).device
        self.net = StackedCifarNet(self.nets, residual).to(device)
        self.opt = StackedSGD(self.net, momentum, weight_decay)
        self.bf16 = bf16
        self.loss_sum = torch.zeros(len(members), device=device)  # (S,), since the last sync
        self.err_sum = torch.zeros(len(members), device=device)
        self._loaded, self._dirty, self._steps = False, False, 0

    def invalidate(self) -> None:
        self._loaded = False

    def step(self, x: torch.Tensor, y: torch.Tensor, lrs: tuple[float, ...]) -> None:
        """One SGD step of every model. x: (B, 3, 32, 32) shared or (B, S·3, 32, 32); y: (B,) or (S, B)."""
        self.ensure_loaded()
        self.opt.set_lrs(lrs)
        S, B = self.net.S, x.shape[0]
        targets = y if y.dim() == 2 else y.expand(S, B)  # (S, B)
        with fastpath.autocast(x.device, self.bf16):
            logits = self.net(x)  # (S, B, 10); bf16 under autocast: the loss in fp32 (or wider)
            wide = logits.float() if logits.dtype in (torch.bfloat16, torch.float16) else logits
            losses = F.cross_entropy(wide.flatten(0, 1), targets.flatten(),
                                     reduction="none").view(S, B).mean(dim=1)  # (S,): each model's mean loss
        self.opt.zero_grad()
        losses.sum().backward()  # disjoint parameters: each model gets its own loss's gradient
        self.opt.step()
        self.loss_sum += losses.detach()
        self.err_sum += (logits.detach().argmax(dim=2) != targets).float().mean(dim=1)
        self.mark_stepped()

    def ensure_loaded(self) -> None:
        """Gather the members into the stack if they changed outside it (in place after the first time)."""
        if not self._loaded:
            self.net.load(self.nets)
            self.opt.load([m.optimizer for m in self.members], self.nets)
            self._loaded, self._steps = True, 0

    def mark_stepped(self) -> None:
        """One more step taken in the stack (the members are behind it until sync)."""
        self._dirty, self._steps = True, self._steps + 1

    def sync(self) -> None:
        """Write the stack back into the members (modules, momentum, loss and error sums)."""
        if not self._dirty:
            return
        self.net.store(self.nets, self._steps)
        self.opt.store([m.optimizer for m in self.members], self.nets)
        for s, m in enumerate(self.members):
            m.loss_sum += self.loss_sum[s]
            m.err_sum += self.err_sum[s]
        self.loss_sum.zero_()
        self.err_sum.zero_()
        self._dirty, self._steps = False, 0


def plan(members: list, config) -> list[StackedGroup]:
    """Group the run's members that can share a step (two or more of the same stack key)."""
    by_key: dict[tuple, list] = {}
    for m in members:
        if m.spec is not None and stackable(m.spec):
            by_key.setdefault(stack_key(m.spec), []).append(m)
    return [StackedGroup(group, [m.spec.residual for m in group], group[0].bf16, config.momentum,
                         config.weight_decay)
            for group in by_key.values() if len(group) > 1]


def step(groups: list[StackedGroup], active: list, batches: dict, lr_of) -> list:
    """Step every group once; returns the active members no group stepped (to step alone).

    batches: seed -> (x (B, 3, 32, 32), y (B,)); lr_of(member) -> its learning rate this step.
    A member that left the run (diverged) keeps its slot with learning rate 0.
    """
    running = {id(m) for m in active}
    stepped = set()
    for g in groups:
        if not any(id(m) in running for m in g.members):
            continue
        seeds = [m.seed for m in g.members]
        if len(set(seeds)) == 1:  # one batch for all: the stem is one conv with S·16 filters
            x, y = batches[seeds[0]]
        else:  # model s sees its own seed's batch in its own channel slot
            parts = [batches.get(s, batches[next(iter(batches))]) for s in seeds]
            x = torch.cat([p[0] for p in parts], dim=1)  # (B, S·3, 32, 32)
            y = torch.stack([p[1] for p in parts])  # (S, B)
        g.step(x, y, tuple(lr_of(m) if id(m) in running else 0.0 for m in g.members))
        stepped |= {id(m) for m in g.members}
    return [m for m in active if id(m) not in stepped]


def sync(groups: list[StackedGroup], invalidate: bool = False) -> None:
    """Write every group back into its members; `invalidate`: the members will change outside the stack."""
    for g in groups:
        g.sync()
        if invalidate:
            g.invalidate()
