"""The lockstep trainer: same batches for all, exact repeats, divergence, checkpoint and resume."""

import dataclasses
import math

import pytest
import torch

from resnet_edu.training.config import RunConfig, preset
from resnet_edu.training.events import Metrics, Status
from resnet_edu.training.trainer import Trainer


def _metrics(events):
    return [e for e in events if isinstance(e, Metrics)]


def test_run_yields_metrics_for_every_model(tiny_data, tiny_config):
    events = list(Trainer(tiny_config, data=tiny_data).run())
    metrics = _metrics(events)
    assert {m.model for m in metrics} == {"plain8", "resnet8"}
    assert [m.step for m in metrics if m.model == "plain8"] == [4, 8, 12]
    evals = [m for m in metrics if m.test_error is not None]
    assert sorted({m.step for m in evals}) == [12]  # eval_every=6 meets log steps only at 12
    for m in metrics:
        assert 0 <= m.train_error <= 1 and math.isfinite(m.train_loss) and m.images_per_s > 0
    assert events[0] == Status("*", 0, "running", "2 model(s) on cpu")
    assert isinstance(events[-1], Status) and events[-1].status == "done"
    # lr follows the schedule: 0.1, then ÷10 after step 8
    assert [m.lr for m in metrics if m.model == "resnet8"] == pytest.approx([0.1, 0.1, 0.01])


def test_all_models_see_identical_batches(tiny_data, tiny_config):
    # Spies on each model's forward: the models' own modules (a stack shares one batch by construction).
    trainer = Trainer(dataclasses.replace(tiny_config, stack=False), data=tiny_data)
    seen = {}
    for m in trainer.members:
        original = m.model.forward

        def spy(x, name=m.name, original=original):
            seen.setdefault(name, []).append(x.detach().clone())
            return original(x)
        m.model.forward = spy
    list(trainer.run())
    a, b = seen["plain8"], seen["resnet8"]
    assert len(a) == len(b) >= 12
    for xa, xb in zip(a, b):
        assert torch.equal(xa, xb)
    # ... and the batches differ from step to step (augmentation and order move on).
    assert not torch.equal(a[0], a[1])


def test_batches_are_a_pure_function_of_seed_and_step(tiny_data, tiny_config):
    t1, t2 = Trainer(tiny_config, data=tiny_data), Trainer(tiny_config, data=tiny_data)
    for step in (1, 5, 17, 40):  # 40 is in a later epoch
        x1, y1 = t1.batch(step)
        x2, y2 = t2.batch(step)
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    other = Trainer(dataclasses.replace(tiny_config, seed=1), data=tiny_data)
    assert not torch.equal(other.batch(1)[0], t1.batch(1)[0])


def test_seeded_runs_repeat_exactly_on_cpu(tiny_data, tiny_config):
    a = _metrics(Trainer(tiny_config, data=tiny_data).run())
    b = _metrics(Trainer(tiny_config, data=tiny_data).run())
    assert [(m.model, m.step, m.train_loss, m.test_error) for m in a] == \
           [(m.model, m.step, m.train_loss, m.test_error) for m in b]


def test_divergence_stops_one_model_and_the_others_go_on(tiny_data, tiny_config):
    trainer = Trainer(dataclasses.replace(tiny_config, steps=12), data=tiny_data)
    bad = trainer.members[0]
    with torch.no_grad():  # poison plain8: its loss becomes NaN at once
        bad.module.fc.weight.fill_(float("nan"))
    events = list(trainer.run())
    diverged = [e for e in events if isinstance(e, Status) and e.status == "diverged"]
    assert [e.model for e in diverged] == ["plain8"]
    assert "plain8" in diverged[0].message and "others go on" in diverged[0].message
    assert [m.step for m in _metrics(events) if m.model == "resnet8"] == [4, 8, 12]
    assert not any(m.model == "plain8" for m in _metrics(events))
    assert events[-1].status == "done"


def test_stop_saves_and_resume_continues_exactly(tiny_data, tiny_config, tmp_path):
    full = _metrics(Trainer(tiny_config, data=tiny_data).run())

    first = Trainer(tiny_config, data=tiny_data, run_dir=tmp_path)
    events = []
    for e in first.run():
        events.append(e)
        if isinstance(e, Metrics) and e.step == 8 and e.model == "resnet8":
            first.request_stop()
    assert events[-1].status == "stopped" and first.step == 8
    assert (tmp_path / "checkpoint.pt").exists()

    second = Trainer(tiny_config, data=tiny_data, run_dir=tmp_path, resume=True)
    assert second.step == 8
    rest = _metrics(second.run())
    assert [m.step for m in rest if m.model == "resnet8"] == [12]
    want = {(m.model, m.step): m.train_loss for m in full}
    for m in rest:
        assert m.train_loss == pytest.approx(want[(m.model, m.step)], rel=1e-6)


