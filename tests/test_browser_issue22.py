"""Issue 22 in a real browser: the residual lab keeps its nets through A → B → C → a unit design, and a
lab's state (prediction, dataset, seeds, the recorded run) survives the sidebar, in both languages.

Debian's chromium driven by playwright against `streamlit run`, as tests/test_browser.py. These are the
teacher's reproductions: before the fix, the second shortcut change left `models=plain56` alone (the
multiselect kept its choice as labels that followed the shortcut option); a visit to Home via the
sidebar lost the prediction, the dataset, the seeds and the recorded-run toggle.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_browser import ARTIFACTS, CHROMIUM, ROOT, free_port, screenshot, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's /usr/bin/chromium")]

CIFAR_FILES = ("batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
               "test_batch")


@pytest.fixture
def server(tmp_path):
    """The app on a free port. Its data folder holds empty CIFAR-10 file names: the dataset choice offers
    CIFAR-10 (the default) and the synthetic set, so a choice that is not the default can be checked
    (nothing here trains on them)."""
    port = free_port()
    batches = tmp_path / "data" / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    for name in CIFAR_FILES:
        (batches / name).write_bytes(b"")
    env = {**os.environ, "RESNET_EDU_RUNS_DIR": str(tmp_path / "runs"), "RESNET_EDU_DATA_DIR": str(tmp_path / "data"),
           "RESNET_EDU_TEST_TINY": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket
        end = time.time() + 120
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def param(page, name: str) -> str:
    """A query parameter of the address bar as the page sees it (read in the page: page.url pumps nothing)."""
    return page.evaluate("n => new URLSearchParams(window.location.search).get(n) || ''", name)


def settled(page, ms: int = 1500) -> None:
    """The script run finished (no greyed-out stale element), and a moment more."""
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)
    page.wait_for_timeout(ms)


def models_become(page, want: str, timeout: float = 60) -> None:
    end = time.time() + timeout
    while (now := param(page, "models")) != want:
        assert time.time() < end, f"the URL says models={now}, not {want}"
        time.sleep(0.5)


def words(lang: str) -> dict[str, str]:
    """The labels the test clicks, from the app's own catalog."""
    c = json.loads((ROOT / "app" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return {"A": c["shortcut.A"], "B": c["shortcut.B"], "C": c["shortcut.C"], "design": c["residual.design"],
            "full": c["design.full_preact"], "home": c["page.home"], "lab": c["page.degradation"],
            "recorded": c["recorded.show"], "recorded_on": c["recorded.label"].split("**")[1],
            "synthetic": c["data.synthetic"], "seeds": c["seeds.label"]}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_residual_lab_keeps_its_nets_through_shortcut_and_design_changes(server, lang):
    from playwright.sync_api import sync_playwright

    w = words(lang)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{server}/?page=residual&lang={lang}", timeout=120_000)
        page.locator("h1").first.wait_for(timeout=120_000)
        settled(page)
        models_become(page, "resnet20;resnet56;plain56")
        radios = page.get_by_role("radiogroup").filter(has_text=w["C"])
        for option, want in (("B", "resnet20:shortcut=B;resnet56:shortcut=B;plain56"),
                             ("C", "resnet20:shortcut=C;resnet56:shortcut=C;plain56")):
            radios.get_by_text(w[option], exact=True).click()
            models_become(page, want)
            settled(page)
        # A unit design, then the shortcut again: the reported second sequence.
        page.locator("[data-testid='stSelectbox']").filter(has_text=w["design"]).locator("input").click()
        page.get_by_role("option", name=w["full"], exact=True).click()
        models_become(page, "resnet20:shortcut=C,design=full_preact;resnet56:shortcut=C,design=full_preact;plain56")
        settled(page)
        for option, want in (("B", "resnet20:shortcut=B,design=full_preact;resnet56:shortcut=B,design=full_preact;plain56"),
                             ("A", "resnet20:design=full_preact;resnet56:design=full_preact;plain56")):
            radios.get_by_text(w[option], exact=True).click()
            models_become(page, want)
            settled(page)
        # What the page shows matches the URL: three nets picked, and the line under the picker names them.
        chips = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMultiSelect'] div:not(template) > """
                              """div [data-testid='stMultiSelectTagsContainer'] [data-tag] > span")].map(s => s.title)""")
        assert chips == ["ResNet-20", "ResNet-56", "plain-56"], chips
        screenshot(page, ARTIFACTS / f"22_residual_kept_{lang}.png")
        browser.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lab_state_survives_the_sidebar(server, lang):
    from playwright.sync_api import sync_playwright

    w = words(lang)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{server}/?page=degradation&lang={lang}", timeout=120_000)
        page.locator("h1").first.wait_for(timeout=120_000)
        settled(page)
        # The teacher's choices: a prediction, the synthetic set, 3 seeds, the recorded run.
        page.get_by_role("radiogroup").filter(has_text="plain-56").get_by_text("plain-56", exact=True).click()
        wait_until(lambda: param(page, "guess") == "plain56", timeout=60, what="the prediction in the URL")
        settled(page)
        page.get_by_role("radiogroup").filter(has_text=w["synthetic"]).get_by_text(w["synthetic"], exact=True).click()
        wait_until(lambda: param(page, "dataset") == "synthetic", timeout=60, what="the dataset in the URL")
        settled(page)
        seeds = page.get_by_role("spinbutton", name=w["seeds"])
        seeds.fill("3")
        seeds.press("Enter")
        wait_until(lambda: param(page, "seeds") == "3", timeout=60, what="the seeds in the URL")
        settled(page)
        page.get_by_text(w["recorded"]).first.click()
        page.get_by_text(w["recorded_on"]).first.wait_for(timeout=60_000)
        wait_until(lambda: param(page, "recorded") == "1", timeout=60, what="the recorded-run toggle in the URL")
        settled(page)

        # To Home and back through the sidebar's links.
        page.locator("[data-testid='stSidebarNav']").get_by_text(w["home"], exact=True).click()
        wait_until(lambda: param(page, "page") == "home", timeout=60, what="Home")
        settled(page)
        assert param(page, "guess") == "", "Home's URL does not carry the lab's settings"
        page.locator("[data-testid='stSidebarNav']").get_by_text(w["lab"], exact=True).click()
        wait_until(lambda: param(page, "page") == "degradation", timeout=60, what="the lab again")
        settled(page, 2500)
        for name, value in (("guess", "plain56"), ("dataset", "synthetic"), ("seeds", "3"), ("recorded", "1")):
            assert param(page, name) == value, (name, param(page, name))
        assert page.get_by_role("radiogroup").filter(has_text="plain-56").get_by_role(
            "radio", name="plain-56", exact=True).is_checked()
        assert page.get_by_role("radio", name=w["synthetic"], exact=True).is_checked()
        assert seeds.input_value() == "3"
        page.get_by_text(w["recorded_on"]).first.wait_for(timeout=30_000)  # the toggle is on: the recording shows
        browser.close()


def test_a_net_whose_label_is_translated_survives_the_language_switch(server):
    """'plain-56 (no BN)' is 'plain-56（无 BN）' in Chinese: the picker must not drop it when the labels change."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{server}/?page=gradients&lang=en", timeout=120_000)
        page.locator("h1").first.wait_for(timeout=120_000)
        settled(page)
        models_become(page, "plain56;plain56:batchnorm=false;resnet56")
        page.get_by_text("简体中文").first.click()
        wait_until(lambda: param(page, "lang") == "zh", timeout=60, what="Chinese")
        settled(page, 2500)
        models_become(page, "plain56;plain56:batchnorm=false;resnet56")
        chips = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMultiSelect'] """
                              """[data-testid='stMultiSelectTagsContainer'] [data-tag] > span")].map(s => s.title)""")
        assert len(chips) == 3 and any("无 BN" in c for c in chips), chips
        browser.close()
