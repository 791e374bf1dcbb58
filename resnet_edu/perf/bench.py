"""`python -m resnet_edu bench`: training speed of this project's loop against two baselines.

Three loops, measured in the same process on the same model and device, ALTERNATED
(A B C A B C ..., several rounds, medians), so a load that comes and goes hits all alike:

- conventional: fp32, NCHW, a torch DataLoader over the images with per-sample crop/flip
                on the host, batches copied to the device each step, plain SGD.
- two lines:    the same loop + channels_last + bf16 autocast where this project would use
                it ("what two lines give"; on a CPU without bf16 units, channels_last alone).
- project:      the trainer's own step: data on the device as uint8, crop/flip as batched
                tensor ops, the fast path of fastpath.py, no synchronisation inside the step.

Beside the bare step, `trainer_loop` times what a user gets: the real `Trainer.run` with its
logs and evaluations at a preset's intervals (`--loop-preset`), alternated with the bare step
(perf/loop.py), its time from Start to the first finished step, the path it took (CUDA graph,
eager or compiled) and its 64k-step projection. `--batch-size 128,512` sweeps batch sizes;
`--no-graph` and `--compile` switch the path; `--lockstep` times the given models as ONE run
(v1 Fig. 6's nine nets: `--models plain20,...,resnet110 --lockstep`).

`--stacked` adds many-models-as-one: 3 seeds of plain-20 + plain-56 at the quick preset's
widths (8/16/32), batch 64, stepped as two stacks (training/stacked.py) vs one model after
another, alternated. Every model also gets its aten ops per training step counted (the CPU
runs the same op graph as a GPU, where each op is a kernel launch), alone and stacked.

Images are random (speed does not depend on content); what is timed is the whole step:
data, forward, backward, optimizer.
"""

import itertools
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ..training import cpuinfo, fastpath
from ..training.config import PRESETS, RunConfig, model_spec, split_models
from ..data import Split
from ..training.device import device_label, pick_device, synchronize
from .loop import V1_RECIPE_STEPS, TrainerLoop, alternate_with_loop, loop_figures
from .opcount import OpCounter
from .traffic import BANDWIDTH, bytes_per_image


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


class Loop:
    """One way of training: `step()` runs one full training step; `label` says what it is."""

    def __init__(self, label: str, step, path: str):
        self.label, self.step, self.path = label, step, path


def project_loop(name: str, device: torch.device, batch_size: int, **config) -> Loop:
    """The trainer's step, as `Trainer.run` calls it (members stacked where they can be)."""
    from ..training.trainer import Trainer
    train = _random_split(max(8 * batch_size, 2048))
    config = RunConfig(**{**dict(models=(name,), dataset="synthetic", batch_size=batch_size, steps=10**7,
                                 device=device.type, fast=True, milestones=()), **config})
    trainer = Trainer(config, data=(train, _random_split(64, seed=1)))
    active = list(trainer.members)

    def step():
        trainer.step += 1
        trainer._step_all(active, trainer.step, probing=False)
    member = trainer.members[0]
    parts = ["CUDA graph" if trainer.graph_mode else "",
             "compiled" if trainer.config.compile and device.type == "cuda" else "",
             "channels_last" if trainer.channels_last else "",
             "bf16 autocast" if member.bf16 else "",
             "fused SGD" if device.type == "cuda" and not trainer.graph_mode else
             "foreach SGD" if trainer.graph_mode else "",
             "stacked" if trainer.stacks else ""]
    loop = Loop("project", step, ", ".join(p for p in parts if p) or "fp32")
    loop.trainer = trainer
    return loop


def conventional_loop(name: str, device: torch.device, batch_size: int, two_lines: bool = False) -> Loop:
    """A DataLoader loop; `two_lines`: + channels_last + bf16 autocast (where the project uses bf16)."""
    train = _random_split(max(8 * batch_size, 2048))
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    # Workers would compete with the model for a laptop's few cores; on a GPU machine they help.
    workers = 4 if device.type == "cuda" else 0
    loader = DataLoader(HostAugmentedImages(train.images, train.labels, mean, std), batch_size=batch_size,
                        shuffle=True, drop_last=True, num_workers=workers, pin_memory=device.type == "cuda",
                        persistent_workers=workers > 0)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    torch.manual_seed(0)
    model = model_spec(name).build().to(device)
    cl = two_lines and fastpath.uses_channels_last(device, True, [model])
    layout = torch.channels_last if cl else torch.contiguous_format
    bf16 = two_lines and fastpath.uses_bf16(device, True, model)
    model = model.to(memory_format=layout)  # line 1
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

    def step():
        x, y = next(batches)
        x = x.to(device, non_blocking=True).contiguous(memory_format=layout)
        y = y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):  # line 2
            loss = F.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if not two_lines:
        return Loop("conventional", step, "fp32, DataLoader, host crop/flip")
    return Loop("two lines", step, "conventional" + (" + channels_last" if cl else "") + (" + bf16 autocast" if bf16 else ""))


