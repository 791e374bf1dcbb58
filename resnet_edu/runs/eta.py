"""How long will a run take? steps × per-step cost, from this device's past runs.

Cost model: a lockstep step costs about (Σ multiply-adds of its models per image) × batch
size × 3 (forward + backward) divided by the device's throughput in multiply-adds per
second. The throughput is read from past runs in the run store (their `images_per_s`),
else a rough default per device type. Good to a factor of about two: an estimate, said so.
"""

import dataclasses
import functools
import statistics
import time

import torch
import torch.nn.functional as F

from ..training.config import RunConfig, model_spec
from ..models import count_macs

# Multiply-adds per second (forward + backward) when no past run tells us; rough, on purpose.
DEFAULT_THROUGHPUT = {"cuda": 2e12, "mps": 2e11, "cpu": 6e10}
EVAL_FRACTION = 0.1  # test evaluations and logging, as a share of the training time
# A whole training step's multiply-add rate over `probe_throughput`'s bare convolution rate: 0.90,
# the median of 5 alternated rounds (0.73 to 2.56) of the quick preset's plain-20 + plain-56, one
# thread, on the 2-core development CPU at load average about 13. Good to a factor of about two.
CONV_TO_TRAINING = 0.9


@functools.lru_cache(maxsize=256)
def macs_per_image(entry: str, widths: tuple[int, int, int]) -> int:
    """Multiply-adds of one forward pass of one 32×32 image, without building the net asked for.

    A CIFAR net's cost is linear in n (units per stage): the stem and the head once, then
    per stage a first unit and n-1 equal ones. So two smallest nets of the same kind
    (n = 1 and n = 2) give it exactly for any depth; a ResNet-1202 is never built just
    to estimate a time. ImageNet nets come in five fixed depths and are built once.
    """
    spec = model_spec(entry, widths)
    if spec.family != "cifar":
        return _macs(spec)
    k = spec.layers_per_unit  # depth = 3·n·k + 2
    one, two = (_macs(dataclasses.replace(spec, depth=3 * n * k + 2)) for n in (1, 2))
    return one + (spec.n - 1) * (two - one)


@functools.lru_cache(maxsize=64)
def _macs(spec) -> int:
    return count_macs(spec.build())


def step_macs(config: RunConfig) -> float:
    """Multiply-adds of one lockstep training step (all models and seeds, forward and backward)."""
    return 3.0 * config.batch_size * sum(macs_per_image(entry, tuple(config.widths))
                                         for _, entry, _ in config.members())


def throughput_from_runs(runs: list[tuple[RunConfig, list[dict]]], device_type: str) -> float | None:
    """Median multiply-adds per second measured by past runs (on any device of this process)."""
    rates = []
    for config, events in runs:
        speeds = [e["images_per_s"] for e in events
                  if e.get("kind", "metrics") == "metrics" and e.get("images_per_s") and e.get("step", 0) > 1]
        if len(speeds) < 2 or config.device not in ("auto", device_type):
            continue
        images_per_s = statistics.median(speeds[1:])  # the first window includes warm-up
        rates.append(images_per_s * step_macs(config) / config.batch_size)
    return statistics.median(rates) if rates else None


def throughput_now(config: RunConfig, events: list[dict], logs: int = 5) -> float | None:
    """Multiply-adds per second of a run over its last few logs (None without time stamps).

    Scaled up by the evaluation share, which `estimate_seconds` adds back: the stamps include it.
    """
    rate = recent_rate(events, logs)
    return rate * step_macs(config) * (1 + EVAL_FRACTION) if rate else None


def probe_throughput(seconds: float = 0.2) -> float:
    """Multiply-adds per second of this CPU right now: one 3×3 convolution's forward and backward, timed.

    No net is built: a (32, 16, 32, 32) input and a 16→16 3×3 weight, run for `seconds` in the
    caller's torch threads. Whatever else the machine is doing is in the figure; multiply by
    CONV_TO_TRAINING for a whole training step's rate.
    """
    x = torch.randn(32, 16, 32, 32, requires_grad=True)  # (B, C, H, W)
    w = torch.randn(16, 16, 3, 3, requires_grad=True)
    macs = 3 * x.numel() * 16 * 9  # forward, and the backward's two convolutions (input and weight)
    F.conv2d(x, w, padding=1).sum().backward()  # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        F.conv2d(x, w, padding=1).sum().backward()
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and n >= 2:
            return n * macs / elapsed


def estimate_seconds(config: RunConfig, device_type: str, throughput: float | None = None) -> float:
    """Seconds to train `config` on a device of `device_type` ('cuda', 'mps' or 'cpu')."""
    rate = throughput or DEFAULT_THROUGHPUT.get(device_type, DEFAULT_THROUGHPUT["cpu"])
    return config.steps * step_macs(config) / rate * (1 + EVAL_FRACTION)


def recent_rate(events: list[dict], logs: int = 5) -> float | None:
    """Steps per second over the last `logs` logged steps: the machine's speed now, its load included.

    Reads the wall-clock `time` the run store stamps on each line, so evaluations and
    checkpoints in between count, as they do for the time left.
    """
    stamps: dict[int, float] = {}
    for e in events:
        if e.get("kind", "metrics") == "metrics" and isinstance(e.get("time"), (int, float)):
            stamps[e["step"]] = max(stamps.get(e["step"], 0.0), e["time"])
    steps = sorted(stamps)[-(logs + 1):]
    if len(steps) < 2 or stamps[steps[-1]] <= stamps[steps[0]]:
        return None
    return (steps[-1] - steps[0]) / (stamps[steps[-1]] - stamps[steps[0]])


def remaining_seconds(events: list[dict], total_steps: int, logs: int = 5) -> float | None:
    """Seconds left for a running run at its current speed (None until two logs have times)."""
    rate = recent_rate(events, logs)
    done = max((e["step"] for e in events if e.get("kind", "metrics") == "metrics"), default=0)
    return (total_steps - done) / rate if rate else None


def format_duration(seconds: float) -> str:
    """'45 s', '12 min', '3.5 h': language-neutral units."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
