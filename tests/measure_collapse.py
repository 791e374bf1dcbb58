"""plain-56 without BN, quick preset, synthetic set, 120 steps: does the gradient reaching its units collapse?

    OMP_NUM_THREADS=1 python tests/measure_collapse.py

Prints the gradient norm at the first and last unit every 10 steps, then the share of exactly-zero unit
outputs on one batch and how much the logits vary over that batch (about 0: the output ignores the input).
"""
import time

import torch

from resnet_edu.models.anatomy import list_units
from resnet_edu.training.config import preset
from resnet_edu.training.trainer import Trainer

torch.set_num_threads(1)
cfg = preset("quick", models=("plain56:batchnorm=false",), dataset="synthetic", steps=120, probe_every=10)
t0 = time.time()
tr = Trainer(cfg)
for e in tr.run():
    if e.kind == "metrics" and e.probes:
        g = e.probes["unit_output_grad_norm"]
        print(f"step {e.step:4d} err {e.train_error:.3f} loss {e.train_loss:.3f} grad first unit {g[0]:.2e} last unit {g[-1]:.2e} t {time.time()-t0:.0f}s", flush=True)
# Dead ReLUs at the end: the share of exactly-zero outputs of each unit on one batch (train mode).
m = tr.members[0].module
outs = []
hooks = [u.module.register_forward_hook(lambda mod, i, o: outs.append(o.detach())) for u in list_units(m)]
x, y = tr.batch(cfg.steps)
with torch.no_grad():
    logits = m(x)
zero = [float((o == 0).float().mean()) for o in outs]
print("share of zero outputs, units 1, 9, 18, 27:", [round(zero[i], 3) for i in (0, 8, 17, 26)])
print("logits std over the batch:", float(logits.float().std(dim=0).mean()))
