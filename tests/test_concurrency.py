"""20 sessions start runs at once against one server: all queued, all finish or stop, none lost.

Each thread drives its own AppTest (its own session) against the same run store, so they all
share the one cached JobRunner, as the browser sessions of one `streamlit run` do. AppTest's
harness is not thread-safe (it swaps a process-wide fake runtime), so each session's *script
run* holds a lock; the runner, its queue, its worker and the run store see 20 sessions
submitting while earlier runs train. The 20 threads then submit again all at once, straight
to the shared runner, released together by a barrier.
"""

import threading
from pathlib import Path

import pytest

from app_helpers import app_env, no_failures, open_page, statuses, wait_for

SESSIONS = 20


@pytest.mark.slow
def test_twenty_sessions_start_runs_at_once(monkeypatch, tmp_path):
    runs = app_env(monkeypatch, tmp_path, steps=4)
    open_page("home")  # warm the imports once, so the 20 below really start together
    harness = threading.Lock()
    results, failures = {}, []

    def session(i):
        try:
            with harness:
                at = open_page("degradation", models="plain8;resnet8", preset="tiny")
            with harness:
                at.button(key="degradation_start").click().run()
            no_failures(at)
            results[i] = at.query_params["runs"]
        except Exception as err:  # collected, reported below with the session number
            failures.append(f"session {i}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not failures, failures
    assert len(set(results.values())) == SESSIONS, "each session got its own run"

    # Stop two of them (one may already be training, the rest are queued): they end "stopped".
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from ui import context

    runner = context.runner()

    barrier, direct = threading.Barrier(SESSIONS), []
    config = context.make_config("tiny", ("plain8",), "synthetic")

    def submit():
        barrier.wait(timeout=60)
        direct.append(runner.submit(config))

    threads = [threading.Thread(target=submit) for _ in range(SESSIONS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert len(set(direct)) == SESSIONS, "20 simultaneous submits, 20 distinct runs"
    results.update({SESSIONS + i: rid for i, rid in enumerate(direct)})
    stopped = [results[3], results[2 * SESSIONS - 1]]
    for rid in stopped:
        runner.stop(rid)
    final = wait_for(runs, 2 * SESSIONS, states=("done", "stopped"), timeout=240)
    assert set(final) == set(results.values()), "no run lost, no stray run"
    assert final[results[2 * SESSIONS - 1]] == "stopped"  # it was still queued
    done = [rid for rid, s in final.items() if s == "done"]
    assert len(done) >= 2 * SESSIONS - 2
    for rid in done:
        assert (runs / rid / "metrics.jsonl").read_text().count('"kind": "metrics"') >= 2
    at = open_page("runs")
    no_failures(at)
    assert len(at.dataframe[0].value) == 2 * SESSIONS
    assert statuses(runs) == final


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's /usr/bin/chromium")
def test_real_server_with_watching_sessions(tmp_path):
    """The real server on 127.0.0.1, 3 browser sessions watching one run: the run trains in its own
    process and goes on while watched, each page draws its chart, and Stop from a page stops it."""
    import json
    import time

    from playwright.sync_api import sync_playwright

    from bench_watchers import BROWSER_ARGS, CHROMIUM, free_port, open_watcher, start_run, start_server, stop_server

    port = free_port()
    server = start_server(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            run_dir = start_run(browser, url, tmp_path / "runs")

            def status():
                return json.loads((run_dir / "status.json").read_text())
            assert status()["pid"] != server.pid, "the run trains in a child process, not in the server"
            watchers = [open_watcher(browser, url, run_dir.name) for _ in range(3)]
            assert all(took is not None for _, took in watchers), "a watcher drew no chart in 180 s"
            step = status()["step"]
            end = time.time() + 60
            while status()["step"] <= step + 4 and time.time() < end:
                time.sleep(0.5)
            assert status()["step"] > step + 4, "the run stalled while watched"
            page = watchers[0][0].pages[0]
            page.get_by_role("button", name="Stop").first.click()
            end = time.time() + 60
            while status()["status"] != "stopped" and time.time() < end:
                time.sleep(0.5)
            assert status()["status"] == "stopped"
            assert (run_dir / "checkpoint.pt").exists()
            browser.close()
    finally:
        stop_server(server)
