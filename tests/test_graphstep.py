"""The whole step as one CUDA graph (graphstep.py), proved on a CPU where a CPU can prove it.

A CPU has no CUDA graphs, so these tests check what capture needs and what replay must give:
- the step body syncs with nothing and builds no tensor from Python data (else it could not
  be captured, or would replay stale values);
- the capture wrapper falls back to eager on a failing capture, and says so once;
- the body, run eagerly, gives the eager trainer's numbers (same op graph);
- the learning-rate schedule as device tensors equals the Python schedule.
The CUDA tests at the end capture and replay for real; they skip without a GPU.
"""

import contextlib
import dataclasses
import subprocess
import sys

import pytest
import torch

from resnet_edu.perf.opcount import OpCounter
from resnet_edu.training import fastpath, graphstep, stacked
from resnet_edu.training.config import RunConfig, preset, resolve_precision
from resnet_edu.training.events import Metrics, Status
from resnet_edu.training.trainer import Trainer


class Replays:
    """A stand-in for a captured graph on a CPU: replay() runs the body (what a graph replays)."""

    def __init__(self, body):
        self.body, self.replays = body, 0

    def replay(self):
        self.replays += 1
        self.body()


@pytest.fixture
def cpu_graphs(monkeypatch):
    """Let the trainer take its graph path on a CPU, with replay = the body run eagerly."""
    captured = []

    def capture(body, generators):
        captured.append(Replays(body))
        return captured[-1]
    monkeypatch.setattr(graphstep, "capturable", lambda device: True)
    monkeypatch.setattr(graphstep, "capture_cuda", capture)
    return captured


def _config(tiny_config, **kw):
    # plain8 + resnet8 stack (one unit), resnet14 alone (another); no augmentation, so the eager
    # trainer (which reseeds its crops per step) and the graph path see the same batches.
    return dataclasses.replace(tiny_config, **{"models": ("plain8", "resnet8", "resnet14"), "augment": False, **kw})


@contextlib.contextmanager
def _no_host_sync_nor_python_data():
    """Raise on anything in the block that syncs with the device or makes a tensor from Python data."""
    def refuse(what):
        def fail(*args, **kwargs):
            raise AssertionError(f"{what} inside the step body")
        return fail
    real_as_tensor = torch.as_tensor

    def as_tensor(data, *args, **kwargs):
        if not isinstance(data, torch.Tensor):
            raise AssertionError("torch.as_tensor(Python data) inside the step body")
        return real_as_tensor(data, *args, **kwargs)
    patches = {(torch, "tensor"): refuse("torch.tensor"), (torch, "as_tensor"): as_tensor,
               (torch.Tensor, "item"): refuse(".item()"), (torch.Tensor, "cpu"): refuse(".cpu()"),
               (torch.Tensor, "tolist"): refuse(".tolist()"), (torch.Tensor, "numpy"): refuse(".numpy()"),
               (torch.Tensor, "__float__"): refuse("float(tensor)"), (torch.Tensor, "__int__"): refuse("int(tensor)"),
               (torch.Tensor, "__bool__"): refuse("bool(tensor)")}
    saved = {key: getattr(*key) for key in patches}
    try:
        for (owner, name), fn in patches.items():
            setattr(owner, name, fn)
        with OpCounter() as ops:  # and at the op level: no lift_fresh (Python data), no _local_scalar_dense (sync)
            yield
    finally:
        for (owner, name), fn in saved.items():
            setattr(owner, name, fn)
    kinds = ops.kinds()
    assert kinds["sync"] == 0 and kinds["from_python"] == 0, kinds


