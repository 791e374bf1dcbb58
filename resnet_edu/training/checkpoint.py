"""Checkpoints: written atomically, read without running code, with what is needed to trust them.

A checkpoint holds only tensors and plain types (dicts, lists, tuples, str, int, float,
bool, None): the config as a dict, provenance as strings. So it loads with
`torch.load(weights_only=True)`, which refuses anything else: a crafted `checkpoint.pt`
copied into a run folder cannot run its code when a page or `--resume` opens it.
"""

import os
import pickle
import platform
import stat
import subprocess
import threading
import uuid
from pathlib import Path

import torch

from .._version import __version__


class CheckpointError(ValueError):
    """A checkpoint that cannot be written or trusted; the message is one line a person can act on."""


def provenance() -> dict:
    """Versions and the git commit of the code that wrote a result (strings only)."""
    # str(): torch.__version__ is a str subclass that weights_only loading refuses.
    return {"resnet_edu": str(__version__), "torch": str(torch.__version__),
            "python": platform.python_version(), "git_commit": git_commit() or ""}


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def save_atomic(obj: dict, path: str | os.PathLike) -> None:
    """torch.save to a temporary file of its own, then rename: a crash never leaves half a checkpoint.

    The temporary name is unique (pid, thread, random), so two writers never share it. When
    the write fails (disk full), the temporary file is removed, the previous checkpoint is
    left as it was, and a CheckpointError says so.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # torch reports a failed write as RuntimeError
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        reason = getattr(err, "strerror", None) or (str(err).splitlines() or [type(err).__name__])[0]
        raise CheckpointError(f"could not save the checkpoint {path} ({reason}); "
                              f"the previous checkpoint, if any, is intact") from err


def stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Temporary checkpoint files a killed writer left behind in `folder`."""
    return sorted(Path(folder).glob(".*.pt.*.tmp"))


def load(path: str | os.PathLike) -> dict:
    """A checkpoint as a dict; CheckpointError for a file that is not one of ours (nothing in it runs).

    Opened without following a link and only as a regular file (a run folder may come from
    anyone: a checkpoint.pt that is a link to /dev/zero or a FIFO would read forever).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise CheckpointError(f"{path} cannot be opened as a file ({err.strerror}; links are never followed)") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CheckpointError(f"{path} is not a regular file (a FIFO or a device)")
        try:
            state = torch.load(f, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError, AttributeError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            raise CheckpointError(f"{path} is not a checkpoint this program can trust or read "
                                  f"(it holds more than tensors and plain values, or is damaged: {first})") from err
    if not isinstance(state, dict) or not isinstance(state.get("members"), dict):
        raise CheckpointError(f"{path} is not a resnet_edu checkpoint (no models in it)")
    return state


MEMBER_KEYS = {"model", "optimizer", "status", "warmup"}
MEMBER_STATUSES = ("running", "done", "diverged", "stopped")


def validate(state: dict, modules: dict[str, tuple], max_step: int, path) -> tuple:
    """(saved RunConfig, step) of a loaded checkpoint that fits `modules`; CheckpointError otherwise.

    weights_only=True keeps code out, not nonsense: members as strings, tensor names or shapes
    of another net, a step of "150" or -5 would otherwise end in a traceback, or rewind a run's
    metrics to a step it never had. Checked: the known top-level members, each model's tensor
    names and shapes against the net this run builds, the optimizer's two parts, and a step
    that is an int from 0 to the run's steps. `modules`: name -> (nn.Module, its optimizer).
    """
    from .config import RunConfig

    def bad(why: str):
        return CheckpointError(f"{path} does not fit this run: {why}")
    try:
        saved = RunConfig.from_dict(state["config"])
    except Exception as err:  # noqa: BLE001 (whatever a dict can hold: one line)
        raise bad(f"its config cannot be read ({(str(err).splitlines() or [type(err).__name__])[0][:120]})") from None
    step = state.get("step")
    if type(step) is not int or step < 0:
        raise bad(f"its step is {str(step)[:40]!r}, not a whole number from 0")
    if step > max_step:
        raise ValueError(f"cannot resume to {max_step} steps: the checkpoint is already at step "
                         f"{step}; give --steps {step} or more")
    members = state["members"]
    if set(members) != set(modules):
        raise bad(f"it holds models {sorted(map(str, members))[:8]}, this run trains {sorted(modules)}")
    for name, (module, optimizer) in modules.items():
        s = members[name]
        if not isinstance(s, dict) or set(s) != MEMBER_KEYS:
            raise bad(f"{name} is not {{model, optimizer, status, warmup}}")
        if s["status"] not in MEMBER_STATUSES or not isinstance(s["warmup"], bool):
            raise bad(f"{name}'s status or warm-up flag is not one this program writes")
        expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
        weights = s["model"]
        if not isinstance(weights, dict) or set(weights) != set(expected):
            raise bad(f"{name}'s tensor names are not those of the net this run builds")
        for k, shape in expected.items():
            if not isinstance(weights[k], torch.Tensor) or tuple(weights[k].shape) != shape:
                raise bad(f"{name}'s {k} is not a tensor of shape {shape}")
        if not _optimizer_fits(s["optimizer"], optimizer):
            raise bad(f"{name}'s optimizer state is not one for this net's parameters")
    return saved, step


def _optimizer_fits(saved, optimizer: torch.optim.Optimizer) -> bool:
    """The same parameter groups, and per-parameter state (momentum) of each parameter's shape."""
    fresh = optimizer.state_dict()["param_groups"]
    params = [p for g in optimizer.param_groups for p in g["params"]]  # state_dict numbers them in this order
    if not isinstance(saved, dict) or set(saved) != {"state", "param_groups"}:
        return False
    groups, per_param = saved["param_groups"], saved["state"]
    if not isinstance(groups, list) or len(groups) != len(fresh) or not isinstance(per_param, dict):
        return False
    if any(not isinstance(g, dict) or g.get("params") != f["params"] for g, f in zip(groups, fresh)):
        return False
    for index, values in per_param.items():
        if type(index) is not int or not 0 <= index < len(params) or not isinstance(values, dict):
            return False
        for v in values.values():
            if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape != params[index].shape:
                return False
    return True
