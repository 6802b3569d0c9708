import contextlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLES
from test_web import AXE, CHROMIUM, CHROMIUM_FLAGS
from digits.cli import main
from digits.explain import explain, figure, saliency
from digits.predict import LOW_CONFIDENCE
from digits.recognisers import Recogniser, load_recogniser
from digits.report import class_scores, confusion_matrix, curves_caption, curves_plot, log_ticks, report, scores_plot


class Linear(Recogniser):
    """softmax(W·x) over 10 or 11 outputs: a model whose answers and gradients are known."""

    input_shape = (28, 28)

    def __init__(self, weights: np.ndarray):
        self.weights, self.card, self.path = weights, {}, None

    def run(self, batch):
        logits = batch.reshape(len(batch), -1) @ self.weights
        exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exponentials / exponentials.sum(axis=1, keepdims=True)


def test_confusion_matrix_and_scores_by_hand():
    labels = np.array([0, 0, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0])
    matrix = confusion_matrix(labels, predicted)
    assert matrix.shape == (10, 10) and matrix[0, 0] == 1 and matrix[0, 1] == 1 and matrix[2, 0] == 1
    scores = class_scores(matrix)
    assert scores["precision"][1] == 2 / 3 and scores["recall"][1] == 1.0 and scores["recall"][2] == 0.0


def test_saliency_is_gradient_times_input_for_a_linear_model():
    """For softmax(W·x), central differences must match the analytic gradient."""
    weights = np.random.default_rng(0).normal(size=(784, 10))
    image = np.random.default_rng(1).random((28, 28), dtype=np.float32) * 0.1
    probabilities = Linear(weights).run(image[None])[0]
    analytic = probabilities[3] * (weights[:, 3] - weights @ probabilities)
    np.testing.assert_allclose(saliency(Linear(weights), image, 3, step=1e-3), analytic.reshape(28, 28) * image,
                               atol=1e-5)


def test_an_unsure_answer_is_marked_and_its_saliency_is_scaled_per_image():
    # Weights near zero: every digit close to 10 %, far below the low-confidence line.
    explanation = explain(Linear(np.random.default_rng(0).normal(size=(784, 10)) * 1e-3), SAMPLES / "seven-canvas.png")
    assert explanation.prediction.confidence < LOW_CONFIDENCE and explanation.marked
    assert "low confidence" in explanation.verdict
    assert explanation.saliency.max() == 1.0 and explanation.saliency.min() >= 0
    assert not explanation.answers_not_a_digit
    drawn = figure(explanation)
    titles = [axis.get_title() for axis in drawn.axes]
    assert titles[:2] == ["your image (280×280)", "what the model sees (28×28)"]
    assert [label.get_text() for label in drawn.axes[2].get_xticklabels()] == [str(digit) for digit in range(10)]
    assert drawn.axes[-1].get_ylim() == (0.0, 1.0), "the colour bar runs from 0 to 1 whatever the image"
    assert "low confidence" in drawn.get_suptitle()
    assert [list(line.get_ydata()) for line in drawn.axes[2].lines] == [[LOW_CONFIDENCE, LOW_CONFIDENCE]]


def test_a_not_a_digit_answer_is_marked_and_its_bar_shown():
    weights = np.zeros((784, 11))
    weights[:, 10] = 1.0  # any ink at all speaks for 'not a digit'
    explanation = explain(Linear(weights), SAMPLES / "seven-canvas.png")
    assert explanation.prediction.digit is None and explanation.marked and explanation.answers_not_a_digit
    assert explanation.verdict.startswith("not a digit (")
    labels = [label.get_text() for label in figure(explanation).axes[2].get_xticklabels()]
    assert len(labels) == 11 and labels[-1] == "not a\ndigit"


def test_the_original_is_shown_upright_and_a_blank_image_has_no_model_panels(tmp_path):
    photo = Image.new("RGB", (300, 200), "white")
    exif = photo.getexif()
    exif[0x0112] = 6  # EXIF orientation: the camera was turned; shown upright, 200 wide and 300 high
    photo.save(tmp_path / "turned.jpg", exif=exif)
    explanation = explain(Linear(np.zeros((784, 10))), tmp_path / "turned.jpg")
    assert explanation.original.shape == (300, 200, 3)
    assert explanation.model_input is None and explanation.saliency is None and explanation.marked
    assert explanation.verdict.startswith("no digit found:")
    assert len(figure(explanation).axes) == 1


def test_training_curves_caption_says_what_the_history_holds():
    with_validation = [{"epoch": 1, "loss": 0.5, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.95},
                       {"epoch": 2, "loss": 0.3, "accuracy": 0.95, "val_loss": 0.3, "val_accuracy": 0.96}]
    training_only = [{key: row[key] for key in ("epoch", "loss", "accuracy")} for row in with_validation]
    caption = curves_caption({"history": with_validation})
    assert "validation split" in caption and "2 epochs" in caption and "drawn" not in caption
    caption = curves_caption({"history": training_only})
    assert "training data" in caption and "records no validation" in caption and "on the validation" not in caption
    legends = [[text.get_text() for text in axis.get_legend().get_texts()] for axis in curves_plot(training_only).axes]
    assert legends == [["training"], ["training"]]
    assert "no training history" in curves_caption({})


