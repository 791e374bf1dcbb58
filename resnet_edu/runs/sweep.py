"""`python -m resnet_edu sweep`: independent runs spread over the visible GPUs, one process per device.

    python -m resnet_edu sweep --models plain20,plain56,resnet20,resnet56 --seeds 0-4 --preset paper

One run per seed (all the models of a seed in lockstep on the same batches, as the app's
labs do), each a `python -m resnet_edu train` process pinned to one GPU with
CUDA_VISIBLE_DEVICES, all writing to the same run store; as a device frees up, the next
seed starts there. Without GPUs the runs go one after another on the CPU. A five-seed
Fig. 6, or v2 Table 2's designs, on an 8-GPU box: 5 runs at once instead of 5 in a row.
"""

import os
import subprocess
import sys
import time

import torch


def visible_gpus() -> list[int]:
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []


def command(seed: int, train_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "resnet_edu", "train", *train_args, "--seed", str(seed), "--quiet"]


def run(seeds: tuple[int, ...], train_args: list[str], say=print, poll_s: float = 0.5) -> int:
    """Run one training process per seed, at most one per GPU at a time; 0 when all succeeded."""
    gpus = visible_gpus()
    slots: list[int | None] = gpus or [None]  # None: the CPU, one run at a time
    pending, running, failed = list(seeds), {}, []
    say(f"sweep: {len(seeds)} run(s) over {len(gpus)} GPU(s)" if gpus else
        f"sweep: {len(seeds)} run(s), one after another (no GPU visible)")
    while pending or running:
        for slot in slots:
            if pending and slot not in running.values():
                seed = pending.pop(0)
                env = dict(os.environ)
                if slot is not None:
                    env["CUDA_VISIBLE_DEVICES"] = str(slot)  # the process sees one GPU: cuda:0
                running[subprocess.Popen(command(seed, train_args), env=env)] = slot
                say(f"sweep: seed {seed} started on {'GPU ' + str(slot) if slot is not None else 'the CPU'}")
        for proc in list(running):
            if proc.poll() is not None:
                del running[proc]
                seed = proc.args[-2]
                if proc.returncode:
                    failed.append(seed)
                say(f"sweep: seed {seed} {'finished' if proc.returncode == 0 else 'FAILED'}")
        time.sleep(poll_s)
    if failed:
        say(f"sweep: {len(failed)} run(s) failed (seeds {', '.join(failed)}); the others are in the run store")
        return 1
    return 0
