"""The fast path: what changes, per device, when `config.fast` is on.

Numerics stay honest: weights, optimizer state and BN statistics stay fp32; only the
conv and matmul inputs go to bf16 (bf16 has fp32's exponent range: no loss scaling).

- CUDA: channels_last (cuDNN's fastest conv layout), cudnn.benchmark, bf16 autocast, the
  fused SGD kernel (one launch for all parameters), optional torch.compile in
  "reduce-overhead" mode (CUDA graphs) that falls back to eager at its first failing call.
- CPU: channels_last (except for nets oneDNN's AVX2 kernels cannot train in it: see
  safe_on_cpu_in_channels_last), plus bf16 autocast where the processor has bf16 matrix units
  (AMX or AVX512-BF16; oneDNN uses them) and the net is wide enough to gain from them.
  Measured on a 2-core development machine with AVX512-BF16 and no AMX: ResNet-56 (16/32/64),
  batch 128: fp32 NCHW 802 ms/step, channels_last 601, channels_last + bf16 283; plain-56 at
  8/16/32, batch 64: fp32 146 ms, bf16 156 ms; at 4/8/8 bf16 was about 4× slower. So with AVX512-BF16 alone bf16 needs a first
  stage of 16 filters. With AMX (its bf16 tile units) it pays at every width: measured on a
  2-core VM with AMX-BF16 (2026-12-05, the trainer's step, fp32 vs bf16 alternated,
  3 rounds, medians, load 4.6-8): resnet20 16/32/64 batch 128 1,605 vs 815 ms; resnet56 4,422 vs
  2,184 ms; plain56 8/16/32 batch 64 614 vs 361 ms; plain20 8/16/32 batch 64 246 vs 166 ms;
  plain20 4/8/8 batch 32 94 vs 72 ms. Without bf16 units it is emulated and slower: off.
- MPS: plain fp32 (channels_last and autocast do not pay there on the PyTorch we pin).

Precision on CUDA depends on the mode (issue 26's measurement, one H200, torch 2.11, ResNet-56,
batch 128; not re-measured here): eager, bf16 autocast is SLOWER (26.1 ms vs 19.2 ms in fp32: its
casts are extra kernel launches in a launch-bound step), so eager CUDA trains in fp32; in one
CUDA graph (graphstep.py) the launches are gone and bf16 wins (5.63 ms vs 7.06 ms), so the
graph path, CUDA's default, trains in bf16.
"""

import contextlib
import warnings

import torch
import torch.nn as nn

from . import cpuinfo


def cpu_has_bf16_units() -> bool:
    """True on x86 CPUs with AMX-BF16 or AVX512-BF16."""
    return bool({"amx_bf16", "avx512_bf16"} & cpuinfo.flags())


def cpu_has_amx() -> bool:
    """True on x86 CPUs with AMX-BF16 tile units: bf16 pays at every width there."""
    return "amx_bf16" in cpuinfo.flags()


CPU_1X1_MIN_CHANNELS = 8  # one AVX2 register of fp32: oneDNN's 1x1 kernels block channels by 8


def safe_on_cpu_in_channels_last(model: nn.Module) -> bool:
    """False when the model has a strided 1x1 conv with fewer than 8 input channels (per group).

    On a CPU without AVX-512, oneDNN's AVX2 1x1 kernel (jit_avx2_1x1_convolution_bwd_weights)
    crashes or never returns computing the weight gradient of such a conv in channels_last:
    measured on a 2-core development machine without AVX-512, torch 2.13 (2026-12-06; CI's
    exit 139 in test_app_state was the same crash): a 1x1
    stride-2 conv 4 -> 8 channels on 32x32, batch 32: segfault at 1 thread, hang at 2; input
    channels 2, 3, 4 and 6 failed, 8, 12, 16, 20, 24, 32 and 64 passed, and so did every
    stride-1 1x1 and stride-2 3x3 conv tried. That is option B/C's projection in a net whose
    first stage is narrower than 8 (the tests' 4/8/8 nets). Such a net trains in NCHW.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) and max(m.stride) > 1 \
                and m.in_channels // m.groups < CPU_1X1_MIN_CHANNELS:
            return False
    return True


def uses_channels_last(device: torch.device, fast: bool, models=()) -> bool:
    """channels_last for these models (all of a run share one input layout)? On CPU, not for a
    net that oneDNN's AVX2 kernels cannot train in it (safe_on_cpu_in_channels_last)."""
    if not fast or device.type not in ("cuda", "cpu"):
        return False
    return device.type == "cuda" or all(safe_on_cpu_in_channels_last(m) for m in models)


CPU_BF16_MIN_WIDTH = 16  # narrower nets are bound by per-layer overhead; bf16 only adds casts


def uses_graph(device: torch.device, graph: bool | None, compile: bool = False) -> bool:
    """The whole step as one CUDA graph (graphstep.py)? None means auto: on CUDA, unless compiling
    (torch.compile's reduce-overhead mode makes its own graphs). Never off CUDA."""
    if compile or device.type != "cuda":
        return False
    return True if graph is None else bool(graph)


