"""The live view of a group of runs: status, stop / resume, curves. Polls the run store.

`show_group` is called from a page's body (never from inside another fragment), so its
`st.fragment(run_every=...)` timer stays top-level. It polls only while a run is queued or
training; when the last one ends it reruns the page once, which turns the timer off.
"""

import time

import pandas as pd
import streamlit as st
import torch

from resnet_edu.runs import eta
from resnet_edu.viz import gap, plots
from resnet_edu.runs.store import ACTIVE

from . import context, moment
from .charts import chart
from .i18n import model_label, rough_duration, seeds_label, t

POLL_SECONDS = 1.5


def show_group(run_ids: list[str], view: str = "errors", predicted: str | None = None) -> None:
    store = context.store()
    ids = [r for r in run_ids if store.readable(r)]  # a malformed run is named on the Runs page
    if len(ids) < len(run_ids):
        st.warning(t("live.missing"))
    if not ids:
        return
    active = any(store.status(r).get("status") in ACTIVE for r in ids)
    st.session_state["live_poll_s"] = context.poll_seconds()
    st.fragment(_group_body, run_every=st.session_state["live_poll_s"] if active else None)(
        tuple(ids), view, predicted)


def run_frames(ids) -> tuple[pd.DataFrame, dict]:
    """All metrics of `ids` in one table, and each run's raw events."""
    store, frames, events = context.store(), [], {}
    for rid in ids:
        events[rid] = store.metrics(rid)
        frames.append(_frame(str(store.root), store.metrics_version(rid), store.config(rid).seed, events[rid]))
    return pd.concat(frames, ignore_index=True) if frames else plots.metrics_frame([]), events


@st.cache_resource(max_entries=64, show_spinner=False)
def _frame(root: str, version: tuple, seed: int, _events: list) -> pd.DataFrame:
    """One run's table, built once per (run, bytes read) for every session of the server.

    N students watching one run poll it N times per refresh; the store reads each new line once,
    and this builds each table once, so a watcher costs a cache look-up, not a parse. Callers
    never modify the frame (pd.concat copies it).
    """
    return plots.metrics_frame(_events, run_id=version[0], seed=seed)


def _group_body(ids: tuple[str, ...], view: str, predicted: str | None) -> None:
    poll = st.session_state.get("live_poll_s")
    if poll and not 2 / 3 < context.poll_seconds() / poll < 3 / 2:  # more or fewer watchers now
        st.rerun(scope="app")  # the timer is set by the page: redraw it at the new pace
    store = context.store()
    statuses = {rid: store.status(rid) for rid in ids}
    configs = {rid: store.config(rid) for rid in ids}
    active = any(s.get("status") in ACTIVE for s in statuses.values())
    for rid in ids:
        status_row(rid, statuses[rid], configs[rid])
    if any(c.dataset == "synthetic" for c in configs.values()):
        st.caption(t("data.synthetic_tag"))

    df, events = run_frames(ids)
    for rid in ids:
        for e in events[rid]:
            if e.get("kind") == "status" and e.get("status") == "diverged":
                st.warning(t("live.diverged", message=e.get("message", "")), icon=":material/warning:")
    models = list(configs[ids[0]].models)
    labels = {m: model_label(m) for m in models}
    config = configs[ids[0]]
    if df.empty:
        waiting(ids, statuses)
    else:
        start = min(filter(None, map(gap.run_start, events.values())), default=None)
        moment.gap_message(df, models, labels, start, active)
        moment.reveal(df, models, labels, predicted, active)
        error_charts(df, models, labels, config)
        if view == "gradients":
            gradient_charts(events[ids[0]], labels)
        if not active:
            seconds = [moment.run_seconds(events[rid]) for rid in ids]
            moment.final_lines(df, models, labels, max(s.get("step", 0) for s in statuses.values()),
                               max(filter(None, seconds), default=None))

    key = "live_was_active_" + "_".join(ids)
    if st.session_state.get(key) and not active:
        st.session_state[key] = False
        st.rerun(scope="app")  # the last run ended: redraw the page once, without a timer
    st.session_state[key] = active


