"""The one look of every chart in the app: a plotly template, and each net's line (style.net_style).

Every figure the app shows goes through `themed(fig)`, the labs', the gradient page's, the Runs
page's and the analyses' alike, so they share fonts, sizes, grid and margins; a trace that draws
a net carries the net's entry in `meta` ("plain56", "resnet56:shortcut=B") and gets that net's
colour and dash (plain dashed, residual solid) wherever it appears. Sizes are for a projector:
legend text is never larger than the axis text beside it.
"""

from typing import Mapping

import plotly.graph_objects as go
import plotly.io as pio

from .style import net_style

FONT = "Noto Sans, Noto Sans CJK SC, sans-serif"
TICK_SIZE = 16  # px: tick labels, legend, hover text: readable from the back of a classroom
AXIS_TITLE_SIZE = 18  # px: axis titles
TITLE_SIZE = 21  # px: the chart's title
NOTE_SIZE = 14  # px: annotations (chance line, baselines)
LINE_WIDTH = 4  # px: a net's curve
HEIGHT = 460  # px: a chart, legend included
LEGEND_ROW = 26  # px: one more legend row
TEXT = "#222"
NEUTRAL = ("#595959", "#A6A6A6", "#2E2E2E", "#C9C9C9")  # greys, dark and light in turn
NOTE = "#555"


def _template() -> go.layout.Template:
    template = go.layout.Template(pio.templates["plotly_white"])
    axis = dict(showgrid=True, gridcolor="#E5E5E5", zeroline=False, linecolor="#999", ticks="outside",
                tickfont=dict(size=TICK_SIZE), title=dict(font=dict(size=AXIS_TITLE_SIZE)))
    template.layout.update(
        font=dict(family=FONT, size=TICK_SIZE, color=TEXT),
        title=dict(font=dict(size=TITLE_SIZE), x=0.0, xanchor="left"),
        # At the figure's bottom edge (container coordinates), whatever its rows: a legend placed relative to
        # the plot (y=-0.22) ran into the x axis's title once long names took several rows.
        legend=dict(font=dict(size=TICK_SIZE), orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0),
        hoverlabel=dict(font=dict(size=TICK_SIZE)),
        colorway=list(NEUTRAL),  # a trace that is no net (a bar of counts) takes a grey, never a net's colour
        margin=dict(l=70, r=20, t=60, b=40), height=HEIGHT, hovermode="closest",
        xaxis=axis, yaxis=axis, annotationdefaults=dict(font=dict(size=NOTE_SIZE, color=NOTE)))
    template.data.scatter = [go.Scatter(line=dict(width=LINE_WIDTH))]
    return template


TEMPLATE = _template()


def net_line(entry: str, **extra) -> dict:
    """A net's `line=` for plotly: its colour and dash (style.net_style) at the template's width."""
    return {**net_style(entry).plotly_line, "width": LINE_WIDTH, **extra}


def themed(fig: go.Figure, nets: Mapping[str, str] | None = None) -> go.Figure:
    """The app's template on `fig`; each trace that draws a net in that net's colour and dash.

    A trace draws a net when its `meta` is the net's entry, or when `nets` maps its name (a label
    such as "plain-56") to an entry: builders that know only labels (resnet_edu.analysis.figures)
    are styled here. A trace in a net's legend group (a baseline of that net) takes its colour and
    keeps its own dash. Markers and fills the builder coloured stay as they are.
    """
    fig.update_layout(template=TEMPLATE)
    # Only some trace types have a legend entry (an image has neither `showlegend` nor `name`).
    entries = sum(1 for tr in fig.data if getattr(tr, "showlegend", False) is not False and getattr(tr, "name", None))
    if fig.layout.height is None and entries > 3:  # a legend row per long name: keep the plot its height
        fig.update_layout(height=HEIGHT + LEGEND_ROW * (entries - 3))
    nets = nets or {}
    for trace in fig.data:
        if trace.type != "scatter":
            continue
        entry = trace.meta if isinstance(trace.meta, str) else nets.get(trace.name)
        group = nets.get(trace.legendgroup) if entry is None else None
        if entry is None and group is None:
            continue
        style = net_style(entry or group)
        if entry is not None:
            trace.meta = entry
            trace.line.dash = style.plotly_line["dash"]
        trace.line.color = style.colour
        if trace.marker.color is None:
            trace.marker.color = style.colour
    return fig


def rgba(hex_colour: str, alpha: float) -> str:
    """'#D55E00', 0.2 -> 'rgba(213,94,0,0.2)': a net's colour, faint (seed bands, raw points)."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
