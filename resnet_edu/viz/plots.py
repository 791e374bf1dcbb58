"""Run-store metrics -> tables -> plotly figures a projector can show.

    df = metrics_frame(store.metrics(run_id), run_id=run_id, seed=config.seed)
    fig = error_figure(seed_bands(df, "train_error"), title="training error (%)")

Conventions everywhere: plain nets dashed, residual nets solid; a colour per depth from
the Okabe-Ito palette (colour-blind safe); large fonts and thick lines; errors in %.
"""

import math

import pandas as pd
import plotly.graph_objects as go

from ..models import table1_row
from ..training.config import model_spec, split_member
from .gap import K, MIN_GAP, WINDOW, smoothed

# Okabe & Ito (2008), colour-blind safe; black is left out (it reads as "axis").
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
FONT_SIZE = 18  # px; readable from the back of a classroom
LINE_WIDTH = 4
CHANCE = 90.0  # % error of a 10-way guess


# -- tables -------------------------------------------------------------------------------
def metrics_frame(events: list[dict], run_id: str = "", seed: int = 0) -> pd.DataFrame:
    """One row per (model, logged step): step, epoch, lr, train/test error (%), loss.

    A seed band trained as one run (RunConfig.seeds) names its models 'resnet56@seed1': the
    row gets model 'resnet56' and seed 1, so seed_bands draws the band from that one run.
    """
    rows = [{"run_id": run_id, "seed": _seed(e["model"], seed), "model": split_member(e["model"])[0],
             "step": e["step"],
             "epoch": e.get("epoch", math.nan), "lr": e.get("lr", math.nan),
             "train_loss": e.get("train_loss", math.nan),
             "train_error": 100 * e.get("train_error", math.nan),
             "test_error": 100 * e["test_error"] if e.get("test_error") is not None else math.nan,
             "time": e.get("time", math.nan)}  # unix seconds, stamped by the run store
            for e in events if e.get("kind", "metrics") == "metrics" and "model" in e]
    columns = ["run_id", "seed", "model", "step", "epoch", "lr", "train_loss", "train_error", "test_error", "time"]
    return pd.DataFrame(rows, columns=columns)


def _seed(member: str, run_seed: int) -> int:
    seed = split_member(member)[1]
    return run_seed if seed is None else seed


