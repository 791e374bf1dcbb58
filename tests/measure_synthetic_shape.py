"""Does the synthetic set show v1's shape (issue 23 §3)? Quick preset, seeds 0-2, three nets in lockstep.

    OMP_NUM_THREADS=1 nice -n 10 python tests/measure_synthetic_shape.py [knob=value ...]

Trains plain-20, plain-56 and ResNet-56 for seeds 0, 1, 2 as one seed band of the quick preset on
the synthetic set, exactly as `python -m resnet_edu train --models plain20,plain56,resnet56 --preset
quick --dataset synthetic --seeds 0,1,2` does, and prints each net's final training error per seed
(gap.final_values, the number every page shows: the mean of the last 5 logs) and the three criteria:

    plain-56 at least 15 points below chance (<= 75 %)     it learns, as in v1 Fig. 1
    plain-56 at least 8 points above plain-20              it trains worse (degradation)
    ResNet-56 below plain-56                                the residual net fixes it

Optional `knob=value` arguments (e.g. `colour_cue=0.4`) go to make_synthetic, to try a design
without editing the generator; with none the run uses the set the trainer loads by default.
`models=plain20,plain56` and `seeds=0` make a cheaper screening run (one seed: no band, the
config's own `seed`); the criteria are judged only when all three nets ran.
"""
import sys
import time

import torch

from resnet_edu.data import make_synthetic
from resnet_edu.training.config import preset
from resnet_edu.training.trainer import Trainer
from resnet_edu.viz.gap import final_values
from resnet_edu.viz.plots import metrics_frame

SEEDS = (0, 1, 2)
MODELS = ("plain20", "plain56", "resnet56")


def knobs(args: list[str]) -> dict:
    out = {}
    for a in args:
        key, _, value = a.partition("=")
        out[key] = int(value) if value.lstrip("-").isdigit() else float(value)
    return out


def main() -> None:
    torch.set_num_threads(1)
    args = dict(a.partition("=")[::2] for a in sys.argv[1:])
    models = tuple(args.pop("models", ",".join(MODELS)).split(","))
    seeds = tuple(int(x) for x in args.pop("seeds", "0,1,2").split(","))
    kw = knobs([f"{k}={v}" for k, v in args.items()])
    data = make_synthetic(**kw) if kw else None  # None: the trainer's own load_dataset("synthetic")
    band = dict(seeds=seeds) if len(seeds) > 1 else dict(seed=seeds[0])
    config = preset("quick", models=models, dataset="synthetic", checkpoint_seconds=0, **band)
    t0 = time.time()
    events = []
    for e in Trainer(config, data=data).run():
        if e.kind == "metrics":
            events.append(e.to_dict())
            if e.step % 50 == 0 and (len(seeds) == 1 or e.model.endswith(f"seed{seeds[0]}")):
                print(f"  step {e.step:3d} {e.model:16s} train error {100 * e.train_error:5.1f} %"
                      f"  ({time.time() - t0:.0f} s)", flush=True)
    df = metrics_frame(events)
    finals = {s: final_values(df[df["seed"] == s], "train_error") for s in seeds}
    print(f"\nknobs {kw or 'default'}; {time.time() - t0:.0f} s")
    for s in seeds:
        print(f"seed {s}: " + ", ".join(f"{m} {v:.1f} %" for m, v in finals[s].items()))
    if set(models) != set(MODELS):
        return
    print("seed  plain-20  plain-56  ResNet-56   p56<=75  p56-p20>=8  R56<p56")
    ok = {"learns": True, "gap": True, "resnet": True}
    mark = lambda b: "✓" if b else "✗"  # noqa: E731
    for s in seeds:
        p20, p56, r56 = (finals[s][m] for m in MODELS)
        checks = {"learns": p56 <= 75, "gap": p56 - p20 >= 8, "resnet": r56 < p56}
        ok = {k: ok[k] and v for k, v in checks.items()}
        print(f"{s:4d}  {p20:7.1f} %  {p56:6.1f} %  {r56:7.1f} %    "
              f"{mark(checks['learns']):>5}  {mark(checks['gap']):>9}  {mark(checks['resnet']):>6}")
    print(f"plain-56 learns (<= 75 % on every seed): {mark(ok['learns'])}")
    print(f"plain-56 >= plain-20 + 8 points on every seed: {mark(ok['gap'])}")
    print(f"ResNet-56 below plain-56 on every seed: {mark(ok['resnet'])}")


if __name__ == "__main__":
    main()
