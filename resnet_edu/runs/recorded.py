"""Recorded runs shipped with the repository: real-data curves that replay instantly, offline.

A class on a slow laptop (or with no CIFAR-10) still sees what the quick preset does on real
images, then watches a live run confirm it. A recording keeps only what a replay needs: the
config, the metric lines (a few KB, times in seconds from the start), the command that made
it, the machine and its load, and the wall time. Never images or checkpoints.

    rec = load()                       # the default: quick preset, plain-20 vs plain-56, CIFAR-10 subset
    rec.events, rec.config, rec.wall_s

Made with (see README "The classroom moment"):
    python -m resnet_edu train --models plain20,plain56 --preset quick --dataset cifar10 \\
        --data-dir ../shared/data/cifar10-subset --runs-dir /tmp/rec
    python -m resnet_edu.runs.recorded /tmp/rec/<run_id> --command "..." --out resnet_edu/runs/recordings/<name>.json
"""

import argparse
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

from ..training import cpuinfo
from ..training.config import RunConfig
from . import files, schema
from .store import MAX_JSON, RunStore

FOLDER = Path(__file__).resolve().parent / "recordings"
DEFAULT = "quick-cifar10-plain20-plain56"
MAX_BYTES = 1 << 20  # a recording is a few KB of metric lines (the shipped one: 15 KB)
MAX_DEPTH = 8  # recording → events → event → value is 3 levels
KEEP = ("model", "step", "lr", "train_loss", "train_error", "test_error", "images_per_s")


@dataclass(frozen=True)
class Recording:
    name: str
    command: str  # the command line that made it
    data: str  # which images, in words
    machine: dict  # cpu, cores, torch threads, load average while it ran, torch version
    wall_s: float  # seconds from the run's start to its last line
    recorded_at: str  # UTC, ISO 8601
    config: RunConfig
    events: list[dict]  # run-store lines; "time" is seconds since the start (the start line has 0)


def names() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.json"))


def load(name: str = DEFAULT) -> Recording:
    """A shipped recording by name (ValueError with one line if there is none)."""
    if name not in names():
        raise ValueError(f"no recorded run {name!r}; recorded: {', '.join(names()) or 'none'}")
    d = files.read_json(FOLDER, f"{name}.json", MAX_BYTES, MAX_DEPTH)
    config = RunConfig.from_dict(d["config"])
    config.validate()
    return Recording(name, d["command"], d["data"], d["machine"], float(d["wall_s"]), d["recorded_at"],
                     config, list(d["events"]))


def from_run(run_dir: str | os.PathLike, command: str, data: str, load_average: list[float] | None = None) -> dict:
    """A recording (as a JSON-ready dict) from a run-store folder: metric lines kept, rounded, re-timed."""
    run_dir = Path(run_dir)
    # The run store's own readers: bounded, regular files only, no links followed.
    config = files.read_json(run_dir, "config.json", MAX_JSON, schema.CONFIG_DEPTH)["config"]
    lines = RunStore(run_dir.parent).metrics(run_dir.name)
    start = next(e["time"] for e in lines if e.get("kind") == "status" and e.get("status") == "running")
    events = []
    for e in lines:
        t = round(e["time"] - start, 2)
        if e.get("kind") == "status":
            events.append({"kind": "status", "model": e["model"], "step": e["step"], "status": e["status"],
                           "message": e.get("message", ""), "time": t})
        else:
            kept = {k: (round(e[k], 4) if isinstance(e[k], float) else e[k]) for k in KEEP if k in e}
            events.append({"kind": "metrics", **kept, "time": t})
    import torch  # only here: a recording names the torch that made it

    return {
        "command": command, "data": data,
        "machine": {"cpu": cpuinfo.model_name(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average": load_average, "torch": torch.__version__, "python": platform.python_version()},
        "wall_s": max(e["time"] for e in events), "recorded_at": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(start)),
        "config": config, "events": events}


def dumps(rec: dict) -> str:
    """JSON with the header fields indented and one event per line: small, and a diff reads well."""
    head = json.dumps({k: v for k, v in rec.items() if k != "events"}, indent=1)[:-2]
    events = ",\n".join("  " + json.dumps(e) for e in rec["events"])
    return f'{head},\n "events": [\n{events}\n ]\n}}\n'


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m resnet_edu.runs.recorded",
                                description="Make a recording from a run-store folder.")
    p.add_argument("run_dir")
    p.add_argument("--command", required=True, help="the command that made the run")
    p.add_argument("--data", required=True, help="which images, in words")
    p.add_argument("--load", type=float, nargs="*", help="load average while it ran")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    rec = from_run(args.run_dir, args.command, args.data, args.load)
    Path(args.out).write_text(dumps(rec), encoding="utf-8")
    print(f"{args.out}: {len(rec['events'])} lines, {Path(args.out).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
