"""Home: the result first (a recorded run on real images) and one button to the live demo; then both
papers in a minute, the tracing-paper picture with what it does and does not promise, where to go next."""

import streamlit as st

from resnet_edu.runs import recorded
from resnet_edu.viz import gap, plots

from ui import context
from ui.charts import chart
from ui.i18n import model_label, t


def render() -> None:
    st.title(t("home.title"))
    st.markdown(t("home.lead"))
    left, right = st.columns([3, 2], vertical_alignment="center")
    with left:
        _recorded_figure()
    with right:
        st.markdown(t("home.demo_pitch"))
        if st.button(t("home.demo_button"), type="primary", icon=":material/play_arrow:", key="home_demo",
                     width="stretch"):
            st.switch_page(context.PAGE_OBJECTS["degradation"])
        st.caption(t("home.demo_note"))

    left, right = st.columns(2)
    with left:
        st.subheader(t("home.v1_title"))
        st.markdown(t("home.v1_body"))
        st.latex(r"y = \mathcal{F}(x, \{W_i\}) + x")
    with right:
        st.subheader(t("home.v2_title"))
        st.markdown(t("home.v2_body"))
        st.latex(r"x_L = x_l + \sum_{i=l}^{L-1} \mathcal{F}(x_i, W_i)")
    st.subheader(t("home.tracing_title"))
    st.markdown(t("home.tracing_body"))
    st.markdown(t("home.identity_promise"))
    st.info(t("home.guardrail"), icon=":material/push_pin:")
    st.subheader(t("home.next_title"))
    for name, icon in (("degradation", ":material/trending_down:"), ("residual", ":material/add_circle:"),
                       ("gradients", ":material/waves:"), ("blocks", ":material/view_in_ar:"),
                       ("analyses", ":material/biotech:"), ("runs", ":material/folder_open:")):
        page = context.PAGE_OBJECTS.get(name)
        if page is not None:
            st.page_link(page, label=f"{t(f'page.{name}')} — {t(f'home.next_{name}')}", icon=icon)


def _recorded_figure() -> None:
    """v1 Fig. 1 on real CIFAR-10 images, from the recording that ships with the app, and what it shows."""
    try:
        rec = recorded.load()
    except (ValueError, OSError, KeyError):
        return  # a copy without the recording: Home is text and the button
    models = list(rec.config.models)
    labels = {m: model_label(m) for m in models}
    df = plots.metrics_frame(rec.events, run_id=rec.name, seed=rec.config.seed)
    fig = plots.error_figure(plots.seed_bands(df, "train_error"), t("home.figure_title"), t("chart.step"),
                             t("chart.error_pct"), models, labels, smooth=gap.WINDOW, chance=t("chart.chance"))
    chart(fig, "train_error", key="home_figure")
    pair = gap.plain_pair(models)
    if pair is None:
        return
    g = gap.degradation_gap(df, *pair)
    finals = gap.final_values(df, "train_error")
    if g.visible and all(m in finals for m in pair):
        st.caption(t("home.figure_caption", shallow=labels[pair[0]], deep=labels[pair[1]], step=f"{g.step:,}",
                     steps=f"{rec.config.steps:,}", shallow_end=f"{finals[pair[0]]:.1f}",
                     deep_end=f"{finals[pair[1]]:.1f}", train=f"{rec.config.train_size or 0:,}"))
