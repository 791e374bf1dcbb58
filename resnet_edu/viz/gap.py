"""When is degradation on screen? The deeper plain net's training error above the shallower's, beyond noise.

v1 Fig. 1: plain-56 has a *higher training error* than plain-20. Early in a short run both
curves sit near chance (90 %) and cross each other window by window, so a class must not be
told "there it is" before the data say so. The rule, over the logged windows of a run:

    d_t   = err_deep(t) − err_shallow(t)             percentage points, same batches (lockstep)
    gap_t = mean of d over the last `window` logs     the smoothed gap
    noise = std of d over the last `noise_logs` logs / √window   the standard error of gap_t
    shown when gap_t > max(k · noise, min_gap) for `hold` logs in a row

The constants were chosen by simulation (pure noise, no true gap) and on the recorded quick run
on real CIFAR-10 images: with a per-log noise of 5 points (the tiny preset) a false "now
visible" came in 2 % of 200-log runs, with 2.5 points (the quick preset) in 0.2 % of 45-log
runs; the recorded real run shows its gap at step 120 (log 12 of 45). A window of 5 alone
with k = 2 and a hold of 3 had raised false alarms in 76 % and 27 % of those runs.

With several seeds, the seed bands (smoothed mean ± std over seeds) parting for `hold` logs
counts too. Everything here is a pure function of metric rows (`plots.metrics_frame`).

The same rule judges a prediction ("which net will have the lowest training error?"): the
runner-up's smoothed training error must stay above the leader's beyond the noise (`verdict`);
until it does, a page gives no verdict. A net's "final training error" is one number
everywhere: the end of its smoothed curve, the mean of its last `WINDOW` logs (`final_values`).
"""

import math
import re
from dataclasses import dataclass

import pandas as pd

WINDOW = 5  # logged windows in the moving average (quick preset: 5 × 10 steps)
NOISE_LOGS = 10  # logs the noise is estimated over (a longer history than the window: a steadier estimate)
HOLD = 4  # logs in a row the gap must stay beyond the noise
K = 3.0  # noise multiplier
MIN_GAP = 2.0  # percentage points; a smaller gap is not worth telling a class about


@dataclass(frozen=True)
class Gap:
    """The state of the gap between a shallow and a deep plain net at the latest log."""

    shallow: str
    deep: str
    visible: bool  # the rule held for `hold` logs at some point of the run
    step: int | None  # the log where it first became visible
    elapsed_s: float | None  # seconds from the run's start to `step` (None: no times recorded)
    gap: float  # smoothed gap at the latest log, percentage points
    noise: float  # the margin it has to beat there (k · standard error, at least min_gap), points
    logs_above: int  # logs in a row beyond the margin, up to the latest
    hold: int
    latest_step: int | None  # the latest log both models have
    holds_now: bool  # the gap is beyond the margin at the latest log
    by_seed_bands: bool = False  # made visible by separated seed bands rather than the mean gap
    logs: int = 0  # logs both models have (the trainer writes one line per model: a reader can fall between)


def depth_of(entry: str) -> int | None:
    """'plain56' -> 56; 'plain56:batchnorm=false' -> 56; anything that is not a plain net -> None."""
    name = entry.split(":")[0]
    m = re.fullmatch(r"plain(\d+)", name)
    return int(m.group(1)) if m else None


def plain_pair(models: list[str]) -> tuple[str, str] | None:
    """The shallowest and the deepest plain net with BN among `models`, if they differ in depth."""
    plains = [(depth_of(m), m) for m in models if depth_of(m) and "batchnorm=false" not in m]
    if len({d for d, _ in plains}) < 2:
        return None
    return min(plains)[1], max(plains)[1]


def moving_average(values: list[float], window: int = WINDOW) -> list[float]:
    """Trailing mean over up to `window` values (the first points average what there is)."""
    out, total, queue = [], 0.0, []
    for v in values:
        queue.append(v)
        total += v
        if len(queue) > window:
            total -= queue.pop(0)
        out.append(total / len(queue))
    return out


