"""What the model made of one image, shown to a person.

One figure per image: the image as given (upright, as decoded), the 28×28 input the model
sees, the probabilities, and a saliency map over the digit. The answer is the same one
``digits predict`` gives (``digits.predict.predictions_for``), so a low-confidence or
'not a digit' answer is marked here as it is there.

The saliency map is |gradient × input| of the answer's probability, the gradient taken by
central differences through the inference runtime (so it works for ONNX models too),
divided by its largest value in this image: 1 marks the pixel that moves the answer most,
and maps of two images are not on one scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ImageOps

from digits.predict import LOW_CONFIDENCE, Prediction, answers_for, prepare
from digits.recognisers import Recogniser
from digits.preprocess import read_image

# The original is shown at most this many pixels on its longer side.
SHOWN_SIZE = 512
# The model input's level at which the digit's outline is drawn over the saliency map.
OUTLINE_LEVEL = 0.3
NOT_A_DIGIT_LABEL = "not a\ndigit"


@dataclass(frozen=True)
class Explanation:
    """One image and the model's answer; arrays are None where there is nothing to show.

    ``original``: (height, width, 3) uint8 as decoded; ``model_input``: (28, 28) float32 in
    [0, 1]; ``scores``: (11,) float64, the ten digits then 'not a digit'; ``saliency``:
    (28, 28) float64 in [0, 1], scaled per image.
    """

    source: str
    prediction: Prediction
    original: np.ndarray | None
    model_input: np.ndarray | None
    scores: np.ndarray | None
    saliency: np.ndarray | None
    answers_not_a_digit: bool

    @property
    def marked(self) -> bool:
        """The answer is one a person should not take at its word: unsure, not a digit, or none."""
        return self.prediction.digit is None or self.prediction.low_confidence

    @property
    def verdict(self) -> str:
        """The answer in a few words: '3 (97.1%)', '5 (45.0%): low confidence, …', 'not a digit: …'."""
        prediction = self.prediction
        if prediction.error is not None:
            return f"cannot read the image: {prediction.error}"
        if prediction.digit is None:
            if prediction.not_a_digit is not None:
                return f"not a digit ({100 * prediction.not_a_digit:.0f}% sure)"
            return f"no digit found: {prediction.reason}"
        answer = f"{prediction.digit} ({100 * prediction.confidence:.1f}%)"
        if prediction.low_confidence:
            return (f"{answer}: low confidence (below {100 * LOW_CONFIDENCE:.0f}%), "
                    f"the image may not be a clear digit")
        return answer


def saliency(recogniser: Recogniser, image: np.ndarray, column: int, step: float = 0.05) -> np.ndarray:
    """Gradient × input of score ``column`` (0-9 a digit, 10 'not a digit'), (28, 28), by central differences."""
    pixels = image.size
    offsets = np.eye(pixels, dtype=np.float32).reshape(pixels, *image.shape) * step
    batch = np.concatenate([image[None] + offsets, image[None] - offsets])
    scores = recogniser.scores(batch)[:, column]
    gradient = (scores[:pixels] - scores[pixels:]) / (2 * step)
    return gradient.reshape(image.shape) * image


def scaled(heat: np.ndarray) -> np.ndarray:
    """|heat| divided by its largest value, in [0, 1]; all zeros stays all zeros."""
    magnitude = np.abs(np.asarray(heat, dtype=np.float64))
    largest = magnitude.max(initial=0.0)
    return magnitude / largest if largest > 0 else magnitude


def original_of(source) -> np.ndarray | None:
    """The image as a person sees it: RGB uint8, upright (EXIF), at most SHOWN_SIZE pixels a side."""
    try:
        image = ImageOps.exif_transpose(read_image(source))
    except (ValueError, OSError):
        return None
    image = image.convert("RGBA").convert("RGB") if "A" in image.getbands() else image.convert("RGB")
    image.thumbnail((SHOWN_SIZE, SHOWN_SIZE))
    return np.asarray(image)


def has_not_a_digit_output(recogniser: Recogniser) -> bool:
    return np.asarray(recogniser.run(np.zeros((1, *recogniser.input_shape), dtype=np.float32))).size == 11


def explain(recogniser: Recogniser, source: str) -> Explanation:
    """Read ``source`` (a path) and work out everything ``figure`` shows."""
    prediction, model_input = answers_for([str(source)], [prepare(source)], recogniser)[0]
    scores = heat = None
    if model_input is not None and prediction.error is None:
        scores = recogniser.scores(model_input[None])[0]
        column = prediction.digit if prediction.digit is not None else 10
        heat = scaled(saliency(recogniser, model_input, column))
    return Explanation(source=str(source), prediction=prediction, original=original_of(source),
                       model_input=model_input, scores=scores, saliency=heat,
                       answers_not_a_digit=has_not_a_digit_output(recogniser))


def figure(explanation: Explanation):
    """A matplotlib Figure: original, model input, probabilities, saliency (the last three when there is a digit)."""
    from digits.report import pyplot

    plt = pyplot()
    panels = 4 if explanation.scores is not None else (2 if explanation.model_input is not None else 1)
    result, axes = plt.subplots(1, panels, figsize=(3.3 * panels, 3.5), squeeze=False,
                                gridspec_kw={"width_ratios": [1, 1, 1.5, 1.15][:panels]})
    axes = axes[0]
    original_axis = axes[0]
    if explanation.original is not None:
        height, width = explanation.original.shape[:2]
        original_axis.imshow(explanation.original)
        original_axis.set(title=f"your image ({width}×{height})", xticks=[], yticks=[])
    else:
        original_axis.axis("off")
        original_axis.text(0.5, 0.5, "cannot be shown", ha="center", va="center")
    if explanation.model_input is not None:
        axes[1].imshow(explanation.model_input, cmap="gray", vmin=0, vmax=1)
        axes[1].set(title="what the model sees (28×28)", xticks=[], yticks=[])
    if explanation.scores is not None:
        probability_panel(axes[2], explanation)
        saliency_panel(result, axes[3], explanation)
    title = f"{Path(explanation.source).name}: {explanation.verdict}"
    result.suptitle(title, fontsize=12, color="#b00020" if explanation.marked else "black", wrap=True)
    result.tight_layout()
    return result


def probability_panel(axis, explanation: Explanation) -> None:
    count = 11 if explanation.answers_not_a_digit else 10
    values = explanation.scores[:count]
    answer = explanation.prediction.digit if explanation.prediction.digit is not None else 10
    positions = np.arange(count)
    axis.bar(positions, values, color=["0.15" if index == answer else "0.65" for index in positions])
    labels = [str(digit) for digit in range(10)] + [NOT_A_DIGIT_LABEL] * (count - 10)
    axis.set(xlabel="answer", ylabel="probability", xticks=positions, ylim=(0, 1), title="probabilities")
    axis.set_xticklabels(labels, fontsize=9)
    if explanation.prediction.low_confidence:
        # The line the answer must clear to be taken without a warning; named in the title, where no bar hides it.
        axis.axhline(LOW_CONFIDENCE, color="#b00020", linestyle="--", linewidth=1)
        axis.set_title(f"probabilities (dashed: {100 * LOW_CONFIDENCE:.0f}%, low confidence below)", fontsize=10,
                       color="#b00020")


def saliency_panel(figure_, axis, explanation: Explanation) -> None:
    from matplotlib import colormaps

    shown = axis.imshow(explanation.saliency, cmap=colormaps["Reds"], vmin=0, vmax=1)
    # The digit's outline, so the map is read against the strokes it belongs to.
    axis.contour(explanation.model_input, levels=[OUTLINE_LEVEL], colors="0.25", linewidths=0.8)
    answer = explanation.prediction.digit
    axis.set(title=f"what moved the answer ({answer if answer is not None else 'not a digit'})", xticks=[],
             yticks=[])
    bar = figure_.colorbar(shown, ax=axis, fraction=0.046, ticks=[0, 0.5, 1])
    bar.set_label("share of this image's largest", fontsize=9)
