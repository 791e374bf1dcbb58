"""Benchmark (not a test): one real server, one training run, N real browser sessions watching it.

    python -m tests.bench_watchers --watchers 1 5 10 20          (docs/watchers.md)

For each N: start `streamlit run app/main.py` on 127.0.0.1 (a temporary run store, synthetic
data, the tiny preset made long), start a run from a browser, close that page, measure the
training speed with nobody watching, open N Chromium sessions on the run's live view
(playwright with Debian's /usr/bin/chromium; never `playwright install`), measure the speed
again, and how long each page took to draw its first chart. Speeds come from the run's own
metrics.jsonl (images/s per log window, stamped with wall-clock time); the median of the
windows inside each phase is reported. Say the machine's load with the figures: on a shared
machine they move.

Cores (issue 24): in a classroom the browsers run on the students' machines, so here they are
kept off the server's cores. With 2 or more cores the server and the training it starts run under
`taskset -c 0` (--server-cores) and this script, playwright's driver and every Chromium under
core 1 (--browser-cores; set on this process before anything starts, so all of them inherit it).
--no-pin gives the old set-up: everything on every core, the browsers reniced to 19.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.live_server import BROWSER_ARGS, CHROMIUM, free_port, start_server, stop_server

MODELS = "plain20;plain56"  # the degradation lab's pair, at the tiny preset's widths (4/8/8)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: the server's own, not its children's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def renice_below(server_pid: int) -> None:
    """This script, playwright's driver and Chromium at the lowest priority, the server and its
    training child as they are: in a classroom the browsers run on the students' machines, not
    on the server's cores. Without this, what the training speed measures is N headless
    browsers drawing charts on the same 2 cores."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue

    def tree(root: int) -> set[int]:
        found, grew = {root}, True
        while grew:
            more = {pid for pid, ppid in parents.items() if ppid in found} - found
            found, grew = found | more, bool(more)
        return found
    for pid in tree(os.getpid()) - tree(server_pid):
        for task in Path(f"/proc/{pid}/task").glob("*"):  # niceness is per thread on Linux
            try:
                os.setpriority(os.PRIO_PROCESS, int(task.name), 19)
            except (OSError, ValueError):
                pass


def speeds(run_dir: Path, start: float, end: float) -> list[float]:
    """images/s of the log windows that ended between `start` and `end` (unix seconds)."""
    out = []
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("kind") == "metrics" and start <= e.get("time", 0) <= end and e.get("images_per_s"):
            out.append(e["images_per_s"])
    return out


def start_run(browser, url: str, runs: Path) -> Path:
    page = browser.new_page()
    page.goto(f"{url}/?page=degradation&lang=en&models={MODELS}&preset=tiny&dataset=synthetic", timeout=120_000)
    page.get_by_role("button", name="Start training").click(timeout=120_000)
    end = time.time() + 120
    while time.time() < end:
        folders = [f for f in runs.iterdir() if (f / "metrics.jsonl").exists()] if runs.exists() else []
        if folders and speeds(folders[0], 0, 1e12):
            page.close()  # nobody watches now
            return folders[0]
        time.sleep(0.5)
    raise RuntimeError("the run did not start in 120 s")


def open_watcher(browser, url: str, run_id: str, deadline: float = 180.0) -> tuple[object, float | None]:
    """A new session (its own browser context) on the run's live view; seconds to its first chart."""
    [(context, took)] = open_watchers(browser, url, run_id, 1, deadline)
    return context, took


