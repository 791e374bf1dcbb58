"""Issue 17: controls that act and state that survives (AppTest; the browser test covers reloads in Chromium)."""

import json

from app_helpers import app_env, no_failures, open_page, plotly_specs, wait_for


def test_residual_lab_options_reach_the_models_the_url_and_the_run(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path, steps=4)
    at = open_page("residual", models="resnet8;plain8", preset="tiny")
    no_failures(at)
    at.radio(key="residual_predict.en").set_value("resnet8").run()
    at.radio(key="residual_shortcut.en").set_value("B").run()
    at.selectbox(key="residual_design.en").set_value("full_preact").run()
    no_failures(at)
    # The prediction follows its net through the option changes.
    assert at.radio(key="residual_predict.en").value == "resnet8:shortcut=B,design=full_preact"
    # The picker's labels are the bare names (a label that followed the options dropped nets: issue 22);
    # the caption under it names what will train.
    assert at.multiselect(key="residual_models").proto.options[:2] == ["ResNet-20", "ResNet-32"]
    will = [c.value for c in at.caption if c.value.startswith("Will train")]
    assert will and "ResNet-8 (option B, full pre-activation)" in will[0] and "plain-8" in will[0], will
    models = at.query_params["models"]
    models = models[0] if isinstance(models, list) else models
    assert models == "resnet8:shortcut=B,design=full_preact;plain8", models
    assert at.query_params["shortcut"] in ("B", ["B"]) and at.query_params["design"] in ("full_preact", ["full_preact"])
    at.button(key="residual_start").click().run()
    (run_id, _), = wait_for(runs, 1).items()
    config = json.loads((runs / run_id / "config.json").read_text())
    assert config["config"]["models"] == ["resnet8:shortcut=B,design=full_preact", "plain8"]


