"""The run store: one folder per run under data/runs/, readable while the run is going.

    data/runs/<run_id>/
        config.json     the RunConfig, a label, when it was created
        metrics.jsonl   one event per line (Metrics and Status .to_dict()), appended live
        status.json     {"status", "step", "steps", "message", "updated", "pid"}, replaced atomically
        checkpoint.pt   written by the Trainer (tensors and plain values only; loaded weights_only)
        stop            a stop request from any process (the Runs page), honoured at the next step
        .lock           held (flock) by the one process that trains the run

Writers are the CLI and the app's worker threads; readers are the app's pages, which poll.
A run folder survives a server restart; a run whose status says "running" but whose lock
no live process holds is shown as "interrupted" (checked at every listing) and can be
resumed from its checkpoint. Run folders may be copied between machines, so every file is
read as untrusted (runs/files.py: bounded, no links or FIFOs; runs/schema.py: every field's
type and range): a malformed run is listed as unreadable, never breaks the others, and
nothing is ever written outside its folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..training.config import RunConfig, resolve_precision
from ..training.trainer import STOP_FILE
from . import files, schema

try:
    import fcntl
except ImportError:  # Windows: no flock; ownership falls back to pid and heartbeat
    fcntl = None

ACTIVE = ("queued", "running")
# A reader's probe of a run's lock lasts microseconds; a trainer holds it for the whole run.
LOCK_WAIT_S = 2.0

STATUSES = schema.STATUSES
HEARTBEAT_S = 600  # without flock: a "running" run silent this long has no owner
MAX_JSON = 64 * 1024  # bytes of config.json or status.json (a real one is about 1 KiB)
MAX_LINE = 64 * 1024  # bytes of one metrics line (a resnet110 line with probes is about 20 KiB)
# The files a run folder holds: any of them a link or a special file makes the folder unreadable,
# and a trainer refuses it (its writes could otherwise land outside the store).
RUN_FILES = ("config.json", "status.json", "metrics.jsonl", "checkpoint.pt", ".lock", STOP_FILE)
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[a-z0-9_.-]{1,80}$")


class RunBusy(ValueError):
    """Another process or thread is training this run."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    label: str
    config: RunConfig
    status: str
    step: int
    created: float
    message: str
    diverged: tuple[str, ...] = ()  # models of the run that diverged


@dataclass(frozen=True)
class Unreadable:
    """A run folder that cannot be read: shown with its reason and a Delete button."""

    run_id: str
    reason: str  # "config.json: not valid JSON (line 1)"


