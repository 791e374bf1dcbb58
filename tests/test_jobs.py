"""The run store and the job runner the app stands on."""

import dataclasses
import json

import pytest

from resnet_edu.runs.jobs import JobRunner
from resnet_edu.runs.store import RunStore
from resnet_edu.training.config import resolve_precision


def test_run_store_round_trip(tmp_path, tiny_config):
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config, label="demo")
    assert store.config(run_id) == resolve_precision(tiny_config)  # precision "auto" -> what the run uses
    assert store.config(run_id).precision in ("fp32", "bf16")
    assert store.status(run_id)["status"] == "queued"
    store.append(run_id, {"kind": "metrics", "model": "plain8", "step": 1})
    with open(store.path(run_id) / "metrics.jsonl", "a") as f:
        f.write('{"kind": "metr')  # a line being written right now
    assert store.metrics(run_id) == [{"kind": "metrics", "model": "plain8", "step": 1}]
    [info] = store.list()
    assert info.run_id == run_id and info.label == "demo"
    with pytest.raises(ValueError):
        store.path("../../etc")
    store.delete(run_id)
    assert store.list() == []


def test_runner_trains_queued_runs_and_can_stop_and_resume(tmp_path, tiny_config):
    store = RunStore(tmp_path)
    runner = JobRunner(store)
    a = runner.submit(tiny_config)
    b = runner.submit(dataclasses.replace(tiny_config, seed=1, steps=4000))
    assert runner.wait_idle(timeout=0.01) is False  # busy
    # Wait for a to finish, then stop b while it trains.
    import time
    deadline = time.time() + 120
    while store.status(a)["status"] != "done" and time.time() < deadline:
        time.sleep(0.05)
    while store.status(b).get("step", 0) < 8 and time.time() < deadline:  # b is training
        time.sleep(0.05)
    runner.stop(b)
    assert runner.wait_idle(timeout=120)
    assert store.status(a)["status"] == "done" and store.status(a)["step"] == 12
    assert store.status(b)["status"] == "stopped"
    stopped_at = store.status(b)["step"]
    assert 0 < stopped_at < 4000
    metrics = [m for m in store.metrics(a) if m["kind"] == "metrics"]
    assert {m["model"] for m in metrics} == {"plain8", "resnet8"}

    # Resume b for a short while and stop again: it continues from its checkpoint.
    runner.resume(b)
    deadline = time.time() + 60
    while store.status(b)["step"] <= stopped_at and time.time() < deadline:
        time.sleep(0.05)
    runner.stop(b)
    assert runner.wait_idle(timeout=60)
    assert store.status(b)["step"] > stopped_at


def test_runner_stops_a_queued_run_and_reports_failures(tmp_path, tiny_config):
    store = RunStore(tmp_path)
    runner = JobRunner(store)
    first = runner.submit(dataclasses.replace(tiny_config, steps=300))
    queued = runner.submit(tiny_config)
    assert runner.queue_position(queued) in (0, 1)
    runner.stop(queued)
    assert store.status(queued)["status"] == "stopped"
    runner.stop(first)
    # A run that cannot start fails with one line; the runner goes on.
    broken = runner.submit(dataclasses.replace(tiny_config, dataset="cifar10", data_dir=str(tmp_path / "none")))
    assert runner.wait_idle(timeout=60)
    st = store.status(broken)
    assert st["status"] == "failed" and "download" in st["message"] and "\n" not in st["message"].split("\n")[0]
    ok = runner.submit(tiny_config)
    assert runner.wait_idle(timeout=60) and store.status(ok)["status"] == "done"


def test_orphaned_runs_are_marked_interrupted(tmp_path, tiny_config):
    store = RunStore(tmp_path)
    run_id = store.create(tiny_config)
    store.set_status(run_id, "running", step=5)
    status = store.status(run_id)
    status["pid"] = 2**22 + 12345  # no such process
    (store.path(run_id) / "status.json").write_text(json.dumps(status))
    JobRunner(store)
    assert store.status(run_id)["status"] == "interrupted"
