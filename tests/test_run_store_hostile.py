"""A run folder from anyone hangs nothing, breaks only its own row, writes nothing outside itself (issue 24).

Each test reproduces one of the issue's findings; on the code before it each one hung, raised,
wrote outside the store, or trained on.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
import torch

from resnet_edu.runs.jobs import JobRunner, fail_run
from resnet_edu.runs.store import RunStore
from resnet_edu.training import budget, checkpoint
from resnet_edu.training.config import model_spec, preset
from resnet_edu.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "resnet_edu", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=ENV)


def _long_cli_run(runs: Path) -> tuple[subprocess.Popen, str]:
    """A CLI run of many steps, once it is training (returns the process and the run id)."""
    cmd = [sys.executable, "-m", "resnet_edu", "train", "--models", "plain8", "--dataset", "synthetic",
           "--preset", "tiny", "--steps", "100000", "--quiet", "--runs-dir", str(runs)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    store, deadline = RunStore(runs), time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        running = [r for r in store.list() if r.status == "running" and r.step >= 4]
        if running:
            return proc, running[0].run_id
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the CLI run did not start training within 120 s")


# -- 1. special files: nothing hangs, nothing reads without end --------------------------------
def test_special_files_end_within_60_s_and_4_gb(tmp_path, tiny_config):
    runs = tmp_path / "runs"
    store = RunStore(runs)
    zero, fifo, loop, folder = (store.create(tiny_config) for _ in range(4))
    (runs / zero / "status.json").unlink()
    (runs / zero / "status.json").symlink_to("/dev/zero")
    (runs / fifo / "config.json").unlink()
    os.mkfifo(runs / fifo / "config.json")
    (runs / loop / "metrics.jsonl").unlink()
    (runs / loop / "metrics.jsonl").symlink_to("/dev/zero")
    (runs / "20250101-000000-linked").symlink_to(runs / folder)  # a run folder that is a link
    good = store.create(tiny_config)
    # In a child process with 4 GiB of address space: a read without end would fail or time out.
    script = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        from resnet_edu.runs.store import RunStore
        store = RunStore({str(runs)!r})
        runs, broken = store.scan()
        for rid in ({zero!r}, {fifo!r}, {loop!r}):
            store.status(rid); store.metrics(rid); store.readable(rid)
        print(sorted(r.run_id for r in runs))
        print(sorted((b.run_id, b.reason) for b in broken))
    """)
    start = time.time()
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert time.time() - start < 60
    listed, broken = (eval(line) for line in r.stdout.splitlines()[-2:])  # noqa: S307 (our own repr)
    reasons = dict(broken)
    assert good in listed and folder in listed
    assert "symlink" in reasons[zero] and reasons[zero].startswith("status.json")
    assert "config.json: not a regular file" in reasons[fifo]
    assert "metrics.jsonl" in reasons[loop]
    assert "symlink" in reasons["20250101-000000-linked"]


# -- 2. hostile values: each becomes its run's row ------------------------------------------------
def _deep(n: int) -> str:
    return "[" * n + "]" * n


HOSTILE = {
    "status.json": ['{"status": "done", "step": 1, "x": %s}' % _deep(100_000), '{"status": "done", "diverged": 5}',
                    '{"status": "done", "step": "150"}', '{"status": "done", "updated": Infinity}'],
    "config.json": ['{"config": %s}' % _deep(100_000)],
}


@pytest.mark.parametrize("name, text", [(n, t) for n, ts in HOSTILE.items() for t in ts] +
                         [("config.json", c) for c in ("Infinity", "NaN", "1e20", '"yesterday"')])
def test_a_hostile_value_makes_its_own_unreadable_row(tmp_path, tiny_config, name, text):
    store = RunStore(tmp_path / "runs")
    good, bad = store.create(tiny_config), store.create(tiny_config)
    if name == "config.json" and not text.startswith("{"):  # "created": Infinity and friends
        meta = json.loads((store.path(bad) / "config.json").read_text())
        text = json.dumps(meta).replace(str(meta["created"]), text)
    (store.path(bad) / name).write_text(text)
    runs, broken = store.scan()
    assert [r.run_id for r in runs] == [good]
    assert [b.run_id for b in broken] == [bad] and broken[0].reason.startswith(name), broken
    time.strftime("%Y", time.localtime(runs[0].created))  # what the Runs page does with it