class RunStore:
    """Runs on disk. Thread-safe within a process; each run has one writer at a time (its lock)."""

    def __init__(self, root: str | os.PathLike = "data/runs"):
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"the run store {self.root} is a file, not a folder: give a folder")
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Shared by every session of a server: parsed configs and metric lines read so far.
        self._configs: dict[str, tuple[tuple, object]] = {}  # run_id -> (file stamp, (RunConfig, meta) or error)
        self._metrics: dict[str, _MetricsCache] = {}

    # -- writing ---------------------------------------------------------------------------
    def create(self, config: RunConfig, label: str = "") -> str:
        """A new run folder with its config; status 'queued'. Returns the run id."""
        config = resolve_precision(config)  # the config records the precision the run trains in
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^a-z0-9_.-]+", "-", "-".join(m.split(":")[0] for m in config.models).lower())[:60]
        with self._lock:
            for k in range(1000):
                run_id = f"{stamp}-{slug}" + (f"-{k}" if k else "")
                path = self.root / run_id
                try:
                    path.mkdir(parents=True)
                    break
                except FileExistsError:
                    continue
        self._write_json(path, "config.json", {"config": config.to_dict(), "label": (label or slug)[:200],
                                               "created": time.time()})
        files.append(path, "metrics.jsonl", b"")
        self.set_status(run_id, "queued", step=0, steps=config.steps)
        return run_id

    def update_config(self, run_id: str, config: RunConfig) -> None:
        """A resumed run with more steps: config.json says so (its label and creation time kept)."""
        meta = files.read_json(self.path(run_id), "config.json", MAX_JSON, schema.CONFIG_DEPTH)
        self._write_json(self.path(run_id), "config.json", {**meta, "config": config.to_dict()})

    def append(self, run_id: str, event) -> None:
        """Append one event (anything with to_dict) as a JSON line; never through a link."""
        event = event.to_dict() if hasattr(event, "to_dict") else event
        line = json.dumps(event, allow_nan=True).encode("utf-8")
        if len(line) > MAX_LINE and "probes" in event:  # a very deep net's probes: keep the metrics
            line = json.dumps({**{k: v for k, v in event.items() if k != "probes"}, "probes_dropped": True},
                              allow_nan=True).encode("utf-8")
        with self._lock:
            files.append(self.path(run_id), "metrics.jsonl", line + b"\n")

    def set_status(self, run_id: str, status: str, **info) -> None:
        old = self.status(run_id)
        old = {} if old.get("status") == "unknown" else old
        new = {**old, **info, "status": status, "updated": time.time(), "pid": os.getpid()}
        self._write_json(self.path(run_id), "status.json", new)

    def record(self, run_id: str, events: Iterable) -> Iterator:
        """Pass events through, writing each to the run and keeping status.json current."""
        diverged = list(self.status(run_id).get("diverged") or [])
        for event in events:
            # Wall-clock seconds on each line: the app reads "N s after start" from them.
            self.append(run_id, {**event.to_dict(), "time": round(time.time(), 3)})
            if getattr(event, "kind", "") == "status" and event.model == "*":
                extra = self._stop_taken(run_id) if event.status == "stopped" else {}
                self.set_status(run_id, event.status, step=event.step, message=event.message,
                                diverged=diverged, **extra)
            elif getattr(event, "kind", "") == "status" and event.status == "diverged":
                diverged.append(event.model)
                self.set_status(run_id, "running", step=event.step, diverged=diverged)
            elif getattr(event, "kind", "") == "metrics":
                self.set_status(run_id, "running", step=event.step)
            yield event

    def rewind(self, run_id: str, step: int) -> None:
        """Drop the events after `step` (a run resumed from a checkpoint at `step` logs them again)."""
        if not schema.is_int(step):
            raise ValueError(f"cannot rewind run {run_id} to step {step!r}")
        reader = files.LineReader(MAX_LINE)
        kept = [line + b"\n" for line in reader.read(self.path(run_id), "metrics.jsonl")
                if _step_of(line) <= step]
        with self._lock:
            files.replace(self.path(run_id), "metrics.jsonl", b"".join(kept))
            self._metrics.pop(run_id, None)
        status = self.status(run_id)
        if isinstance(status.get("step"), int) and status["step"] > step:
            self.set_status(run_id, status.get("status", "interrupted"), step=step)

    def delete(self, run_id: str) -> None:
        path = self.path(run_id)
        if path.is_symlink():  # a planted link: remove the link, never what it points to
            path.unlink()
        else:
            shutil.rmtree(path)
        with self._lock:
            self._metrics.pop(run_id, None)
            self._configs.pop(run_id, None)

    # -- stopping a run that any process trains ------------------------------------------------
    def request_stop(self, run_id: str) -> float:
        """Ask whoever trains the run (this server, another one, the CLI) to save and stop; returns when."""
        at = time.time()
        files.replace(self.path(run_id), STOP_FILE, json.dumps({"at": at, "pid": os.getpid()}).encode())
        return at

    def stop_requested(self, run_id: str) -> float | None:
        """When a stop request still waiting for the trainer was sent (Unix s), or None."""
        try:
            at = files.read_json(self.path(run_id), STOP_FILE, 1024, 1).get("at")
        except (ValueError, OSError, AttributeError):
            return None
        return at if schema.is_time(at) else None

    def _stop_taken(self, run_id: str) -> dict:
        """The stop request the run honoured (status fields), and the request removed."""
        at = self.stop_requested(run_id)
        self._clear_stop(run_id)
        return {"stop_requested": at, "stop_taken": time.time()} if at is not None else {}

    def _clear_stop(self, run_id: str) -> None:
        with contextlib.suppress(OSError):
            (self.path(run_id) / STOP_FILE).unlink()

    @contextlib.contextmanager
    def lock(self, run_id: str, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
        """Hold the run's lock while training it: a second trainer (CLI or server) gets RunBusy.

        The lock is an flock on `.lock`: the kernel drops it when its process dies, even by
        kill -9, so a held lock means a live owner. Readers probe it too (`owner_alive`, for a
        few microseconds, at every listing), so a trainer retries for `wait_s` seconds before
        it concludes that another trainer holds it. A folder with a link or special file among
        its files is refused (ValueError): training it could write outside the store. Stale
        temporary files of a killed writer, and a stop request of an earlier session, are
        removed once the lock is ours.
        """
        self.check_writable(run_id)
        path = self.path(run_id)
        if fcntl is None:
            yield
            return
        fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise RunBusy(f"run {run_id} is being trained by another process or thread "
                                      f"(pid {self.status(run_id).get('pid', '?')}); wait for it or stop it") from None
                    time.sleep(0.02)
            for stale in path.glob(".*.tmp"):  # checkpoint.save_atomic's and files.replace's
                stale.unlink(missing_ok=True)
            self._clear_stop(run_id)  # a request to an earlier session of this run is not one to this
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def check_writable(self, run_id: str) -> None:
        """ValueError when the run folder, or one of its files, is a link or a special file."""
        path = self.path(run_id)
        if path.is_symlink() or files.refused(path, RUN_FILES):
            raise ValueError(f"run {run_id} is refused: {', '.join(files.refused(path, RUN_FILES)) or 'its folder'} "
                             f"is a link or a special file, and writing there could leave the run folder")

    def owner_alive(self, run_id: str, status: dict | None = None) -> bool:
        """Is a live process training (or about to train) this run?"""
        status = self.status(run_id) if status is None else status
        if fcntl is not None:
            if self._locked(run_id):
                return True
            # Not locked: only a queued run, waiting in a live server's queue, has an owner.
            return status.get("status") == "queued" and _pid_alive(status.get("pid"))
        updated = status.get("updated")
        fresh = isinstance(updated, (int, float)) and time.time() - updated < HEARTBEAT_S
        return _pid_alive(status.get("pid")) and (fresh or status.get("status") == "queued")

    def _locked(self, run_id: str) -> bool:
        try:
            with files.folder(self.path(run_id)) as dfd:
                flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                fd = os.open(".lock", flags, 0o600, dir_fd=dfd) if dfd is not None else \
                    os.open(self.path(run_id) / ".lock", flags, 0o600)
        except (OSError, ValueError):
            return False
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return False
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    # -- reading ---------------------------------------------------------------------------
    def path(self, run_id: str) -> Path:
        if not isinstance(run_id, str) or not _ID.match(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.root / run_id

    def exists(self, run_id: str) -> bool:
        return isinstance(run_id, str) and bool(_ID.match(run_id)) and os.path.lexists(self.root / run_id / "config.json")

    def readable(self, run_id: str) -> bool:
        """The run exists and its config.json can be read (its status may still be odd)."""
        return self.exists(run_id) and not isinstance(self._config(run_id), str)

    def config(self, run_id: str) -> RunConfig:
        """The run's config; ValueError with the file and the reason when it cannot be read."""
        got = self._config(run_id)
        if isinstance(got, str):
            raise ValueError(f"run {run_id} is unreadable: {got}")
        return got[0]

    def _config(self, run_id: str):
        """(RunConfig, meta), or the reason it cannot be read (a string); cached until the file changes."""
        path = self.path(run_id)
        try:
            st = os.lstat(path / "config.json")
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode)
        except OSError as err:
            return f"config.json: {err.strerror or 'cannot be read'}"
        cached = self._configs.get(run_id)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            meta = files.read_json(path, "config.json", MAX_JSON, schema.CONFIG_DEPTH)
            problem = schema.meta_problem(meta)
            if problem:
                raise ValueError(problem)
            config = RunConfig.from_dict(meta["config"])
            config.validate()
            result = (config, meta)
        except Exception as err:  # noqa: BLE001 (anything in one folder is that folder's row, never the page's)
            result = f"config.json: {_reason(err)}"
        self._configs[run_id] = (stamp, result)
        return result

    def status(self, run_id: str) -> dict:
        """status.json checked field by field; {"status": "unknown", "step": 0, "problem": why} otherwise."""
        got = self._status(run_id)
        return {"status": "unknown", "step": 0, "problem": got} if isinstance(got, str) else got

    def _status(self, run_id: str) -> dict | str:
        try:
            st = files.read_json(self.path(run_id), "status.json", MAX_JSON, schema.STATUS_DEPTH)
        except (ValueError, OSError) as err:
            return _reason(err)
        problem = schema.status_problem(st)
        if problem:
            return problem
        st.setdefault("step", 0)
        return st

    def metrics(self, run_id: str) -> list[dict]:
        """Every complete, well-formed line so far (a line being written is skipped, not an error).

        Incremental: only the bytes added since the last call are read and parsed, in bounded
        chunks, and the cache is shared by every page and session of this process (20 students
        polling one run read each new line once, not 20 times the whole file). A line longer
        than MAX_LINE is skipped without being kept (`skipped_lines` counts them); a refused
        file (a link, a FIFO) reads as no events.
        """
        with self._lock:
            cache = self._metrics.setdefault(run_id, _MetricsCache())
        with cache.lock:
            restarts = cache.reader.restarts
            try:
                lines = cache.reader.read(self.path(run_id), "metrics.jsonl")
            except (ValueError, OSError):
                cache.reset()
                return []
            if cache.reader.restarts != restarts:  # rewound or replaced: the reader started over
                cache.events = []
            for line in lines:
                event = _event(line)
                if event is not None:
                    cache.events.append(event)
            return list(cache.events)

    def metrics_version(self, run_id: str) -> tuple:
        """What identifies the metrics read so far (file, bytes): a key for caches of derived tables."""
        cache = self._metrics.get(run_id)
        return (run_id,) if cache is None else (run_id, cache.reader.file, cache.reader.offset)

    def skipped_lines(self, run_id: str) -> int:
        cache = self._metrics.get(run_id)
        return 0 if cache is None else cache.reader.skipped

    def list(self) -> list[RunInfo]:
        """All readable runs, newest first. Runs whose owner died are marked 'interrupted' here."""
        return self.scan()[0]

    def unreadable(self) -> list[Unreadable]:
        return self.scan()[1]

    def scan(self) -> tuple[list[RunInfo], list[Unreadable]]:
        runs, broken = [], []
        try:
            folders = sorted(self.root.iterdir())
        except OSError:
            return [], []
        for path in folders:
            if not _ID.match(path.name):
                continue
            try:
                got = self._scan_one(path)
            except Exception as err:  # noqa: BLE001 (one folder's surprise is its own row)
                got = f"{_reason(err)}"
            if isinstance(got, RunInfo):
                runs.append(got)
            elif got:
                broken.append(Unreadable(path.name, got))
        runs.sort(key=lambda r: r.created, reverse=True)
        return runs, broken

    def _scan_one(self, path: Path) -> RunInfo | str:
        """One folder as a RunInfo, or why it is unreadable ("" for what is not a run folder)."""
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            return "the run folder is a symlink (links are never followed)"
        if not stat.S_ISDIR(info.st_mode):
            return ""
        refused = files.refused(path, RUN_FILES)
        if refused:
            return "; ".join(f"{name}: {why}" for name, why in refused.items())
        got = self._config(path.name)
        if isinstance(got, str):
            return got
        st = self._status(path.name)
        if isinstance(st, str):
            return f"status.json: {st}"
        if st["status"] in ACTIVE and not self.owner_alive(path.name, st):
            st = self._interrupt(path.name) or st
        config, meta = got
        label = meta.get("label") or path.name
        diverged = tuple(st.get("diverged") or ())
        return RunInfo(path.name, label, config, st["status"], st["step"], float(meta.get("created", 0.0)),
                       str(st.get("message", "")), diverged)

    def _interrupt(self, run_id: str) -> dict | None:
        """Mark a run whose owner is gone 'interrupted'; under its lock, so a live owner is never overwritten."""
        try:
            with self.lock(run_id, wait_s=0):  # held: an owner is alive after all, leave it alone
                st = self.status(run_id)
                if st.get("status") not in ACTIVE or (st.get("status") == "queued" and _pid_alive(st.get("pid"))):
                    return st
                resumable = (self.path(run_id) / "checkpoint.pt").exists()
                self.set_status(run_id, "interrupted",
                                message="its process stopped while this run was going; " +
                                ("resume it" if resumable else "it had saved no checkpoint yet"))
                return self.status(run_id)
        except (ValueError, OSError):  # RunBusy, a refused folder
            return None

    # -- files -----------------------------------------------------------------------------
    @staticmethod
    def _write_json(run_dir: Path, name: str, obj: dict) -> None:
        files.replace(run_dir, name, json.dumps(obj, indent=1, allow_nan=False).encode("utf-8"))


class _MetricsCache:
    """What has been read of one metrics.jsonl: the reader (file, offset, skipped lines) and the events."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.reader, self.events = files.LineReader(MAX_LINE), []


def _event(line: bytes) -> dict | None:
    """One metrics.jsonl line as an event dict, or None when it is not a well-formed one."""
    if files.json_depth(line, schema.LINE_DEPTH) > schema.LINE_DEPTH:
        return None
    try:
        e = json.loads(line.decode("utf-8"))  # NaN is allowed here: a diverged model's loss
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError both
        return None
    return None if schema.event_problem(e) else e


def _step_of(line: bytes) -> float:
    event = _event(line)
    return event["step"] if event is not None else float("inf")  # a malformed line goes too


def _reason(err: Exception) -> str:
    if isinstance(err, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(err, json.JSONDecodeError):
        return f"not valid JSON ({err.msg}, line {err.lineno})"
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    return (str(err).splitlines() or [type(err).__name__])[0][:200]


def _pid_alive(pid) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
