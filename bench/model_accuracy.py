"""Accuracy of the shipped model on the MNIST test set, through ONNX Runtime and through Keras.

Also lists the test images on which the two paths give different digits, with each
path's two most likely digits: an int8 model rounds weights and activations, so an image
the float model finds nearly a tie between two digits may tip the other way.

Run: .venv/bin/python bench/model_accuracy.py [--model default|accurate|PATH.onnx]
"""

import argparse
import json

import numpy as np

from digits.card import read_card, today
from digits.data import load_mnist
from digits.evaluation import metrics
from digits.recognisers import load_recogniser, model_path
from digits.preprocess import scale_mnist


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default",
                        help="a shipped model's name or an .onnx file; its .keras twin is compared (default: default)")
    arguments = parser.parse_args()
    onnx_path = model_path(arguments.model)
    keras_path = onnx_path.with_suffix(".keras")

    _, (x_test, y_test) = load_mnist()
    images = scale_mnist(x_test)
    onnx_probabilities = load_recogniser(onnx_path).probabilities(images)
    keras_probabilities = load_recogniser(keras_path).probabilities(images)
    card = read_card(onnx_path)
    print(f"# shipped model accuracy, {today()}")
    print(f"model: {onnx_path}")
    print(f"recipe: {json.dumps(card.get('config'))}")
    print(f"onnx precision: {card.get('precision', 'float32')}")
    print(f"validation accuracy (card): {card.get('validation', {}).get('accuracy')}")
    for name, probabilities in (("onnx", onnx_probabilities), ("keras", keras_probabilities)):
        scores = metrics(probabilities, y_test)
        print(f"{name}: test accuracy {100 * scores['accuracy']:.2f}%, loss {scores['loss']:.4f}, "
              f"{scores['errors']} errors")
    differing = np.flatnonzero(onnx_probabilities.argmax(1) != keras_probabilities.argmax(1))
    largest = float(abs(onnx_probabilities - keras_probabilities).max())
    print(f"onnx vs keras: {len(differing)} of {len(images)} digits differ; "
          f"largest probability difference {largest:.2e}")
    for index in differing:
        print(f"  test image {index} (label {y_test[index]}): onnx {top_two(onnx_probabilities[index])}, "
              f"keras {top_two(keras_probabilities[index])}")


def top_two(probabilities: np.ndarray) -> str:
    first, second = np.argsort(probabilities)[::-1][:2]
    return f"{first} {probabilities[first]:.3f} / {second} {probabilities[second]:.3f}"


if __name__ == "__main__":
    main()
