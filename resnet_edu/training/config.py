"""One frozen config per run: the app's cache key, the CLI's arguments, what a checkpoint records.

Presets give the recipe; any field can be overridden:
    config = preset("quick", models=("plain20", "plain56"), seed=1)
"""

import dataclasses
import math
import types
import typing
from dataclasses import dataclass

from ..models.grammar import split_models  # noqa: F401  (re-exported: the CLI and app use it from here)
from ..models.registry import parse_model_name
from . import fastpath
from .device import pick_device


@dataclass(frozen=True)
class RunConfig:
    """A training run of one or more models in lockstep on the same batches."""

    models: tuple[str, ...] = ("plain20", "plain56")  # "resnet56" or "resnet56:shortcut=B,design=full_preact"
    dataset: str = "cifar10"  # "cifar10" or "synthetic"
    data_dir: str = "data"
    train_size: int | None = None  # first N training images (class-balanced subset); None: all
    test_size: int | None = None  # test images used for the test error; None: all
    validation: bool = False  # hold out 5k training images as the test set (v1 §4.2's 45k/5k split)
    widths: tuple[int, int, int] = (16, 32, 64)  # CIFAR stage widths, v1 §4.2; narrower trains faster
    batch_size: int = 128  # v1 §4.2
    steps: int = 64_000  # iterations; v1 stops at 64k
    lr: float = 0.1  # per batch of 128, v1 §4.2
    milestones: tuple[int, ...] = (32_000, 48_000)  # steps where lr is divided by 10, v1 §4.2
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_lr: float | None = None  # lr until training error < warmup_until (v1 §4.2, ResNet-110)
    warmup_until: float = 0.8  # training-error threshold (fraction) that ends the warm-up
    warmup_min_depth: int = 0  # only models at least this deep warm up (the paper: 110)
    warmup_max_steps: int | None = None  # end the warm-up here even if the error is still high
    # Which warm-up rule: "v1" (warmup_lr until training error < warmup_until, for nets at least
    # warmup_min_depth deep: v1 §4.2's ResNet-110 rule), "v2" (warmup_lr for the first warmup_steps
    # iterations at every depth: v2 appendix, "for all CIFAR experiments"), or "by_paper": each net
    # by the paper it comes from (see warmup_for).
    warmup_rule: str = "v1"
    warmup_steps: int = 400  # the v2 rule's length in iterations (v2 appendix)
    augment: bool = True  # 4-pixel pad + random 32×32 crop + horizontal flip, v1 §4.2
    log_every: int = 100  # steps between metric events (and device synchronisations)
    eval_every: int = 1_000  # steps between test-error evaluations (also at the last step)
    probe_every: int = 0  # steps between probe records; 0: no probes
    checkpoint_every: int = 0  # steps between checkpoints (0: only by time, at evaluations and at the end)
    checkpoint_seconds: float = 60.0  # seconds of training between checkpoints (0: off); a kill loses at most this
    seed: int = 0
    # A seed band in one run: every model once per seed (its init and its data order), named
    # "resnet56@seed1"; empty: the one `seed`. Same-architecture models step as one (`stack`).
    seeds: tuple[int, ...] = ()
    stack: bool = True  # step same-architecture v1 CIFAR nets as one grouped computation (stacked.py)
    sync_bn: bool = False  # under torchrun: BN statistics over the whole batch, not each rank's share (CUDA)
    device: str = "auto"  # "auto", "cuda", "mps" or "cpu"
    fast: bool = True  # channels_last, bf16 autocast, fused SGD on CUDA; see fastpath.py
    # Training precision: "fp32", "bf16" (autocast; needs CUDA or a CPU with bf16 units) or "auto"
    # (bf16 where fastpath.uses_bf16 measured a gain). A run records what it used (resolve_precision).
    # Evaluation is always fp32: bf16 flips test predictions (peer ResNet-56: 92.92 % vs 92.72 %).
    precision: str = "auto"
    compile: bool = False  # torch.compile the models (CUDA only; falls back when it fails)
    # The whole step as one CUDA graph per group of members (graphstep.py): None = auto (on for
    # CUDA unless compile is on), False = eager. Off CUDA the step is always eager.
    graph: bool | None = None
    # What the run trained in and why (precision, path, the measurement): filled by resolve_precision.
    trained_in: str = ""
    preset: str = "custom"  # the preset this config came from, for display

    def validate(self) -> None:
        """Raise ValueError with one clear line for a config that cannot run."""
        for f in dataclasses.fields(self):  # a config.json from disk may hold anything
            if not _fits(getattr(self, f.name), f.type):
                raise ValueError(f"config field {f.name} has the wrong type: {getattr(self, f.name)!r}")
        if not self.models:
            raise ValueError("no models: give at least one, e.g. plain20,plain56")
        if len(self.models) > MAX_MODELS:
            raise ValueError(f"at most {MAX_MODELS} models train in lockstep, got {len(self.models)}")
        if len(set(self.models)) != len(self.models):
            raise ValueError("each model may appear once in a run")
        for name in self.models:
            model_spec(name, self.widths)
        if len(set(self.seeds)) != len(self.seeds) or any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be distinct and not negative, got {self.seeds}")
        if len(self.models) * max(len(self.seeds), 1) > MAX_MEMBERS:
            raise ValueError(f"at most {MAX_MEMBERS} models x seeds train in one run, "
                             f"got {len(self.models)} x {len(self.seeds)}")
        if self.dataset not in ("cifar10", "synthetic"):
            raise ValueError(f"unknown dataset {self.dataset!r}; allowed: cifar10, synthetic")
        if self.device not in ("auto", "cuda", "mps", "cpu"):
            raise ValueError(f"unknown device {self.device!r}; allowed: auto, cuda, mps, cpu")
        positive = {"batch_size": self.batch_size, "steps": self.steps, "log_every": self.log_every,
                    "eval_every": self.eval_every}
        for key, value in positive.items():
            if value < 1:
                raise ValueError(f"{key} must be at least 1, got {value}")
        for key, cap in (("steps", MAX_STEPS), ("batch_size", MAX_BATCH)):
            if getattr(self, key) > cap:
                raise ValueError(f"{key} is at most {cap:,}, got {getattr(self, key):,}")
        for key in ("train_size", "test_size"):
            if getattr(self, key) is not None and getattr(self, key) < 1:
                raise ValueError(f"{key} must be at least 1 (or None for all), got {getattr(self, key)}")
        for key in ("probe_every", "checkpoint_every"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key} must be 0 (off) or more, got {getattr(self, key)}")
        # `not x > 0` (rather than `x <= 0`) also refuses NaN.
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if self.warmup_lr is not None and not (math.isfinite(self.warmup_lr) and self.warmup_lr > 0):
            raise ValueError(f"warmup_lr must be a positive number (or None), got {self.warmup_lr}")
        if not (math.isfinite(self.momentum) and 0 <= self.momentum < 1):
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be 0 or positive, got {self.weight_decay}")
        if not (math.isfinite(self.checkpoint_seconds) and self.checkpoint_seconds >= 0):
            raise ValueError(f"checkpoint_seconds must be 0 (off) or positive, got {self.checkpoint_seconds}")
        if self.warmup_rule not in WARMUP_RULES:
            raise ValueError(f"unknown warmup_rule {self.warmup_rule!r}; allowed: {', '.join(WARMUP_RULES)}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be 0 or more, got {self.warmup_steps}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; allowed: {', '.join(PRECISIONS)}")

    def warmup_for(self, entry: str) -> str | None:
        """The warm-up rule model `entry` gets in this run: "v1", "v2", or None (none).

        "by_paper": v2's rule for the nets only v2 trains (any unit design but the original, any
        shortcut variant but the identity: v2 warms up "for all CIFAR experiments"), v1's for
        the v1 nets (which warm up only from warmup_min_depth, the paper's ResNet-110 on).
        """
        if self.warmup_lr is None:
            return None
        spec = model_spec(entry, self.widths)
        rule = self.warmup_rule
        if rule == "by_paper":
            rule = "v2" if (spec.design, spec.variant) != ("original", "identity") else "v1"
        if rule == "v1" and spec.depth < self.warmup_min_depth:
            return None
        return rule

    def members(self) -> list[tuple[str, str, int]]:
        """(member name, model entry, seed) for every model of the run, for every seed of `seeds`."""
        if not self.seeds:
            return [(entry, entry, self.seed) for entry in self.models]
        return [(member_name(entry, s), entry, s) for entry in self.models for s in self.seeds]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        fields = {f.name for f in dataclasses.fields(cls)}
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in fields}
        return cls(**kw)


