import json

import numpy as np
from PIL import Image

from conftest import SAMPLES
from digits.cli import main
from digits.predict import load_recogniser
from digits.report import class_scores, confusion_matrix, report, saliency


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

    class Linear:
        def probabilities(self, images):
            logits = images.reshape(len(images), -1) @ weights
            exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
            return exponentials / exponentials.sum(axis=1, keepdims=True)

    image = np.random.default_rng(1).random((28, 28), dtype=np.float32) * 0.1
    probabilities = Linear().probabilities(image[None])[0]
    analytic = probabilities[3] * (weights[:, 3] - weights @ probabilities)
    np.testing.assert_allclose(saliency(Linear(), image, 3, step=1e-3), analytic.reshape(28, 28) * image, atol=1e-5)


def test_report_writes_figures_and_a_self_contained_page(tmp_path, mnist, capsys):
    code = main(["report", "--out", str(tmp_path), "--json", str(SAMPLES / "three-on-paper.jpg"),
                 str(SAMPLES / "blank-canvas.png")])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["class-scores.png", "confusion-matrix.png", "image-1.png", "image-2.png", "mistakes.png",
                     "report.html", "training-curves.png"]
    for name in names:
        if name.endswith(".png"):
            assert Image.open(tmp_path / name).size[0] > 300
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 6 and 'src="' not in page.replace('src="data:', "")
    assert f"{100 * summary['test']['accuracy']:.2f}%" in page


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
