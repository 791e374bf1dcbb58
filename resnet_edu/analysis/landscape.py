"""Loss landscapes (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets").

    1-D:  L(θ_a + α (θ_b − θ_a))        e.g. init → trained (Goodfellow et al. 2015)
    1-D:  L(θ* + α δ)                   δ a random filter-normalised direction
    2-D:  L(θ* + α δ + β η)             two such directions (Li Fig. 5: plain-56 vs ResNet-56)

Filter normalisation (Li §4): draw δ ~ N(0, I) shaped like θ, then for every filter j of
every layer i, δ_ij ← δ_ij / ‖δ_ij‖ · ‖θ_ij‖. A "filter" is one output channel of a conv
(a (C_in, k, k) slice) or one row of the FC layer. 1-D parameters (BN's γ, β and biases)
get a zero direction, as in the paper's default (it "ignores" BN parameters).

Losses are computed in eval mode (BN with its running statistics, which stay fixed) on a
data subset. The model is moved in place and restored bit for bit afterwards.
"""

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
import torch.nn as nn

from .loading import evaluate

Progress = Callable[[int, int], None] | None
Direction = list[torch.Tensor]  # one tensor per model parameter, same shapes, same order


def random_direction(model: nn.Module, seed: int = 0, filter_normalize: bool = True) -> Direction:
    """A Gaussian direction, filter-normalised to the model's weights; zero for 1-D parameters."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for p in model.parameters():
        if p.dim() <= 1:  # BN γ, β and biases: ignored (Li §4)
            out.append(torch.zeros_like(p))
            continue
        d = torch.randn(p.shape, generator=g).to(p)
        if filter_normalize:
            # per filter j: (C_out, ...) -> norms over everything but dim 0, shape (C_out, 1, 1, 1)
            dims = tuple(range(1, p.dim()))
            norm = lambda t: torch.linalg.vector_norm(t, dim=dims, keepdim=True)  # noqa: E731
            d = d / norm(d) * norm(p.detach())
        out.append(d)
    return out


def difference(model_a: nn.Module, model_b: nn.Module) -> Direction:
    """θ_b − θ_a, parameter by parameter (the two models must share an architecture)."""
    return [pb.detach() - pa.detach() for pa, pb in zip(model_a.parameters(), model_b.parameters())]


@contextlib.contextmanager
def _restored(model: nn.Module) -> Iterator[list[torch.Tensor]]:
    """Yield copies of the parameters; on exit copy them back (bit-exact)."""
    saved = [p.detach().clone() for p in model.parameters()]
    try:
        yield saved
    finally:
        with torch.no_grad():
            for p, s in zip(model.parameters(), saved):
                p.copy_(s)


def _set(model: nn.Module, origin: list[torch.Tensor], steps: Sequence[tuple[float, Direction]]) -> None:
    """θ = origin + Σ coefficient · direction."""
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            value = origin[k].clone()
            for coeff, direction in steps:
                value.add_(direction[k], alpha=coeff)
            p.copy_(value)


def grid(resolution: int, span: float = 1.0) -> list[float]:
    """`resolution` evenly spaced points in [−span, span]; the middle one is exactly 0 when odd."""
    if resolution < 2:
        return [0.0]
    half = (resolution - 1) / 2
    return [span * (i - half) / half for i in range(resolution)]


@dataclass(frozen=True)
class Landscape1D:
    alphas: tuple[float, ...]
    loss: tuple[float, ...]  # mean cross-entropy
    error: tuple[float, ...]  # fraction


@dataclass(frozen=True)
class Landscape2D:
    alphas: tuple[float, ...]  # along δ (x axis)
    betas: tuple[float, ...]  # along η (y axis)
    loss: tuple[tuple[float, ...], ...]  # loss[j][i] at (alphas[i], betas[j]): plotly's z layout
    error: tuple[tuple[float, ...], ...]


def line(model: nn.Module, direction: Direction, x: torch.Tensor, y: torch.Tensor,
         alphas: Sequence[float], *, batch_size: int = 256, on_progress: Progress = None) -> Landscape1D:
    """L(θ + α d) for each α; x, y a data subset (normalised images, labels) on the model's device."""
    losses, errors = [], []
    with _restored(model) as origin:
        for k, a in enumerate(alphas):
            _set(model, origin, [(a, direction)])
            loss, err = evaluate(model, x, y, batch_size)
            losses.append(loss)
            errors.append(err)
            if on_progress:
                on_progress(k + 1, len(alphas))
    return Landscape1D(tuple(alphas), tuple(losses), tuple(errors))


def interpolate(model_a: nn.Module, model_b: nn.Module, x: torch.Tensor, y: torch.Tensor,
                alphas: Sequence[float] = tuple(a / 10 for a in range(-5, 16)), *,
                batch_size: int = 256, on_progress: Progress = None) -> Landscape1D:
    """L((1 − α) θ_a + α θ_b): α=0 is model_a, α=1 model_b. BN statistics are model_b's.

    Parameters are interpolated, BN running statistics are not (they stay model_b's): with
    a = init, init's statistics (mean 0, var 1) would make every α < 1 meaningless. model_a
    is not changed; model_b is moved and restored.
    """
    # (1 − α) θ_a + α θ_b = θ_b + (1 − α)(θ_a − θ_b): a line through model_b.
    along = line(model_b, difference(model_b, model_a), x, y, [1 - a for a in alphas],
                 batch_size=batch_size, on_progress=on_progress)
    return Landscape1D(tuple(alphas), along.loss, along.error)


def random_line(model: nn.Module, x: torch.Tensor, y: torch.Tensor, resolution: int = 21, span: float = 1.0, *,
                seed: int = 0, batch_size: int = 256, on_progress: Progress = None) -> Landscape1D:
    """L(θ + α δ) along one random filter-normalised direction δ, α in [−span, span]."""
    return line(model, random_direction(model, seed), x, y, grid(resolution, span),
                batch_size=batch_size, on_progress=on_progress)


def surface(model: nn.Module, x: torch.Tensor, y: torch.Tensor, resolution: int = 9, span: float = 1.0, *,
            seed: int = 0, batch_size: int = 256, on_progress: Progress = None) -> Landscape2D:
    """L(θ + α δ + β η) on a resolution × resolution grid (Li Fig. 5); δ, η use seeds seed, seed+1."""
    delta, eta = random_direction(model, seed), random_direction(model, seed + 1)
    alphas = betas = grid(resolution, span)
    loss = [[0.0] * len(alphas) for _ in betas]
    error = [[0.0] * len(alphas) for _ in betas]
    total, done = len(alphas) * len(betas), 0
    with _restored(model) as origin:
        for j, b in enumerate(betas):
            for i, a in enumerate(alphas):
                _set(model, origin, [(a, delta), (b, eta)])
                loss[j][i], error[j][i] = evaluate(model, x, y, batch_size)
                done += 1
                if on_progress:
                    on_progress(done, total)
    return Landscape2D(tuple(alphas), tuple(betas), tuple(map(tuple, loss)), tuple(map(tuple, error)))
