import os

import pytest

from digits.files import atomic_path, cache_dir, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("good model")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            assert temporary.suffix == ".keras" and temporary.parent == tmp_path
            temporary.write_text("half a mod")
            raise RuntimeError("crash while saving")
    assert target.read_text() == "good model"
    assert [path.name for path in tmp_path.iterdir()] == ["model.keras"]


def test_a_finished_write_replaces_the_file_with_normal_permissions(tmp_path):
    target = tmp_path / "sub" / "card.json"
    write_text_atomic(target, "{}")
    assert target.read_text() == "{}"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITS_CACHE_DIR", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
    monkeypatch.delenv("DIGITS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "digits"


def test_a_lock_is_exclusive_names_its_holder_and_leaves_nothing(tmp_path):
    from digits.files import LockedError, exclusive_lock

    lock = tmp_path / "model.keras.lock"
    with exclusive_lock(lock, "model.keras"):
        assert lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(LockedError, match=f"model.keras is in use by another run \\(pid {os.getpid()}"):
            with exclusive_lock(lock, "model.keras"):
                pass
    assert not lock.exists()


def test_a_lock_file_left_by_a_killed_run_does_not_block(tmp_path):
    from digits.files import exclusive_lock

    lock = tmp_path / "model.keras.lock"
    lock.write_text("12345\n")  # what kill -9 leaves: the file, but no lock held
    with exclusive_lock(lock, "model.keras"):
        assert lock.read_text() == f"{os.getpid()}\n"
