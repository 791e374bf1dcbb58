"""`python -m resnet_edu app` (issue 24, item 9): started from any folder, it listens on 127.0.0.1 only."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit import config as st_config

from app_helpers import app_env, no_failures, open_page
from resnet_edu.launch import streamlit_command

ROOT = Path(__file__).resolve().parents[1]


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp{,6} writes them) in state LISTEN on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if int(hex_port, 16) == port and state == "0A":
                found.add(address)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_line_spells_out_the_safe_settings():
    cmd = streamlit_command()
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    # Issue 24: no full gc.collect after every refresh of every watcher, no source-file watcher.
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"
    assert cmd[cmd.index("--server.fileWatcherType") + 1] == "none"
    assert str(ROOT / "app" / "main.py") in cmd


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_launched_from_tmp_it_listens_on_loopback_only(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RESNET_EDU_RUNS_DIR": str(tmp_path / "runs"),
           "RESNET_EDU_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "resnet_edu", "app", "--port", str(port), "--headless"],
                            cwd="/tmp", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        end = time.time() + 90
        while time.time() < end and not _listening(port):
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.5)
        addresses = _listening(port)
        # 0100007F is 127.0.0.1 in /proc's little-endian hex; 00000000 would be every interface.
        assert addresses == {"0100007F"}, addresses
        proc.terminate()  # SIGTERM, as `timeout` or systemd sends: the server itself must stop
        proc.wait(timeout=20)
        end = time.time() + 10
        while time.time() < end and _listening(port):
            time.sleep(0.2)
        assert not _listening(port), "a server outlived its launcher"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_bad_port_is_one_line(capsys):
    from resnet_edu.cli import main
    assert main(["app", "--port", "70000"]) == 2
    assert "--port must be 1 to 65535" in capsys.readouterr().err


@pytest.mark.parametrize("address, warned", [("", True), ("0.0.0.0", True), ("127.0.0.1", False)])
def test_the_host_is_told_when_the_server_is_reachable_by_accident(monkeypatch, tmp_path, address, warned):
    app_env(monkeypatch, tmp_path)
    monkeypatch.delenv("RESNET_EDU_SHARED", raising=False)
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", address)
    try:
        at = open_page("home")
    finally:
        st_config.set_option("server.address", before)
    no_failures(at)
    said = [w.value for w in at.sidebar.warning if "listens on" in w.value]
    assert bool(said) == warned, said


def test_streamlit_run_from_the_root_has_the_launchers_watcher_settings():
    """`streamlit run app/main.py` reads .streamlit/config.toml: the same two settings as the launcher."""
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"
