"""Write notebooks/tutorial.ipynb from the cells below and run it, so it is stored with its outputs.

Run: .venv/bin/python scripts/make_notebook.py            (about a minute on 2 cores)
     .venv/bin/python scripts/make_notebook.py --no-run   (cells only, no outputs)

The run trains the fast recipe for 3 epochs on 12,000 images, not a full training.
"""

import argparse
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "tutorial.ipynb"

CELLS = [
    ("markdown", """# Recognising handwritten digits, step by step

This notebook retells the classic Keras MNIST tutorial with the `digits` package: load the
data, look at it, prepare it, build the network, train it, evaluate it, save it, and
recognise an image of your own."""),
    ("code", """# Parameters: the test suite replaces this cell with a tiny run.
PRESET = "fast"        # "tutorial" is the original recipe; "fast" reaches 99%+ in under a minute on a CPU
EPOCHS = 3
TRAIN_IMAGES = 12_000  # a quick look; None = all 60,000 (then expect 99.2% from "fast")
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

The network wants float32 pixels in [0, 1] where MNIST stores uint8 in 0..255, and a channel
axis: (N, 28, 28, 1). `digits.train` does both itself (`digits.preprocess.scale_mnist`, then
a reshape), so there is nothing to do here but see the values change."""),
    ("code", """from digits.preprocess import scale_mnist

print("stored:", x_train.dtype, x_train.min(), x_train.max())
print("model input:", scale_mnist(x_train[:1]).dtype, scale_mnist(x_train[:1]).max())"""),
    ("markdown", """## 4. Build the network

`digits.build("tutorial")` is the tutorial's network layer for layer, compiled with Adam and
sparse categorical cross-entropy."""),
    ("code", """model = digits.build("tutorial")
model.summary()"""),
    ("markdown", """What each layer does, top to bottom (the shapes are the summary's, per image):

| layer | output | what it does |
| --- | --- | --- |
| `Conv2D(32, 3×3, relu)` | 26×26×32 | slides 32 small 3×3 filters over the image; each learns to answer to a stroke piece (an edge, a corner). No padding, so the 28×28 image loses a pixel on each side. ReLU keeps the positive answers. |
| `Conv2D(64, 3×3, relu)` | 24×24×64 | 64 filters over the first layer's 32 maps: combinations of pieces, such as a loop or a crossing. |
| `MaxPooling2D(2×2)` | 12×12×64 | keeps the strongest answer in each 2×2 square: a quarter of the numbers, and a shift by a pixel matters less. |
| `Dropout(0.25)` | 12×12×64 | while training only, zeroes a random quarter of the values, so no single one can be relied on. |
| `Flatten` | 9216 | lays the 12×12×64 maps out as one vector for the dense layers. |
| `Dense(128, relu)` | 128 | every one of the 9216 values weighs into each of 128 units: 1.18 M of the 1.2 M parameters are here. |
| `Dropout(0.5)` | 128 | while training only, zeroes half of the 128. |
| `Dense(10, softmax)` | 10 | one score per digit, turned into probabilities that sum to 1. |

The loss, sparse categorical cross-entropy, is minus the log of the probability given to the
right digit; Adam adjusts every weight to lower it, one batch of images at a time."""),
    ("markdown", """## 5. Train

A preset is a named recipe; `.replace()` changes any of its fields. The `fast` preset trains
a cheaper network than the one above (a strided 5×5 convolution and a 3×3 one with batch
normalisation, pooling and a dense layer; 215 k parameters, a twelfth of the multiply-adds)
that learns in fewer epochs. A validation split is carved from the training images, scored
here after every epoch for the curves below; the test set is scored once, at the end."""),
    ("code", """config = digits.preset(PRESET).replace(epochs=EPOCHS, validate_every_epoch=True,
                                       out=str(Path(OUT_DIR) / "notebook.keras"))
limit = TRAIN_IMAGES or len(x_train)
card = digits.train(config, data=((x_train[:limit], y_train[:limit]), (x_test, y_test)), verbose=2)
print("validation accuracy", card["validation"]["accuracy"])
print("test accuracy", card["test"]["accuracy"])"""),
    ("markdown", """The model card keeps the loss and accuracy of every epoch: on the training images
(averaged over the epoch, while the weights were still changing) and on the validation split
(after the epoch). Validation tells whether the network learns digits or memorises images."""),
    ("code", """history = card["history"]
epochs = [row["epoch"] for row in history]
figure, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for axis, metric in zip(axes, ("loss", "accuracy")):
    axis.plot(epochs, [row[metric] for row in history], "o-", label="training")
    axis.plot(epochs, [row["val_" + metric] for row in history], "s--", label="validation")
    axis.set(title=f"{metric} per epoch", xlabel="epoch", ylabel=metric, xticks=epochs)
    axis.legend()
plt.show()"""),
    ("markdown", "## 6. Evaluate"),
    ("code", """result = digits.evaluate(config.out)
print(f"test accuracy {result['accuracy']:.4f}, {result['errors']} errors")
print(result["per_class_accuracy"])"""),
    ("markdown", """## 7. Save

The model is already saved (atomically, with a model card beside it). The tutorial saves
an `.h5` file too; Keras reads both, and warns that `.h5` is its older format."""),
    ("code", """import keras

saved = keras.saving.load_model(config.out)
saved.save(str(Path(OUT_DIR) / "test_model.h5"))
sorted(path.name for path in Path(OUT_DIR).iterdir())"""),
    ("markdown", """## 8. Recognise your own image

`digits.recognise` takes paths, bytes, Pillow images or arrays, of any size and polarity.
`digits.to_model_input` shows the 28×28 image the model actually sees. Put your own file
in place of the bundled sample. The network trained above has seen a few thousand MNIST
digits for a few epochs; the shipped model (`digits.load_recogniser()` with no path) was also
taught other hands' styles and photos, so it is surer of a photo like this one."""),
    ("code", """sample = Path(digits.__file__).parent / "samples" / "three-on-paper.jpg"
for name, recogniser in (("trained here", digits.load_recogniser(config.out)), ("shipped", digits.load_recogniser())):
    prediction = digits.recognise([sample], recogniser)[0]
    print(f"{name}: {prediction.digit} ({prediction.confidence:.1%})", "[low confidence]" * prediction.low_confidence)
figure, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
left.imshow(plt.imread(sample)); left.set_title("your image"); left.axis("off")
right.imshow(digits.to_model_input(sample), cmap="gray"); right.set_title("what the model sees"); right.axis("off")
plt.show()"""),
]


def notebook() -> nbformat.NotebookNode:
    """The notebook's cells, without outputs."""
    result = nbformat.v4.new_notebook()
    for kind, source in CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        result.cells.append(cell)
    result.cells[1].metadata["tags"] = ["parameters"]
    result.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, cell in enumerate(result.cells):
        cell["id"] = f"cell-{index:02d}"
    return result


def run(cells: nbformat.NotebookNode, folder: Path) -> None:
    """Execute ``cells`` in place, in ``folder`` (where OUT_DIR is made)."""
    from nbclient import NotebookClient

    NotebookClient(cells, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    # The kernel's version and the like change from machine to machine; the outputs are what matter.
    cells.metadata.pop("language_info", None)
    for cell in cells.cells:
        cell.metadata.pop("execution", None)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--no-run", action="store_true", help="write the cells without running them")
    cells = notebook()
    if not arguments.parse_args().no_run:
        run(cells, NOTEBOOK.parent)
    nbformat.write(cells, NOTEBOOK)
    print(f"wrote {NOTEBOOK}")


if __name__ == "__main__":
    main()
