"""`python -m resnet_edu bench`: training speed of this project's loop against a conventional one.

Both are measured in the same process, on the same model and device, one after the other:

- project:      data held on the device as uint8, crop/flip as batched tensor ops, the fast
                path of fastpath.py (channels_last, bf16 where it pays, fused SGD on CUDA),
                one synchronisation at the end of the timed window (the trainer's loop).
- conventional: fp32, NCHW, a torch DataLoader over the images with per-sample crop/flip
                on the host, batches copied to the device each step, plain SGD.

Images are random (speed does not depend on content); what is timed is the whole step:
data, forward, backward, optimizer.
"""

import json
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ..training import fastpath
from ..training.config import RunConfig, model_spec, split_models
from ..data import Split
from ..training.device import device_label, pick_device, synchronize
from .traffic import BANDWIDTH, bytes_per_image

V1_RECIPE_STEPS = 64_000  # v1 §4.2


class HostAugmentedImages(Dataset):
    """The conventional pipeline: one image at a time, padded, cropped, flipped on the host."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, mean, std):
        self.images, self.labels = images, labels
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        img = F.pad(self.images[i], (4, 4, 4, 4))  # (3, 40, 40)
        top, left = torch.randint(0, 9, (2,)).tolist()
        img = img[:, top:top + 32, left:left + 32]
        if torch.rand(()) < 0.5:
            img = img.flip(-1)
        return (img.float() / 255 - self.mean) / self.std, self.labels[i]


def _random_split(n: int, seed: int = 0) -> Split:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return Split(images, labels, tuple(str(i) for i in range(10)), "synthetic", True)  # random pixels; the name picks the normalisation


def _peak_memory(device: torch.device) -> float:
    """MiB: CUDA's peak allocated since the last reset, else the process's peak RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_project(name: str, device: torch.device, batch_size: int, steps: int, warmup: int) -> dict:
    from ..training.trainer import Trainer
    train = _random_split(max(8 * batch_size, 2048))
    config = RunConfig(models=(name,), dataset="synthetic", batch_size=batch_size, steps=warmup + steps,
                       device=device.type, fast=True, milestones=())
    trainer = Trainer(config, data=(train, _random_split(256, seed=1)))
    member = trainer.members[0]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for step in range(1, warmup + steps + 1):
        if step == warmup + 1:
            synchronize(device)
            start = time.perf_counter()
        x, y = trainer.batch(step)
        trainer._train_step(member, x, y, step, probing=False)
    synchronize(device)
    seconds = time.perf_counter() - start
    return _figures(seconds, steps, batch_size, device, fastpath.describe(device, True, member.module))


def time_conventional(name: str, device: torch.device, batch_size: int, steps: int, warmup: int) -> dict:
    train = _random_split(max(8 * batch_size, 2048))
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    # Workers would compete with the model for a laptop's few cores; on a GPU machine they help.
    workers = 4 if device.type == "cuda" else 0
    loader = DataLoader(HostAugmentedImages(train.images, train.labels, mean, std), batch_size=batch_size,
                        shuffle=True, drop_last=True, num_workers=workers, pin_memory=device.type == "cuda",
                        persistent_workers=workers > 0)
    torch.manual_seed(0)
    model = model_spec(name).build().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    done, start = 0, None
    while done < warmup + steps:
        for x, y in loader:
            if done == warmup:
                synchronize(device)
                start = time.perf_counter()
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += 1
            if done == warmup + steps:
                break
    synchronize(device)
    return _figures(time.perf_counter() - start, steps, batch_size, device, "fp32, DataLoader, host crop/flip")


def _figures(seconds: float, steps: int, batch_size: int, device: torch.device, path: str) -> dict:
    ms = seconds / steps * 1000
    return {"images_per_s": batch_size * steps / seconds, "ms_per_step": ms,
            "peak_memory_mib": _peak_memory(device), "path": path,
            "v1_recipe_minutes": V1_RECIPE_STEPS * ms / 60_000}


def _ceiling(device: torch.device, traffic: float) -> float | None:
    """Images/s if the step were bound by memory bandwidth alone (known GPUs only)."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    if "H100" in name:
        key = "H100 PCIe" if "PCIe" in name else "H100 SXM"
    else:
        key = next((k for k in BANDWIDTH if k.split()[0] in name), None)
    return BANDWIDTH[key] / traffic if key else None


def run(models: list[str], device: torch.device, batch_size: int, steps: int, warmup: int,
        progress=None) -> dict:
    results = {}
    for name in models:
        model_spec(name)  # fail early on a bad name
        if progress:
            progress(f"{name}: conventional loop ...")
        conventional = time_conventional(name, device, batch_size, steps, warmup)
        if progress:
            progress(f"{name}: project loop ...")
        project = time_project(name, device, batch_size, steps, warmup)
        traffic = bytes_per_image(model_spec(name).build())
        ceiling = _ceiling(device, traffic)
        results[name] = {**project, "conventional": conventional,
                         "traffic_mb_per_image": traffic / 1e6, "ceiling_images_per_s": ceiling,
                         "speedup": project["images_per_s"] / conventional["images_per_s"],
                         "device": device_label(device), "batch_size": batch_size, "steps": steps,
                         "torch": torch.__version__}
    return results


def main(args) -> int:
    device = pick_device(args.device)
    models = list(split_models(args.models))
    if args.steps < 1 or args.batch_size < 1:
        raise ValueError("--steps and --batch-size must be at least 1")
    say = None if args.json else (lambda s: print(s, file=sys.stderr, flush=True))
    results = run(models, device, args.batch_size, args.steps, args.warmup, say)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"device: {device_label(device)}; batch {args.batch_size}; {args.steps} timed steps after "
          f"{args.warmup} warm-up; torch {torch.__version__}")
    print(f"{'model':14s} {'path':34s} {'images/s':>10s} {'ms/step':>9s} {'peak MiB':>9s} {'64k steps':>10s}")
    if device.type != "cuda":
        print("(peak MiB off CUDA is the whole process's peak resident memory, not one path's)")
    for name, r in results.items():
        for label, f in (("project", r), ("conventional", r["conventional"])):
            print(f"{name:14s} {label + ' (' + f['path'] + ')':34.34s} {f['images_per_s']:10.0f} "
                  f"{f['ms_per_step']:9.1f} {f['peak_memory_mib']:9.0f} {f['v1_recipe_minutes']:8.1f} min")
        print(f"{name:14s} speed-up of the project's loop: {r['speedup']:.2f}x; unfused memory traffic "
              f"{r['traffic_mb_per_image']:.1f} MB/image")
        if r["ceiling_images_per_s"]:
            print(f"{name:14s} memory-bandwidth ceiling {r['ceiling_images_per_s']:,.0f} images/s: the project "
                  f"reaches {r['images_per_s'] / r['ceiling_images_per_s']:.0%} of it")
    return 0
