"""The lab's words around the charts: waiting / now visible, final numbers, a collapsed net, one colour scale.

Runs are written straight into a run store (no training), so each page state is exact and fast.
"""

from pathlib import Path

import pytest

from app_helpers import app_env, no_failures, open_page, plotly_specs

from resnet_edu.runs.store import RunStore
from resnet_edu.training.config import preset


def probe(step: int, norm: float, units: int = 3) -> dict:
    # As ProbeRecord.to_dict writes it: every layer_* list as long as `layers` (the store checks that).
    return {"step": step, "units": [f"u{i}" for i in range(units)], "unit_output_grad_norm": [norm] * units,
            "layers": [f"u{i}.conv1" for i in range(units)], "layer_response_std": [1.0] * units, "layer_grad_to_data": [1e-3] * units,
            "layer_update_to_data": [1e-3] * units}


def write_run(runs: Path, models, errors: dict, status: str = "done", probes: dict | None = None,
              timed: bool = True) -> str:
    """A run in the store with metric lines (errors as fractions per log) and times 2 s apart."""
    store = RunStore(runs)
    config = preset("tiny", models=tuple(models), dataset="synthetic", steps=2 * len(next(iter(errors.values()))))
    run_id = store.create(config)
    store.append(run_id, {"kind": "status", "model": "*", "step": 0, "status": "running", "message": "", "time": 100.0})
    for i in range(len(next(iter(errors.values())))):
        step = 2 * (i + 1)
        for model, values in errors.items():
            line = {"kind": "metrics", "model": model, "step": step, "lr": 0.1, "train_loss": 2.0,
                    "train_error": values[i], "images_per_s": 100.0, "time": 100.0 + 2 * (i + 1)}
            if probes and model in probes:  # a norm for every log, or one per log
                norm = probes[model][i] if isinstance(probes[model], list) else probes[model]
                line["probes"] = probe(step, norm)
            if step % 4 == 0:
                line["test_error"] = values[i]
            store.append(run_id, line if timed else {k: v for k, v in line.items() if k != "time"})
    store.append(run_id, {"kind": "status", "model": "*", "step": config.steps, "status": status, "message": "",
                          "time": 100.0 + 2 * len(next(iter(errors.values())))})
    store.set_status(run_id, status, step=config.steps)
    return run_id


def texts(at) -> str:
    return " ".join(e.value for kind in ("success", "info", "warning", "markdown", "caption") for e in getattr(at, kind))


def test_a_finished_run_with_a_gap_says_when_and_reads_out_its_numbers(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    n = 20
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [0.9 - 0.02 * i for i in range(n)],
                                                     "plain32": [0.9 - 0.002 * i for i in range(n)]})
    # The run has ended: past tense ("is now training worse" would still be the present).
    for lang, visible, final in (("en", "trained worse.", "Final numbers"), ("zh", "训练得更差。", "最终结果")):
        at = open_page("degradation", lang, models="plain8;plain32", preset="tiny", runs=run_id)
        no_failures(at)
        shown = texts(at)
        assert visible in shown and final in shown and "now training worse" not in shown, shown
    at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id)
    lines = [m.value for m in at.markdown if m.value.startswith("**Final numbers**")]
    assert lines and "plain-8" in lines[0] and "plain-32" in lines[0] and "40 steps" in lines[0], lines
    assert "From step 26 (26 s after the start)" in texts(at)  # 10 logs for the noise, then 4 in a row
    # The same numbers where the page gives a training error: the final numbers and the verdict.
    at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id, guess="plain8")
    verdict = [s.value for s in at.success if "You predicted" in s.value]
    assert verdict and "The run showed: from step 26" in verdict[0], verdict
    finals = [v for v in ("plain-8 56.0 %", "plain-32 86.6 %") if v in verdict[0]]
    assert len(finals) == 2 and "training error 56.0 %" in lines[0] and "training error 86.6 %" in lines[0]


def test_while_it_trains_the_gap_is_in_the_present_and_start_waits(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    n = 20
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [0.9 - 0.02 * i for i in range(n)],
                                                     "plain32": [0.9 - 0.002 * i for i in range(n)]}, status="running")
    with RunStore(runs).lock(run_id):  # a live owner: the store would list an ownerless run as interrupted
        at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id)
    no_failures(at)
    assert "now training worse" in texts(at) and "Final numbers" not in texts(at)
    assert at.button(key="degradation_start").disabled, "Start stays off while this page's run trains"
    assert not any("Estimated time" in c.value for c in at.caption), "no pre-run estimate beside the time left"



@pytest.mark.parametrize("logged, so_far", [({"plain8": [0.9]}, "0 so far"),
                                            ({"plain8": [0.9] * 3, "plain32": [0.9] * 3}, "3 so far")])
