"""Block explorer: a unit's diagram, equation, real source code, parameter and FLOP counts."""

import inspect
import re
import textwrap

import pandas as pd
import streamlit as st

from resnet_edu.viz.diagrams import unit_dot
from resnet_edu.models import DESIGNS, BasicBlock, ResidualUnit, build_model, count_macs, count_params

from ui import context
from ui.entries import with_options
from ui.i18n import formatter, lkey, t

EQUATIONS = {
    "original": r"x_{l+1} = \mathrm{ReLU}\big(x_l + \mathcal{F}(x_l)\big)",
    "bn_after_add": r"x_{l+1} = \mathrm{ReLU}\big(\mathrm{BN}(x_l + \mathcal{F}(x_l))\big)",
    "relu_before_add": r"x_{l+1} = x_l + \mathrm{ReLU}\big(\mathcal{F}(x_l)\big)",
    "relu_preact": r"x_{l+1} = x_l + \mathcal{F}(x_l),\quad \mathcal{F} = \mathrm{BN}\circ W\circ\mathrm{ReLU}\circ\ldots",
    "full_preact": r"x_{l+1} = x_l + \mathcal{F}(x_l),\quad \mathcal{F} = W\circ\mathrm{ReLU}\circ\mathrm{BN}\circ\ldots",
}
PLAIN_EQUATION = r"x_{l+1} = \mathrm{ReLU}\big(\mathcal{F}(x_l)\big)"


# What a projection shortcut reads: x_l (v1 Eq. 2), or in a pre-activation unit the branch's shared
# first BN-ReLU (v2 appendix; models/variants.py `shares_preact`), as the diagram draws it.
PROJECTED = {"relu_preact": r"W_s\,\mathrm{ReLU}(x_l)", "full_preact": r"W_s\,\mathrm{ReLU}(\mathrm{BN}(x_l))"}


def equation(design: str, shortcut: str | None) -> str:
    """The unit drawn beside it (same shape in and out): plain, identity shortcut (A, B), or a
    projection W_s on every unit (C, v1 Eq. 2: y = F(x) + W_s x)."""
    if shortcut is None:
        return PLAIN_EQUATION
    if shortcut != "C":
        return EQUATIONS[design]
    return EQUATIONS[design].replace("x_l + ", PROJECTED.get(design, r"W_s x_l") + " + ", 1)


SHORTCUTS = ["none", "A", "B", "C"]
DEPTHS = [20, 32, 44, 56, 110]


def _url_index(name: str, options: list[str], default: str) -> int:
    value = context.url_get(name, default)
    return options.index(value) if value in options else options.index(default)


def dot_font_css(dot: str) -> str:
    """CSS that gives the diagram's boxes the text sizes its DOT source asked for.

    Streamlit styles every element of a graphviz chart at its small body size (".stGraphVizChart *"),
    so box labels come out at about half the size the layout was computed for: small words in big
    boxes, a subscript apart from its x. Graphviz writes each size on the SVG text (font-size="22.00",
    in the drawing's own units, so it scales with the drawing): give it back, one rule per size.
    Nodes only: graphviz cannot measure Chinese text (it reserves too little width), so an edge
    label in Chinese at its full size would run past the drawing's edge; edge labels keep
    Streamlit's size.
    """
    sizes = sorted({int(n) for n in re.findall(r'(?:fontsize=|POINT-SIZE=")(\d+)', dot)})
    rules = "".join(f'.stGraphVizChart g.node text[font-size="{n}.00"] {{font-size: {n}px !important}}'
                    for n in sizes)
    return f"<style>{rules}</style>"


@st.cache_data(show_spinner=False)
def counts(entry: str) -> tuple[int, int]:
    model = build_model(entry)  # the one model grammar, as a run config names the net
    return count_params(model), count_macs(model)


def render() -> None:
    st.title(t("blocks.title"))
    st.markdown(t("blocks.intro"))
    # The URL holds the choice (?design=, ?shortcut=, ?depth=): a link, a reload or a language switch keeps it.
    c1, c2, c3 = st.columns(3)
    design = c1.selectbox(t("residual.design"), DESIGNS, index=_url_index("design", DESIGNS, "original"),
                          format_func=formatter(lambda d: t(f"design.{d}"), DESIGNS), key=lkey("blocks_design"))
    shortcut = c2.radio(t("blocks.shortcut"), SHORTCUTS, index=_url_index("shortcut", SHORTCUTS, "A"), horizontal=True,
                        format_func=formatter(lambda o: t("blocks.plain") if o == "none" else t(f"shortcut.{o}"),
                                              SHORTCUTS),
                        key=lkey("blocks_shortcut"))
    depth = c3.selectbox(t("blocks.depth"), DEPTHS, index=_url_index("depth", [str(d) for d in DEPTHS], "56"),
                         key="blocks_depth")
    context.url_set(design=design if design != "original" else "", shortcut=shortcut if shortcut != "A" else "",
                    depth=depth if depth != 56 else "")
    plain = shortcut == "none"
    short = None if plain else shortcut

    left, right = st.columns([1, 1])
    with left:
        words = {o: t(f"blocks.diagram_{o}") for o in ("A", "B", "C")}
        dot = unit_dot(design, short, channels=16, words=words)
        st.html(dot_font_css(dot))  # style only: takes no room on the page
        st.graphviz_chart(dot, width="stretch")
        st.caption(t("blocks.diagram_caption"))
    with right:
        st.markdown(f"**{t('blocks.equation')}**")
        st.latex(equation(design, short))
        if plain:
            st.caption(t("blocks.plain_note"))
        elif short == "C":
            st.caption(t("blocks.projection_note"))
    # The source across the page's width, unwrapped: its longest line (about 100 characters) fits
    # there; in a half column it wrapped mid-expression. A narrower window scrolls the box sideways.
    cls = BasicBlock if design == "original" else ResidualUnit
    st.markdown(f"**{t('blocks.source', name=cls.__name__)}**")
    st.code(textwrap.dedent(inspect.getsource(cls.forward)), language="python", wrap_lines=False)

    st.subheader(t("blocks.counts_title", depth=depth))
    plain_entry = with_options(f"plain{depth}", None, design)
    residual_entry = with_options(f"resnet{depth}", short, design) if not plain else None
    rows, found = [], {}
    for label, entry in ((t("blocks.plain_net"), plain_entry), (t("blocks.residual_net"), residual_entry)):
        if entry is None:
            continue
        try:
            found[entry] = params, macs = counts(entry)
        except ValueError as err:
            st.error(str(err), icon=":material/warning:")
            continue
        rows.append({t("blocks.net"): label, t("blocks.entry"): entry, t("blocks.params"): f"{params:,}",
                     t("blocks.macs"): f"{macs / 1e6:,.1f} M"})
    # A static table: every entry whole (a data grid cut the model entry short).
    st.table(pd.DataFrame(rows).set_index(t("blocks.net")))
    if plain_entry in found and residual_entry in found:  # what the two rows above say about each other
        extra = found[residual_entry][0] - found[plain_entry][0]
        key = "blocks.counts_same" if extra == 0 else "blocks.counts_more"
        st.caption(t(key, option=shortcut, extra=f"{extra:,}", share=f"{100 * extra / found[plain_entry][0]:.1f}"))
    st.caption(t("blocks.counts_flops"))
