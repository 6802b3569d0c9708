"""One model trained on several devices (``digits.devices``): two CPU devices stand in for two GPUs."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

DATA_PARALLEL = """
import sys
import numpy as np
from digits import devices
from digits.config import TrainConfig
from digits.training import train
random = np.random.default_rng(0)
# 132 images to fit in batches of 32 (the last one filled up to 32), 33 to validate (scored
# in batches padded to an even split), 20 to test.
images = random.integers(0, 256, (165, 28, 28), dtype=np.uint8)
labels = (np.arange(165) % 10).astype(np.uint8)
config = TrainConfig(arch="fast", epochs=2, batch_size=32, validation_split=0.2, out=sys.argv[1])
card = train(config, data=((images, labels), (images[:20], labels[:20])), verbose=0, devices=2)
print("devices", card["devices"], "backend", card["backend"], "validation", card["validation"]["samples"],
      "test", card["test"]["samples"])
for count, batch, expected in ((3, 32, "the backend sees 2"), (2, 33, "does not split evenly over 2 devices")):
    try:
        devices.scope(count, batch)
    except ValueError as error:
        assert expected in str(error), error
        print("refused:", error)
    else:
        raise AssertionError(f"{count} devices, batch {batch}: not refused")
"""


def test_one_model_trains_on_two_devices_with_jax(tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    environment = dict(os.environ, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    out = tmp_path / "two.keras"
    completed = subprocess.run([sys.executable, "-c", DATA_PARALLEL, str(out)], env=environment, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "devices 2 backend jax validation 33 test 20" in completed.stdout
    assert completed.stdout.count("refused:") == 2
    assert out.exists()


def test_the_last_batch_is_filled_up_with_the_epochs_first_images():
    from digits.checkpoint import batches, epoch_order

    images, targets = np.arange(10), np.arange(10)
    short = [chosen for chosen, _ in batches(images, targets, 4, seed=3, first_epoch=0, epochs=1)]
    whole = [chosen for chosen, _ in batches(images, targets, 4, seed=3, first_epoch=0, epochs=1, whole=True)]
    order = epoch_order(3, 0, 10)
    assert [len(batch) for batch in short] == [4, 4, 2] and [len(batch) for batch in whole] == [4, 4, 4]
    assert whole[2].tolist() == order[8:].tolist() + order[:2].tolist()


def test_several_devices_are_refused_in_one_line_on_another_backend():
    import keras

    from digits import devices

    if keras.backend.backend() == "jax":
        pytest.skip("the JAX backend can spread over devices")
    with pytest.raises(ValueError, match=r"needs the JAX backend \(KERAS_BACKEND=jax\); this is"):
        devices.scope(2, 128)
    with pytest.raises(ValueError, match="expected 1"):
        devices.scope(-1, 128)
