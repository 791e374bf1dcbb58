"""The job runner: training in worker threads, never inside a web page's script run.

One runner per server process (the app holds it in `st.cache_resource`). Runs are queued
and trained `max_parallel` at a time (1 by default: two runs on one device only slow
each other down). Workers never call Streamlit; they write to the run store, and pages
poll the store. Closing a tab or clicking a widget does not touch a run; only `stop` does.

With `isolate=True` (the app) a worker trains each run in a child process
(`python -m resnet_edu.runs.worker`): the pages that 20 students poll then never hold the
training's interpreter lock, which slowed a run several times over when it trained in a
thread of the web server. Without it (tests, notebooks) the run trains in the thread.
"""

import collections
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback

import torch

from ..training.config import RunConfig
from ..training import budget
from ..training.device import pick_cpu_threads, pick_device
from .store import ACTIVE, RunBusy, RunStore

RESUMABLE = ("stopped", "interrupted", "failed")


class JobRunner:
    def __init__(self, store: RunStore, max_parallel: int = 1, cpu_threads: int | None = None,
                 isolate: bool = False):
        self.store = store
        self.isolate = isolate  # train in a child process (see the module docstring)
        self._queue: collections.deque[tuple[str, bool]] = collections.deque()  # (run_id, resume)
        self._live: dict[str, object] = {}  # run_id -> Trainer, while it trains (None while it is built)
        self._stopping: set[str] = set()  # stop asked before the trainer existed
        self.errors: dict[str, str] = {}  # run_id -> why it failed, when even that could not be written
        self._cond = threading.Condition()
        # Several users on a 2-core laptop: one run at a time, using the cores it is given.
        pick_cpu_threads(cpu_threads)  # never more than the free cores, nor cpu_threads
        self._adopt_orphans()
        self._workers = [threading.Thread(target=self._work, name=f"resnet-edu-worker-{i}", daemon=True)
                         for i in range(max_parallel)]
        for w in self._workers:
            w.start()

    # -- what pages call ---------------------------------------------------------------------
    def submit(self, config: RunConfig, label: str = "") -> str:
        """Queue a new run; returns its id at once. Invalid configs raise ValueError here."""
        config.validate()
        budget.check(config, pick_device(config.device))  # a run that cannot fit is refused here, in one line
        run_id = self.store.create(config, label)
        with self._cond:
            self._queue.append((run_id, False))
            self._cond.notify()
        return run_id

    def resume(self, run_id: str) -> None:
        """Queue a stopped or interrupted run to continue from its checkpoint (once, however often asked)."""
        self.store.check_writable(run_id)  # a linked file: refused here, before it is queued
        if not (self.store.path(run_id) / "checkpoint.pt").exists():
            raise ValueError("this run has no checkpoint to resume from (it stopped before its first save)")
        with self._cond:  # the check and the enqueue under one lock: two clicks queue it once
            if run_id in self._live or any(rid == run_id for rid, _ in self._queue):
                return
            status = self.store.status(run_id)
            if status.get("status") in ACTIVE and self.store.owner_alive(run_id, status):
                raise RunBusy(f"run {run_id} is already being trained (pid {status.get('pid', '?')})")
            self.store.set_status(run_id, "queued", message="resuming")
            self._queue.append((run_id, True))
            self._cond.notify()

    def stop(self, run_id: str) -> float | None:
        """Stop a run: a queued one leaves the queue, a training one saves and ends after its step.

        Whoever trains it: a run this runner does not know (the CLI's, another server's) gets a
        stop request in its folder, which its trainer honours at its next step. Returns when the
        request was sent (None for a run that left this runner's queue at once).
        """
        with self._cond:
            for item in list(self._queue):
                if item[0] == run_id:
                    self._queue.remove(item)
                    self.store.set_status(run_id, "stopped", message="stopped before it started")
                    return None
            trainer = self._live.get(run_id)
            if trainer is None and run_id in self._live:
                self._stopping.add(run_id)  # still building: the worker stops it once built
        sent = self.store.request_stop(run_id)  # read by any trainer of this run, in any process
        if trainer is not None:
            trainer.request_stop()
        return sent

    def is_live(self, run_id: str) -> bool:
        with self._cond:
            return run_id in self._live

    def queue_position(self, run_id: str) -> int | None:
        """0 for the next run to start, None when not queued."""
        with self._cond:
            for i, (rid, _) in enumerate(self._queue):
                if rid == run_id:
                    return i
        return None

    def busy(self) -> bool:
        with self._cond:
            return bool(self._queue or self._live)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or training (tests and scripts)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._live, timeout)

    # -- the workers -----------------------------------------------------------------------
    def _work(self) -> None:
        while True:  # nothing below may end this loop: it is the server's only worker
            with self._cond:
                self._cond.wait_for(lambda: self._queue)
                run_id, resume = self._queue.popleft()
                self._live[run_id] = None  # claimed: stop() now waits for the trainer
            try:
                if self.isolate:
                    self._train_in_child(run_id, resume)
                else:
                    with self.store.lock(run_id):  # a CLI resuming the same run waits its turn
                        self._train(run_id, resume)
            except RunBusy as err:  # another process trains it: its status is that process's to write
                self.errors[run_id] = str(err)
                _unqueue(self.store, run_id, str(err))
            except BaseException as err:  # noqa: BLE001 (a failing handler must not kill the worker)
                _report(f"run {run_id}: {_explain(err)}")
                _unqueue(self.store, run_id, _explain(err))  # never left "queued" by a live server
            finally:
                with self._cond:
                    self._live.pop(run_id, None)
                    self._stopping.discard(run_id)
                    self._cond.notify_all()

    def _train(self, run_id: str, resume: bool) -> None:
        def built(trainer):
            with self._cond:
                self._live[run_id] = trainer
                if run_id in self._stopping:
                    trainer.request_stop()
        try:
            train_run(self.store, run_id, resume, built)
        except Exception as err:  # the run fails, the server and the other runs go on
            self._fail(run_id, err)

    def _train_in_child(self, run_id: str, resume: bool) -> None:
        """The same run in `python -m resnet_edu.runs.worker`; it writes the store, this thread waits."""
        cmd = [sys.executable, "-m", "resnet_edu.runs.worker", str(self.store.root), run_id,
               "--threads", str(torch.get_num_threads()), "--parent", str(os.getpid())] + \
            (["--resume"] if resume else [])
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
            with self._cond:
                self._live[run_id] = _Child(proc)
                if run_id in self._stopping:
                    self._live[run_id].request_stop()
            code = proc.wait()
            log.seek(0)
            tail = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        if code == worker_busy_code():
            raise RunBusy(tail[-1] if tail else f"run {run_id} is being trained by another process")
        if self.store.status(run_id).get("status") in ACTIVE:  # killed before it could say so (e.g. OOM)
            why = tail[-1] if tail else f"exit code {code}"
            self._fail(run_id, RuntimeError(f"the training process ended unexpectedly ({why})"))

    def _fail(self, run_id: str, err: Exception) -> None:
        self.errors[run_id] = fail_run(self.store, run_id, err)

    def _adopt_orphans(self) -> None:
        """Runs left 'queued' or 'running' by a process that is gone are marked 'interrupted' (by listing)."""
        self.store.list()


