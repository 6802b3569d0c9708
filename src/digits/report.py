"""`digits report`: figures and one self-contained HTML page about a model.

Training curves (from the model card's history), the confusion matrix in counts and
normalised, per-class precision, recall and F1, the most confident mistakes on the test
set, and for images given by the user their 28×28 model input, probability bars and a
saliency map (the magnitude of gradient × input, the gradient taken by central differences
through the same inference runtime, so it works for ONNX models too).
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import numpy as np

from digits.files import atomic_path, write_text_atomic
from digits.predict import Recogniser, load_recogniser, prepare
from digits.preprocess import scale_mnist

# A sequential light-to-dark map: it prints in grey as it shows on screen.
SEQUENTIAL = "Greys"


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update({"font.size": 11, "axes.titlesize": 13, "figure.dpi": 100})
    return plt


def save(figure, path: Path) -> Path:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", bbox_inches="tight")
    pyplot().close(figure)
    return path


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) counts: row = true digit, column = predicted digit."""
    matrix = np.zeros((10, 10), dtype=np.int64)
    np.add.at(matrix, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def class_scores(matrix: np.ndarray) -> dict[str, list[float]]:
    true_positive = np.diag(matrix).astype(np.float64)
    precision = true_positive / np.maximum(matrix.sum(axis=0), 1)
    recall = true_positive / np.maximum(matrix.sum(axis=1), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist()}


def saliency(recogniser: Recogniser, image: np.ndarray, digit: int, step: float = 0.05) -> np.ndarray:
    """Gradient × input of the probability of ``digit``, (28, 28); central differences per pixel."""
    pixels = image.size
    offsets = np.eye(pixels, dtype=np.float32).reshape(pixels, *image.shape) * step
    batch = np.concatenate([image[None] + offsets, image[None] - offsets])
    probabilities = recogniser.probabilities(batch)[:, digit]
    gradient = (probabilities[:pixels] - probabilities[pixels:]) / (2 * step)
    return gradient.reshape(image.shape) * image


def curves_figure(history: list[dict], path: Path) -> Path | None:
    if not history:
        return None
    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    figure, (loss_axis, error_axis) = plt.subplots(1, 2, figsize=(11, 4))
    # Error rate on a log scale shows the late epochs, where accuracy near 1 looks flat.
    panels = ((loss_axis, "loss", "Loss per epoch", "loss", lambda value: value),
              (error_axis, "accuracy", "Error rate per epoch (log scale)", "error rate (%)",
               lambda value: max(100 * (1 - value), 1e-3)))
    for axis, metric, title, label, shown in panels:
        axis.plot(epochs, [shown(row[metric]) for row in history], "o-", color="black", label="training")
        if f"val_{metric}" in history[0]:
            axis.plot(epochs, [shown(row[f"val_{metric}"]) for row in history], "s--", color="grey",
                      label="validation")
        axis.set(title=title, xlabel="epoch", ylabel=label)
        axis.grid(alpha=0.3)
        axis.legend()
    error_axis.set_yscale("log")
    return save(figure, path)


def confusion_figure(matrix: np.ndarray, path: Path) -> Path:
    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(13, 5.6))
    normalised = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    for axis, values, title, text in ((axes[0], matrix, "Confusion matrix (counts)", "{:d}"),
                                      (axes[1], normalised, "Confusion matrix (row-normalised)", "{:.3f}")):
        # Log-like scaling keeps the rare mistakes visible next to the large diagonal.
        shown = np.sqrt(values / max(values.max(), 1e-12))
        axis.imshow(shown, cmap=SEQUENTIAL, vmin=0, vmax=1)
        axis.set(title=title, xlabel="predicted digit", ylabel="true digit", xticks=range(10), yticks=range(10))
        for row in range(10):
            for column in range(10):
                if values[row, column]:
                    axis.text(column, row, text.format(values[row, column]), ha="center", va="center", fontsize=7,
                              color="white" if shown[row, column] > 0.5 else "black")
    return save(figure, path)


def scores_figure(scores: dict[str, list[float]], path: Path) -> Path:
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(10, 4))
    positions = np.arange(10)
    for offset, (name, hatch, shade) in zip((-0.27, 0, 0.27), (("precision", "", "0.2"), ("recall", "//", "0.55"),
                                                                 ("f1", "..", "0.85"))):
        axis.bar(positions + offset, scores[name], width=0.27, label=name, color=shade, hatch=hatch, edgecolor="black")
    low = min(min(values) for values in scores.values())
    axis.set(title="Per-class precision, recall and F1 on the test set", xlabel="digit", ylabel="score",
             xticks=positions, ylim=(max(0.0, low - 0.01), 1.0))
    axis.legend(loc="lower right")
    axis.grid(axis="y", alpha=0.3)
    return save(figure, path)