def test_while_it_warms_up_the_page_says_what_it_waits_for(logged, so_far, monkeypatch, tmp_path):
    # CI: the trainer writes one line per net; a refresh between plain-8's first line and plain-32's
    # showed no line at all (the gap had no common log). The count is of logs both nets have.
    runs = app_env(monkeypatch, tmp_path)
    run_id = write_run(runs, ["plain8", "plain32"], logged, status="running")
    with RunStore(runs).lock(run_id):
        at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id)
    no_failures(at)
    shown = texts(at)
    assert "Waiting for the gap: the smoothed curves need 10 logged points, " + so_far in shown, shown

@pytest.mark.parametrize("lang, none, right", [("en", "No verdict", "right."), ("zh", "没有结论", "猜对了")])
def test_no_verdict_before_the_gap_rule_has_spoken(lang, none, right, monkeypatch, tmp_path):
    # Issue 22: a run stopped at step 16 with plain-8 far below plain-32 said "You predicted plain-8, and it has
    # the lowest training error" next to "ended before plain-32 rose clearly above plain-8". Eight logs are
    # fewer than the rule's noise history (10): no verdict, whatever the last points say.
    runs = app_env(monkeypatch, tmp_path)
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [0.9 - 0.05 * i for i in range(8)],
                                                     "plain32": [0.9] * 8}, status="stopped")
    at = open_page("degradation", lang, models="plain8;plain32", preset="tiny", runs=run_id, guess="plain8")
    no_failures(at)
    shown = texts(at)
    assert none in shown and right not in shown, shown
    assert not [s.value for s in at.success if right in s.value]
    # With the gap rule's evidence (20 logs), the verdict, and what the run showed.
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [0.9 - 0.02 * i for i in range(20)],
                                                     "plain32": [0.9 - 0.002 * i for i in range(20)]})
    at = open_page("degradation", lang, models="plain8;plain32", preset="tiny", runs=run_id, guess="plain8")
    no_failures(at)
    assert any(right in s.value and "26" in s.value for s in at.success), texts(at)


def test_a_run_from_before_time_stamps_still_names_the_step(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    n = 20
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [0.9 - 0.02 * i for i in range(n)],
                                                     "plain32": [0.9 - 0.002 * i for i in range(n)]}, timed=False)
    at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id)
    no_failures(at)
    assert "From step 26, plain-32's smoothed training error stayed above" in texts(at)


def test_a_run_without_a_gap_says_so(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    flat = [0.85, 0.87] * 10
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": flat, "plain32": flat[::-1]})
    at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id)
    no_failures(at)
    assert "ended before plain-32's training error rose clearly above plain-8's" in texts(at)


def test_a_collapsed_net_is_explained_and_heatmaps_share_one_scale(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path)
    models = ["plain8", "plain8:batchnorm=false"]
    run_id = write_run(runs, models, {m: [0.8] * 4 for m in models},
                       probes={"plain8": 1e-2, "plain8:batchnorm=false": [1e-3, 1e-31, 1e-31, 1e-31]})
    at = open_page("gradients", "en", models=";".join(models), preset="tiny", runs=run_id)
    no_failures(at)
    # The step is where the heatmap goes dark (its second probe, step 4), not the latest probe (step 8).
    assert "dead ReLUs" in texts(at) and "has collapsed** (since step 4," in texts(at)
    heat = [s["data"][0] for s in plotly_specs(at) if s["data"] and s["data"][0]["type"] == "heatmap"]
    assert len(heat) == 2 and {h["zmin"] for h in heat} == {-30} and {h["zmax"] for h in heat} == {-2}
    at.toggle(key="grad_shared_scale").set_value(False).run()
    heat = [s["data"][0] for s in plotly_specs(at) if s["data"] and s["data"][0]["type"] == "heatmap"]
    assert all("zmin" not in h for h in heat)



def test_a_lead_that_melts_into_the_noise_by_the_end_gets_no_right_or_wrong(monkeypatch, tmp_path):
    # Both nets end near 0 % (the screenshot run: ResNet-20 0.5 %, plain-20 2.2 %, margin 2.0): the rule
    # spoke at some step, so the page says what the run showed, but not "right" or "wrong".
    runs = app_env(monkeypatch, tmp_path)
    lead = [0.9 - 0.08 * i for i in range(10)] + [0.1] * 10
    run_id = write_run(runs, ["plain8", "plain32"], {"plain8": [max(0.0, v - 0.1) for v in lead[:-8]] + [0.1] * 8,
                                                     "plain32": lead[:-8] + [0.11] * 8})
    at = open_page("degradation", "en", models="plain8;plain32", preset="tiny", runs=run_id, guess="plain32")
    no_failures(at)
    shown = texts(at)
    assert "The run showed" in shown and "no verdict on your prediction" in shown, shown
    assert "lowest training error is" not in shown and not [s for s in at.success if "You predicted" in s.value]
