"""ResNet Lab: run the ResNet papers (He et al. 2015, 2016) instead of only reading them.

The names a notebook types first:

    from resnet_edu import build_model, load_cifar10, preset, train
    events = train(preset("quick", models=("plain20", "plain56"), dataset="synthetic"))

The layers, each importing only those above it in this list (a test checks):
    models/, data/   the papers' nets; CIFAR-10 and the synthetic set as tensors
    training/        config and presets, the lockstep trainer, events, probes, checkpoints
    runs/            the run store on disk, the app's job runner, ETA, exports
    analysis/        lesion, signal propagation, attributions, loss landscape, span
    viz/             plotly figures and block diagrams for the app
    perf/            the speed benchmark and the memory-traffic estimate
    cli.py           `python -m resnet_edu ...`; the app (app/) sits on top and is never imported here
Importing this module loads torch but neither streamlit nor captum.
"""

from ._version import __version__
from .data import load_cifar10, load_dataset, make_synthetic
from .models import build_model, count_params, list_units
from .training.config import RunConfig, preset
from .training.notebook import curves, train
from .training.probes import Probe
from .training.trainer import Trainer

__all__ = [
    "Probe", "RunConfig", "Trainer", "__version__", "build_model", "count_params", "curves", "list_units",
    "load_cifar10", "load_dataset", "make_synthetic", "preset", "train",
]
