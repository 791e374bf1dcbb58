"""The controls the lab pages share: dataset (with the download), preset with its ETA, seeds."""

import time

import streamlit as st
import torch

from resnet_edu.runs import eta
from resnet_edu.runs.background import BackgroundDownload

from . import context, live
from .i18n import formatter, lkey, rough_duration, t


@st.cache_resource(show_spinner=False)
def _download(data_dir: str) -> BackgroundDownload:
    return BackgroundDownload(data_dir)


def synthetic_banner() -> None:
    st.warning(t("data.synthetic_banner"), icon=":material/science:")


def dataset_picker(key: str) -> str:
    """'cifar10' when present and chosen, else 'synthetic'. Call `dataset_notes` below the row."""
    options = ["cifar10", "synthetic"] if context.cifar_present() else ["synthetic"]
    default = context.url_get("dataset", options[0])
    return st.radio(t("data.label"), options, index=options.index(default) if default in options else 0,
                    format_func=formatter(lambda d: t(f"data.{d}"), options), horizontal=True,
                    key=lkey(f"{key}_dataset"))


def dataset_notes(dataset: str) -> None:
    """The SYNTHETIC banner, and where CIFAR-10 is missing, a folded panel to download it."""
    if dataset == "synthetic":
        synthetic_banner()
    if not context.cifar_present():
        with st.expander(t("data.get_cifar"), icon=":material/download:"):
            _download_panel()


def _download_panel() -> None:
    job = _download(str(context.data_dir()))
    st.fragment(_download_body, run_every=1.0 if job.running else None)(job)


def _download_body(job: BackgroundDownload) -> None:
    """Polls the background download (a top-level fragment: never called from another one)."""
    st.info(t("data.cifar_missing", path=str(context.data_dir())), icon=":material/folder_off:")
    if job.running:
        st.progress(job.fraction(), text=t("data.downloading", mb=f"{job.done_bytes / 2**20:.0f}"))
    elif job.finished and job.error:
        # The message's own full stop would meet the sentence's: "... offline.."
        st.error(t("data.download_failed", error=str(job.error).rstrip(" .。")), icon=":material/warning:")
    elif job.finished:
        st.success(t("data.download_done"))
        if st.button(t("data.use_cifar"), key="download_use"):
            st.rerun()
    # A viewer (another machine on a shared server) may not make the server write ~163 MiB to its disk.
    if not job.running and st.button(t("data.download"), icon=":material/download:", key="download_start",
                                     **context.viewer_guard()):
        job.start()
        st.rerun()  # the whole page, so the panel comes back with its timer on


def preset_picker(key: str) -> str:
    names = context.preset_names()
    # The classroom demo in a minute or two on a GPU; the quick preset on a laptop.
    first = "classroom" if context.device_type()[0] == "cuda" and names[0] != "tiny" else names[0]
    default = context.url_get("preset", first)
    return st.selectbox(t("preset.label"), names, index=names.index(default) if default in names else 0,
                        format_func=formatter(lambda p: t(f"preset.{p}"), names), key=lkey(f"{key}_preset"))


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


@st.cache_data(ttl=10, show_spinner=False)
def _current_throughput(runs_dir: str) -> float | None:
    """The machine's speed now: the newest run's last few logs, if it trained in the last 5 minutes."""
    store = context.store()
    for r in store.list()[:3]:
        events = store.metrics(r.run_id)
        stamps = [e["time"] for e in events if isinstance(e.get("time"), (int, float))]
        if stamps and time.time() - max(stamps) < 300:
            return eta.throughput_now(r.config, events)
    return None


def device_name() -> str:
    """The device in the current language: 'CPU (1 thread)', 'CPU（1 个线程）', or the GPU's name."""
    kind, label = context.device_type()
    return t("device.cpu", n=live.threads_label()) if kind == "cpu" else label


@st.cache_data(ttl=30, show_spinner=False)
def _probed_throughput(threads: int) -> float:
    """The CPU's speed this half-minute: a 0.3 s convolution timing, scaled to a training step's rate."""
    return eta.probe_throughput(0.3) * eta.CONV_TO_TRAINING


ETA_SOURCES = ("rough", "measured", "probed", "current")  # worst to best
ETA_KEEP_S = 600  # an estimate stands this long for the same run settings, unless a better source comes


def show_eta(configs: list) -> None:
    """'About 3 min on this CPU, 1 thread (at the speed of the run going now)': steps × per-step cost.

    The same settings keep the same estimate for a while (ETA_KEEP_S) unless a better source
    appears: a 0.3 s timing on a shared CPU swings from one page run to the next, and an estimate
    that jumps from 3 to 9 min for the same nets is not one a teacher can read out.
    """
    device_type, label = context.device_type()[0], device_name()
    # The machine's speed now: the latest run's last steps, else (CPU) a short timing made now;
    # past runs, whatever the load was then, only where neither is there (a GPU's first run).
    now = _current_throughput(str(context.runs_dir()))
    probed = _probed_throughput(torch.get_num_threads()) if not now and device_type == "cpu" else None
    measured = now or probed or _measured_throughput(str(context.runs_dir()), device_type)
    source = "current" if now else "probed" if probed else "measured" if measured else "rough"
    seconds = sum(eta.estimate_seconds(c, device_type, measured) for c in configs)
    kept = st.session_state.setdefault("eta_kept", {})
    key = repr([c.to_dict() if hasattr(c, "to_dict") else c for c in configs])
    held = kept.get(key)
    if held and time.time() - held[2] < ETA_KEEP_S and ETA_SOURCES.index(held[1]) >= ETA_SOURCES.index(source):
        seconds, source = held[0], held[1]
    else:
        kept[key] = (seconds, source, time.time())
    steps = configs[0].steps if configs else 0
    n = sum(len(c.members()) for c in configs)  # models x seeds, all in lockstep
    nets = t("eta.net_one") if n == 1 else t("eta.nets", n=n)
    st.caption(t("eta.line", eta=rough_duration(seconds), device=label, steps=f"{steps:,}",
                 nets=nets, source=t(f"eta.{source}")))
