"""Run-store metrics -> tables -> plotly figures a projector can show.

    df = metrics_frame(store.metrics(run_id), run_id=run_id, seed=config.seed)
    fig = error_figure(seed_bands(df, "train_error"), title="training error (%)")

Conventions everywhere (viz/theme.py): one template; each net in its own colour (by depth,
style.net_style) and dash (plain dashed, residual solid), the same on every chart; errors in %.
"""

import math

import pandas as pd
import plotly.graph_objects as go

from ..models import table1_row
from ..training.config import model_spec, split_member
from .gap import final_values, smoothed  # noqa: F401  (final_values: the one "final training error", re-exported)
from .theme import AXIS_TITLE_SIZE, NOTE, NOTE_SIZE, net_line, rgba, themed

CHANCE = 90.0  # % error of a 10-way guess
RUN_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")  # one per run on a compare chart


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


# -- layout ---------------------------------------------------------------------------------
def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int | None = None) -> go.Figure:
    """Titles, and the app's template (fonts, sizes, grid: viz/theme.py)."""
    fig.update_layout(title={"text": title}, hovermode="x unified", **({"height": height} if height else {}))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return themed(fig)


def split_run(model: str) -> tuple[str, str]:
    """'<run name> · resnet56' (a compare chart of several runs) -> ('<run name>', 'resnet56'); 'resnet56' -> ('', 'resnet56')."""
    run, _, entry = model.rpartition(" · ")
    return run, entry


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
                  annotation={"text": text, "font": {"size": NOTE_SIZE, "color": NOTE}},
                  annotation_position="top right")


# -- figures ------------------------------------------------------------------------------
def error_figure(bands: pd.DataFrame, title: str, x_title: str = "step", y_title: str = "error (%)",
                 models: list[str] | None = None, labels: dict[str, str] | None = None,
                 smooth: int = 1, chance: str | None = "chance (90 %)", empty_note: str | None = None,
                 x_max: float | None = None, seeds_text: str = "mean of {n} seeds",
                 markers: bool = False) -> go.Figure:
    """Mean curve per model with a shaded mean ± std band where several seeds were run.

    smooth > 1: the curve (and band) is a trailing moving average over that many logged points,
    with the raw points drawn faint behind it. chance: the label of a reference line at 90 %
    (None: no line). empty_note: drawn in the middle when there is no point yet. x_max: the
    run's last step, so the x axis does not rescale at every new point. markers: a marker at
    every point (a test error measured a few times is points joined by lines, not a smooth curve).
    A model named '<run> · <entry>' (several runs on one chart) has its net's colour and dash,
    and a marker symbol of its own run, so identical curves of two runs both stay visible.
    """
    models = models or list(dict.fromkeys(bands["model"]))
    labels = labels or {}
    runs = list(dict.fromkeys(split_run(m)[0] for m in models))
    fig = go.Figure()
    drawn = smoothed(bands, smooth) if smooth > 1 and not bands.empty else bands
    for model in models:
        raw, d = bands[bands["model"] == model], drawn[drawn["model"] == model]
        if d.empty:
            continue
        run, entry = split_run(model)
        line = net_line(entry)
        name = labels.get(model, model)
        several = d[d["n"] > 1]  # the band only where several seeds have data
        if not several.empty:
            fig.add_trace(go.Scatter(
                x=list(several["step"]) + list(several["step"])[::-1],
                y=list(several["hi"]) + list(several["lo"])[::-1], meta=entry, legendgroup=model,
                mode="lines", fill="toself", fillcolor=rgba(line["color"], 0.18), line={"width": 0},
                hoverinfo="skip", showlegend=False, name=f"{name} ± std"))
        if smooth > 1:  # the logged windows themselves, faint: the smoothing hides nothing
            fig.add_trace(go.Scatter(x=raw["step"], y=raw["mean"], mode="markers", showlegend=False,
                                     meta=entry, legendgroup=model,
                                     marker={"color": rgba(line["color"], 0.35), "size": 7},
                                     name=f"{name} (raw)", hovertemplate="%{y:.1f}<extra></extra>"))
        seeds = int(d["n"].iloc[-1])  # seeds behind the newest point: a queued seed is not counted yet
        several_runs = len(runs) > 1
        dots = markers or len(d) < 3 or several_runs
        fig.add_trace(go.Scatter(
            x=d["step"], y=d["mean"], mode="lines+markers" if dots else "lines", line=line, meta=entry,
            legendgroup=model, name=name + (f" ({seeds_text.format(n=seeds)})" if seeds > 1 else ""),
            marker={"size": 9, "symbol": RUN_SYMBOLS[runs.index(run) % len(RUN_SYMBOLS)] if several_runs
                    else "circle", "color": line["color"]},
            hovertemplate="%{y:.1f}<extra>" + name + "</extra>"))
    fig = _layout(fig, title, x_title, y_title)
    fig.update_yaxes(range=error_range(list(bands["lo"]) + list(bands["mean"])) if not bands.empty else [50, 100])
    if x_max:
        fig.update_xaxes(range=[0, x_max * 1.02])
    if chance:
        _chance_line(fig, chance)
    if empty_note and bands.empty:
        fig.add_annotation(text=empty_note, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font={"size": AXIS_TITLE_SIZE, "color": NOTE})
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
    runs = list(dict.fromkeys(split_run(m)[0] for m in models))

    def traces(upto):
        out = []
        for model in models:
            d = bands[(bands["model"] == model) & (bands["step"] <= upto)]
            run, entry = split_run(model)
            symbol = RUN_SYMBOLS[runs.index(run) % len(RUN_SYMBOLS)]
            out.append(go.Scatter(x=d["step"], y=d["mean"], mode="lines+markers" if len(runs) > 1 else "lines",
                                  line=net_line(entry), meta=entry, name=labels.get(model, model),
                                  marker={"size": 9, "symbol": symbol, "color": net_line(entry)["color"]}))
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