def mistakes_figure(images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, path: Path,
                    count: int = 24) -> tuple[Path, list[dict]]:
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:count]
    plt = pyplot()
    columns = 8
    rows = max(1, -(-len(wrong) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 1.6, rows * 2.4), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    mistakes = []
    for axis, index in zip(axes.ravel(), wrong):
        confidence = float(probabilities[index, predicted[index]])
        axis.imshow(images[index], cmap=SEQUENTIAL, vmin=0, vmax=255)
        axis.set_title(f"#{index}\ntrue {labels[index]}, said {predicted[index]}\n{100 * confidence:.1f}%", fontsize=9)
        mistakes.append({"index": int(index), "true": int(labels[index]), "predicted": int(predicted[index]),
                         "confidence": round(confidence, 4)})
    figure.suptitle("Most confident mistakes on the test set", fontsize=13)
    figure.tight_layout()
    return save(figure, path), mistakes


def image_figure(recogniser: Recogniser, source: str, path: Path) -> tuple[Path, str]:
    """Model input, probability bars and saliency for one user image; returns (figure, caption)."""
    image, reason, error = prepare(source)
    plt = pyplot()
    if image is None:
        figure, axis = plt.subplots(figsize=(6, 1.2))
        axis.axis("off")
        caption = f"{source}: {reason or error}"
        axis.text(0, 0.5, caption, fontsize=11, va="center")
        return save(figure, path), caption
    probabilities = recogniser.probabilities(image[None])[0]
    digit = int(probabilities.argmax())
    heat = saliency(recogniser, image, digit)
    figure, (input_axis, bar_axis, heat_axis) = plt.subplots(1, 3, figsize=(12, 3.6))
    input_axis.imshow(image, cmap="gray", vmin=0, vmax=1)
    input_axis.set(title="what the model sees (28×28)", xticks=[], yticks=[])
    bar_axis.bar(range(10), probabilities, color=["0.15" if d == digit else "0.65" for d in range(10)])
    bar_axis.set(title=f"prediction: {digit} ({100 * probabilities[digit]:.1f}%)", xlabel="digit",
                 ylabel="probability", xticks=range(10), ylim=(0, 1))
    shown = heat_axis.imshow(np.abs(heat), cmap=SEQUENTIAL, vmin=0)
    heat_axis.set(title=f"saliency for {digit}: |gradient × input|", xticks=[], yticks=[])
    figure.colorbar(shown, ax=heat_axis, fraction=0.046)
    figure.suptitle(Path(source).name, fontsize=12)
    figure.tight_layout()
    return save(figure, path), f"{source}: {digit} ({100 * probabilities[digit]:.1f}%)"


def embedded(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def report(model_path: str | os.PathLike | None, out: str | os.PathLike, images: list[str] | None = None) -> dict:
    """Write the figures and ``report.html`` into ``out``; return what was written and the scores."""
    from digits.data import load_mnist
    from digits.evaluation import metrics

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    recogniser = load_recogniser(model_path)
    _, (x_test, y_test) = load_mnist()
    probabilities = recogniser.probabilities(scale_mnist(x_test))
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(y_test, predicted)
    scores = class_scores(matrix)
    test = metrics(probabilities, y_test)

    sections = []
    curves = curves_figure(recogniser.card.get("history", []), out / "training-curves.png")
    sections.append(("Training curves", curves, "Loss and accuracy per epoch on the training data and the "
                                                "validation split." if curves else
                     "This model's card has no training history (a model saved by other code)."))
    sections.append(("Confusion matrix", confusion_figure(matrix, out / "confusion-matrix.png"),
                     "Rows are the true digits, columns the model's answers; shading is on a square-root scale."))
    sections.append(("Precision, recall and F1", scores_figure(scores, out / "class-scores.png"), ""))
    mistakes_path, mistakes = mistakes_figure(x_test, y_test, probabilities, out / "mistakes.png")
    sections.append(("Most confident mistakes", mistakes_path, f"{test['errors']} test images are misread; "
                                                               f"these are the ones the model was surest of."))
    for index, source in enumerate(images or []):
        figure, caption = image_figure(recogniser, source, out / f"image-{index + 1}.png")
        sections.append((f"Your image {index + 1}", figure, caption))

    rows = "".join(f"<tr><td>{digit}</td>" + "".join(f"<td>{scores[name][digit]:.4f}</td>"
                                                    for name in ("precision", "recall", "f1")) + "</tr>"
                   for digit in range(10))
    body = "".join(f"<section><h2>{html.escape(title)}</h2><p>{html.escape(caption)}</p>"
                   + (f'<img src="{embedded(path)}" alt="{html.escape(title)}">' if path else "") + "</section>"
                   for title, path, caption in sections)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>digits report: {html.escape(recogniser.path.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:auto;padding:1rem}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2rem .6rem;text-align:right}}</style></head>
<body><h1>Report for {html.escape(recogniser.path.name)}</h1>
<p>Test accuracy <strong>{100 * test['accuracy']:.2f}%</strong>, loss {test['loss']:.4f},
{test['errors']} errors in {test['samples']} MNIST test images.</p>
<table><tr><th>digit</th><th>precision</th><th>recall</th><th>F1</th></tr>{rows}</table>
{body}</body></html>
"""
    write_text_atomic(out / "report.html", page)
    return {"out": str(out / "report.html"), "figures": [str(path) for _, path, _ in sections if path],
            "test": test, "confusion_matrix": matrix.tolist(), "class_scores": scores, "mistakes": mistakes}
