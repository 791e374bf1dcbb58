"""One training loop that steps several models in lockstep on the same batches.

Every model sees the same images in the same order with the same crops and flips, so a
plain and a residual net differ only by their shortcuts (v1 Fig. 6's comparison, made fair).

    for event in train(preset("quick", dataset="synthetic")):
        print(event)

The loop yields `Metrics` every `log_every` steps (the only time it waits for the device, but
once after the first step, to time it)
and `Status` events when a model diverges or the run ends. It never prints or plots.
"""

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import budget, checkpoint, distributed, fastpath, graphstep, stacked
from .config import RunConfig, model_spec, resolve_precision
from ..data import Split, dataset_mean_std, load_dataset, normalize, random_crop, random_flip
from ..data.augment import per_channel
from .device import pick_device, synchronize
from .events import Metrics, Status
from .probes import Probe

STOP_FILE = "stop"  # in run_dir: a stop request from another process (the run store writes it)
STOP_CHECK_S = 0.5  # how often the loop looks for it: one stat, about a microsecond


# Test images per evaluation batch. On CUDA an eager forward is launch-bound, so fewer, larger
# batches: 5,000 makes CIFAR-10's test set two passes (ResNet-110's largest fp32 activation at
# 5,000 images: 5,000 x 16 x 32 x 32 x 4 B = 328 MB). Chosen for that reason, not measured on a GPU.
EVAL_BATCH = {"cuda": 5_000, "cpu": 1_000, "mps": 1_000}


@dataclass
class Member:
    """One model of the run and its training state."""

    name: str
    model: nn.Module  # the module to call (maybe compiled)
    module: nn.Module  # the underlying nn.Module, for state dicts and probes
    optimizer: torch.optim.Optimizer
    warmup: bool  # still at warmup_lr (v1 §4.2: until training error < 80%; v2: 400 iterations)
    depth: int
    status: str = "running"
    loss_sum: torch.Tensor = None  # on the device, summed since the last log
    err_sum: torch.Tensor = None
    probe: Probe | None = None
    last_logged: int = 0  # the step of the last Metrics event
    bf16: bool = False  # bf16 autocast for this model's training steps (config.precision)
    warmup_rule: str | None = None  # "v1", "v2" or None: RunConfig.warmup_for
    seed: int = 0  # its init and its data order (RunConfig.seeds: several per run)
    spec: object = None  # its ModelSpec (stacked.py groups members by it)


