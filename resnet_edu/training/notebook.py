"""Small helpers the lessons share: set-up, smoke mode, which data, plot labels in the
notebook's language, a training run with a progress bar.

RESNET_EDU_SMOKE=1 makes every lesson finish in well under a minute on 2 CPU cores (the
test suite runs them so); without it the lessons use real CIFAR-10 when find_data_dir()
holds it (the synthetic set otherwise, said clearly) and the GPU when there is one.
"""

import dataclasses
import json
import os
import sys
from pathlib import Path

from .config import RunConfig, split_member
from .events import Metrics, Status

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the checkout, for an editable install


def smoke_mode() -> bool:
    return os.environ.get("RESNET_EDU_SMOKE", "") not in ("", "0", "false", "False")


def pick(full, smoke):
    """`full` normally, `smoke` under RESNET_EDU_SMOKE=1: pick(full=2000, smoke=20)."""
    return smoke if smoke_mode() else full


def _is_checkout(folder: Path) -> bool:
    return (folder / "resnet_edu").is_dir() and (folder / "pyproject.toml").is_file()


def find_data_dir(start: str | os.PathLike | None = None) -> Path:
    """The one folder every lesson, hint and exercise reads CIFAR-10 from, in this order:
    $RESNET_EDU_DATA_DIR; the data/ folder of the checkout the current folder is in
    (lessons/en, lessons/zh, the repo root); the data/ folder of the checkout the package
    was installed from (`pip install -e .`, so any kernel folder works, Colab's /content too);
    else ~/resnet_edu_data."""
    if os.environ.get("RESNET_EDU_DATA_DIR"):
        return Path(os.environ["RESNET_EDU_DATA_DIR"]).expanduser().resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if _is_checkout(folder) or ((folder / "resnet_edu").is_dir() and (folder / "data").is_dir()):
            return folder / "data"
    if _is_checkout(PACKAGE_ROOT):
        return PACKAGE_ROOT / "data"
    return Path.home() / "resnet_edu_data"


def has_cifar10(data_dir: str | os.PathLike | None = None) -> bool:
    data_dir = Path(data_dir) if data_dir else find_data_dir()
    return (data_dir / "cifar-10-batches-py" / "test_batch").exists()


def lesson_setup(download: bool | None = None):
    """Run by every lesson's first cell. Picks torch's CPU threads (never more than the free
    cores), fetches CIFAR-10 into find_data_dir() on Colab (or when `download=True`), and
    returns T, which gives a plot label in this notebook's language: T("step")."""
    from .device import free_cores, pick_cpu_threads

    threads = pick_cpu_threads()
    print(f"torch uses {threads} CPU thread(s) ({free_cores()} of {os.cpu_count()} cores free now; "
          f"set OMP_NUM_THREADS to choose).")
    if download is None:
        download = "google.colab" in sys.modules and not smoke_mode()
    if download and not has_cifar10():
        from ..data import load_cifar10

        print(f"Downloading CIFAR-10 (163 MB) into {find_data_dir()} ...")
        load_cifar10(find_data_dir(), download=True)
    return plot_labels()


def plot_labels(folder: str | os.PathLike | None = None):
    """T(text) -> text in this notebook's language. The Chinese notebooks sit beside
    plot_labels.json (English label -> Chinese label, built by lessons/build.py); elsewhere,
    or without a CJK font for matplotlib, the labels stay English."""
    folder = Path(folder or os.getcwd())
    session = os.environ.get("JPY_SESSION_NAME", "")  # the notebook's path, set by Jupyter Server
    candidates = [folder / "plot_labels.json"] + ([Path(session).parent / "plot_labels.json"] if session else [])
    table = next((json.loads(p.read_text(encoding="utf-8")) for p in candidates if p.is_file()), {})
    if table and not _use_cjk_font():
        print("No CJK font for matplotlib (e.g. Debian's fonts-noto-cjk): plot labels stay in English.")
        table = {}

    def T(text: str) -> str:
        return table.get(text, text)

    return T


def _use_cjk_font() -> bool:
    """Put the first installed CJK font in front of matplotlib's sans-serif list; False if none."""
    import matplotlib
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                 "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC"):
        if name in names:
            matplotlib.rcParams["font.sans-serif"] = [name, *matplotlib.rcParams["font.sans-serif"]]
            matplotlib.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
            return True
    return False


def lesson_dataset(data_dir: str | os.PathLike | None = None) -> str:
    """'cifar10' when its files are present (and not in smoke mode), else 'synthetic'. Says which."""
    data_dir = Path(data_dir) if data_dir else find_data_dir()
    if has_cifar10(data_dir) and not smoke_mode():
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

    if "data" not in trainer_kw and not Path(config.data_dir).exists():
        # A relative data_dir ("data", the default) means the project's data folder, wherever
        # the kernel started: resolve it the one way every lesson does.
        config = dataclasses.replace(config, data_dir=str(find_data_dir()))
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


def curves(events, key: str = "train_error", mean_over_seeds: bool = False
           ) -> dict[str, tuple[list[int], list[float]]]:
    """{model: (steps, values)} for one metric, from a list of events.

    mean_over_seeds: a seed band's members ('resnet56@seed0', '@seed1', ...) become one curve
    'resnet56', the mean over its seeds at each step that every seed has logged.
    """
    out: dict[str, tuple[list[int], list[float]]] = {}
    for e in events:
        if isinstance(e, Metrics) and getattr(e, key) is not None:
            steps, values = out.setdefault(e.model, ([], []))
            steps.append(e.step)
            values.append(getattr(e, key))
    if not mean_over_seeds:
        return out
    bands: dict[str, list[dict[int, float]]] = {}
    for member, (steps, values) in out.items():
        bands.setdefault(split_member(member)[0], []).append(dict(zip(steps, values)))
    means = {}
    for model, seeds in bands.items():
        common = sorted(set.intersection(*(set(s) for s in seeds)))
        means[model] = (common, [sum(s[step] for s in seeds) / len(seeds) for step in common])
    return means