def waiting(ids, statuses: dict) -> None:
    """No point yet: either the run waits in the queue behind another (how long that one has left),
    or it is preparing its data and nets."""
    runner, store = context.runner(), context.store()
    queued = [rid for rid in ids if runner.queue_position(rid) is not None]
    if not queued:
        st.info(t("live.waiting"))
        return
    ahead = [r for r in store.list() if r.status == "running" and r.run_id not in ids]
    left = [eta.remaining_seconds(store.metrics(r.run_id), r.config.steps) for r in ahead]
    if any(left):
        st.info(t("live.queued_behind", n=len(ahead), left=rough_duration(max(filter(None, left)))),
                icon=":material/schedule:")
    else:
        st.info(t("live.queued_wait", n=runner.queue_position(queued[0]) + 1), icon=":material/schedule:")


def status_row(rid: str, status: dict, config) -> None:
    runner = context.runner()
    state, step, steps = status.get("status", "unknown"), status.get("step", 0), config.steps
    cols = st.columns([5, 2, 2])
    with cols[0]:
        seed = seeds_label(config)
        position = runner.queue_position(rid)
        where = t("live.queued_at", n=position + 1) if position is not None else t(f"status.{state}")
        left = eta.remaining_seconds(context.store().metrics(rid), steps) if state == "running" else None
        speed = f" · {t('live.left', left=rough_duration(left), threads=threads_label())}" if left else ""
        st.progress(min(1.0, step / max(steps, 1)),
                    text=f"**{', '.join(map(model_label, config.models))}** · {seed} · {where} · "
                         f"{t('live.step', step=f'{step:,}', steps=f'{steps:,}')}{speed}")
    message = status.get("message", "")
    if state == "failed":
        st.error(t("live.failed", message=message), icon=":material/warning:")
    elif state == "interrupted":
        st.warning(t("live.interrupted"), icon=":material/pause_circle:")
    stop_note(rid, state, status)
    if context.viewer():  # another machine's session: it watches, the note is on the page (README "Safety")
        return
    with cols[1]:
        if state in ACTIVE and st.button(t("live.stop"), key=f"stop_{rid}", icon=":material/stop_circle:"):
            runner.stop(rid)
            st.rerun(scope="fragment")
    with cols[2]:
        if state in ("stopped", "interrupted") and st.button(t("live.resume"), key=f"resume_{rid}", icon=":material/play_circle:"):
            try:
                runner.resume(rid)
            except ValueError as err:
                st.error(str(err))
            else:
                st.rerun()


def stop_note(rid: str, state: str, status: dict) -> None:
    """A stop that was sent and not yet taken, or when the last one took effect."""
    sent = context.store().stop_requested(rid) if state in ACTIVE else None
    if sent is not None:
        st.info(t("runs.stop_sent", at=time.strftime("%H:%M:%S", time.localtime(sent))), icon=":material/stop_circle:")
    elif state == "stopped" and status.get("stop_requested") and status.get("stop_taken"):
        st.caption(t("runs.stop_taken", step=f"{status.get('step', 0):,}",
                     seconds=f"{max(0.0, status['stop_taken'] - status['stop_requested']):.1f}"))


def threads_label() -> str:
    """'1 thread' / '2 threads': the CPU threads a run of this server uses (the job runner sets them)."""
    n = torch.get_num_threads()
    return t("eta.thread_one") if n == 1 else t("eta.threads", n=n)


def error_charts(df: pd.DataFrame, models: list[str], labels: dict, config=None, key: str = "") -> None:
    """Training error smoothed over a few logs (raw points faint), test error; both on a 0/50–100 % axis."""
    x_max = plots.step_axis_end(float(df["step"].max()), config.steps) if config and not df.empty else None
    first_test = min(config.eval_every, config.steps) if config else None
    left, right = st.columns(2)
    with left:
        fig = plots.error_figure(plots.seed_bands(df, "train_error"), t("chart.train_error"),
                                 t("chart.step"), t("chart.error_pct"), models, labels, smooth=gap.WINDOW,
                                 seeds_text=t("chart.mean_of_seeds"),
                                 chance=t("chart.chance"), x_max=x_max)
        chart(fig, "train_error", key=f"{key}train_error_chart")
    with right:
        # A marker on every evaluation: a test error measured a few times is points, not a smooth curve.
        fig = plots.error_figure(plots.seed_bands(df, "test_error"), t("chart.test_error"),
                                 t("chart.step"), t("chart.error_pct"), models, labels, chance=t("chart.chance"),
                                 seeds_text=t("chart.mean_of_seeds"), markers=True,
                                 x_max=x_max, empty_note=t("chart.first_test", step=f"{first_test:,}")
                                 if first_test else None)
        chart(fig, "test_error", key=f"{key}test_error_chart")


