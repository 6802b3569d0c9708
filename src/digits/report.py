"""`digits report`: figures and one self-contained HTML page about a model.

First the user's own images, if any (``digits.explain``: each beside its 28×28 model input,
with the probabilities and a saliency map); then the training curves (from the model card's
history), the confusion matrix in counts and normalised, per-class precision, recall and F1,
and the most confident mistakes on the test set.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.files import atomic_path, write_text_atomic
from digits.explain import explain
from digits.explain import figure as explanation_figure
from digits.recognisers import Recogniser, load_recogniser
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


def log_ticks(low: float, high: float) -> list[float]:
    """Ticks for a log axis from ``low`` to ``high``: 1, 2, 5 × 10^k, or each 1-9 × 10^k where that gives fewer than 2."""
    powers = range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1)
    for steps in ((1, 2, 5), tuple(range(1, 10))):
        ticks = [step * 10.0 ** power for power in powers for step in steps]
        ticks = [tick for tick in ticks if low <= tick <= high]
        if len(ticks) >= 2:
            return ticks
    return ticks


def curves_plot(history: list[dict]):
    """A Figure: loss and error rate (log scale) per epoch, for training and, where the card has it, validation."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    figure, (loss_axis, error_axis) = plt.subplots(1, 2, figsize=(11, 4))
    # Error rate on a log scale shows the late epochs, where accuracy near 1 looks flat.
    panels = ((loss_axis, "loss", "Loss per epoch", "loss", lambda value: value),
              (error_axis, "accuracy", "Error rate per epoch (log scale)", "error rate (%)",
               lambda value: max(100 * (1 - value), 1e-3)))
    for axis, metric, title, label, shown in panels:
        for name, style, colour, series in (("training", "o-", "black", metric),
                                            ("validation", "s--", "0.45", f"val_{metric}")):
            if all(series in row for row in history):
                axis.plot(epochs, [shown(row[series]) for row in history], style, color=colour, label=name)
        axis.set(title=title, xlabel="epoch", ylabel=label)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend()
    error_axis.set_yscale("log")
    # Plain numbers (0.5, 1, 2) on the log axis instead of matplotlib's 6×10⁰ minor labels.
    error_axis.set_yticks(log_ticks(*error_axis.get_ylim()))
    error_axis.yaxis.set_minor_locator(NullLocator())
    error_axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    return figure


def curves_caption(card: dict) -> str:
    """What the training-curves figure shows, worked out from the card it is drawn from."""
    history = card.get("history", [])
    if not history:
        return "This model's card has no training history (a model saved by other code)."
    epochs = len(history)
    span = "the one epoch" if epochs == 1 else f"each of the {epochs} epochs"
    caption = (f"Loss (left) and error rate on a log scale (right) for {span}, on the training data "
               f"(averaged over the epoch)")
    if all("val_loss" in row and "val_accuracy" in row for row in history):
        caption += " and on the validation split (after the epoch)."
    else:
        caption += " only: this model's card records no validation figures per epoch."
    config = card.get("config", {})
    if config.get("synthetic"):
        caption += (f" The training data mix {config['synthetic']:,} drawn images (other hands' styles, tight crops, "
                    f"things that are not digits) into MNIST's; the validation split is MNIST digits alone.")
    members = card.get("members", [])
    if len(members) > 1:
        caption += (f" The model averages {len(members)} networks; these are the curves of the first, "
                    f"{members[0].get('run', 'its first member')}.")
    return caption


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


def scores_plot(scores: dict[str, list[float]]):
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(10, 4))
    positions = np.arange(10)
    for offset, (name, hatch, shade) in zip((-0.27, 0, 0.27), (("precision", "", "0.2"), ("recall", "//", "0.55"),
                                                                 ("f1", "..", "0.85"))):
        axis.bar(positions + offset, scores[name], width=0.27, label=name.replace("f1", "F1"), color=shade,
                 hatch=hatch, edgecolor="black")
    low = min(min(values) for values in scores.values())
    axis.set(title="Per-class precision, recall and F1 on the test set", xlabel="digit", ylabel="score",
             xticks=positions, ylim=(max(0.0, low - 0.01), 1.0))
    # Outside the axes: inside, it would hide whichever bars sit under it.
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axis.grid(axis="y", alpha=0.3)
    return figure


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


