"""Beyond the papers: lesion study, signal propagation, attributions, loss landscape, shortcut span.

Each tab reads trained models from the run store (resnet_edu.analysis.loading) and calls one
function of resnet_edu.analysis. Results are kept in the session, keyed by run and settings,
so a later click shows them again at once; a computation shows a progress bar.
"""

import pandas as pd
import streamlit as st

from resnet_edu.analysis import figures, lesion, loading, signal, span
from resnet_edu.analysis.attribution import compare_attributions
from resnet_edu.analysis.landscape import random_line, surface
from resnet_edu.runs.store import ACTIVE

from ui import broken, context
from ui.charts import chart
from ui.i18n import catalog, formatter, lkey, model_label, t

DEPTHS = [20, 56]


def render() -> None:
    st.title(t("analyses.title"))
    st.markdown(t("analyses.intro"))
    broken.listed("analyses")
    training = _training_runs()
    if training:  # a run this page needs is training: follow it, and redraw the page when it ends
        st.fragment(_follow, run_every=2.0)(tuple(training))
    tabs = st.tabs([t("analyses.tab_lesion"), t("analyses.tab_signal"), t("analyses.tab_attr"),
                    t("analyses.tab_landscape"), t("analyses.tab_span")])
    with tabs[0]:
        _lesion_tab()
    with tabs[1]:
        _signal_tab()
    with tabs[2]:
        _attribution_tab()
    with tabs[3]:
        _landscape_tab()
    with tabs[4]:
        _span_tab()


def _training_runs() -> list[str]:
    """Active runs that train what a tab here needs (a plain/residual pair, or the span nets)."""
    wanted = [{f"plain{d}", f"resnet{d}"} for d in DEPTHS] + [set(span.span_entries())]
    return [r.run_id for r in context.store().list()
            if r.status in ACTIVE and any(w <= set(r.config.models) for w in wanted)]


def _follow(ids: tuple[str, ...]) -> None:
    """A top-level fragment: each run's progress; when none is active any more, the whole page again."""
    store = context.store()
    statuses = {rid: store.status(rid) for rid in ids}
    for rid, status in statuses.items():
        steps = store.config(rid).steps
        st.progress(min(1.0, status.get("step", 0) / max(steps, 1)),
                    text=t("analyses.training_now", run=rid, status=t(f"status.{status.get('status', 'unknown')}"),
                           step=f"{status.get('step', 0):,}", steps=f"{steps:,}"))
    if not any(s.get("status") in ACTIVE for s in statuses.values()):
        st.rerun(scope="app")


# -- shared pieces ----------------------------------------------------------------------------
def _dataset() -> str:
    return "cifar10" if context.cifar_present() else "synthetic"


def _training_config(models: tuple[str, ...]):
    """The run to offer when nothing is trained: the quick preset (tiny in tests)."""
    name = "tiny" if context.tiny_mode() else "quick"
    return context.make_config(name, models, _dataset())


def _trained_pair(key: str):
    """Pick a depth; return (run_dir, plain entry, residual entry), or None after offering a run."""
    depth = st.selectbox(t("analyses.depth"), DEPTHS, key=f"{key}_depth")
    plain, residual = f"plain{depth}", f"resnet{depth}"
    run_dir = _run_with(plain, residual)
    if run_dir is None:
        names = dict(plain=model_label(plain), residual=model_label(residual))
        st.info(t("analyses.need_training", **names), icon=":material/info:")
        if st.button(t("analyses.train_button", **names), key=f"{key}_train",
                     icon=":material/play_arrow:",
                     **context.viewer_guard()):
            run_id = context.runner().submit(_training_config((plain, residual)),
                                             label=f"analyses: {plain}, {residual}")
            st.success(t("analyses.train_queued", run=run_id))
        return None
    st.caption(t("analyses.using_run", run=run_dir.name))
    return run_dir, plain, residual