class _Child:
    """A run training in a child process; stop() asks it to save and end (SIGTERM, handled)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc

    def request_stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)


def train_run(store: RunStore, run_id: str, resume: bool, built=lambda trainer: None) -> None:
    """Train one queued run of `store` (the caller holds its lock); `built(trainer)` once it exists."""
    from ..training.trainer import Trainer
    config = store.config(run_id)
    store.set_status(run_id, "running", message="preparing data and models")
    trainer = Trainer(config, run_dir=store.path(run_id), resume=resume)
    if resume:
        store.rewind(run_id, trainer.step)  # the steps after the checkpoint are logged again
    built(trainer)
    for _ in store.record(run_id, trainer.run()):
        pass


def fail_run(store: RunStore, run_id: str, err: BaseException) -> str:
    """Say why a run failed, in its status and its metrics; if the disk refuses even that, on stderr."""
    why = _explain(err)
    try:
        store.set_status(run_id, "failed", message=why)
        store.append(run_id, {"kind": "status", "model": "*", "step": -1, "status": "failed",
                              "message": why, "trace": traceback.format_exc()[-2000:]})
    except Exception as again:  # disk full: the status may stay stale; the runner keeps errors[]
        _report(f"run {run_id} failed ({why}), and recording that failed too: {_explain(again)}")
    return why


def worker_busy_code() -> int:
    return 3  # the child's exit code when another process holds the run's lock


def _unqueue(store: RunStore, run_id: str, why: str) -> None:
    """Our 'queued' must not stay on a run another process took: it would never leave the queue."""
    try:
        status = store.status(run_id)
        if status.get("status") == "queued" and status.get("pid") == os.getpid():
            store.set_status(run_id, "interrupted", message=why)
    except Exception as err:  # noqa: BLE001
        _report(f"run {run_id}: {_explain(err)}")


def _report(text: str) -> None:
    try:
        print(f"resnet_edu job runner: {text}", file=sys.stderr)
    except Exception:  # noqa: BLE001 (stderr closed: nothing more to do)
        pass


def _explain(err: Exception) -> str:
    """One line a person can act on."""
    text = str(err) or type(err).__name__
    if isinstance(err, torch.OutOfMemoryError) or "out of memory" in text.lower():
        return "out of memory: try a smaller batch size, fewer models at once, or a shallower net"
    if type(err).__name__ == "DataUnavailable":
        return text
    return f"{type(err).__name__}: {text}"