def seed_bands(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean and spread of `metric` over runs (seeds) per (model, step): mean, std, lo, hi, n.

    lo/hi are mean ± std when there are several seeds, the value itself for one.
    """
    d = df.dropna(subset=[metric])
    if d.empty:
        return pd.DataFrame(columns=["model", "step", "mean", "std", "lo", "hi", "n"])
    g = d.groupby(["model", "step"])[metric]
    out = g.agg(mean="mean", std="std", n="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    out["lo"], out["hi"] = out["mean"] - out["std"], out["mean"] + out["std"]
    return out.sort_values(["model", "step"]).reset_index(drop=True)


def final_values(df: pd.DataFrame, metric: str, window: int = 3) -> dict[str, float]:
    """Each model's `metric` averaged over its last `window` logged points (and over seeds)."""
    out = {}
    for model, d in df.dropna(subset=[metric]).groupby("model"):
        steps = sorted(d["step"].unique())[-window:]
        out[model] = float(d[d["step"].isin(steps)][metric].mean())
    return out


def final_winner(df: pd.DataFrame, metric: str = "train_error", window: int = WINDOW, k: float = K,
                 min_gap: float = MIN_GAP) -> tuple[str | None, dict[str, float], float]:
    """(the model lowest at the end, or None when it is within noise; final values; the margin).

    The nets train in lockstep on the same batches, so the runner-up minus the best is paired step
    by step (and run by run); its mean over the last `window` logs must beat k standard errors of
    that mean, and at least `min_gap` points (the rule of viz/gap.py, at the end of the run).
    """
    finals = final_values(df, metric, window)
    if len(finals) < 2:
        return (next(iter(finals), None), finals, 0.0)
    best, second = sorted(finals, key=finals.get)[:2]
    d = df.dropna(subset=[metric])
    wide = d[d["model"].isin([best, second])].pivot_table(index=["run_id", "step"], columns="model",
                                                          values=metric, aggfunc="mean").dropna()
    diff = (wide[second] - wide[best]).groupby(level="step").mean().sort_index() if len(wide.columns) == 2 else []
    recent = [float(v) for v in list(diff)[-window:]]
    if len(recent) > 1:
        mean = sum(recent) / len(recent)
        se = math.sqrt(sum((v - mean) ** 2 for v in recent) / (len(recent) - 1) / len(recent))
    else:
        mean, se = (recent[0] if recent else 0.0), math.inf
    margin = max(k * se, min_gap) if math.isfinite(se) else max(min_gap, abs(mean) + 1e-9)
    return (best if mean > margin else None), finals, margin


# -- styling ------------------------------------------------------------------------------
def is_plain(model: str) -> bool:
    return model.split(":")[0].startswith("plain")


def model_style(model: str, models: list[str]) -> dict:
    """Colour by position in `models` (stable within a chart), dash by plain/residual."""
    colour = OKABE_ITO[models.index(model) % len(OKABE_ITO)] if model in models else OKABE_ITO[0]
    return {"color": colour, "width": LINE_WIDTH, "dash": "dash" if is_plain(model) else "solid"}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 460) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": FONT_SIZE + 4}}, height=height,
        font={"size": FONT_SIZE, "family": "Noto Sans, Noto Sans CJK SC, sans-serif"},
        legend={"font": {"size": FONT_SIZE}, "orientation": "h", "y": -0.22},
        margin={"l": 70, "r": 20, "t": 60, "b": 40}, template="plotly_white", hovermode="x unified")
    fig.update_xaxes(title_text=x_title, showgrid=True)
    fig.update_yaxes(title_text=y_title, showgrid=True)
    return fig


def error_range(values) -> list[float]:
    """A y range for errors (%) that never magnifies noise: up to 100, down to 50 or lower.

    One point at 91.8 % gets 50–100, not 91.75–91.85; curves reaching 23 % get 10–100.
    The chance line (90 %) is always inside.
    """
    values = [v for v in values if v == v]  # drop NaN
    low = min(values, default=100.0)
    return [max(0.0, min(50.0, 10 * math.floor((low - 5) / 10))), 100.0]


def step_axis_end(latest: float, total: int) -> float:
    """The x axis of a live chart: the run's steps halved until the curves fill at least half of it.

    It grows in doublings (125 → 250 → 500 → ... → total), so it neither rescales at every new
    point nor squeezes a young run into the left edge of a 2,000-step axis.
    """
    end = float(total)
    while end / 2 >= max(latest * 1.15, total / 16):
        end /= 2
    return end


def _chance_line(fig: go.Figure, text: str) -> None:
    fig.add_hline(y=CHANCE, line={"color": "#777", "width": 2, "dash": "dot"},
                  annotation={"text": text, "font": {"size": FONT_SIZE - 4, "color": "#555"}},
                  annotation_position="top right")


