"""Run-store metrics -> tables -> plotly figures a projector can show.

    df = metrics_frame(store.metrics(run_id), run_id=run_id, seed=config.seed)
    fig = error_figure(seed_bands(df, "train_error"), title="training error (%)")

Conventions everywhere: plain nets dashed, residual nets solid; a colour per depth from
the Okabe-Ito palette (colour-blind safe); large fonts and thick lines; errors in %.
"""

import math

import pandas as pd
import plotly.graph_objects as go

# Okabe & Ito (2008), colour-blind safe; black is left out (it reads as "axis").
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
FONT_SIZE = 18  # px; readable from the back of a classroom
LINE_WIDTH = 4


# -- tables -------------------------------------------------------------------------------
def metrics_frame(events: list[dict], run_id: str = "", seed: int = 0) -> pd.DataFrame:
    """One row per (model, logged step): step, epoch, lr, train/test error (%), loss."""
    rows = [{"run_id": run_id, "seed": seed, "model": e["model"], "step": e["step"],
             "epoch": e.get("epoch", math.nan), "lr": e.get("lr", math.nan),
             "train_loss": e.get("train_loss", math.nan),
             "train_error": 100 * e.get("train_error", math.nan),
             "test_error": 100 * e["test_error"] if e.get("test_error") is not None else math.nan}
            for e in events if e.get("kind", "metrics") == "metrics" and "model" in e]
    columns = ["run_id", "seed", "model", "step", "epoch", "lr", "train_loss", "train_error", "test_error"]
    return pd.DataFrame(rows, columns=columns)


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


# -- figures ------------------------------------------------------------------------------
def error_figure(bands: pd.DataFrame, title: str, x_title: str = "step", y_title: str = "error (%)",
                 models: list[str] | None = None, labels: dict[str, str] | None = None) -> go.Figure:
    """Mean curve per model with a shaded mean ± std band where several seeds were run."""
    models = models or list(dict.fromkeys(bands["model"]))
    labels = labels or {}
    fig = go.Figure()
    for model in models:
        d = bands[bands["model"] == model]
        if d.empty:
            continue
        style = model_style(model, models)
        name = labels.get(model, model)
        if (d["n"] > 1).any():
            fig.add_trace(go.Scatter(
                x=list(d["step"]) + list(d["step"])[::-1], y=list(d["hi"]) + list(d["lo"])[::-1],
                mode="lines", fill="toself", fillcolor=_rgba(style["color"], 0.18), line={"width": 0},
                hoverinfo="skip", showlegend=False, name=f"{name} ± std"))
        seeds = int(d["n"].max())
        fig.add_trace(go.Scatter(x=d["step"], y=d["mean"], mode="lines+markers" if len(d) < 3 else "lines",
                                 line=style, name=name + (f" (mean of {seeds} seeds)" if seeds > 1 else "")))
    return _layout(fig, title, x_title, y_title)


def replay_figure(df: pd.DataFrame, metric: str, title: str, x_title: str = "step",
                  y_title: str = "error (%)", frames: int = 30, labels: dict[str, str] | None = None,
                  play: str = "▶", pause: str = "❚❚") -> go.Figure:
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
    fig.update_yaxes(range=[0, max(5.0, float(bands["mean"].max()) * 1.05)])
    fig.update_layout(updatemenus=[{
        "type": "buttons", "direction": "left", "showactive": False, "x": 1.0, "y": 1.16, "xanchor": "right",
        "yanchor": "bottom", "pad": {"r": 4, "t": 0},
        "buttons": [
            {"label": play, "method": "animate",
             "args": [None, {"frame": {"duration": 150, "redraw": False}, "fromcurrent": False,
                             "transition": {"duration": 0}}]},
            {"label": pause, "method": "animate",
             "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}]}]}])
    return _layout(fig, title, x_title, y_title)


def probe_series(events: list[dict]) -> dict[str, list[dict]]:
    """{model: [probe record dict, ...]} in step order, from a run's metrics."""
    out: dict[str, list[dict]] = {}
    for e in events:
        if e.get("kind", "metrics") == "metrics" and e.get("probes"):
            out.setdefault(e["model"], []).append(e["probes"])
    return out


def gradient_heatmap(records: list[dict], title: str, x_title: str = "step", y_title: str = "unit (depth)",
                     value_title: str = "log₁₀ ‖∂E/∂x‖") -> go.Figure:
    """Depth × step heatmap of log10 of each unit's output-gradient norm."""
    fig = go.Figure()
    if records:
        units = records[-1]["units"]
        z = [[math.log10(max(r["unit_output_grad_norm"][i], 1e-30)) for r in records] for i in range(len(units))]
        fig.add_trace(go.Heatmap(z=z, x=[r["step"] for r in records], y=list(range(1, len(units) + 1)),
                                 colorscale="Viridis",
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
        fig.update_yaxes(type="log")
    return fig


def model_label(entry: str) -> str:
    """'resnet56:shortcut=B,design=full_preact' -> 'ResNet-56 (B, full_preact)'; 'plain20' -> 'plain-20'."""
    name, _, opts = entry.partition(":")
    for prefix, shown in (("preact_resnet", "PreAct-ResNet-"), ("resnet", "ResNet-"), ("plain", "plain-"),
                          ("highway", "Highway-")):
        if name.startswith(prefix):
            name = shown + name[len(prefix):]
            break
    extras = []
    for item in filter(None, opts.split(",")):
        key, _, value = item.partition("=")
        extras.append({"batchnorm": "no BN" if value.lower() == "false" else "BN",
                       "shortcut": f"option {value}"}.get(key, value if key == "design" else f"{key}={value}"))
    return name + (f" ({', '.join(extras)})" if extras else "")
