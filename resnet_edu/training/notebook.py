"""Small helpers the lessons share: smoke mode, which data, a training run with a progress bar.

RESNET_EDU_SMOKE=1 makes every lesson finish in well under a minute on 2 CPU cores (the
test suite runs them so); without it the lessons use real CIFAR-10 when it is in
`data/` (the synthetic set otherwise, said clearly) and the GPU when there is one.
"""

import os
from pathlib import Path

from .config import RunConfig
from .events import Metrics, Status


def smoke_mode() -> bool:
    return os.environ.get("RESNET_EDU_SMOKE", "") not in ("", "0", "false", "False")


def pick(full, smoke):
    """`full` normally, `smoke` under RESNET_EDU_SMOKE=1: pick(full=2000, smoke=20)."""
    return smoke if smoke_mode() else full


def find_data_dir(start: str | os.PathLike | None = None) -> Path:
    """The project's data/ folder, found from a lesson's folder (lessons/en) or the repo root."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "resnet_edu").is_dir() and (folder / "data").is_dir():
            return folder / "data"
    return here / "data"


def lesson_dataset(data_dir: str | os.PathLike | None = None) -> str:
    """'cifar10' when its files are present (and not in smoke mode), else 'synthetic'. Says which."""
    data_dir = Path(data_dir) if data_dir else find_data_dir()
    has_cifar = (data_dir / "cifar-10-batches-py" / "test_batch").exists()
    if has_cifar and not smoke_mode():
        print(f"Using CIFAR-10 from {data_dir}.")
        return "cifar10"
    why = "smoke mode" if smoke_mode() else f"CIFAR-10 is not in {data_dir}"
    print(f"Using the SYNTHETIC dataset (procedural shapes, not CIFAR-10): {why}. "
          f"`python -m resnet_edu download` fetches CIFAR-10 (163 MB).")
    return "synthetic"


def lesson_data(n_train: int, n_test: int, data_dir: str | os.PathLike | None = None):
    """(dataset name, (train, test)) for a lesson: CIFAR-10 when present (see lesson_dataset),
    else the synthetic set with n_train + n_test images, generated in memory. Says which."""
    from ..data import load_dataset, make_synthetic

    name = lesson_dataset(data_dir)
    if name == "cifar10":
        return name, load_dataset("cifar10", data_dir or find_data_dir())
    return name, make_synthetic(n_train=n_train, n_test=n_test)


def train(config: RunConfig, *, progress: bool = True, **trainer_kw) -> list[Metrics | Status]:
    """Train `config` to the end and return all its events; a progress bar with ETA on the way."""
    from .trainer import Trainer

    trainer = Trainer(config, **trainer_kw)
    events, bar = [], None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=config.steps, unit="step", desc=", ".join(config.models))
    try:
        for event in trainer.run():
            events.append(event)
            if bar is not None and isinstance(event, Metrics):
                bar.update(event.step - bar.n)
            elif isinstance(event, Status) and event.status == "diverged":
                print(event.message)
    finally:
        if bar is not None:
            bar.close()
    return events


def curves(events, key: str = "train_error") -> dict[str, tuple[list[int], list[float]]]:
    """{model: (steps, values)} for one metric, from a list of events."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for e in events:
        if isinstance(e, Metrics) and getattr(e, key) is not None:
            steps, values = out.setdefault(e.model, ([], []))
            steps.append(e.step)
            values.append(getattr(e, key))
    return out
