"""One training loop that steps several models in lockstep on the same batches.

Every model sees the same images in the same order with the same crops and flips, so a
plain and a residual net differ only by their shortcuts (v1 Fig. 6's comparison, made fair).

    for event in train(preset("quick", dataset="synthetic")):
        print(event)

The loop yields `Metrics` every `log_every` steps (the only time it waits for the device)
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

from . import budget, checkpoint, distributed, fastpath, stacked
from .config import RunConfig, model_spec, resolve_precision
from ..data import Split, dataset_mean_std, load_dataset, normalize, random_crop, random_flip
from ..data.augment import per_channel
from .device import pick_device, synchronize
from .events import Metrics, Status
from .probes import Probe

STOP_FILE = "stop"  # in run_dir: a stop request from another process (the run store writes it)
STOP_CHECK_S = 0.5  # how often the loop looks for it: one stat, about a microsecond


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
        self.test_x = fastpath.prepare_input(self.test_x, self.device, config.fast)
        self.test_y = test.labels.to(self.device)
        self.steps_per_epoch = len(train) // config.batch_size  # the last partial batch is dropped

        self.members: list[Member] = []
        for name, entry, seed in config.members():
            spec = model_spec(entry, config.widths)
            torch.manual_seed(seed)  # every model of a seed starts from that seed
            module = fastpath.prepare_model(spec.build(), self.device, config.fast)
            if config.sync_bn:
                module = distributed.sync_batchnorm(module, self.world, self.device)
            parallel = self.world.wrap(module, self.device)  # DDP: gradients averaged over the ranks
            # torch.compile goes around DDP (PyTorch's documented order; the compile trial's backward
            # then all-reduces on every rank alike).
            compiled = fastpath.prepare_model(parallel, self.device, config.fast, config.compile) \
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
        if resume:
            self._load(self.checkpoint_path)

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
        cfg, n = self.config, self.steps_per_epoch
        seed = cfg.seed if seed is None else seed
        epoch, i = divmod(step - 1, n)
        if seed not in self._epoch_perm or self._epoch_perm[seed][0] != epoch:
            self._gen.manual_seed(seed * 1_000_003 + epoch)
            perm = torch.randperm(len(self.train_labels), generator=self._gen, device=self.device)
            self._epoch_perm[seed] = (epoch, perm)
        idx = self._epoch_perm[seed][1][i * cfg.batch_size:(i + 1) * cfg.batch_size]
        x, y = self.train_images[idx], self.train_labels[idx]  # (B, 3, 32, 32) uint8, (B,)
        if cfg.augment:
            self._gen.manual_seed(seed * 7_919 + step * 104_729 + 1)
            x = random_flip(random_crop(x, self._gen, padding=4), self._gen)
        x, y = self.world.shard(x), self.world.shard(y)  # under torchrun: this rank's share of the batch
        x = normalize(x, self.mean, self.std)
        return fastpath.prepare_input(x, self.device, cfg.fast), y

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

                last = step == cfg.steps
                evaluate = False
                if step % cfg.log_every == 0 or last or probing:
                    stacked.sync(self.stacks)  # the members' modules and loss sums are the record
                    synchronize(self.device)
                    now = time.perf_counter()
                    rate = window_steps * cfg.batch_size / max(now - window_start, 1e-9)
                    evaluate = (step % cfg.eval_every == 0 or last) and self.world.is_writer
                    for m in list(active):
                        yield from self._log(m, step, rate, evaluate, probing)
                        if m.status != "running":
                            active.remove(m)
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

    def _step_all(self, active: list[Member], step: int, probing: bool) -> None:
        """One step of every active model: stacked groups as one computation, the rest one by one."""
        batches = {s: self.batch(step, s) for s in dict.fromkeys(m.seed for m in active)}
        alone = active
        if probing:  # probes hook the members' own modules: step them alone, reload the stacks after
            stacked.sync(self.stacks, invalidate=True)
        else:
            alone = stacked.step(self.stacks, active, batches, lambda m: self.lr(m, step))
        for m in alone:
            self._train_step(m, *batches[m.seed], step, probing)

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

    def _log(self, m: Member, step: int, rate: float, evaluate: bool, probing: bool):
        cfg = self.config
        steps = step - m.last_logged
        self.world.mean_(m.loss_sum, m.err_sum)  # over the ranks: every rank ends its warm-up alike
        loss = m.loss_sum.item() / steps
        err = m.err_sum.item() / steps
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
        test_error = self.evaluate(m) if evaluate else None
        yield Metrics(m.name, step, step / self.steps_per_epoch, self.lr(m, step), loss, err, rate,
                      test_error, probes)

    @torch.no_grad()
    def evaluate(self, m: Member, batch_size: int = 1000) -> float:
        """Test error (fraction) in eval mode (BN uses its running statistics), always in fp32.

        No autocast here, whatever the training precision: bf16 flips test predictions (the
        peer's ResNet-56 on 1,017 real test images: 92.92 % in bf16, 92.72 % in fp32).
        """
        m.module.eval()
        wrong = torch.zeros((), device=self.device)
        with fastpath.fp32_eval():  # and no TF32 on CUDA
            for i in range(0, len(self.test_y), batch_size):
                logits = m.module(self.test_x[i:i + batch_size])  # (B, 10) fp32; eager: no second compiled graph
                wrong += (logits.argmax(dim=1) != self.test_y[i:i + batch_size]).sum()
        m.module.train()
        return wrong.item() / len(self.test_y)

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
