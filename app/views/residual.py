"""Residual lab: ResNet-20 vs ResNet-56 (and plain-56 for contrast), shortcut option, unit design (v1 Fig. 6).

The shortcut option and the unit design apply to every residual net picked: they go into the
model entries ('resnet56:shortcut=B,design=full_preact'), hence into the run's config.json,
the chart labels and the URL (?models=, ?shortcut=, ?design=, ?depth=).
"""

import streamlit as st

from resnet_edu.training.config import model_spec
from resnet_edu.models import DESIGNS, SHORTCUT_OPTIONS

from ui import context, lab
from ui.i18n import formatter, lkey, model_label, t

BASE = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20", "plain56"]
DEFAULTS = ["resnet20", "resnet56", "plain56"]


def entry(name: str, shortcut: str, design: str) -> str:
    """'resnet56' + options -> 'resnet56:shortcut=B,design=full_preact' (plain nets unchanged)."""
    if name.startswith("plain"):
        return name
    opts = [f"shortcut={shortcut}"] * (shortcut != "A") + [f"design={design}"] * (design != "original")
    return name + (":" + ",".join(opts) if opts else "")


def _from_url(option: str, allowed, default: str) -> str:
    """?shortcut= / ?design=, else the option written into a residual entry of ?models=, else default."""
    value = context.url_get(option)
    if not value:
        for item in context.url_list("models", []):
            opts = dict(o.partition("=")[::2] for o in item.partition(":")[2].split(",") if o)
            value = value or opts.get(option, "")
    return value if value in allowed else default


def _buildable(name: str) -> bool:
    try:
        model_spec(name)
        return name.startswith(("resnet", "plain"))
    except ValueError:
        return False


def render() -> None:
    st.title(t("residual.title"))
    st.markdown(t("residual.intro"))
    c1, c2, c3 = st.columns(3)
    shortcut = c1.radio(t("residual.shortcut"), SHORTCUT_OPTIONS, horizontal=True,
                        index=SHORTCUT_OPTIONS.index(_from_url("shortcut", SHORTCUT_OPTIONS, "A")),
                        format_func=formatter(lambda o: t(f"shortcut.{o}"), SHORTCUT_OPTIONS),
                        key=lkey("residual_shortcut"))
    design = c2.selectbox(t("residual.design"), DESIGNS, index=DESIGNS.index(_from_url("design", DESIGNS, "original")),
                          format_func=formatter(lambda d: t(f"design.{d}"), DESIGNS), key=lkey("residual_design"))
    url_depth = context.url_get("depth")
    depth = c3.number_input(t("residual.custom_depth"), min_value=8, max_value=1202,
                            value=int(url_depth) if url_depth.isdigit() and 8 <= int(url_depth) <= 1202 else None,
                            step=6, placeholder=t("residual.depth_placeholder"), help=t("residual.custom_depth_help"), key="residual_depth")
    names = list(BASE)
    if depth:
        try:
            model_spec(f"resnet{int(depth)}")
            names.append(f"resnet{int(depth)}")
        except ValueError as err:
            st.error(t("residual.bad_depth", error=str(err)), icon=":material/warning:")
    # The picker holds bare names; the options above are added to each residual one.
    wanted = [m.partition(":")[0] for m in context.url_list("models", DEFAULTS)]
    names += [w for w in dict.fromkeys(wanted) if w not in names and _buildable(w)]  # a link's other depths
    picked = st.multiselect(t("lab.models"), names, default=[m for m in dict.fromkeys(wanted) if m in names],
                            format_func=formatter(lambda n: model_label(entry(n, shortcut, design)), names),
                            key="residual_models")
    models = [entry(n, shortcut, design) for n in picked]
    st.caption(t("residual.option_note"))
    context.url_set(shortcut=shortcut if shortcut != "A" else "", design=design if design != "original" else "",
                    depth=int(depth) if depth else "")
    lab.lab("residual", models, view="errors", predict=True)
