"""Small file helpers: where the cache lives and how files are written atomically."""

from __future__ import annotations

import contextlib
import os
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
