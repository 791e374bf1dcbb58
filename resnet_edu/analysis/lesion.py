"""Lesion study (Veit et al. 2016, "Residual networks behave like ensembles of relatively shallow networks").

Delete one unit of a *trained* net at test time and measure the test error (Veit Fig. 3):
a residual net barely notices, a plain net collapses. Then delete k random units (Fig. 5a)
or swap units (Fig. 5b). The unrolled view explains it: n residual units open 2^n paths,
and C(n, k) of them pass through exactly k residual branches (Fig. 6).

What "deleting unit l" means here:
- residual unit: its output becomes the shortcut alone, x_{l+1} = h(x_l) (Veit §4: the
  skip connection stays). For option A that is x_l, subsampled and zero-padded where the
  shape changes; for options B/C the projection (in a pre-activation net, of the shared
  pre-activation, as the unit computes it). The post-addition ReLU stays only where v1 has
  one (design "original"): relu(h(x)) = h(x) for option A, whose input is already ≥ 0, but a
  projection's output can be negative. Pre-activation units have no ReLU there to keep.
- plain unit, same shape in and out: replaced by the identity, x_{l+1} = x_l.
- plain unit that downsamples (the first of stages 2 and 3): there is no path without it,
  so it *cannot* be deleted. We report it as not deletable (error None) rather than invent
  a shortcut the plain net never had.

The model is never changed for good: `deleted(...)` and `swapped(...)` patch `forward` on
the live modules and restore it on exit, even after an exception.
"""

import contextlib
import math
import random
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
import torch.nn as nn

from ..models import UnitInfo, list_units
from .loading import evaluate

Progress = Callable[[int, int], None] | None


# -- the unrolled view (Veit Fig. 6) ---------------------------------------------------------
def path_length_counts(n: int) -> list[int]:
    """counts[k] = C(n, k): paths through exactly k of n residual branches; they sum to 2^n."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return [math.comb(n, k) for k in range(n + 1)]


def path_length_distribution(n: int) -> list[float]:
    """Fraction of the 2^n paths of length k: Binomial(n, 1/2), mean n/2, std √n/2."""
    return [c / 2 ** n for c in path_length_counts(n)]


# -- deleting and swapping, scoped -----------------------------------------------------------
def deletable(unit: UnitInfo) -> bool:
    """A residual unit always; a plain one only when it keeps the shape (see module doc)."""
    return unit.kind == "residual" or same_shape(unit)


def same_shape(unit: UnitInfo) -> bool:
    """Neither downsampling nor widening: the units Veit et al. delete at random (Fig. 5a)."""
    return unit.stride == 1 and unit.in_channels == unit.out_channels


def _skip_forward(unit: UnitInfo) -> Callable[[torch.Tensor], torch.Tensor]:
    if unit.kind == "residual":
        module = unit.module
        if hasattr(module, "deleted_forward"):  # ResidualUnit: any design and shortcut variant
            return module.deleted_forward
        shortcut = module.shortcut  # v1 BasicBlock / Bottleneck: ReLU after the addition
        return lambda x: torch.relu(shortcut(x))  # x_{l+1} = relu(h(x_l))
    return lambda x: x  # plain, same shape: identity


@contextlib.contextmanager
def _patched(modules_and_forwards: Sequence[tuple[nn.Module, Callable]]) -> Iterator[None]:
    """Set `forward` on module instances (shadowing the class's) and remove it on exit."""
    patched = []
    try:
        for module, forward in modules_and_forwards:
            if "forward" in module.__dict__:
                raise RuntimeError(f"{type(module).__name__} already has a patched forward")
            module.forward = forward
            patched.append(module)
        yield
    finally:
        for module in patched:
            del module.forward


def deleted(model: nn.Module, indices: Sequence[int]) -> contextlib.AbstractContextManager:
    """`with deleted(model, [3, 7]):` units 3 and 7 are skipped (see module doc); restored on exit."""
    units = list_units(model)
    plan = []
    for i in indices:
        unit = units[i]
        if not deletable(unit):
            raise ValueError(f"unit {i} ({unit.name}) is a plain downsampling unit: the plain net has no "
                             f"path around it, so it cannot be deleted")
        plan.append((unit.module, _skip_forward(unit)))
    return _patched(plan)


def swapped(model: nn.Module, i: int, j: int) -> contextlib.AbstractContextManager:
    """`with swapped(model, i, j):` unit i computes what unit j computes and vice versa (Veit Fig. 5b)."""
    units = list_units(model)
    a, b = units[i], units[j]
    shape = lambda u: (u.in_channels, u.out_channels, u.stride)  # noqa: E731
    if shape(a) != shape(b):
        raise ValueError(f"units {i} and {j} have different shapes {shape(a)} vs {shape(b)}: cannot swap")
    return _patched([(a.module, b.module.forward), (b.module, a.module.forward)])


# -- the studies -----------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitLesion:
    """Test error with one unit deleted; error is None for a unit that cannot be deleted."""

    index: int
    name: str
    kind: str  # "residual" or "plain"
    stride: int
    error: float | None  # fraction in [0, 1]


@dataclass(frozen=True)
class LesionStudy:
    """Veit Fig. 3: the error of the intact net and with each single unit deleted."""

    baseline_error: float
    units: tuple[UnitLesion, ...]


def lesion_single(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 500,
                  on_progress: Progress = None) -> LesionStudy:
    """Delete each unit in turn; x, y are normalised test images (N, 3, 32, 32) and labels (N,)."""
    units = list_units(model)
    baseline = evaluate(model, x, y, batch_size)[1]
    out = []
    for k, unit in enumerate(units):
        error = None
        if deletable(unit):
            with deleted(model, [unit.index]):
                error = evaluate(model, x, y, batch_size)[1]
        out.append(UnitLesion(unit.index, unit.name, unit.kind, unit.stride, error))
        if on_progress:
            on_progress(k + 1, len(units))
    return LesionStudy(baseline, tuple(out))


@dataclass(frozen=True)
class RandomLesion:
    """Veit Fig. 5: error over `trials` random draws of k units deleted (or k pairs swapped)."""

    k: int
    errors: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.errors) / len(self.errors)

    @property
    def std(self) -> float:
        m = self.mean
        return math.sqrt(sum((e - m) ** 2 for e in self.errors) / max(len(self.errors) - 1, 1))


