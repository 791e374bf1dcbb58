"""The classroom moment: "the deeper plain net is now training worse", the verdict on a prediction,
and a run's final numbers.

The page only shows what `resnet_edu.viz.gap` decides from the metric rows; here are the words.
Every number in them is read off the rows the charts draw: one "final training error" (the end
of the smoothed curve, gap.final_values), and no verdict before the gap rule has spoken.
"""

import pandas as pd
import streamlit as st

from resnet_edu.viz import gap

from .i18n import duration, lang, listing, t


def gap_message(df: pd.DataFrame, models: list[str], labels: dict, start: float | None, active: bool) -> None:
    """The "now visible" line (success), or what it still waits for (info); nothing without two plain depths.

    Present tense while the run trains, past tense once it has ended.
    """
    pair = gap.plain_pair(models)
    if pair is None or df.empty:
        return
    shallow, deep = pair
    g = gap.degradation_gap(df, shallow, deep, start=start)
    names = dict(shallow=labels.get(shallow, shallow), deep=labels.get(deep, deep))
    if g.visible:
        tense = "" if active else "_done"
        key = "moment.visible" if g.elapsed_s is not None else "moment.visible_untimed"  # runs from before stamps
        st.success(t(key + tense, step=f"{g.step:,}", elapsed=duration(g.elapsed_s), **names),
                   icon=":material/visibility:")
        if not g.holds_now:
            st.caption(t("moment.wandered" + tense, gap=f"{g.gap:+.1f}", noise=f"{g.noise:.1f}", **names))
        return
    if not active:
        if g.latest_step is not None:
            st.info(t("moment.never", gap=f"{g.gap:+.1f}", noise=f"{g.noise:.1f}", **names), icon=":material/info:")
        return
    # g.logs counts the logs both nets have: a refresh can fall between the shallow net's first line
    # and the deep one's (0 so far, and still a line saying what it waits for).
    needed = max(gap.WINDOW, gap.NOISE_LOGS)
    if g.logs < needed:
        st.info(t("moment.warming", logs=g.logs, window=needed, **names), icon=":material/hourglass_top:")
    else:
        st.info(t("moment.waiting", gap=f"{g.gap:+.1f}", noise=f"{g.noise:.1f}", above=g.logs_above,
                  hold=g.hold, step=f"{g.latest_step:,}", **names), icon=":material/hourglass_top:")


def reveal(df: pd.DataFrame, models: list[str], labels: dict, predicted: str | None,
           active: bool) -> gap.Verdict | None:
    """The prediction against the run, judged by the gap rule (gap.verdict); the verdict, for other views.

    Before the rule has spoken: no verdict (while training, a line saying when it will come; after
    the end, what the run could not tell). After: what the run showed, then right or not; but if at
    the end the gap is back inside the noise, what the run showed and no right or wrong.
    """
    if df.empty or len(models) < 2:
        return None
    v = gap.verdict(df, models)
    if len(v.finals) < 2 or not predicted:
        return v
    name = lambda m: labels.get(m, m)  # noqa: E731
    guess = t("predict.unsure") if predicted == "?" else name(predicted)
    summary = listing(f"{name(m)} {v.finals[m]:.1f} %" for m in models if m in v.finals)
    numbers = t("predict.numbers_now" if active else "predict.numbers_final", summary=summary, window=gap.WINDOW)
    g = v.gap
    if not v.spoken:
        if active:
            st.caption(t("predict.pending", guess=guess, hold=gap.HOLD))
        else:
            st.info(join(t("predict.no_verdict", guess=guess, best=name(v.best), second=name(v.runner_up),
                           gap=f"{g.gap:.1f}", noise=f"{g.noise:.1f}"), numbers), icon=":material/balance:")
        return v
    showed = t("predict.showed", best=name(v.best), second=name(v.runner_up), step=f"{g.step:,}")
    if not g.holds_now:  # the rule spoke, but at the end the nets are within the noise again: no right or wrong
        st.info(join(t("predict.your", guess=guess), showed,
                     t("predict.wandered", gap=f"{g.gap:.1f}", noise=f"{g.noise:.1f}"), numbers),
                icon=":material/balance:")
    elif predicted == v.best:
        st.success(join(t("predict.right", guess=guess), showed, numbers), icon=":material/check_circle:")
    elif predicted == "?":
        st.info(join(t("predict.unsure_was", guess=guess), showed, numbers), icon=":material/visibility:")
    else:
        st.info(join(t("predict.wrong", guess=guess, best=name(v.best)), showed, numbers),
                icon=":material/visibility:")
    return v


def join(*sentences: str) -> str:
    """Sentences one after another: a space between them in English, none in Chinese."""
    return ("" if lang() == "zh" else " ").join(sentences)


def final_lines(df: pd.DataFrame, models: list[str], labels: dict, steps: int, seconds: float | None) -> None:
    """One line per model a teacher can read out: training and test error, steps, time."""
    train = gap.final_values(df, "train_error")
    test = _last_values(df, "test_error")
    lines = []
    for m in models:
        if m not in train:
            continue
        test_text = f"{test[m]:.1f} %" if m in test else "–"
        lines.append(t("moment.final_line", model=labels.get(m, m), train=f"{train[m]:.1f} %", test=test_text,
                       steps=f"{steps:,}", time=duration(seconds)))
    if lines:
        st.markdown(t("moment.final_title", window=gap.WINDOW) + "\n\n" + "\n".join(f"- {line}" for line in lines))


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