def test_checkpoint_records_config_seed_and_provenance(tiny_data, tiny_config, tmp_path):
    list(Trainer(tiny_config, data=tiny_data, run_dir=tmp_path).run())
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    saved = RunConfig.from_dict(state["config"])
    assert saved.precision in ("fp32", "bf16")  # "auto" resolved: the run records what it used
    assert saved == dataclasses.replace(tiny_config, precision=saved.precision, trained_in=saved.trained_in)
    assert saved.trained_in.startswith(f"{saved.precision}, eager: ")  # what it trained in, and why
    assert state["seed"] == 0 and state["step"] == 12
    assert state["provenance"]["torch"] == torch.__version__
    assert set(state["members"]) == {"plain8", "resnet8"}
    assert not list(tmp_path.glob("*.tmp"))  # atomic: no temporary file left


def test_resume_refuses_a_different_run(tiny_data, tiny_config, tmp_path):
    list(Trainer(tiny_config, data=tiny_data, run_dir=tmp_path).run())
    with pytest.raises(ValueError, match="cannot resume"):
        Trainer(dataclasses.replace(tiny_config, seed=3), data=tiny_data, run_dir=tmp_path, resume=True)


def test_warmup_until_training_error_below_threshold(tiny_data, tiny_config):
    cfg = dataclasses.replace(tiny_config, warmup_lr=0.01, warmup_until=0.0, warmup_min_depth=8)
    metrics = _metrics(Trainer(cfg, data=tiny_data).run())
    assert all(m.lr == pytest.approx(0.01 if m.step <= 8 else 0.001) for m in metrics)  # never reaches 0 error
    cfg = dataclasses.replace(tiny_config, warmup_lr=0.01, warmup_until=1.01)
    metrics = _metrics(Trainer(cfg, data=tiny_data).run())
    assert [m.lr for m in metrics if m.model == "plain8"] == pytest.approx([0.1, 0.1, 0.01])  # ended at first log
    # A cap ends the warm-up even while the error is still high.
    cfg = dataclasses.replace(tiny_config, warmup_lr=0.01, warmup_until=0.0, warmup_max_steps=4)
    metrics = _metrics(Trainer(cfg, data=tiny_data).run())
    assert [m.lr for m in metrics if m.model == "plain8"] == pytest.approx([0.1, 0.1, 0.01])
    # warmup_min_depth: only deep nets warm up (the paper: ResNet-110).
    trainer = Trainer(dataclasses.replace(tiny_config, warmup_lr=0.01, warmup_min_depth=110), data=tiny_data)
    assert not any(m.warmup for m in trainer.members)


def test_probes_arrive_in_metrics(tiny_data, tiny_config):
    cfg = dataclasses.replace(tiny_config, probe_every=4)
    metrics = _metrics(Trainer(cfg, data=tiny_data).run())
    probed = [m for m in metrics if m.probes]
    assert {m.step for m in probed} >= {1, 4, 8, 12}
    p = probed[-1].probes
    assert len(p["unit_output_grad_norm"]) == 3 and len(p["layer_response_std"]) == 6
    assert all(math.isfinite(v) for v in p["layer_update_to_data"])


def test_presets_and_validation():
    quick = preset("quick")
    assert quick.preset == "quick" and quick.warmup_lr == 0.01
    paper = preset("paper")
    assert (paper.batch_size, paper.lr, paper.milestones, paper.steps, paper.momentum, paper.weight_decay) \
        == (128, 0.1, (32_000, 48_000), 64_000, 0.9, 1e-4)
    assert paper.warmup_min_depth == 110
    with pytest.raises(ValueError, match="allowed: quick, classroom, paper"):
        preset("fastest")
    with pytest.raises(ValueError, match="6n\\+2"):
        preset("quick", models=("plain21",))
    with pytest.raises(ValueError, match="synthetic"):
        preset("quick", dataset="imagenet")
    assert RunConfig.from_dict(quick.to_dict()) == quick


def test_model_lists_split_between_entries_not_options():
    from resnet_edu.training.config import split_models
    assert split_models("plain20, plain56") == ("plain20", "plain56")
    assert split_models("plain56,resnet56:shortcut=B,design=full_preact,resnet20") == \
        ("plain56", "resnet56:shortcut=B,design=full_preact", "resnet20")
    assert split_models("resnet38:span=1;resnet38:span=2") == ("resnet38:span=1", "resnet38:span=2")


def test_model_entries_carry_options(tiny_data, tiny_config):
    cfg = dataclasses.replace(tiny_config, models=("resnet8:shortcut=B", "resnet8:design=full_preact"))
    trainer = Trainer(cfg, data=tiny_data)
    assert trainer.members[0].module.stage2[0].shortcut.__class__.__name__ == "Projection"
    assert trainer.members[1].module.head_bn is not None


