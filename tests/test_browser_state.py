"""Issue 17 in a real browser: state that survives a reload, a language switch and a visit elsewhere;
/home opened directly; a local favicon; screenshots of every page in both languages (artifacts/).

Debian's chromium driven by playwright against `streamlit run`, as tests/test_browser.py.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_browser import ARTIFACTS, CHROMIUM, CJK_DRAWN, ROOT, free_port, run_status, screenshot, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's /usr/bin/chromium")]

PAGES = ("home", "degradation", "residual", "gradients", "blocks", "analyses", "runs")
REVEAL = re.compile(r"You predicted plain-8|Your prediction: plain-8")  # a verdict, or none yet


@pytest.fixture
def short_server(tmp_path):
    """A server whose tiny runs end in about half a minute (60 steps)."""
    port = free_port()
    env = {**os.environ, "RESNET_EDU_RUNS_DIR": str(tmp_path / "runs"), "RESNET_EDU_DATA_DIR": str(tmp_path / "data"),
           "RESNET_EDU_TEST_TINY": "1", "RESNET_EDU_TINY_STEPS": "60"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 60
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield f"http://127.0.0.1:{port}", tmp_path / "runs"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def in_url(page, text: str, timeout_ms: int = 120_000) -> None:
    """Wait until the address bar holds `text` (polled in the page: page.url alone pumps no events)."""
    page.wait_for_function("t => window.location.href.includes(t)", arg=text, timeout=timeout_ms)


def settle(page, ms: int = 2500) -> None:
    page.locator("h1").first.wait_for(timeout=60_000)
    page.wait_for_timeout(ms)


def test_state_survives_reload_language_and_navigation(short_server):
    from playwright.sync_api import sync_playwright

    url, runs = short_server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1500, "height": 1400})

        # /home opened directly is Home, not "Page not found"; the favicon is served by the app itself.
        page.goto(f"{url}/home?lang=en", timeout=60_000)
        settle(page)
        # Home's last section, awaited: under load the script's later elements come seconds after its h1
        # (CI once counted it 2.5 s after the h1 and found none). Then the negative check means something.
        page.get_by_text("Beyond the papers —").first.wait_for(timeout=60_000)  # Home links the analyses page
        assert not page.get_by_text("Page not found").count()
        icon = page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')].map(l => l.href)")
        assert icon and all(h.startswith(url) or h.startswith("data:") for h in icon), icon

        # A prediction, a run, a reload mid-run: the reveal still comes at the end.
        page.goto(f"{url}/?page=degradation&lang=en&models=plain8;plain14&preset=tiny", timeout=60_000)
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        settle(page)
        guess = page.get_by_role("radiogroup").filter(has_text="I can't tell")

        def predicted():
            if "guess=plain8" not in page.url:
                guess.get_by_text("plain-8", exact=True).click()  # the prediction (again if a rerun ate it)
                page.wait_for_timeout(1500)
            return "guess=plain8" in page.url
        wait_until(predicted, timeout=60, what="the prediction in the URL")
        page.get_by_role("button", name="Start training").click()
        wait_until(lambda: run_status(runs).get("status") == "running", timeout=120, what="the run to start")
        in_url(page, "runs=")
        page.reload()
        settle(page)
        wait_until(lambda: run_status(runs).get("status") == "done", timeout=240, what="the run to finish")
        # The prediction comes back with the run: a verdict if the gap rule spoke in 60 steps, else "no verdict".
        page.get_by_text(REVEAL).first.wait_for(timeout=60_000)
        screenshot(page, ARTIFACTS / "10_reveal_after_reload.png")

        # Away and back: the session keeps the page's run.
        page.get_by_role("link", name="Runs").first.click()
        page.get_by_text("Run store").first.wait_for(timeout=60_000)
        page.get_by_role("link", name="Degradation lab").first.click()
        settle(page)
        page.get_by_text(REVEAL).first.wait_for(timeout=60_000)
        assert "runs=" in page.url

        # The block explorer: a choice survives the language switch (and is in the URL).
        page.goto(f"{url}/?page=blocks&lang=en", timeout=60_000)
        settle(page)
        # The unit diagram's boxes at the text sizes its layout was made for (Streamlit's own CSS would
        # shrink them to about half: small words in big boxes, x apart from its subscript).
        page.locator(".stGraphVizChart g.node text").first.wait_for(timeout=60_000)
        sizes = page.evaluate("""() => [...document.querySelectorAll('.stGraphVizChart g.node text')].map(
            t => [t.textContent, t.getAttribute('font-size'), getComputedStyle(t).fontSize])""")
        assert sizes and all(float(css[:-2]) == float(asked) for _, asked, css in sizes), sizes
        labels = [text for text, _, _ in sizes]
        # x_l and x_{l+1} drawn as x with a subscript ("x", "l", "+1"), not as TeX source
        assert labels.count("x") == 2 and "+1" in labels and not any("_" in text for text in labels), labels
        page.get_by_text("C: projection everywhere").first.click()
        in_url(page, "shortcut=C")
        page.get_by_text("简体中文").first.click()
        page.get_by_text("残差块浏览器").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert "shortcut=C" in page.url and "lang=zh" in page.url
        assert page.get_by_role("radio", name="C：处处用投影捷径").is_checked()

        # Every page in both languages, for a person to look at; no exception on any.
        for lang in ("en", "zh"):
            for name in PAGES:
                page.goto(f"{url}/?page={name}&lang={lang}", timeout=60_000)
                settle(page, 4000)
                assert not page.locator(".stException").count(), f"{name} {lang}: an exception is shown"
                screenshot(page, ARTIFACTS / f"20_{name}_{lang}.png")
        assert page.evaluate(CJK_DRAWN, "训练任务"), "Chinese text renders as boxes: no CJK font"
        browser.close()
