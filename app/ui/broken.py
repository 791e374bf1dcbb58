"""Unreadable run folders, named with their reason and a Delete button, on every page that lists runs.

A run folder may come from anyone (a copy, a half-written file, a planted link): the store
reads it bounded and checked (resnet_edu/runs/files.py, schema.py) and gives back why it cannot
be read. The page shows that one line instead of stopping.
"""

import streamlit as st

from . import context
from .i18n import t


def unreadable(bad, key: str = "") -> None:
    """One unreadable run: its reason, and (for the host) Delete behind a confirmation."""
    st.warning(t("runs.unreadable", run=bad.run_id, reason=bad.reason), icon=":material/broken_image:")
    if context.viewer():
        return
    c1, c2 = st.columns([3, 1])
    sure = c1.checkbox(t("runs.delete_sure"), key=f"{key}sure_{bad.run_id}")
    if c2.button(t("runs.delete"), key=f"{key}delete_{bad.run_id}", icon=":material/delete:", disabled=not sure):
        context.store().delete(bad.run_id)
        st.rerun()


def listed(key: str) -> None:
    """Every unreadable run of the store, folded away (a lab or an analysis page lists runs too)."""
    broken = context.store().unreadable()
    if not broken:
        return
    with st.expander(t("runs.unreadable_n", n=len(broken)), icon=":material/broken_image:"):
        for bad in broken:
            unreadable(bad, key)
