"""A real `streamlit run app/main.py` on 127.0.0.1 for the scripts that drive Chromium (not tests).

Shared by tests/bench_watchers.py and tests/screenshot_lab.py: a temporary run store and data
folder, a free port, and Debian's /usr/bin/chromium with flags for a headless machine (playwright
with executable_path; never `playwright install`).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, port: int, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                 timeout: float = 120, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    """The app with its run store in root/runs and its data folder root/data (empty: the synthetic set).

    env: extra variables (e.g. the tiny preset for a benchmark); drop: variables to remove from ours;
    prefix: a command to start it under (("taskset", "-c", "0") pins it and the training it starts).
    """
    full = {**os.environ, "RESNET_EDU_RUNS_DIR": str(root / "runs"), "RESNET_EDU_DATA_DIR": str(root / "data"),
            **(env or {})}
    for key in drop:
        full.pop(key, None)
    (root / "data").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"streamlit did not start in {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