# -- figures ------------------------------------------------------------------------------
def error_figure(bands: pd.DataFrame, title: str, x_title: str = "step", y_title: str = "error (%)",
                 models: list[str] | None = None, labels: dict[str, str] | None = None,
                 smooth: int = 1, chance: str | None = "chance (90 %)", empty_note: str | None = None,
                 x_max: float | None = None, seeds_text: str = "mean of {n} seeds") -> go.Figure:
    """Mean curve per model with a shaded mean ± std band where several seeds were run.

    smooth > 1: the curve (and band) is a trailing moving average over that many logged points,
    with the raw points drawn faint behind it. chance: the label of a reference line at 90 %
    (None: no line). empty_note: drawn in the middle when there is no point yet. x_max: the
    run's last step, so the x axis does not rescale at every new point.
    """
    models = models or list(dict.fromkeys(bands["model"]))
    labels = labels or {}
    fig = go.Figure()
    drawn = smoothed(bands, smooth) if smooth > 1 and not bands.empty else bands
    for model in models:
        raw, d = bands[bands["model"] == model], drawn[drawn["model"] == model]
        if d.empty:
            continue
        style = model_style(model, models)
        name = labels.get(model, model)
        several = d[d["n"] > 1]  # the band only where several seeds have data
        if not several.empty:
            fig.add_trace(go.Scatter(
                x=list(several["step"]) + list(several["step"])[::-1],
                y=list(several["hi"]) + list(several["lo"])[::-1],
                mode="lines", fill="toself", fillcolor=_rgba(style["color"], 0.18), line={"width": 0},
                hoverinfo="skip", showlegend=False, name=f"{name} ± std"))
        if smooth > 1:  # the logged windows themselves, faint: the smoothing hides nothing
            fig.add_trace(go.Scatter(x=raw["step"], y=raw["mean"], mode="markers", showlegend=False,
                                     marker={"color": _rgba(style["color"], 0.35), "size": 7},
                                     name=f"{name} (raw)", hovertemplate="%{y:.1f}<extra></extra>"))
        seeds = int(d["n"].iloc[-1])  # seeds behind the newest point: a queued seed is not counted yet
        fig.add_trace(go.Scatter(x=d["step"], y=d["mean"], mode="lines+markers" if len(d) < 3 else "lines",
                                 line=style, name=name + (f" ({seeds_text.format(n=seeds)})" if seeds > 1 else ""),
                                 hovertemplate="%{y:.1f}<extra></extra>"))
    fig = _layout(fig, title, x_title, y_title)
    fig.update_yaxes(range=error_range(list(bands["lo"]) + list(bands["mean"])) if not bands.empty else [50, 100])
    if x_max:
        fig.update_xaxes(range=[0, x_max * 1.02])
    if chance:
        _chance_line(fig, chance)
    if empty_note and bands.empty:
        fig.add_annotation(text=empty_note, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font={"size": FONT_SIZE, "color": "#444"})
        fig.update_xaxes(range=[0, x_max or 1])
    return fig