def alternate(loops: list[Loop], device: torch.device, steps: int, warmup: int, rounds: int) -> dict[str, list]:
    """ms per step of each loop, per round: A B C A B C ... (`steps` timed steps per loop and round)."""
    for loop in loops:
        for _ in range(warmup):
            loop.step()
    times = {loop.label: [] for loop in loops}
    for _ in range(rounds):
        for loop in loops:
            synchronize(device)
            start = time.perf_counter()
            for _ in range(steps):
                loop.step()
            synchronize(device)
            times[loop.label].append((time.perf_counter() - start) / steps * 1000)
    return times


def count_ops(loop: Loop, per: int = 1) -> dict:
    """aten ops of one training step (after warm-up), divided by `per` models."""
    with OpCounter() as ops:
        loop.step()
    return {"ops": ops.total / per, "kernels": ops.kernels / per,
            **{k: v / per for k, v in ops.kinds().items()}}


def normalize_from_lists_ops() -> int:
    """The ops `normalize` adds when mean/std are Python lists (the trainer's step before they were hoisted)."""
    from ..data import normalize
    x, mean, std = torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1)
    with OpCounter() as hoisted:
        normalize(x, mean, std)
    with OpCounter() as lists:
        normalize(x, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    return lists.total - hoisted.total  # on CUDA each of these is a blocking host->device copy


def run(models: list[str], device: torch.device, batch_size: int, steps: int, warmup: int,
        progress=None, rounds: int = 5, loop_preset: str | None = "classroom", **switches) -> dict:
    """Per model: the three loops alternated, then the trainer loop against the bare step.

    switches: RunConfig fields for the project's loops (graph=False, compile=True, precision=...).
    loop_preset None: no trainer loop.
    """
    results = {}
    for name in models:
        model_spec(name)  # fail early on a bad name
        if progress:
            progress(f"{name}: three loops, {rounds} rounds of {steps} steps each, alternated ...")
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        loops = [conventional_loop(name, device, batch_size), conventional_loop(name, device, batch_size, True),
                 project_loop(name, device, batch_size, **switches)]
        times = alternate(loops, device, steps, warmup, rounds)
        figures = {loop.label: _figures(statistics.median(times[loop.label]) / 1000 * steps, steps, batch_size,
                                        device, loop.path) for loop in loops}
        traffic = bytes_per_image(model_spec(name).build())
        ceiling = _ceiling(device, traffic)
        project = figures["project"]
        results[name] = {**project, "conventional": figures["conventional"], "two_lines": figures["two lines"],
                         "rounds_ms": times, "ops_per_step": count_ops(loops[2]),
                         "ops_per_step_two_lines": count_ops(loops[1]),
                         "traffic_mb_per_image": traffic / 1e6, "ceiling_images_per_s": ceiling,
                         "speedup": project["images_per_s"] / figures["conventional"]["images_per_s"],
                         "speedup_vs_two_lines": project["images_per_s"] / figures["two lines"]["images_per_s"],
                         "device": device_label(device), "batch_size": batch_size, "steps": steps,
                         "rounds": rounds, "torch": torch.__version__}
        if loop_preset:
            if progress:
                progress(f"{name}: the trainer loop ({loop_preset} intervals) against the bare step ...")
            results[name]["trainer_loop"] = run_loop([name], device, batch_size, steps, warmup, rounds,
                                                     loop_preset, bare=loops[2], **switches)
    return results


def run_loop(models: list[str], device: torch.device, batch_size: int, steps: int, warmup: int, rounds: int,
             loop_preset: str, bare: Loop | None = None, **switches) -> dict:
    """The real Trainer.run over `models` in lockstep, alternated with the bare step of the same models."""
    extra = dict(models=tuple(models), **switches)
    bare = bare or project_loop(models[0], device, batch_size, **extra)
    loop = TrainerLoop(tuple(models), device, batch_size, loop_preset, _random_split, **switches)
    timed = alternate_with_loop(bare, loop, device, steps, warmup, rounds)
    traffic = sum(bytes_per_image(model_spec(m).build()) for m in models)
    ceiling = _ceiling(device, traffic)
    figures = loop_figures(loop, timed, batch_size, ceiling, members=len(loop.trainer.members))
    figures.update(models=list(models), members=len(loop.trainer.members), preset=loop_preset,
                   units=len(loop.trainer._units) if loop.trainer._units is not None else None,
                   device=device_label(device), batch_size=batch_size, torch=torch.__version__)
    return figures


STACKED_MODELS, STACKED_SEEDS, STACKED_WIDTHS, STACKED_BATCH = ("plain20", "plain56"), (0, 1, 2), (8, 16, 32), 64


def run_stacked(device: torch.device, steps: int, warmup: int, rounds: int, progress=None) -> dict:
    """3 seeds of plain-20 + plain-56 (quick-preset widths, batch 64): two stacks vs six models one by one."""
    if progress:
        progress(f"stacked: {len(STACKED_SEEDS)} seeds of {', '.join(STACKED_MODELS)}, stacked vs one by one ...")
    common = dict(models=STACKED_MODELS, seeds=STACKED_SEEDS, widths=STACKED_WIDTHS)
    stacked = project_loop(STACKED_MODELS[0], device, STACKED_BATCH, **common, stack=True)
    alone = project_loop(STACKED_MODELS[0], device, STACKED_BATCH, **common, stack=False)
    stacked.label, alone.label = "stacked", "one by one"
    times = alternate([stacked, alone], device, steps, warmup, rounds)
    ms = {k: statistics.median(v) for k, v in times.items()}
    n = len(STACKED_MODELS) * len(STACKED_SEEDS)
    ops = {}
    for name in STACKED_MODELS:  # per model: one net of the stack's S, and the same net alone
        single = project_loop(name, device, STACKED_BATCH, models=(name,), seeds=STACKED_SEEDS,
                              widths=STACKED_WIDTHS, stack=False)
        group = project_loop(name, device, STACKED_BATCH, models=(name,), seeds=STACKED_SEEDS,
                             widths=STACKED_WIDTHS, stack=True)
        for loop in (single, group):
            loop.step()
        ops[name] = {"alone": count_ops(single, len(STACKED_SEEDS)), "stacked": count_ops(group, len(STACKED_SEEDS))}
    return {"models": list(STACKED_MODELS), "seeds": list(STACKED_SEEDS), "widths": list(STACKED_WIDTHS),
            "batch_size": STACKED_BATCH, "members": n, "ms_per_step": ms, "rounds_ms": times,
            "speedup": ms["one by one"] / ms["stacked"], "ops_per_step_per_model": ops,
            "normalize_from_lists_ops": normalize_from_lists_ops(), "device": device_label(device)}


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


def batch_sizes(text) -> list[int]:
    """'128' or '128,256,512' -> [128, 256, 512] (each 1 to 4,096, at most 8)."""
    try:
        sizes = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--batch-size {text!r} must be a number or numbers with commas, e.g. 128,512") from None
    if not sizes or len(sizes) > 8 or any(not 1 <= b <= 4_096 for b in sizes):
        raise ValueError("--batch-size takes 1 to 8 sizes, each from 1 to 4,096")
    return sizes


def main(args) -> int:
    device = pick_device(args.device)
    models = list(split_models(args.models))
    rounds = getattr(args, "rounds", 5)
    sizes = batch_sizes(args.batch_size)
    if args.steps < 1 or rounds < 1 or args.warmup < 0:
        raise ValueError("--steps and --rounds must be at least 1, --warmup at least 0")
    if args.steps * rounds > 10_000:
        raise ValueError("--steps x --rounds is at most 10,000")
    switches = {}
    if getattr(args, "no_graph", False):
        switches["graph"] = False
    if getattr(args, "compile", False):
        switches["compile"] = True
    if getattr(args, "precision", None):
        switches["precision"] = args.precision
    # The preset a user of this device runs: classroom on a GPU, quick on a CPU (its logs come every
    # 10 steps, so a short bench stays short); "none" skips the trainer loop.
    loop_preset = getattr(args, "loop_preset", None) or ("classroom" if device.type == "cuda" else "quick")
    if loop_preset == "none":
        loop_preset = None
    elif loop_preset not in PRESETS:
        raise ValueError(f"unknown --loop-preset {loop_preset!r}; allowed: {', '.join(PRESETS)}, none")
    if loop_preset is None and getattr(args, "lockstep", False):
        raise ValueError("--lockstep times the trainer loop: give a --loop-preset, not none")
    say = None if args.json else (lambda s: print(s, file=sys.stderr, flush=True))
    results = {}
    for i, size in enumerate(sizes):
        suffix = "" if i == 0 else f"@batch{size}"
        if getattr(args, "lockstep", False) and models:
            if say:
                say(f"lockstep: {len(models)} models in one run, batch {size} ...")
            results["lockstep" + suffix] = run_loop(models, device, size, args.steps, args.warmup, rounds,
                                                    loop_preset, **switches)
        elif models:
            for name, r in run(models, device, size, args.steps, args.warmup, say, rounds, loop_preset,
                               **switches).items():
                results[name + suffix] = r
    if getattr(args, "stacked", False):
        results["stacked"] = run_stacked(device, args.steps, args.warmup, rounds, say)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"device: {device_label(device)}; cpu: {cpu_model()}; torch {torch.__version__}")
    print(f"{'batch ' + str(args.batch_size) + '; ' if models else ''}{rounds} rounds of {args.steps} timed "
          f"steps per loop, alternated, after {args.warmup} warm-up steps; medians")
    if device.type != "cuda":
        print("(peak MiB off CUDA is the whole process's peak resident memory, not one path's)")
    for name, r in results.items():
        if name.startswith("lockstep"):
            _print_loop(name, r)
            continue
        if name == "stacked":
            continue
        print(f"{'model':12s} {'loop':56s} {'images/s':>9s} {'ms/step':>8s} {'64k steps':>10s}")
        for label, f in (("conventional", r["conventional"]), ("two lines", r["two_lines"]), ("project", r)):
            print(f"{name:12s} {(label + ' (' + f['path'] + ')'):56.56s} {f['images_per_s']:9.0f} "
                  f"{f['ms_per_step']:8.1f} {f['v1_recipe_minutes']:7.1f} min")
        print(f"{name:12s} project vs conventional: {r['speedup']:.2f}x; vs two lines: "
              f"{r['speedup_vs_two_lines']:.2f}x")
        o, t = r["ops_per_step"], r["ops_per_step_two_lines"]
        print(f"{name:12s} aten ops per training step: project {o['ops']:.0f} ({o['kernels']:.0f} launching work; "
              f"{o['cast']:.0f} casts, {o['bn_counter']:.0f} BN counters, {o['from_python']:.0f} tensors from "
              f"Python data, {o['sync']:.0f} syncs); two lines {t['ops']:.0f} ({t['cast']:.0f} casts)")
        print(f"{name:12s} unfused memory traffic {r['traffic_mb_per_image']:.1f} MB/image")
        if r["ceiling_images_per_s"]:
            print(f"{name:12s} memory-bandwidth ceiling {r['ceiling_images_per_s']:,.0f} images/s: the project "
                  f"reaches {r['images_per_s'] / r['ceiling_images_per_s']:.0%} of it")
        if "trainer_loop" in r:
            _print_loop(name, r["trainer_loop"])
    if "stacked" in results:
        r = results["stacked"]
        ms = r["ms_per_step"]
        print(f"stacked: {len(r['seeds'])} seeds x {', '.join(r['models'])} (widths {r['widths']}, batch "
              f"{r['batch_size']}), {r['members']} models per step: stacked {ms['stacked']:.0f} ms, one by one "
              f"{ms['one by one']:.0f} ms: {r['speedup']:.2f}x")
        for name, o in r["ops_per_step_per_model"].items():
            a, s = o["alone"], o["stacked"]
            print(f"stacked: {name} aten ops per step per model: alone {a['ops']:.0f} ({a['kernels']:.0f} launching "
                  f"work, {a['bn_counter']:.0f} BN counters), stacked {s['ops']:.0f} ({s['kernels']:.0f}, "
                  f"{s['bn_counter']:.0f})")
        print(f"normalize with Python-list mean/std adds {r['normalize_from_lists_ops']} ops per batch (tensors "
              f"from Python data: on CUDA blocking host->device copies); the trainer hoists them to the device once")
    return 0


