"""Home: both papers in a minute, the tracing-paper picture, where to go next."""

import streamlit as st

from ui import context
from ui.i18n import t


def render() -> None:
    st.title(t("home.title"))
    st.markdown(t("home.lead"))
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
    st.info(t("home.guardrail"), icon=":material/push_pin:")
    st.subheader(t("home.next_title"))
    for name, icon in (("degradation", ":material/trending_down:"), ("residual", ":material/add_circle:"),
                       ("gradients", ":material/waves:"), ("blocks", ":material/view_in_ar:"),
                       ("analyses", ":material/biotech:"), ("runs", ":material/folder_open:")):
        page = context.PAGE_OBJECTS.get(name)
        if page is not None:
            st.page_link(page, label=f"{t(f'page.{name}')} — {t(f'home.next_{name}')}", icon=icon)
