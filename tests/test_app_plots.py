"""The package side of the app: tables, seed bands, figures, ETA, export, diagrams."""

import math

import pytest

from resnet_edu.runs import eta, export
from resnet_edu.viz import plots
from resnet_edu.training.config import RunConfig, preset
from resnet_edu.viz.diagrams import unit_dot


def events(model, seed_shift=0.0, steps=(10, 20, 30)):
    return [{"kind": "metrics", "model": model, "step": s, "epoch": s / 10, "lr": 0.1, "train_loss": 1.0,
             "train_error": 0.5 - s / 100 + seed_shift, "images_per_s": 100.0,
             **({"test_error": 0.6} if s == 30 else {})} for s in steps]


def test_seed_bands_mean_and_std():
    a = plots.metrics_frame(events("plain20", 0.0), "r1", 0)
    b = plots.metrics_frame(events("plain20", 0.1), "r2", 1)
    import pandas as pd
    bands = plots.seed_bands(pd.concat([a, b]), "train_error")
    row = bands[bands["step"] == 10].iloc[0]
    assert math.isclose(row["mean"], 45.0) and row["n"] == 2
    assert math.isclose(row["hi"] - row["lo"], 2 * row["std"]) and row["std"] > 0
    assert plots.final_values(pd.concat([a, b]), "test_error") == {"plain20": 60.0}


def test_plain_dashed_residual_solid_and_labels():
    fig = plots.error_figure(plots.seed_bands(plots.metrics_frame(events("plain56") + events("resnet56")),
                                              "train_error"), "t")
    dashes = {tr.name: tr.line.dash for tr in fig.data}
    assert dashes == {"plain56": "dash", "resnet56": "solid"}
    layout = fig.layout.template.layout  # the one template (viz/theme.py): projector sizes
    assert layout.font.size >= 16 and layout.legend.font.size <= layout.xaxis.tickfont.size
    assert layout.legend.font.size <= layout.xaxis.title.font.size
    assert plots.model_label("plain56:batchnorm=false") == "plain-56 (no BN)"
    assert plots.model_label("resnet56:shortcut=B,design=full_preact") == "ResNet-56 (option B, full_preact)"


def test_replay_has_frames_and_heatmap_shape():
    df = plots.metrics_frame(events("plain20", steps=range(1, 50)))
    fig = plots.replay_figure(df, "train_error", "t", frames=10)
    assert len(fig.frames) == 10 and len(fig.frames[-1].data[0].x) == 49
    records = [{"step": s, "units": ["a", "b", "c"], "unit_output_grad_norm": [1e-3, 1e-2, 1e-1]} for s in (1, 2)]
    heat = plots.gradient_heatmap(records, "t")
    assert len(heat.data[0].z) == 3 and math.isclose(heat.data[0].z[0][0], -3)


def test_eta_grows_with_steps_and_depth_and_learns_from_runs():
    quick = preset("quick", dataset="synthetic")
    deeper = preset("quick", dataset="synthetic", models=("plain20", "plain110"))
    assert eta.estimate_seconds(deeper, "cpu") > eta.estimate_seconds(quick, "cpu") > 0
    measured = eta.throughput_from_runs([(quick, events("plain20") + events("plain56"))], "cpu")
    # 100 images/s per model for this pair: the estimate is steps × batch / 100 (+ evaluation share).
    expected = quick.steps * quick.batch_size / 100 * (1 + eta.EVAL_FRACTION)
    assert math.isclose(eta.estimate_seconds(quick, "cpu", measured), expected, rel_tol=1e-6)
    assert eta.format_duration(30) == "30 s" and eta.format_duration(600) == "10 min"


def test_export_cell_reproduces_the_config():
    config = RunConfig(models=("plain8", "resnet8"), dataset="synthetic", steps=7, widths=(4, 8, 8))
    cell = export.notebook_cell(config)
    namespace = {}
    exec(cell.split("events = run")[0], namespace)  # the config part, without training
    assert namespace["config"] == RunConfig.from_dict({**config.to_dict(), "preset": "custom"})
    csv = export.metrics_csv(events("plain8"))
    assert csv.splitlines()[0].startswith("model,step") and len(csv.splitlines()) == 4


