"""Seconds from Start to the first chart point and to 'now visible', as the app's worker runs it.

python tests/measure_moment.py DATASET THREADS [DATA_DIR]   (quick preset, plain20 vs plain56; stops at the message)
Start = before the Trainer loads the data and builds the nets (the app's click queues a run and
its worker does exactly this); times come from the run store's line stamps, as the page reads them.
"""

import os
import sys
import tempfile
import time

import torch

from resnet_edu.runs.store import RunStore
from resnet_edu.training.config import preset
from resnet_edu.training.trainer import Trainer
from resnet_edu.viz import gap, plots

dataset, threads = sys.argv[1], int(sys.argv[2])
data_dir = sys.argv[3] if len(sys.argv) > 3 else "data"
torch.set_num_threads(threads)
load0 = os.getloadavg()
t0 = time.time()
cfg = preset("quick", models=("plain20", "plain56"), dataset=dataset, data_dir=data_dir)
store = RunStore(tempfile.mkdtemp())
rid = store.create(cfg)
trainer = Trainer(cfg, run_dir=store.path(rid))
first = found = None
for e in store.record(rid, trainer.run()):
    if e.kind != "metrics" or e.model != "plain56":
        continue
    if first is None:
        first = time.time() - t0
    g = gap.degradation_gap(plots.metrics_frame(store.metrics(rid), run_id=rid), "plain20", "plain56", start=t0)
    if g.visible:
        found = (g.step, round(g.elapsed_s, 1))
        trainer.request_stop()
print(f"{dataset} threads={threads} first_point_s={first:.1f} (the first plain-56 line) visible(step, s)={found} "
      f"steps_run={trainer.step} total_s={time.time() - t0:.1f} load_start={load0[0]:.1f} load_end={os.getloadavg()[0]:.1f}")
