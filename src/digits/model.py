"""Network architectures, each one small function that returns a ``keras.Sequential``.

Every model takes float32 images of shape (batch, 28, 28, 1) in [0, 1] (white ink on
black, as ``digits.preprocess.to_model_input`` makes them) and returns (batch, 10)
softmax probabilities. ``build(arch)`` returns the model compiled as the tutorial
compiles it (Adam, sparse categorical cross-entropy, accuracy); ``digits.training``
recompiles it with the recipe's optimizer and loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from digits.quiet import import_keras_quietly

keras = import_keras_quietly()
layers = keras.layers

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
# The eleventh output of a model trained with drawn non-digits: "this is not a digit".
CLASSES_WITH_NOT_A_DIGIT = 11


def tutorial(classes: int = CLASSES) -> keras.Sequential:
    """The tutorial's network, layer for layer (1.2 M parameters)."""
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(classes, activation="softmax"),
    ], name="tutorial")


def conv_block(filters: int, kernel_size: int, strides: int = 1, padding: str = "valid",
               momentum: float = 0.99) -> list:
    """Convolution, batch normalisation, ReLU: the unit the larger nets are made of.

    ``momentum`` is batch norm's for its running statistics: short trainings need a lower
    one, or the statistics used at inference lag behind the weights.
    """
    return [
        layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False),
        layers.BatchNormalization(momentum=momentum),
        layers.Activation("relu"),
    ]


def classifier(dropout: float, classes: int) -> list:
    """Flatten the last feature maps, drop a fraction of them while training, then the softmax over ``classes``."""
    return [layers.Flatten(), layers.Dropout(dropout), layers.Dense(classes, activation="softmax")]


def fast(classes: int = CLASSES) -> keras.Sequential:
    """A net that learns in 2 epochs: a strided 5×5 convolution, a 3×3 one and pooling, batch norm (215 k parameters).

    It costs a twelfth of the tutorial net's multiply-adds per image (0.98 M against 12 M),
    most of them in the 3×3 convolution; the strided first one computes a quarter of the
    positions a plain one would. With it, 2 epochs reach 99.3 % on the validation split.
    """
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        *conv_block(24, 5, strides=2, momentum=0.9),
        *conv_block(32, 3, momentum=0.9),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(classes, activation="softmax"),
    ], name="fast")


def best(classes: int = CLASSES) -> keras.Sequential:
    """A batch-normalised CNN after Deotte's Kaggle MNIST net (~330 k parameters, 15 M multiply-adds per image).

    Strided 5×5 convolutions replace pooling so the net learns how to downsample.
    """
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        *conv_block(32, 3),
        *conv_block(32, 3),
        *conv_block(32, 5, strides=2, padding="same"),
        layers.Dropout(0.4),
        *conv_block(64, 3),
        *conv_block(64, 3),
        *conv_block(64, 5, strides=2, padding="same"),
        layers.Dropout(0.4),
        *conv_block(128, 4),
        *classifier(dropout=0.4, classes=classes),
    ], name="best")


def compact(classes: int = CLASSES) -> keras.Sequential:
    """The ``best`` net's depth at half its multiply-adds (7.5 M per image, ~400 k parameters).

    It halves the resolution after the first convolution instead of after the third, so
    the costly convolutions run on 14×14 maps rather than 26×26 and 24×24.
    """
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        *conv_block(32, 3, padding="same"),
        *conv_block(32, 3, strides=2, padding="same"),
        layers.Dropout(0.4),
        *conv_block(64, 3),
        *conv_block(64, 3, strides=2, padding="same"),
        layers.Dropout(0.4),
        *conv_block(128, 3),
        *conv_block(128, 4),
        *classifier(dropout=0.4, classes=classes),
    ], name="compact")


@keras.saving.register_keras_serializable(package="digits")
class Temperature(layers.Layer):
    """Rescale probabilities as softmax(log(p) / temperature): below 1 sharpens, above 1 softens.

    Label smoothing leaves a model under-confident; a temperature fitted on the validation
    split makes its confidences mean what they say, without changing any answer.
    """

    def __init__(self, temperature: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.temperature = float(temperature)

    def call(self, probabilities):
        logits = keras.ops.log(keras.ops.maximum(probabilities, 1e-12))
        return keras.ops.softmax(logits / self.temperature, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "temperature": self.temperature}


ARCHITECTURES: dict[str, Callable[[], keras.Sequential]] = {
    "tutorial": tutorial,
    "fast": fast,
    "best": best,
    "compact": compact,
}


def build(arch: str = "tutorial", classes: int = CLASSES) -> keras.Sequential:
    """Build architecture ``arch`` and compile it as the tutorial does.

    ``classes`` is 10 for the digits alone, 11 for a model that also answers "not a digit".
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown arch {arch!r}: choose one of {', '.join(ARCHITECTURES)}")
    model = ARCHITECTURES[arch](classes)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds per image in the model's convolutions and dense layers (nested models included).

    They set the inference cost: on a CPU, images per second fall in proportion.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += multiply_adds(layer)
        elif isinstance(layer, layers.Conv2D):
            _, height, width, filters = layer.output.shape
            total += height * width * filters * math.prod(layer.kernel.shape[:3])
        elif isinstance(layer, layers.Dense):
            total += math.prod(layer.kernel.shape)
    return int(total)


def average(members: list[keras.Model], temperature: float = 1.0, name: str = "ensemble") -> keras.Model:
    """One model: the mean of the members' probabilities, rescaled by ``temperature`` (weights shared)."""
    if not members:
        raise ValueError("an ensemble needs at least one member model")
    inputs = keras.Input(INPUT_SHAPE)
    outputs = [member(inputs) for member in members]
    mean = outputs[0] if len(outputs) == 1 else layers.Average()(outputs)
    if temperature != 1.0:
        mean = Temperature(temperature)(mean)
    return keras.Model(inputs, mean, name=name)