def test_paper_preset_warms_up_each_net_by_its_paper():
    """v1 §4.2: lr 0.01 until training error < 80 %, for ResNet-110 (and deeper); v2 appendix:
    lr 0.01 for the first 400 iterations "for all CIFAR experiments", at every depth."""
    paper = preset("paper", models=("resnet20",))
    assert (paper.warmup_rule, paper.warmup_steps, paper.warmup_lr) == ("by_paper", 400, 0.01)
    assert paper.warmup_for("resnet20") is None and paper.warmup_for("plain56") is None
    assert paper.warmup_for("resnet110") == "v1" and paper.warmup_for("resnet1202") == "v1"
    for v2_net in ("preact_resnet110", "preact_resnet164", "resnet20:design=full_preact",
                   "resnet20:design=relu_preact", "resnet110:variant=exclusive_gate,gate_bias=-6"):
        assert paper.warmup_for(v2_net) == "v2", v2_net
    assert RunConfig().warmup_rule == "v1"  # other presets keep their own (capped) v1 rule
    with pytest.raises(ValueError, match="warmup_rule"):
        preset("paper", warmup_rule="v3")


def test_v2_warm_up_is_a_fixed_number_of_iterations(tiny_data, tiny_config):
    cfg = dataclasses.replace(tiny_config, models=("resnet8", "resnet8:design=full_preact"), milestones=(),
                              log_every=2, warmup_lr=0.01, warmup_until=0.0, warmup_min_depth=0,
                              warmup_rule="by_paper", warmup_steps=5)
    trainer = Trainer(cfg, data=tiny_data)
    preact = next(m for m in trainer.members if m.name.endswith("full_preact"))
    assert [trainer.lr(preact, s) for s in (1, 5, 6, 12)] == [0.01, 0.01, 0.1, 0.1]
    lrs = {}
    for e in _metrics(trainer.run()):
        lrs.setdefault(e.model, []).append(e.lr)
    assert lrs["resnet8:design=full_preact"] == [0.01, 0.01, 0.1, 0.1, 0.1, 0.1]  # steps 2, 4, 6, ...
    assert lrs["resnet8"] == [0.01] * 6  # v1 rule: error never < 0, so it stays warm


def test_paper_preset_trains_in_fp32_and_every_run_records_its_precision(tiny_data, tiny_config):
    assert preset("paper").precision == "fp32" and RunConfig().precision == "auto"
    wide = dataclasses.replace(tiny_config, widths=(16, 16, 16))
    trainer = Trainer(dataclasses.replace(wide, precision="fp32"), data=tiny_data)
    assert not any(m.bf16 for m in trainer.members) and trainer.config.precision == "fp32"
    auto = Trainer(wide, data=tiny_data)  # "auto": the run says what it chose
    from resnet_edu.training import fastpath
    assert auto.config.precision == ("bf16" if fastpath.cpu_has_bf16_units() else "fp32")
    assert all(m.bf16 == (auto.config.precision == "bf16") for m in auto.members)


def test_explicit_bf16_without_bf16_hardware_is_a_clear_error(tiny_data, tiny_config, monkeypatch):
    from resnet_edu.training import fastpath
    monkeypatch.setattr(fastpath, "cpu_has_bf16_units", lambda: False)
    with pytest.raises(ValueError, match="bf16 needs CUDA or a CPU with bf16 units"):
        Trainer(dataclasses.replace(tiny_config, precision="bf16"), data=tiny_data)
    with pytest.raises(ValueError, match="precision"):
        Trainer(dataclasses.replace(tiny_config, precision="half"), data=tiny_data)


def test_evaluation_is_fp32_with_fast_on_and_off(tiny_data, tiny_config):
    """bf16 flips test predictions: evaluation never autocasts, so a fixed model predicts the same."""
    from resnet_edu.training import fastpath
    cfg = dataclasses.replace(tiny_config, models=("resnet8",), widths=(16, 16, 16))
    if fastpath.cpu_has_bf16_units():
        cfg = dataclasses.replace(cfg, precision="bf16")  # trains in bf16: evaluation still must not
    fast, slow = Trainer(cfg, data=tiny_data), Trainer(dataclasses.replace(cfg, fast=False, precision="fp32"),
                                                       data=tiny_data)
    torch.manual_seed(3)
    state = {k: v + 0.01 * torch.randn_like(v) if v.is_floating_point() else v
             for k, v in fast.members[0].module.state_dict().items()}  # a fixed, non-trivial model
    seen = {}
    for name, t in (("fast", fast), ("slow", slow)):
        m = t.members[0]
        m.module.load_state_dict(state)
        original = m.model.forward

        def spy(x, name=name, original=original):
            assert not torch.is_autocast_enabled("cpu")
            assert torch.backends.cudnn.conv.fp32_precision == "ieee"  # no TF32 where CUDA would use it
            out = original(x)
            seen.setdefault(name, []).append(out.detach())
            return out
        m.model.forward = spy
        t.evaluate(m)
    a, b = torch.cat(seen["fast"]), torch.cat(seen["slow"])
    assert a.dtype == b.dtype == torch.float32
    assert torch.equal(a.argmax(1), b.argmax(1))  # identical predictions
    assert torch.allclose(a, b, atol=1e-4)  # channels_last vs NCHW: only fp32 rounding apart
    assert fast.evaluate(fast.members[0]) == slow.evaluate(slow.members[0])
    assert torch.backends.cudnn.conv.fp32_precision == "tf32"  # restored (PyTorch's default)