MAX_MODELS = 9  # models of one run (each holds its weights and optimizer state); v1 Fig. 6 has nine
MAX_STEPS = 10_000_000  # 150x the paper's 64k
MAX_BATCH = 4_096
MAX_MEMBERS = 45  # models x seeds of one run: Fig. 6's nine nets in a five-seed band

SEED_MARK = "@seed"


def member_name(entry: str, seed: int) -> str:
    """'resnet56', 1 -> 'resnet56@seed1': one model of a seed band (RunConfig.seeds)."""
    return f"{entry}{SEED_MARK}{seed}"


def split_member(name: str) -> tuple[str, int | None]:
    """'resnet56@seed1' -> ('resnet56', 1); a plain entry -> (entry, None)."""
    entry, mark, seed = name.rpartition(SEED_MARK)
    if mark and seed.isdigit():
        return entry, int(seed)
    return name, None


def _fits(value, kind) -> bool:
    """Does `value` match the annotation `kind` (int, float, str | None, tuple[int, ...], ...)?"""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        return any(_fits(value, a) for a in args)
    if kind is type(None):
        return value is None
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(v, args[0]) for v in value)
        return len(value) == len(args) and all(_fits(v, a) for v, a in zip(value, args))
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    try:
        return isinstance(value, kind)
    except TypeError:  # an annotation this check does not understand: leave it to the code
        return True


