"""The ETA at this machine's speed now: a run's last few logs, or a short convolution timing; never a net built."""

import math

from resnet_edu.runs import eta
from resnet_edu.training.config import preset


def lines(steps, seconds_per_step):
    return [{"kind": "metrics", "model": m, "step": s, "time": 1000.0 + s * seconds_per_step}
            for s in steps for m in ("plain20", "plain56")]


def test_time_left_follows_the_latest_logs_not_the_first():
    # 2 s per step up to step 50 (t = 1100), then 1 s per step (the machine got quieter).
    slow_then_fast = lines(range(10, 60, 10), 2.0) + [
        {**e, "time": 1100.0 + (e["step"] - 50)} for e in lines(range(60, 120, 10), 1.0)]
    assert math.isclose(eta.recent_rate(slow_then_fast, logs=5), 1.0)  # 1 step/s over the last 5 logs
    assert math.isclose(eta.remaining_seconds(slow_then_fast, 450), 450 - 110)
    assert eta.remaining_seconds(lines([10], 1.0), 450) is None  # one log: no speed yet
    assert eta.recent_rate([{"kind": "metrics", "model": "a", "step": 10}] * 3) is None  # no stamps


def test_a_run_s_speed_now_becomes_an_estimate_for_the_next():
    config = preset("quick", dataset="synthetic")
    rate = eta.throughput_now(config, lines(range(10, 110, 10), 0.5))
    # 2 steps/s now: the same run again takes steps / 2 seconds, evaluations included.
    assert math.isclose(eta.estimate_seconds(config, "cpu", rate), config.steps / 2)


def test_a_seed_band_costs_its_members():
    # Three seeds train three times the multiply-adds of one, even stacked into one run.
    one = preset("quick", models=("plain20", "plain56"), dataset="synthetic")
    band = preset("quick", models=("plain20", "plain56"), dataset="synthetic", seeds=(0, 1, 2))
    assert math.isclose(eta.step_macs(band), 3 * eta.step_macs(one))
    assert math.isclose(eta.estimate_seconds(band, "cpu", 1e9), 3 * eta.estimate_seconds(one, "cpu", 1e9))


def test_the_probe_times_a_convolution_without_building_a_net(monkeypatch, one_thread):
    built = []
    monkeypatch.setattr("resnet_edu.models.registry.ModelSpec.build", lambda self: built.append(self))
    rate = eta.probe_throughput(0.05)
    assert 1e7 < rate < 1e13 and not built
