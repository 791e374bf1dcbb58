"""Degradation lab, the classroom demo: plain-20 vs plain-56 on the same batches (v1 Fig. 1)."""

import streamlit as st

from ui import lab, recorded
from ui.i18n import t

CHOICES = ["plain20", "plain32", "plain44", "plain56", "plain110", "resnet20", "resnet56"]


def render() -> None:
    st.title(t("degradation.title"))
    st.markdown(t("degradation.intro"))
    recorded.show("degradation")  # real-data curves at once; the live run below confirms them
    models = lab.model_picker("degradation", CHOICES, ["plain20", "plain56"])
    lab.lab("degradation", models, view="errors", predict=True)
