"""ResNet Lab: `streamlit run app/main.py`. The router: language, device, pages.

Training never happens in a script run: pages hand configs to the one JobRunner of this
server (app/ui/context.py) and poll the run store.
"""

import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
for folder in (str(ROOT), str(ROOT / "app")):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import streamlit as st  # noqa: E402

from ui import context, controls  # noqa: E402
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
PAGE_PARAMS = ("models", "preset", "dataset", "seeds", "runs", "guess", "shortcut", "design", "depth", "metric",
               "recorded")

# A local icon: an emoji or material favicon would be fetched from a CDN, which a classroom offline lacks.
st.set_page_config(page_title="ResNet Lab", page_icon=str(ROOT / "app" / "assets" / "favicon.png"), layout="wide")
language_toggle()

# The default page is served at the root URL and nowhere else: a browser at /home (or at
# /degradation?page=degradation) would get "Page not found" if that page were the default.
wanted = st.query_params.get("page", "home")
wanted = wanted if wanted in PAGES else "home"
at_path = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
default = next(n for n in PAGES if n != at_path) if at_path == wanted else wanted
pages = [st.Page(render, title=t(f"page.{name}"), icon=icon, url_path=name, default=name == default)
         for name, (render, icon) in PAGES.items()]
page = st.navigation(pages)
context.PAGE_OBJECTS.update(dict(zip(PAGES, pages)))
name = next((n for n, p in zip(PAGES, pages) if p is page or p.title == page.title), "home")

# A page opens with its own settings, not the previous page's models or runs: those it had when
# this session last left it (models, dataset, seeds, prediction, recorded run, a run reached by a
# link), else its defaults. They are saved at the end of every run of the page (below): by the
# time the next page's run starts, sidebar navigation has already cleared the URL's parameters.
previous = st.session_state.get("page")
if previous not in (None, name):
    for key in PAGE_PARAMS:
        st.query_params.pop(key, None)
    for key, value in st.session_state.get(f"url_of.{name}", {}).items():
        st.query_params[key] = value
st.session_state["page"] = name
if st.query_params.get("page") != name:
    st.query_params["page"] = name

with st.sidebar:
    kind = context.device_type()[0]
    st.caption(t("device.line", device=controls.device_name()))
    st.caption(t(f"device.note_{kind}"))
    exposed = context.exposed_address()
    if exposed and not context.viewer():
        st.warning(t("app.exposed", address=exposed), icon=":material/public:")
    if context.tiny_mode():
        st.caption("RESNET_EDU_TEST_TINY=1")

try:
    page.run()
except context.ViewerRefused:  # a click a viewer's disabled button let through: say why, kindly
    st.info(t("viewer.note"), icon=":material/visibility:")
except Exception as err:  # a page's bug must not take the app down: one line, not a traceback
    st.error(t("app.page_error", error=f"{type(err).__name__}: {err}"), icon=":material/warning:")
finally:  # also when the page reruns or switches pages (those are exceptions Streamlit raises)
    if st.session_state.get("page") == name:
        st.session_state[f"url_of.{name}"] = {k: st.query_params[k] for k in PAGE_PARAMS if k in st.query_params}
