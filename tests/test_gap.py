"""When the degradation gap is "now visible": the pure rule over metric rows, and the charts around it."""

import math
import random

import pandas as pd
import pytest

from resnet_edu.viz import gap, plots


def rows(errors: dict[str, list[float]], run_id: str = "r0", seed: int = 0, every: int = 10,
         t0: float = 1000.0, dt: float = 2.0) -> list[dict]:
    """Metric lines as the run store writes them: errors as fractions, a `time` stamp per log."""
    out = []
    for i in range(len(next(iter(errors.values())))):
        for model, values in errors.items():
            out.append({"kind": "metrics", "model": model, "step": every * (i + 1), "train_error": values[i],
                        "time": t0 + dt * (i + 1)})
    return out


def frame(*runs) -> pd.DataFrame:
    return pd.concat([plots.metrics_frame(r, run_id=f"r{i}", seed=i) for i, r in enumerate(runs)],
                     ignore_index=True)


def test_a_steady_gap_shows_after_the_window_fills_and_holds():
    rng = random.Random(0)
    shallow = [0.80 + rng.uniform(-0.01, 0.01) for _ in range(20)]
    deep = [s + 0.08 + rng.uniform(-0.01, 0.01) for s in shallow]
    g = gap.degradation_gap(frame(rows({"plain20": shallow, "plain56": deep})), "plain20", "plain56", start=1000.0)
    # The noise needs NOISE_LOGS logs (10); the gap must then hold for HOLD (4): logs 10..13 -> step 130.
    first = max(gap.WINDOW, gap.NOISE_LOGS) + gap.HOLD - 1
    assert g.visible and g.step == 10 * first
    assert math.isclose(g.elapsed_s, 2.0 * first)
    assert 6 < g.gap < 10 and g.holds_now and not g.by_seed_bands
    assert g.logs == 20
    # The trainer writes one line per net: a reader between the shallow net's line and the deep one's.
    lines = rows({"plain20": shallow[:3], "plain56": deep[:3]})[:-1]
    assert gap.degradation_gap(frame(lines), "plain20", "plain56").logs == 2
    assert gap.degradation_gap(frame(lines[:1]), "plain20", "plain56").logs == 0


def test_crossing_noise_is_not_a_gap():
    shallow = [0.85 + (0.03 if i % 2 else -0.03) for i in range(30)]
    deep = [0.85 + (-0.03 if i % 2 else 0.03) for i in range(30)]
    g = gap.degradation_gap(frame(rows({"plain20": shallow, "plain56": deep})), "plain20", "plain56")
    assert not g.visible and g.step is None and g.logs_above < gap.HOLD and g.latest_step == 300


def test_pure_noise_rarely_raises_a_false_alarm():
    rng = random.Random(2)
    alarms = 0
    for _ in range(40):  # 200 logs each, 5 points of noise per log and model, no true gap
        shallow = [0.85 + rng.gauss(0, 0.05) for _ in range(200)]
        deep = [0.85 + rng.gauss(0, 0.05) for _ in range(200)]
        alarms += gap.degradation_gap(frame(rows({"plain20": shallow, "plain56": deep})), "plain20", "plain56").visible
    assert alarms <= 4, f"{alarms} of 40 pure-noise runs said 'now visible'"


def test_the_shallow_net_worse_is_not_degradation_and_too_few_logs_wait():
    g = gap.degradation_gap(frame(rows({"plain20": [0.9] * 12, "plain56": [0.7] * 12})), "plain20", "plain56")
    assert not g.visible and g.gap < 0
    early = gap.degradation_gap(frame(rows({"plain20": [0.5] * 4, "plain56": [0.9] * 4})), "plain20", "plain56")
    assert not early.visible  # a 40-point gap, but the window is not full yet
    assert gap.degradation_gap(frame(rows({"resnet20": [0.5] * 9})), "plain20", "plain56").latest_step is None


def test_seed_bands_that_part_count_and_times_are_optional():
    rng = random.Random(1)
    runs = []
    for seed in range(3):
        shallow = [0.70 + rng.uniform(-0.05, 0.05) for _ in range(12)]
        deep = [0.85 + rng.uniform(-0.01, 0.01) for _ in range(12)]
        runs.append([{k: v for k, v in r.items() if k != "time"} for r in rows({"plain20": shallow, "plain56": deep})])
    g = gap.degradation_gap(frame(*runs), "plain20", "plain56", start=None)
    assert g.visible and g.elapsed_s is None and g.step <= 10 * (gap.WINDOW + gap.HOLD - 1)


def test_the_pair_is_the_shallowest_and_deepest_plain_net_with_bn():
    assert gap.plain_pair(["plain56", "resnet56", "plain20", "plain32"]) == ("plain20", "plain56")
    assert gap.plain_pair(["plain56", "plain56:batchnorm=false", "resnet56"]) is None
    assert gap.plain_pair(["plain20", "resnet20"]) is None
    assert gap.moving_average([1, 2, 3, 4], 2) == [1, 1.5, 2.5, 3.5]


def test_error_axes_never_magnify_one_point_and_show_chance():
    one = plots.seed_bands(plots.metrics_frame(rows({"plain20": [0.918], "plain56": [0.9185]})), "train_error")
    fig = plots.error_figure(one, "t", smooth=gap.WINDOW, chance="chance (90 %)", x_max=450)
    assert list(fig.layout.yaxis.range) == [50, 100] and list(fig.layout.xaxis.range) == [0, pytest.approx(459)]
    assert any(s.y0 == 90 for s in fig.layout.shapes)
    low = plots.seed_bands(plots.metrics_frame(rows({"plain20": [0.6, 0.4, 0.23]})), "train_error")
    assert list(plots.error_figure(low, "t").layout.yaxis.range) == [10, 100]


def test_a_live_step_axis_grows_in_doublings():
    assert plots.step_axis_end(70, 2000) == 125 and plots.step_axis_end(130, 450) == 225
    assert plots.step_axis_end(440, 450) == 450 and plots.step_axis_end(1, 450) == 450 / 16


def test_smoothed_curve_over_faint_raw_points_and_a_note_before_the_first_test():
    bands = plots.seed_bands(plots.metrics_frame(rows({"plain20": [0.9, 0.5, 0.9, 0.5, 0.9]})), "train_error")
    fig = plots.error_figure(bands, "t", smooth=gap.WINDOW)
    raw = [tr for tr in fig.data if tr.mode == "markers"]
    line = [tr for tr in fig.data if tr.mode != "markers"]
    assert list(raw[0].y) == [90, 50, 90, 50, 90] and "0.35" in raw[0].marker.color
    assert math.isclose(line[0].y[-1], 74.0)  # mean of the five windows
    empty = plots.seed_bands(plots.metrics_frame(rows({"plain20": [0.9]})), "test_error")
    note = plots.error_figure(empty, "t", empty_note="first test evaluation at step 150", x_max=450)
    assert [a.text for a in note.layout.annotations if "first test" in a.text]