def test_a_deeply_nested_metrics_line_is_skipped(tmp_path, tiny_config):
    store = RunStore(tmp_path / "runs")
    run = store.create(tiny_config)
    with open(store.path(run) / "metrics.jsonl", "a") as f:
        f.write('{"model": "plain8", "step": 1, "probes": %s}\n' % _deep(30_000))
        f.write('{"model": "plain8", "step": 2, "train_loss": 1.0, "time": 1e300}\n')  # no real time
        f.write('{"model": "plain8", "step": 4, "train_loss": NaN, "train_error": 0.5}\n')
    assert [e["step"] for e in store.metrics(run)] == [4]  # a diverged loss (NaN) is still a row


# -- 3. writes never leave the run folder -------------------------------------------------------
def test_a_linked_metrics_file_is_never_written_through(tmp_path, tiny_config):
    store = RunStore(tmp_path / "runs")
    run = store.create(tiny_config)
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    (store.path(run) / "metrics.jsonl").unlink()
    (store.path(run) / "metrics.jsonl").symlink_to(outside)
    (store.path(run) / "checkpoint.pt").write_bytes(b"not a checkpoint")
    store.set_status(run, "interrupted")

    with pytest.raises(ValueError, match="symlink"):
        store.append(run, {"kind": "status", "model": "*", "step": 0, "status": "failed"})
    with pytest.raises(ValueError, match="link"):
        JobRunner(store).resume(run)  # refused before it is queued
    fail_run(store, run, RuntimeError("the checkpoint failed to load"))  # the path: "failed" recorded
    assert outside.read_text() == "someone else's file\n"
    assert [b.run_id for b in store.unreadable()] == [run]
    with pytest.raises(ValueError, match="link"):
        with store.lock(run):
            pass


# -- 4. checkpoints checked after loading -------------------------------------------------------
def _saved(tmp_path, tiny_data, tiny_config) -> tuple[Path, dict]:
    trainer = Trainer(tiny_config, data=tiny_data, run_dir=tmp_path)
    for _ in trainer.run():
        pass
    return tmp_path / "checkpoint.pt", torch.load(tmp_path / "checkpoint.pt", weights_only=True)


@pytest.mark.parametrize("change", ["members_empty", "members_strings", "wrong_names", "wrong_shape",
                                    "step_string", "step_negative", "optimizer_shape"])
def test_a_wrong_checkpoint_is_one_line(tmp_path, tiny_data, tiny_config, change):
    path, state = _saved(tmp_path, tiny_data, tiny_config)
    member = state["members"]["plain8"]
    if change == "members_empty":
        state["members"] = {}
    elif change == "members_strings":
        state["members"] = {"plain8": "x", "resnet8": "y"}
    elif change == "wrong_names":
        member["model"] = {f"renamed.{k}": v for k, v in member["model"].items()}
    elif change == "wrong_shape":
        key = next(k for k, v in member["model"].items() if v.dim() == 4)
        member["model"][key] = torch.zeros(1, 1, 1, 1)
    elif change == "step_string":
        state["step"] = "150"
    elif change == "step_negative":
        state["step"] = -5
    else:
        first = next(iter(member["optimizer"]["state"].values()))
        first["momentum_buffer"] = torch.zeros(7)
    torch.save(state, path)
    with pytest.raises(ValueError) as err:
        Trainer(tiny_config, data=tiny_data, run_dir=tmp_path, resume=True)
    assert isinstance(err.value, checkpoint.CheckpointError)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_a_failed_resume_keeps_every_metrics_row(tmp_path):
    runs = tmp_path / "runs"
    r = _cli("train", "--models", "plain8", "--dataset", "synthetic", "--preset", "tiny", "--quiet",
             "--runs-dir", str(runs))
    assert r.returncode == 0, r.stderr
    [run] = [p.name for p in runs.iterdir()]
    store = RunStore(runs)
    rows = store.metrics(run)
    state = torch.load(runs / run / "checkpoint.pt", weights_only=True)
    state["step"] = -5
    torch.save(state, runs / run / "checkpoint.pt")
    r = _cli("train", "--resume", run, "--runs-dir", str(runs), "--quiet")
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "step" in r.stderr
    assert RunStore(runs).metrics(run) == rows