def test_a_seed_band_exports_one_mean_curve_per_net(monkeypatch):
    from resnet_edu import curves
    from resnet_edu.training.events import Metrics

    def m(member, step, err):
        return Metrics(member, step, 0.0, 0.1, 1.0, err, 100.0)

    logged = [m("plain8@seed0", 10, 0.8), m("plain8@seed1", 10, 0.6), m("plain8@seed0", 20, 0.5),
              m("resnet8@seed0", 10, 0.4), m("resnet8@seed1", 10, 0.2), m("resnet8@seed1", 20, 0.1)]
    assert set(curves(logged)) == {"plain8@seed0", "plain8@seed1", "resnet8@seed0", "resnet8@seed1"}
    means = curves(logged, mean_over_seeds=True)
    # Only the steps every seed has logged: a mean of one seed would not be a band's mean.
    assert means == {"plain8": ([10], [pytest.approx(0.7)]), "resnet8": ([10], [pytest.approx(0.3)])}
    band = RunConfig(models=("plain8", "resnet8"), dataset="synthetic", steps=7, seeds=(0, 1))
    assert "curves(events, 'train_error', mean_over_seeds=True)" in export.notebook_cell(band)
    assert "mean_over_seeds" not in export.notebook_cell(RunConfig(models=("plain8",), dataset="synthetic"))


def test_unit_diagram_follows_the_design():
    original, preact = unit_dot("original", "A"), unit_dot("full_preact", "A")
    assert "a0 [label=\"ReLU\"" in original  # ReLU after the addition
    assert "a0" not in preact  # nothing after the addition: a clean identity path (v2)
    assert "x -> add" not in unit_dot("original", None)  # plain: no shortcut


def test_preact_projection_is_drawn_from_the_shared_bn_relu():
    # v2 appendix: a projection in a pre-activation unit reads the branch's first BN-ReLU, not x_l.
    full = unit_dot("full_preact", "B", channels=32, stride=2, in_channels=16)
    assert "b1 -> add [label=\" " in full and "x -> add" not in full  # b0 = BN, b1 = ReLU
    relu_only = unit_dot("relu_preact", "B", channels=32, stride=2, in_channels=16)
    assert "b0 -> add [label=\" " in relu_only and "x -> add" not in relu_only
    # Same shape: the identity shortcut still starts at x_l.
    assert "x -> add" in unit_dot("full_preact", "B")
    assert "x -> add" in unit_dot("original", "B", channels=32, stride=2, in_channels=16)


def test_export_cell_names_models_and_dataset_and_no_absolute_data_dir():
    config = RunConfig(models=("plain20", "plain56"), dataset="cifar10", data_dir="/home/teacher/data", steps=7)
    cell = export.notebook_cell(config)
    assert "models=('plain20', 'plain56')" in cell and "dataset='cifar10'" in cell  # defaults, written anyway
    assert "/home/teacher" not in cell and "DATA_DIR = 'data'" in cell
    namespace = {}
    exec(cell.split("events = train")[0], namespace)
    assert namespace["config"] == RunConfig.from_dict({**config.to_dict(), "preset": "custom", "data_dir": "data"})


def lockstep(model, errors):
    return [{"kind": "metrics", "model": model, "step": 10 * (i + 1), "train_error": e} for i, e in enumerate(errors)]


def test_a_verdict_only_once_the_gap_rule_has_spoken():
    import random
    from resnet_edu.viz import gap
    rng = random.Random(0)
    base = [0.6 + rng.uniform(-0.05, 0.05) for _ in range(20)]
    close = plots.metrics_frame(lockstep("plain20", base) +
                                lockstep("plain56", [b + rng.uniform(-0.03, 0.03) for b in base]), "r", 0)
    v = gap.verdict(close)
    assert not v.spoken and set(v.finals) == {"plain20", "plain56"}
    apart = plots.metrics_frame(lockstep("plain20", base) + lockstep("plain56", [b + 0.08 for b in base]), "r", 0)
    v = gap.verdict(apart)
    assert v.spoken and v.best == "plain20" and v.runner_up == "plain56"
    # 10 logs for the noise, then 4 in a row: the rule speaks at the 13th log, not before.
    assert v.gap.step == 130
    early = plots.metrics_frame(lockstep("plain20", base[:12]) + lockstep("plain56", [b + 0.08 for b in base[:12]]), "r", 0)
    assert not gap.verdict(early).spoken  # a run stopped early: no verdict, however far apart the last points
    # One definition of the final training error: the end of the smoothed curve (mean of the last WINDOW logs).
    smoothed_end = gap.smoothed(plots.seed_bands(apart, "train_error")).groupby("model")["mean"].last()
    assert v.finals == pytest.approx(smoothed_end.to_dict())


