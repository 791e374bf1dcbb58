"""Command line: python -m resnet_edu {app,train,download,models,bench,sweep} ...

    python -m resnet_edu app                      the app, on 127.0.0.1 from any folder
    python -m resnet_edu train --models plain20,plain56 --dataset synthetic --preset quick
    python -m resnet_edu download --data-dir data
"""

import argparse
import dataclasses
import json
import os
import signal
import sys

from .training.config import PRECISIONS, PRESETS, preset, split_models


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, not a usage dump
        sys.stderr.write(f"error: {message} (see `python -m {self.prog} --help`)\n")
        sys.exit(2)


def _fail(message: str, code: int = 2) -> int:
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    sys.stderr.write(f"error: {one_line}\n")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="resnet_edu", description="Run the ResNet papers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    a = sub.add_parser("app", help="start the app in the browser (127.0.0.1 unless --host says otherwise)")
    a.add_argument("--host", default="127.0.0.1",
                   help="address to listen on; 0.0.0.0 shares the app with every machine that can reach this one")
    a.add_argument("--port", type=int, default=8501)
    a.add_argument("--headless", action="store_true", help="do not open a browser")

    t = sub.add_parser("train", help="train models in lockstep on the same batches")
    t.add_argument("--models", default="plain20,plain56",
                   help="comma-separated, e.g. plain20,plain56 or resnet56:shortcut=B")
    t.add_argument("--dataset", default="cifar10", help="cifar10 or synthetic")
    t.add_argument("--data-dir", default="data")
    t.add_argument("--preset", default="quick", help=f"one of {', '.join(PRESETS)}")
    t.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--steps", type=int, help="override the preset's number of steps")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--probe-every", type=int, default=0, help="record probes every N steps (0: off)")
    t.add_argument("--checkpoint-seconds", type=float,
                   help="save a checkpoint every this many seconds of training (default 60; 0: off)")
    t.add_argument("--metrics-out", help="also write the events, one JSON object per line, here")
    t.add_argument("--runs-dir", default="data/runs", help="the run store (config, metrics, checkpoint)")
    t.add_argument("--resume", metavar="RUN_ID", help="continue a run of the run store from its checkpoint")
    t.add_argument("--no-fast", action="store_true", help="plain fp32 path, no channels_last/bf16")
    t.add_argument("--precision", choices=PRECISIONS,
                   help="training precision (evaluation is always fp32); default: the preset's (paper: fp32)")
    t.add_argument("--compile", action="store_true", help="torch.compile the models (CUDA)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--seeds", help="a seed band in one run, e.g. 0-4 or 0,1,2 (each model once per seed)")
    t.add_argument("--sync-bn", action="store_true", help="under torchrun: BN over the whole batch (CUDA)")

    d = sub.add_parser("download", help="download CIFAR-10 (163 MB) into DATA_DIR")
    d.add_argument("--data-dir", default="data")

    sub.add_parser("models", help="list the paper's model names with their parameter counts")

    b = sub.add_parser("bench", help="training speed: this project's loop vs a conventional loop")
    b.add_argument("--models", default="resnet56")
    b.add_argument("--device", default="auto")
    b.add_argument("--batch-size", default="128", help="a batch size, or several to sweep: 128,256,512")
    b.add_argument("--steps", type=int, default=20)
    b.add_argument("--warmup", type=int, default=3)
    b.add_argument("--rounds", type=int, default=5, help="rounds of the loops alternated (medians are reported)")
    b.add_argument("--stacked", action="store_true",
                   help="also time 3 seeds of plain20 + plain56 stacked vs one by one (--models '' for only this)")
    b.add_argument("--json", action="store_true", help="print one JSON object keyed by model")
    b.add_argument("--no-graph", action="store_true", help="eager steps on CUDA (the graph step is CUDA's default)")
    b.add_argument("--compile", action="store_true", help="torch.compile the models (CUDA; its wait is in first_step_s)")
    b.add_argument("--precision", choices=PRECISIONS, help="training precision of the project's loops (default auto)")
    b.add_argument("--loop-preset",
                   help="the preset whose log and evaluation intervals the trainer loop keeps "
                        "(default: classroom on CUDA, quick elsewhere; none: no trainer loop)")
    b.add_argument("--lockstep", action="store_true",
                   help="time the given models as ONE run (e.g. Fig. 6's nine nets), not one by one")

    w = sub.add_parser("sweep", help="independent runs, one per seed, spread over the visible GPUs")
    w.add_argument("--models", default="plain20,plain56")
    w.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,1,2: one run per seed")
    w.add_argument("--preset", default="quick", help=f"one of {', '.join(PRESETS)}")
    w.add_argument("--dataset", default="cifar10")
    w.add_argument("--data-dir", default="data")
    w.add_argument("--runs-dir", default="data/runs")
    w.add_argument("--steps", type=int)

    args = parser.parse_args(argv)
    try:
        if args.command == "app":
            from .launch import run as launch_app
            return launch_app(args.host, args.port, args.headless)
        if args.command == "train":
            return _train(args)
        if args.command == "download":
            return _download(args)
        if args.command == "models":
            return _models()
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "bench":
            from .perf.bench import main as bench_main
            return bench_main(args)
    except ValueError as err:
        return _fail(str(err))
    except OSError as err:  # a folder that is a file, a full disk, no permission: one line, no traceback
        where = f": {err.filename}" if err.filename else ""
        return _fail(f"{err.strerror or type(err).__name__}{where}", 1)
    return 0