def lesion_random(model: nn.Module, x: torch.Tensor, y: torch.Tensor, ks: Sequence[int] = (1, 2, 4, 8), *,
                  trials: int = 5, seed: int = 0, batch_size: int = 500, include_downsampling: bool = False,
                  on_progress: Progress = None) -> list[RandomLesion]:
    """Delete k units drawn at random; ks larger than the pool are skipped.

    The pool is the same-shape units by default: deleting a downsampling unit is another regime
    (its error jumps much more, Veit Fig. 3), and mixing the two blurs Fig. 5a's smooth curve.
    include_downsampling=True draws from every deletable unit.
    """
    rng = random.Random(seed)
    pool = [u.index for u in list_units(model) if deletable(u) and (include_downsampling or same_shape(u))]
    ks = [k for k in ks if k <= len(pool)]
    out, done = [], 0
    for k in ks:
        errors = []
        for _ in range(trials):
            with deleted(model, rng.sample(pool, k)):
                errors.append(evaluate(model, x, y, batch_size)[1])
            done += 1
            if on_progress:
                on_progress(done, len(ks) * trials)
        out.append(RandomLesion(k, tuple(errors)))
    return out


def swappable_pairs(model: nn.Module) -> list[tuple[int, int]]:
    """Neighbouring units with the same shape (within a stage, not the downsampling one)."""
    units = list_units(model)
    return [(a.index, b.index) for a, b in zip(units, units[1:])
            if (a.in_channels, a.out_channels, a.stride) == (b.in_channels, b.out_channels, b.stride)]


def lesion_swap(model: nn.Module, x: torch.Tensor, y: torch.Tensor, ks: Sequence[int] = (1, 2, 4), *,
                trials: int = 5, seed: int = 0, batch_size: int = 500,
                on_progress: Progress = None) -> list[RandomLesion]:
    """Swap k random disjoint neighbouring pairs at test time (Veit Fig. 5b) and measure the error."""
    rng = random.Random(seed)
    pairs = swappable_pairs(model)
    out, done = [], 0
    for k in ks:
        errors = []
        for _ in range(trials):
            chosen = _disjoint(pairs, k, rng)
            if chosen is None:
                break
            with contextlib.ExitStack() as stack:
                for i, j in chosen:
                    stack.enter_context(swapped(model, i, j))
                errors.append(evaluate(model, x, y, batch_size)[1])
            done += 1
            if on_progress:
                on_progress(done, len(ks) * trials)
        if errors:
            out.append(RandomLesion(k, tuple(errors)))
    return out


def _disjoint(pairs: list[tuple[int, int]], k: int, rng: random.Random) -> list[tuple[int, int]] | None:
    """k pairs sharing no unit, drawn at random; None when there are not k such pairs."""
    order = pairs[:]
    rng.shuffle(order)
    chosen, used = [], set()
    for i, j in order:
        if i not in used and j not in used:
            chosen.append((i, j))
            used |= {i, j}
            if len(chosen) == k:
                return chosen
    return None
