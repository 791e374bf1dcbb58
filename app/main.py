"""ResNet Lab: `streamlit run app/main.py`. The router: language, device, pages.

Training never happens in a script run: pages hand configs to the one JobRunner of this
server (app/ui/context.py) and poll the run store.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (str(ROOT), str(ROOT / "app")):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import streamlit as st  # noqa: E402

from ui import context  # noqa: E402
from ui.i18n import language_toggle, t  # noqa: E402
from views import analyses, blocks, degradation, gradients, home, residual, runs  # noqa: E402

PAGES = {  # url path -> (render function, icon)
    "home": (home.render, ":material/home:"),
    "degradation": (degradation.render, ":material/trending_down:"),
    "residual": (residual.render, ":material/add_circle:"),
    "gradients": (gradients.render, ":material/waves:"),
    "blocks": (blocks.render, ":material/view_in_ar:"),
    "analyses": (analyses.render, ":material/biotech:"),
    "runs": (runs.render, ":material/folder_open:"),
}
PAGE_PARAMS = ("models", "preset", "dataset", "seeds", "runs")

st.set_page_config(page_title="ResNet Lab", page_icon=":material/science:", layout="wide")
language_toggle()

wanted = st.query_params.get("page", "home")
pages = [st.Page(render, title=t(f"page.{name}"), icon=icon, url_path=name, default=name == wanted)
         for name, (render, icon) in PAGES.items()]
if not any(name == wanted for name in PAGES):
    pages[0] = st.Page(home.render, title=t("page.home"), icon=":material/home:", url_path="home", default=True)
page = st.navigation(pages)
context.PAGE_OBJECTS.update(dict(zip(PAGES, pages)))
name = next((n for n, p in zip(PAGES, pages) if p is page or p.title == page.title), "home")

# A new page starts from its own defaults, not the previous page's models or runs.
if st.session_state.get("page") not in (None, name):
    for key in PAGE_PARAMS:
        st.query_params.pop(key, None)
st.session_state["page"] = name
if st.query_params.get("page") != name:
    st.query_params["page"] = name

with st.sidebar:
    kind, label = context.device_type()
    st.caption(t("device.line", device=label))
    st.caption(t(f"device.note_{kind}"))
    if context.tiny_mode():
        st.caption("RESNET_EDU_TEST_TINY=1")

try:
    page.run()
except Exception as err:  # a page's bug must not take the app down: one line, not a traceback
    st.error(t("app.page_error", error=f"{type(err).__name__}: {err}"), icon=":material/warning:")
