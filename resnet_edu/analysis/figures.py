"""Plotly figures for the analyses. Every title and axis label is a parameter, so the app can
pass its translated strings; the defaults are English. Builders only draw: no computing here.
"""

from typing import Callable, Mapping, Sequence

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from .attribution import AttributionMaps
from .landscape import Landscape1D, Landscape2D
from .lesion import LesionStudy, RandomLesion, path_length_distribution
from .signal import SignalProfile
from .span import SpanResult


def lesion_figure(studies: Mapping[str, LesionStudy], *, title: str = "Deleting one unit at test time",
                  x_label: str = "deleted unit", y_label: str = "test error (%)",
                  baseline_label: str = "{name}: nothing deleted") -> go.Figure:
    """Veit Fig. 3: error with each unit deleted, one line per net; dotted: the intact net.

    A unit that cannot be deleted (a plain net's downsampling unit: no path goes around it)
    breaks that net's line and is shaded grey: no line is drawn across a point never measured.
    Each net's traces share its name as legend group, so the app can give them its colour.
    """
    fig = go.Figure()
    units = sorted({u.index for study in studies.values() for u in study.units})
    span = [units[0] - 0.5, units[-1] + 0.5] if units else [0, 1]
    for name, study in studies.items():
        xs = [u.index for u in study.units]
        ys = [None if u.error is None else 100 * u.error for u in study.units]  # None: the line breaks
        names = [u.name for u in study.units]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, text=names, legendgroup=name,
                                 connectgaps=False, hovertemplate="%{text}: %{y:.1f}%<extra>" + name + "</extra>"))
        fig.add_trace(go.Scatter(x=span, y=[100 * study.baseline_error] * 2, mode="lines", legendgroup=name,
                                 name=baseline_label.format(name=name), line={"dash": "dot", "width": 2},
                                 hovertemplate="%{y:.1f}%<extra></extra>"))
    for index in sorted({u.index for study in studies.values() for u in study.units if u.error is None}):
        fig.add_vrect(x0=index - 0.5, x1=index + 0.5, fillcolor="#BBBBBB", opacity=0.35, line_width=0, layer="below")
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label)
    return fig


def random_lesion_figure(results: Mapping[str, Sequence[RandomLesion]], *,
                         title: str = "Deleting k random units ({pool})", x_label: str = "units deleted (k)",
                         y_label: str = "test error (%)", include_downsampling: bool = False,
                         pool_labels: tuple[str, str] = ("same-shape units only",
                                                         "downsampling units included")) -> go.Figure:
    """Veit Fig. 5: mean ± std error over trials against k, one line per net.

    The title says which units were drawn ({pool}): pass the include_downsampling given to lesion_random.
    """
    title = title.format(pool=pool_labels[int(include_downsampling)])
    fig = go.Figure()
    for name, rows in results.items():
        fig.add_trace(go.Scatter(x=[r.k for r in rows], y=[100 * r.mean for r in rows], name=name,
                                 mode="lines+markers",
                                 error_y=dict(type="data", array=[100 * r.std for r in rows])))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label)
    return fig


def path_length_figure(n: int, *, title: str = "Paths through {n} residual units",
                       x_label: str = "path length (residual branches on the path)",
                       y_label: str = "fraction of the 2^n paths") -> go.Figure:
    """Veit Fig. 6(a): the Binomial(n, 1/2) distribution of path lengths."""
    p = path_length_distribution(n)
    fig = go.Figure(go.Bar(x=list(range(n + 1)), y=p))
    fig.update_layout(title=title.format(n=n), xaxis_title=x_label, yaxis_title=y_label)
    return fig


