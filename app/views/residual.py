"""Residual lab: ResNet-20 vs ResNet-56 (and plain-56 for contrast), shortcut option, unit design (v1 Fig. 6)."""

import streamlit as st

from resnet_edu.training.config import model_spec
from resnet_edu.models import DESIGNS, SHORTCUT_OPTIONS

from ui import lab
from ui.i18n import formatter, lkey, t

BASE = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20", "plain56"]


def entry(name: str, shortcut: str, design: str) -> str:
    """'resnet56' + options -> 'resnet56:shortcut=B,design=full_preact' (plain nets unchanged)."""
    if name.startswith("plain"):
        return name
    opts = [f"shortcut={shortcut}"] * (shortcut != "A") + [f"design={design}"] * (design != "original")
    return name + (":" + ",".join(opts) if opts else "")


def render() -> None:
    st.title(t("residual.title"))
    st.markdown(t("residual.intro"))
    c1, c2, c3 = st.columns(3)
    shortcut = c1.radio(t("residual.shortcut"), SHORTCUT_OPTIONS, horizontal=True,
                        format_func=formatter(lambda o: t(f"shortcut.{o}"), SHORTCUT_OPTIONS), key=lkey("residual_shortcut"))
    design = c2.selectbox(t("residual.design"), DESIGNS, format_func=formatter(lambda d: t(f"design.{d}"), DESIGNS),
                          key=lkey("residual_design"))
    depth = c3.number_input(t("residual.custom_depth"), min_value=8, max_value=1202, value=None, step=6,
                            placeholder="e.g. 32", help=t("residual.custom_depth_help"), key="residual_depth")
    names = list(BASE)
    if depth:
        try:
            model_spec(f"resnet{int(depth)}")
            names.append(f"resnet{int(depth)}")
        except ValueError as err:
            st.error(t("residual.bad_depth", error=str(err)), icon=":material/warning:")
    choices = [entry(n, shortcut, design) for n in names]
    defaults = [entry(n, shortcut, design) for n in ("resnet20", "resnet56", "plain56")]
    models = lab.model_picker("residual", choices, defaults)
    st.caption(t("residual.option_note"))
    lab.lab("residual", models, view="errors", predict=True)