def _print_loop(name: str, r: dict) -> None:
    first = f"{r['first_step_s']:.1f} s" if r["first_step_s"] is not None else "?"
    print(f"{name:12s} trainer loop ({r['path']}, {r['precision']}; logs every {r['log_every']}, evaluations every "
          f"{r['eval_every']} on {r['test_images']:,} images, {r['evaluations_timed']} timed): "
          f"{r['images_per_s']:,.0f} images/s per model, {r['of_bare_step']:.0%} of the bare step "
          f"({r['ms_per_step']:.1f} vs {r['bare_step_ms']:.1f} ms); first step {first} after Start; "
          f"64k steps {r['v1_recipe_minutes']:.1f} min")
    if r.get("members", 1) > 1:
        units = f", {r['units']} captured units" if r["units"] else ""
        print(f"{name:12s} {r['members']} models in lockstep{units}: "
              f"{r['images_per_s_all_members']:,.0f} images/s summed over the models")
    for note in r["notes"]:
        print(f"{name:12s} note: {note}")


def cpu_model() -> str:
    """The processor's name as the machine reports it (Linux /proc/cpuinfo), and its bf16 units."""
    name = cpuinfo.model_name()
    units = "bf16 units (AMX or AVX512-BF16)" if fastpath.cpu_has_bf16_units() else "no bf16 units"
    return f"{name}, {units}"
