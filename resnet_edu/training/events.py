"""What the trainer yields: small immutable events that the CLI, the app and notebooks consume."""

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Metrics:
    """One model's metrics at a logged step. Errors are fractions in [0, 1]."""

    model: str
    step: int
    epoch: float  # passes over the training images so far
    lr: float
    train_loss: float  # mean over the batches since the last logged step
    train_error: float  # on the augmented training batches since the last logged step
    images_per_s: float  # training images per second per model, for the lockstep run
    test_error: float | None = None  # at evaluation steps only
    probes: dict | None = None  # a ProbeRecord as a dict, at probe steps only
    kind: str = "metrics"

    def to_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Status:
    """A change of state: a model diverged or finished, or the whole run ("*") started or stopped."""

    model: str  # a model entry, or "*" for the run
    step: int
    status: str  # "running", "diverged", "done", "stopped", "failed"
    message: str = ""
    kind: str = "status"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def event_from_dict(d: dict):
    """The inverse of to_dict, for replaying a metrics file."""
    cls = Status if d.get("kind") == "status" else Metrics
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})