WARMUP_RULES = ("v1", "v2", "by_paper")
PRECISIONS = ("auto", "fp32", "bf16")


def resolve_precision(config: RunConfig) -> RunConfig:
    """The config with precision "auto" replaced by what this machine will train in, so the run
    records it: "bf16" where fastpath.uses_bf16 says so for every model, else "fp32".

    An explicit "bf16" on a device without bf16 (Apple MPS, a CPU without AMX or AVX512-BF16)
    is a ValueError: emulated bf16 is slower there and the run would not be what it says.
    """
    device = pick_device(config.device)
    if config.precision == "bf16" and not fastpath.uses_bf16(device, True):
        raise ValueError(f"precision bf16 needs CUDA or a CPU with bf16 units (AMX or AVX512-BF16); "
                         f"this run's device is {device.type}: use precision fp32 or auto")
    graph = fastpath.uses_graph(device, config.graph, config.compile)
    path = "CUDA graph" if graph else "compiled" if config.compile and device.type == "cuda" else "eager"
    if config.precision != "auto" and config.trained_in.startswith(f"{config.precision}, {path}:"):
        return config  # resolved before (a resumed run): keep its reason
    if config.precision != "auto":
        why = f"the config asks for {config.precision}" + (" (the paper trained in fp32)"
                                                          if config.preset == "paper" else "")
        return dataclasses.replace(config, trained_in=f"{config.precision}, {path}: {why}")
    widths = [64 if s.family == "imagenet" else s.widths[0]
              for s in (model_spec(name, config.widths) for name in config.models)]
    bf16 = all(fastpath.uses_bf16(device, config.fast, first_width=w, graph=graph) for w in widths)
    precision = "bf16" if bf16 else "fp32"
    return dataclasses.replace(config, precision=precision,
                               trained_in=f"{precision}, {path}: {_why_precision(device, config.fast, graph, bf16)}")


