"""Shared helpers for the app tests: an AppTest on a temporary run store, waiting for runs."""

import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
PAGES = ("home", "degradation", "residual", "gradients", "blocks", "runs")


def app_env(monkeypatch, tmp_path, steps: int = 12) -> Path:
    runs = tmp_path / "runs"
    monkeypatch.setenv("RESNET_EDU_RUNS_DIR", str(runs))
    monkeypatch.setenv("RESNET_EDU_DATA_DIR", str(tmp_path / "data"))  # no CIFAR-10 there: synthetic
    monkeypatch.setenv("RESNET_EDU_TEST_TINY", "1")
    monkeypatch.setenv("RESNET_EDU_TINY_STEPS", str(steps))
    monkeypatch.setenv("RESNET_EDU_TRAIN_IN_THREAD", "1")  # AppTest: no child process per run
    return runs


def open_page(page: str, lang: str = "en", **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["page"] = page
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def no_failures(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    page_errors = [e.value for e in at.error if "stopped drawing" in e.value or "已停止绘制" in e.value]
    assert not page_errors, page_errors


def statuses(runs: Path) -> dict[str, str]:
    out = {}
    for folder in runs.iterdir() if runs.exists() else []:
        try:
            out[folder.name] = json.loads((folder / "status.json").read_text())["status"]
        except (OSError, ValueError):
            out[folder.name] = "?"
    return out


def wait_for(runs: Path, n: int, states=("done",), timeout: float = 150) -> dict[str, str]:
    end = time.time() + timeout
    while time.time() < end:
        s = statuses(runs)
        if len(s) >= n and all(v in states for v in s.values()):
            return s
        time.sleep(0.3)
    raise AssertionError(f"runs did not reach {states} in {timeout} s: {statuses(runs)}")


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def net_lines(specs: list[dict]) -> dict[str, set[tuple[str, str]]]:
    """{model entry: {(colour, dash), ...}} over every line drawn for a net in these figures' JSON.

    A trace draws a net when its `meta` names the entry (viz/theme.py); seed bands (no line) and
    faint raw points (markers only) are left out.
    """
    out: dict[str, set] = {}
    for spec in specs:
        for trace in spec.get("data", []):
            line, entry = trace.get("line") or {}, trace.get("meta")
            if isinstance(entry, str) and "lines" in trace.get("mode", "lines") and line.get("width", 1) != 0:
                out.setdefault(entry, set()).add((line.get("color"), line.get("dash")))
    return out
