"""Trained models back from the run store, the test images they were scored on, and their error.

    model = load_trained("data/runs/20250101-120000-plain20-resnet20", "resnet20")  # eval mode
    x, y = eval_tensors(store.config(run_id), n=1000)                                  # normalised
    loss, error = evaluate(model, x, y)

Every analysis page starts here; `has_trained` lets a page say "no trained model yet:
train one with preset quick" instead of failing.
"""

import os
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..training import checkpoint
from ..training.config import RunConfig, model_spec
from ..data import Split, dataset_mean_std, load_dataset, normalize

PathLike = str | os.PathLike


def checkpoint_file(run_dir_or_checkpoint: PathLike) -> Path:
    """A run folder or its checkpoint.pt -> the checkpoint.pt path (it may not exist)."""
    path = Path(run_dir_or_checkpoint)
    return path / "checkpoint.pt" if path.is_dir() or path.suffix != ".pt" else path


def trained_entries(run_dir_or_checkpoint: PathLike) -> tuple[str, ...]:
    """The model entries a checkpoint holds, e.g. ("plain20", "resnet20"); () when there is none."""
    path = checkpoint_file(run_dir_or_checkpoint)
    if not path.exists():
        return ()
    return tuple(checkpoint.load(path)["members"])


def has_trained(run_dir_or_checkpoint: PathLike, entry: str | None = None) -> bool:
    """True when a checkpoint exists (and holds `entry`, when given)."""
    entries = trained_entries(run_dir_or_checkpoint)
    return bool(entries) if entry is None else entry in entries


def find_trained(runs_root: PathLike, entry: str) -> Path | None:
    """The newest run folder under `runs_root` whose checkpoint holds `entry`, or None.

    Reads each run's config.json (cheap) before opening any checkpoint.
    """
    from ..runs.store import RunStore  # the store creates its root; only look when it exists
    root = Path(runs_root)
    if not root.is_dir():
        return None
    store = RunStore(root)
    for run in store.list():  # newest first
        if entry in run.config.models and has_trained(store.path(run.run_id), entry):
            return store.path(run.run_id)
    return None


def load_trained(run_dir_or_checkpoint: PathLike, entry: str, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild `entry` with the run's widths, load its trained weights, return it in eval mode."""
    path = checkpoint_file(run_dir_or_checkpoint)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: train a run first (e.g. preset quick)")
    state = checkpoint.load(path)
    if entry not in state["members"]:
        raise KeyError(f"{entry!r} is not in {path}; it holds {', '.join(state['members'])}")
    config = RunConfig.from_dict(state["config"])
    model = model_spec(entry, config.widths).build()
    model.load_state_dict(state["members"][entry]["model"])
    return model.to(device).eval()


def eval_tensors(config: RunConfig, n: int | None = 1000, data: tuple[Split, Split] | None = None,
                 device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """The run's test images, normalised as the trainer does: (n, 3, 32, 32) float32, (n,) int64.

    `data` skips loading (tests pass the synthetic set). A class-balanced subset of n images.
    """
    train, test = data if data is not None else load_dataset(config.dataset, config.data_dir)
    if n is not None:
        test = test.subset(n)
    mean, std = dataset_mean_std(train.name)
    return normalize(test.images.to(device), mean, std), test.labels.to(device)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> tuple[float, float]:
    """(mean cross-entropy, error fraction) of `model` on (x, y), BN in eval mode; mode restored."""
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        loss, wrong = torch.zeros((), device=device), torch.zeros((), device=device)
        for i in range(0, len(y), batch_size):
            xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
            logits = model(xb)  # (B, classes)
            loss += F.cross_entropy(logits.float(), yb, reduction="sum")
            wrong += (logits.argmax(dim=1) != yb).sum()
        return loss.item() / len(y), wrong.item() / len(y)
    finally:
        model.train(was_training)


def config_to_train(entry: str, preset: str = "quick", with_twin: bool = True, **overrides) -> RunConfig:
    """The run a page can offer when `has_trained` says no: `entry` (and its plain/residual twin).

    config_to_train("resnet20") -> preset "quick" with models ("plain20", "resnet20").
    """
    from ..training.config import preset as make_preset
    name, sep, opts = entry.partition(":")
    models = (entry,)
    # A twin only where "plain" means the same net without shortcuts (no shortcut/variant options).
    if with_twin and name.startswith(("plain", "resnet")) and "shortcut=" not in opts and "variant=" not in opts:
        twin = name.replace("plain", "resnet", 1) if name.startswith("plain") else name.replace("resnet", "plain", 1)
        models = tuple(sorted((entry, twin + sep + opts), key=lambda e: not e.startswith("plain")))
    return make_preset(preset, models=models, **overrides)
