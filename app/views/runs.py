"""Runs: every recorded run; compare, replay, export, delete, stop or resume."""

import time

import pandas as pd
import streamlit as st

from resnet_edu.runs import export
from resnet_edu.viz import plots
from resnet_edu.runs.store import ACTIVE

from ui import broken, context, live
from ui.charts import chart
from ui.i18n import formatter, lkey, model_label, seeds_label, t


def render() -> None:
    st.title(t("runs.title"))
    st.caption(t("runs.where", path=str(context.runs_dir())))
    store = context.store()
    infos, broken_runs = store.scan()
    if context.viewer():
        st.info(t("viewer.note"), icon=":material/visibility:")
    for bad in broken_runs:  # a malformed folder (copied in, half-written, linked) is named, never breaks the page
        broken.unreadable(bad)
    if not infos:
        if not broken_runs:
            st.info(t("runs.empty"))
        return
    # What tells runs apart first (state and date stayed off-screen at the end of a wide table: issue 22).
    table = pd.DataFrame([{
        t("runs.col_id"): r.run_id, t("runs.col_models"): ", ".join(map(model_label, r.config.models)),
        t("runs.col_status"): t(f"status.{r.status}"),
        t("runs.col_created"): time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)),
        t("runs.col_step"): f"{r.step:,} / {r.config.steps:,}",
        t("runs.col_data"): t(f"data.{r.config.dataset}"), t("runs.col_preset"): r.config.preset,
        t("runs.col_seed"): ", ".join(map(str, r.config.seeds or (r.config.seed,))), t("runs.col_precision"): r.config.precision,
        t("runs.col_diverged"): ", ".join(map(model_label, r.diverged))} for r in infos])
    st.dataframe(table, hide_index=True, width="stretch")

    ids = [r.run_id for r in infos]
    linked = context.url_list("runs", ids[:1])
    wanted = [r for r in linked if r in ids]
    gone = [r for r in linked if r not in ids]
    if gone:  # a link to a deleted (or mistyped) run says so instead of showing an empty selection
        st.warning(t("runs.gone", runs=", ".join(gone)), icon=":material/link_off:")
    chosen = st.multiselect(t("runs.compare"), ids, default=wanted, key="runs_chosen")
    context.url_set(runs=chosen)
    if not chosen:
        return
    if any(store.status(r).get("status") in ACTIVE for r in chosen):
        live.show_group(chosen, "errors")  # still training: the live view, polling
    else:
        replay(chosen)
    for rid in chosen:
        with st.expander(t("runs.manage", run=rid)):
            manage(rid)


def replay(ids: list[str]) -> None:
    df, _ = live.run_frames(ids)
    if df.empty:
        st.info(t("live.waiting"))
        return
    # Several runs on one chart: a curve per (run, model) unless they are seeds of one config.
    configs = {rid: context.store().config(rid) for rid in ids}
    same_config = len({(c.models, c.preset, c.dataset, c.steps) for c in configs.values()}) == 1
    names = run_names(configs)
    if not same_config:
        df = df.assign(model=df["run_id"] + " · " + df["model"])
    # The language switch gives these radios new keys: the session keeps the choice across it.
    metric = st.radio(t("runs.metric"), METRICS, horizontal=True, index=_kept("runs_metric", METRICS),
                      format_func=formatter(lambda m: t(f"chart.{m}"), METRICS), key=lkey("runs_metric"))
    mode = st.radio(t("runs.replay_mode"), MODES, horizontal=True, index=_kept("runs_mode", MODES),
                    format_func=formatter(lambda m: t(f"runs.mode_{m}"), MODES), key=lkey("runs_mode"))
    st.session_state["runs_metric"], st.session_state["runs_mode"] = metric, mode
    labels = {m: model_label(m) if " · " not in m else names[m.split(" · ")[0]] + " · " +
              model_label(m.split(" · ")[1]) for m in df["model"].unique()}
    datasets = {c.dataset for c in configs.values()}
    if datasets == {"synthetic"}:
        st.caption(t("data.synthetic_tag"))
    elif "synthetic" in datasets:
        st.caption(t("runs.mixed_data"))
    if mode == "animate":
        fig = plots.replay_figure(df, metric, t(f"chart.{metric}"), t("chart.step"), t("chart.error_pct"),
                                  labels=labels, chance=t("chart.chance"))
        chart(fig, "replay", key="replay_chart")
    else:
        fig = plots.error_figure(plots.seed_bands(df, metric), t(f"chart.{metric}"), t("chart.step"),
                                 t("chart.error_pct"), labels=labels, chance=t("chart.chance"),
                                 seeds_text=t("chart.mean_of_seeds"))
        chart(fig, metric, key="compare_chart")


