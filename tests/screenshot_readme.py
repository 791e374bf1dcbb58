"""The README's picture (not a test): the degradation lab showing the recorded run on real CIFAR-10
images, in English and in Chinese.

    OMP_NUM_THREADS=1 python -m tests.screenshot_readme          # docs/img/lab-recorded-{en,zh}.png

The recorded run is replayed from resnet_edu/runs/recorded (no training, no data needed), so the
picture shows real-image curves on any machine. Saved reduced to 256 colours like docs/img's others.
"""

import argparse
import tempfile
from pathlib import Path

from tests.live_server import BROWSER_ARGS, CHROMIUM, free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = ap.parse_args()

    from PIL import Image
    from playwright.sync_api import sync_playwright

    from tests.test_browser import screenshot

    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start_server(Path(tmp), port)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for lang, final in (("en", "Final numbers"), ("zh", "最终结果")):
                    page.goto(f"http://127.0.0.1:{port}/?page=degradation&lang={lang}&recorded=1", timeout=180_000)
                    page.get_by_text(final).first.wait_for(timeout=180_000)
                    page.wait_for_timeout(2500)  # plotly draws after the text
                    path = out / f"lab-recorded-{lang}.png"
                    screenshot(page, path)
                    Image.open(path).convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
                    print(path, Image.open(path).size)
                browser.close()
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