def _run_with(*entries: str):
    """The newest finished-or-stopped run whose checkpoint holds all `entries`."""
    store = context.store()
    for info in store.list():
        if all(e in info.config.models for e in entries) and info.status not in ("queued", "running"):
            path = store.path(info.run_id)
            try:  # weights_only: a checkpoint carrying code is refused, never run; that run is skipped
                held = loading.trained_entries(path)
            except (ValueError, OSError):
                continue
            if all(e in held for e in entries):
                return path
    return None


def _test_images(run_dir, n: int):
    """n test images of the run's dataset, normalised as the trainer normalised them."""
    return loading.eval_tensors(context.store().config(run_dir.name), n=n)


def _progress(label: str):
    bar = st.progress(0.0, text=label)
    return bar, (lambda done, total: bar.progress(min(done / max(total, 1), 1.0), text=label))


def _cached(key: tuple, compute):
    """Compute once per settings and keep the result in the session."""
    results = st.session_state.setdefault("analysis_results", {})
    if key not in results:
        results[key] = compute()
    return results[key]


def _computed(key: tuple) -> bool:
    return key in st.session_state.get("analysis_results", {})


def _labelled(by_entry: dict) -> dict:
    """{'plain56': x} -> {'plain-56': x}: charts name nets as the rest of the app does, in its language."""
    return {model_label(entry): value for entry, value in by_entry.items()}


def _nets(entries) -> dict[str, str]:
    """{'plain-56': 'plain56'}: how `chart` finds each labelled trace's net (its colour and dash)."""
    return {model_label(entry): entry for entry in entries}


