"""The GPU step without the launch bound, checked on a CPU (same op graph), and the honest bench."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from resnet_edu.data import normalize
from resnet_edu.perf import bench
from resnet_edu.perf.opcount import OpCounter
from resnet_edu.training import fastpath
from resnet_edu.training.events import Metrics
from resnet_edu.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]


def _step_ops(trainer: Trainer) -> OpCounter:
    active = list(trainer.members)
    for step in (1, 2):  # warm-up: optimizer state exists, stacks are loaded
        trainer._step_all(active, step, probing=False)
    with OpCounter() as ops:
        trainer._step_all(active, 3, probing=False)
    return ops


@pytest.mark.parametrize("stack", [True, False])
def test_a_step_builds_no_tensor_from_python_data_and_never_waits(tiny_data, tiny_config, one_thread, stack):
    # On CUDA a tensor from a Python list is a blocking host->device copy, and .item() a sync:
    # the step must have neither (metrics are read at log steps only).
    ops = _step_ops(Trainer(dataclasses.replace(tiny_config, stack=stack), data=tiny_data))
    kinds = ops.kinds()
    assert kinds["from_python"] == 0 and kinds["sync"] == 0, ops.ops
    assert ops.total > 50  # the counter saw the step


def test_the_counter_sees_what_it_must_forbid():
    x = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    with OpCounter() as ops:
        normalize(x, [0.5, 0.5, 0.5], [0.2, 0.2, 0.2])  # lists: two tensors from Python data
        torch.ones(()).item()
    assert ops.kinds()["from_python"] == 2 and ops.kinds()["sync"] == 1
    assert bench.normalize_from_lists_ops() == 2


def test_stacking_shares_the_per_layer_ops(tiny_data, tiny_config, one_thread):
    cfg = dataclasses.replace(tiny_config, models=("plain8",), seeds=(0, 1, 2))
    alone = _step_ops(Trainer(dataclasses.replace(cfg, stack=False), data=tiny_data))
    together = _step_ops(Trainer(cfg, data=tiny_data))
    assert together.kernels < alone.kernels / 2  # three models: one launch per layer instead of three
    assert alone.kinds()["bn_counter"] == 3 * 7  # plain-8: 7 BN layers per model, num_batches_tracked += 1
    assert together.kinds()["bn_counter"] == 0  # counted on the host by the stack


def _broken_backend(gm, example_inputs):
    raise RuntimeError("no compiler on this machine")


def test_compile_falls_back_at_the_first_failing_call(one_thread):
    # torch.compile itself never fails: compilation is lazy, at the first call. The wrapper must
    # catch it there and go on in eager mode, with the eager model's numbers.
    from resnet_edu.models import build_model
    model = build_model("resnet8", widths=(4, 8, 8)).eval()
    wrapped = fastpath.CompiledOrEager(model, backend=_broken_backend)
    x = torch.randn(2, 3, 32, 32)
    with pytest.warns(UserWarning, match="eager"):
        out = wrapped(x)
    assert wrapped.failed and "no compiler" in wrapped.failed
    torch.testing.assert_close(out, model(x))
    assert torch.equal(wrapped(x), model(x))  # later calls go straight to eager, no second warning


def test_a_backward_that_fails_to_compile_falls_back_too(one_thread):
    # The forward compiles, the backward's compiler fails: caught at the first call (the trial
    # step), gradients and BN statistics left as if nothing had run, eager from then on.
    from torch._dynamo.backends.common import aot_autograd
    from resnet_edu.models import build_model

    def backward_fails(gm, example_inputs):
        raise RuntimeError("no backward compiler")
    backend = aot_autograd(fw_compiler=lambda gm, ex: gm.forward, bw_compiler=backward_fails)
    torch._dynamo.reset()
    model = build_model("resnet8", widths=(4, 8, 8))
    reference = build_model("resnet8", widths=(4, 8, 8))
    reference.load_state_dict(model.state_dict())
    wrapped = fastpath.CompiledOrEager(model, backend=backend)
    x = torch.randn(4, 3, 32, 32)
    with pytest.warns(UserWarning, match="eager"):
        out = wrapped(x)
    assert wrapped.failed and "no backward compiler" in wrapped.failed
    assert all(p.grad is None for p in model.parameters())
    torch.testing.assert_close(out, reference(x))  # BN statistics restored before the eager call
    torch.testing.assert_close(model.bn1.running_mean, reference.bn1.running_mean)


def test_training_with_a_failing_compiler_still_trains(tiny_data, tiny_config, one_thread):
    trainer = Trainer(dataclasses.replace(tiny_config, stack=False), data=tiny_data)
    for m in trainer.members:
        m.model = fastpath.CompiledOrEager(m.module, backend=_broken_backend)
    with pytest.warns(UserWarning):
        events = [e for e in trainer.run() if isinstance(e, Metrics)]
    assert events and all(e.train_loss == e.train_loss for e in events)
    assert all(m.model.failed for m in trainer.members)


def test_evaluation_does_not_recompile(tiny_data, tiny_config, one_thread):
    # Training calls the compiled model; evaluation (eval mode, batch 1000) calls the eager module,
    # so the run compiles one graph per model, not one more per evaluation.
    compiled = []

    def counting(gm, example_inputs):
        compiled.append(1)
        return gm.forward
    torch._dynamo.reset()
    trainer = Trainer(dataclasses.replace(tiny_config, stack=False, models=("resnet8",)), data=tiny_data)
    m = trainer.members[0]
    m.model = fastpath.CompiledOrEager(m.module, backend=counting)
    events = [e for e in trainer.run() if isinstance(e, Metrics)]
    assert any(e.test_error is not None for e in events)
    assert m.model.failed is None and len(compiled) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_step_never_synchronises(tiny_data, tiny_config):
    # The eager step (graph=False); the captured one has its own test in test_graphstep.py.
    trainer = Trainer(dataclasses.replace(tiny_config, device="cuda", graph=False), data=tiny_data)
    active = list(trainer.members)
    trainer._step_all(active, 1, probing=False)  # first step: allocations, cuDNN autotuning
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any host-device sync inside the step raises
    try:
        for step in (2, 3, 4):
            trainer._step_all(active, step, probing=False)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.backends.cudnn.benchmark


def test_bench_alternates_three_loops_and_counts_ops():
    r = subprocess.run([sys.executable, "-m", "resnet_edu", "bench", "--models", "resnet8", "--device", "cpu",
                        "--batch-size", "16", "--steps", "1", "--warmup", "1", "--rounds", "2", "--json",
                        "--loop-preset", "tiny"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r8 = json.loads(r.stdout)["resnet8"]
    assert set(r8["rounds_ms"]) == {"conventional", "two lines", "project"}
    assert all(len(v) == 2 for v in r8["rounds_ms"].values())
    assert r8["speedup_vs_two_lines"] == pytest.approx(r8["images_per_s"] / r8["two_lines"]["images_per_s"])
    assert r8["ops_per_step"]["from_python"] == 0 and r8["ops_per_step"]["ops"] > 50
    # What a user gets: the real Trainer.run (tiny preset: logs every 2 steps, evaluations every 4).
    loop = r8["trainer_loop"]
    assert loop["path"] == "eager" and loop["log_every"] == 2 and loop["eval_every"] == 4
    assert loop["steps_per_round"] == 2 and all(len(v) == 2 for v in loop["rounds_ms"].values())
    assert loop["of_bare_step"] == pytest.approx(loop["bare_step_ms"] / loop["ms_per_step"])
    assert loop["images_per_s"] == pytest.approx(16 / loop["ms_per_step"] * 1000)
    assert 0 < loop["first_step_s"] < 60 and loop["of_bandwidth_ceiling"] is None  # no ceiling off CUDA
    assert loop["v1_recipe_minutes"] == pytest.approx(64_000 * loop["ms_per_step"] / 60_000)
    assert loop["trained_in"].startswith(loop["precision"] + ", eager")


def test_bench_stacked_part_on_tiny_nets(monkeypatch, one_thread):
    monkeypatch.setattr(bench, "STACKED_MODELS", ("plain8", "plain14"))
    monkeypatch.setattr(bench, "STACKED_WIDTHS", (4, 8, 8))
    monkeypatch.setattr(bench, "STACKED_BATCH", 16)
    r = bench.run_stacked(torch.device("cpu"), steps=1, warmup=1, rounds=2)
    assert r["members"] == 6 and r["speedup"] > 0
    assert r["speedup"] == pytest.approx(r["ms_per_step"]["one by one"] / r["ms_per_step"]["stacked"])
    for name in ("plain8", "plain14"):
        ops = r["ops_per_step_per_model"][name]
        assert ops["stacked"]["kernels"] < ops["alone"]["kernels"]
    assert "AMD" in bench.cpu_model() or "Intel" in bench.cpu_model() or bench.cpu_model()


def test_bench_lockstep_and_batch_sweep():
    # Fig. 6's set in one run (here two narrow pairs, a tiny check): one trainer loop for all of them.
    r = subprocess.run([sys.executable, "-m", "resnet_edu", "bench", "--models", "plain8,resnet8,resnet14",
                        "--device", "cpu", "--batch-size", "8,16", "--steps", "2", "--warmup", "1", "--rounds", "1",
                        "--loop-preset", "tiny", "--lockstep", "--no-graph", "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"lockstep", "lockstep@batch16"}
    ls = out["lockstep"]
    assert ls["models"] == ["plain8", "resnet8", "resnet14"] and ls["members"] == 3 and ls["batch_size"] == 8
    assert ls["images_per_s_all_members"] == pytest.approx(3 * ls["images_per_s"])
    assert out["lockstep@batch16"]["batch_size"] == 16


def test_bench_refuses_bad_batch_sizes():
    for bad in ("0", "abc", "128,5000"):
        r = subprocess.run([sys.executable, "-m", "resnet_edu", "bench", "--models", "resnet8", "--device", "cpu",
                            "--batch-size", bad], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and r.stderr.startswith("error: --batch-size") and "Traceback" not in r.stderr


def test_bench_loop_preset_none_skips_the_trainer_loop():
    r = subprocess.run([sys.executable, "-m", "resnet_edu", "bench", "--models", "resnet8", "--device", "cpu",
                        "--batch-size", "8", "--steps", "1", "--warmup", "0", "--rounds", "1", "--json",
                        "--loop-preset", "none"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "trainer_loop" not in json.loads(r.stdout)["resnet8"]
