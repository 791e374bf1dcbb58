"""The run store: one folder per run under data/runs/, readable while the run is going.

    data/runs/<run_id>/
        config.json     the RunConfig, a label, when it was created
        metrics.jsonl   one event per line (Metrics and Status .to_dict()), appended live
        status.json     {"status", "step", "steps", "message", "updated"}, replaced atomically
        checkpoint.pt   written by the Trainer (models, optimizers, provenance)

Writers are the CLI and the app's worker threads; readers are the app's pages, which poll.
A run folder survives a server restart; a run whose status says "running" but that no
live process owns is shown as "interrupted" and can be resumed from its checkpoint.
"""

import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..training.config import RunConfig

ACTIVE = ("queued", "running")
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[a-z0-9_.-]{1,80}$")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    label: str
    config: RunConfig
    status: str
    step: int
    created: float
    message: str


class RunStore:
    """Runs on disk. Thread-safe within a process; each run has one writer at a time."""

    def __init__(self, root: str | os.PathLike = "data/runs"):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------
    def create(self, config: RunConfig, label: str = "") -> str:
        """A new run folder with its config; status 'queued'. Returns the run id."""
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
        for event in events:
            self.append(run_id, event)
            if getattr(event, "kind", "") == "status" and event.model == "*":
                self.set_status(run_id, event.status, step=event.step, message=event.message)
            elif getattr(event, "kind", "") == "metrics":
                self.set_status(run_id, "running", step=event.step)
            yield event

    def delete(self, run_id: str) -> None:
        shutil.rmtree(self.path(run_id))

    # -- reading ---------------------------------------------------------------------------
    def path(self, run_id: str) -> Path:
        if not _ID.match(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.root / run_id

    def exists(self, run_id: str) -> bool:
        return bool(_ID.match(run_id)) and (self.root / run_id / "config.json").exists()

    def config(self, run_id: str) -> RunConfig:
        return RunConfig.from_dict(self._read_json(self.path(run_id) / "config.json")["config"])

    def status(self, run_id: str) -> dict:
        try:
            return self._read_json(self.path(run_id) / "status.json")
        except (OSError, ValueError):
            return {"status": "unknown", "step": 0}

    def metrics(self, run_id: str) -> list[dict]:
        """Every complete line so far (a line being written is skipped, not an error)."""
        out = []
        try:
            with open(self.path(run_id) / "metrics.jsonl", encoding="utf-8") as f:
                for line in f:
                    if line.endswith("\n"):
                        try:
                            out.append(json.loads(line))
                        except ValueError:
                            pass
        except FileNotFoundError:
            pass
        return out

    def list(self) -> list[RunInfo]:
        """All runs, newest first."""
        runs = []
        for path in self.root.iterdir():
            if not self.exists(path.name):
                continue
            try:
                meta = self._read_json(path / "config.json")
                config = RunConfig.from_dict(meta["config"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            st = self.status(path.name)
            runs.append(RunInfo(path.name, meta.get("label", path.name), config, st.get("status", "unknown"),
                                st.get("step", 0), meta.get("created", 0.0), st.get("message", "")))
        return sorted(runs, key=lambda r: r.created, reverse=True)

    # -- files -----------------------------------------------------------------------------
    @staticmethod
    def _write_json(path: Path, obj: dict) -> None:
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(obj, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    @staticmethod
    def _read_json(path: Path) -> dict:
        return json.loads(path.read_text(encoding="utf-8"))
