"""End-to-end tests of the drawing page in Debian's Chromium, driven by Playwright.

A test that fails leaves a screenshot of its page in artifacts/screenshots/failed-<test>.png.
Answers that depend on the model are asked only for clean digits; the page's handling of other
answers (a number, "not a digit", a server crash) is checked with answers the test gives itself.
"""

import base64
import json
import os
from pathlib import Path

import pytest

from conftest import SAMPLES
from server_process import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
# axe-core's browser build: $AXE_CORE_JS, or node_modules/ at the repository root (`make test` installs it).
AXE = Path(os.environ.get("AXE_CORE_JS", Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"))
# Delays the page's canvas exports and requests by window.slowBy milliseconds, so races are deterministic.
SLOW_DOWN = """
window.slowBy = 0;
const toBlob = HTMLCanvasElement.prototype.toBlob;
HTMLCanvasElement.prototype.toBlob = function (callback, ...rest) {
  toBlob.call(this, (blob) => setTimeout(() => callback(blob), window.slowBy), ...rest);
};
const fetchNow = window.fetch;
window.fetch = (...request) => new Promise((resolve) => setTimeout(resolve, window.slowBy)).then(() => fetchNow(...request));
"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(log_path=tmp_path_factory.mktemp("web") / "serve.log")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def open_page(browser, server, request, **options):
    page = browser.new_page(**options)
    page.add_init_script(SLOW_DOWN)
    page.goto(server.url + "/")
    failed_before = request.session.testsfailed
    request.addfinalizer(lambda: screenshot_if_failed(page, request, failed_before))
    return page


def screenshot_if_failed(page, request, failed_before):
    if request.session.testsfailed > failed_before:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"failed-{request.node.name}.png", full_page=True)
    page.close()


@pytest.fixture
def page(browser, server, request):
    return open_page(browser, server, request, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone(browser, server, request):
    return open_page(browser, server, request, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)


def draw(page, points, steps=8):
    """Drag the mouse through ``points`` given as fractions of the canvas."""
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for fraction_x, fraction_y in points[1:]:
        page.mouse.move(box["x"] + fraction_x * box["width"], box["y"] + fraction_y * box["height"], steps=steps)
    page.mouse.up()


SEVEN = [(0.22, 0.2), (0.78, 0.2), (0.42, 0.85)]


def state(page) -> str:
    return page.locator("#state").get_attribute("data-state")


def wait_for_state(page, *states, timeout=10_000):
    page.wait_for_function(f"{json.dumps(states)}.includes(document.getElementById('state').dataset.state)"
                           " && document.getElementById('state').dataset.busy !== 'true'", timeout=timeout)


def meter_values(page) -> list[float]:
    return page.locator("#bars meter").evaluate_all("meters => meters.map(meter => meter.value)")


def canvas_has_ink(page) -> bool:
    return page.evaluate("""() => {
        const canvas = document.getElementById('pad');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index]) return true;
        return false;
    }""")


def answer_with(page, status: int, body: str, content_type="application/json"):
    """Every /api/predict request from now on is answered ``body``; the requests' URLs are collected."""
    urls = []

    def fulfil(route):
        urls.append(route.request.url)
        route.fulfill(status=status, body=body, content_type=content_type)

    page.route("**/api/predict*", fulfil)
    return urls


def test_page_starts_empty_with_meters_and_a_short_live_region(page):
    assert state(page) == "empty" and "No digit yet" in page.locator("#message").inner_text()
    assert page.locator("#bars meter").count() == 10 and meter_values(page) == [0] * 10
    assert page.locator("[role=progressbar]").count() == 0
    # Only the answer line is announced, not the ten meters.
    live = page.locator("[aria-live]")
    assert live.count() == 1 and live.get_attribute("id") == "answer-line"
    assert page.locator("#bars").evaluate("bars => bars.closest('[aria-live]')") is None


def test_drawing_a_seven_predicts_it_with_meters_and_preview(page):
    draw(page, SEVEN)
    wait_for_state(page, "digit", "unsure")
    assert page.locator("#digit").inner_text() == "7"
    values = meter_values(page)
    assert max(values) == values[7] and values[7] > 0.5 and abs(sum(values) - 1) < 0.01
    assert page.locator("#preview").is_visible() and page.locator("#message").inner_text().endswith("sure.")


