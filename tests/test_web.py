"""End-to-end tests of the drawing page in Debian's Chromium, driven by Playwright."""

from pathlib import Path

import pytest

from conftest import SAMPLES
from server_process import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]

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


@pytest.fixture
def page(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(server.url + "/")
    yield page
    page.close()


def draw(page, points, steps=8):
    """Drag the mouse through ``points`` given as fractions of the canvas."""
    box = page.locator("#pad").bounding_box()
    x, y = (box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.move(x, y)
    page.mouse.down()
    for fraction_x, fraction_y in points[1:]:
        page.mouse.move(box["x"] + fraction_x * box["width"], box["y"] + fraction_y * box["height"], steps=steps)
    page.mouse.up()


def state(page) -> str:
    return page.locator("#state").get_attribute("data-state")


def wait_for_answer(page):
    page.wait_for_function("document.getElementById('state').dataset.state !== 'empty'", timeout=10_000)


def bar_values(page) -> list[float]:
    return [float(value) for value in
            page.locator(".bar").evaluate_all("bars => bars.map(bar => bar.getAttribute('aria-valuenow'))")]


def test_page_starts_empty(page):
    assert state(page) == "empty" and "No digit" in page.locator("#message").inner_text()
    assert bar_values(page) == [0.0] * 10
    page.screenshot(path=SCREENSHOTS / "empty.png")


def test_drawing_a_seven_predicts_it_with_bars_and_preview(page):
    draw(page, [(0.22, 0.2), (0.78, 0.2), (0.42, 0.85)])
    wait_for_answer(page)
    page.wait_for_function("document.getElementById('digit').textContent === '7'", timeout=10_000)
    values = bar_values(page)
    assert max(values) == values[7] and values[7] > 50 and abs(sum(values) - 100) < 1
    assert page.locator("#preview").is_visible()
    page.screenshot(path=SCREENSHOTS / "drawn-seven.png")


def test_undo_and_clear_return_to_the_empty_state(page):
    draw(page, [(0.5, 0.15), (0.5, 0.85)])
    wait_for_answer(page)
    page.get_by_role("button", name="Undo").click()
    page.wait_for_function("document.getElementById('state').dataset.state === 'empty'")
    draw(page, [(0.5, 0.15), (0.5, 0.85)])
    wait_for_answer(page)
    page.keyboard.press("Escape")
    page.wait_for_function("document.getElementById('state').dataset.state === 'empty'")
    assert bar_values(page) == [0.0] * 10 and not page.locator("#preview").is_visible()
    page.screenshot(path=SCREENSHOTS / "cleared.png")


def test_uploading_a_photo_predicts_it(page):
    page.locator("#file").set_input_files(str(SAMPLES / "three-on-paper.jpg"))
    page.wait_for_function("document.getElementById('digit').textContent === '3'", timeout=10_000)
    page.screenshot(path=SCREENSHOTS / "uploaded-three.png")


def test_uploading_a_blank_canvas_says_no_digit(page):
    page.locator("#file").set_input_files(str(SAMPLES / "seven-canvas.png"))
    wait_for_answer(page)
    page.locator("#file").set_input_files(str(SAMPLES / "blank-canvas.png"))
    page.wait_for_function("document.getElementById('message').textContent.startsWith('No digit:')")
    assert state(page) == "empty"


def test_phone_sized_screen_and_keyboard(browser, server):
    page = browser.new_page(viewport={"width": 375, "height": 740}, has_touch=True)
    page.goto(server.url + "/")
    box = page.locator("#pad").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused in {"brush", "undo", "clear", "drop"}
    page.screenshot(path=SCREENSHOTS / "phone.png", full_page=True)
    page.close()
