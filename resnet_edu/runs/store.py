"""The run store: one folder per run under data/runs/, readable while the run is going.

    data/runs/<run_id>/
        config.json     the RunConfig, a label, when it was created
        metrics.jsonl   one event per line (Metrics and Status .to_dict()), appended live
        status.json     {"status", "step", "steps", "message", "updated", "pid"}, replaced atomically
        checkpoint.pt   written by the Trainer (tensors and plain values only; loaded weights_only)
        .lock           held (flock) by the one process that trains the run

Writers are the CLI and the app's worker threads; readers are the app's pages, which poll.
A run folder survives a server restart; a run whose status says "running" but whose lock
no live process holds is shown as "interrupted" (checked at every listing) and can be
resumed from its checkpoint. Run folders may be copied between machines, so every file is
read as untrusted: a malformed run is listed as unreadable, never breaks the others.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..training.config import RunConfig, resolve_precision

try:
    import fcntl
except ImportError:  # Windows: no flock; ownership falls back to pid and heartbeat
    fcntl = None

ACTIVE = ("queued", "running")
# A reader's probe of a run's lock lasts microseconds; a trainer holds it for the whole run.
LOCK_WAIT_S = 2.0

STATUSES = ACTIVE + ("done", "stopped", "failed", "interrupted", "diverged")
HEARTBEAT_S = 600  # without flock: a "running" run silent this long has no owner
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[a-z0-9_.-]{1,80}$")
_NUMBERS = ("epoch", "lr", "train_loss", "train_error", "images_per_s", "test_error", "time")


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
        self._configs: dict[str, tuple[tuple, object]] = {}  # run_id -> (file stamp, RunConfig or error)
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
        self._write_json(path / "config.json", {"config": config.to_dict(), "label": label or slug,
                                                "created": time.time()})
        (path / "metrics.jsonl").touch()
        self.set_status(run_id, "queued", step=0, steps=config.steps)
        return run_id

    def update_config(self, run_id: str, config: RunConfig) -> None:
        """A resumed run with more steps: config.json says so (its label and creation time kept)."""
        meta = self._read_json(self.path(run_id) / "config.json")
        self._write_json(self.path(run_id) / "config.json", {**meta, "config": config.to_dict()})

    def append(self, run_id: str, event) -> None:
        """Append one event (anything with to_dict) as a JSON line."""
        line = json.dumps(event.to_dict() if hasattr(event, "to_dict") else event, allow_nan=True)
        with self._lock, open(self.path(run_id) / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def set_status(self, run_id: str, status: str, **info) -> None:
        old = self.status(run_id) if (self.path(run_id) / "status.json").exists() else {}
        new = {**old, **info, "status": status, "updated": time.time(), "pid": os.getpid()}
        self._write_json(self.path(run_id) / "status.json", new)

    def record(self, run_id: str, events: Iterable) -> Iterator:
        """Pass events through, writing each to the run and keeping status.json current."""
        diverged = list(self.status(run_id).get("diverged") or [])
        for event in events:
            # Wall-clock seconds on each line: the app reads "N s after start" from them.
            self.append(run_id, {**event.to_dict(), "time": round(time.time(), 3)})
            if getattr(event, "kind", "") == "status" and event.model == "*":
                self.set_status(run_id, event.status, step=event.step, message=event.message, diverged=diverged)
            elif getattr(event, "kind", "") == "status" and event.status == "diverged":
                diverged.append(event.model)
                self.set_status(run_id, "running", step=event.step, diverged=diverged)
            elif getattr(event, "kind", "") == "metrics":
                self.set_status(run_id, "running", step=event.step)
            yield event

    def rewind(self, run_id: str, step: int) -> None:
        """Drop the events after `step` (a run resumed from a checkpoint at `step` logs them again)."""
        path = self.path(run_id) / "metrics.jsonl"
        kept = [line for line in path.read_bytes().splitlines(keepends=True)
                if line.endswith(b"\n") and _step_of(line) <= step]
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(b"".join(kept))
        with self._lock:
            os.replace(tmp, path)
            self._metrics.pop(run_id, None)
        status = self.status(run_id)
        if isinstance(status.get("step"), int) and status["step"] > step:
            self.set_status(run_id, status.get("status", "interrupted"), step=step)

    def delete(self, run_id: str) -> None:
        shutil.rmtree(self.path(run_id))
        with self._lock:
            self._metrics.pop(run_id, None)
            self._configs.pop(run_id, None)

    @contextlib.contextmanager
    def lock(self, run_id: str, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
        """Hold the run's lock while training it: a second trainer (CLI or server) gets RunBusy.

        The lock is an flock on `.lock`: the kernel drops it when its process dies, even by
        kill -9, so a held lock means a live owner. Readers probe it too (`owner_alive`, for a
        few microseconds, at every listing), so a trainer retries for `wait_s` seconds before
        it concludes that another trainer holds it. Stale temporary files of a killed writer
        are removed once the lock is ours.
        """
        if fcntl is None:
            yield
            return
        fd = os.open(self.path(run_id) / ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
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
            for stale in self.path(run_id).glob(".*.pt.*.tmp"):  # checkpoint.save_atomic's
                stale.unlink(missing_ok=True)
            yield
        finally:
            os.close(fd)  # closing releases the flock

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
            fd = os.open(self.path(run_id) / ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    # -- reading ---------------------------------------------------------------------------
    def path(self, run_id: str) -> Path:
        if not isinstance(run_id, str) or not _ID.match(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.root / run_id

    def exists(self, run_id: str) -> bool:
        return bool(_ID.match(run_id)) and (self.root / run_id / "config.json").exists()

    def readable(self, run_id: str) -> bool:
        """The run exists and its config.json can be read (its status may still be odd)."""
        return self.exists(run_id) and not isinstance(self._config(run_id), str)

    def config(self, run_id: str) -> RunConfig:
        """The run's config; ValueError with the file and the reason when it cannot be read."""
        got = self._config(run_id)
        if isinstance(got, str):
            raise ValueError(f"run {run_id} is unreadable: {got}")
        return got

    def _config(self, run_id: str):
        """RunConfig, or the reason it cannot be read (a string); cached until the file changes."""
        path = self.path(run_id) / "config.json"
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError as err:
            return f"config.json: {err.strerror or 'cannot be read'}"
        cached = self._configs.get(run_id)
        if cached and cached[0] == stamp:
            return cached[1][0] if isinstance(cached[1], tuple) else cached[1]
        try:
            meta = self._read_json(path)
            if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
                raise ValueError("not a run config (no 'config' object)")
            config = RunConfig.from_dict(meta["config"])
            config.validate()
            result = (config, meta)
        except (OSError, ValueError, TypeError) as err:
            result = f"config.json: {_reason(err)}"
        self._configs[run_id] = (stamp, result)
        return result[0] if isinstance(result, tuple) else result

    def status(self, run_id: str) -> dict:
        try:
            st = self._read_json(self.path(run_id) / "status.json")
        except (OSError, ValueError):
            return {"status": "unknown", "step": 0}
        return st if isinstance(st, dict) else {"status": "unknown", "step": 0}

    def metrics(self, run_id: str) -> list[dict]:
        """Every complete, well-formed line so far (a line being written is skipped, not an error).

        Incremental: only the bytes added since the last call are read and parsed, and the
        cache is shared by every page and session of this process (20 students polling one
        run read each new line once, not 20 times the whole file).
        """
        path = self.path(run_id) / "metrics.jsonl"
        with self._lock:
            cache = self._metrics.setdefault(run_id, _MetricsCache())
        with cache.lock:
            try:
                st = path.stat()
            except OSError:
                return []
            if (st.st_ino, st.st_dev) != cache.file or st.st_size < cache.offset:  # replaced or rewound
                cache.reset((st.st_ino, st.st_dev))
            if st.st_size > cache.offset:
                with open(path, "rb") as f:
                    f.seek(cache.offset)
                    chunk = f.read(st.st_size - cache.offset)
                end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next call
                for line in chunk[:end].splitlines():
                    event = _event(line)
                    if event is not None:
                        cache.events.append(event)
                cache.offset += end
            return list(cache.events)

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
            if not _ID.match(path.name) or not path.is_dir():
                continue
            got = self._config(path.name)
            if isinstance(got, str):
                broken.append(Unreadable(path.name, got))
                continue
            try:
                st = self._read_json(path / "status.json")
            except (OSError, ValueError) as err:
                broken.append(Unreadable(path.name, f"status.json: {_reason(err)}"))
                continue
            problem = _status_problem(st)
            if problem:
                broken.append(Unreadable(path.name, f"status.json: {problem}"))
                continue
            if st["status"] in ACTIVE and not self.owner_alive(path.name, st):
                st = self._interrupt(path.name) or st
            meta = self._configs[path.name][1][1]
            label = meta.get("label") if isinstance(meta.get("label"), str) else path.name
            created = meta.get("created") if isinstance(meta.get("created"), (int, float)) else 0.0
            diverged = tuple(m for m in st.get("diverged") or () if isinstance(m, str))
            runs.append(RunInfo(path.name, label, got, st["status"], st["step"], created,
                                str(st.get("message", "")), diverged))
        runs.sort(key=lambda r: r.created, reverse=True)
        return runs, broken

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
        except (RunBusy, OSError):
            return None

    # -- files -----------------------------------------------------------------------------
    @staticmethod
    def _write_json(path: Path, obj: dict) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps(obj, indent=1), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise

    @staticmethod
    def _read_json(path: Path):
        return json.loads(path.read_text(encoding="utf-8"))


