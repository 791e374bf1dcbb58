"""Checkpoints: written atomically, read without running code, with what is needed to trust them.

A checkpoint holds only tensors and plain types (dicts, lists, tuples, str, int, float,
bool, None): the config as a dict, provenance as strings. So it loads with
`torch.load(weights_only=True)`, which refuses anything else: a crafted `checkpoint.pt`
copied into a run folder cannot run its code when a page or `--resume` opens it.
"""

import os
import pickle
import platform
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
    """A checkpoint as a dict; CheckpointError for a file that is not one of ours (nothing in it runs)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError, AttributeError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise CheckpointError(f"{path} is not a checkpoint this program can trust or read "
                              f"(it holds more than tensors and plain values, or is damaged: {first})") from err
    if not isinstance(state, dict) or not isinstance(state.get("members"), dict):
        raise CheckpointError(f"{path} is not a resnet_edu checkpoint (no models in it)")
    return state
