import keras
import numpy as np
import pytest

from digits.config import ARCHITECTURE_NAMES
from digits.model import ARCHITECTURES, build


def tutorial_as_written():
    """The tutorial's model, built with its own code (Sequential().add(...), input_shape as an Input)."""
    from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from keras.models import Sequential

    model = Sequential()
    model.add(keras.Input((28, 28, 1)))
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu"))
    model.add(Conv2D(64, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    return model


def layer_summary(model):
    return [(type(layer).__name__, layer.output.shape[1:], layer.count_params(),
             getattr(layer, "activation", None) and layer.activation.__name__,
             getattr(layer, "rate", None)) for layer in model.layers]


def test_tutorial_arch_is_the_tutorial_network_compiled_as_it_compiles():
    model = build("tutorial")
    assert layer_summary(model) == layer_summary(tutorial_as_written())
    assert model.count_params() == 1_199_882
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize("arch", ARCHITECTURE_NAMES)
def test_every_arch_maps_images_to_probabilities(arch):
    model = build(arch)
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_names_known_to_the_cli_match_the_registry():
    assert tuple(ARCHITECTURES) == ARCHITECTURE_NAMES


def test_unknown_arch_says_what_exists():
    with pytest.raises(ValueError, match="tutorial, fast, best"):
        build("resnet")


def test_package_api_names_stay_functions_after_their_modules_load():
    import importlib

    import digits

    for name, module in digits._API.items():
        importlib.import_module(module)
        assert getattr(digits, name) is getattr(importlib.import_module(module), name), name


def test_multiply_adds_count_convolutions_and_dense_layers_of_nested_models():
    from digits.model import average, compact, multiply_adds, tutorial

    # The tutorial net by hand: 3×3 conv to 26×26×32, 3×3×32 conv to 24×24×64, dense 9216→128→10.
    expected = 26 * 26 * 32 * 9 + 24 * 24 * 64 * 9 * 32 + 12 * 12 * 64 * 128 + 128 * 10
    assert multiply_adds(tutorial()) == expected
    one, two = compact(), compact()
    two.name = "other"
    assert multiply_adds(average([one, two])) == 2 * multiply_adds(one) < expected * 1.3