def test_step_body_has_no_host_sync_and_no_python_data(tiny_data, tiny_config, cpu_graphs, one_thread):
    # Augmentation on, a seed band (a stack over seeds: per-seed batches in channel slots) and nets alone
    # (option B has projections: not stackable).
    cfg = dataclasses.replace(tiny_config, models=("plain8", "resnet8:shortcut=B"), seeds=(0, 1), augment=True)
    trainer = Trainer(dataclasses.replace(cfg, graph=True), data=tiny_data)
    trainer._step_all(trainer.members, 1, probing=False)  # builds the units (tensors from Python data: here, once)
    kinds = {("stack" if u.unit.group is not None else "alone") for u in trainer._units}
    assert kinds == {"stack", "alone"}
    for unit in trainer._units:
        with _no_host_sync_nor_python_data():
            unit.unit.body()
    # The trainer's own per-step work around the replays: index copies and one fill, no sync either.
    with _no_host_sync_nor_python_data():
        trainer._step_all(trainer.members, 2, probing=False)


def test_capture_failure_falls_back_to_eager_and_says_so_once(tiny_data, tiny_config, monkeypatch, one_thread):
    monkeypatch.setattr(graphstep, "capturable", lambda device: True)

    def broken(body, generators):
        raise RuntimeError("operation not permitted when stream is capturing\nsecond line")
    monkeypatch.setattr(graphstep, "capture_cuda", broken)
    cfg = _config(tiny_config)
    events = list(Trainer(dataclasses.replace(cfg, graph=True), data=tiny_data).run())
    notes = [e for e in events if isinstance(e, Status) and "capture failed" in e.message]
    assert len(notes) == 2  # once per unit (the stack, the net alone), at the step that tried
    assert all(n.step == graphstep.WARMUP_STEPS + 1 and "second line" not in n.message for n in notes)
    assert "plain8, resnet8" in notes[0].message and "resnet14" in notes[1].message
    # ... and the run trained on, eagerly, to the same numbers as an eager run.
    eager = [e for e in Trainer(dataclasses.replace(cfg, graph=False), data=tiny_data).run() if isinstance(e, Metrics)]
    fell_back = [e for e in events if isinstance(e, Metrics)]
    assert [(e.model, e.step) for e in eager] == [(e.model, e.step) for e in fell_back]
    for a, b in zip(eager, fell_back):
        assert b.train_loss == pytest.approx(a.train_loss, rel=1e-5)


def test_captured_step_warms_up_captures_once_then_replays(tiny_data, tiny_config, one_thread):
    trainer = Trainer(_config(tiny_config, models=("resnet8",)), data=tiny_data)
    trainer._build_units(1)
    unit = trainer._units[0].unit
    warm, graphs = [], []

    @contextlib.contextmanager
    def side():
        warm.append(1)
        yield
    step = graphstep.CapturedStep(unit, capture=lambda body, gens: graphs.append(Replays(body)) or graphs[-1],
                                  warm_context=side)
    paths = [step() for _ in range(6)]
    assert paths == ["eager"] * 3 + ["graph"] * 3 and len(warm) == 3
    assert len(graphs) == 1 and graphs[0].replays == 3 and step.note is None

    def broken(body, gens):
        raise RuntimeError("boom")
    failing = graphstep.CapturedStep(unit, capture=broken, warm_context=side)
    assert [failing() for _ in range(5)] == ["eager"] * 5
    assert failing.failed == "boom" and "boom" in failing.note


def test_graph_body_gives_the_eager_trainers_numbers(tiny_data, tiny_config, cpu_graphs, one_thread):
    cfg = _config(tiny_config)
    eager = Trainer(dataclasses.replace(cfg, graph=False), data=tiny_data)
    graph = Trainer(dataclasses.replace(cfg, graph=True), data=tiny_data)
    a = [e for e in eager.run() if isinstance(e, Metrics)]
    b = [e for e in graph.run() if isinstance(e, Metrics)]
    assert graph.path == "graph" and eager.path == "eager"
    assert len(cpu_graphs) == 2 and all(g.replays == cfg.steps - graphstep.WARMUP_STEPS for g in cpu_graphs)
    assert [(e.model, e.step, e.lr) for e in a] == [(e.model, e.step, e.lr) for e in b]
    for x, y in zip(a, b):
        assert y.train_loss == pytest.approx(x.train_loss, rel=1e-5)
        assert y.train_error == pytest.approx(x.train_error, abs=1e-6)
        if x.test_error is not None:
            assert y.test_error == pytest.approx(x.test_error, abs=1 / 128 + 1e-9)  # one image at most
    for ma, mb in zip(eager.members, graph.members):
        for (k, pa), pb in zip(ma.module.state_dict().items(), mb.module.state_dict().values()):
            assert torch.allclose(pa.float(), pb.float(), rtol=1e-4, atol=1e-6), (ma.name, k)