def smoothed(bands: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """`plots.seed_bands` output with mean, lo and hi replaced by their trailing moving averages per model."""
    parts = []
    for _, d in bands.groupby("model", sort=False):
        d = d.sort_values("step").copy()
        for col in ("mean", "lo", "hi"):
            d[col] = moving_average(list(d[col]), window)
        parts.append(d)
    return pd.concat(parts, ignore_index=True) if parts else bands


def run_start(events: list[dict]) -> float | None:
    """Unix time a run started training: its first "running" status line (the run store stamps each line)."""
    for e in events:
        if e.get("kind") == "status" and e.get("status") == "running" and e.get("time") is not None:
            return float(e["time"])
    return None


def degradation_gap(df: pd.DataFrame, shallow: str, deep: str, start: float | None = None,
                    window: int = WINDOW, hold: int = HOLD, k: float = K, min_gap: float = MIN_GAP,
                    noise_logs: int = NOISE_LOGS) -> Gap:
    """Is `deep` now training worse than `shallow`?

    df: `plots.metrics_frame` rows (train_error in %, a `time` column where recorded), any number
    of seeds; start: the run's start time (`run_start`), for the seconds it took.
    """
    d = df.dropna(subset=["train_error"])
    d = d[d["model"].isin([shallow, deep])]
    key = ["run_id", "step"]
    wide = d.pivot_table(index=key, columns="model", values="train_error", aggfunc="mean").dropna()
    if wide.empty or shallow not in wide or deep not in wide:
        return Gap(shallow, deep, False, None, None, 0.0, 0.0, 0, hold, None, False)
    # Per run (seed) the paired difference, then the mean over runs at each logged step.
    diff = (wide[deep] - wide[shallow]).groupby(level="step").mean().sort_index()
    steps, values = [int(s) for s in diff.index], [float(v) for v in diff.values]
    times = _times(d)
    bands = _seed_bands_apart(d, shallow, deep, window)

    found, run, last_gap, last_margin, above = None, 0, 0.0, 0.0, False
    for i, step in enumerate(steps):
        recent, history = values[max(0, i - window + 1):i + 1], values[max(0, i - noise_logs + 1):i + 1]
        gap = sum(recent) / len(recent)
        se = _std(history) / math.sqrt(window) if len(history) > 1 else math.inf
        margin = max(k * se, min_gap)
        full = len(history) >= max(window, noise_logs)
        above = bool((full and gap > margin) or bands.get(step, False))
        run = run + 1 if above else 0
        last_gap, last_margin = gap, margin if math.isfinite(margin) else min_gap
        if found is None and run >= hold:
            elapsed = times[step] - start if start is not None and step in times else None
            found = (step, elapsed, not (full and gap > margin))
    if found is None:
        return Gap(shallow, deep, False, None, None, last_gap, last_margin, run, hold, steps[-1], above,
                   logs=len(steps))
    step, elapsed, by_bands = found
    return Gap(shallow, deep, True, int(step), elapsed, last_gap, last_margin, run, hold, steps[-1], above,
               by_bands, logs=len(steps))


def final_values(df: pd.DataFrame, metric: str, window: int = WINDOW) -> dict[str, float]:
    """Each model's `metric` averaged over its last `window` logged points and over seeds.

    With the default window this is where the smoothed curve of the training-error chart ends:
    the one "final training error" every page shows.
    """
    out = {}
    for model, d in df.dropna(subset=[metric]).groupby("model", sort=False):
        steps = sorted(d["step"].unique())[-window:]
        out[model] = float(d[d["step"].isin(steps)][metric].mean())
    return out


@dataclass(frozen=True)
class Verdict:
    """Which net has the lowest training error, once the gap rule says so (else `spoken` is False)."""

    spoken: bool  # the runner-up stayed above the leader beyond the noise for `hold` logs (gap.holds_now: still)
    best: str | None  # the net lowest at the latest log
    runner_up: str | None
    finals: dict  # {model: final training error, %} (final_values)
    gap: Gap | None  # the rule between runner-up (as "deep") and leader (as "shallow")


def verdict(df: pd.DataFrame, models: list[str] | None = None) -> Verdict:
    """The gap rule applied to the two lowest nets at the latest log: has the leader's lead been
    beyond the noise for `HOLD` logs in a row? (A stopped or short run often has not: no verdict.)"""
    d = df if models is None else df[df["model"].isin(models)]
    finals = final_values(d, "train_error")
    if len(finals) < 2:
        return Verdict(False, None, None, finals, None)
    best, second = sorted(finals, key=finals.get)[:2]
    g = degradation_gap(d, best, second)
    return Verdict(g.visible, best, second, finals, g)


def _std(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _times(d: pd.DataFrame) -> dict[int, float]:
    """Each step's latest wall-clock time over models and seeds (run-store lines carry a `time`)."""
    if "time" not in d or d["time"].isna().all():
        return {}
    t = d.dropna(subset=["time"])
    return {int(s): float(v) for s, v in t.groupby("step")["time"].max().items()}


def _seed_bands_apart(d: pd.DataFrame, shallow: str, deep: str, window: int) -> dict[int, bool]:
    """{step: True} where the smoothed seed bands (mean ± std over ≥ 2 seeds) do not overlap."""
    if d["run_id"].nunique() < 2:
        return {}
    g = d.groupby(["model", "step"])["train_error"].agg(["mean", "std", "count"]).reset_index()
    g = g[g["count"] >= 2]
    out = {}
    series = {}
    for model in (shallow, deep):
        m = g[g["model"] == model].sort_values("step")
        series[model] = dict(zip(m["step"], zip(moving_average(list(m["mean"]), window),
                                                moving_average(list(m["std"]), window))))
    for step in sorted(set(series[shallow]) & set(series[deep])):
        (ms, ss), (md, sd) = series[shallow][step], series[deep][step]
        out[int(step)] = md - sd > ms + ss
    return out
