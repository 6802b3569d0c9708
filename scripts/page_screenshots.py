"""Screenshots of the drawing page for docs/inference.md: a drawn 7 at 1280x800 and on a 390x844 phone.

Usage: .venv/bin/python scripts/page_screenshots.py docs/images (starts `digits serve` on 127.0.0.1, needs /usr/bin/chromium).
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from playwright.sync_api import sync_playwright
from server_process import ServerProcess
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
server = ServerProcess(log_path=Path("/tmp/shots-serve.log"))
try:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
        for name, vp, touch in [("desktop", {"width": 1280, "height": 800}, False), ("phone", {"width": 390, "height": 844}, True)]:
            page = b.new_page(viewport=vp, has_touch=touch)
            page.on("console", lambda m: print("console:", m.text))
            page.on("pageerror", lambda e: print("pageerror:", e))
            page.goto(server.url + "/")
            box = page.locator("#pad").bounding_box()
            page.mouse.move(box["x"] + .22*box["width"], box["y"] + .2*box["height"]); page.mouse.down()
            for fx, fy in [(.78, .2), (.42, .85)]:
                page.mouse.move(box["x"] + fx*box["width"], box["y"] + fy*box["height"], steps=8)
            page.mouse.up()
            page.wait_for_function("document.getElementById('state').dataset.state === 'digit'", timeout=10000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / f"page-{name}.png"), full_page=False)
            print(name, page.locator("#message").inner_text())
        b.close()
finally:
    server.stop()
