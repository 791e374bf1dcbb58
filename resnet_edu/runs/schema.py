"""What a run folder's JSON may hold: every field's type and range, checked before a page uses it.

A run folder may come from anyone (runs/files.py reads it bounded), so a value that parses is
still checked: `"diverged": 5`, `"created": Infinity` or 1e20 (time.localtime overflows), a step
of "150". A status or config that fails makes its run "unreadable: <file>: <reason>"; a metrics
line that fails is skipped, like a line still being written.
"""

from __future__ import annotations

import math

STATUSES = ("queued", "running", "done", "stopped", "failed", "interrupted", "diverged")
MAX_STEP = 10 ** 9  # far beyond any preset (the paper's longest schedule is 64k steps)
TIME_RANGE = (0.0, 253_402_300_799.0)  # Unix seconds up to 9999-12-31: what time.localtime formats
MAX_TEXT = 2000  # characters of a label or message
CONFIG_DEPTH = 4  # {"config": {"models": [...]}}: three levels; one to spare
STATUS_DEPTH = 2  # {"diverged": [...]}
LINE_DEPTH = 3  # {"probes": {"layers": [...]}}
_NUMBERS = ("epoch", "lr", "train_loss", "train_error", "images_per_s", "test_error", "time")
_NAN_OK = ("train_loss",)  # a diverged model's loss is NaN or inf; every other number is finite


def is_int(x, lo: int = 0, hi: int = MAX_STEP) -> bool:
    return type(x) is int and lo <= x <= hi


def is_number(x) -> bool:
    return type(x) in (int, float)


def finite(x) -> bool:
    try:
        return is_number(x) and math.isfinite(x)
    except OverflowError:  # an int beyond any float (10**400)
        return False


def is_time(x) -> bool:
    return finite(x) and TIME_RANGE[0] <= x <= TIME_RANGE[1]


def _text(x) -> bool:
    return isinstance(x, str) and len(x) <= MAX_TEXT


def status_problem(st) -> str:
    """Why a status.json object is not one the store writes; "" when it is one."""
    if not isinstance(st, dict):
        return "not a JSON object"
    if st.get("status") not in STATUSES:
        return f"unknown status {str(st.get('status'))[:40]!r}"
    if not is_int(st.get("step", 0)):
        return f"step is not a whole number from 0 to {MAX_STEP:,} ({str(st.get('step'))[:40]})"
    if "steps" in st and not is_int(st["steps"], 1):
        return "steps is not a positive whole number"
    if not _text(st.get("message", "")):
        return "message is not text"
    for key in ("updated", "stop_requested", "stop_taken"):
        if st.get(key) is not None and not is_time(st[key]):
            return f"{key} is not a time"
    if st.get("pid") is not None and not is_int(st["pid"], 1, 2 ** 31):
        return "pid is not a process id"
    diverged = st.get("diverged", [])
    if not isinstance(diverged, list) or not all(_text(m) for m in diverged):
        return "diverged is not a list of model names"
    return ""


def meta_problem(meta) -> str:
    """Why config.json's envelope (label, created) is wrong; the config itself RunConfig checks."""
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        return "not a run config (no 'config' object)"
    if "label" in meta and not _text(meta["label"]):
        return "label is not text"
    if "created" in meta and not is_time(meta["created"]):
        return "created is not a time (a finite number of seconds from 1970 to 9999)"
    return ""


def event_problem(e) -> str:
    """Why one parsed metrics line is not an event the store writes; "" when it is one."""
    if not isinstance(e, dict) or e.get("kind", "metrics") not in ("metrics", "status"):
        return "not an event"
    if not _text(e.get("model")) or not is_int(e.get("step"), -1):  # -1: a run that failed before step 1
        return "no model or step"
    for k in _NUMBERS:
        v = e.get(k)
        if v is not None and not (finite(v) or (k in _NAN_OK and is_number(v))):
            return f"{k} is not a finite number"
    if e.get("time") is not None and not is_time(e["time"]):
        return "time is not a time"
    if e.get("kind") == "status" and not (_text(e.get("status")) and _text(e.get("message", ""))):
        return "a status without its text"
    if "probes" in e and not _probes_ok(e["probes"]):
        return "probes of the wrong shape"
    return ""


def _probes_ok(p) -> bool:
    """A ProbeRecord.to_dict(): names and number lists, each list as long as its names."""
    if not isinstance(p, dict):
        return False
    for names, prefix in (("units", "unit_"), ("layers", "layer_")):
        listed = p.get(names, [])
        if not isinstance(listed, list) or not all(_text(n) for n in listed):
            return False
        for key, values in p.items():
            if key.startswith(prefix) and not (isinstance(values, list) and len(values) == len(listed)
                                              and all(is_number(v) for v in values)):
                return False
    return "step" not in p or is_int(p["step"])