def test_undoing_the_only_stroke_clears_the_answer_at_once_and_for_good(page):
    draw(page, SEVEN)
    wait_for_state(page, "digit", "unsure")
    page.keyboard.press("Escape")
    # The next drawing's answer is still being made (canvas export and request both slowed) when it is undone.
    page.evaluate("window.slowBy = 400")
    draw(page, SEVEN)
    page.get_by_role("button", name="Undo").click()
    assert state(page) == "empty" and page.locator("#digit").inner_text() == "–"
    page.wait_for_timeout(1500)  # both slowed steps are over: a stale answer would show now
    assert state(page) == "empty" and page.locator("#digit").inner_text() == "–"
    assert meter_values(page) == [0] * 10 and not page.locator("#preview").is_visible()


def test_an_answer_to_an_older_drawing_never_replaces_a_newer_one(page):
    page.evaluate("window.slowBy = 300")
    draw(page, [(0.5, 0.15), (0.5, 0.85)])
    page.keyboard.press("Escape")
    draw(page, SEVEN)
    wait_for_state(page, "digit", "unsure")
    page.wait_for_timeout(1000)
    assert page.locator("#digit").inner_text() == "7"


def test_an_upload_shows_the_image_and_a_busy_state_then_the_answer(page):
    draw(page, [(0.5, 0.15), (0.5, 0.85)])
    wait_for_state(page, "digit", "unsure", "none")
    page.evaluate("window.slowBy = 600")
    page.locator("#file").set_input_files(str(SAMPLES / "three-on-paper.jpg"))
    page.wait_for_function("document.getElementById('state').dataset.busy === 'true'")
    assert state(page) == "working" and "Reading" in page.locator("#message").inner_text()
    page.wait_for_function("document.getElementById('digit').textContent === '3'", timeout=10_000)
    assert canvas_has_ink(page)  # the photo is on the canvas, the old drawing gone
    assert page.locator("#state").get_attribute("aria-busy") == "false"
    # The input is emptied after each file, so choosing the same file again is a change.
    assert page.locator("#file").evaluate("input => input.value") == ""


