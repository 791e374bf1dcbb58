"""Model names -> models. One `build_model(name)` for the CLI, the app and the lessons.

Names:  plain{d}, resnet{d}            CIFAR nets of v1 §4.2, d = 6n+2
        preact_resnet{d}               v2 full pre-activation (bottleneck, 9n+2, for d >= 164)
        highway{d}                     exclusively gated shortcuts (Highway Networks, v2 §3.1)
        imagenet_resnet{d}, imagenet_plain{d}   v1 Table 1, d in 18, 34, 50, 101, 152
Any field of `ModelSpec` can be overridden, in the entry (the grammar of grammar.py, the same in a
run config, the CLI and a URL) or as keywords:
    build_model("resnet56:shortcut=B,design=full_preact") == build_model("resnet56", shortcut="B", design="full_preact")
"""

import dataclasses
import math
import re
from dataclasses import dataclass
from functools import partial

import torch.nn as nn

from .blocks import BasicBlock
from .cifar import CifarNet
from .grammar import split_entry
from .imagenet import IMAGENET_LAYERS, ImageNetNet
from .shortcuts import SHORTCUT_OPTIONS
from .variants import DESIGNS, VARIANTS, ResidualUnit

# The names the paper tables use; build_model accepts any valid depth, not only these.
PAPER_MODELS = (
    "plain20", "plain32", "plain44", "plain56", "plain110",
    "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202",
    "preact_resnet110", "preact_resnet164", "preact_resnet1001",
    "imagenet_resnet18", "imagenet_resnet34", "imagenet_resnet50", "imagenet_resnet101",
    "imagenet_resnet152", "imagenet_plain18", "imagenet_plain34",
)
# Bounds on what a user may ask for (a URL or a CLI flag): a net past these would fill the
# memory of the machine before it trained a step. ResNet-1202 and WRN-style widths fit.
MAX_DEPTH = 2_000
MAX_WIDTH = 1_024
_NAME = re.compile(r"^(plain|resnet|preact_resnet|highway|imagenet_resnet|imagenet_plain)(\d+)$")