def open_watchers(browser, url: str, run_id: str, n: int, deadline: float = 180.0) -> list[tuple[object, float | None]]:
    """n sessions opened at once, as a class does; each one's seconds from the request to its first
    chart, or None when it had drawn none `deadline` seconds after the first request (at N = 20 a
    page could otherwise wait for minutes and the speeds would never be measured)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    opened, start = [], time.perf_counter()
    for _ in range(n):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        opened.append((context, page, time.perf_counter()))
        page.goto(f"{url}/?page=runs&lang=en&runs={run_id}", timeout=300_000, wait_until="commit")
    out = []
    for context, page, t0 in opened:
        left_ms = max(1.0, (start + deadline - time.perf_counter()) * 1000)
        try:
            page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=left_ms)
            out.append((context, time.perf_counter() - t0))
        except PlaywrightTimeout:
            out.append((context, None))
    return out


def measure(n: int, seconds: float = 30.0, settle: float = 5.0, server_cores: str | None = None,
            deadline: float = 180.0) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        root, port = Path(tmp), free_port()
        prefix = ("taskset", "-c", server_cores) if server_cores else ()
        server = start_server(root, port, env={"RESNET_EDU_TEST_TINY": "1", "RESNET_EDU_TINY_STEPS": "1000000"},
                              timeout=90, prefix=prefix)
        url = f"http://127.0.0.1:{port}"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        if not server_cores:
            renice_below(server.pid)
        try:
            run_dir = start_run(browser, url, root / "runs")
            time.sleep(settle)
            t0, c0 = time.time(), cpu_seconds(server.pid)
            time.sleep(seconds)
            alone = speeds(run_dir, t0, time.time())
            server_alone = (cpu_seconds(server.pid) - c0) / (time.time() - t0)

            opened = open_watchers(browser, url, run_dir.name, n, deadline)
            contexts, renders = [c for c, _ in opened], [r for _, r in opened if r is not None]
            time.sleep(settle)
            t0, c0 = time.time(), cpu_seconds(server.pid)
            time.sleep(seconds)
            watched = speeds(run_dir, t0, time.time())
            server_watched = (cpu_seconds(server.pid) - c0) / (time.time() - t0)
            # One more page while N sessions poll: how long a newcomer waits.
            _, newcomer = open_watcher(browser, url, run_dir.name, deadline)
            for context in contexts:
                context.close()
            # Nobody watching again (A B A): the machine's load drifts, the mean of both A's is the base.
            time.sleep(settle)
            t0 = time.time()
            time.sleep(seconds)
            alone += speeds(run_dir, t0, time.time())
            status = json.loads((run_dir / "status.json").read_text())
        finally:
            browser.close()
            stop_server(server)
    if not alone or not watched:
        raise RuntimeError(f"no training windows measured (alone {len(alone)}, watched {len(watched)}): "
                           f"the run's status was {status}")
    base, busy = statistics.median(alone), statistics.median(watched)
    return {"watchers": n, "images_per_s_alone": round(base, 1), "images_per_s_watched": round(busy, 1),
            "ratio": round(busy / base, 3),
            "drew_first_chart": f"{len(renders)} of {n} within {deadline:g} s",
            "render_s_median": round(statistics.median(renders), 2) if renders else None,
            "render_s_max": round(max(renders), 2) if renders else None,
            "newcomer_render_s": round(newcomer, 2) if newcomer is not None else None,
            "windows": [len(alone), len(watched)],
            "server_cpu_cores": [round(server_alone, 2), round(server_watched, 2)],
            "server_cpu_per_watcher": round((server_watched - server_alone) / n, 3),
            "pinned": {"server": server_cores, "browsers": sorted(os.sched_getaffinity(0))} if server_cores else None,
            "load_avg_1min": round(os.getloadavg()[0], 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each measured phase")
    parser.add_argument("--first-chart-deadline", type=float, default=180.0,
                        help="seconds a class's pages get to draw a first chart; later ones count as not drawn")
    parser.add_argument("--server-cores", default="0", help="taskset list for the server and its training")
    parser.add_argument("--browser-cores", default="1", help="cores for this script and the browsers")
    parser.add_argument("--no-pin", action="store_true", help="no taskset: browsers reniced instead")
    args = parser.parse_args(argv)
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    if pin:  # before playwright starts: its driver and every Chromium inherit this process's cores
        os.sched_setaffinity(0, {int(c) for c in args.browser_cores.split(",")})
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at the start, "
          f"{'server on ' + args.server_cores + ', browsers on ' + args.browser_cores if pin else 'not pinned'}",
          flush=True)
    for n in args.watchers:
        print(json.dumps(measure(n, args.seconds, server_cores=args.server_cores if pin else None,
                                      deadline=args.first_chart_deadline)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