def replay_figure(df: pd.DataFrame, metric: str, title: str, x_title: str = "step",
                  y_title: str = "error (%)", frames: int = 30, labels: dict[str, str] | None = None,
                  play: str = "▶", pause: str = "❚❚", chance: str | None = "chance (90 %)") -> go.Figure:
    """The recorded curves drawn over time in the browser (plotly frames), no server loop."""
    bands = seed_bands(df, metric)
    models = list(dict.fromkeys(df["model"]))  # the run's own order, as in the live charts
    labels = labels or {}
    fig = error_figure(bands, title, x_title, y_title, models, labels)
    if bands.empty:
        return fig
    steps = sorted(bands["step"].unique())
    cuts = [steps[min(len(steps) - 1, round(i * (len(steps) - 1) / max(frames - 1, 1)))] for i in range(frames)]
    cuts = list(dict.fromkeys(cuts))

    def traces(upto):
        out = []
        for model in models:
            d = bands[(bands["model"] == model) & (bands["step"] <= upto)]
            out.append(go.Scatter(x=d["step"], y=d["mean"], mode="lines", line=model_style(model, models),
                                  name=labels.get(model, model)))
        return out

    # Drawn whole at first; ▶ replays it from the first step.
    fig = go.Figure(data=traces(cuts[-1]), frames=[go.Frame(data=traces(c), name=str(c)) for c in cuts])
    fig.update_xaxes(range=[0, steps[-1] * 1.02])
    fig.update_yaxes(range=error_range(bands["mean"]))
    if chance:
        _chance_line(fig, chance)
    # ▶ ❚❚ at the top left: the top right is the chart toolbar's (it would cover them).
    fig.update_layout(updatemenus=[{
        "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 1.02, "xanchor": "left",
        "yanchor": "bottom", "pad": {"r": 4, "t": 0},
        "buttons": [
            {"label": play, "method": "animate",
             "args": [None, {"frame": {"duration": 150, "redraw": False}, "fromcurrent": False,
                             "transition": {"duration": 0}}]},
            {"label": pause, "method": "animate",
             "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}]}]}])
    fig = _layout(fig, title, x_title, y_title)
    fig.update_layout(title={"x": 0.5, "xanchor": "center"}, margin={"t": 90})  # clear of the buttons
    return fig


def probe_series(events: list[dict]) -> dict[str, list[dict]]:
    """{model: [probe record dict, ...]} in step order, from a run's metrics."""
    out: dict[str, list[dict]] = {}
    for e in events:
        if e.get("kind", "metrics") == "metrics" and e.get("probes"):
            out.setdefault(e["model"], []).append(e["probes"])
    return out


def first_seed(series: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Of a seed band's members ('resnet56@seed0', '@seed1', ...) keep each net's first seed, named by the net."""
    out: dict[str, list[dict]] = {}
    for member in sorted(series, key=lambda m: (split_member(m)[1] or 0)):
        out.setdefault(split_member(member)[0], series[member])
    return out


FLOOR = 1e-30  # gradient norms below this are drawn as this (a collapsed net reaches ~1e-30)
COLLAPSED = 1e-20  # a unit whose gradient norm is below this gets no learning signal at all


def log_norms(records: list[dict]) -> list[list[float]]:
    """(units, probe steps) of log10 ‖∂E/∂x‖ per unit, floored at FLOOR."""
    units = records[-1]["units"] if records else []
    return [[math.log10(max(r["unit_output_grad_norm"][i], FLOOR)) for r in records] for i in range(len(units))]


def heatmap_range(series: dict[str, list[dict]]) -> tuple[float, float] | None:
    """One colour range (log10) over every net's heatmap, so equal colours mean equal norms across nets."""
    values = [v for records in series.values() for row in log_norms(records) for v in row]
    return (min(values), max(values)) if values else None


def collapsed(records: list[dict]) -> bool:
    """At the latest probe, has the gradient at the first unit fallen below COLLAPSED (no signal reaches it)?"""
    return bool(records) and min(records[-1]["unit_output_grad_norm"][:1] or [1.0]) < COLLAPSED


def gradient_heatmap(records: list[dict], title: str, x_title: str = "step", y_title: str = "unit (depth)",
                     value_title: str = "log₁₀ ‖∂E/∂x‖", zrange: tuple[float, float] | None = None) -> go.Figure:
    """Depth × step heatmap of log10 of each unit's output-gradient norm; zrange: a colour range shared by nets."""
    fig = go.Figure()
    if records:
        units = records[-1]["units"]
        z = log_norms(records)
        shared = {"zmin": zrange[0], "zmax": zrange[1]} if zrange else {}
        fig.add_trace(go.Heatmap(z=z, x=[r["step"] for r in records], y=list(range(1, len(units) + 1)),
                                 colorscale="Viridis", **shared,
                                 colorbar={"title": {"text": value_title, "side": "right"}, "thickness": 14},
                                 hovertemplate="step %{x}<br>unit %{y}<br>%{z:.2f}<extra></extra>"))
    fig = _layout(fig, title, x_title, y_title, height=420)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(dtick=1 if records and len(records[-1]["units"]) <= 12 else None)
    return fig


def depth_profile_figure(latest: dict[str, dict], key: str, title: str, x_title: str = "layer (depth)",
                         y_title: str = "", log_y: bool = False,
                         labels: dict[str, str] | None = None) -> go.Figure:
    """One line per model of a per-layer (or per-unit) probe value along depth, at its latest probe."""
    models = list(latest)
    labels = labels or {}
    fig = go.Figure()
    for model, record in latest.items():
        values = record.get(key) or []
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                                 line=model_style(model, models), marker={"size": 6},
                                 name=labels.get(model, model)))
    fig = _layout(fig, title, x_title, y_title)
    if log_y:
        values = [v for r in latest.values() for v in (r.get(key) or []) if v is not None and 0 < v < math.inf]
        fig.update_yaxes(type="log", exponentformat="power", range=log_range(values))
    return fig


def log_range(values: list[float]) -> list[float] | None:
    """A log axis range (in decades) that holds every positive value, a 1e-30 floor included.

    Plotly's autorange on a log axis can leave a far-off curve outside the plot; this never does.
    """
    if not values:
        return None
    lo, hi = math.log10(min(values)), math.log10(max(values))
    pad = max(0.2, 0.05 * (hi - lo))
    return [math.floor(lo - pad), math.ceil(hi + pad)]


def model_label(entry: str, words: dict[str, str] | None = None) -> str:
    """'resnet56:shortcut=B,design=full_preact' -> 'ResNet-56 (option B, full_preact)'; 'plain20' -> 'plain-20'.

    words translates each part in brackets by its English text ('no BN', 'option B', 'full_preact').
    """
    words = words or {}
    name, _, opts = entry.partition(":")
    for prefix, shown in (("preact_resnet", "PreAct-ResNet-"), ("resnet", "ResNet-"), ("plain", "plain-"),
                          ("highway", "Highway-")):
        if name.startswith(prefix):
            name = shown + name[len(prefix):]
            break
    extras = []
    for item in filter(None, opts.split(",")):
        key, _, value = item.partition("=")
        if key in VARIANT_KEYS:
            continue  # said once, with its Table 1 row, by variant_label
        extras.append({"batchnorm": "no BN" if value.lower() == "false" else "BN",
                       "shortcut": f"option {value}"}.get(key, value if key == "design" else f"{key}={value}"))
    extras = [words.get(e, e) for e in extras] + variant_label(entry, words)
    return name + (f" ({', '.join(extras)})" if extras else "")


# A shortcut variant in words (v2 §3.1, Table 1). Keys of `words` are these English templates.
VARIANT_TEMPLATES = {
    "scaling_both": "constant scaling: λ={scale} on h, 1−λ on F",
    "scaling_shortcut": "constant scaling: λ={scale} on h only",
    "exclusive_gate": "exclusive gating, b_g={bias}",
    "shortcut_gate": "shortcut-only gating, b_g={bias}",
    "conv1x1": "1×1 conv shortcut",
    "dropout": "dropout {p} on h, no rescale",
    "dropout_inverted": "inverted dropout {p} on h",
    "row": "v2 Table 1: {error} %",
    "row_fails": "v2 Table 1: fails",
}
VARIANT_KEYS = ("variant", "scale", "scale_branch", "gate_bias", "dropout", "dropout_rescale")


def variant_label(entry: str, words: dict[str, str] | None = None) -> list[str]:
    """The label parts of a shortcut variant: its λ, b_g or dropout, and the v2 Table 1 row it
    reproduces (ResNet-110). Gated nets always name their gate-bias init, the default included."""
    words = words or {}
    try:
        spec = model_spec(entry)
    except ValueError:
        return []
    say = lambda key, **kw: words.get(VARIANT_TEMPLATES[key], VARIANT_TEMPLATES[key]).format(**kw)  # noqa: E731
    v = spec.variant
    if v == "scaling":
        parts = [say("scaling_both" if spec.scale_branch else "scaling_shortcut", scale=f"{spec.scale:g}")]
    elif v in ("exclusive_gate", "shortcut_gate"):
        parts = [say(v, bias=f"{spec.gate_bias:g}")]
    elif v == "conv1x1":
        parts = [say("conv1x1")]
    elif v == "dropout":
        parts = [say("dropout_inverted" if spec.dropout_rescale else "dropout", p=f"{spec.dropout:g}")]
    else:
        return []
    row = table1_row(spec)
    if row is not None:
        parts.append(say("row_fails") if row == "fails" else say("row", error=row))
    return parts
