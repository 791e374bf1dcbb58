"""Residual lab: ResNet-20 vs ResNet-56 (and plain-56 for contrast), shortcut option, unit design (v1 Fig. 6).

The shortcut option and the unit design apply to every residual net picked: they go into the
model entries ('resnet56:shortcut=B,design=full_preact'), hence into the run's config.json,
the chart labels and the URL (?models=, ?shortcut=, ?design=, ?depth=).
"""

import streamlit as st

from resnet_edu.models import DESIGNS, SHORTCUT_OPTIONS, split_entry

from ui import context, lab
from ui.entries import buildable, problem, with_options
from ui.i18n import formatter, listing, lkey, model_label, t

BASE = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20", "plain56"]
DEFAULTS = ["resnet20", "resnet56", "plain56"]


def entry(name: str, shortcut: str, design: str) -> str:
    """'resnet56' + options -> 'resnet56:shortcut=B,design=full_preact' (plain nets unchanged)."""
    return name if name.startswith("plain") else with_options(name, shortcut, design)


def _from_url(option: str, allowed, default: str) -> str:
    """?shortcut= / ?design=, else the option written into a residual entry of ?models=, else default."""
    value = context.url_get(option)
    if not value:
        for item in context.url_list("models", []):
            try:
                value = value or str(split_entry(item)[1].get(option, ""))
            except ValueError:  # a malformed entry in a hand-edited link: the default
                continue
    return value if value in allowed else default


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
        why = problem(f"resnet{int(depth)}")
        if why is None:
            names.append(f"resnet{int(depth)}")
        else:
            st.error(t("residual.bad_depth", error=why), icon=":material/warning:")
    # The picker holds bare names, labelled by the name alone; the options above are added to each
    # residual one below it. Streamlit keeps a multiselect's choice as the labels it shows: labels
    # that followed the shortcut option ("ResNet-20 (option B)") stopped matching at the next
    # change and the nets were dropped (issue 22: A → B → C left plain-56 alone).
    wanted = [m.partition(":")[0] for m in context.url_list("models", DEFAULTS)]
    names += [w for w in dict.fromkeys(wanted) if w not in names and buildable(w)]  # a link's other depths
    picked = st.multiselect(t("lab.models"), names, default=[m for m in dict.fromkeys(wanted) if m in names],
                            format_func=formatter(model_label, names), key="residual_models")
    models = [entry(n, shortcut, design) for n in picked]
    if models:
        st.caption(t("residual.will_train", nets=listing(map(model_label, models))))
    st.caption(t(f"residual.option_note_{shortcut}"))
    context.url_set(shortcut=shortcut if shortcut != "A" else "", design=design if design != "original" else "",
                    depth=int(depth) if depth else "")
    lab.lab("residual", models, view="errors", predict=True)
