"""The package side of the app: tables, seed bands, figures, ETA, export, diagrams."""

import math

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
    assert fig.layout.font.size >= 16
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


def test_unit_diagram_follows_the_design():
    original, preact = unit_dot("original", "A"), unit_dot("full_preact", "A")
    assert "a0 [label=\"ReLU\"" in original  # ReLU after the addition
    assert "a0" not in preact  # nothing after the addition: a clean identity path (v2)
    assert "x -> add" not in unit_dot("original", None)  # plain: no shortcut
