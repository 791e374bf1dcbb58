"""A recorded run, out of the app: JSON, CSV, and a notebook cell that reproduces it."""

import csv
import io
import json

from ..training.config import RunConfig

CSV_FIELDS = ("model", "step", "epoch", "lr", "train_loss", "train_error", "test_error", "images_per_s")


def run_json(run_id: str, config: RunConfig, status: dict, events: list[dict]) -> str:
    """The whole run as one JSON document: config, status and every event."""
    return json.dumps({"run_id": run_id, "config": config.to_dict(), "status": status, "events": events},
                      indent=1, allow_nan=True)


def metrics_csv(events: list[dict]) -> str:
    """The metric events as CSV (errors as fractions, as recorded); probes and status lines left out."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for e in events:
        if e.get("kind", "metrics") == "metrics":
            writer.writerow({k: e.get(k, "") for k in CSV_FIELDS})
    return out.getvalue()


def notebook_cell(config: RunConfig) -> str:
    """Python for a notebook cell that trains the same run with resnet_edu and plots it.

    models= and dataset= are always written (a reader should not have to know the defaults);
    the data folder is a name to edit, not this machine's absolute path.
    """
    defaults = RunConfig()
    changed = {k: v for k, v in config.to_dict().items()
               if k not in ("preset", "data_dir") and (k in ("models", "dataset") or v != getattr(defaults, k))}
    args = "".join(f"\n    {k}={v!r}," for k, v in changed.items())
    data = ""
    # A seed band (config.seeds): one mean curve per net, not one line per 'net@seedN' member.
    band = ", mean_over_seeds=True" if len(config.seeds) > 1 else ""
    if config.dataset == "cifar10":
        data = f"DATA_DIR = {defaults.data_dir!r}  # the folder that holds (or will get) cifar-10-batches-py\n"
        args += "\n    data_dir=DATA_DIR,"
    return (
        "from resnet_edu import RunConfig, curves, train\n"
        "import matplotlib.pyplot as plt\n\n"
        f"{data}config = RunConfig({args}\n)\n"
        "events = train(config)\n"
        f"for model, (steps, errors) in curves(events, 'train_error'{band}).items():\n"
        "    plt.plot(steps, [100 * e for e in errors], '--' if model.startswith('plain') else '-', label=model)\n"
        "plt.xlabel('step'); plt.ylabel('training error (%)'); plt.legend(); plt.show()\n")
