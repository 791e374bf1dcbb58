"""Small helpers the lessons share: set-up, smoke mode, which data, plot labels and printed
words in the notebook's language, checks of a lesson's claims, a training run with a progress bar.

RESNET_EDU_SMOKE=1 makes every lesson finish in well under a minute on 2 CPU cores (the
test suite runs them so); without it the lessons use real CIFAR-10 when find_data_dir()
holds it (the synthetic set otherwise, said clearly) and the GPU when there is one.
"""

import dataclasses
import json
import os
import string
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
    """Run by every lesson's first cell. Loads the printed words of this notebook's language
    (see say and check), picks torch's CPU threads (never more than the free cores), fetches
    CIFAR-10 into find_data_dir() on Colab (or when `download=True`), and returns T, which gives
    a plot label in this notebook's language: T("step")."""
    from .device import free_cores, pick_cpu_threads

    global _TEXTS
    _TEXTS = texts_table()
    threads = pick_cpu_threads()
    say("torch uses {threads} CPU thread(s) ({free} of {cores} cores free now; set OMP_NUM_THREADS to choose).",
        threads=threads, free=free_cores(), cores=os.cpu_count())
    if download is None:
        download = "google.colab" in sys.modules and not smoke_mode()
    if download and not has_cifar10():
        from ..data import load_cifar10

        say("Downloading CIFAR-10 (163 MB) into {folder} ...", folder=find_data_dir())
        load_cifar10(find_data_dir(), download=True)
    return plot_labels()


def _beside_notebook(name: str, folder: str | os.PathLike | None) -> Path | None:
    """The file `name` in the notebook's folder: `folder`, else the kernel's folder, else the
    folder of the notebook Jupyter Server names in JPY_SESSION_NAME."""
    folder = Path(folder or os.getcwd())
    session = os.environ.get("JPY_SESSION_NAME", "")  # the notebook's path, set by Jupyter Server
    candidates = [folder / name] + ([Path(session).parent / name] if session else [])
    return next((p for p in candidates if p.is_file()), None)


# ---- printed words in the notebook's language ------------------------------------------------
# A lesson prints through say(...) and check(...) with English templates; the Chinese notebooks
# sit beside texts.json ({English template: Chinese template}, built by lessons/build.py from each
# source's TEXTS_ZH and the TEXTS_ZH below), so the code cells stay identical in both languages.

# This module's own printed words (lessons/build.py adds them to texts.json).
TEXTS_ZH = {
    "torch uses {threads} CPU thread(s) ({free} of {cores} cores free now; set OMP_NUM_THREADS to choose).":
        "torch 使用 {threads} 个 CPU 线程（此刻 {cores} 个核心中有 {free} 个空闲；可用 OMP_NUM_THREADS 指定）。",
    "Downloading CIFAR-10 (163 MB) into {folder} ...": "正在把 CIFAR-10（163 MB）下载到 {folder} ……",
    "Using CIFAR-10 from {folder}.": "使用 {folder} 中的 CIFAR-10。",
    "Using the SYNTHETIC dataset (procedural shapes, not CIFAR-10): {why}. "
    "`python -m resnet_edu download` fetches CIFAR-10 (163 MB).":
        "注意：使用的是合成数据集（程序生成的图形，不是 CIFAR-10）：{why}。"
        "`python -m resnet_edu download` 可下载 CIFAR-10（163 MB）。",
    "smoke mode": "冒烟模式",
    "CIFAR-10 is not in {folder}": "{folder} 中没有 CIFAR-10",
    # check(...): the claim as confirmed, as contradicted, and as announced in smoke mode
    "No CJK font for matplotlib (e.g. Debian's fonts-noto-cjk): plot labels stay in English.":
        "matplotlib 找不到中文字体（例如 Debian 的 fonts-noto-cjk）：图中标签保持英文。",
    "✓ {claim}": "✓ {claim}",
    "✗ {claim}: {instead}": "✗ {claim}：{instead}",
    "· {claim} (checked in full mode)": "· {claim}（完整模式下检查）",
}

_TEXTS: dict[str, str] | None = None  # set by lesson_setup; loaded from the kernel's folder otherwise


def texts_table(folder: str | os.PathLike | None = None) -> dict[str, str]:
    """{English template: template in this notebook's language}: texts.json beside the notebook
    (lessons/zh has one), else {} (English)."""
    path = _beside_notebook("texts.json", folder)
    return json.loads(path.read_text(encoding="utf-8")) if path else {}


def tr(text: str, **values) -> str:
    """An English template in this notebook's language, filled with `values`:
    tr("final error {err:.1f} %", err=12.3). Templates without a translation stay English
    (tests/test_notebook_check.py makes sure every lesson's templates have one)."""
    global _TEXTS
    if _TEXTS is None:
        _TEXTS = texts_table()
    return _TEXTS.get(text, text).format(**values)


def say(text: str, **values) -> None:
    """Print an English template in this notebook's language: say("{n} images", n=5170)."""
    print(tr(text, **values))


def check(ok, claim: str, instead: str = "", **values) -> bool:
    """Check one claim the lesson makes, in one line, and return bool(ok) so a lesson can count.

    Full mode prints '✓ <claim>' when ok, else '✗ <claim>: <instead>' (what the run shows
    instead); smoke mode (a few steps, nothing to judge) prints '· <claim> (checked in full mode)'.
    `claim` and `instead` are English templates filled with `values`, printed in the notebook's
    language: check(p56 > p20, "plain-56 ends above plain-20",
                    "plain-56 {p56:.1f} % vs plain-20 {p20:.1f} %", p56=p56, p20=p20)."""
    ok = bool(ok)
    claim_text = tr(claim, **values)
    if smoke_mode():
        say("· {claim} (checked in full mode)", claim=claim_text)
    elif ok:
        say("✓ {claim}", claim=claim_text)
    else:
        say("✗ {claim}: {instead}", claim=claim_text, instead=tr(instead, **values) if instead else "?")
    return ok


def template_fields(text: str) -> set[str]:
    """The names a template fills: template_fields("{a:.1f} vs {b}") == {"a", "b"}."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def plot_labels(folder: str | os.PathLike | None = None):
    """T(text) -> text in this notebook's language. The Chinese notebooks sit beside
    plot_labels.json (English label -> Chinese label, built by lessons/build.py); elsewhere,
    or without a CJK font for matplotlib, the labels stay English."""
    path = _beside_notebook("plot_labels.json", folder)
    table = json.loads(path.read_text(encoding="utf-8")) if path else {}
    if table and not _use_cjk_font():
        say("No CJK font for matplotlib (e.g. Debian's fonts-noto-cjk): plot labels stay in English.")
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
        say("Using CIFAR-10 from {folder}.", folder=data_dir)
        return "cifar10"
    why = tr("smoke mode") if smoke_mode() else tr("CIFAR-10 is not in {folder}", folder=data_dir)
    say("Using the SYNTHETIC dataset (procedural shapes, not CIFAR-10): {why}. "
        "`python -m resnet_edu download` fetches CIFAR-10 (163 MB).", why=why)
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
