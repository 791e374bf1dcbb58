"""Where training runs: CUDA, Apple MPS or the CPU, picked automatically by default."""

import os

import torch


def pick_device(name: str = "auto") -> torch.device:
    """'auto' takes CUDA, then MPS, then the CPU. Asking for one that is absent is a ValueError."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for but no CUDA GPU is visible to PyTorch; use --device auto or cpu")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("MPS was asked for but this machine has no Apple GPU; use --device auto or cpu")
    if name not in ("cuda", "mps", "cpu"):
        raise ValueError(f"unknown device {name!r}; allowed: auto, cuda, mps, cpu")
    return torch.device(name)


def free_cores() -> int:
    """Cores this process may use that other processes are not busy on now (at least 1):
    the affinity mask's size minus the 1-minute load average, rounded."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        busy = 0.0
    return max(1, min(cores, round(cores - busy)))


def pick_cpu_threads(limit: int | None = None) -> int:
    """Set and return torch's CPU thread count: never more than the free cores, nor `limit`,
    nor $OMP_NUM_THREADS when set: on busy cores, extra OpenMP threads spin against other
    processes and a step gets several times slower, not faster (lessons/README.md)."""
    n = free_cores()
    for cap in (limit, os.environ.get("OMP_NUM_THREADS")):
        if cap and str(cap).isdigit() and int(cap) > 0:
            n = min(n, int(cap))
    torch.set_num_threads(n)
    return n


def device_label(device: torch.device) -> str:
    """A short human name: 'CUDA (NVIDIA H100 80GB HBM3)', 'Apple MPS', 'CPU (2 threads)'."""
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
