"""The class vote in real browsers: three students' screens and the teacher's, one server (issue 22).

Students' sessions are viewers because they come from another address, as on a classroom network:
the server listens on every interface (as `python -m resnet_edu app --host 0.0.0.0` does) and the
students' Chromium contexts open it at this machine's own non-loopback address, while the teacher's
opens 127.0.0.1. Nothing in the app is faked: Streamlit's client address decides (context.viewer()).
The server is reachable from the network for the test's minute or so: a temporary run store, and a
visitor would be a viewer. Without a non-loopback address the test is skipped.

The teacher's run is written into the run store by the test, which holds the run's lock as a trainer
would (test_browser.py trains for real): so the moment the gap shows is the test's to choose, after
the votes, and the polling of the real pages carries the count and then the reveal to the screens.
Screenshots go to artifacts/ (gitignored).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_browser import ARTIFACTS, CHROMIUM, CJK_DRAWN, ROOT, screenshot, wait_until
from test_votes_app import MODELS, N_LOGS, show_gap, start_run

from resnet_edu.runs import votes
from resnet_edu.runs.store import RunStore

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
           "RESNET_EDU_TEST_TINY": "1",
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


def test_three_students_vote_and_the_teacher_sees_the_count_then_the_reveal(shared_server):
    from playwright.sync_api import sync_playwright

    teacher_url, student_url, runs = shared_server
    ARTIFACTS.mkdir(exist_ok=True)
    runs.mkdir(parents=True, exist_ok=True)
    store = RunStore(runs)
    run_id = start_run(runs)
    query = f"models={';'.join(MODELS)}&preset=tiny"
    with store.lock(run_id), sync_playwright() as p:  # the test is the run's trainer until the end
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            students = []
            for k, lang in enumerate(("en", "en", "zh")):  # separate contexts: separate browser sessions
                page = browser.new_context(viewport={"width": 1300, "height": 1300}).new_page()
                page.goto(f"{student_url}/degradation?lang={lang}&{query}", timeout=90_000)
                page.get_by_role("button", name="Start training" if lang == "en" else "开始训练").wait_for(timeout=90_000)
                assert page.get_by_role("button", name="Start training" if lang == "en" else "开始训练").is_disabled()
                students.append(page)
            vote_for(students[0], "plain-8", "Your prediction was sent: plain-8")
            vote_for(students[1], "plain-32", "Your prediction was sent: plain-32")
            vote_for(students[2], "plain-8", "你的预测已发送：plain-8")
            assert students[2].evaluate(CJK_DRAWN, "你的预测已发送"), "Chinese drawn as boxes: install fonts-noto-cjk"
            screenshot(students[0], ARTIFACTS / "vote_01_student_sent.png")
            # A reload (a new session, the same URL) and a change of mind: the screen's one vote is replaced.
            students[1].reload()
            students[1].get_by_text("Your prediction was sent: plain-32").first.wait_for(timeout=90_000)
            vote_for(students[1], "plain-8", "Your prediction was sent: plain-8")
            assert sorted(v.choice for v in votes.read(runs / run_id).values()) == ["plain8"] * 3

            teacher = browser.new_context(viewport={"width": 1500, "height": 1500}).new_page()
            teacher.goto(f"{teacher_url}/degradation?lang=en&{query}&runs={run_id}", timeout=90_000)
            teacher.get_by_text("predictions so far: 3").first.wait_for(timeout=90_000)
            assert not teacher.get_by_role("button", name="Start training").is_disabled()  # the teacher's own machine
            assert "of 3 predicted" not in text(teacher)  # the count only, while students may still vote
            screenshot(teacher, ARTIFACTS / "vote_02_teacher_count.png")

            show_gap(store, run_id)  # the run goes on; its logs now show plain-32 training worse
            # The teacher's page polls: the gap message and the class's split arrive without a click.
            teacher.get_by_text("now training worse").first.wait_for(timeout=120_000)
            teacher.get_by_text("3 of 3 predicted plain-8").first.wait_for(timeout=120_000)
            # The split as bars too (drawn by plotly a moment after the text): 3 for plain-8, none for the others.
            wait_until(lambda: [3, 0, 0] in teacher.evaluate(BARS), timeout=60, what="the vote's bar chart")
            screenshot(teacher, ARTIFACTS / "vote_03_teacher_reveal.png")

            # The students' screens close the vote by themselves and show the class's answer.
            students[0].get_by_text("Voting on this run is closed").first.wait_for(timeout=120_000)
            students[2].get_by_text("3 人中 3 人预测 plain-8").first.wait_for(timeout=120_000)
            assert not students[0].get_by_role("radio", name="plain-32").count()
            screenshot(students[2], ARTIFACTS / "vote_04_student_closed_zh.png")
        finally:
            browser.close()
    store.set_status(run_id, "done", step=2 * N_LOGS)
    assert len(votes.read(runs / run_id)) == 3