class _MetricsCache:
    """What has been read of one metrics.jsonl: the file's identity, the byte offset, the events."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset(None)

    def reset(self, file) -> None:
        self.file, self.offset, self.events = file, 0, []


def _event(line: bytes) -> dict | None:
    """One metrics.jsonl line as an event dict, or None when it is not a well-formed one."""
    try:
        e = json.loads(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both
        return None
    if not isinstance(e, dict) or e.get("kind", "metrics") not in ("metrics", "status"):
        return None
    if not isinstance(e.get("model"), str) or type(e.get("step")) is not int:
        return None
    if any(k in e and e[k] is not None and (type(e[k]) not in (int, float)) for k in _NUMBERS):
        return None
    if e.get("kind") == "status" and not (isinstance(e.get("status"), str) and isinstance(e.get("message", ""), str)):
        return None
    if "probes" in e and not isinstance(e["probes"], dict):
        return None
    return e


def _step_of(line: bytes) -> float:
    event = _event(line)
    return event["step"] if event is not None else float("inf")  # a malformed line goes too


def _status_problem(st) -> str:
    if not isinstance(st, dict):
        return "not a JSON object"
    if st.get("status") not in STATUSES:
        return f"unknown status {st.get('status')!r}"
    if type(st.get("step", 0)) is not int:
        return f"step is not a whole number ({st.get('step')!r})"
    st.setdefault("step", 0)
    return ""


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
