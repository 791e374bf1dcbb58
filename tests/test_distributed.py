"""torchrun + DDP on a CPU (gloo, 2 processes), and the sweep over devices (distributed.py, sweep.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from resnet_edu.cli import parse_seeds
from resnet_edu.runs.store import RunStore
from resnet_edu.training import distributed

ROOT = Path(__file__).resolve().parents[1]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]


def _run(cmd: list[str], timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_two_ranks_see_different_data_keep_identical_weights_and_rank0_writes(tmp_path):
    _run(TORCHRUN + ["tests/ddp_worker.py", str(tmp_path)])
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["world"] == r1["world"] == 2 and r0["stacks"] == 0
    assert r0["x"].shape[0] == r1["x"].shape[0] == 16  # the batch of 32, half each
    assert not torch.equal(r0["x"], r1["x"])  # each rank its own share
    for name, w in r0["weights"].items():  # DDP averaged the gradients: the same weights everywhere
        for k, t in w.items():
            if "running_" in k or "num_batches" in k:
                continue  # BN statistics: DDP broadcasts rank 0's at each forward; the last update is per rank
            assert torch.equal(t, r1["weights"][name][k]), (name, k)
    assert (tmp_path / "run-rank0" / "checkpoint.pt").exists()
    assert not (tmp_path / "run-rank1").exists() or not any((tmp_path / "run-rank1").iterdir())
    m0, m1 = (json.loads((tmp_path / f"metrics{r}.json").read_text()) for r in (0, 1))
    # Training metrics are averaged over the ranks, so both decide alike (warm-up, divergence).
    assert [e["train_loss"] for e in m0] == pytest.approx([e["train_loss"] for e in m1], abs=1e-6)
    assert any("test_error" in e for e in m0) and not any("test_error" in e for e in m1)  # rank 0 evaluates


def test_torchrun_cli_writes_one_run_and_resumes(tmp_path):
    runs = tmp_path / "runs"
    common = ["-m", "resnet_edu", "train", "--runs-dir", str(runs), "--quiet"]
    _run(TORCHRUN + common + ["--preset", "tiny", "--dataset", "synthetic", "--models", "plain8,resnet8"])
    store = RunStore(runs)
    ids = [p.name for p in runs.iterdir() if p.is_dir()]
    assert len(ids) == 1  # rank 0 alone created it
    _run(TORCHRUN + common + ["--resume", ids[0], "--steps", "16"])
    lines = [json.loads(line) for line in (runs / ids[0] / "metrics.jsonl").read_text().splitlines()]
    steps = [e["step"] for e in lines if e.get("kind", "metrics") == "metrics"]
    assert max(steps) == 16 and store.config(ids[0]).steps == 16


def test_two_ranks_train_as_one_process_on_the_same_batches(tmp_path):
    # Issue 14: "the metrics equal a single-process run's". Without BN the two ranks' halves of
    # each (augmented) batch give, averaged by DDP, exactly the whole batch's gradient, so the
    # losses must agree to float rounding (with BN, each rank normalises its own half: only noise).
    common = ["-m", "resnet_edu", "train", "--quiet", "--preset", "tiny", "--dataset", "synthetic",
              "--models", "plain8:batchnorm=false", "--precision", "fp32", "--steps", "12"]

    def losses(runs: Path, launcher: list[str]) -> dict[int, float]:
        _run(launcher + common + ["--runs-dir", str(runs)])
        (run,) = [p for p in runs.iterdir() if p.is_dir()]
        lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        return {e["step"]: e["train_loss"] for e in lines if e.get("kind", "metrics") == "metrics"}

    alone = losses(tmp_path / "one", [sys.executable])
    ranks = losses(tmp_path / "two", TORCHRUN)
    assert alone.keys() == ranks.keys() and len(alone) >= 2
    for step, loss in alone.items():
        assert ranks[step] == pytest.approx(loss, rel=1e-4), (step, loss, ranks[step])


def test_sweep_runs_one_process_per_seed_into_one_store(tmp_path):
    runs = tmp_path / "runs"
    r = _run([sys.executable, "-m", "resnet_edu", "sweep", "--models", "plain8", "--seeds", "0-1", "--preset", "tiny",
              "--dataset", "synthetic", "--runs-dir", str(runs)])
    assert "no GPU visible" in r.stderr or "GPU(s)" in r.stderr
    store = RunStore(runs)
    seeds = sorted(store.config(p.name).seed for p in runs.iterdir() if p.is_dir())
    assert seeds == [0, 1]


def test_seed_lists_and_a_world_of_one():
    assert parse_seeds("0-4") == (0, 1, 2, 3, 4) and parse_seeds("0,2,5") == (0, 2, 5)
    with pytest.raises(ValueError, match="0-4"):
        parse_seeds("a-b")
    world = distributed.current()  # not launched by torchrun here
    x = torch.arange(6)
    assert world.size == 1 and world.is_writer and torch.equal(world.shard(x), x)
    assert torch.equal(distributed.World(rank=1, size=2).shard(x), torch.tensor([1, 3, 5]))
    with pytest.raises(ValueError, match="CUDA"):
        distributed.sync_batchnorm(torch.nn.BatchNorm2d(4), distributed.World(rank=0, size=2), torch.device("cpu"))
