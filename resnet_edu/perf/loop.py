"""What a user gets: the real `Trainer.run`, with its logs and evaluations, timed beside the bare step.

The bare step (bench.py's "project" loop) calls the trainer's step and nothing else. A user's
run also syncs at every log, reads the metrics, evaluates the test set every `eval_every` steps
and saves checkpoints. This module times that loop, alternated with the bare step (A B A B,
same model, same device), and reports how much of the step's speed the loop keeps.

The loop can only pause where `Trainer.run` yields, at its log steps, so a round takes a whole
number of log intervals. Evaluations are periodic, so the rate is total images over total time
(not a median of rounds, which could drop the round that evaluated).
"""

import math
import statistics
import time

import torch

from ..training.config import MAX_STEPS, PRESETS, RunConfig
from ..training.device import synchronize
from ..training.events import Metrics

V1_RECIPE_STEPS = 64_000  # v1 §4.2
CIFAR10_TEST = 10_000  # a preset that names no test_size evaluates on the whole test set


class TrainerLoop:
    """`Trainer.run` as a loop bench.alternate can time: `run(n)` goes on to the next log step >= n more."""

    label = "trainer loop"

    def __init__(self, models: tuple[str, ...], device: torch.device, batch_size: int, preset: str,
                 random_split, **config):
        from ..training.trainer import Trainer
        p = PRESETS[preset]
        self.log_every, self.eval_every = p["log_every"], p["eval_every"]
        test_size = p.get("test_size") or CIFAR10_TEST
        train, test = random_split(max(8 * batch_size, 2048)), random_split(test_size, seed=1)
        cfg = RunConfig(**{**dict(models=tuple(models), dataset="synthetic", batch_size=batch_size,
                                  steps=MAX_STEPS, device=device.type, fast=True, milestones=(),
                                  log_every=self.log_every, eval_every=self.eval_every, checkpoint_seconds=0.0),
                           **config})
        self.device = device
        self.trainer = Trainer(cfg, data=(train, test))  # Start: first_step_s counts from here
        self.events = self.trainer.run()
        self.evaluated_at: set[int] = set()  # steps with an evaluation, in timed rounds
        self.notes: list[str] = []
        self._timing = False

    def round_steps(self, steps: int) -> int:
        """`steps` rounded up to whole log intervals (where the loop can pause)."""
        return max(1, math.ceil(steps / self.log_every)) * self.log_every

    def run(self, steps: int) -> int:
        """Train `steps` more steps (rounded up to a log step) through `Trainer.run`; returns the steps taken."""
        target = self.trainer.step + self.round_steps(steps)
        for event in self.events:
            if isinstance(event, Metrics):
                if self._timing and event.test_error is not None:
                    self.evaluated_at.add(event.step)
                if event.step >= target:  # the other members' log lines follow in the next round
                    break
            elif event.model == "*" and event.message and event.status == "running" and event.step > 0:
                self.notes.append(event.message)
        return self.round_steps(steps)

    def step(self) -> None:  # bench.alternate's warm-up calls step(): a whole log interval here
        self.run(1)


def alternate_with_loop(bare, loop: TrainerLoop, device: torch.device, steps: int, warmup: int,
                        rounds: int) -> dict:
    """ms per step per round of the bare step and the trainer loop, A B A B ..., each over the same steps."""
    steps = loop.round_steps(steps)
    loop.run(max(warmup, 1))  # the first log interval: capture, cuDNN autotuning, allocations
    for _ in range(warmup):
        bare.step()
    loop._timing = True
    times = {"bare step": [], "trainer loop": []}
    for _ in range(rounds):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(steps):
            bare.step()
        synchronize(device)
        times["bare step"].append((time.perf_counter() - start) / steps * 1000)
        start = time.perf_counter()
        loop.run(steps)  # ends just after a log step, which synchronised
        synchronize(device)
        times["trainer loop"].append((time.perf_counter() - start) / steps * 1000)
    return {"steps_per_round": steps, "rounds_ms": times}


def loop_figures(loop: TrainerLoop, timed: dict, batch_size: int, ceiling: float | None, members: int = 1) -> dict:
    """The `trainer_loop` entry of bench --json."""
    t = loop.trainer
    bare_ms, loop_ms = (statistics.fmean(timed["rounds_ms"][k]) for k in ("bare step", "trainer loop"))
    images_per_s = batch_size / loop_ms * 1000  # per member, as Metrics.images_per_s
    return {
        "images_per_s": images_per_s,
        "images_per_s_all_members": images_per_s * members,
        "ms_per_step": loop_ms,
        "bare_step_ms": bare_ms,
        "of_bare_step": bare_ms / loop_ms,  # the share of the bare step's speed the loop keeps
        "first_step_s": t.first_step_s,
        "path": t.path,
        "precision": t.config.precision,
        "trained_in": t.config.trained_in,
        "notes": loop.notes,
        "log_every": loop.log_every, "eval_every": loop.eval_every, "test_images": len(t.test_y),
        "evaluations_timed": len(loop.evaluated_at),
        "steps_per_round": timed["steps_per_round"], "rounds_ms": timed["rounds_ms"],
        # ceiling: lockstep images/s if every member's step were bound by memory traffic alone
        "of_bandwidth_ceiling": images_per_s / ceiling if ceiling else None,
        "v1_recipe_minutes": V1_RECIPE_STEPS * loop_ms / 60_000,
    }