def _download(args) -> int:
    from .data import DataUnavailable, download_cifar10
    try:
        path = download_cifar10(args.data_dir)
    except DataUnavailable as err:
        return _fail(str(err), 1)
    print(f"CIFAR-10 is ready in {path}")
    return 0


def _models() -> int:
    from .models import PAPER_MODELS, build_model, count_params
    for name in PAPER_MODELS:
        if name in ("resnet1202", "preact_resnet1001"):
            continue  # slow to build just for a count; see the README's table
        print(f"{name:20s} {count_params(build_model(name)):>12,d} parameters")
    return 0


def _train(args) -> int:
    from .runs.store import RunStore
    from .training.device import pick_cpu_threads

    pick_cpu_threads()  # never more CPU threads than free cores (extra ones spin against other work)

    overrides = dict(models=split_models(args.models),
                     dataset=args.dataset, data_dir=args.data_dir, device=args.device, seed=args.seed,
                     probe_every=args.probe_every, fast=not args.no_fast, compile=args.compile,
                     sync_bn=args.sync_bn)
    if args.seeds:
        overrides["seeds"] = parse_seeds(args.seeds)
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    if args.precision is not None:
        overrides["precision"] = args.precision
    if args.checkpoint_seconds is not None:
        overrides["checkpoint_seconds"] = args.checkpoint_seconds
    store = RunStore(args.runs_dir)
    if args.resume:
        if not store.exists(args.resume):
            return _fail(f"no run {args.resume!r} in {args.runs_dir}")
        config = store.config(args.resume)
        if args.steps is not None:
            config = dataclasses.replace(config, steps=args.steps)
            config.validate()
    else:
        config = preset(args.preset, **overrides)
    # Opened before the run exists: a --metrics-out that cannot be written leaves no run behind.
    out = open(args.metrics_out, "a", encoding="utf-8") if args.metrics_out else None
    try:
        if args.resume and not _follower():
            with store.lock(args.resume):  # one trainer per run: a second CLI or the server gets RunBusy
                return _train_run(args, store, config, args.resume, out)
        return _train_run(args, store, config, args.resume, out)
    finally:
        if out:
            out.close()
        from .training import distributed
        distributed.finish()


def _sweep(args) -> int:
    from .runs import sweep
    seeds = parse_seeds(args.seeds)
    preset(args.preset, models=split_models(args.models), dataset=args.dataset)  # a bad name fails here, once
    train_args = ["--models", args.models, "--preset", args.preset, "--dataset", args.dataset,
                  "--data-dir", args.data_dir, "--runs-dir", args.runs_dir]
    if args.steps is not None:
        train_args += ["--steps", str(args.steps)]
    return sweep.run(seeds, train_args, say=lambda s: print(s, file=sys.stderr, flush=True))