def _why_precision(device, fast: bool, graph: bool, bf16: bool) -> str:
    """The measurement behind the automatic precision (see fastpath.py's module doc)."""
    if not fast:
        return "the fast path is off"
    if device.type == "cuda":
        return ("in one CUDA graph bf16 was faster (issue 26, one H200, torch 2.11: ResNet-56 5.63 ms vs "
                "7.06 ms in fp32)" if graph else
                "eager, bf16 autocast was slower (issue 26, one H200, torch 2.11: ResNet-56 26.1 ms vs 19.2 ms "
                "in fp32: its casts are extra launches)")
    if device.type == "cpu" and bf16 and fastpath.cpu_has_amx():
        return "this CPU has AMX bf16 units: bf16 was 1.3-2.0x faster at every width measured (fastpath.py)"
    if device.type == "cpu" and bf16:
        return "this CPU has bf16 units and the nets are wide enough to gain (fastpath.py's measurements)"
    if device.type == "cpu" and fastpath.cpu_has_bf16_units():
        return f"nets narrower than {fastpath.CPU_BF16_MIN_WIDTH} filters gain nothing from bf16 (fastpath.py)"
    return f"no bf16 units on this {device.type}: emulated bf16 is slower"


def model_spec(entry: str, widths: tuple[int, int, int] = (16, 32, 64)):
    """'resnet56:shortcut=B,span=3' -> ModelSpec; the run's widths apply to CIFAR nets that name none."""
    return parse_model_name(entry, default_widths=tuple(widths))


# The recipes. quick: a 2-core CPU laptop in about 90 s; classroom: one GPU in a minute or two;
# paper: v1 §4.2 exactly; tiny: seconds, for tests and smoke runs (the app lists it only when
# RESNET_EDU_TEST_TINY=1). Numbers for quick and classroom were measured; see README "Results".
PRESETS: dict[str, dict] = {
    "quick": dict(
        # Narrow nets: on a 2-core CPU, plain-56 at widths 8/16/32 costs 146 ms per batch of 64,
        # no more than at full width with bf16 there, and half as much on CPUs without bf16 units.
        widths=(8, 16, 32), train_size=5_000, test_size=1_000, batch_size=64, steps=450,
        lr=0.1, milestones=(350,), warmup_lr=0.01, warmup_until=0.8, warmup_max_steps=100, log_every=10,
        eval_every=150),
    "classroom": dict(
        train_size=None, test_size=None, batch_size=128, steps=3_000, lr=0.1, milestones=(2_000, 2_600),
        warmup_lr=0.01, warmup_until=0.8, warmup_max_steps=400, log_every=25, eval_every=250),
    "paper": dict(
        # Warm-up by each net's paper: v1 §4.2 (ResNet-110 and deeper, until training error < 80 %),
        # v2 appendix (400 iterations at every depth). fp32, as the papers trained, unless asked.
        batch_size=128, steps=64_000, lr=0.1, milestones=(32_000, 48_000), warmup_lr=0.01,
        warmup_until=0.8, warmup_min_depth=110, warmup_rule="by_paper", warmup_steps=400,
        precision="fp32", log_every=100, eval_every=1_000),
    "tiny": dict(
        widths=(4, 8, 8), train_size=256, test_size=64, batch_size=32, steps=12, lr=0.1, milestones=(),
        warmup_lr=None, log_every=2, eval_every=4, device="cpu"),
}
PROBE_EVERY_LOGS = 4  # a probe record every 4 metric logs: probes cost a backward hook pass


def with_probes(config: RunConfig) -> RunConfig:
    """The same run with probe records (the tiny preset probes at every log: its runs are short)."""
    logs = 1 if config.preset == "tiny" else PROBE_EVERY_LOGS
    return dataclasses.replace(config, probe_every=max(config.log_every, 1) * logs)


def preset(name: str, **overrides) -> RunConfig:
    """A preset's config with any fields overridden; an unknown preset or field is a ValueError."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown config field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
    config = RunConfig(**{**PRESETS[name], "preset": name, **overrides})
    config.validate()
    return config
