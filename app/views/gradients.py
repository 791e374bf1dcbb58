"""Gradient flow: per-unit gradient norms (depth × step), v1 Fig. 7's response std, grad:data and update:data."""

import streamlit as st

from ui import lab
from ui.i18n import t

CHOICES = ["plain56", "plain56:batchnorm=false", "resnet56", "plain20", "resnet20", "resnet110"]


def render() -> None:
    st.title(t("gradients.title"))
    st.markdown(t("gradients.intro"))
    with st.container(border=True):
        st.subheader(t("gradients.vanishing_title"))
        st.markdown(t("gradients.vanishing_body"))
        st.latex(r"\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}"
                 r"\Big(1 + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1}\mathcal{F}(x_i, W_i)\Big)")
        st.caption(t("gradients.vanishing_eq_note"))
        st.markdown(t("gradients.collapse_note"))
    models = lab.model_picker("gradients", CHOICES, ["plain56", "plain56:batchnorm=false", "resnet56"])
    lab.lab("gradients", models, view="gradients", predict=False)
