"""The app over hostile run folders (issue 24): every page that lists runs names the bad one, with Delete."""

import json
import os
import time

from app_helpers import app_env, no_failures, open_page
from resnet_edu.runs import export
from resnet_edu.runs.store import RunStore
from resnet_edu.viz import plots


def _hostile_store(runs, tiny_config) -> tuple[str, dict[str, str]]:
    """One good finished run (with a deeply nested metrics line) and one bad run per finding."""
    store = RunStore(runs)
    good = store.create(tiny_config)
    store.set_status(good, "done", step=12)
    store.append(good, {"model": "plain8", "step": 4, "train_loss": 1.0, "train_error": 0.5, "epoch": 0.1,
                        "lr": 0.1, "images_per_s": 100.0, "kind": "metrics", "time": time.time()})
    with open(runs / good / "metrics.jsonl", "a") as f:
        f.write('{"model": "plain8", "step": 8, "probes": %s}\n' % ("[" * 50_000 + "]" * 50_000))
    bad = {}
    for what in ("zero", "fifo", "deep", "diverged", "created"):
        rid = store.create(tiny_config)
        bad[what] = rid
        folder = runs / rid
        if what == "zero":
            (folder / "status.json").unlink()
            (folder / "status.json").symlink_to("/dev/zero")
        elif what == "fifo":
            (folder / "config.json").unlink()
            os.mkfifo(folder / "config.json")
        elif what == "deep":
            (folder / "status.json").write_text('{"status": "done", "x": %s}' % ("[" * 100_000 + "]" * 100_000))
        elif what == "diverged":
            (folder / "status.json").write_text('{"status": "done", "step": 12, "diverged": 5}')
        else:
            meta = json.loads((folder / "config.json").read_text())
            (folder / "config.json").write_text(json.dumps(meta).replace(str(meta["created"]), "1e20"))
    return good, bad


def test_every_page_that_lists_runs_names_a_hostile_run_with_delete(monkeypatch, tmp_path, tiny_config):
    runs = app_env(monkeypatch, tmp_path)
    good, bad = _hostile_store(runs, tiny_config)
    start = time.time()
    at = open_page("runs", runs=good)
    no_failures(at)
    warnings = " ".join(w.value for w in at.warning)
    for rid in bad.values():
        assert f"Unreadable run {rid}" in warnings, (rid, warnings)
    assert len(at.dataframe[0].value) == 1
    keys = {c.key for c in at.checkbox}
    assert all(f"sure_{rid}" in keys for rid in bad.values()), keys
    for page in ("degradation", "residual", "gradients", "analyses"):
        at = open_page(page)
        no_failures(at)
        keys = {c.key for c in at.checkbox}
        assert any(k.endswith(f"sure_{bad['deep']}") for k in keys), (page, keys)
    no_failures(open_page("home"))
    assert time.time() - start < 120
    at = open_page("degradation")
    key = next(c.key for c in at.checkbox if c.key.endswith(f"sure_{bad['diverged']}"))
    at.checkbox(key=key).check().run()
    at.button(key=key.replace("sure_", "delete_")).click().run()
    assert not (runs / bad["diverged"]).exists()


def test_the_exports_are_built_on_demand_and_a_stop_says_when_it_took_effect(monkeypatch, tmp_path, tiny_config):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    rid = store.create(tiny_config)
    store.set_status(rid, "stopped", step=8, stop_requested=time.time() - 3.0, stop_taken=time.time())
    built = []
    real = export.run_json
    monkeypatch.setattr(export, "run_json", lambda *a, **k: built.append(1) or real(*a, **k))
    at = open_page("runs", runs=rid)
    no_failures(at)
    assert built == [], "the JSON export was built at a render nobody asked it at"
    assert any("Stopped at step 8, 3.0 s after the stop was sent" in c.value for c in at.caption)
    at.toggle(key=f"export_{rid}").set_value(True).run()
    assert built == [1]


def test_a_run_being_trained_elsewhere_shows_the_stop_was_sent(monkeypatch, tmp_path, tiny_config):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    rid = store.create(tiny_config)
    store.set_status(rid, "running", step=4)
    lock = store.lock(rid)
    lock.__enter__()  # a trainer of another process holds the run
    try:
        at = open_page("runs", runs=rid)
        at.button(key=f"runs_stop_{rid}").click().run()
        no_failures(at)
        assert store.stop_requested(rid) is not None
        assert any("Stop sent at" in i.value for i in at.info), [i.value for i in at.info]
    finally:
        lock.__exit__(None, None, None)


def test_the_labs_own_stop_says_when_it_was_sent_and_when_it_took_effect(monkeypatch, tmp_path, tiny_config):
    # The lab's Stop goes through the same request as the Runs page's: its status row says so too.
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    rid = store.create(tiny_config)
    store.set_status(rid, "running", step=4)
    models = ";".join(tiny_config.models)
    with store.lock(rid):  # its trainer, in another process
        # What the lab's Stop does (runner.stop); AppTest cannot click it: it reruns only its fragment.
        store.request_stop(rid)
        at = open_page("degradation", models=models, preset="tiny", runs=rid)
        no_failures(at)
        assert at.button(key=f"stop_{rid}")
        assert any("Stop sent at" in i.value for i in at.info), [i.value for i in at.info]
    store.set_status(rid, "stopped", step=6, stop_requested=time.time() - 2.0, stop_taken=time.time())
    at = open_page("degradation", models=models, preset="tiny", runs=rid)
    no_failures(at)
    assert any("Stopped at step 6, 2.0 s after the stop was sent" in c.value for c in at.caption), \
        [c.value for c in at.caption]

def test_watchers_share_one_parsed_table_per_run(monkeypatch, tmp_path, tiny_config):
    runs = app_env(monkeypatch, tmp_path)
    store = RunStore(runs)
    rid = store.create(tiny_config)
    store.set_status(rid, "done", step=12)
    store.append(rid, {"model": "plain8", "step": 4, "train_loss": 1.0, "train_error": 0.5, "epoch": 0.1,
                       "lr": 0.1, "images_per_s": 100.0, "kind": "metrics", "time": time.time()})
    calls = []
    real = plots.metrics_frame
    monkeypatch.setattr(plots, "metrics_frame", lambda events, **k: calls.append(len(events)) or real(events, **k))
    for _ in range(3):  # three students open the same run
        no_failures(open_page("runs", runs=rid))
    assert calls.count(1) == 1, calls