def gradient_charts(events: list[dict], labels: dict) -> None:
    series = plots.first_seed(plots.probe_series(events))  # a seed band: one heatmap per net, its first seed
    if not series:
        st.info(t("grad.no_probes"))
        return
    # One colour scale across nets by default: the same colour is the same norm in every heatmap.
    shared = st.toggle(t("grad.shared_scale"), value=True, key="grad_shared_scale") if len(series) > 1 else False
    zrange = plots.heatmap_range(series) if shared else None
    cols = st.columns(len(series))
    for col, (model, records) in zip(cols, series.items()):
        with col:
            fig = plots.gradient_heatmap(records, labels.get(model, model), t("chart.step"), t("chart.unit"),
                                         zrange=zrange)
            chart(fig, "grad_heatmap", key=f"heat_{model}")
    for model, records in series.items():
        since = plots.collapse_step(records)  # read off the heatmap's own data: where its first unit went dark
        if since is not None:
            st.warning(t("grad.collapsed", model=labels.get(model, model), step=f"{since:,}"),
                       icon=":material/heart_broken:")
    latest = {m: r[-1] for m, r in series.items()}
    left, right = st.columns(2)
    with left:
        fig = plots.depth_profile_figure(latest, "layer_response_std", t("chart.response_std"),
                                         t("chart.layer"), "std", labels=labels)
        chart(fig, "response_std", key="response_std_chart")
        response_caption(latest, labels)
    with right:
        fig = plots.depth_profile_figure(latest, "unit_output_grad_norm", t("chart.grad_norm"),
                                         t("chart.unit"), "‖∂E/∂x‖", log_y=True, labels=labels)
        chart(fig, "grad_norm", key="grad_norm_chart")
    left, right = st.columns(2)
    with left:
        fig = plots.depth_profile_figure(latest, "layer_grad_to_data", t("chart.grad_to_data"),
                                         t("chart.layer"), "‖∇W‖/‖W‖", log_y=True, labels=labels)
        chart(fig, "grad_to_data", key="grad_to_data_chart")
    with right:
        fig = plots.depth_profile_figure(latest, "layer_update_to_data", t("chart.update_to_data"),
                                         t("chart.layer"), "‖ΔW‖/‖W‖", log_y=True, labels=labels)
        chart(fig, "update_to_data", key="update_to_data_chart")


def response_caption(latest: dict[str, dict], labels: dict) -> None:
    """What the std chart shows, in numbers: each net's mean response std of its units' first and
    second 3×3 layers (in a ResNet the second is F(x) before the addition: v1 Fig. 7's "generally
    smaller" responses are there, the zigzag of the chart)."""
    parts = []
    for model, record in latest.items():
        pairs = plots.response_std_by_layer(record)
        if pairs:
            first, second = pairs
            parts.append(t("grad.std_pair", model=labels.get(model, model), first=f"{first:.2f}", second=f"{second:.2f}"))
    if parts:
        step = next(iter(latest.values())).get("step")
        st.caption(t("grad.std_caption", step=f"{step:,}" if step is not None else "?", nets="; ".join(parts)))


def watch_active(view: str) -> bool:
    """Runs in progress anywhere on this server, with a button to watch them (a closed tab's run).

    True when there are some (the offer is shown); a click makes them the page's group.
    """
    active = [r for r in context.store().list() if r.status in ACTIVE]
    if not active:
        return False
    st.info(t("live.others_running", n=len(active)), icon=":material/directions_run:")
    if st.button(t("live.watch"), key=f"watch_{view}"):
        st.session_state[f"{view}_group"] = [r.run_id for r in active]
        st.rerun()
    return True