class Trainer:
    """Holds the data on the device and the models; `run()` is the loop."""

    def __init__(self, config: RunConfig, *, run_dir: str | Path | None = None,
                 data: tuple[Split, Split] | None = None, resume: bool = False):
        self.started_at = time.perf_counter()  # "Start": first_step_s counts from here
        self.first_step_s: float | None = None  # Start to the first finished step (bench, the app)
        config.validate()
        config = resolve_precision(config)  # "auto" -> what this machine trains in; the checkpoint records it
        self.config, self.run_dir = config, Path(run_dir) if run_dir else None
        self.world = distributed.current()  # a world of one unless torchrun started this process
        self.device = distributed.rank_device(self.world, pick_device(config.device))
        if config.batch_size % self.world.size:
            raise ValueError(f"batch size {config.batch_size} does not split evenly over {self.world.size} processes")
        self._stop = threading.Event()
        budget.check(config, self.device)  # before any net or data is built: one line, not an allocator traceback

        train, test = data if data is not None else load_dataset(config.dataset, config.data_dir)
        if config.validation:  # v1 §4.2: 45k/5k split; the 5k play the role of the test set
            from ..data import train_val_split
            train, test = train_val_split(train, seed=config.seed)
        if config.train_size:
            train = train.subset(config.train_size)
        if config.test_size:
            test = test.subset(config.test_size)
        if len(train) < config.batch_size:
            raise ValueError(f"batch size {config.batch_size} is larger than the {len(train)} training images")
        self.dataset_name = train.name
        self.synthetic = train.synthetic
        # Data lives on the device as uint8 (N, 3, 32, 32); normalised per batch, once.
        self.train_images = train.images.to(self.device)
        self.train_labels = train.labels.to(self.device)
        # Fixed per-dataset constants (not this subset's), so a checkpoint means the same anywhere.
        # On the device once: a Python list would be copied host->device in every step.
        self.mean, self.std = (per_channel(v, self.device) for v in dataset_mean_std(train.name))
        self.test_x = normalize(test.images.to(self.device), self.mean, self.std)
        self.test_y = test.labels.to(self.device)
        self.steps_per_epoch = len(train) // config.batch_size  # the last partial batch is dropped

        self.members: list[Member] = []
        built = []
        for name, entry, seed in config.members():
            spec = model_spec(entry, config.widths)
            torch.manual_seed(seed)  # every model of a seed starts from that seed
            built.append((name, entry, seed, spec, spec.build()))
        # One input layout for the run: every model sees the same batches.
        self.channels_last = fastpath.uses_channels_last(self.device, config.fast, [b[-1] for b in built])
        self.test_x = fastpath.prepare_input(self.test_x, self.channels_last)
        for name, entry, seed, spec, module in built:
            module = fastpath.prepare_model(module, self.device, config.fast, channels_last=self.channels_last)
            if config.sync_bn:
                module = distributed.sync_batchnorm(module, self.world, self.device)
            parallel = self.world.wrap(module, self.device)  # DDP: gradients averaged over the ranks
            # torch.compile goes around DDP (PyTorch's documented order; the compile trial's backward
            # then all-reduces on every rank alike).
            compiled = fastpath.prepare_model(parallel, self.device, config.fast, config.compile,
                                              channels_last=self.channels_last) \
                if config.compile else parallel
            opt = fastpath.make_optimizer(module, config.lr, config.momentum, config.weight_decay,
                                          self.device, config.fast)
            rule = config.warmup_for(entry)
            self.members.append(Member(name, compiled, module, opt, rule is not None, spec.depth,
                                       loss_sum=torch.zeros((), device=self.device),
                                       err_sum=torch.zeros((), device=self.device),
                                       bf16=config.precision == "bf16", warmup_rule=rule, seed=seed, spec=spec))
        # Same-architecture v1 nets (seeds of a band, plain-N beside ResNet-N) step as one computation.
        stack = config.stack and not config.compile and self.world.size == 1
        self.stacks = stacked.plan(self.members, config) if stack else []
        self.step = 0
        self._epoch_perm: dict[int, tuple[int, torch.Tensor]] = {}  # seed -> (epoch, permutation)
        self._gen = torch.Generator(device=self.device)
        self._setup_graph()
        if resume:
            self._load(self.checkpoint_path)

    def _setup_graph(self) -> None:
        """Decide the graph path (graphstep.py); its units are built at the first step that uses them."""
        cfg, self.notes = self.config, []  # notes: said once each, as Status messages
        auto = cfg.graph is None
        wanted = (self.device.type == "cuda") if auto else cfg.graph
        self.graph_mode = bool(wanted) and not cfg.compile and self.world.size == 1 and \
            graphstep.capturable(self.device)
        if cfg.graph and not self.graph_mode:
            why = ("torch.compile makes its own graphs" if cfg.compile else
                   "under torchrun the step stays eager" if self.world.size > 1 else
                   f"CUDA graphs need CUDA and this run is on {self.device.type}")
            self.notes.append(f"graph step asked for, but {why}: this run trains eagerly")
        self.path = "graph" if self.graph_mode else "compiled" if cfg.compile and self.device.type == "cuda" \
            else "eager"
        self._units: list[graphstep.CapturedStep] | None = None
        self._probe_noted = False

    # -- control ------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Finish the current step, save, and end the run with status 'stopped'."""
        self._stop.set()

    def _stop_file_seen(self) -> bool:
        """A stop request in the run folder (the Runs page of any server, for a run the CLI trains)."""
        if self.run_dir is None or time.monotonic() < getattr(self, "_next_stop_check", 0.0):
            return False
        self._next_stop_check = time.monotonic() + STOP_CHECK_S
        return (self.run_dir / STOP_FILE).exists()

    @property
    def checkpoint_path(self) -> Path:
        if self.run_dir is None:
            raise ValueError("this trainer has no run_dir, so it keeps no checkpoint")
        return self.run_dir / "checkpoint.pt"

    # -- data ---------------------------------------------------------------------------
    def batch(self, step: int, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Step `step`'s (normalised, augmented) images and labels: a pure function of (seed, step)."""
        cfg = self.config
        seed = cfg.seed if seed is None else seed
        idx = self.batch_indices(step, seed)
        x, y = self.train_images[idx], self.train_labels[idx]  # (B, 3, 32, 32) uint8, (B,)
        if cfg.augment:
            self._gen.manual_seed(seed * 7_919 + step * 104_729 + 1)
            x = random_flip(random_crop(x, self._gen, padding=4), self._gen)
        x, y = self.world.shard(x), self.world.shard(y)  # under torchrun: this rank's share of the batch
        x = normalize(x, self.mean, self.std)
        return fastpath.prepare_input(x, self.channels_last), y

    def batch_indices(self, step: int, seed: int) -> torch.Tensor:
        """(B,) int64 on the device: which training images step `step` takes (a new order each epoch)."""
        cfg, n = self.config, self.steps_per_epoch
        epoch, i = divmod(step - 1, n)
        if seed not in self._epoch_perm or self._epoch_perm[seed][0] != epoch:
            self._gen.manual_seed(seed * 1_000_003 + epoch)
            perm = torch.randperm(len(self.train_labels), generator=self._gen, device=self.device)
            self._epoch_perm[seed] = (epoch, perm)
        return self._epoch_perm[seed][1][i * cfg.batch_size:(i + 1) * cfg.batch_size]

    def lr(self, member: Member, step: int) -> float:
        """v1 §4.2: 0.1, ÷10 at each milestone; warm-up models start at warmup_lr."""
        cfg = self.config
        warm = member.warmup if member.warmup_rule != "v2" else step <= cfg.warmup_steps  # v2: fixed length
        base = cfg.warmup_lr if warm else cfg.lr
        return base * 0.1 ** sum(step > m for m in cfg.milestones)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> Iterator[Metrics | Status]:
        cfg = self.config
        active = [m for m in self.members if m.status == "running"]
        yield Status("*", self.step, "running", f"{len(active)} model(s) on {self.device.type}")
        yield from self._say_notes()
        window_start, window_steps = time.perf_counter(), 0
        stopped = False
        self._saved_at = time.monotonic()
        try:
            while self.step < cfg.steps and active:
                if self._stop.is_set() or self._stop_file_seen():
                    stopped = True
                    break
                step = self.step + 1
                probing = cfg.probe_every > 0 and (step % cfg.probe_every == 0 or step == 1)
                self._step_all(active, step, probing)
                self.step, window_steps = step, window_steps + 1
                if self.first_step_s is None:  # one sync, once: when the first step is really done
                    synchronize(self.device)
                    self.first_step_s = time.perf_counter() - self.started_at
                yield from self._say_notes()

                last = step == cfg.steps
                evaluate = False
                if step % cfg.log_every == 0 or last or probing:
                    stacked.sync(self.stacks)  # the members' modules and loss sums are the record
                    synchronize(self.device)
                    now = time.perf_counter()
                    rate = window_steps * cfg.batch_size / max(now - window_start, 1e-9)
                    evaluate = (step % cfg.eval_every == 0 or last) and self.world.is_writer
                    errors = self.evaluate_all(active) if evaluate else {}
                    sums = self._read_sums(active)  # one host sync for every member's loss and error
                    for m in list(active):
                        yield from self._log(m, step, rate, errors.get(m.name), probing, *sums[m.name])
                        if m.status != "running":
                            active.remove(m)
                    for unit in self._units or ():
                        unit.unit.schedule.refresh(unit.unit.members)  # warm-ups that ended, divergence
                    window_start, window_steps = time.perf_counter(), 0
                if self.run_dir and not last and self._checkpoint_due(step, evaluate):
                    self.save()
        except KeyboardInterrupt:  # a second Ctrl-C: stop now, still keep what was done
            stopped = True
        finally:
            stacked.sync(self.stacks)
            for m in self.members:
                if m.probe is not None:
                    m.probe.__exit__(None, None, None)
                    m.probe = None
        for m in active:
            if not stopped:
                m.status = "done"
                yield Status(m.name, self.step, "done", "")
        if self.run_dir:
            self.save()
        # The truth for the run as a whole: all diverged is not "done"; name the ones that did.
        diverged = [m.name for m in self.members if m.status == "diverged"]
        final = "stopped" if stopped else "diverged" if len(diverged) == len(self.members) else "done"
        notes = ([f"stopped at step {self.step} of {cfg.steps}"] if stopped else []) + \
            ([f"diverged: {', '.join(diverged)}"] if diverged else [])
        yield Status("*", self.step, final, "; ".join(notes))

    def _checkpoint_due(self, step: int, evaluated: bool) -> bool:
        """Every `checkpoint_every` steps, at every evaluation, and every `checkpoint_seconds` of training."""
        cfg = self.config
        return bool((cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or evaluated or
                    (cfg.checkpoint_seconds and time.monotonic() - self._saved_at >= cfg.checkpoint_seconds))

    def _say_notes(self):
        for unit in self._units or ():
            if unit.note:
                self.notes.append(unit.note)
                unit.note = None
        while self.notes:
            yield Status("*", self.step, "running", self.notes.pop(0))

    def _step_all(self, active: list[Member], step: int, probing: bool) -> None:
        """One step of every active model: stacked groups as one computation, the rest one by one."""
        if self.graph_mode and not probing:
            self._graph_step(active, step)
            return
        if self.graph_mode and not self._probe_noted:
            self._probe_noted = True
            self.notes.append("probe steps run eagerly (probes hook the modules), the others as CUDA graphs")
        batches = {s: self.batch(step, s) for s in dict.fromkeys(m.seed for m in active)}
        alone = active
        if probing:  # probes hook the members' own modules: step them alone, reload the stacks after
            stacked.sync(self.stacks, invalidate=True)
        else:
            alone = stacked.step(self.stacks, active, batches, lambda m: self.lr(m, step))
        for m in alone:
            self._train_step(m, *batches[m.seed], step, probing)

    def _graph_step(self, active: list[Member], step: int) -> None:
        """Every unit's whole step (graphstep.py): static indices and step counter in, replays out."""
        if self._units is None:
            self._build_units(step)
        for seed, buf in self._indices.items():
            buf.copy_(self.batch_indices(step, seed))  # device to device: no host data, no sync
        self._step_t.fill_(step)  # a fill kernel with the step as its argument: no copy
        running = {id(m) for m in active}
        paths = set()
        for unit in self._units:
            if any(id(m) in running for m in unit.unit.members):
                paths.add(unit())
        self.path = "graph" if paths == {"graph"} else "eager" if paths == {"eager"} else "graph and eager"

    def _build_units(self, step: int) -> None:
        """One unit per stacked group and per member alone, all reading the same static inputs."""
        cfg = self.config
        self._indices = {s: torch.zeros(cfg.batch_size, dtype=torch.long, device=self.device)
                         for s in dict.fromkeys(m.seed for m in self.members)}
        self._step_t = torch.zeros((), device=self.device)
        data = {"images": self.train_images, "labels": self.train_labels, "mean": self.mean, "std": self.std,
                "channels_last": self.channels_last}
        grouped = {id(m) for g in self.stacks for m in g.members}
        parts = [(g.members, g) for g in self.stacks] + [([m], None) for m in self.members if id(m) not in grouped]
        self._units = [graphstep.CapturedStep(graphstep.UnitStep(members, group, data, self._indices,
                                                                 self._step_t, cfg, step))
                       for members, group in parts]

    def _train_step(self, m: Member, x: torch.Tensor, y: torch.Tensor, step: int, probing: bool) -> None:
        lr = self.lr(m, step)
        for group in m.optimizer.param_groups:
            group["lr"] = lr
        if probing:
            if m.probe is None:
                m.probe = Probe(m.module).__enter__()
            m.probe.arm()
        with fastpath.autocast(self.device, m.bf16):
            logits = m.model(x)  # (B, 10)
            loss = F.cross_entropy(logits.float(), y)
        m.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if probing:
            m.probe.before_update()
        m.optimizer.step()
        m.loss_sum += loss.detach()
        m.err_sum += (logits.detach().argmax(dim=1) != y).float().mean()

    def _read_sums(self, members: list[Member]) -> dict[str, tuple[float, float]]:
        """Each member's (loss sum, error sum) since its last log, averaged over the ranks, read at once."""
        tensors = [t for m in members for t in (m.loss_sum, m.err_sum)]
        self.world.mean_(*tensors)  # over the ranks: every rank ends its warm-up alike
        values = torch.stack(tensors).tolist()
        return {m.name: (values[2 * i], values[2 * i + 1]) for i, m in enumerate(members)}

    def _log(self, m: Member, step: int, rate: float, test_error: float | None, probing: bool,
             loss_sum: float, err_sum: float):
        cfg = self.config
        steps = step - m.last_logged
        loss = loss_sum / steps
        err = err_sum / steps
        m.last_logged = step
        m.loss_sum.zero_()
        m.err_sum.zero_()
        if not math.isfinite(loss):
            m.status = "diverged"
            yield Status(m.name, step, "diverged",
                         f"{m.name}: the loss became {loss} at step {step}; this model stops, the others go on")
            return
        if m.warmup and m.warmup_rule == "v2":
            m.warmup = step < cfg.warmup_steps  # v2 appendix: lr 0.01 for the first 400 iterations
        elif m.warmup and (err < cfg.warmup_until or (cfg.warmup_max_steps and step >= cfg.warmup_max_steps)):
            # v1 §4.2: back to lr 0.1 once training error is below 80% ("about 400 iterations");
            # a short preset caps the warm-up so a hard dataset cannot keep it at 0.01 for good.
            m.warmup = False
        probes = m.probe.read(step).to_dict() if probing and m.probe is not None else None
        yield Metrics(m.name, step, step / self.steps_per_epoch, self.lr(m, step), loss, err, rate,
                      test_error, probes)

    def evaluate_all(self, members: list[Member]) -> dict[str, float]:
        """Test error of each member, with ONE host sync for all of them (not one per batch or model)."""
        if not members:
            return {}
        wrong = torch.stack([self._wrong(m) for m in members]).tolist()
        return {m.name: w / len(self.test_y) for m, w in zip(members, wrong)}

    def evaluate(self, m: Member, batch_size: int | None = None) -> float:
        """Test error (fraction) of one member; see _wrong."""
        return self._wrong(m, batch_size).item() / len(self.test_y)

    @torch.no_grad()
    def _wrong(self, m: Member, batch_size: int | None = None) -> torch.Tensor:
        """Wrong test predictions, counted on the device, in eval mode (BN uses its running statistics),
        always in fp32, with no host sync (the caller reads the count).

        No autocast here, whatever the training precision: bf16 flips test predictions (the
        peer's ResNet-56 on 1,017 real test images: 92.92 % in bf16, 92.72 % in fp32).
        """
        batch_size = batch_size or EVAL_BATCH.get(self.device.type, 1_000)
        m.module.eval()
        wrong = torch.zeros((), device=self.device)
        with fastpath.fp32_eval():  # and no TF32 on CUDA
            for i in range(0, len(self.test_y), batch_size):
                logits = m.module(self.test_x[i:i + batch_size])  # (B, 10) fp32; eager: no second compiled graph
                wrong += (logits.argmax(dim=1) != self.test_y[i:i + batch_size]).sum()
        m.module.train()
        return wrong  # () on the device: the caller syncs once

    # -- checkpoints ------------------------------------------------------------------------
    def save(self) -> Path:
        stacked.sync(self.stacks)
        if not self.world.is_writer:  # under torchrun rank 0 alone writes; the weights are the same
            return self.checkpoint_path
        state = {
            "config": self.config.to_dict(), "step": self.step, "seed": self.config.seed,
            "provenance": checkpoint.provenance(),
            "members": {m.name: {"model": m.module.state_dict(), "optimizer": m.optimizer.state_dict(),
                                 "status": m.status, "warmup": m.warmup} for m in self.members},
        }
        checkpoint.save_atomic(state, self.checkpoint_path)
        self._saved_at = time.monotonic()
        return self.checkpoint_path

    def _load(self, path: Path) -> None:
        if not path.exists():
            raise ValueError(f"no checkpoint to resume from at {path}")
        state = checkpoint.load(path)
        # Checked before anything is changed: a wrong checkpoint is one line, and nothing is half-loaded.
        saved, done_steps = checkpoint.validate(state, {m.name: (m.module, m.optimizer) for m in self.members},
                                                self.config.steps, path)
        for key in ("models", "dataset", "widths", "batch_size", "seed", "seeds", "train_size"):
            if getattr(saved, key) != getattr(self.config, key):
                raise ValueError(f"cannot resume: the checkpoint's {key} is {getattr(saved, key)!r}, "
                                 f"this run's is {getattr(self.config, key)!r}")
        for m in self.members:
            s = state["members"][m.name]
            try:
                m.module.load_state_dict(s["model"])
                m.optimizer.load_state_dict(s["optimizer"])
            except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as err:
                first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
                raise checkpoint.CheckpointError(f"{path}: {m.name}'s weights or optimizer do not fit "
                                                 f"this run ({first})") from None
            m.status = "running" if s["status"] == "done" and self.config.steps > done_steps else s["status"]
            m.warmup = s["warmup"]
            m.last_logged = done_steps
        self.step = done_steps


def train(config: RunConfig, **kw) -> Iterator[Metrics | Status]:
    """Build a Trainer and iterate its events: `for event in train(config): ...`."""
    return Trainer(config, **kw).run()
