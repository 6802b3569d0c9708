"""How often the polarity of a digit cut out tight (touching the frame) is judged wrong, on validation digits.

Tight crops (``scenes.tight_crop``) of MNIST validation digits (training images
54,000-59,999, which no run trains on); the truth is whether the crop was inverted (its
correlation with the digit's own cut-out). Counted over the crops whose border is mixed,
the ones ``digits.ink.framed_background_is_light`` decides. With ``--model``, also how
many of the crops the model reads right (declined ones count as wrong).

Run: cd bench && ../.venv/bin/python crop_polarity.py --seeds 11 12 [--count 3000] [--model default]
"""

import argparse

import numpy as np
from PIL import Image

import scenes
from digits.data import load_mnist, split
from digits.ink import framed_background_is_light


def inverted(digit: np.ndarray, crop: Image.Image) -> bool:
    """Whether ``crop`` shows ``digit`` (light on dark) dark on light."""
    cut = Image.fromarray(scenes.tight(digit)).resize(crop.size, Image.Resampling.BILINEAR)
    return bool(np.corrcoef(np.asarray(cut, dtype=np.float32).ravel(),
                            np.asarray(crop, dtype=np.float32).ravel())[0, 1] < 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12], help="the crops' seeds (default 11 12)")
    parser.add_argument("--count", type=int, default=3000, help="crops per seed (default 3000)")
    parser.add_argument("--model", help="also read the crops with this model file or shipped name")
    arguments = parser.parse_args()
    (x_train, y_train), _ = load_mnist()
    _, (x_validation, y_validation) = split(x_train, y_train, 0.1)
    recogniser = None
    if arguments.model:
        from digits.recognisers import load_recogniser

        recogniser = load_recogniser(arguments.model)
    for seed in arguments.seeds:
        random = np.random.default_rng(seed)
        crops, labels, decided, wrong = [], [], 0, 0
        for _ in range(arguments.count):
            index = int(random.integers(len(x_validation)))
            crop = scenes.tight_crop(x_validation[index], random)
            light_background = framed_background_is_light(np.asarray(crop, dtype=np.float32) / 255)
            if light_background is not None:
                decided += 1
                wrong += light_background != inverted(x_validation[index], crop)
            crops.append(crop)
            labels.append(int(y_validation[index]))
        line = f"seed {seed}: polarity wrong for {wrong} of the {decided} crops with a mixed border (of {len(crops)})"
        if recogniser is not None:
            from digits.predict import recognise

            right = sum(prediction.digit == label for prediction, label in zip(recognise(crops, recogniser), labels))
            line += f"; {recogniser.path.name} reads {right} of {len(crops)} right"
        print(line, flush=True)


if __name__ == "__main__":
    main()