@dataclass(frozen=True)
class ModelSpec:
    """Everything that defines a net; `build()` makes it. Frozen, so it can be a cache key."""

    family: str  # "cifar" or "imagenet"
    depth: int  # weight layers on the longest path: 6n+2, 9n+2, or Table 1's
    shortcut: str | None = "A"  # "A", "B", "C", or None for a plain net (v1 §3.3)
    design: str = "original"  # v2 Fig. 4 unit design
    variant: str = "identity"  # v2 Table 1 shortcut variant
    block: str = "basic"  # "basic" (two 3×3) or "bottleneck" (1×1, 3×3, 1×1)
    span: int = 2  # weight layers a shortcut skips (basic blocks)
    widths: tuple[int, int, int] = (16, 32, 64)  # CIFAR stage widths, v1 §4.2
    num_classes: int = 10
    batchnorm: bool = True  # False: the "plain net without BN" contrast of v1 §4.1
    zero_init_last: bool = False  # γ=0 on each branch's last BN; not in the papers
    scale: float = 0.5  # λ of the constant-scaling variant
    scale_branch: bool = True  # constant scaling: F scaled by 1-λ too
    gate_bias: float = 0.0  # b_g of the gated variants
    dropout: float = 0.5  # shortcut dropout ratio
    dropout_rescale: bool = False  # False: v2 §3.1's dropout (shortcut expectation 1-p); True: PyTorch's inverted one

    @property
    def residual(self) -> bool:
        return self.shortcut is not None

    @property
    def n(self) -> int:
        """Units per stage (CIFAR): depth = 3·n·layers_per_unit + 2."""
        return (self.depth - 2) // (3 * self.layers_per_unit)

    @property
    def layers_per_unit(self) -> int:
        return 3 if self.block == "bottleneck" else self.span

    def validate(self) -> None:
        _check_types(self)
        if self.depth > MAX_DEPTH:
            raise ValueError(f"depth {self.depth} is too deep: at most {MAX_DEPTH} layers "
                             f"(the papers' deepest is 1202)")
        if len(self.widths) != 3 or not all(1 <= w <= MAX_WIDTH for w in self.widths):
            raise ValueError(f"widths must be three stage widths from 1 to {MAX_WIDTH}, "
                             f"e.g. 16/32/64, got {'/'.join(map(str, self.widths))}")
        if self.family not in ("cifar", "imagenet"):
            raise ValueError(f"unknown family {self.family!r}; allowed: cifar, imagenet")
        if self.shortcut is not None and self.shortcut not in SHORTCUT_OPTIONS:
            raise ValueError(f"unknown shortcut option {self.shortcut!r}; allowed: A, B, C, or None (plain)")
        if self.design not in DESIGNS:
            raise ValueError(f"unknown unit design {self.design!r}; allowed: {', '.join(DESIGNS)}")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown shortcut variant {self.variant!r}; allowed: {', '.join(VARIANTS)}")
        if self.shortcut is None and self.variant != "identity":
            raise ValueError("a plain net has no shortcut to vary: use variant='identity'")
        if self.block not in ("basic", "bottleneck"):
            raise ValueError(f"unknown block {self.block!r}; allowed: basic, bottleneck")
        if self.family == "imagenet":
            if self.depth not in IMAGENET_LAYERS:
                raise ValueError(f"ImageNet depth must be one of {sorted(IMAGENET_LAYERS)}, got {self.depth}")
            if (self.design, self.variant, self.span, self.batchnorm) != ("original", "identity", 2, True):
                raise ValueError("ImageNet nets are built as in v1 Table 1 only: change the shortcut, nothing else")
            return
        if not 1 <= self.span <= 4:
            raise ValueError(f"span must be 1, 2, 3 or 4 layers, got {self.span}")
        k = self.layers_per_unit
        if self.depth < 3 * k + 2 or (self.depth - 2) % (3 * k):
            rule = "9n+2 (bottleneck)" if self.block == "bottleneck" else f"{3 * k}n+2 ({k}-layer units)"
            below = max(1, (self.depth - 2) // (3 * k)) * 3 * k + 2
            near = sorted({below, below + 3 * k} - {self.depth})
            raise ValueError(f"depth {self.depth} is not {rule}: the nearest allowed depths are "
                             f"{' and '.join(map(str, near))}")

    def build(self) -> nn.Module:
        self.validate()
        if self.family == "imagenet":
            return ImageNetNet(self.depth, self.shortcut, self.num_classes, self.zero_init_last)
        return CifarNet(self._unit_factory(), self.n, self.widths, self.num_classes,
                        expansion=4 if self.block == "bottleneck" else 1,
                        preact_head={"full_preact": "bn_relu", "relu_preact": "relu"}.get(self.design, False),
                        batchnorm=self.batchnorm,
                        zero_init_last=self.zero_init_last)

    def _unit_factory(self):
        if (self.design, self.variant, self.span, self.block) == ("original", "identity", 2, "basic"):
            # The v1 nets proper: the readable block.
            return lambda c_in, c_out, stride, index: BasicBlock(
                c_in, c_out, stride, shortcut=self.shortcut, batchnorm=self.batchnorm)
        unit = partial(ResidualUnit, design=self.design, shortcut=self.shortcut, variant=self.variant,
                       span=self.span, bottleneck=self.block == "bottleneck", scale=self.scale,
                       scale_branch=self.scale_branch, gate_bias=self.gate_bias, dropout=self.dropout,
                       dropout_rescale=self.dropout_rescale, batchnorm=self.batchnorm)
        preact = self.design in ("relu_preact", "full_preact")
        return lambda c_in, c_out, stride, index: unit(
            c_in, c_out, stride, skip_preact=preact and index == 0)


def parse_model_name(entry: str, default_widths: tuple[int, int, int] | None = None, **options) -> ModelSpec:
    """'resnet56' or 'resnet56:shortcut=B' -> ModelSpec(family='cifar', depth=56, ...).

    Keyword options override those in the entry. `default_widths` is a run's stage widths:
    it applies to CIFAR nets whose entry and options name none (RunConfig.widths).
    """
    name, in_entry = split_entry(entry)
    options = {**in_entry, **options}
    match = _NAME.match(name.lower())
    if not match:
        raise ValueError(
            f"unknown model {name!r}: use plain<d>, resnet<d>, preact_resnet<d>, highway<d>, "
            f"imagenet_resnet<d> or imagenet_plain<d>, e.g. {', '.join(PAPER_MODELS[:6])}")
    kind, depth = match.group(1), int(match.group(2))
    if kind.startswith("imagenet"):
        base = ModelSpec("imagenet", depth, shortcut=None if kind == "imagenet_plain" else "B", num_classes=1000)
    elif kind == "plain":
        base = ModelSpec("cifar", depth, shortcut=None)
    elif kind == "resnet":
        base = ModelSpec("cifar", depth, shortcut="A")
    elif kind == "highway":
        # Highway Networks' transform gate T = σ(W x + b), carry 1 - T; a negative b starts
        # the unit close to carrying x through (Srivastava et al. 2015 suggest -1 to -3).
        base = ModelSpec("cifar", depth, shortcut="A", variant="exclusive_gate", gate_bias=-1.0)
    else:  # preact_resnet: v2 uses basic units for 110 layers, bottlenecks for 164 and 1001
        bottleneck = options.get("block", "bottleneck" if depth >= 164 else "basic") == "bottleneck"
        base = ModelSpec("cifar", depth, shortcut="B" if bottleneck else "A", design="full_preact",
                         block="bottleneck" if bottleneck else "basic")
    fields = {f.name for f in dataclasses.fields(ModelSpec)}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise ValueError(f"unknown model option(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
    if default_widths is not None and "widths" not in options and base.family == "cifar":
        options["widths"] = default_widths
    if "widths" in options:
        options["widths"] = _widths(options["widths"])
    spec = dataclasses.replace(base, **options)
    spec.validate()
    return spec


def build_model(entry: str, **options) -> nn.Module:
    """Build a model from an entry, e.g. build_model("plain56"), build_model("plain56:batchnorm=false")
    or build_model("resnet110", shortcut="B")."""
    return parse_model_name(entry, **options).build()


def table1_row(spec: ModelSpec) -> str | None:
    """The v2 Table 1 row (ResNet-110, CIFAR-10 test error) whose shortcut this spec uses, or None.

    "fails" where the paper says so. Rows: constant scaling λ=0.5 on the shortcut only fails, on
    the shortcut and 1-λ on F 12.35; exclusive gating fails for b_g = 0 to -5, 8.70 at -6, 9.81
    at -7; shortcut-only gating 12.86 at b_g = 0, 6.91 at -6; 1×1 conv shortcut 12.22; dropout
    0.5 on the shortcut (v2's, no rescale) fails.
    """
    if spec.family != "cifar" or spec.design != "original" or spec.shortcut is None:
        return None
    v, b = spec.variant, spec.gate_bias
    if v == "scaling" and spec.scale == 0.5:
        return "12.35" if spec.scale_branch else "fails"
    if v == "exclusive_gate" and b == int(b) and -7 <= b <= 0:
        return {-6: "8.70", -7: "9.81"}.get(int(b), "fails")
    if v == "shortcut_gate":
        return {0: "12.86", -6: "6.91"}.get(b)
    if v == "conv1x1":
        return "12.22"
    if v == "dropout" and spec.dropout == 0.5 and not spec.dropout_rescale:
        return "fails"
    if v == "identity" and spec.shortcut == "A" and (spec.block, spec.span) == ("basic", 2):
        return "6.61"
    return None


def _widths(value) -> tuple:
    """widths=16/32/64 (a CLI or URL option) or a sequence -> a tuple of three ints."""
    if isinstance(value, str):
        parts = re.split(r"[/x]", value)
        if not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"widths must look like 16/32/64, got {value!r}")
        return tuple(int(p) for p in parts)
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise ValueError(f"widths must be three stage widths like 16/32/64, got {value!r}")


def _check_types(spec: ModelSpec) -> None:
    """Each option has its default's type: 'gate_bias=abc' is a clear error, not a crash in build()."""
    for f in dataclasses.fields(spec):
        value, default = getattr(spec, f.name), f.default
        if isinstance(default, bool) or default is None or isinstance(default, str):
            kinds, what = ((bool,), "true or false") if isinstance(default, bool) else ((str, type(None)), "a name")
            ok = isinstance(value, kinds)
        elif isinstance(default, int):
            ok, what = isinstance(value, int) and not isinstance(value, bool), "a whole number"
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            what = "a finite number"
        elif isinstance(default, tuple):
            ok = isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            what = "whole numbers like 16/32/64"
        else:
            ok, what = True, ""
        if not ok:
            raise ValueError(f"model option {f.name} must be {what}, got {value!r}")
