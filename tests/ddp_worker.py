"""One rank of the 2-process gloo test (tests/test_distributed.py); run under torchrun.

    torchrun --standalone --nproc-per-node=2 tests/ddp_worker.py OUT_DIR

Each rank trains the tiny synthetic run with its own run folder and saves what the test
compares: its share of the first batch, its final weights, and its metrics.
"""

import json
import os
import sys
from pathlib import Path

import torch

from resnet_edu.data import make_synthetic
from resnet_edu.training.config import RunConfig
from resnet_edu.training.events import Metrics
from resnet_edu.training.trainer import Trainer

out = Path(sys.argv[1])
torch.set_num_threads(1)
config = RunConfig(models=("plain8", "resnet8"), dataset="synthetic", widths=(4, 8, 8), batch_size=32,
                   steps=8, milestones=(), log_every=4, eval_every=8, device="cpu", seed=0)
rank = int(os.environ["RANK"])  # set by torchrun; the trainer joins the gloo group itself
trainer = Trainer(config, data=make_synthetic(n_train=512, n_test=128, seed=0), run_dir=out / f"run-rank{rank}")
x, y = trainer.batch(1)
events = [e.to_dict() for e in trainer.run() if isinstance(e, Metrics)]
assert trainer.world.rank == rank
torch.save({"x": x, "y": y, "world": trainer.world.size, "stacks": len(trainer.stacks),
            "weights": {m.name: m.module.state_dict() for m in trainer.members}}, out / f"rank{rank}.pt")
(out / f"metrics{rank}.json").write_text(json.dumps(events))