def test_shipped_models_curves_caption_names_their_data_and_member():
    default, accurate = load_recogniser("default").card, load_recogniser("accurate").card
    assert "48,000 drawn images" in curves_caption(default) and "averages" not in curves_caption(default)
    assert f"averages {len(accurate['members'])} networks" in curves_caption(accurate)
    assert accurate["members"][0]["run"] in curves_caption(accurate)


def test_training_curves_have_whole_epochs_and_plain_log_ticks():
    # Error rates of 4 % to 6 %, inside one decade: matplotlib alone labels them 4×10⁰, 6×10⁰.
    history = [{"epoch": epoch, "loss": 1 / epoch, "accuracy": accuracy}
               for epoch, accuracy in zip(range(1, 5), (0.94, 0.95, 0.955, 0.96))]
    drawn = curves_plot(history)
    drawn.canvas.draw()
    loss_axis, error_axis = drawn.axes
    for axis in drawn.axes:
        epochs = [tick for tick in axis.get_xticks() if 1 <= tick <= 4]
        assert epochs == [1, 2, 3, 4]
    low, high = error_axis.get_ylim()
    labels = [label.get_text() for label in error_axis.get_yticklabels() if low <= label.get_position()[1] <= high]
    assert len(labels) >= 2 and all(float(label) for label in labels), labels
    assert not [label for label in error_axis.get_yticklabels(minor=True) if label.get_text()]
    assert log_ticks(0.3, 10.4) == [0.5, 1, 2, 5, 10]
    assert log_ticks(3.9, 6.1) == [4, 5, 6]


def test_the_scores_legend_covers_no_bar():
    scores = {name: [0.99] * 10 for name in ("precision", "recall", "f1")}
    drawn = scores_plot(scores)
    drawn.canvas.draw()
    axis = drawn.axes[0]
    legend = axis.get_legend().get_window_extent()
    assert not any(bar.get_window_extent().overlaps(legend) for bar in axis.patches)


@pytest.fixture(scope="module")
def written(tmp_path_factory, mnist):
    """The CLI's report on two images: a photo of a 3 and a blank canvas; (folder, JSON summary)."""
    out = tmp_path_factory.mktemp("report")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = main(["report", "--out", str(out), "--json", str(SAMPLES / "three-on-paper.jpg"),
                     str(SAMPLES / "blank-canvas.png")])
    assert code == 0
    return out, json.loads(printed.getvalue())


def test_report_writes_figures_and_a_self_contained_page(written):
    tmp_path, summary = written
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["class-scores.png", "confusion-matrix.png", "image-1.png", "image-2.png", "mistakes.png",
                     "report.html", "training-curves.png"]
    for name in names:
        if name.endswith(".png"):
            assert Image.open(tmp_path / name).size[0] > 300
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 6 and 'src="' not in page.replace('src="data:', "")
    assert f"{100 * summary['test']['accuracy']:.2f}%" in page
    # The user's images come first, and the blank one is marked as an answer to check.
    assert page.index("Your image 1: three-on-paper.jpg") < page.index("Your image 2: blank-canvas.png") \
        < page.index("Training curves")
    blank = page[page.index("Your image 2"):page.index("Training curves")]
    assert "Check this answer" in blank and "no digit found" in blank
    assert "Check this answer" not in page[page.index("Your image 1"):page.index("Your image 2")]


@pytest.mark.skipif(not (CHROMIUM.exists() and AXE.exists()), reason="needs Debian's chromium and axe-core "
                                                                     "(make test installs both)")
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)])
def test_report_page_reads_in_a_browser(written, viewport):
    from playwright.sync_api import sync_playwright

    width, height = viewport
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto((written[0] / "report.html").as_uri())
        # The page itself never scrolls sideways; a figure too wide for a phone scrolls in its own box.
        assert page.evaluate("document.documentElement.scrollWidth") == width
        assert all(image["naturalWidth"] > 0 for image in page.locator("img").evaluate_all(
            "images => images.map(image => ({naturalWidth: image.naturalWidth}))"))
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("async () => (await axe.run()).violations.map(v => v.impact + ' ' + v.id)")
        browser.close()
    assert violations == []


def test_report_content_matches_the_evaluation(tmp_path, mnist):
    result = report(None, tmp_path)
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 10000
    assert matrix.sum(axis=1).tolist() == np.bincount(mnist[1][1], minlength=10).tolist()
    assert matrix.trace() == 10000 - result["test"]["errors"]
    assert len(result["mistakes"]) == min(24, result["test"]["errors"])
    confidences = [mistake["confidence"] for mistake in result["mistakes"]]
    assert confidences == sorted(confidences, reverse=True)
    assert all(mistake["true"] != mistake["predicted"] for mistake in result["mistakes"])
    assert load_recogniser().card["history"], "the shipped model's card carries its training history"
