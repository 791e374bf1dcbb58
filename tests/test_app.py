"""AppTest over every page in both languages, and a run that goes from a click to the chart."""

import json

import pytest

from app_helpers import PAGES, app_env, no_failures, open_page, plotly_specs, wait_for


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(page, lang, monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page(page, lang)
    no_failures(at)
    assert at.title, "every page has a title"
    if lang == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value), at.title[0].value
    if page in ("degradation", "residual", "gradients"):
        banner = " ".join(w.value for w in at.warning)
        assert "SYNTHETIC" in banner, "no CIFAR-10 in the data dir: the synthetic banner shows"


def test_run_reaches_store_and_chart(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    at = open_page("degradation", models="plain8;resnet8", preset="tiny")
    no_failures(at)
    assert at.multiselect(key="degradation_models.en").value == ["plain8", "resnet8"]
    at.radio(key="degradation_predict.en").set_value("resnet8").run()
    at.button(key="degradation_start").click().run()
    no_failures(at)
    assert "runs" in at.query_params, "the run group is in the URL"
    (run_id, _), = wait_for(runs, 1).items()
    assert (runs / run_id / "metrics.jsonl").stat().st_size > 0
    at.run()  # the page again: curves from the store
    no_failures(at)
    specs = plotly_specs(at)
    names = {trace.get("name", "") for spec in specs for trace in spec["data"]}
    assert any("plain-8" in n for n in names) and any("ResNet-8" in n for n in names), names
    styles = {tr["name"]: tr["line"]["dash"] for tr in specs[0]["data"] if "line" in tr and tr.get("name")}
    assert styles["plain-8"] == "dash" and styles["ResNet-8"] == "solid"
    reveal = [s.value for s in at.success] + [i.value for i in at.info]
    assert any("ResNet-8" in r or "plain-8" in r for r in reveal), "the prediction is revealed at the end"


def test_a_seed_band_is_one_stacked_run(monkeypatch, tmp_path):
    # Issue 14: three seeds are one run of stacked members, not three queued runs.
    runs = app_env(monkeypatch, tmp_path, steps=6)
    at = open_page("degradation", models="plain8;resnet8", preset="tiny", seeds="3")
    no_failures(at)
    assert at.number_input(key="degradation_seeds").value == 3
    assert any("6 networks in lockstep" in c.value for c in at.caption), "the ETA counts 2 nets x 3 seeds"
    at.button(key="degradation_start").click().run()
    no_failures(at)
    (run_id, _), = wait_for(runs, 1).items()
    config = json.loads((runs / run_id / "config.json").read_text())["config"]
    assert config["seeds"] == [0, 1, 2] and config["models"] == ["plain8", "resnet8"]
    members = {json.loads(line)["model"] for line in (runs / run_id / "metrics.jsonl").read_text().splitlines()}
    assert {"plain8@seed0", "plain8@seed2", "resnet8@seed1"} <= members
    at.run()
    no_failures(at)
    names = {trace.get("name", "") for spec in plotly_specs(at) for trace in spec["data"]}
    assert any("plain-8" in n and "3 seeds" in n for n in names), names  # one band per net, from one run
    assert any("seeds 0–2" in el.proto.text for el in at.get("progress")), "the status row names the band"
    at = open_page("runs", runs=run_id)  # the Runs page: the band's seeds, and one band per net
    no_failures(at)
    assert at.dataframe[0].value.iloc[0]["seed"] == "0, 1, 2"
    names = {trace.get("name", "") for spec in plotly_specs(at) for trace in spec["data"]}
    assert {"plain-8", "ResNet-8"} <= names and not any("@seed" in n for n in names), names  # a mean curve per net


def test_link_reproduces_view_and_runs_page(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    at = open_page("gradients", lang="zh", models="plain8;plain8:batchnorm=false;resnet8", preset="tiny")
    no_failures(at)
    assert at.multiselect(key="gradients_models.zh").value == ["plain8", "plain8:batchnorm=false", "resnet8"]
    at.button(key="gradients_start").click().run()
    (run_id, _), = wait_for(runs, 1).items()
    at.run()
    no_failures(at)
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert any("响应" in t for t in titles), titles  # v1 Fig. 7 chart, in Chinese
    heat = [s for s in plotly_specs(at) if s["data"] and s["data"][0]["type"] == "heatmap"]
    assert len(heat) == 3
    # The runs page shows it, replays it and exports it.
    at = open_page("runs", runs=run_id)
    no_failures(at)
    assert at.multiselect(key="runs_chosen").value == [run_id]
    spec = plotly_specs(at)[0]
    assert spec.get("frames"), "replay animates the recorded curves"
    assert len(at.get("download_button")) == 3


def test_bad_input_shows_message(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("residual")
    at.number_input(key="residual_depth").set_value(55).run()
    no_failures(at)
    assert any("55" in e.value for e in at.error), [e.value for e in at.error]
    at = open_page("degradation", models="plain8", preset="nonsense")
    no_failures(at)
    at.multiselect(key="degradation_models.en").set_value([]).run()
    no_failures(at)
    assert at.button(key="degradation_start").disabled


def test_failed_run_shows_one_line(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("degradation", models="plain8", dataset="cifar10")
    # No CIFAR-10 present: the dataset falls back to synthetic; force a failing run through the store.
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "app"))
    from resnet_edu.training.config import RunConfig
    from ui import context

    store = context.runner().store
    run_id = store.create(RunConfig(models=("plain8",), dataset="synthetic"))
    store.set_status(run_id, "failed", message="out of memory: try a smaller batch size")
    at = open_page("runs", runs=run_id)
    no_failures(at)
    assert any("out of memory" in e.value for e in at.error)
