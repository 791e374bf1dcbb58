"""What every page shares: the one job runner, the run store, the data folder, the URL state.

Environment (documented in app/README.md):
    RESNET_EDU_RUNS_DIR   the run store (default: data/runs under the repository)
    RESNET_EDU_DATA_DIR   where CIFAR-10 lives or is downloaded to (default: data/)
    RESNET_EDU_TEST_TINY  1: offer the "tiny" preset (a few steps, narrow nets; config.py) for tests
    RESNET_EDU_TINY_STEPS steps of a tiny run (default: the preset's)
    RESNET_EDU_TRAIN_IN_THREAD 1: train in a thread of the server, not a child process (AppTest)
    RESNET_EDU_REMOTE_CONTROL  1: sessions from other machines may start, stop and delete runs
                          (default: they are viewers; see README "Safety")
"""

import os
import threading
import time
from pathlib import Path

import streamlit as st

from resnet_edu.training.config import PRESETS, RunConfig, preset, with_probes
from resnet_edu.data import find_batches_dir
from resnet_edu.training.device import device_label, pick_device
from resnet_edu.runs.jobs import JobRunner
from resnet_edu.runs.store import RunStore

from .i18n import t

ROOT = Path(__file__).resolve().parents[2]
PAGE_OBJECTS: dict = {}  # url path -> st.Page, set by the router on every run (for st.page_link)


def runs_dir() -> Path:
    return Path(os.environ.get("RESNET_EDU_RUNS_DIR") or ROOT / "data" / "runs")


def data_dir() -> Path:
    return Path(os.environ.get("RESNET_EDU_DATA_DIR") or ROOT / "data")


def tiny_mode() -> bool:
    return os.environ.get("RESNET_EDU_TEST_TINY", "") not in ("", "0", "false")


@st.cache_resource(show_spinner=False)
def _runner(root: str) -> JobRunner:
    # One per server process and runs folder: every session and tab shares it. Each run trains
    # in a child process, so page renders never hold its interpreter lock (README "Safety").
    in_thread = os.environ.get("RESNET_EDU_TRAIN_IN_THREAD", "") not in ("", "0", "false")
    return JobRunner(RunStore(root), max_parallel=1, isolate=not in_thread)


POLL_SECONDS = 1.5  # a live view's refresh with one session watching
POLL_MAX_SECONDS = 20.0


@st.cache_resource(show_spinner=False)
def _watchers() -> tuple[dict, threading.Lock]:
    return {}, threading.Lock()  # session id -> when it last polled (shared by every session)


def poll_seconds() -> float:
    """How often a live view refreshes: slower as more sessions watch, so that 20 students
    polling cost the server about what 2 do (each refresh re-reads and re-draws the charts),
    and the training keeps its cores."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    seen, lock = _watchers()
    now, ctx = time.time(), get_script_run_ctx()
    with lock:
        if ctx is not None:
            seen[ctx.session_id] = now
        for sid in [s for s, at in seen.items() if now - at > 60]:
            del seen[sid]
        watching = len(seen)
    return min(POLL_MAX_SECONDS, POLL_SECONDS * max(1.0, watching / 2))


def runner() -> JobRunner:
    shared = _runner(str(runs_dir()))
    return _ViewerRunner(shared) if viewer() else shared


def viewer() -> bool:
    """A session from another machine (a server shared on purpose) watches; it cannot change runs.

    Streamlit gives no IP for a session from this machine. The address is a convenience,
    not authentication: a server that must be safe stays on 127.0.0.1 (the default).
    """
    if os.environ.get("RESNET_EDU_REMOTE_CONTROL", "") not in ("", "0", "false"):
        return False
    ip = getattr(st.context, "ip_address", None)
    return isinstance(ip, str) and ip not in ("", *LOOPBACK)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def exposed_address() -> str | None:
    """The address this server listens on when other machines can reach it and nobody said so.

    Unset (`streamlit run app/main.py` outside the checkout, where .streamlit/config.toml is not
    read) means every interface. `python -m resnet_edu app --host ...` names the address on
    purpose (RESNET_EDU_SHARED): then it is no surprise and this returns None.
    """
    address = st.get_option("server.address") or "0.0.0.0"
    if address in LOOPBACK or os.environ.get("RESNET_EDU_SHARED"):
        return None
    return address


def viewer_guard() -> dict:
    """A start / download button's `disabled` and `help`: a viewer's is off, and says why."""
    off = viewer()
    return dict(disabled=off, help=t("viewer.note") if off else None)


class ViewerRefused(ValueError):
    """A viewer asked to change a run; pages show t("viewer.note") for it, not this English line."""


class _ViewerRunner:
    """The shared runner for a viewer: it reads everything, and refuses to start, stop or resume."""

    def __init__(self, inner: JobRunner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def _refuse(self, *args, **kwargs):
        # The pages disable these buttons for a viewer; this is the guard behind them.
        raise ViewerRefused("viewer mode: only the machine this server runs on can start, stop or resume runs"
                            " (RESNET_EDU_REMOTE_CONTROL=1 on the server allows it)")

    submit = resume = stop = _refuse


def store() -> RunStore:
    return runner().store


@st.cache_resource(show_spinner=False)
def device_type() -> tuple[str, str]:
    device = pick_device("auto")
    return device.type, device_label(device)


def cifar_present() -> bool:
    return find_batches_dir(data_dir()) is not None


def preset_names() -> list[str]:
    """The presets a user may pick: tiny (first) only in test mode."""
    others = [name for name in PRESETS if name != "tiny"]
    return (["tiny"] if tiny_mode() else []) + others


def make_config(preset_name: str, models: tuple[str, ...], dataset: str, seed: int = 0,
                probe_every: int = 0, seeds: int = 1) -> RunConfig:
    """A validated config for the lab pages (ValueError with one line when it cannot run).

    seeds > 1: one run trains every model with seeds 0..seeds-1 (RunConfig.seeds), the
    same-architecture members stacked into one computation, instead of one run per seed.
    """
    common = dict(models=tuple(models), dataset=dataset, data_dir=str(data_dir()), seed=seed)
    if seeds > 1:
        common["seeds"] = tuple(range(seeds))
    if preset_name == "tiny" and os.environ.get("RESNET_EDU_TINY_STEPS"):
        common["steps"] = int(os.environ["RESNET_EDU_TINY_STEPS"])
    config = preset(preset_name, **common)
    if probe_every:
        config = with_probes(config)
    config.validate()
    return config


# -- the URL holds the view: page, models, preset, dataset, language, runs ---------------------
def url_get(name: str, default: str = "") -> str:
    return st.query_params.get(name, default)


def url_list(name: str, default: list[str]) -> list[str]:
    """A list in the URL, ';'-separated (model entries hold commas: 'resnet56:shortcut=B,span=3')."""
    raw = st.query_params.get(name, "")
    return [v for v in raw.split(";") if v] or list(default)


def url_set(**values) -> None:
    for key, value in values.items():
        text = ";".join(value) if isinstance(value, (list, tuple)) else str(value)
        if text:
            if st.query_params.get(key) != text:
                st.query_params[key] = text
        elif key in st.query_params:
            del st.query_params[key]
