"""Shortcut span: residual branches skipping 1, 2, 3 or 4 weight layers at matched depth.

v1 §3.2 uses branches of 2 or 3 layers and notes that a single layer, y = W₁x + x, "is
similar to a linear layer" and showed no advantage. Here the question is run, not read:
depth 38 = 3·12 + 2 holds 12 weight layers per stage for every span (12 = 12·1 = 6·2 = 4·3
= 3·4 units), so the nets differ *only* in how often a shortcut rejoins the main path.
With option A they have exactly the same parameters (a test checks it).

    config = span_config(preset="quick")          # resnet38:span=1 ... span=4, lockstep
    summary = summarize_spans(list(train(config)))
"""

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..training.config import RunConfig, model_spec, preset as make_preset
from ..training.events import Metrics, event_from_dict
from ..models import count_params

SPANS = (1, 2, 3, 4)


def span_entries(depth: int = 38, spans: Sequence[int] = SPANS, plain: bool = False) -> tuple[str, ...]:
    """Model entries "resnet38:span=1", ... (and "plain38:span=k" when plain=True), checked for depth."""
    family = "plain" if plain else "resnet"
    entries = tuple(f"{family}{depth}:span={k}" for k in spans)
    for e in entries:
        model_spec(e)  # a depth that is not 3·k·n + 2 for some span fails here, with the nearest depths
    return entries


def span_config(depth: int = 38, spans: Sequence[int] = SPANS, *, preset: str = "quick",
                with_plain: bool = False, **overrides) -> RunConfig:
    """A lockstep run of the span-k nets at one depth (and their plain twins when with_plain)."""
    models = span_entries(depth, spans) + (span_entries(depth, spans, plain=True) if with_plain else ())
    return make_preset(preset, models=models, **overrides)


def span_param_counts(config: RunConfig) -> dict[str, int]:
    """Parameters of each model of a run, with the run's widths."""
    return {e: count_params(model_spec(e, config.widths).build()) for e in config.models}


@dataclass(frozen=True)
class SpanResult:
    """The last logged numbers of one model of a span run."""

    entry: str
    span: int
    residual: bool
    step: int  # the last logged step
    train_error: float  # fraction, on the training batches of the last log window
    train_loss: float
    test_error: float | None  # the last evaluation; None when the run never evaluated
    status: str  # "done", "diverged", "stopped", "running"


def summarize_spans(events: Iterable) -> list[SpanResult]:
    """Final train/test error per model from a run's events (Metrics/Status objects or their dicts)."""
    last: dict[str, Metrics] = {}
    last_test: dict[str, float] = {}
    status: dict[str, str] = {}
    for e in events:
        e = event_from_dict(e) if isinstance(e, dict) else e
        if getattr(e, "kind", "") == "metrics":
            last[e.model] = e
            if e.test_error is not None:
                last_test[e.model] = e.test_error
        elif getattr(e, "kind", "") == "status" and e.model != "*":
            status[e.model] = e.status
    out = []
    for entry, m in last.items():
        spec = model_spec(entry)
        out.append(SpanResult(entry, spec.span, spec.residual, m.step, m.train_error, m.train_loss,
                              last_test.get(entry), status.get(entry, "running")))
    return sorted(out, key=lambda r: (not r.residual, r.span))
