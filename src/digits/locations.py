"""Where images are: local files, folders and globs, lists of them, and object storage (fsspec).

A URL (``s3://bucket/scans/``, ``gs://...``, anything fsspec knows) is listed and read
through fsspec; ``s3://`` needs ``s3fs`` and ``gs://`` ``gcsfs`` installed. Everything
else goes through ``digits.batch.expand``, as ``digits predict`` does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from digits.batch import GLOB_CHARACTERS, IMAGE_SUFFIXES, Unmatched, expand


def is_url(item: str) -> bool:
    return "://" in item and not item.startswith("file://")


def filesystem(url: str):
    """(fsspec filesystem, path inside it) for ``url``; ``ValueError`` naming the package a protocol needs."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as error:
        raise ValueError(f"{url}: {' '.join(str(error).split())}") from None
    except ValueError as error:
        raise ValueError(f"{url}: {error}") from None


def expand_url(url: str) -> Iterator[str]:
    """Image URLs under a prefix (sorted), matching a glob, or ``url`` itself when it names one object."""
    fs, path = filesystem(url)
    protocol = url.split("://", 1)[0]

    def full(found: str) -> str:
        return f"{protocol}://{found}"

    def images(found: Iterable[str]) -> list[str]:
        return sorted(full(name) for name in found if Path(name).suffix.lower() in IMAGE_SUFFIXES)

    if GLOB_CHARACTERS & set(path):
        matches = [name for name in fs.glob(path) if not fs.isdir(name)]
        yield from sorted(full(name) for name in matches) or [Unmatched(url, f"{url}: no object matches this pattern")]
    elif fs.isdir(path):
        yield from images(fs.find(path)) or [
            Unmatched(url, f"{url}: no PNG, JPEG, BMP, GIF, WebP or TIFF files under this prefix")]
    else:
        yield url


def read_list(path: str | os.PathLike) -> list[str]:
    """The paths or URLs in a text file, one a line; blank lines and lines starting with # are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"--from-list {path}: no such file") from None
    except UnicodeDecodeError:
        raise ValueError(f"--from-list {path}: not UTF-8 text; give a file of paths, one a line") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def list_images(inputs: Iterable[str], from_list: str | os.PathLike | None = None) -> list[str]:
    """Every image named by ``inputs`` (and the lines of ``from_list``), each once, in the order found.

    Items naming nothing stay in the list (``Unmatched`` for empty folders and globs),
    so that they are reported as errors.
    """
    items = [*inputs, *(read_list(from_list) if from_list is not None else [])]
    found: dict[str, str] = {}
    for item in items:
        expanded = expand_url(item) if is_url(item) else expand([item])
        for path in expanded:
            found.setdefault(str(path), path)
    return list(found.values())


def read_bytes(url: str) -> bytes:
    """The bytes of one object; ``FileNotFoundError``/``OSError`` naming ``url`` when it cannot be read."""
    fs, path = filesystem(url)
    try:
        with fs.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{url}: no such file") from None
