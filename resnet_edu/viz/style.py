"""One look for a net on every chart: the app's pages, the Runs page and the lessons' plots.

A net keeps its colour wherever it appears (not its position in a list): the colour follows
its depth, as in v1 Fig. 6 where plain-56 and ResNet-56 are one depth in two panels; the
dash says plain (dashed) or residual (solid). A variant of a net (an entry with options, e.g.
"resnet56:shortcut=B"), another family (highway, preact_resnet) or an unlisted depth takes a
colour from a second set, by a stable hash of its family and options shifted by its depth's
rank, so it never hides behind the net it varies, and one variant at several depths (ResNet-20,
-56 and -110 with λ = 0.5 scaling on one chart, or the residual lab's option B) gets as many
colours. Two different variants of one depth can still share a colour (8 colours, hashed).

Pure Python (no plotly, no matplotlib): the lessons' install has neither streamlit nor pyarrow.
"""

import zlib
from dataclasses import dataclass

from ..models.grammar import split_entry

# Okabe & Ito (2008), colour-blind safe; black is left out (it reads as "axis").
BY_DEPTH = {
    20: "#0072B2",  # blue
    32: "#009E73",  # bluish green
    44: "#CC79A7",  # reddish purple
    56: "#D55E00",  # vermillion
    110: "#E69F00",  # orange
    164: "#56B4E9",  # sky blue
}
# Depths outside the table, and variants, draw from these (darker tones, distinct from the above).
OTHERS = ("#8C6D31", "#5E3C99", "#1B7837", "#B2182B", "#2166AC", "#7F7F7F", "#E7298A", "#66A61E")


@dataclass(frozen=True)
class NetStyle:
    colour: str  # "#RRGGBB"
    plain: bool  # no shortcuts: drawn dashed

    @property
    def plotly_line(self) -> dict:
        """For plotly's `line=`: {"color", "dash"} (width is the chart template's)."""
        return {"color": self.colour, "dash": "dash" if self.plain else "solid"}

    @property
    def mpl(self) -> dict:
        """For matplotlib's plot(): color and linestyle."""
        return {"color": self.colour, "linestyle": "--" if self.plain else "-"}


def net_style(member: str) -> NetStyle:
    """'plain56' (or 'plain56@seed1', or 'resnet56:shortcut=B') -> its colour and dash, the same everywhere."""
    entry = member.split("@seed")[0]
    name, options = split_entry(entry)
    options.pop("widths", None)  # the same net, narrower: the same look
    digits = "".join(c for c in name if c.isdigit())
    depth = int(digits) if digits else 0
    plain = name.startswith("plain") or name.startswith("imagenet_plain") or options.get("shortcut", 1) is None
    if not options and depth in BY_DEPTH and name.rstrip("0123456789") in ("plain", "resnet"):
        return NetStyle(BY_DEPTH[depth], plain)
    # A variant, another family (highway, preact) or depth: the family and options pick a colour,
    # the depth's rank shifts it, so the same variant at the table's depths never shares one.
    rank = list(BY_DEPTH).index(depth) if depth in BY_DEPTH else depth
    key = f"{name.rstrip('0123456789')}|{sorted(options.items())}"
    return NetStyle(OTHERS[(zlib.crc32(key.encode()) + rank) % len(OTHERS)], plain)
