"""The tiny smoke path (build, train one step, predict) on every Keras backend that is installed."""

import importlib.util
import os
import subprocess
import sys

import pytest

SMOKE = """
import numpy as np, keras
from digits.model import build
from digits.config import TrainConfig
from digits.training import compile_trainer
config = TrainConfig(arch="fast", augment=1.0, ink_augment=0.2, elastic=0.5, ema_momentum=0.9, label_smoothing=0.1, schedule="onecycle", epochs=1)
model = build(config.arch)
trainer = compile_trainer(model, config, steps_per_epoch=2)
images = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), dtype=np.uint8)  # the trainer scales them
labels = keras.utils.to_categorical(np.arange(64) % 10, 10)
trainer.fit(images, labels, batch_size=32, epochs=1, verbose=0)
probabilities = model.predict(images / 255, verbose=0)
assert probabilities.shape == (64, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
print("backend", keras.backend.backend())
"""

BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_smoke_path_runs_on_backend(backend):
    if importlib.util.find_spec(BACKENDS[backend]) is None:
        pytest.skip(f"{backend} is not installed")
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run([sys.executable, "-c", SMOKE], env=environment, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert f"backend {backend}" in completed.stdout

