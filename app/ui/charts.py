"""A chart always says what it shows: a "what is this?" popover with the formula and the paper section.

Every plotly figure of the app is shown here, in the app's one template (resnet_edu.viz.theme):
the same fonts and sizes on every page, each net in its own colour and dash.
"""

import streamlit as st

from resnet_edu.viz.theme import themed

from .i18n import t


def chart(fig, help_key: str, key: str | None = None, nets: dict[str, str] | None = None) -> None:
    """A plotly figure, full width, with its explanation (catalog key help.<help_key>) beside it.

    nets: {trace name: model entry} for figures whose traces are named by label only (the analyses).
    """
    with st.popover(t("chart.what_is_this"), icon=":material/help:"):
        st.markdown(t(f"help.{help_key}"))
    # theme=None: Streamlit's own chart theme would replace the template's fonts and sizes.
    st.plotly_chart(themed(fig, nets), width="stretch", key=key, theme=None, config={"displaylogo": False})
