"""The recorded run shipped in the repository: small, honest about where it came from, and it shows the gap."""

import json

import pytest

from resnet_edu.runs import recorded
from resnet_edu.runs.store import RunStore
from resnet_edu.training.trainer import Trainer
from resnet_edu.viz import gap, plots

from app_helpers import app_env, no_failures, open_page, plotly_specs


def test_the_shipped_recording_is_small_real_and_shows_degradation():
    rec = recorded.load()
    path = recorded.FOLDER / f"{recorded.DEFAULT}.json"
    assert path.stat().st_size < 20_000, "metrics only: a few KB"
    assert rec.config.dataset == "cifar10" and rec.config.preset == "quick"
    assert rec.config.models == ("plain20", "plain56")
    assert "--preset quick" in rec.command and "--dataset cifar10" in rec.command
    assert rec.wall_s > 0 and rec.machine["cores"] and rec.machine["torch_threads"]
    keys = {k for e in rec.events for k in e}
    assert not keys & {"images", "checkpoint", "probes"}
    df = plots.metrics_frame(rec.events, run_id=rec.name)
    assert set(df.groupby("model")["step"].max()) == {rec.config.steps}
    # Real images, v1 Fig. 1: the deeper plain net trains worse, and the rule says so at a step.
    g = gap.degradation_gap(df, "plain20", "plain56", start=gap.run_start(rec.events))
    assert g.visible and 0 < g.step < rec.config.steps and 0 < g.elapsed_s < rec.wall_s
    finals = plots.final_values(df, "train_error")
    assert finals["plain56"] > finals["plain20"]


def test_a_recording_keeps_metrics_and_relative_times(tmp_path, tiny_data, tiny_config, one_thread):
    store = RunStore(tmp_path / "runs")
    run_id = store.create(tiny_config)
    list(store.record(run_id, Trainer(tiny_config, data=tiny_data, run_dir=store.path(run_id)).run()))
    rec = recorded.from_run(store.path(run_id), command="pytest", data="synthetic", load_average=[1.0])
    assert rec["events"][0]["time"] == 0 and rec["wall_s"] == max(e["time"] for e in rec["events"])
    metrics = [e for e in rec["events"] if e["kind"] == "metrics"]
    assert {e["model"] for e in metrics} == set(tiny_config.models)
    assert json.loads(recorded.dumps(rec)) == rec
    with pytest.raises(ValueError, match="no recorded run"):
        recorded.load("nope")


@pytest.mark.parametrize("lang, label", [("en", "Recorded run, not live"), ("zh", "录制的训练，不是实时训练")])
def test_the_lab_replays_it_with_its_label(lang, label, monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("degradation", lang)
    at.toggle(key="degradation_recorded").set_value(True).run()
    no_failures(at)
    shown = " ".join(i.value for i in at.info)
    assert label in shown and "CIFAR-10" in shown
    assert any(("plain-56" in s.value) for s in at.success), "the recorded run's gap message"
    specs = plotly_specs(at)
    assert len(specs) >= 2 and specs[0]["layout"]["yaxis"]["range"][1] == 100