def test_a_file_dropped_on_the_canvas_is_read(page):
    data = base64.b64encode((SAMPLES / "seven-canvas.png").read_bytes()).decode()
    transfer = page.evaluate_handle(f"""() => {{
        const bytes = Uint8Array.from(atob("{data}"), (character) => character.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "seven.png", {{ type: "image/png" }}));
        return transfer;
    }}""")
    page.dispatch_event("#pad", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#pad", "drop", {"dataTransfer": transfer})
    page.wait_for_function("document.getElementById('digit').textContent === '7'", timeout=10_000)
    assert canvas_has_ink(page)


def test_a_blank_upload_says_so_plainly(page):
    page.locator("#file").set_input_files(str(SAMPLES / "blank-canvas.png"))
    wait_for_state(page, "none")
    text = page.locator("#message").inner_text()
    assert text.startswith("I can't see a digit here") and "contrast" not in text and "ink" not in text.split(":")[0]


def test_not_a_digit_is_said_plainly(page):
    answer_with(page, 200, json.dumps({
        "path": "canvas.png", "digit": None, "confidence": None, "probabilities": [0.1] * 10, "not_a_digit": 0.87,
        "reason": "this does not look like a digit (87% sure)", "message": "Not a digit: this looks like something else (87% sure)."}))
    draw(page, [(0.2, 0.5), (0.8, 0.5)])
    wait_for_state(page, "none")
    assert page.locator("#message").inner_text().startswith("Not a digit")
    assert meter_values(page) == [0] * 10  # no digit's bar is shown as an answer


@pytest.mark.parametrize("status, body, content_type, words", [
    (500, "Internal Server Error", "text/plain", "The server failed"),
    (502, "<html><body>Bad gateway</body></html>", "text/html", "The server failed"),
    (413, '{"error": "upload of 9,000,000 bytes is over the limit"}', "application/json", "too large"),
    (415, '{"error": "canvas.png: not an image"}', "application/json", "not an image digits can read"),
])
def test_server_errors_are_said_plainly_never_raw(page, status, body, content_type, words):
    answer_with(page, status, body, content_type)
    draw(page, SEVEN)
    wait_for_state(page, "error")
    text = page.locator("#message").inner_text()
    assert words in text and "Unexpected token" not in text and "JSON" not in text


def test_number_mode_asks_for_a_number_and_shows_each_digit(page):
    urls = answer_with(page, 200, json.dumps({
        "path": "canvas.png", "number": "42", "confidence": 0.93, "low_confidence": False,
        "digits": [{"digit": 4, "confidence": 0.97, "box": [10, 10, 80, 120]},
                   {"digit": 2, "confidence": 0.93, "box": [120, 10, 80, 120]}],
        "message": "93% sure of its least clear digit."}))
    page.get_by_label("Read a whole number").check()
    box = page.locator("#pad").bounding_box()
    assert box["width"] > 1.8 * box["height"]  # a wide pad for several digits
    draw(page, [(0.2, 0.2), (0.2, 0.8)])
    wait_for_state(page, "digit")
    assert "number=1" in urls[-1]
    assert page.locator("#digit").inner_text() == "42"
    assert page.locator("#parts li").all_inner_texts() == ["4 · 97%", "2 · 93%"]
    assert not page.locator("#bars").is_visible()


def test_a_number_with_a_part_that_is_not_a_digit_says_which(page):
    answer_with(page, 200, json.dumps({
        "path": "canvas.png", "number": None, "reason": "part 2 of 2 does not look like a digit",
        "digits": [{"digit": 4, "confidence": 0.97, "box": [0, 0, 1, 1]}, {"digit": None, "confidence": 0.3, "box": [2, 0, 1, 1]}],
        "message": "Part 2 of 2 does not look like a digit: rewrite it or rub it out."}))
    page.get_by_label("Read a whole number").check()
    draw(page, SEVEN)
    wait_for_state(page, "none")
    assert page.locator("#message").inner_text().startswith("Part 2 of 2")
    assert page.locator("#parts li.bad").inner_text() == "? not a digit"


def test_desktop_layout_is_wide_with_tools_on_one_line_and_visible_shortcuts(page):
    assert page.locator("main").bounding_box()["width"] >= 1000
    undo, clear = page.locator("#undo").bounding_box(), page.locator("#clear").bounding_box()
    assert abs(undo["y"] - clear["y"]) < 1 and clear["height"] < 50  # "Clear" on the line of "Undo", unwrapped
    hints = page.locator(".hints")
    assert hints.is_visible() and "Ctrl" in hints.inner_text() and "Esc" in hints.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "desktop.png")


def test_phone_layout_fits_with_touch_targets_of_24_px(phone):
    box = phone.locator("#pad").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    for selector in ("#brush", "#undo", "#clear", "#choose", "label.switch"):
        target = phone.locator(selector).bounding_box()
        assert target["height"] >= 24 and target["width"] >= 24, selector
    # The answer line is above the pad, so it shows while drawing.
    assert phone.locator("#answer-line").bounding_box()["y"] < box["y"]
    phone.locator("#pad").tap()
    wait_for_state(phone, "digit", "unsure", "none", "error")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SCREENSHOTS / "phone.png", full_page=True)


def test_keyboard_reaches_every_control(page):
    reached = set()
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    assert {"brush", "undo", "clear", "number-mode", "choose"} <= reached
    # Enter on "Choose an image…" opens the file picker (caught here before it opens).
    page.evaluate("document.getElementById('file').addEventListener('click', (event) => "
                  "{ window.picked = true; event.preventDefault(); })")
    page.focus("#choose")
    page.keyboard.press("Enter")
    page.wait_for_function("window.picked === true")


@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core is not at {AXE} (make test installs it; or set AXE_CORE_JS)")
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_serious_violations(page, phone, size):
    target = page if size == "desktop" else phone
    draw(target, SEVEN)
    wait_for_state(target, "digit", "unsure", "none")
    target.add_script_tag(path=str(AXE))
    violations = target.evaluate("async () => (await axe.run()).violations"
                                 ".filter(v => ['serious', 'critical'].includes(v.impact))"
                                 ".map(v => v.id + ': ' + v.nodes.map(n => n.target).join(', '))")
    assert violations == []