def signal_figure(profiles: Sequence[SignalProfile], *, which: str = "backward",
                  title: str = "Gradient norm along depth at initialisation",
                  x_label: str = "position l (0 = after the stem)", y_label: str = "‖∂E/∂x_l‖",
                  normalize: bool = True, label: Callable[[str], str] = str) -> go.Figure:
    """One line per net, log y. normalize divides by the value at the top (backward) or bottom (forward).

    label names a net by its entry (the app passes its model_label, which gives a gated net's b_g
    and a variant's v2 Table 1 row).
    """
    if which not in ("forward", "backward"):
        raise ValueError("which must be 'forward' or 'backward'")
    fig = go.Figure()
    for p in profiles:
        values = p.backward_norm if which == "backward" else p.forward_norm
        ref = (values[-1] if which == "backward" else values[0]) if normalize else 1.0
        fig.add_trace(go.Scatter(x=list(range(len(values))), y=[v / ref for v in values], name=label(p.entry),
                                 mode="lines"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, yaxis_type="log")
    fig.update_yaxes(exponentformat="power")  # 10⁻³, not plotly's SI "1m" / "100μ" / "1n"
    return fig


def _to_rgb(image: torch.Tensor) -> torch.Tensor:
    """(3, H, W) uint8 or normalised float -> (H, W, 3) uint8 for go.Image."""
    if image.dtype != torch.uint8:
        lo, hi = image.min(), image.max()
        image = ((image - lo) / (hi - lo + 1e-12) * 255).round().to(torch.uint8)
    return image.permute(1, 2, 0).cpu()


def attribution_figure(images: torch.Tensor, maps: Mapping[str, AttributionMaps], labels: torch.Tensor,
                       classes: Sequence[str], *, title: str = "Where the nets look",
                       method_names: Mapping[str, str] | None = None, image_label: str = "image",
                       caption: str = "true: {true} · {net}: {pred}") -> go.Figure:
    """Rows = images; columns = the image, then each net's saliency, IG (|·|) and Grad-CAM.

    Column headers (net, method) sit once above the first row; under each row, one caption per
    net spans its three columns: short titles that do not run into each other on a projector.
    """
    method_names = method_names or {"saliency": "saliency", "integrated_gradients": "Integrated Gradients",
                                    "grad_cam": "Grad-CAM"}
    n, nets = len(images), list(maps)
    cols = 1 + 3 * len(nets)
    methods = ("saliency", "integrated_gradients", "grad_cam")
    headers = [image_label] + [f"{net}<br>{method_names[m]}" for net in nets for m in methods]
    fig = make_subplots(rows=n, cols=cols, subplot_titles=headers + [""] * (cols * (n - 1)),
                        horizontal_spacing=0.015, vertical_spacing=0.12 / max(n, 1) + 0.04)
    for i in range(n):
        fig.add_trace(go.Image(z=_to_rgb(images[i]).numpy()), row=i + 1, col=1)
        for k, net in enumerate(nets):
            m = maps[net]
            for j, grid in enumerate((m.saliency[i], m.integrated_gradients[i].abs(), m.grad_cam[i])):
                fig.add_trace(go.Heatmap(z=grid.flip(0).numpy(), colorscale="Inferno", showscale=False),
                              row=i + 1, col=2 + 3 * k + j)
            middle = fig.get_subplot(i + 1, 3 + 3 * k)
            pred = classes[int(m.predicted[i])]
            fig.add_annotation(text=caption.format(true=classes[int(labels[i])], net=net, pred=pred),
                               xref="paper", yref="paper", x=sum(middle.xaxis.domain) / 2,
                               y=middle.yaxis.domain[0], yanchor="top", showarrow=False, font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=14)
    fig.update_layout(title=title, height=230 * n + 110, width=max(190 * cols, 700), margin={"t": 110})
    return fig


def landscape_line_figure(lines: Mapping[str, Landscape1D], *, title: str = "Loss along a line",
                          x_label: str = "α", y_label: str = "loss", log_y: bool = False) -> go.Figure:
    """log_y: a log loss axis, so a far-off spike does not flatten the basin around α = 0."""
    fig = go.Figure()
    for name, ln in lines.items():
        fig.add_trace(go.Scatter(x=list(ln.alphas), y=list(ln.loss), name=name, mode="lines+markers"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label)
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def landscape_contour_figure(surfaces: Mapping[str, Landscape2D], *, title: str = "Loss surface (contours)",
                             x_label: str = "α (direction δ)", y_label: str = "β (direction η)",
                             log: bool = True) -> go.Figure:
    """Li Fig. 5, top: one contour panel per net, on a shared log-loss colour scale."""
    fig = make_subplots(rows=1, cols=len(surfaces), subplot_titles=list(surfaces))
    for k, (name, s) in enumerate(surfaces.items()):
        z = torch.tensor(s.loss).log10() if log else torch.tensor(s.loss)
        fig.add_trace(go.Contour(x=list(s.alphas), y=list(s.betas), z=z.tolist(), name=name,
                                 colorscale="Viridis", showscale=k == 0, ncontours=20,
                                 colorbar=dict(title="log₁₀ loss" if log else "loss")), row=1, col=k + 1)
        fig.update_xaxes(title_text=x_label, row=1, col=k + 1)
    fig.update_yaxes(title_text=y_label, row=1, col=1)
    fig.update_layout(title=title)
    return fig


def landscape_surface_figure(surface: Landscape2D, *, title: str = "Loss surface",
                             x_label: str = "α", y_label: str = "β", z_label: str = "loss",
                             log: bool = False) -> go.Figure:
    """Li Fig. 1: the 3-D surface of one net. log: height log₁₀ loss (Li et al. plot log loss too), so one
    corner spike (a loss of 10⁴ where the centre has 1) does not flatten the rest of the surface."""
    z = torch.tensor(surface.loss, dtype=torch.float64)
    z = z.clamp_min(1e-12).log10() if log else z
    fig = go.Figure(go.Surface(x=list(surface.alphas), y=list(surface.betas), z=z.tolist(), colorscale="Viridis"))
    fig.update_layout(title=title, scene=dict(xaxis_title=x_label, yaxis_title=y_label, zaxis_title=z_label))
    return fig


def span_figure(results: Sequence[SpanResult], *, title: str = "Shortcut span at matched depth",
                x_label: str = "layers skipped by each shortcut", y_label: str = "error (%)",
                train_label: str = "train", test_label: str = "test", residual_label: str = "residual",
                plain_label: str = "plain") -> go.Figure:
    fig = go.Figure()
    for residual in (True, False):
        rows = [r for r in results if r.residual == residual]
        if not rows:
            continue
        kind = residual_label if residual else plain_label
        fig.add_trace(go.Bar(x=[r.span for r in rows], y=[100 * r.train_error for r in rows],
                             name=f"{kind} · {train_label}"))
        fig.add_trace(go.Bar(x=[r.span for r in rows],
                             y=[None if r.test_error is None else 100 * r.test_error for r in rows],
                             name=f"{kind} · {test_label}"))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, barmode="group")
    return fig
