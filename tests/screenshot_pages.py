"""Screenshots (not a test): the pages issue 22 reworked, in English and in Chinese, for docs/app.md.

    OMP_NUM_THREADS=1 python -m tests.screenshot_pages                 # into artifacts/pages/
    OMP_NUM_THREADS=1 python -m tests.screenshot_pages --store /tmp/shots  # keep the runs for a second call

docs/img holds them reduced to 256 colours (PIL's quantize, no dithering: a third of the size).

Starts `streamlit run app/main.py` on 127.0.0.1 with an empty run store and an empty data folder
(the synthetic set), then, in Debian's /usr/bin/chromium driven by playwright:
  1. the degradation lab: plain-20, plain-56 and ResNet-20 at the quick preset, a prediction
     (plain-20), Start, the whole run; the page with its verdict and final numbers;
  2. the gradient page: its default nets at the quick preset, stopped after --gradient-steps steps;
  3. Home, the residual lab (option C), the block explorer (option C), the Runs page's compare chart
     of runs 1 and 2, the analyses' lesion study (on run 1's plain-20 and ResNet-20) and signal
     propagation.
With --store DIR the run store is kept there, and a second call shows the runs it holds.
Each page in English, then in Chinese (the sidebar's language switch): <page>-en.png, <page>-zh.png.
It prints each run's steps, wall time and the load average, and the lines the pages said, so the
pictures can be checked against the numbers.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from tests.live_server import BROWSER_ARGS, CHROMIUM, free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
SAID = ("trained worse", "now training worse", "The run showed", "No verdict", "You predicted", "Your prediction",
        "has collapsed", "Final numbers", "At step", "Will train", "Option C", "Grey columns")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "artifacts" / "pages"))
    ap.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the lab's run")
    ap.add_argument("--gradient-steps", type=int, default=150, help="the gradient page's run is stopped here")
    ap.add_argument("--store", help="a folder kept for the run store and data: a second call shows the runs it "
                                    "finds there (same nets) instead of training them again")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.test_browser import screenshot, wait_until

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root, port = Path(args.store or tmp), free_port()
        root.mkdir(parents=True, exist_ok=True)
        runs = root / "runs"
        server = start_server(root, port, env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
                              drop=("RESNET_EDU_TEST_TINY", "RESNET_EDU_TINY_STEPS"))
        url = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})

                def settle(ms=2500):
                    page.locator("h1").first.wait_for(timeout=180_000)
                    try:
                        page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')",
                                               timeout=60_000)
                    except Exception:  # a live page reruns on its timer: take it as it is
                        pass
                    page.wait_for_timeout(ms)

                def both(name: str, before_zh=None):
                    """The page as it is (English), then in Chinese; back to English after."""
                    screenshot(page, out / f"{name}-en.png")
                    said = [s for s in page.locator("[data-testid='stMarkdownContainer'] p, "
                                                    "[data-testid='stMarkdownContainer'] li").all_inner_texts()
                            if any(w in s for w in SAID)]
                    page.get_by_text("简体中文").first.click()
                    page.wait_for_function("() => location.search.includes('lang=zh')", timeout=60_000)
                    settle(3000)
                    if before_zh:
                        before_zh()
                    screenshot(page, out / f"{name}-zh.png")
                    page.get_by_text("English").first.click()
                    page.wait_for_function("() => location.search.includes('lang=en')", timeout=60_000)
                    settle(1500)
                    print(f"{name}:")
                    for line in said:
                        print("   ", line)

                def newest() -> dict:
                    """The status of the newest run (run ids start with the time they were made)."""
                    folders = sorted(f for f in runs.iterdir() if (f / "status.json").exists()) if runs.exists() else []
                    return json.loads((folders[-1] / "status.json").read_text()) if folders else {}

                def kept(models: str) -> str | None:
                    """A finished or stopped run of these nets already in the store (--store)."""
                    for folder in sorted(runs.iterdir()) if runs.exists() else []:
                        try:
                            config = json.loads((folder / "config.json").read_text())["config"]
                            status = json.loads((folder / "status.json").read_text())["status"]
                        except (OSError, ValueError, KeyError):
                            continue
                        if ";".join(config["models"]) == models and status in ("done", "stopped"):
                            return folder.name
                    return None

                def train(path: str, models: str, guess: str | None = None, stop_at: int | None = None) -> str:
                    """The page with a run of `models`: one found in the store, else one trained now."""
                    done = kept(models)
                    if done:
                        entry = {"plain-20": "plain20"}.get(guess, guess)
                        page.goto(f"{url}/{path}&models={models}&runs={done}" + (f"&guess={entry}" if guess else ""),
                                  timeout=180_000)
                        page.get_by_text("Final numbers").first.wait_for(timeout=180_000)
                        settle(3000)
                        print(f"run {done}: from the store")
                        return done
                    page.goto(f"{url}/{path}&models={models}", timeout=180_000)
                    page.get_by_role("button", name="Start training").wait_for(timeout=180_000)
                    settle(1500)
                    if guess:
                        page.get_by_role("radiogroup").filter(has_text="I can't tell").get_by_text(
                            guess, exact=True).click()
                        page.wait_for_function("() => location.search.includes('guess=')", timeout=60_000)
                        settle(1500)
                    before = len(list(runs.iterdir())) if runs.exists() else 0
                    started, load = time.time(), os.getloadavg()[0]
                    page.get_by_role("button", name="Start training").click()
                    wait_until(lambda: runs.exists() and len(list(runs.iterdir())) > before
                               and newest().get("status") in ("running", "done"), 300, "the run to start")
                    if stop_at:
                        wait_until(lambda: newest().get("step", 0) >= stop_at, args.timeout, "the steps", 5)
                        page.get_by_role("button", name="Stop").first.click()
                    status = wait_until(lambda: (s := newest()).get("status") in ("done", "failed", "stopped")
                                        and s, args.timeout, "the run to end", every=5)
                    print(f"run {path}: {status['status']} at step {status.get('step')}, "
                          f"{(time.time() - started) / 60:.1f} min; load average {load:.1f} at the start, "
                          f"{os.getloadavg()[0]:.1f} at the end")
                    page.get_by_text("Final numbers").first.wait_for(timeout=180_000)
                    settle(3000)
                    return kept(models)

                # 1. The classroom demo, with a prediction.
                first_run = train("?page=degradation&lang=en&preset=quick&dataset=synthetic",
                                  "plain20;plain56;resnet20", guess="plain-20")
                both("degradation")

                # 2. The gradient page, stopped part-way.
                second_run = train("?page=gradients&lang=en&preset=quick&dataset=synthetic",
                                   "plain56;plain56:batchnorm=false;resnet56", stop_at=args.gradient_steps)
                both("gradients")

                # 3. The pages without a run of their own.
                page.goto(f"{url}/?page=home&lang=en", timeout=60_000)
                settle()
                both("home")
                page.goto(f"{url}/?page=residual&lang=en&shortcut=C&preset=quick&dataset=synthetic", timeout=60_000)
                settle()
                both("residual")
                page.goto(f"{url}/?page=blocks&lang=en&shortcut=C", timeout=60_000)
                settle()
                both("blocks")
                page.goto(f"{url}/?page=runs&lang=en&runs={first_run};{second_run}", timeout=60_000)
                settle()
                both("runs")
                page.goto(f"{url}/?page=analyses&lang=en", timeout=60_000)
                settle()
                page.get_by_role("button", name="Run the analysis").first.click()
                page.get_by_text("Grey columns").first.wait_for(timeout=600_000)
                settle()
                both("analyses-lesion")
                page.get_by_role("tab", name="Signal propagation").click()
                settle(1000)
                page.get_by_role("button", name="Run the analysis").nth(0).click()
                page.get_by_text("The charts' end points").first.wait_for(timeout=600_000)
                settle()

                def signal_tab_zh():
                    page.get_by_role("tab", name="信号传播").click()
                    page.wait_for_timeout(2000)
                both("analyses-signal", before_zh=signal_tab_zh)
                browser.close()
        finally:
            stop_server(server)
    print(f"saved in {out}")


if __name__ == "__main__":
    main()