def test_graph_path_with_probes_and_a_seed_band(tiny_data, tiny_config, cpu_graphs, one_thread):
    # Probe steps run eagerly between replays (the stack reloads in place: same tensors).
    cfg = dataclasses.replace(_config(tiny_config, models=("plain8", "resnet8")), seeds=(0, 1), probe_every=4)
    eager = [e for e in Trainer(dataclasses.replace(cfg, graph=False), data=tiny_data).run()]
    trainer = Trainer(dataclasses.replace(cfg, graph=True), data=tiny_data)
    stack = trainer.stacks[0]
    events = list(trainer.run())
    notes = [e.message for e in events if isinstance(e, Status) and e.model == "*" and e.status == "running"]
    assert sum("probe steps run eagerly" in n for n in notes) == 1
    assert stack.net.params[0] is trainer._units[0].unit.params[0]  # the captured tensors are still the stack's
    m_eager = [e for e in eager if isinstance(e, Metrics)]
    m_graph = [e for e in events if isinstance(e, Metrics)]
    assert [(e.model, e.step) for e in m_eager] == [(e.model, e.step) for e in m_graph]
    for x, y in zip(m_eager, m_graph):
        assert y.train_loss == pytest.approx(x.train_loss, rel=1e-5)
        assert (x.probes is None) == (y.probes is None)


def test_same_seed_units_draw_the_same_crops(tiny_data, tiny_config, one_thread):
    cfg = dataclasses.replace(tiny_config, models=("plain8", "resnet14"), augment=True)
    trainer = Trainer(cfg, data=tiny_data)
    trainer._build_units(1)
    a, b = (u.unit for u in trainer._units)
    for step in (1, 2):
        trainer._indices[0].copy_(trainer.batch_indices(step, 0))
        (xa, ya), (xb, yb) = a.inputs(), b.inputs()
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
        if step == 1:
            first = xa.clone()
    assert not torch.equal(first, xa)


def test_device_schedule_equals_the_python_schedule(tiny_data, tiny_config):
    cfg = dataclasses.replace(tiny_config, models=("resnet8", "plain8", "resnet8:design=full_preact"),
                              warmup_lr=0.01, warmup_rule="by_paper", warmup_min_depth=8, warmup_steps=3,
                              milestones=(5, 9), steps=20)
    trainer = Trainer(cfg, data=tiny_data)
    members = trainer.members
    assert [m.warmup_rule for m in members] == ["v1", "v1", "v2"]
    schedule = graphstep.DeviceSchedule(cfg, members, torch.zeros(()))
    for end_warmup_at in (2, 7):
        for m in members:
            m.warmup, m.status = m.warmup_rule is not None, "running"
        schedule.refresh(members)
        for step in range(1, 16):
            if step == end_warmup_at:
                members[0].warmup = False  # the v1 rule ends per member, at a log step
                schedule.refresh(members)
            if step == 11:
                members[1].status = "diverged"
                schedule.refresh(members)
            schedule.step.fill_(step)
            want = [trainer.lr(m, step) if m.status == "running" else 0.0 for m in members]
            assert schedule.lrs().tolist() == pytest.approx(want, rel=1e-6), step


def test_graph_is_on_by_default_only_for_cuda(tiny_data, tiny_config, one_thread):
    trainer = Trainer(tiny_config, data=tiny_data)  # graph=None: auto
    assert not trainer.graph_mode and trainer.path == "eager"
    events = list(trainer.run())
    assert not any("graph" in e.message for e in events if isinstance(e, Status))
    asked = list(Trainer(dataclasses.replace(tiny_config, graph=True), data=tiny_data).run())
    said = [e for e in asked if isinstance(e, Status) and "CUDA graphs need CUDA" in e.message]
    assert len(said) == 1 and said[0].step == 0
    # The run records what it trained in, and why; a resumed run (precision now explicit) keeps the reason.
    resolved = Trainer(tiny_config, data=tiny_data).config
    assert resolved.trained_in.split(":")[0] in ("fp32, eager", "bf16, eager")
    assert resolve_precision(resolved) == resolved
    assert resolve_precision(preset("paper", device="cpu")).trained_in == \
        "fp32, eager: the config asks for fp32 (the paper trained in fp32)"