# -- 1. lesion study --------------------------------------------------------------------------
def _lesion_tab() -> None:
    st.markdown(t("analyses.lesion_intro"))
    picked = _trained_pair("lesion")
    if picked is None:
        return
    run_dir, plain, residual = picked
    n_images = st.select_slider(t("analyses.images"), [100, 250, 500, 1000], value=250, key="lesion_n")
    key = ("lesion", str(run_dir), n_images)
    if _computed(key) or st.button(t("analyses.run"), key="lesion_run", icon=":material/science:"):
        def compute():
            x, y = _test_images(run_dir, n_images)
            out = {}
            for entry in (plain, residual):
                bar, tick = _progress(t("analyses.working", what=entry))
                out[entry] = lesion.lesion_single(loading.load_trained(run_dir, entry), x, y, on_progress=tick)
                bar.empty()
            return out
        studies = _cached(key, compute)
        chart(figures.lesion_figure(_labelled(studies), title=t("analyses.lesion_chart"), x_label=t("analyses.lesion_x"),
                                    y_label=t("chart.error_pct"), baseline_label=t("analyses.lesion_baseline")),
              "lesion", key="lesion_chart", nets=_nets(studies))
        skipped = [u.name for s in studies.values() for u in s.units if u.error is None]
        if skipped:
            st.caption(t("analyses.lesion_skipped", units=", ".join(sorted(set(skipped)))))
    n_units = 3 * ((int(residual.removeprefix("resnet")) - 2) // 6)
    chart(figures.path_length_figure(n_units, title=t("analyses.paths_chart"), x_label=t("analyses.paths_x"),
                                     y_label=t("analyses.paths_y")), "paths", key="paths_chart")


# -- 2. signal propagation at init -------------------------------------------------------------
SIGNAL_VARIANTS = ["identity", "scaling", "shortcut_gate", "exclusive_gate", "dropout"]


def _signal_tab() -> None:
    st.markdown(t("analyses.signal_intro"))
    st.latex(r"x_L = x_l + \sum_{i=l}^{L-1} \mathcal{F}(x_i, W_i), \qquad "
             r"\frac{\partial E}{\partial x_l} = \frac{\partial E}{\partial x_L}"
             r"\Big(1 + \frac{\partial}{\partial x_l}\sum_{i=l}^{L-1}\mathcal{F}(x_i, W_i)\Big)")
    c1, c2, c3 = st.columns(3)
    depths = c1.multiselect(t("analyses.depths"), [20, 56, 110, 164], default=[20, 56, 110], key="signal_depths")
    # Translated option labels: a widget per language (lkey), which starts from the choice kept in the session
    # (Streamlit keeps a choice as its labels: in the other language they would match nothing).
    kept = st.session_state.setdefault("signal_kept", {"variants": ["identity", "scaling"], "bn": "train"})
    variants = c2.multiselect(t("analyses.variants"), SIGNAL_VARIANTS, default=kept["variants"],
                              format_func=formatter(lambda v: t(f"variant.{v}"), SIGNAL_VARIANTS),
                              key=lkey("signal_variants"))
    # Batch statistics first: what training sees. With running statistics at init BN is the identity,
    # and an identity ResNet's signal grows exponentially in depth (~10⁸ at 110 layers): unexplained,
    # that view reads as "ResNets explode" (issue 22). Its note explains it.
    bn_mode = c3.radio(t("analyses.bn_mode"), BN_MODES, horizontal=True, key=lkey("signal_bn"),
                       index=BN_MODES.index(kept["bn"]),
                       format_func=formatter(lambda m: t(f"analyses.bn_{m}"), BN_MODES))
    kept.update(variants=variants, bn=bn_mode)
    st.markdown(t(f"analyses.bn_{bn_mode}_note"))
    if not depths or not variants:
        st.warning(t("analyses.pick_something"))
        return
    # The bare resnet<d> is the identity variant: left out when identity is not picked.
    designs = ("original",) if "identity" in variants else ()
    entries = signal.sweep_entries(depths=tuple(depths), designs=designs, variants=tuple(variants), plain=True)
    key = ("signal", tuple(entries), bn_mode)
    # On demand: building and probing a dozen nets takes seconds, and a visit that never opens
    # this tab must not pay for it (st.tabs renders every tab's body).
    if not _computed(key) and not st.button(t("analyses.run"), key="signal_run", icon=":material/science:"):
        st.caption(t("analyses.signal_cost", n=len(entries)))
        return
    bar, tick = _progress(t("analyses.working", what=t("analyses.tab_signal")))
    profiles = _cached(key, lambda: signal.signal_sweep(entries, bn_mode=bn_mode, on_progress=tick))
    bar.empty()
    nets = _nets(p.entry for p in profiles)
    for which in ("backward", "forward"):
        fig = figures.signal_figure(profiles, which=which, title=t(f"analyses.signal_{which}"),
                                    x_label=t("analyses.signal_x"), y_label=t(f"analyses.signal_{which}_y"),
                                    label=model_label)
        chart(fig, f"signal_{which}", key=f"signal_{which}", nets=nets)
    # The charts' end points as numbers: what the notes above ask the reader to compare.
    st.markdown(t("analyses.signal_table_title"))
    st.table(pd.DataFrame([{
        t("analyses.signal_col_net"): model_label(p.entry),
        t("analyses.signal_col_units"): len(p.backward_norm) - 1,
        t("analyses.signal_col_grad"): _times(p.backward_norm[0] / p.backward_norm[-1]),
        t("analyses.signal_col_act"): _times(p.forward_norm[-1] / p.forward_norm[0])} for p in profiles]
    ).set_index(t("analyses.signal_col_net")))  # a static table: a variant's long name whole


BN_MODES = ["train", "eval"]


def _times(ratio: float) -> str:
    """2.3e7 -> '2.3 × 10⁷', 0.35 -> '0.35': a ratio of norms as a class reads it."""
    if 0.01 <= ratio < 1000:
        return f"{ratio:.3g}"
    mantissa, exponent = f"{ratio:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


# -- 3. attributions -----------------------------------------------------------------------------
def _attribution_tab() -> None:
    st.markdown(t("analyses.attr_intro"))
    picked = _trained_pair("attr")
    if picked is None:
        return
    run_dir, plain, residual = picked
    n_images = st.slider(t("analyses.images"), 2, 8, 4, key="attr_n")
    key = ("attr", str(run_dir), n_images)
    if _computed(key) or st.button(t("analyses.run"), key="attr_run", icon=":material/science:"):
        def compute():
            x, y = _test_images(run_dir, n_images)
            config = context.store().config(run_dir.name)
            models = {e: loading.load_trained(run_dir, e) for e in (plain, residual)}
            bar, tick = _progress(t("analyses.working", what=t("analyses.tab_attr")))
            maps = compare_attributions(models, x, y, on_progress=tick)
            bar.empty()
            from resnet_edu.data import load_dataset
            classes = load_dataset(config.dataset, config.data_dir)[1].classes
            return x, y, maps, classes
        x, y, maps, classes = _cached(key, compute)
        classes = [t(f"class.{c}") if f"class.{c}" in catalog("en") else c for c in classes]
        methods = {"saliency": t("analyses.saliency"), "integrated_gradients": t("analyses.ig"),
                   "grad_cam": "Grad-CAM"}
        fig = figures.attribution_figure(x, _labelled(maps), y, classes, title=t("analyses.attr_chart"),
                                         method_names=methods, image_label=t("analyses.image"),
                                         caption=t("analyses.attr_caption"))
        chart(fig, "attributions", key="attr_chart")


# -- 4. loss landscape --------------------------------------------------------------------------
def _landscape_tab() -> None:
    st.markdown(t("analyses.landscape_intro"))
    picked = _trained_pair("landscape")
    if picked is None:
        return
    run_dir, plain, residual = picked
    c1, c2 = st.columns(2)
    resolution = c1.select_slider(t("analyses.resolution"), [5, 7, 9, 11, 15], value=7, key="land_res")
    n_images = c2.select_slider(t("analyses.images"), [128, 256, 512], value=256, key="land_n")
    st.caption(t("analyses.landscape_cost", points=resolution * resolution * 2))
    key = ("landscape", str(run_dir), resolution, n_images)
    if _computed(key) or st.button(t("analyses.run"), key="land_run", icon=":material/science:"):
        def compute():
            x, y = _test_images(run_dir, n_images)
            lines, surfaces = {}, {}
            for entry in (plain, residual):
                model = loading.load_trained(run_dir, entry)
                bar, tick = _progress(t("analyses.working", what=entry))
                lines[entry] = random_line(model, x, y, resolution=2 * resolution + 1)
                surfaces[entry] = surface(model, x, y, resolution=resolution, on_progress=tick)
                bar.empty()
            return lines, surfaces
        lines, surfaces = _cached(key, compute)
        lines, surfaces = _labelled(lines), _labelled(surfaces)
        chart(figures.landscape_line_figure(lines, title=t("analyses.line_chart"), y_label=t("analyses.loss"),
                                            log_y=True),
              "landscape_line", key="land_line", nets=_nets((plain, residual)))
        chart(figures.landscape_contour_figure(surfaces, title=t("analyses.contour_chart")),
              "landscape_contour", key="land_contour")
        which = st.radio(t("analyses.surface_of"), list(surfaces), horizontal=True, key="land_which")
        chart(figures.landscape_surface_figure(surfaces[which], title=t("analyses.surface_chart"),
                                               z_label=t("analyses.log_loss"), log=True),
              "landscape_surface", key="land_surface")


# -- 5. shortcut span --------------------------------------------------------------------------
def _span_tab() -> None:
    st.markdown(t("analyses.span_intro"))
    entries = span.span_entries()
    store = context.store()
    run = next((r for r in store.list() if set(entries) <= set(r.config.models)), None)
    if run is None:
        st.info(t("analyses.span_none"), icon=":material/info:")
        if st.button(t("analyses.span_button"), key="span_train", icon=":material/play_arrow:",
                     **context.viewer_guard()):
            run_id = context.runner().submit(_training_config(entries), label="analyses: shortcut span")
            st.success(t("analyses.train_queued", run=run_id))
        return
    st.caption(t("analyses.using_run", run=run.run_id) + f" · {t('status.' + run.status)}")
    results = span.summarize_spans(store.metrics(run.run_id))
    if not results:
        st.info(t("analyses.span_waiting"))
        return
    chart(figures.span_figure(results, title=t("analyses.span_chart"), x_label=t("analyses.span_x"),
                              y_label=t("chart.error_pct"), train_label=t("chart.train_error"),
                              test_label=t("chart.test_error"), residual_label=t("analyses.span_residual"),
                              plain_label=t("analyses.span_plain")), "span", key="span_chart")
