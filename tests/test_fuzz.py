"""Fuzzing the image path: every input gives an answer or one clear error, never a traceback.

A seeded mutation loop (byte flips, truncations, duplicated chunks, header fields set to
extreme values) over small real PNG, JPEG, TIFF, GIF, WebP and BMP files, plus hand-made
hostile files and odd but valid images, each fed to ``digits.recognise`` with the shipped
default model. A few seconds by default; ``DIGITS_FUZZ_ITERATIONS=N`` runs N mutations
of each of the 14 seed files (the default is 30).
"""

import io
import os
import random
import resource
import struct
import subprocess
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import draw_digit
from digits.predict import Prediction, recognise
from digits.recognisers import load_recogniser

ITERATIONS = int(os.environ.get("DIGITS_FUZZ_ITERATIONS", "30"))
# Memory any one run of the loop may add: a 40-megapixel image is the largest decoded.
MEMORY_LIMIT = 300 * 1024 * 1024
FORMATS = {"PNG": {}, "JPEG": {"quality": 85}, "TIFF": {}, "TIFF-deflate": {"compression": "tiff_deflate"},
           "GIF": {}, "WEBP": {"quality": 80}, "BMP": {}}
# Values that break parsers: zero, one, sign bits, all ones, and a size past the pixel limit.
EXTREMES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 12000, 0x7FFFFFFF, 0xFFFFFFFF)


@pytest.fixture(scope="module")
def recogniser():
    recogniser = load_recogniser()
    # Warm up (lazy imports, the first model call) before any memory is watched.
    recognise([Image.fromarray(draw_digit(7))], recogniser)
    return recogniser


def seeds() -> dict[str, bytes]:
    """Small real files of every format: a digit on paper, in grey and in colour."""
    digit = Image.fromarray(255 - draw_digit(7, size=56))
    colour = Image.merge("RGB", [digit, digit.point(lambda value: value * 0.9), digit])
    files = {}
    for name, options in FORMATS.items():
        format = name.split("-")[0]
        for label, image in (("grey", digit), ("colour", colour.resize((64, 48)))):
            buffer = io.BytesIO()
            image.save(buffer, format=format, **options)
            files[f"{name}-{label}"] = buffer.getvalue()
    return files


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits of ``data``."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["flip", "truncate", "duplicate", "field", "insert"])
        position = rng.randrange(len(data))
        if kind == "flip":
            data[position] ^= 1 << rng.randrange(8)
        elif kind == "truncate":
            del data[max(position, 1):]
        elif kind == "duplicate":
            end = min(len(data), position + rng.randint(1, 256))
            data[end:end] = data[position:end] * rng.randint(1, 4)
        elif kind == "field":
            # A header field (within the first 64 bytes) set to an extreme value.
            size, order = rng.choice([(1, "<"), (2, "<"), (2, ">"), (4, "<"), (4, ">")])
            start = rng.randrange(min(len(data), 64))
            value = rng.choice(EXTREMES) & ((1 << (8 * size)) - 1)
            data[start:start + size] = struct.pack(order + {1: "B", 2: "H", 4: "I"}[size], value)
        else:
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    return bytes(data)


def png_declaring(width: int, height: int) -> bytes:
    """A real PNG's bytes with its IHDR size changed (and its checksum made right again)."""
    buffer = io.BytesIO()
    Image.new("L", (28, 28), 255).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def check(prediction: Prediction, name: str) -> None:
    """An answer: a digit, no digit and why, or one clear line of error."""
    assert isinstance(prediction, Prediction), name
    if prediction.error is not None:
        assert prediction.digit is None and prediction.error.strip(), name
        assert "\n" not in prediction.error and len(prediction.error) < 400, (name, prediction.error)
    elif prediction.digit is not None:
        assert 0 <= prediction.digit <= 9 and 0 <= prediction.confidence <= 1, name
        assert len(prediction.probabilities) == 10 and np.isfinite(prediction.probabilities).all(), name
    else:
        assert prediction.reason, name


class MemoryWatch:
    """Peak traced allocations (NumPy's and Python's) and growth of the process's peak RSS."""

    def __enter__(self):
        self.rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        self.traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.rss_before

    def check(self):
        assert self.traced_peak < MEMORY_LIMIT, f"traced peak {self.traced_peak / 2**20:.0f} MB"
        assert self.rss_growth < MEMORY_LIMIT, f"peak RSS grew by {self.rss_growth / 2**20:.0f} MB"