def collapse_step(records: list[dict]) -> int | None:
    """The probe step from which the first unit's gradient stayed below COLLAPSED up to the latest
    probe: where the heatmap's bottom row turns to the floor's colour for good (None: not collapsed)."""
    step = None
    for r in records:
        if min(r["unit_output_grad_norm"][:1] or [1.0]) < COLLAPSED:
            step = r["step"] if step is None else step
        else:
            step = None
    return step


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
    labels = labels or {}
    fig = go.Figure()
    for model, record in latest.items():
        values = record.get(key) or []
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                                 line=net_line(model), meta=model, marker={"size": 6},
                                 name=labels.get(model, model)))
    fig = _layout(fig, title, x_title, y_title)
    if log_y:
        values = [v for r in latest.values() for v in (r.get(key) or []) if v is not None and 0 < v < math.inf]
        fig.update_yaxes(type="log", exponentformat="power", range=log_range(values))
    return fig


def response_std_by_layer(record: dict) -> tuple[float, float] | None:
    """(mean response std of each unit's first 3×3 layer, of each unit's last one) at one probe.

    The last layer's response is F(x) before the addition in a residual unit (before the ReLU in a
    plain one): where v1 Fig. 7 finds residual responses "generally smaller". Layers are named
    '<unit>.layer<i>' (training/probes.py); None when a record names none.
    """
    names, stds = record.get("layers") or [], record.get("layer_response_std") or []
    units: dict[str, list[float]] = {}
    for name, std in zip(names, stds):
        unit, _, layer = name.rpartition(".layer")
        if unit and layer.isdigit() and std is not None and math.isfinite(std):
            units.setdefault(unit, []).append(std)
    pairs = [(v[0], v[-1]) for v in units.values() if len(v) >= 2]
    if not pairs:
        return None
    return sum(p[0] for p in pairs) / len(pairs), sum(p[1] for p in pairs) / len(pairs)


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