# -- 5. a memory budget ---------------------------------------------------------------------
def test_a_run_that_cannot_fit_is_refused_before_anything_is_built(tmp_path):
    start = time.time()
    r = _cli("train", "--models", "resnet1994:widths=1024/1024/1024", "--dataset", "synthetic",
             "--preset", "quick", "--quiet", "--runs-dir", str(tmp_path / "runs"), timeout=60)
    assert time.time() - start < 60
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "needs about" in r.stderr and "GiB" in r.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_the_budget_counts_weights_like_the_built_net():
    config = preset("tiny", models=("resnet20",), dataset="synthetic")
    built = sum(p.numel() for p in model_spec("resnet20", config.widths).build().parameters())
    assert budget.need_bytes(config)["weights"] == 4 * built
    with pytest.raises(budget.MemoryBudget, match="needs about"):
        budget.check(config, torch.device("cpu"), available=1 << 20)


# -- 6. SIGTERM is Ctrl-C --------------------------------------------------------------------
def test_sigterm_saves_and_says_stopped(tmp_path):
    runs = tmp_path / "runs"
    proc, run = _long_cli_run(runs)
    try:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    status = RunStore(runs).status(run)
    assert code == 130, proc.stderr.read()
    assert status["status"] == "stopped"
    assert checkpoint.load(runs / run / "checkpoint.pt")["step"] == status["step"] > 0


# -- 7. Stop works for a run the CLI trains -------------------------------------------------------
def test_stop_from_a_server_stops_a_cli_run(tmp_path):
    runs = tmp_path / "runs"
    proc, run = _long_cli_run(runs)
    try:
        sent = JobRunner(RunStore(runs)).stop(run)  # the Runs page's Stop: this runner never knew the run
        assert RunStore(runs).stop_requested(run) == sent
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    status = RunStore(runs).status(run)
    assert status["status"] == "stopped"
    assert status["stop_requested"] == pytest.approx(sent) and status["stop_taken"] >= sent
    assert RunStore(runs).stop_requested(run) is None  # honoured, so no longer waiting


def test_a_worker_whose_server_is_gone_before_it_started_stops(tmp_path, tiny_config):
    store = RunStore(tmp_path / "runs")
    run = store.create(preset("tiny", models=("plain8",), dataset="synthetic", steps=100_000))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a server that was terminated while its worker was still importing torch
    worker = subprocess.Popen([sys.executable, "-m", "resnet_edu.runs.worker", str(store.root), run,
                               "--parent", str(gone.pid)], cwd=ROOT, env=ENV)
    try:
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert store.status(run)["status"] == "stopped"


# -- 8. a 200 MB metrics line ------------------------------------------------------------------
def test_a_huge_metrics_line_is_skipped_read_once_and_never_held(tmp_path, tiny_config):
    store = RunStore(tmp_path / "runs")
    run = store.create(tiny_config)
    path = store.path(run) / "metrics.jsonl"
    with open(path, "ab") as f:
        f.write(b'{"model": "plain8", "step": 1, "x": "' + b"a" * (200 << 20) + b'"}\n')
        f.write(b'{"model": "plain8", "step": 2, "train_loss": 1.0}\n')
        f.write(b'{"model": "plain8", "step": 3, "x": "' + b"b" * (20 << 20))  # still being written
    tracemalloc.start()
    try:
        assert [e["step"] for e in store.metrics(run)] == [2]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB held to read a 200 MB line"
    assert store.skipped_lines(run) == 2  # the long one, and the long one still being written
    start = time.perf_counter()
    for _ in range(20):  # a render's poll: nothing new to read
        store.metrics(run)
    assert time.perf_counter() - start < 0.5