METRICS, MODES = ["train_error", "test_error"], ["animate", "all"]


def _kept(name: str, options: list[str]) -> int:
    return options.index(st.session_state[name]) if st.session_state.get(name) in options else 0


def run_names(configs: dict) -> dict[str, str]:
    """Each run in a legend: its data, preset and seed ('CIFAR-10 · quick · seed 0'), and its start
    time (from the run id) where that alone would not tell two runs apart."""
    def base(c):
        return f"{t(f'data.short_{c.dataset}')} · {c.preset} · {seeds_label(c)}"

    counts: dict[str, int] = {}
    for c in configs.values():
        counts[base(c)] = counts.get(base(c), 0) + 1
    return {rid: base(c) + (f" · {rid[9:11]}:{rid[11:13]}:{rid[13:15]}" if counts[base(c)] > 1 else "")
            for rid, c in configs.items()}


def manage(rid: str) -> None:
    store, runner = context.store(), context.runner()
    config, status, events = store.config(rid), store.status(rid), store.metrics(rid)
    state = status.get("status", "unknown")
    st.write(t("runs.status_line", status=t(f"status.{state}"), step=status.get("step", 0), steps=config.steps))
    message = status.get("message") or runner.errors.get(rid, "")
    if message:
        (st.error if state in ("failed", "diverged") else st.caption)(message)
    if state not in ACTIVE:  # an active run's stop line is under its progress bar in the live view above
        live.stop_note(rid, state, status)
    if store.skipped_lines(rid):
        st.caption(t("runs.skipped_lines", n=store.skipped_lines(rid)))
    c1, c2, c3 = st.columns(3)
    # Built on demand, not at every render of every watcher: a long run's JSON is megabytes.
    if c1.toggle(t("runs.export_prepare"), key=f"export_{rid}"):
        c1.download_button(t("runs.export_json"), export.run_json(rid, config, status, events),
                           file_name=f"{rid}.json", mime="application/json", key=f"json_{rid}")
        c2.download_button(t("runs.export_csv"), export.metrics_csv(events), file_name=f"{rid}.csv",
                           mime="text/csv", key=f"csv_{rid}")
    c3.download_button(t("runs.export_cell"), export.notebook_cell(config), file_name=f"{rid}.py",
                       mime="text/x-python", key=f"cell_{rid}")
    st.code(export.notebook_cell(config), language="python")
    if context.viewer():
        return
    c1, c2, c3 = st.columns(3)
    if state in ACTIVE and c1.button(t("live.stop"), key=f"runs_stop_{rid}", icon=":material/stop_circle:"):
        runner.stop(rid)  # whoever trains it: a request in its folder, honoured at its next step
        st.rerun()
    if state in ("stopped", "interrupted", "failed") and c1.button(t("live.resume"), key=f"runs_resume_{rid}",
                                                                  icon=":material/play_circle:"):
        try:
            runner.resume(rid)
            st.rerun()
        except ValueError as err:
            st.error(str(err))
    if state not in ACTIVE:
        sure = c2.checkbox(t("runs.delete_sure"), key=f"sure_{rid}")
        if c3.button(t("runs.delete"), key=f"delete_{rid}", icon=":material/delete:", disabled=not sure):
            store.delete(rid)
            st.query_params.pop("runs", None)
            st.session_state.pop("runs_chosen", None)
            st.rerun()
    else:
        c2.caption(t("runs.delete_running"))

