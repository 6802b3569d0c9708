"""digits: handwritten digit recognition, from the Keras MNIST tutorial to a dependable tool.

The Python API mirrors the CLI; names resolve lazily so ``import digits`` stays fast and
never imports TensorFlow until a function that needs it is called::

    import digits
    (x_train, y_train), (x_test, y_test) = digits.load_mnist()
    model = digits.build("tutorial")
    card = digits.train(digits.preset("fast").replace(out="runs/fast.keras"))
    digits.evaluate("runs/fast.keras")["accuracy"]
    digits.recognise(["five.png"])[0].digit
"""

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "load_mnist": "digits.data",
    "build": "digits.model",
    "TrainConfig": "digits.config",
    "preset": "digits.config",
    "PRESETS": "digits.config",
    "train": "digits.training",
    "evaluate": "digits.evaluation",
    "load_recogniser": "digits.recognisers",
    "recognise": "digits.predict",
    "recognise_numbers": "digits.predict",
    "to_model_input": "digits.preprocess",
    "export": "digits.exporting",
}


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'digits' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))


__all__ = list(_API)
