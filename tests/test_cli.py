"""The CLI end to end on synthetic data, and its one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "resnet_edu", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_train_end_to_end_on_synthetic(tmp_path):
    out = tmp_path / "m.jsonl"
    r = _cli("train", "--models", "plain8,resnet8", "--dataset", "synthetic", "--preset", "quick",
             "--steps", "20", "--device", "cpu", "--seed", "0", "--metrics-out", str(out),
             "--runs-dir", str(tmp_path / "runs"))
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC" in r.stderr  # said clearly
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    metrics = [d for d in lines if d["kind"] == "metrics"]
    assert {d["model"] for d in metrics} == {"plain8", "resnet8"}
    for d in metrics:
        assert {"model", "step", "train_loss", "train_error"} <= set(d)
    assert any("test_error" in d for d in metrics)  # the last step is an evaluation
    assert lines[-1] == {"model": "*", "step": 20, "status": "done", "message": "", "kind": "status"}
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "checkpoint.pt").exists()

    # Resume the same run for 10 more steps.
    r = _cli("train", "--resume", runs[0].name, "--steps", "30", "--runs-dir", str(tmp_path / "runs"),
             "--metrics-out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    steps = [json.loads(line)["step"] for line in out.read_text().splitlines()]
    assert max(steps) == 30


def test_bad_arguments_give_one_clear_line(tmp_path):
    cases = [
        (("train", "--models", "plain21", "--dataset", "synthetic"), "6n+2"),
        (("train", "--models", "vgg16", "--dataset", "synthetic"), "unknown model"),
        (("train", "--preset", "fastest", "--dataset", "synthetic"), "unknown preset"),
        (("train", "--data-dir", str(tmp_path / "nowhere")), "download"),
        (("train", "--bogus"), "unrecognized arguments"),
        (("train", "--resume", "20990101-000000-nothing", "--runs-dir", str(tmp_path)), "no run"),
    ]
    for args, words in cases:
        r = _cli(*args)
        assert r.returncode != 0, args
        assert words in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_models_lists_the_paper_table():
    r = _cli("models")
    assert r.returncode == 0
    assert "resnet56" in r.stdout and "853,018" in r.stdout


def test_train_records_the_precision_it_was_asked_for(tmp_path):
    r = _cli("train", "--models", "resnet8", "--dataset", "synthetic", "--preset", "tiny", "--precision", "fp32",
             "--runs-dir", str(tmp_path / "runs"), "--quiet")
    assert r.returncode == 0, r.stderr
    [run] = (tmp_path / "runs").iterdir()
    assert json.loads((run / "config.json").read_text())["config"]["precision"] == "fp32"
