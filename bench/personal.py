"""What a personal model gains: a new writer's corrections, simulated with real handwriting.

The new "writer" is UCI pen-based digits' 14 test writers (``writers.py``: people MNIST
and the shipped models never saw, their pen strokes drawn on paper). From a seeded
shuffle of the set, K corrections per digit (K = 1, 3, 5, 10) are taken, as a person would make them with `digits correct`; a
fixed part of the rest is the writer's later handwriting, scored before and after
`digits tune`'s procedure (``digits.tuning.tune``: settings chosen by cross-validation
over the corrections, MNIST kept within 0.1 points). MNIST after is the tuned model's
test accuracy (the shipped model's is in the first row). scikit-learn's ``load_digits``
(the project's held-out other-writers test) is not used.

Run: .venv/bin/python bench/personal.py [--per-digit 1,3,5,10] [--scored 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from writers import render_pen  # noqa: E402


def writer_images(rows: np.ndarray, seed: int) -> np.ndarray:
    """Pen digits drawn on paper and made into model inputs: (N, 28, 28) float32."""
    from digits.preprocess import to_model_input

    random = np.random.default_rng(seed)
    return np.stack([to_model_input(render_pen(row[:16], random)) for row in rows]).astype(np.float32)


def corrections_from(images: np.ndarray, labels: np.ndarray, recogniser, writer: str) -> list:
    """Corrections as `digits correct` makes them, without an image file (the model input is what tuning uses)."""
    from digits.corrections import Correction
    from digits.tuning import answers

    scores = recogniser.scores(images)
    predicted = answers(scores)
    return [Correction(label=int(label), image=b"", model_input=image, predicted=int(answer),
                       confidence=float(row[answer]), model=recogniser.path.name, model_sha256="-",
                       source="cli", writer=writer)
            for image, label, answer, row in zip(images, labels, predicted, scores)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", default="1,3,5,10", help="corrections per digit, comma-separated")
    parser.add_argument("--scored", type=int, default=2000, help="later digits of the writer scored (default: 2000)")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()

    from digits.card import library_versions, machine
    from digits.data import load_mnist
    from digits.recognisers import load_recogniser
    from digits.tuning import TuneConfig, TuneError, answers, tune

    started = time.perf_counter()
    from digits.pen_digits import held_out_writer_rows

    rows = held_out_writer_rows()
    order = np.random.default_rng(arguments.seed).permutation(len(rows))
    # The scored digits are the same for every K: the last --scored of the shuffle; the
    # corrections are the first of each digit in the rest.
    scored = order[-arguments.scored:]
    labels = rows[:, 16].astype(np.int64)
    most = max(int(value) for value in arguments.per_digit.split(","))
    pool = np.concatenate([order[:-arguments.scored][labels[order[:-arguments.scored]] == digit][:most]
                           for digit in range(10)])
    images = np.zeros((len(rows), 28, 28), dtype=np.float32)
    images[scored] = writer_images(rows[scored], arguments.seed)
    images[pool] = writer_images(rows[pool], arguments.seed + 1)
    recogniser = load_recogniser("default")
    before = float((answers(recogniser.scores(images[scored])) == labels[scored]).mean())
    mnist = load_mnist()
    print(f"pen digits: {len(scored)} scored, corrections taken from {len(labels) - len(scored)} others; "
          f"drawn in {time.perf_counter() - started:.0f} s")
    from digits.preprocess import scale_mnist

    (_, _), (x_test, y_test) = mnist
    base_mnist = float((answers(recogniser.scores(scale_mnist(x_test))) == y_test).mean())
    print("| corrections per digit | corrections | writer before | writer after | MNIST test "
          "| chosen (epochs, learning rate) | seconds |")
    print("| ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    print(f"| 0 (shipped default) | 0 | {100 * before:.2f}% | | {100 * base_mnist:.2f}% | | |")
    for per_digit in [int(value) for value in arguments.per_digit.split(",")]:
        chosen = np.concatenate([pool[labels[pool] == digit][:per_digit] for digit in range(10)])
        corrections = corrections_from(images[chosen], labels[chosen], recogniser, "pen")
        with tempfile.TemporaryDirectory() as folder:
            config = TuneConfig(writer="pen", out=str(Path(folder) / "pen.onnx"), seed=arguments.seed)
            clock = time.perf_counter()
            try:
                card = tune(config, corrections, data=mnist)
            except TuneError as error:
                print(f"| {per_digit} | {len(chosen)} | {100 * before:.2f}% | refused: {error} | | | |")
                continue
            tuned = load_recogniser(config.output_path())
            after = float((answers(tuned.scores(images[scored])) == labels[scored]).mean())
        setting = card["chosen"]
        print(f"| {per_digit} | {len(chosen)} | {100 * before:.2f}% | {100 * after:.2f}% | "
              f"{100 * card['test']['accuracy']:.2f}% | {setting['epochs']}, {setting['learning_rate']:g} | "
              f"{time.perf_counter() - clock:.0f} |", flush=True)
    versions = library_versions()
    print(f"\n{machine()['processor']}, {machine()['cpu_count']} cores; python {versions['python']}, "
          f"keras {versions.get('keras')}, tensorflow {versions.get('tensorflow-cpu') or versions.get('tensorflow')}, "
          f"onnxruntime {versions.get('onnxruntime')}; {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
