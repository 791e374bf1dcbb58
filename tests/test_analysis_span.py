"""Shortcut span: matched depth, equal parameters, and a lockstep run that reports every span."""

import dataclasses

import pytest
import torch.nn as nn

from resnet_edu.analysis.span import span_config, span_entries, span_param_counts, summarize_spans
from resnet_edu.training.config import model_spec
from resnet_edu.models import list_units
from resnet_edu.training.trainer import Trainer


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _weight_layers_on_the_main_path(model: nn.Module) -> int:
    """Stem conv + every branch conv + the FC layer: the depth as v1 counts it."""
    branch = sum(1 for u in list_units(model) for name, m in u.module.named_modules()
                 if isinstance(m, nn.Conv2d) and not name.startswith(("shortcut", "gate")))
    return 1 + branch + 1


def test_matched_depth_and_equal_parameters():
    config = span_config(38, widths=(4, 8, 8))
    assert config.models == ("resnet38:span=1", "resnet38:span=2", "resnet38:span=3", "resnet38:span=4")
    counts = span_param_counts(config)
    assert len(set(counts.values())) == 1  # option A: no shortcut parameters, same 36 convs
    for entry in config.models:
        model = model_spec(entry, config.widths).build()
        assert _weight_layers_on_the_main_path(model) == 38
        assert len(list_units(model)) == 36 // model_spec(entry).span
    with pytest.raises(ValueError, match="nearest allowed depths"):
        span_entries(20)  # 20 − 2 = 18 = 3·n·k has no whole n for span k = 4


def test_a_tiny_lockstep_run_reports_every_span(tiny_data):
    config = span_config(38, widths=(2, 2, 2), batch_size=16, steps=2, log_every=1, eval_every=2,
                         dataset="synthetic", device="cpu", with_plain=True, spans=(1, 4))
    config = dataclasses.replace(config, train_size=64, test_size=32)
    events = list(Trainer(config, data=tiny_data).run())
    results = summarize_spans(events)
    assert [(r.span, r.residual) for r in results] == [(1, True), (4, True), (1, False), (4, False)]
    for r in results:
        assert r.step == 2 and 0 <= r.train_error <= 1 and 0 <= r.test_error <= 1 and r.status == "done"
    assert summarize_spans(e.to_dict() for e in events) == results  # the run store's dicts work too