def uses_bf16(device: torch.device, fast: bool, model: nn.Module | None = None, *,
              first_width: int | None = None, graph: bool = True) -> bool:
    """bf16 autocast for this model on this device (see the module doc for the measurements).

    The model matters only by its first conv's width; `first_width` gives it without a model.
    `graph`: on CUDA, whether the step runs as one CUDA graph (bf16 pays only there).
    """
    if not fast:
        return False
    if device.type == "cuda":
        return graph
    if device.type != "cpu" or not cpu_has_bf16_units():
        return False
    if cpu_has_amx():
        return True
    if model is not None:
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        first_width = convs[0].out_channels if convs else 0
    return first_width is None or first_width >= CPU_BF16_MIN_WIDTH


def prepare_model(model: nn.Module, device: torch.device, fast: bool, compile: bool = False,
                  channels_last: bool | None = None) -> nn.Module:
    """Move a model to its device in the fast layout; returns the module to call (compiled or not).

    `channels_last`: the run's layout (uses_channels_last over all its models); None decides
    for this model alone."""
    model = model.to(device)
    if uses_channels_last(device, fast, [model]) if channels_last is None else channels_last:
        model = model.to(memory_format=torch.channels_last)
    if device.type == "cuda" and fast:
        torch.backends.cudnn.benchmark = True  # fixed shapes: time cuDNN's algorithms once, keep the fastest
    if compile and device.type == "cuda":
        return CompiledOrEager(model, mode="reduce-overhead")  # CUDA graphs: one launch per graph, not per kernel
    return model


class CompiledOrEager(nn.Module):
    """Calls `torch.compile(model)`; at the first call that fails, warns once and calls the eager model for good.

    torch.compile compiles lazily, at the first call (and again for a new shape or mode), and
    the backward graph may compile only at the first backward, so a `try` around
    `torch.compile(...)` itself catches nothing. So the first training call is a trial: the
    compiled forward and backward run once on the batch, the gradients are dropped and the BN
    statistics restored, and any failure there (or at a later call) means eager from then on.
    Call it for training only; evaluate with `.eager` (another batch size and eval mode would
    compile a second graph).
    """

    def __init__(self, model: nn.Module, backend="inductor", mode: str | None = None):
        super().__init__()
        self.eager = model
        self.failed: str | None = None  # why compilation failed, once it has
        self._tried = False
        options = {} if backend != "inductor" else {"mode": mode}
        self._compiled = torch.compile(model, backend=backend, **options)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.failed is None:
            try:
                if not self._tried and self.training and torch.is_grad_enabled():
                    self._trial(x)
                return self._compiled(x)
            except Exception as err:  # a missing compiler, an unsupported GPU, a graph break gone wrong
                lines = [line.strip() for line in str(err).splitlines() if line.strip()][:2]
                self.failed = " ".join(lines or [type(err).__name__])[:300]  # "backend=... raised: RuntimeError: ..."
                warnings.warn(f"torch.compile failed ({self.failed}); training on in eager mode", stacklevel=2)
                self._restore_after_trial()
        return self.eager(x)

    def _trial(self, x: torch.Tensor) -> None:
        """Compile forward AND backward now, leaving no trace: no gradients, BN statistics as they were."""
        self._saved = {k: b.detach().clone() for k, b in self.eager.named_buffers()}
        self._compiled(x).float().sum().backward()
        self._restore_after_trial()
        self._tried = True

    @torch.no_grad()
    def _restore_after_trial(self) -> None:
        saved = getattr(self, "_saved", None)
        if saved is None:
            return
        for p in self.eager.parameters():
            p.grad = None
        for k, b in self.eager.named_buffers():
            b.copy_(saved[k])
        self._saved = None


def prepare_input(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """A batch in the run's layout: a conv runs channels_last when its input or its weight is."""
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast when `bf16` (decide with uses_bf16); a no-op context otherwise.

    For training steps only: evaluation runs in fp32 whatever the training precision, because
    bf16 flips test predictions near the decision boundary (peer ResNet-56 on 1,017 real test
    images: 92.92 % in bf16, 92.72 % in fp32).
    """
    if bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def fp32_eval():
    """Evaluation in true fp32: no TF32 in cuDNN convs or CUDA matmuls while inside.

    cuDNN allows TF32 for fp32 convs by default; TF32 rounds their inputs to 10 mantissa bits,
    the same kind of prediction flip as bf16 (smaller). The flags are process-wide: a thread
    training meanwhile also runs in full fp32 for that moment, which costs time, not accuracy.
    """
    flags = (torch.backends.cudnn.conv, torch.backends.cuda.matmul)
    old = [f.fp32_precision for f in flags]
    try:
        for f in flags:
            f.fp32_precision = "ieee"
        yield
    finally:
        for f, value in zip(flags, old):
            f.fp32_precision = value


def make_optimizer(model: nn.Module, lr: float, momentum: float, weight_decay: float,
                   device: torch.device, fast: bool) -> torch.optim.SGD:
    """SGD with momentum and weight decay on every parameter, as in v1 §3.4."""
    fused = fast and device.type == "cuda"
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay,
                           **({"fused": True} if fused else {}))


def describe(device: torch.device, fast: bool, model: nn.Module | None = None) -> str:
    """What the fast path does on this device (and model), in one line (for logs and `bench`)."""
    parts = []
    if uses_channels_last(device, fast, [model] if model is not None else ()):
        parts.append("channels_last")
    if uses_bf16(device, fast, model):
        parts.append("bf16 autocast")
    if fast and device.type == "cuda":
        parts.append("fused SGD")
    return ", ".join(parts) or "fp32"