def test_a_net_has_one_colour_and_dash_wherever_it_is_drawn():
    import pandas as pd
    from resnet_edu.viz.style import net_style
    one = plots.metrics_frame(events("plain56") + events("resnet20"))
    other = plots.metrics_frame(events("resnet20") + events("plain20") + events("plain56"))
    lines = {}
    for fig in (plots.error_figure(plots.seed_bands(one, "train_error"), "t"),
                plots.error_figure(plots.seed_bands(other, "test_error"), "t", markers=True),
                plots.replay_figure(other, "train_error", "t", frames=3),
                plots.depth_profile_figure({"resnet20": {"g": [1, 2]}, "plain56": {"g": [2, 1]}}, "g", "t")):
        for tr in fig.data:
            if tr.meta and tr.line.width != 0 and "lines" in tr.mode:
                lines.setdefault(tr.meta, set()).add((tr.line.color, tr.line.dash))
    assert lines == {m: {(net_style(m).colour, "dash" if m.startswith("plain") else "solid")}
                     for m in ("plain56", "resnet20", "plain20")}
    # Two runs of the same net on the Runs page: its colour and dash, and a marker of each run's own.
    both = pd.concat([one.assign(model="run a · " + one["model"]), one.assign(model="run b · " + one["model"])])
    fig = plots.error_figure(plots.seed_bands(both, "train_error"), "t")
    plain = [tr for tr in fig.data if tr.meta == "plain56"]
    assert {tr.line.color for tr in plain} == {net_style("plain56").colour} and {tr.line.dash for tr in plain} == {"dash"}
    assert len({tr.marker.symbol for tr in plain}) == 2 and all("markers" in tr.mode for tr in plain)


def test_one_variant_at_several_depths_gets_as_many_colours():
    from resnet_edu.viz.style import BY_DEPTH, net_style
    for options in ("variant=scaling", "shortcut=B", "shortcut=C", "design=full_preact", "batchnorm=false"):
        colours = [net_style(f"resnet{d}:{options}").colour for d in BY_DEPTH]
        assert len(set(colours)) == len(colours) and not set(colours) & set(BY_DEPTH.values()), options


def test_test_error_points_are_marked_and_the_collapse_step_is_the_heatmaps():
    fig = plots.error_figure(plots.seed_bands(plots.metrics_frame(events("plain20", steps=range(1, 9))),
                                              "train_error"), "t", markers=True)
    assert fig.data[-1].mode == "lines+markers"
    alive, dead = [1e-3, 1e-2], [1e-30, 1e-29]
    records = [{"step": s, "unit_output_grad_norm": norms} for s, norms in
               ((10, alive), (20, dead), (30, alive), (40, dead), (50, dead), (60, dead))]
    assert plots.collapse_step(records) == 40  # dark for good from step 40, not the latest probe (60)
    assert plots.collapse_step(records[:3]) is None
    record = {"layers": ["s1.u0.layer1", "s1.u0.layer2", "s1.u1.layer1", "s1.u1.layer2"],
              "layer_response_std": [1.0, 0.5, 0.9, 0.3]}
    first, last = plots.response_std_by_layer(record)
    assert first == pytest.approx(0.95) and last == pytest.approx(0.4)


def test_seed_count_in_the_legend_is_the_count_behind_the_newest_point():
    a = plots.metrics_frame(events("plain20", 0.0), "r1", 0)
    b = plots.metrics_frame(events("plain20", 0.1, steps=(10,)), "r2", 1)  # seed 1 has only begun
    import pandas as pd
    fig = plots.error_figure(plots.seed_bands(pd.concat([a, b]), "train_error"), "t", seeds_text="{n} 个随机种子的均值")
    assert [tr.name for tr in fig.data if tr.name and "±" not in tr.name] == ["plain20"]
    both = plots.metrics_frame(events("plain20", 0.1), "r2", 1)
    fig = plots.error_figure(plots.seed_bands(pd.concat([a, both]), "train_error"), "t", seeds_text="{n} 个随机种子的均值")
    assert "plain20 (2 个随机种子的均值)" in [tr.name for tr in fig.data]


def test_log_axes_use_powers_and_hold_a_collapsed_curve():
    latest = {"plain56": {"g": [1e-30, 1e-29]}, "resnet56": {"g": [1e-3, 1e-2]}}
    fig = plots.depth_profile_figure(latest, "g", "t", log_y=True)
    assert fig.layout.yaxis.exponentformat == "power"
    lo, hi = fig.layout.yaxis.range
    assert lo <= -30 and hi >= -2  # both curves inside, not plotly's autorange guess


def test_translated_model_labels_and_replay_buttons_clear_of_the_toolbar():
    words = {"no BN": "无 BN", "option B": "选项 B", "full_preact": "全预激活"}
    assert plots.model_label("plain56:batchnorm=false", words) == "plain-56 (无 BN)"
    assert plots.model_label("resnet56:shortcut=B,design=full_preact", words) == "ResNet-56 (选项 B, 全预激活)"
    df = plots.metrics_frame(events("plain20", steps=range(1, 20)))
    menu = plots.replay_figure(df, "train_error", "t", frames=5).layout.updatemenus[0]
    assert menu.x == 0.0 and menu.xanchor == "left"  # the toolbar (modebar) sits at the top right


def test_unit_diagram_speaks_the_given_language():
    dot = unit_dot("original", "A", words={"A": "恒等映射 x\\n（形状变化处补零）"})
    assert "恒等映射 x" in dot and "zero-padded" not in dot
