"""A chart always says what it shows: a "what is this?" popover with the formula and the paper section."""

import streamlit as st

from .i18n import t


def chart(fig, help_key: str, key: str | None = None) -> None:
    """A plotly figure, full width, with its explanation (catalog key help.<help_key>) beside it."""
    with st.popover(t("chart.what_is_this"), icon=":material/help:"):
        st.markdown(t(f"help.{help_key}"))
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})