def test_residual_settings_come_back_from_a_link_in_either_language(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    for lang in ("en", "zh"):
        at = open_page("residual", lang, models="resnet8:shortcut=C;plain8", design="relu_preact", depth="32")
        no_failures(at)
        assert at.radio(key=f"residual_shortcut.{lang}").value == "C"
        assert at.selectbox(key=f"residual_design.{lang}").value == "relu_preact"
        assert at.number_input(key="residual_depth").value == 32
        assert at.multiselect(key="residual_models").value == ["resnet8", "plain8"]
        intro = " ".join(m.value for m in at.markdown)
        assert ("short run" in intro) if lang == "en" else ("短时间训练" in intro)  # no promise a short run breaks


def test_block_explorer_settings_in_the_url_survive_a_language_switch(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("blocks")
    at.selectbox(key="blocks_design.en").set_value("full_preact").run()
    at.radio(key="blocks_shortcut.en").set_value("B").run()
    no_failures(at)
    assert at.query_params["design"] in ("full_preact", ["full_preact"])
    assert at.query_params["shortcut"] in ("B", ["B"])
    # The language toggle keeps the URL: the Chinese page opens with the same choice.
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items() if k not in ("page", "lang")}
    zh = open_page("blocks", "zh", **params)
    no_failures(zh)
    assert zh.selectbox(key="blocks_design.zh").value == "full_preact"
    assert zh.radio(key="blocks_shortcut.zh").value == "B"


def test_prediction_survives_a_reload_and_is_revealed(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path, steps=4)
    at = open_page("degradation", models="plain8;plain14", preset="tiny")
    at.radio(key="degradation_predict.en").set_value("plain8").run()
    assert at.query_params["guess"] in ("plain8", ["plain8"])
    at.button(key="degradation_start").click().run()
    (run_id, _), = wait_for(runs, 1).items()
    # A reload: a new session with only the URL.
    again = open_page("degradation", "zh", models="plain8;plain14", preset="tiny", runs=run_id, guess="plain8")
    no_failures(again)
    assert again.radio(key="degradation_predict.zh").value == "plain8"
    shown = " ".join([s.value for s in again.success] + [i.value for i in again.info])
    assert "plain-8" in shown and ("预测" in shown), shown


def test_a_fresh_tab_offers_the_running_run_without_saying_no_run(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path, steps=5000)
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from ui import context

    runner = context.runner()
    run_id = runner.submit(context.make_config("tiny", ("plain8",), "synthetic"))
    try:
        wait_for(runs, 1, states=("running",), timeout=60)
        at = open_page("degradation")
        no_failures(at)
        assert any("in progress" in i.value for i in at.info), [i.value for i in at.info]
        assert not any("No run yet" in c.value for c in at.caption), [c.value for c in at.caption]
    finally:
        runner.stop(run_id)
        wait_for(runs, 1, states=("stopped", "done"), timeout=60)


def test_a_link_to_a_deleted_run_says_so(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from resnet_edu.training.config import RunConfig
    from ui import context

    store = context.runner().store
    kept = store.create(RunConfig(models=("plain8",), dataset="synthetic"))
    store.set_status(kept, "done")
    at = open_page("runs", runs="20200101-000000-gone")
    no_failures(at)
    assert any("20200101-000000-gone" in w.value for w in at.warning), [w.value for w in at.warning]


def test_chinese_mode_names_nets_and_the_device_in_chinese(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    at = open_page("gradients", "zh", models="plain8;plain8:batchnorm=false;resnet8", preset="tiny")
    no_failures(at)
    assert "plain-8 (无 BN)" in at.multiselect(key="gradients_models.zh").proto.options
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "个线程" in sidebar and "threads" not in sidebar, sidebar


def test_comparing_a_synthetic_and_a_cifar_run_says_which_is_which(monkeypatch, tmp_path):
    app_env(monkeypatch, tmp_path)
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from resnet_edu.training.config import RunConfig
    from ui import context

    store = context.runner().store
    ids = []
    for dataset in ("synthetic", "cifar10"):
        rid = store.create(RunConfig(models=("plain8",), dataset=dataset, steps=20))
        for step in (10, 20):
            store.append(rid, {"kind": "metrics", "model": "plain8", "step": step, "train_error": 0.5})
        store.set_status(rid, "done", step=20)
        ids.append(rid)
    at = open_page("runs", runs=";".join(ids))
    no_failures(at)
    at.radio(key="runs_mode.en").set_value("all").run()
    captions = " ".join(c.value for c in at.caption)
    assert "different data" in captions, captions
    names = [tr["name"] for s in plotly_specs(at) for tr in s["data"] if tr.get("name")]
    assert any(n.startswith("SYNTHETIC · ") for n in names) and any(n.startswith("CIFAR-10 · ") for n in names), names


def test_after_delete_the_runs_page_no_longer_offers_or_shows_the_run(monkeypatch, tmp_path):
    """Issue 22: after Delete the selector still showed the deleted id."""
    app_env(monkeypatch, tmp_path)
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from resnet_edu.training.config import RunConfig
    from ui import context

    store = context.runner().store
    gone, kept = (store.create(RunConfig(models=("plain8",), dataset="synthetic")) for _ in range(2))
    for rid in (gone, kept):
        store.set_status(rid, "done")
    at = open_page("runs", runs=gone)
    no_failures(at)
    assert at.multiselect(key="runs_chosen").value == [gone]
    at.checkbox(key=f"sure_{gone}").check().run()
    at.button(key=f"delete_{gone}").click().run()
    no_failures(at)
    assert not (context.runs_dir() / gone).exists()
    picker = at.multiselect(key="runs_chosen")
    assert gone not in picker.options and gone not in picker.value, (picker.options, picker.value)
    assert not any(gone in w.value for w in at.warning), "a deleted run is not reported as a broken link"
    # The table keeps its most telling columns first: who, what state, when.
    columns = list(at.dataframe[0].value.columns)
    assert columns[:4] == ["run", "networks", "status", "created"], columns