def embedded(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@dataclass(frozen=True)
class Section:
    title: str
    figure: Path | None
    caption: str
    marked: bool = False  # an answer a person should not take at its word


def image_sections(recogniser: Recogniser, images: list[str], out: Path) -> list[Section]:
    sections = []
    for index, source in enumerate(images):
        explanation = explain(recogniser, source)
        path = save(explanation_figure(explanation), out / f"image-{index + 1}.png")
        sections.append(Section(f"Your image {index + 1}: {Path(source).name}", path, explanation.verdict + ".",
                                explanation.marked))
    return sections


# Said once above the user's images, rather than under each.
IMAGES_NOTE = ("Your images come first, each beside the 28×28 input the model sees, with the probabilities and a "
               "saliency map: how much each pixel moves the answer, as a share of the largest in that image "
               "(1 = most), so two images' maps are not on one scale. Answers to check (low confidence, not a "
               "digit, no digit found) are marked in red.")


def section_html(section: Section) -> str:
    caption = html.escape(section.caption)
    if section.marked:
        caption = f'<strong class="flag">Check this answer:</strong> {caption}'
    image = ""
    if section.figure:
        # Scrolls sideways on a phone rather than shrinking the figure's text out of reach.
        image = (f'<div class="figure" tabindex="0" role="region" aria-label="{html.escape(section.title)}">'
                 f'<img src="{embedded(section.figure)}" alt="{html.escape(section.title)}: '
                 f'{html.escape(section.caption)}"></div>')
    marked = ' class="marked"' if section.marked else ""
    return f"<section{marked}><h2>{html.escape(section.title)}</h2><p>{caption}</p>{image}</section>\n"


def page(model_name: str, test: dict, scores: dict[str, list[float]], sections: list[Section],
         note: str = "") -> str:
    rows = "".join(f"<tr><td>{digit}</td>" + "".join(f"<td>{scores[name][digit]:.4f}</td>"
                                                    for name in ("precision", "recall", "f1")) + "</tr>"
                   for digit in range(10))
    body = "".join(section_html(section) for section in sections)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>digits report: {html.escape(model_name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:1rem;color:#111}}
img{{max-width:100%;height:auto}}.figure{{overflow-x:auto}}
@media (max-width:700px){{.figure img{{max-width:none;width:720px}}}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.2rem .6rem;text-align:right}}
.marked{{border-left:4px solid #b00020;padding-left:.8rem}}.flag{{color:#b00020}}</style></head>
<body><main><h1>Report for {html.escape(model_name)}</h1>
<p>Test accuracy <strong>{100 * test['accuracy']:.2f}%</strong>, loss {test['loss']:.4f},
{test['errors']} errors in {test['samples']} MNIST test images.</p>
{f"<p>{html.escape(note)}</p>" if note else ""}
{body}<h2>Scores per digit</h2>
<table><tr><th>digit</th><th>precision</th><th>recall</th><th>F1</th></tr>{rows}</table>
</main></body></html>
"""


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

    # The user's own images first: they are what the reader came for.
    sections = image_sections(recogniser, images or [], out)
    history = recogniser.card.get("history", [])
    curves = save(curves_plot(history), out / "training-curves.png") if history else None
    sections.append(Section("Training curves", curves, curves_caption(recogniser.card)))
    sections.append(Section("Confusion matrix", confusion_figure(matrix, out / "confusion-matrix.png"),
                            "Rows are the true digits, columns the model's answers; shading is on a "
                            "square-root scale."))
    sections.append(Section("Precision, recall and F1", save(scores_plot(scores), out / "class-scores.png"),
                            "Per digit on the test set; the score axis starts just below the lowest bar."))
    mistakes_path, mistakes = mistakes_figure(x_test, y_test, probabilities, out / "mistakes.png")
    sections.append(Section("Most confident mistakes", mistakes_path,
                            f"{test['errors']} test images are misread; these are the ones the model was "
                            f"surest of."))
    write_text_atomic(out / "report.html", page(recogniser.path.name, test, scores, sections,
                                                   IMAGES_NOTE if images else ""))
    return {"out": str(out / "report.html"), "figures": [str(section.figure) for section in sections if section.figure],
            "test": test, "confusion_matrix": matrix.tolist(), "class_scores": scores, "mistakes": mistakes}
