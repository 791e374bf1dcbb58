"""Trust the run store: hostile files, kills, a full disk, races (issue 10). Each test fails on the old code."""

import dataclasses
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
import torch

from resnet_edu.data import DataUnavailable, download_cifar10
from resnet_edu.runs import eta
from resnet_edu.runs.jobs import JobRunner
from resnet_edu.runs.store import RunBusy, RunStore
from resnet_edu.training import checkpoint
from resnet_edu.training.config import RunConfig, model_spec, preset
from resnet_edu.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "resnet_edu", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env, **kw)


class Planted:
    """Unpickling this calls open(marker, "w"): the file appears only if the loader runs code."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant_malicious_run(runs: Path, marker: Path, models=("plain8", "resnet8")) -> str:
    """A finished run folder, copied from elsewhere, whose checkpoint.pt carries code."""
    store = RunStore(runs)
    config = preset("tiny", models=models, dataset="synthetic")
    run_id = store.create(config)
    store.set_status(run_id, "done", step=config.steps)
    evil = {"config": config.to_dict(), "step": config.steps, "members": {m: {"model": Planted(marker)}
                                                                             for m in models}}
    torch.save(evil, store.path(run_id) / "checkpoint.pt")
    return run_id


# -- security ---------------------------------------------------------------------------------
def test_malicious_checkpoint_does_not_run_on_cli_resume(tmp_path):
    marker = tmp_path / "pwned"
    run_id = plant_malicious_run(tmp_path / "runs", marker)
    r = _cli("train", "--resume", run_id, "--runs-dir", str(tmp_path / "runs"), "--quiet")
    assert not marker.exists(), "loading the checkpoint ran its code"
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "not a checkpoint this program can trust" in r.stderr


def test_checkpoints_hold_only_plain_types_and_load_weights_only(tmp_path, tiny_data, tiny_config):
    trainer = Trainer(tiny_config, data=tiny_data, run_dir=tmp_path)
    for _ in trainer.run():
        pass
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)  # raises on anything but plain types
    assert state["provenance"]["torch"] == torch.__version__ and type(state["provenance"]["torch"]) is str
    resumed = Trainer(dataclasses.replace(tiny_config, steps=16), data=tiny_data, run_dir=tmp_path, resume=True)
    assert resumed.step == 12


def test_server_binds_localhost_by_default():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


def test_huge_depth_and_width_are_refused_with_one_line():
    for entry, words in (("resnet99999998", "too deep"), ("resnet20:widths=0", "widths"),
                         ("resnet20:widths=99999/2/2", "widths"), ("highway20:gate_bias=abc", "gate_bias")):
        with pytest.raises(ValueError, match=words):
            model_spec(entry)
    r = _cli("train", "--models", "resnet99999998", "--dataset", "synthetic", "--preset", "tiny")
    assert r.returncode == 2 and r.stderr.startswith("error: depth 99999998 is too deep"), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_eta_never_builds_the_net_it_estimates(monkeypatch):
    from resnet_edu.models.registry import ModelSpec
    built, build = [], ModelSpec.build

    def spy(spec):
        built.append(spec.depth)
        return build(spec)
    monkeypatch.setattr(ModelSpec, "build", spy)
    eta.macs_per_image.cache_clear()
    eta._macs.cache_clear()
    macs = eta.macs_per_image("resnet1202", (16, 32, 64))
    assert max(built) <= 14, built  # only the n = 1 and n = 2 nets
    assert macs == 2_829_238_912  # = count_macs(build_model("resnet1202")), measured once


def test_download_refuses_a_symlinked_part_file(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    data = tmp_path / "data"
    data.mkdir()
    (data / "cifar-10-python.tar.gz.part").symlink_to(victim)
    with pytest.raises(DataUnavailable, match="symbolic link"):
        download_cifar10(data, url="http://127.0.0.1:9/none", retries=0, progress=False, timeout=1)
    assert victim.read_text() == "precious"


def test_download_into_a_file_is_one_line(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("")
    r = _cli("download", "--data-dir", str(afile))
    assert r.returncode == 1 and "is a file, not a folder" in r.stderr and "Traceback" not in r.stderr


# -- one-line errors and validation -------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["--models", "resnet20:widths=0"], "widths"),
    (["--models", "highway20:gate_bias=abc"], "gate_bias"),
    (["--runs-dir", "FILE"], "is a file, not a folder"),
    (["--metrics-out", "DIR"], "Is a directory"),
])
def test_cli_errors_are_one_line(tmp_path, args, words):
    (tmp_path / "FILE").write_text("")
    (tmp_path / "DIR").mkdir()
    args = [str(tmp_path / a) if a in ("FILE", "DIR") else a for a in args]
    base = ["train", "--dataset", "synthetic", "--preset", "tiny", "--models", "plain8", "--quiet",
            "--runs-dir", str(tmp_path / "runs")]
    r = _cli(*base, *args)
    assert r.returncode != 0 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    runs = tmp_path / "runs"
    assert not runs.is_dir() or not list(runs.iterdir()), "a failed start left a run behind (stuck 'queued')"


@pytest.mark.parametrize("field, value", [("lr", float("nan")), ("momentum", float("nan")),
                                          ("weight_decay", -1e-4), ("steps", "120"), ("widths", (0, 8, 8)),
                                          ("batch_size", 10**9)])
def test_validation_rejects_bad_numbers(field, value):
    config = dataclasses.replace(preset("tiny"), **{field: value})
    with pytest.raises(ValueError):
        config.validate()


# -- nothing lost ---------------------------------------------------------------------------------
def test_kill_9_then_resume_loses_at_most_one_interval_and_no_rows_repeat(tmp_path):
    runs, interval = tmp_path / "runs", 1.0
    cmd = [sys.executable, "-m", "resnet_edu", "train", "--models", "plain8", "--dataset", "synthetic",
           "--preset", "tiny", "--steps", "100000", "--quiet", "--runs-dir", str(runs),
           "--checkpoint-seconds", str(interval)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            folders = list(runs.glob("*/checkpoint.pt")) if runs.exists() else []
            if folders and time.time() - folders[0].stat().st_mtime < 60 and \
                    checkpoint.load(folders[0])["step"] >= 20:
                break
            time.sleep(0.2)
        time.sleep(2.5 * interval)  # training goes on past a checkpoint or two
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed_at = time.time()
    [run] = [p for p in runs.iterdir()]
    saved = checkpoint.load(run / "checkpoint.pt")
    assert killed_at - (run / "checkpoint.pt").stat().st_mtime < interval + 5  # one interval (+ a save's time)
    store = RunStore(runs)
    [info] = store.list()
    assert info.status == "interrupted", "the dead CLI's run is detected at listing"

    r = _cli("train", "--resume", run.name, "--steps", str(saved["step"] + 8), "--runs-dir", str(runs), "--quiet")
    assert r.returncode == 0, r.stderr
    rows = [(e["model"], e["step"]) for e in store.metrics(run.name) if e["kind"] == "metrics"]
    assert len(rows) == len(set(rows)), "a resumed run logged some (model, step) twice"
    assert max(s for _, s in rows) == saved["step"] + 8
    [info] = store.list()
    assert (info.status, info.step, info.config.steps) == ("done", saved["step"] + 8, saved["step"] + 8)
    assert not list(run.glob(".*.tmp"))


def test_resume_with_fewer_steps_than_done_is_refused(tmp_path):
    runs = tmp_path / "runs"
    r = _cli("train", "--models", "plain8", "--dataset", "synthetic", "--preset", "tiny", "--steps", "12",
             "--runs-dir", str(runs), "--quiet")
    assert r.returncode == 0, r.stderr
    [run] = list(runs.iterdir())
    r = _cli("train", "--resume", run.name, "--steps", "6", "--runs-dir", str(runs), "--quiet")
    assert r.returncode == 2 and "already at step 12" in r.stderr and "Traceback" not in r.stderr
    [info] = RunStore(runs).list()
    assert (info.status, info.step, info.config.steps) == ("done", 12, 12)


def test_disk_full_while_saving_keeps_the_previous_checkpoint(tmp_path, tiny_data, tiny_config, monkeypatch):
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config)
    trainer = Trainer(tiny_config, data=tiny_data, run_dir=store.path(run_id))
    trainer.save()
    before = (store.path(run_id) / "checkpoint.pt").read_bytes()
    real_save = torch.save

    def full_disk(obj, f, *a, **kw):
        real_save(obj, f, *a, **kw)  # half the bytes made it, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(torch, "save", full_disk)
    events = store.record(run_id, trainer.run())
    with pytest.raises(checkpoint.CheckpointError, match="No space left on device.*previous checkpoint"):
        for _ in events:
            pass
    assert (store.path(run_id) / "checkpoint.pt").read_bytes() == before
    assert not list(store.path(run_id).glob(".*.tmp")), "a temporary file was left behind"

    # Through the job runner: the run ends "failed" with the reason, not stuck at "running".
    runner = JobRunner(store)
    other = runner.submit(tiny_config)
    assert runner.wait_idle(timeout=120)
    status = store.status(other)
    assert status["status"] == "failed" and "No space left on device" in status["message"]


def test_worker_survives_a_failing_failure_handler(tmp_path, tiny_config, monkeypatch):
    store = RunStore(tmp_path)
    runner = JobRunner(store)
    calls = {"n": 0}
    real = store.set_status

    def flaky(run_id, status, **info):
        if status == "failed" and calls["n"] == 0:
            calls["n"] += 1
            raise OSError(errno.ENOSPC, "No space left on device")  # the handler itself fails
        return real(run_id, status, **info)
    monkeypatch.setattr(store, "set_status", flaky)
    bad = runner.submit(dataclasses.replace(tiny_config, data_dir=str(tmp_path / "x"), dataset="cifar10"))
    good = runner.submit(tiny_config)
    assert runner.wait_idle(timeout=120), "the worker died: later runs stay queued"
    assert store.status(good)["status"] == "done"
    assert bad in runner.errors and "CIFAR-10" in runner.errors[bad]  # why it failed is kept
    assert all(w.is_alive() for w in runner._workers)


def test_all_diverged_is_not_done(tmp_path, tiny_data, tiny_config):
    store = RunStore(tmp_path)
    config = dataclasses.replace(tiny_config, lr=1e12, milestones=())
    run_id = store.create(config)
    for _ in store.record(run_id, Trainer(config, data=tiny_data, run_dir=store.path(run_id)).run()):
        pass
    [info] = store.list()
    assert info.status == "diverged"
    assert set(info.diverged) == {"plain8", "resnet8"}


# -- malformed run folders, dead owners, races ----------------------------------------------------
def _break(store: RunStore, config: RunConfig, how: str) -> str:
    run_id = store.create(config)
    folder = store.path(run_id)
    if how == "status_list":
        (folder / "status.json").write_text("[1, 2]")
    elif how == "config_type":
        meta = json.loads((folder / "config.json").read_text())
        meta["config"]["steps"] = "many"
        (folder / "config.json").write_text(json.dumps(meta))
    elif how == "config_truncated":
        (folder / "config.json").write_text((folder / "config.json").read_text()[:40])
    elif how == "binary_metrics":
        store.append(run_id, {"kind": "metrics", "model": "plain8", "step": 2, "train_error": 0.5})
        with open(folder / "metrics.jsonl", "ab") as f:
            f.write(b"\xff\xfe\x00garbage\n[1]\n{\"kind\": \"metrics\", \"model\": 3, \"step\": \"x\"}\n")
        store.set_status(run_id, "done", step=12)
    return run_id


def test_malformed_run_folders_are_listed_as_unreadable(tmp_path, tiny_config):
    store = RunStore(tmp_path)
    good = store.create(tiny_config)
    broken = {how: _break(store, tiny_config, how) for how in ("status_list", "config_type", "config_truncated")}
    binary = _break(store, tiny_config, "binary_metrics")
    listed = {r.run_id for r in store.list()}
    assert listed == {good, binary}
    reasons = {u.run_id: u.reason for u in store.unreadable()}
    assert reasons[broken["status_list"]] == "status.json: not a JSON object"
    assert reasons[broken["config_type"]].startswith("config.json: config field steps has the wrong type")
    assert reasons[broken["config_truncated"]].startswith("config.json: not valid JSON")
    assert store.metrics(binary) == [{"kind": "metrics", "model": "plain8", "step": 2, "train_error": 0.5}]
    for run_id in broken.values():
        store.delete(run_id)
    assert store.unreadable() == []


def test_metrics_are_read_incrementally(tmp_path, tiny_config, monkeypatch):
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config)
    for step in range(1, 4):
        store.append(run_id, {"kind": "metrics", "model": "plain8", "step": step})
    assert len(store.metrics(run_id)) == 3
    parsed = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda s, *a, **k: parsed.append(s) or real(s, *a, **k))
    store.append(run_id, {"kind": "metrics", "model": "plain8", "step": 4})
    assert [e["step"] for e in store.metrics(run_id)] == [1, 2, 3, 4]
    assert len(parsed) == 1, "only the new line is parsed"


def test_dead_cli_owner_is_detected_at_every_listing(tmp_path, tiny_config):
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config)
    # A CLI that took the run's lock, said "running", and was killed.
    code = ("import sys, time; from resnet_edu.runs.store import RunStore; s = RunStore(sys.argv[1]); "
            "lock = s.lock(sys.argv[2]); lock.__enter__(); s.set_status(sys.argv[2], 'running', step=3); "
            "print('ready', flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), run_id], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert store.list()[0].status == "running"  # alive: left alone
        with pytest.raises(RunBusy):  # and nobody else may train it meanwhile
            with store.lock(run_id):
                pass
    finally:
        proc.kill()
        proc.wait()
    [info] = store.list()  # the same store object, no server restart
    assert info.status == "interrupted"


def test_a_reader_probing_the_lock_does_not_make_a_trainer_give_up(tmp_path, tiny_config):
    # Seen in the full suite: the worker took a run's lock at the instant a page's listing
    # probed it (owner_alive holds it for microseconds), got RunBusy, and the run ended
    # "interrupted" before its first step. A trainer now retries; a real owner still wins.
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config)
    probe = threading.Event()

    def hold_briefly():
        with store.lock(run_id):
            probe.set()
            time.sleep(0.2)  # far longer than a real probe, far shorter than LOCK_WAIT_S

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    probe.wait()
    with store.lock(run_id):  # waits for the probe instead of raising RunBusy
        assert not holder.is_alive()
    holder.join()
    with store.lock(run_id):  # held for good by "another trainer": RunBusy after the wait
        start = time.monotonic()
        with pytest.raises(RunBusy):
            with store.lock(run_id, wait_s=0.3):
                pass
        assert time.monotonic() - start >= 0.3


def test_two_resumes_queue_a_run_once_and_a_locked_run_cannot_be_resumed(tmp_path, tiny_data, tiny_config):
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config)
    Trainer(tiny_config, data=tiny_data, run_dir=store.path(run_id)).save()
    store.set_status(run_id, "stopped")
    runner = JobRunner(store)
    with store.lock(run_id):  # a CLI trains it now: the server's worker cannot take it
        barrier = threading.Barrier(8)

        def click():
            barrier.wait()
            runner.resume(run_id)
        threads = [threading.Thread(target=click) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with runner._cond:
            queued = [rid for rid, _ in runner._queue if rid == run_id] + \
                ([run_id] if run_id in runner._live else [])
        assert len(queued) <= 1, "two resume() calls queued the run twice"
        assert runner.wait_idle(timeout=60)
        assert "being trained by another process" in runner.errors.get(run_id, "")
    r = subprocess.run([sys.executable, "-c", (
        "import sys; from resnet_edu.runs.store import RunStore; s = RunStore(sys.argv[1]); "
        "l = s.lock(sys.argv[2]); l.__enter__(); print('ok')"), str(tmp_path), run_id],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "ok"  # released once the holder is done
