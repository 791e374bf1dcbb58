"""Screenshots (not a test): the degradation lab after a whole preset run, in English and in Chinese.

    OMP_NUM_THREADS=1 python -m tests.screenshot_lab
    OMP_NUM_THREADS=1 python -m tests.screenshot_lab --models "plain20;plain56" --preset quick --dataset synthetic

Issue 16: "a screenshot of the lab after the quick preset on the synthetic set shows the gap at
a glance". This starts `streamlit run app/main.py` on 127.0.0.1 with an empty run store and an
empty data folder (so the synthetic set is the one offered), opens
`?page=degradation&models=...&preset=...&dataset=...`, presses "Start training", waits for the
run to end (the run store's status.json says "done": the quick preset's 450 steps take minutes
on a loaded 2-core CPU), and saves the full page in English, then in Chinese (the sidebar's
language switch), as artifacts/issue16-<dataset>-<preset>-en.png and -zh.png (artifacts/ is
gitignored). It prints the run's wall time, the machine's load and the page's "now visible" and
final-numbers lines, so the picture can be checked against the numbers.

Debian's /usr/bin/chromium driven by playwright (never `playwright install`); fonts-noto-cjk
draws the Chinese glyphs.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from tests.live_server import BROWSER_ARGS, CHROMIUM, free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]


def page_lines(page, words: tuple[str, ...]) -> list[str]:
    """The page's paragraphs and list items that contain any of `words` (to print next to the picture)."""
    texts = page.locator("[data-testid='stMarkdownContainer'] p, [data-testid='stMarkdownContainer'] li")
    return [s for s in texts.all_inner_texts() if any(w in s for w in words)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="plain20;plain56", help="';'-separated, as in the app's URL")
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--dataset", default="synthetic")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the run to end")
    ap.add_argument("--out", default=str(ROOT / "artifacts"))
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.test_browser import run_status, screenshot, wait_until  # screenshot: the whole page

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"issue16-{args.dataset}-{args.preset}"
    with tempfile.TemporaryDirectory() as tmp:
        root, port = Path(tmp), free_port()
        runs = root / "runs"
        # The presets a user sees: not the test suite's tiny one.
        server = start_server(root, port, env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
                              drop=("RESNET_EDU_TEST_TINY", "RESNET_EDU_TINY_STEPS"))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                # 1400 px wide: what a classroom projector at 1440 or 1920 shows without zoom.
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                url = f"http://127.0.0.1:{port}"
                page.goto(f"{url}/?page=degradation&lang=en&models={args.models}&preset={args.preset}"
                          f"&dataset={args.dataset}", timeout=120_000)
                page.get_by_role("button", name="Start training").wait_for(timeout=180_000)
                page.wait_for_timeout(1000)  # the URL's choices applied to the widgets
                started, load_before = time.time(), os.getloadavg()[0]
                page.get_by_role("button", name="Start training").click()
                wait_until(lambda: run_status(runs).get("status") in ("running", "done"), 300, "the run to start")
                status = wait_until(lambda: (s := run_status(runs)).get("status") in ("done", "failed", "stopped")
                                    and s, args.timeout, "the run to end", every=5)
                wall = time.time() - started
                if status["status"] != "done":
                    raise RuntimeError(f"the run ended {status['status']}: {status.get('message', '')}")
                # The page's timer stops with the run and redraws once: the final numbers come then.
                page.get_by_text("Final numbers").first.wait_for(timeout=180_000)
                page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2",
                                       timeout=60_000)
                page.wait_for_timeout(2000)  # plotly's last layout pass
                screenshot(page, out / f"{stem}-en.png")
                lines = page_lines(page, ("now training worse", "test error", "Waiting for the gap", "ended before"))

                page.get_by_text("简体中文").first.click()
                page.get_by_text("退化实验室").first.wait_for(timeout=60_000)
                page.get_by_text("最终结果").first.wait_for(timeout=120_000)
                page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2",
                                       timeout=60_000)
                page.wait_for_timeout(2000)
                screenshot(page, out / f"{stem}-zh.png")
                browser.close()
        finally:
            stop_server(server)
    print(f"run: {args.models} preset {args.preset} on {args.dataset}, {status.get('step')} steps, "
          f"{wall / 60:.1f} min from the click to the end; load average (1 min) {load_before:.1f} at the "
          f"click, {os.getloadavg()[0]:.1f} at the end")
    for line in lines:
        print(" ", line)
    print(f"saved {out / (stem + '-en.png')} and {out / (stem + '-zh.png')}")


if __name__ == "__main__":
    main()
