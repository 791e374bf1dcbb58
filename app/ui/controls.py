"""The controls the lab pages share: dataset (with the download), preset with its ETA, seeds."""

import streamlit as st

from resnet_edu import eta
from resnet_edu.background import BackgroundDownload

from . import context
from .i18n import formatter, t


@st.cache_resource(show_spinner=False)
def _download(data_dir: str) -> BackgroundDownload:
    return BackgroundDownload(data_dir)


def synthetic_banner() -> None:
    st.warning(t("data.synthetic_banner"), icon="🧪")


def dataset_picker(key: str) -> str:
    """'cifar10' when present and chosen, else 'synthetic' (said clearly, with a download button)."""
    present = context.cifar_present()
    options = ["cifar10", "synthetic"] if present else ["synthetic"]
    default = context.url_get("dataset", options[0])
    dataset = st.radio(t("data.label"), options, index=options.index(default) if default in options else 0,
                       format_func=formatter(lambda d: t(f"data.{d}"), options), horizontal=True, key=f"{key}_dataset")
    if not present:
        _download_panel()
    if dataset == "synthetic":
        synthetic_banner()
    return dataset


@st.fragment
def _download_panel() -> None:
    job = _download(str(context.data_dir()))
    st.info(t("data.cifar_missing", path=str(context.data_dir())), icon="📁")
    if job.running:
        st.progress(job.fraction(), text=t("data.downloading", mb=f"{job.done_bytes / 2**20:.0f}"))
        if st.button(t("data.refresh"), key="download_refresh"):
            st.rerun(scope="fragment")
    elif job.finished and job.error:
        st.error(t("data.download_failed", error=job.error), icon="⚠️")
    elif job.finished:
        st.success(t("data.download_done"))
        if st.button(t("data.use_cifar"), key="download_use"):
            st.rerun()
    if not job.running and st.button(t("data.download"), icon="⬇️", key="download_start"):
        job.start()
        st.rerun(scope="fragment")


def preset_picker(key: str) -> str:
    names = context.preset_names()
    default = context.url_get("preset", names[0])
    return st.selectbox(t("preset.label"), names, index=names.index(default) if default in names else 0,
                        format_func=formatter(lambda p: t(f"preset.{p}"), names), key=f"{key}_preset")


def seeds_input(key: str) -> int:
    default = context.url_get("seeds", "1")
    value = int(default) if default.isdigit() and 1 <= int(default) <= 5 else 1
    return int(st.number_input(t("seeds.label"), min_value=1, max_value=5, value=value, step=1,
                               help=t("seeds.help"), key=f"{key}_seeds"))


@st.cache_data(ttl=120, show_spinner=False)
def _measured_throughput(runs_dir: str, device_type: str) -> float | None:
    store = context.store()
    recent = [r for r in store.list() if r.status == "done"][:8]
    return eta.throughput_from_runs([(r.config, store.metrics(r.run_id)) for r in recent], device_type)


def show_eta(configs: list) -> None:
    """'About 3 min on this CPU (estimated from 2 past runs)': steps × per-step cost."""
    device_type, label = context.device_type()
    measured = _measured_throughput(str(context.runs_dir()), device_type)
    seconds = sum(eta.estimate_seconds(c, device_type, measured) for c in configs)
    source = t("eta.measured") if measured else t("eta.rough")
    steps = configs[0].steps if configs else 0
    st.caption(t("eta.line", eta=eta.format_duration(seconds), device=label, steps=f"{steps:,}",
                 runs=len(configs), source=source))