def _follower() -> bool:
    """Under torchrun, every rank but 0 trains and writes nothing (rank 0 keeps the run store)."""
    return int(os.environ.get("RANK", "0")) > 0


def parse_seeds(text: str) -> tuple[int, ...]:
    """'0-4' -> (0, 1, 2, 3, 4); '0,2,5' -> (0, 2, 5)."""
    seeds: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            lo, sep, hi = part.partition("-")
            first, last = int(lo), int(hi) if sep else int(lo)
            if last - first > 64:
                raise ValueError
            seeds += list(range(first, last + 1))
    except ValueError:
        raise ValueError(f"--seeds {text!r} must look like 0-4 or 0,1,2 (at most 64 seeds)") from None
    if not seeds or len(seeds) > 64:
        raise ValueError(f"--seeds {text!r} must name 1 to 64 seeds")
    return tuple(seeds)


def _train_run(args, store, config, resume_id: str | None, out) -> int:
    from .data import DataUnavailable
    from .training.trainer import Trainer

    try:
        trainer = Trainer(config, run_dir=store.path(resume_id) if resume_id else None, resume=bool(resume_id))
    except DataUnavailable as err:
        return _fail(str(err), 1)
    if not trainer.world.is_writer:  # torchrun rank > 0: the same steps on its share, nothing written
        for _ in trainer.run():
            pass
        return 0
    if resume_id:
        run_id = resume_id
        if config.steps != store.config(run_id).steps:
            store.update_config(run_id, config)
        store.rewind(run_id, trainer.step)  # steps after the checkpoint are logged again, once
        store.set_status(run_id, "running", step=trainer.step, steps=config.steps, message="resumed")
        return _loop(args, store, trainer, run_id, out)
    run_id = store.create(config)
    trainer.run_dir = store.path(run_id)
    with store.lock(run_id):
        return _loop(args, store, trainer, run_id, out)


def _loop(args, store, trainer, run_id: str, out) -> int:
    config = trainer.config
    if trainer.synthetic:
        print("note: training on the SYNTHETIC dataset (procedural shapes), not CIFAR-10", file=sys.stderr)
    print(f"run {run_id}: {', '.join(config.models)} on {trainer.device.type}, {config.steps} steps "
          f"(preset {config.preset}); stop with Ctrl-C or SIGTERM, resume with --resume {run_id}", file=sys.stderr)

    # SIGTERM (what `timeout`, systemd and `docker stop` send) is a Ctrl-C: finish the step, save,
    # status "stopped". A second one of either stops now (the loop still saves what was done).
    def on_signal(signum, frame):
        trainer.request_stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.default_int_handler)
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=config.steps, initial=trainer.step, unit="step", dynamic_ncols=True, file=sys.stderr)
    final = "done"
    try:
        for event in store.record(run_id, trainer.run()):
            if out:
                out.write(json.dumps(event.to_dict()) + "\n")
                out.flush()
            if event.kind == "metrics":
                if bar is not None:
                    bar.update(event.step - bar.n)
                    bar.set_postfix_str(f"{event.model} loss {event.train_loss:.3f} err {event.train_error:.1%}")
                if event.test_error is not None:
                    _say(bar, f"step {event.step:>6d}  {event.model:>12s}  train loss {event.train_loss:.4f}  "
                              f"train err {event.train_error:6.2%}  test err {event.test_error:6.2%}")
            elif event.model != "*" and event.status == "diverged":
                _say(bar, f"warning: {event.message}")
            elif event.model == "*" and event.status in ("done", "stopped", "diverged"):
                final = event.status
    except Exception as err:  # the run failed (e.g. the disk is full): say so in its status, then one line
        why = (str(err).splitlines() or [type(err).__name__])[0]
        try:
            store.set_status(run_id, "failed", message=why)
        except OSError:
            pass
        return _fail(f"run {run_id} failed at step {trainer.step}: {why}", 1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if bar is not None:
            bar.close()
    where = store.path(run_id)
    print(f"run {run_id} {final} at step {trainer.step}; metrics and checkpoint in {where}", file=sys.stderr)
    return {"done": 0, "diverged": 1}.get(final, 130)


def _say(bar, text: str) -> None:
    if bar is not None:
        bar.write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr)