def test_fig6_nine_nets_in_one_run_in_captured_groups(tiny_data, cpu_graphs, one_thread):
    nine = ("plain20", "plain32", "plain44", "plain56", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110")
    assert preset("paper", models=nine).models == nine  # the CLI's bound accepts Fig. 6 as one run
    cfg = RunConfig(models=nine, dataset="synthetic", widths=(4, 4, 4), batch_size=8, steps=5, log_every=5,
                    eval_every=5, device="cpu", graph=True, warmup_lr=0.01, warmup_min_depth=110)
    trainer = Trainer(cfg, data=tiny_data)
    events = list(trainer.run())
    # plain-N beside ResNet-N: four stacks of two, ResNet-110 alone: five captured units.
    assert sorted(len(u.unit.members) for u in trainer._units) == [1, 2, 2, 2, 2]
    assert len(cpu_graphs) == 5 and trainer.path == "graph"
    assert {e.model for e in events if isinstance(e, Metrics)} == set(nine)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graph_replay_matches_eager_and_never_syncs(tiny_data, tiny_config):
    cfg = _config(tiny_config, device="cuda", precision="fp32")
    eager = Trainer(dataclasses.replace(cfg, graph=False), data=tiny_data)
    graph = Trainer(dataclasses.replace(cfg, graph=True), data=tiny_data)
    assert graph.graph_mode
    with fastpath.fp32_eval():  # no TF32: both paths in true fp32
        _cuda_steps(eager, graph)
    stacked.sync(graph.stacks)
    stacked.sync(eager.stacks)
    for ma, mb in zip(eager.members, graph.members):
        assert mb.loss_sum.item() == pytest.approx(ma.loss_sum.item(), rel=1e-2)
        for pa, pb in zip(ma.module.parameters(), mb.module.parameters()):
            assert torch.allclose(pa, pb, rtol=1e-2, atol=1e-3)


def _cuda_steps(eager, graph):
    for step in range(1, graphstep.WARMUP_STEPS + 2):  # warm-up, then the capture
        graph._step_all(graph.members, step, probing=False)
        eager._step_all(eager.members, step, probing=False)
    torch.cuda.synchronize()
    assert all(u.graph is not None and u.failed is None for u in graph._units)
    torch.cuda.set_sync_debug_mode("error")  # any host-device sync inside a replayed step raises
    try:
        for step in range(graphstep.WARMUP_STEPS + 2, 11):
            graph._step_all(graph.members, step, probing=False)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    for step in range(graphstep.WARMUP_STEPS + 2, 11):
        eager._step_all(eager.members, step, probing=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graph_run_trains_and_says_its_path(tiny_data, tiny_config):
    trainer = Trainer(dataclasses.replace(tiny_config, device="cuda"), data=tiny_data)
    assert trainer.config.precision == "bf16" and "CUDA graph" in trainer.config.trained_in
    events = list(trainer.run())
    assert trainer.path == "graph" and trainer.first_step_s is not None
    assert not any("capture failed" in e.message for e in events if isinstance(e, Status))
    assert all(e.train_loss == e.train_loss for e in events if isinstance(e, Metrics))


@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU this command would train the paper recipe")
def test_fig6_command_is_accepted_up_to_the_missing_gpu(tmp_path):
    nine = "plain20,plain32,plain44,plain56,resnet20,resnet32,resnet44,resnet56,resnet110"
    r = subprocess.run([sys.executable, "-m", "resnet_edu", "train", "--preset", "paper", "--models", nine,
                        "--device", "cuda", "--dataset", "synthetic", "--runs-dir", str(tmp_path / "runs")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "CUDA was asked for" in r.stderr and "at most" not in r.stderr
