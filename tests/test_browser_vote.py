"""The class vote in real browsers: three students' screens and the teacher's, one server (issue 22).

Students' sessions are viewers because they come from another address, as on a classroom network:
the server listens on every interface (as `python -m resnet_edu app --host 0.0.0.0` does) and the
students' Chromium contexts open it at this machine's own non-loopback address, while the teacher's
opens 127.0.0.1. Nothing in the app is faked: Streamlit's client address decides (context.viewer()).
The server is reachable from the network for the test's few minutes: a temporary run store, and a
visitor would be a viewer. Without a non-loopback address the test is skipped.

The classroom sequence, end to end: the students predict before the run exists (one reloads and
changes their mind), the teacher's lab counts them without saying who chose what, the teacher
presses Start, the tiny run trains for real (plain-8 vs plain-32, as in test_browser.py), and when
the gap rule speaks the class's split appears on the teacher's screen and the students' screens
close the vote. Screenshots go to artifacts/ (gitignored).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_browser import (ARTIFACTS, CHROMIUM, CJK_DRAWN, GAP_TIMEOUT_MS, ROOT, SEEN_WATCH, run_status, screenshot,
                          wait_until)

from resnet_edu.runs import votes

MODELS = ("plain8", "plain32")  # test_browser.py's pair: the gap shows within a few dozen tiny steps
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's /usr/bin/chromium")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def lan_address() -> str | None:
    """This machine's IPv4 address on its default route (a UDP connect sends nothing), if not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


@pytest.fixture
def shared_server(tmp_path):
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no non-loopback address for the students' screens")
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RESNET_EDU_RUNS_DIR": str(tmp_path / "runs"), "RESNET_EDU_DATA_DIR": str(tmp_path / "data"),
           "RESNET_EDU_TEST_TINY": "1", "RESNET_EDU_TINY_STEPS": "2000",
           "RESNET_EDU_SHARED": "0.0.0.0"}  # what `python -m resnet_edu app --host 0.0.0.0` sets: shared on purpose
    env.pop("RESNET_EDU_REMOTE_CONTROL", None)  # other machines must be viewers
    (tmp_path / "data").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "0.0.0.0", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 90
        while time.time() < end:
            try:
                socket.create_connection((lan, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield f"http://127.0.0.1:{port}", f"http://{lan}:{port}", tmp_path / "runs"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


BARS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .flatMap(p => (p._fullData || []).filter(t => t.type === 'bar').map(t => Array.from(t.x)))"""


def text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def vote_for(page, name: str, sent: str) -> None:
    """Click the net in the class-vote question until the screen confirms it (a poll's rerun can eat a click)."""
    group = page.get_by_role("radiogroup").filter(has_text="I can't tell").or_(
        page.get_by_role("radiogroup").filter(has_text="我说不准"))

    def confirmed():
        if sent not in text(page):
            group.get_by_text(name, exact=True).click()
            page.wait_for_timeout(1500)
        return sent in text(page)
    wait_until(confirmed, timeout=90, what=f"'{sent}' on a student's screen")


def test_predict_count_start_and_the_reveal_at_the_gap(shared_server):
    from playwright.sync_api import sync_playwright

    teacher_url, student_url, runs = shared_server
    ARTIFACTS.mkdir(exist_ok=True)
    query = f"models={';'.join(MODELS)}&preset=tiny"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            students = []
            for lang in ("en", "en", "zh"):  # separate contexts: separate browser sessions
                page = browser.new_context(viewport={"width": 1300, "height": 1300}).new_page()
                page.goto(f"{student_url}/degradation?lang={lang}&{query}", timeout=90_000)
                start = page.get_by_role("button", name="Start training" if lang == "en" else "开始训练")
                start.wait_for(timeout=90_000)
                assert start.is_disabled()  # a student's screen still cannot start anything
                students.append(page)
            vote_for(students[0], "plain-8", "Your prediction was sent: plain-8")
            vote_for(students[1], "plain-32", "Your prediction was sent: plain-32")
            vote_for(students[2], "plain-8", "你的预测已发送：plain-8")
            assert students[2].evaluate(CJK_DRAWN, "你的预测已发送"), "Chinese drawn as boxes: install fonts-noto-cjk"
            screenshot(students[0], ARTIFACTS / "vote_01_student_predicts.png")
            # A reload is a new session with the same URL: the screen keeps its one prediction, and may change it.
            students[1].reload()
            students[1].get_by_text("Your prediction was sent: plain-32").first.wait_for(timeout=90_000)
            vote_for(students[1], "plain-8", "Your prediction was sent: plain-8")

            teacher = browser.new_context(viewport={"width": 1500, "height": 1500}).new_page()
            teacher.goto(f"{teacher_url}/degradation?lang=en&{query}", timeout=90_000)
            teacher.get_by_text("predictions for your next run: 3").first.wait_for(timeout=90_000)
            assert "predicted plain-8" not in text(teacher)  # the count only: nobody is swayed
            screenshot(teacher, ARTIFACTS / "vote_02_teacher_before_start.png")

            teacher.evaluate(SEEN_WATCH, ["predictions so far: 3", "now training worse", "3 of 3 predicted plain-8"])
            teacher.get_by_role("button", name="Start training").click()
            wait_until(lambda: run_status(runs).get("status") == "running", timeout=120, what="the run to start")
            teacher.get_by_text("predictions so far: 3").first.wait_for(timeout=60_000)
            screenshot(teacher, ARTIFACTS / "vote_03_teacher_count.png")
            # The tiny run trains for real; the page polls. The split comes with the gap, not before.
            teacher.get_by_text("3 of 3 predicted plain-8").first.wait_for(timeout=GAP_TIMEOUT_MS)
            teacher.get_by_text("now training worse").first.wait_for(timeout=60_000)
            seen = teacher.evaluate("() => window.__seen")
            assert seen[0] == "predictions so far: 3" and "3 of 3 predicted plain-8" in seen, seen
            # The split as bars too (drawn by plotly a moment after the text): 3 for plain-8, none for the others.
            wait_until(lambda: [3, 0, 0] in teacher.evaluate(BARS), timeout=60, what="the vote's bar chart")
            screenshot(teacher, ARTIFACTS / "vote_04_teacher_reveal.png")
            run_id = next(f.name for f in runs.iterdir() if (f / "config.json").exists())
            assert sorted(v.choice for v in votes.read(runs / run_id).values()) == ["plain8"] * 3

            # The students' screens close the vote by themselves and show the class's answer.
            students[0].get_by_text("Voting on this run is closed").first.wait_for(timeout=120_000)
            students[2].get_by_text("3 人中 3 人预测 plain-8").first.wait_for(timeout=120_000)
            assert not students[0].get_by_role("radio", name="plain-32").count()
            screenshot(students[2], ARTIFACTS / "vote_05_student_closed_zh.png")
            teacher.get_by_role("button", name="Stop").first.click()
            wait_until(lambda: run_status(runs).get("status") in ("stopped", "done"), timeout=120, what="the stop")
        finally:
            browser.close()
    assert len(votes.read(runs / run_id)) == 3