@pytest.fixture
def no_ghostscript(monkeypatch):
    """Any attempt to start a program (Pillow starts Ghostscript for EPS) fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a program was started: {args[:1]}")

    for name in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, refuse)


@pytest.mark.parametrize("name, data", seeds().items(), ids=list(seeds()))
def test_mutated_files_give_an_answer_or_one_error(recogniser, no_ghostscript, name, data):
    rng = random.Random(f"{name}-{ITERATIONS}")
    inputs = [data, *(mutate(data, rng) for _ in range(ITERATIONS))]
    with MemoryWatch() as memory:
        predictions = recognise(inputs, recogniser)
    memory.check()
    assert len(predictions) == len(inputs)
    for index, prediction in enumerate(predictions):
        check(prediction, f"{name} mutation {index}")
    # The unmutated file is a seven, read as one.
    assert predictions[0].digit == 7


def hostile() -> dict[str, bytes]:
    eps = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n"
           b"newpath 4 4 moveto 24 24 lineto 4 setlinewidth stroke showpage\n%%EOF\n")
    spider = io.BytesIO()
    Image.new("F", (28, 28)).save(spider, format="SPIDER")
    ico = io.BytesIO()
    Image.new("L", (32, 32)).save(ico, format="ICO")
    return {"eps": eps, "spider": spider.getvalue(), "ico": ico.getvalue(),
            "png-12000x12000": png_declaring(12000, 12000), "png-0x0": png_declaring(0, 0), "png-1x4000000000": png_declaring(1, 4_000_000_000),
            "empty": b"", "zeros": bytes(4096), "text": b"hello, world\n" * 20}


@pytest.mark.parametrize("name", list(hostile()))
def test_hostile_files_named_png_are_refused_with_one_line(recogniser, no_ghostscript, tmp_path, name):
    path = tmp_path / f"{name}.png"
    path.write_bytes(hostile()[name])
    with MemoryWatch() as memory:
        predictions = recognise([str(path), hostile()[name]], recogniser)
    memory.check()
    for prediction in predictions:
        check(prediction, name)
        assert prediction.error is not None, name
    if name == "png-12000x12000":
        assert "over the limit" in predictions[0].error


def odd_but_valid() -> dict[str, Image.Image]:
    """Images that are unusual but valid: each deserves a digit or a no-digit reason, not an error."""
    line = Image.new("L", (600, 28), 255)
    ImageDraw.Draw(line).line([(10, 14), (590, 14)], fill=0, width=3)
    stroke = Image.new("L", (600, 28), 255)
    ImageDraw.Draw(stroke).line([(300, 3), (300, 25)], fill=0, width=3)
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 600), dtype=np.uint8))
    digit = Image.fromarray(draw_digit(7))
    sixteen = Image.fromarray((draw_digit(1).astype(np.uint16) * 257))
    palette = Image.fromarray(255 - draw_digit(0)).convert("P")
    palette.info["transparency"] = 0
    return {
        "strip-600x28-line": line, "strip-600x28-stroke": stroke, "strip-600x28-noise": noise,
        "strip-600x28-black": Image.new("L", (600, 28), 0), "strip-28x600": stroke.transpose(Image.Transpose.ROTATE_90),
        "strip-1x600": Image.new("L", (1, 600), 0), "pixel": Image.new("L", (1, 1), 0),
        "16-bit": sixteen, "float": Image.fromarray(draw_digit(7).astype(np.float32)),
        "1-bit": digit.convert("1"), "cmyk": digit.convert("CMYK"), "palette-transparent": palette,
        "la": Image.merge("LA", [digit, digit]),
    }


@pytest.mark.parametrize("name", list(odd_but_valid()))
def test_odd_but_valid_images_are_answered(recogniser, name):
    image = odd_but_valid()[name]
    format = "TIFF" if image.mode in ("F", "I;16", "CMYK") else "PNG"
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    for prediction in recognise([image, buffer.getvalue()], recogniser):
        check(prediction, name)
        assert prediction.error is None, (name, prediction.error)
