"""`python -m resnet_edu app`: start the Streamlit app safely, from any folder.

`streamlit run app/main.py` reads .streamlit/config.toml from the *current* folder only: started
anywhere else it listens on every interface and sends usage statistics. This launcher passes the
safe settings on the command line, so they hold wherever it is started:
127.0.0.1 unless told otherwise (`--host 0.0.0.0` to share with a class, on purpose), no usage
statistics, no "Deploy" button, no rerun on save. It starts the app as a child process and never
imports it (the app sits on top of the package).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]  # the repository, for an editable install
APP = CHECKOUT / "app" / "main.py"
LOOPBACK = "127.0.0.1"
# Read by app/main.py: the host chose this address, so a reachable server is no surprise there.
SHARED_ENV = "RESNET_EDU_SHARED"


def streamlit_command(host: str = LOOPBACK, port: int = 8501, headless: bool = False) -> list[str]:
    """The `streamlit run` command line with the safe settings spelled out."""
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", host, "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
            "--server.runOnSave", "false", "--server.fileWatcherType", "none",
            "--runner.postScriptGC", "false", "--server.headless", "true" if headless else "false"]


def run(host: str = LOOPBACK, port: int = 8501, headless: bool = False) -> int:
    """Start the app and wait for it; Ctrl-C stops it. Returns the exit code."""
    if not APP.is_file():
        raise ValueError(f"the app is not part of this install (no {APP}): it runs from a checkout of "
                         f"the repository, installed with `pip install -e \".[app]\"`")
    if not 1 <= port <= 65_535:
        raise ValueError(f"--port must be 1 to 65535, got {port}")
    if importlib.util.find_spec("streamlit") is None:  # looked up, never imported: the app runs it
        raise ValueError("streamlit is not installed: pip install -e \".[app]\"")
    if host != LOOPBACK:
        os.environ[SHARED_ENV] = host
        print(f"note: the app listens on {host}: anyone who can reach this machine can open it "
              f"(docs/safety.md says how viewers are limited)", file=sys.stderr)
    # Started in the checkout, so app-relative paths and the checked-in config agree with the flags.
    os.chdir(CHECKOUT)
    command = streamlit_command(host, port, headless)
    if os.name == "posix":
        # Become Streamlit (same pid): Ctrl-C, SIGTERM from `timeout`/systemd/`kill` reach the
        # server itself, and no orphaned server outlives a killed launcher.
        os.execv(command[0], command)
    proc = subprocess.Popen(command)  # Windows: no exec that keeps the console; wait for the child
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Streamlit got the same Ctrl-C from the console and stops itself
        try:
            return proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            return 130
