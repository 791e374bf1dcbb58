"""One run of the store trained in its own process: `python -m resnet_edu.runs.worker ROOT RUN_ID`.

The app's job runner starts this (JobRunner(isolate=True)) so that training never shares an
interpreter lock with the web server's page renders. SIGTERM or SIGINT: finish the step,
save, end "stopped". If the server that started it goes away, the run stops the same way
rather than training on unseen.
"""

import argparse
import os
import signal
import sys
import threading
import time

import torch

from .jobs import fail_run, train_run, worker_busy_code
from .store import RunBusy, RunStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resnet_edu.runs.worker")
    parser.add_argument("root")
    parser.add_argument("run_id")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--parent", type=int, help="the server's pid: when it is gone, stop and save")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))

    trainer, stop = None, threading.Event()

    def on_signal(signum, frame):
        stop.set()
        if trainer is not None:
            trainer.request_stop()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def built(t):
        nonlocal trainer
        trainer = t
        if stop.is_set():
            t.request_stop()

    # The server's pid from its command line, not os.getppid() read here: importing torch takes
    # seconds, and a server terminated meanwhile would already have handed this process to init,
    # whose pid would then pass for the parent and the run would train on, unseen.
    parent = args.parent or os.getppid()

    def watch_parent():  # the server is gone (its children are re-parented): stop and save
        while not stop.is_set():
            if os.getppid() != parent:
                on_signal(signal.SIGTERM, None)
            time.sleep(0.5)
    threading.Thread(target=watch_parent, daemon=True).start()

    store = RunStore(args.root)
    try:
        with store.lock(args.run_id):
            try:
                train_run(store, args.run_id, args.resume, built)
            except Exception as err:  # the run fails; the server goes on
                print(fail_run(store, args.run_id, err), file=sys.stderr)
                return 1
    except RunBusy as err:
        print(err, file=sys.stderr)
        return worker_busy_code()
    return 0


if __name__ == "__main__":
    sys.exit(main())
