"""The tutorial's training script, as published, for timing and accuracy comparisons.

Three changes, each needed to run it here and now, and none that makes it faster:
- the data comes from ``digits.data.load_mnist()`` (the same arrays, verified), because
  ``keras.datasets.mnist.load_data()`` downloads from a URL this machine cannot reach;
- the images are cast to float32 before ``/= 255`` (in-place division of uint8 fails);
- the labels stay integers: the published code one-hot encodes them and then compiles
  with ``sparse_categorical_crossentropy``, which Keras 3 rejects.
Like the tutorial, it validates on the test set every epoch and saves ``test_model.h5``
(here into the folder given as the first argument, default the current one).
"""

import sys
from pathlib import Path

from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.models import Sequential

from digits.data import load_mnist

(x_train, y_train), (x_test, y_test) = load_mnist()

img_rows, img_cols = 28, 28
x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1).astype("float32")
x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1).astype("float32")
x_train /= 255
x_test /= 255
num_classes = 10

model = Sequential()
model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(img_rows, img_cols, 1)))
model.add(Conv2D(64, (3, 3), activation="relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(num_classes, activation="softmax"))

model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

batch_size = 128
epochs = 10

model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=1, validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
model.save(str(Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "test_model.h5"))
