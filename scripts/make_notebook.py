"""Write notebooks/tutorial.ipynb (without outputs) from the cells below.

Run: .venv/bin/python scripts/make_notebook.py
"""

from pathlib import Path

import nbformat

CELLS = [
    ("markdown", """# Recognising handwritten digits, step by step

This notebook retells the classic Keras MNIST tutorial with the `digits` package: load the
data, look at it, prepare it, build the network, train it, evaluate it, save it, and
recognise an image of your own."""),
    ("code", """# Parameters: the test suite replaces this cell with a tiny run.
PRESET = "fast"        # "tutorial" is the original recipe; "fast" reaches 99%+ in minutes on a CPU
EPOCHS = 3
TRAIN_IMAGES = None    # None = all 60,000; a smaller number for a quick look
OUT_DIR = "runs\""""),
    ("code", """%matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import digits"""),
    ("markdown", """## 1. Load MNIST

`digits.load_mnist()` returns exactly what `keras.datasets.mnist.load_data()` returns, but
also works where Keras's download URL cannot be reached, and checks what it loads."""),
    ("code", """(x_train, y_train), (x_test, y_test) = digits.load_mnist()
print(x_train.shape, x_test.shape, x_train.dtype)
print(y_train[:36])"""),
    ("markdown", """## 2. Look at a sample

The tutorial shows training image 35, a 5."""),
    ("code", """image_index = 35
print(y_train[image_index])
plt.imshow(x_train[image_index], cmap="Greys")
plt.title(f"training image {image_index}: label {y_train[image_index]}")
plt.show()"""),
    ("markdown", """## 3. Prepare the data

The network wants (N, 28, 28, 1) float32 in [0, 1]. `digits.train` does this itself; here it
is by hand, as in the tutorial."""),
    ("code", """x = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
print(x.shape, x.min(), x.max())"""),
    ("markdown", """## 4. Build the network

`digits.build("tutorial")` is the tutorial's network layer for layer, compiled with Adam and
sparse categorical cross-entropy."""),
    ("code", """model = digits.build("tutorial")
model.summary()"""),
    ("markdown", """## 5. Train

A preset is a named recipe; `.replace()` changes any of its fields. A validation split is
carved from the training images; the test set is scored once, at the end."""),
    ("code", """config = digits.preset(PRESET).replace(epochs=EPOCHS, out=str(Path(OUT_DIR) / "notebook.keras"))
limit = TRAIN_IMAGES or len(x_train)
card = digits.train(config, data=((x_train[:limit], y_train[:limit]), (x_test, y_test)), verbose=2)
print("validation accuracy", card["validation"]["accuracy"])
print("test accuracy", card["test"]["accuracy"])"""),
    ("markdown", "## 6. Evaluate"),
    ("code", """result = digits.evaluate(config.out)
print(f"test accuracy {result['accuracy']:.4f}, {result['errors']} errors")
print(result["per_class_accuracy"])"""),
    ("markdown", """## 7. Save

The model is already saved (atomically, with a model card beside it). The tutorial saves
an `.h5` file too; Keras reads both."""),
    ("code", """import keras

saved = keras.saving.load_model(config.out)
saved.save(str(Path(OUT_DIR) / "test_model.h5"))
sorted(path.name for path in Path(OUT_DIR).iterdir())"""),
    ("markdown", """## 8. Recognise your own image

`digits.recognise` takes paths, bytes, Pillow images or arrays, of any size and polarity.
`digits.to_model_input` shows the 28×28 image the model actually sees. Put your own file
in place of the bundled sample."""),
    ("code", """sample = Path(digits.__file__).parent / "samples" / "three-on-paper.jpg"
prediction = digits.recognise([sample], digits.load_recogniser(config.out))[0]
print(prediction.describe(top=3))
figure, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
left.imshow(plt.imread(sample)); left.set_title("your image"); left.axis("off")
right.imshow(digits.to_model_input(sample), cmap="gray"); right.set_title("what the model sees"); right.axis("off")
plt.show()"""),
]


def main() -> None:
    notebook = nbformat.v4.new_notebook()
    for kind, source in CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        notebook.cells.append(cell)
    notebook.cells[1].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"
    path = Path(__file__).resolve().parent.parent / "notebooks" / "tutorial.ipynb"
    nbformat.write(notebook, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
