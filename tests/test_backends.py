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


DATA_PARALLEL = """
import sys
import numpy as np
from digits.config import TrainConfig
from digits.training import train
random = np.random.default_rng(0)
images = random.integers(0, 256, (160, 28, 28), dtype=np.uint8)
labels = (np.arange(160) % 10).astype(np.uint8)
config = TrainConfig(arch="fast", epochs=1, batch_size=32, validation_split=0.2, out=sys.argv[1])
card = train(config, data=((images, labels), (images[:40], labels[:40])), verbose=0, devices=2)
print("devices", card["devices"], "backend", card["backend"], "validation", card["validation"]["samples"])
"""


def test_one_model_trains_on_two_devices_with_jax(tmp_path):
    # Two CPU devices stand in for two GPUs: each step's batch of 32 is split 16 and 16.
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    environment = dict(os.environ, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    out = tmp_path / "two.keras"
    completed = subprocess.run([sys.executable, "-c", DATA_PARALLEL, str(out)], env=environment, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "devices 2 backend jax validation 32" in completed.stdout
    assert out.exists()


def test_several_devices_are_refused_in_one_line_where_they_cannot_be_had():
    import keras

    from digits import devices

    assert devices.scope(1, 128) is not None  # one device: the backend's own placement
    if keras.backend.backend() != "jax":
        with pytest.raises(ValueError, match=r"needs the JAX backend \(KERAS_BACKEND=jax\); this is"):
            devices.scope(2, 128)
    with pytest.raises(ValueError, match="expected 1"):
        devices.scope(-1, 128)
