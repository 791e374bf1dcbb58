"""Checkpoints: written atomically, with what is needed to trust and resume them."""

import os
import platform
import subprocess
from pathlib import Path

import torch

from .._version import __version__


def provenance() -> dict:
    """Versions and the git commit of the code that wrote a result."""
    return {"resnet_edu": __version__, "torch": torch.__version__, "python": platform.python_version(),
            "git_commit": git_commit()}


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def save_atomic(obj: dict, path: str | os.PathLike) -> None:
    """torch.save to a temporary file, then rename: a crash never leaves half a checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load(path: str | os.PathLike) -> dict:
    # Our own files: they hold a config dict and plain state dicts.
    return torch.load(path, map_location="cpu", weights_only=False)
