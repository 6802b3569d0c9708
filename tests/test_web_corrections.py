"""The page's "that's wrong, it's a …" control and its model chooser, in Debian's Chromium."""

import json
import shutil

import pytest

from digits.recognisers import DEFAULT_MODEL
from digits.stores import open_store
from server_process import ServerProcess
from test_web import CHROMIUM, SEVEN, browser, draw, open_page, wait_for_state  # noqa: F401

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def served(tmp_path_factory, browser):  # noqa: F811
    """A server with its own store, started in a folder whose runs/ holds a personal model named 'me'."""
    folder = tmp_path_factory.mktemp("web-corrections")
    (folder / "runs").mkdir()
    shutil.copy(DEFAULT_MODEL, folder / "runs" / "me.onnx")
    (folder / "runs" / "me.card.json").write_text(json.dumps({"personal": True, "writer": "me"}))
    store = folder / "corrections.db"
    process = ServerProcess("--store", str(store), log_path=folder / "serve.log", cwd=folder)
    yield process, store
    process.stop()


@pytest.fixture
def page(browser, served, request):  # noqa: F811
    return open_page(browser, served[0], request, viewport={"width": 1280, "height": 800})


def test_that_is_wrong_stores_the_drawing_with_the_right_label(page, served):
    assert page.locator("#correction").is_hidden()
    draw(page, SEVEN)
    wait_for_state(page, "digit", "unsure")
    assert page.locator("#correction").is_visible()
    # By keyboard: the label's select, the name, then Enter on the button.
    page.focus("#correct-label")
    page.select_option("#correct-label", "1")
    page.fill("#writer", "ann")
    page.focus("#save-correction")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('correction-status').dataset.kind === 'saved'")
    status = page.locator("#correction-status")
    assert status.get_attribute("role") == "status" and status.inner_text() == "Saved: this is 1, not 7. Thank you."
    stored = open_store(str(served[1])).corrections()
    assert [(item.label, item.predicted, item.writer, item.source) for item in stored][-1] == (1, 7, "ann", "page")
    assert stored[-1].image.startswith(b"\x89PNG")
    # The name is kept for the next correction.
    page.reload()
    assert page.locator("#writer").input_value() == "ann"


def test_saving_without_a_label_asks_for_one(page):
    draw(page, SEVEN)
    wait_for_state(page, "digit", "unsure")
    page.click("#save-correction")
    page.wait_for_function("document.getElementById('correction-status').dataset.kind === 'error'")
    assert "Choose what it really is" in page.locator("#correction-status").inner_text()
    assert page.evaluate("document.activeElement.id") == "correct-label"


def test_the_model_chooser_switches_to_a_personal_model(page):
    label = page.locator("label.model-choice")
    label.wait_for(state="visible")
    options = page.locator("#model option").evaluate_all("options => options.map(option => option.textContent)")
    assert options == ["default", "accurate", "me (personal)"]
    urls = []
    page.on("request", lambda request: urls.append(request.url) if "/api/predict" in request.url else None)
    page.select_option("#model", "me")
    draw(page, SEVEN)
    wait_for_state(page, "digit", "unsure")
    assert page.locator("#digit").inner_text() == "7"
    assert urls and all("model=me" in url for url in urls)
