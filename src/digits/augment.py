"""Training-time augmentation layers, written with keras.ops so they run on any backend.

The affine part (rotation, zoom, shift) uses Keras's own random layers. ``RandomInk``
varies what MNIST itself varies little but people's images do: thicker strokes (a 3×3
grey dilation), blur, and fainter ink. Thinning is left out: a 3×3 erosion erases
MNIST's 2-3 pixel strokes, and hair-thin strokes are thickened by the preprocessing.
"""

from __future__ import annotations

import keras
from keras import layers, ops

# Random affine ranges at strength 1: ±10° rotation, ±10 % zoom, ±10 % shift (never flips).
ROTATION_DEGREES = 10.0
ZOOM = 0.1
SHIFT = 0.1


@keras.saving.register_keras_serializable(package="digits")
class RandomInk(layers.Layer):
    """Per image, with probability ``rate`` each: thicker strokes, blur, or fainter ink.

    Inputs and outputs are (batch, 28, 28, 1) floats in [0, 1]; identity at inference.
    """

    def __init__(self, rate: float = 0.15, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training or self.rate <= 0:
            return images
        batch = ops.shape(images)[0]
        choice = keras.random.uniform((batch, 1, 1, 1), seed=self.generator)
        thick = ops.max_pool(images, pool_size=3, strides=1, padding="same")
        blurred = ops.average_pool(images, pool_size=3, strides=1, padding="same")
        faint = images * keras.random.uniform((batch, 1, 1, 1), 0.5, 1.0, seed=self.generator)
        rate = self.rate
        result = ops.where(choice < rate, thick, images)
        result = ops.where((choice >= rate) & (choice < 2 * rate), blurred, result)
        return ops.where((choice >= 2 * rate) & (choice < 3 * rate), faint, result)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def augmenter(strength: float, ink_rate: float = 0.0) -> keras.Sequential:
    """Random rotation, zoom and shift (black fill), then optionally ``RandomInk``; training only."""
    stages = [
        layers.RandomRotation(ROTATION_DEGREES / 360 * strength, fill_mode="constant"),
        layers.RandomZoom(ZOOM * strength, fill_mode="constant"),
        layers.RandomTranslation(SHIFT * strength, SHIFT * strength, fill_mode="constant"),
    ]
    if ink_rate > 0:
        stages.append(RandomInk(ink_rate))
    return keras.Sequential(stages, name="augment")
