"""Shared fixtures: tiny synthetic data and tiny models, so no test trains a real model."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

SAMPLES = Path(__file__).resolve().parent.parent / "src" / "digits" / "samples"


def draw_digit(digit: int, size: int = 28) -> np.ndarray:
    """A crude MNIST-like digit: white strokes on black, uint8 (size, size)."""
    image = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(image)
    s = size / 28
    width = max(1, round(2.5 * s))
    shapes = {
        0: lambda: pen.ellipse([8 * s, 4 * s, 20 * s, 24 * s], outline=255, width=width),
        1: lambda: pen.line([14 * s, 4 * s, 14 * s, 24 * s], fill=255, width=width),
        7: lambda: pen.line([8 * s, 5 * s, 20 * s, 5 * s, 11 * s, 24 * s], fill=255, width=width),
    }
    shapes.get(digit, shapes[7])()
    return np.asarray(image)


@pytest.fixture(scope="session")
def tiny_arrays():
    """MNIST-shaped uint8 arrays: 300 training and 100 test images of noise, labels 0..9 in turn."""
    generator = np.random.default_rng(0)
    x_train = generator.integers(0, 256, size=(300, 28, 28), dtype=np.uint8)
    x_test = generator.integers(0, 256, size=(100, 28, 28), dtype=np.uint8)
    y_train = (np.arange(300) % 10).astype(np.uint8)
    y_test = (np.arange(100) % 10).astype(np.uint8)
    return (x_train, y_train), (x_test, y_test)


@pytest.fixture(scope="session")
def tiny_keras_model(tmp_path_factory):
    """An untrained `fast`-arch model saved as .keras (weights fixed by the seed)."""
    import keras

    from digits.model import build

    keras.utils.set_random_seed(1)
    path = tmp_path_factory.mktemp("tiny") / "tiny.keras"
    build("fast").save(path)
    return path


@pytest.fixture(scope="session")
def tiny_onnx_model(tiny_keras_model):
    from digits.exporting import export

    check = np.random.default_rng(2).random((16, 28, 28), dtype=np.float32)
    result = export(tiny_keras_model, check_images=check)
    return Path(result["out"])


@pytest.fixture(scope="session")
def mnist():
    """Real MNIST from the cache `make test` fills; skipped when it is not there."""
    from digits.data import DataUnavailableError, cache_path, load_mnist

    if not cache_path().exists():
        pytest.skip(f"MNIST is not cached at {cache_path()} (run `digits data`, as `make test` does)")
    try:
        return load_mnist()
    except DataUnavailableError as error:
        pytest.skip(str(error).splitlines()[0])


# A throwaway PostgreSQL server for the correction stores' tests.
from postgres_server import postgres_server, postgres_url  # noqa: E402,F401


@pytest.fixture(scope="session")
def dask_engine():
    """One local Dask worker (a process of one thread) on 127.0.0.1, shared by the tests and closed at the end."""
    from digits.engines import DaskEngine

    with DaskEngine(workers=1) as engine:
        yield engine


def tiny_config(out, **changes):
    """A `fast`-arch recipe of one epoch, for runs trained on ``tiny_arrays``."""
    from digits.config import TrainConfig

    return TrainConfig(**{"preset": "fast", "arch": "fast", "epochs": 1, "batch_size": 64, "out": str(out),
                          **changes})


@pytest.fixture(scope="session")
def fold_runs(tmp_path_factory, tiny_arrays):
    """Two members trained in 2 folds each; the first also has its twin trained on every image."""
    from digits.training import train

    folder = tmp_path_factory.mktemp("runs")
    for seed in (0, 1):
        for fold in (0, 1):
            train(tiny_config(folder / f"fast-fast-s{seed}-fold{fold}of2.keras", seed=seed, folds=2, fold=fold),
                  data=tiny_arrays, verbose=0)
    train(tiny_config(folder / "fast-fast-s0-all.keras", seed=0, validation_split=0.0), data=tiny_arrays, verbose=0)
    return folder


@pytest.fixture(scope="session")
def split_runs(tmp_path_factory, tiny_arrays):
    """Two members, each one run with a fifth of the training images held out."""
    from digits.training import train

    folder = tmp_path_factory.mktemp("split-runs")
    for seed in (0, 1):
        train(tiny_config(folder / f"fast-fast-s{seed}.keras", seed=seed, validation_split=0.2), data=tiny_arrays,
              verbose=0)
    return folder
