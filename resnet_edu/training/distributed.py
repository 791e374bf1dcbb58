"""Beyond one device: data-parallel training through PyTorch's own engine (torchrun + DDP).

    torchrun --nproc-per-node=4 -m resnet_edu train --preset paper --models resnet110

torchrun starts one process per device and sets RANK / WORLD_SIZE / LOCAL_RANK; each
process builds the same models from the same seed, takes its 1/N share of every batch
(the paper's 128 split as 4 × 32), and DistributedDataParallel averages the gradients, so
the weights stay identical on every rank. BN normalises over each rank's share unless
`sync_bn` (CUDA only: nn.SyncBatchNorm) makes it the whole batch again, as in v1 §4.2.
Rank 0 alone writes the run store and checkpoints; every rank reads a checkpoint to resume.
Backend: NCCL on GPUs, gloo on CPUs. Without torchrun this is a world of one, and a no-op.
"""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_writer(self) -> bool:
        """Rank 0 writes the run store, the checkpoints and the metrics; the others only train."""
        return self.rank == 0

    def shard(self, t: torch.Tensor) -> torch.Tensor:
        """This rank's share of a global batch: rows rank, rank + size, ... ((B, ...) -> (B/size, ...))."""
        return t if self.size == 1 else t[self.rank::self.size]

    def wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        """DistributedDataParallel around `model` in a world of several; the model itself otherwise."""
        if self.size == 1:
            return model
        ids = [device.index if device.index is not None else self.local_rank] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def mean_(self, *tensors: torch.Tensor) -> None:
        """Average tensors over the ranks, in place (metrics at log steps, so every rank decides alike)."""
        if self.size == 1:
            return
        for t in tensors:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
            t /= self.size


def launched() -> bool:
    """Started by torchrun (or any launcher that sets WORLD_SIZE > 1)?"""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def current() -> World:
    """The world this process trains in: joined on first use when torchrun started it."""
    if not launched():
        return World()
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend)
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def rank_device(world: World, device: torch.device) -> torch.device:
    """Each rank's device: its own GPU (cuda:LOCAL_RANK) in a world of several; `device` otherwise."""
    if world.size > 1 and device.type == "cuda":
        return torch.device("cuda", world.local_rank)
    return device


def sync_batchnorm(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    """BN over the whole global batch (nn.SyncBatchNorm); CUDA only, as PyTorch implements it."""
    if world.size == 1:
        return model
    if device.type != "cuda":
        raise ValueError("synchronised BN (--sync-bn) needs CUDA GPUs; on CPUs each rank normalises its own share")
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)


def finish() -> None:
    """Leave the process group (at the end of a torchrun run)."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
