"""One lesson-01 training step (plain-20 + plain-56, widths 8/16/32, batch 64 of CIFAR-10, fp32 SGD)
timed with 1 and with 2 torch threads, alternating A B A B; prints each round with the load
average, then the medians. The numbers in lessons/README.md come from this script:

    python lessons/measure_threads.py            # ROUNDS=6 by default; needs CIFAR-10 in find_data_dir()
"""

import os
import statistics
import time

import torch
import torch.nn.functional as F

from resnet_edu.data import dataset_mean_std, load_cifar10, normalize
from resnet_edu.models import build_model
from resnet_edu.training.notebook import find_data_dir


def main(rounds: int = int(os.environ.get("ROUNDS", 6)), steps_per_round: int = 3) -> None:
    train, _ = load_cifar10(find_data_dir())
    x = normalize(train.images[:64], *dataset_mean_std("cifar10"))  # (64, 3, 32, 32)
    y = train.labels[:64]
    nets = [build_model(name, widths=(8, 16, 32)) for name in ("plain20", "plain56")]
    opts = [torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9) for net in nets]

    def step() -> None:
        for net, opt in zip(nets, opts):
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    seconds: dict[int, list[float]] = {1: [], 2: []}
    for threads in seconds:  # warm-up, once per setting
        torch.set_num_threads(threads)
        step()
    for r in range(rounds):
        for threads in seconds:
            torch.set_num_threads(threads)
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            seconds[threads].append((time.perf_counter() - start) / steps_per_round)
            load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
            print(f"round {r}, {threads} thread(s): {seconds[threads][-1]:.2f} s/step (load average {load})")
    for threads, values in seconds.items():
        print(f"{threads} thread(s): median {statistics.median(values):.2f} s/step over {rounds} rounds")


if __name__ == "__main__":
    main()
