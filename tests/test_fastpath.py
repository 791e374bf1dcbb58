"""The fast path keeps the numerics honest, and the benchmark reports what the issue asks."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from resnet_edu.training import fastpath
from resnet_edu.training.events import Metrics
from resnet_edu.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]


def test_fast_and_plain_paths_agree_within_bf16_noise(tiny_data, tiny_config):
    # 16 filters in the first stage: wide enough for the CPU's bf16 path where it exists.
    cfg = dataclasses.replace(tiny_config, models=("resnet8",), widths=(16, 16, 16), steps=20, log_every=5,
                              eval_every=20)
    trainer = Trainer(cfg, data=tiny_data)
    assert trainer.members[0].bf16 == fastpath.cpu_has_bf16_units()
    fast = [e for e in trainer.run() if isinstance(e, Metrics)]
    plain = [e for e in Trainer(dataclasses.replace(cfg, fast=False), data=tiny_data).run()
             if isinstance(e, Metrics)]
    # Same batches, same init: losses agree closely at first and stay in step.
    assert fast[0].train_loss == pytest.approx(plain[0].train_loss, abs=0.05)
    for f, p in zip(fast, plain):
        assert f.train_loss == pytest.approx(p.train_loss, abs=0.15)
    assert fast[-1].test_error == pytest.approx(plain[-1].test_error, abs=0.1)


def test_fast_path_layout_and_state_stay_fp32(tiny_data, tiny_config):
    trainer = Trainer(tiny_config, data=tiny_data)
    m = trainer.members[0].module
    assert all(p.dtype == torch.float32 for p in m.parameters())
    assert m.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert all(b.dtype in (torch.float32, torch.int64) for b in m.buffers())
    plain = Trainer(dataclasses.replace(tiny_config, fast=False), data=tiny_data)
    assert plain.members[0].module.conv1.weight.is_contiguous()
    assert fastpath.describe(torch.device("cpu"), False) == "fp32"


def test_no_channels_last_on_cpu_for_a_strided_1x1_conv_narrower_than_8():
    # oneDNN's AVX2 1x1 kernel crashes or hangs on such a conv's weight gradient (fastpath.py).
    from resnet_edu.models import build_model
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    narrow_b = build_model("resnet8:shortcut=B", widths=(4, 8, 8))  # a 1x1 stride-2 conv 4 -> 8
    assert not fastpath.uses_channels_last(cpu, True, [narrow_b])
    assert not fastpath.uses_channels_last(cpu, True, [build_model("plain8", widths=(4, 8, 8)), narrow_b])
    assert fastpath.uses_channels_last(cuda, True, [narrow_b])  # cuDNN: no such kernel
    for ok in (build_model("resnet8", widths=(4, 8, 8)),  # option A: no 1x1 conv
               build_model("resnet8:shortcut=B", widths=(8, 16, 16)), build_model("resnet8:shortcut=C")):
        assert fastpath.uses_channels_last(cpu, True, [ok])
    assert not fastpath.uses_channels_last(cpu, False, [])


def test_a_narrow_option_b_net_trains_on_this_cpu(tmp_path):
    """The run that segfaulted the test suite on an AVX2 CI machine (1 thread) and hung at 2
    threads: a child process, so a crash fails this test, not the whole suite."""
    script = (
        "import torch, sys\n"
        "from resnet_edu.training.config import preset\n"
        "from resnet_edu.training.trainer import Trainer\n"
        "torch.set_num_threads(int(sys.argv[1]))\n"
        "cfg = preset('tiny', models=('resnet8:shortcut=B', 'plain8'), dataset='synthetic', steps=3,\n"
        "             data_dir=sys.argv[2])\n"
        "t = Trainer(cfg)\n"
        "assert not t.channels_last\n"
        "for _ in t.run(): pass\n"
        "print('trained', t.step)\n")
    for threads in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script, threads, str(tmp_path)], capture_output=True,
                             text=True, timeout=120, cwd=ROOT)
        assert out.returncode == 0 and "trained 3" in out.stdout, (threads, out.returncode, out.stderr[-2000:])


def test_cpu_bf16_only_for_nets_wide_enough_to_gain(monkeypatch):
    from resnet_edu.models import build_model
    cpu = torch.device("cpu")
    monkeypatch.setattr(fastpath, "cpu_has_bf16_units", lambda: True)
    monkeypatch.setattr(fastpath, "cpu_has_amx", lambda: False)  # AVX512-BF16 alone: narrow nets stay fp32
    assert fastpath.uses_bf16(cpu, True, build_model("resnet20"))  # 16/32/64: measured 2.2x faster
    assert not fastpath.uses_bf16(cpu, True, build_model("resnet20", widths=(8, 16, 32)))
    assert not fastpath.uses_bf16(cpu, False, build_model("resnet20"))
    monkeypatch.setattr(fastpath, "cpu_has_amx", lambda: True)  # AMX: bf16 paid at every width measured
    assert fastpath.uses_bf16(cpu, True, build_model("resnet20", widths=(4, 8, 8)))
    monkeypatch.setattr(fastpath, "cpu_has_bf16_units", lambda: False)
    assert not fastpath.uses_bf16(cpu, True, build_model("resnet20"))
    assert fastpath.uses_bf16(torch.device("cuda"), True, build_model("resnet20", widths=(4, 8, 8)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fast_path_uses_bf16_and_fused_sgd(tiny_data, tiny_config):
    trainer = Trainer(dataclasses.replace(tiny_config, device="cuda"), data=tiny_data)
    assert trainer.members[0].optimizer.defaults.get("fused")
    assert "bf16" in fastpath.describe(trainer.device, True)
    events = [e for e in trainer.run() if isinstance(e, Metrics)]
    assert all(e.train_loss == e.train_loss for e in events)


def test_bench_json_reports_both_paths():
    r = subprocess.run([sys.executable, "-m", "resnet_edu", "bench", "--models", "resnet8", "--device", "cpu",
                        "--batch-size", "16", "--steps", "2", "--warmup", "1", "--json",
                        "--loop-preset", "tiny"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    r8 = result["resnet8"]
    assert r8["images_per_s"] > 0 and r8["conventional"]["images_per_s"] > 0
    assert r8["speedup"] == pytest.approx(r8["images_per_s"] / r8["conventional"]["images_per_s"])
    assert {"ms_per_step", "peak_memory_mib", "v1_recipe_minutes"} <= set(r8)
