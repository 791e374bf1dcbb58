"""The classroom moment: "the deeper plain net is now training worse", and a run's final numbers.

The page only shows what `resnet_edu.viz.gap` decides from the metric rows; here are the words.
"""

import math

import pandas as pd
import streamlit as st

from resnet_edu.viz import gap, plots

from .i18n import t


def duration(seconds: float | None) -> str:
    """'48 s', '3 min 05 s': what a teacher reads out."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60:02d} s"


def gap_message(df: pd.DataFrame, models: list[str], labels: dict, start: float | None, active: bool) -> None:
    """The "now visible" line (success), or what it still waits for (info); nothing without two plain depths."""
    pair = gap.plain_pair(models)
    if pair is None or df.empty:
        return
    shallow, deep = pair
    g = gap.degradation_gap(df, shallow, deep, start=start)
    names = dict(shallow=labels.get(shallow, shallow), deep=labels.get(deep, deep))
    if g.visible:
        key = "moment.visible" if g.elapsed_s is not None else "moment.visible_untimed"  # runs from before stamps
        st.success(t(key, step=f"{g.step:,}", elapsed=duration(g.elapsed_s), **names), icon=":material/visibility:")
        if not g.holds_now:
            st.caption(t("moment.wandered", gap=f"{g.gap:+.1f}", noise=f"{g.noise:.1f}", **names))
        return
    if g.latest_step is None:
        return
    if not active:
        st.info(t("moment.never", gap=f"{g.gap:+.1f}", noise=f"{g.noise:.1f}", **names), icon=":material/info:")
        return
    logs = int(df.dropna(subset=["train_error"]).groupby("model")["step"].nunique().min())
    needed = max(gap.WINDOW, gap.NOISE_LOGS)
    if logs < needed:
        st.info(t("moment.warming", logs=logs, window=needed, **names), icon=":material/hourglass_top:")
    else:
        st.info(t("moment.waiting", gap=f"{g.gap:+.1f}", noise=f"{g.noise:.1f}", above=g.logs_above,
                  hold=g.hold, step=f"{g.latest_step:,}", **names), icon=":material/hourglass_top:")


def final_lines(df: pd.DataFrame, models: list[str], labels: dict, steps: int, seconds: float | None) -> None:
    """One line per model a teacher can read out: training and test error, steps, time."""
    train = plots.final_values(df, "train_error")
    test = _last_values(df, "test_error")
    lines = []
    for m in models:
        if m not in train:
            continue
        test_text = f"{test[m]:.1f} %" if m in test else "–"
        lines.append(t("moment.final_line", model=labels.get(m, m), train=f"{train[m]:.1f} %", test=test_text,
                       steps=f"{steps:,}", time=duration(seconds)))
    if lines:
        st.markdown(t("moment.final_title") + "\n\n" + "\n".join(f"- {line}" for line in lines))


def _last_values(df: pd.DataFrame, metric: str) -> dict[str, float]:
    """Each model's `metric` at its last logged step (mean over seeds)."""
    out = {}
    for model, d in df.dropna(subset=[metric]).groupby("model"):
        out[model] = float(d[d["step"] == d["step"].max()][metric].mean())
    return out


def run_seconds(events: list[dict]) -> float | None:
    """Seconds of training a run's lines span: its first "running" status to its last line."""
    start = gap.run_start(events)
    times = [e["time"] for e in events if e.get("time") is not None]
    return max(times) - start if start is not None and times else None
