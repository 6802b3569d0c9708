"""Bring any image of a digit to the form MNIST's digits have.

One function, ``to_model_input``, serves every path (training checks, ``predict``, the
API and the page): it returns the 28×28 float32 array in [0, 1] that the model sees,
white ink on black, the digit fitted in a 20×20 box and centred by centre of mass in
the 28×28 frame, which is how LeCun et al. prepared MNIST itself. ``model_inputs`` is the
same path with a second input for a stroke a form field stretched to fill its square
(``digits.stretched``): ``digits.predict`` reads both and weighs them; training never
sees the second.

Pillow decodes and resamples; NumPy does the array work (no per-pixel Python loops);
``digits.ink`` finds the ink (polarity, lighting, noise, specks, stroke width).
"""

from __future__ import annotations

import io
import os
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digits.ink import (INK_THRESHOLD, MIN_MEASURABLE, NoDigitError, SmallWritingError, check_amount, crop_to_ink,
                        drop_specks, ink_map, needed_pixels, normalise_stroke, resize)
from digits.boxes import without_boxes, without_hairlines
from digits.pens import without_pen_beside
from digits.plates import find_plate
from digits.scene import find_sheet
from digits.stretched import narrowed
from digits.stray_marks import without_stray_marks
from digits.text_lines import without_text_lines
from digits.windows import within_windows

__all__ = ["NoDigitError", "NotAnImageError", "ImageTooLargeError", "read_image", "to_model_input", "scale_mnist"]

SIZE = 28
BOX = 20
# A roughly square box this full of ink is a blob, not a digit.
SOLID_FRACTION = 0.92
# A round blob without a hole filling more of its box than this (a disk fills 79 %) is a dot;
# on 10,000 MNIST test digits 0.76 declines none, 0.7 one (a 0 written as a filled blot).
DOT_FRACTION = 0.76
DOT_ASPECT = 1.4


class NotAnImageError(ValueError):
    """The data is not a PNG, JPEG, BMP, GIF, WebP or TIFF image."""


class ImageTooLargeError(ValueError):
    """The image has more pixels than allowed (a guard against decompression bombs)."""


# The formats `digits` promises. Pillow knows about 40 by their content; the others are
# refused unread (EPS would run Ghostscript, and rarely used decoders are fuzzing targets).
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")
# Largest image decoded unless the caller says otherwise: a large phone photo, ~120 MB as RGB.
MAX_PIXELS = 40_000_000
# A JPEG over this many pixels is decoded at 1/2, 1/4 or 1/8 scale (its DCT gives that for
# free), as small as keeps at least this many: a digit needs far fewer pixels than a 48 MP photo.
JPEG_DRAFT_PIXELS = 4_000_000


def read_image(source: str | os.PathLike | bytes, max_pixels: int | None = MAX_PIXELS) -> Image.Image:
    """Decode a PNG, JPEG, BMP, GIF, WebP or TIFF file (path or bytes) with Pillow.

    ``max_pixels`` refuses larger images before their pixels are decoded (``None``: only
    Pillow's own decompression-bomb limit). Only regular files are opened: a pipe, socket
    or device is refused without being opened.

    Raises:
        FileNotFoundError: no such file.
        NotAnImageError: the data is not in one of the six formats, whatever its name says.
        ImageTooLargeError: more than ``max_pixels`` pixels.
        ValueError: a folder or special file; or a known format that fails to decode
            (truncated, corrupt, or anything else the decoder trips on).
    """
    import stat
    import warnings

    name = "image data" if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        stream = io.BytesIO(source)
    else:
        try:
            mode = os.stat(source).st_mode
            if stat.S_ISDIR(mode):
                raise ValueError(f"{name}: is a folder, not an image file")
            # Opening a FIFO would wait for a writer for ever, and a device may never end.
            if not stat.S_ISREG(mode):
                raise ValueError(f"{name}: not a regular file (a pipe, socket or device); give an image file")
            descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise FileNotFoundError(f"{name}: no such file") from None
        stream = os.fdopen(descriptor, "rb")
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # replaced since the check above
            stream.close()
            raise ValueError(f"{name}: not a regular file (a pipe, socket or device); give an image file")
    if (len(source) if isinstance(source, bytes) else os.fstat(stream.fileno()).st_size) == 0:
        stream.close()
        raise NotAnImageError(f"{name}: empty (0 bytes); give an image file")
    with stream, warnings.catch_warnings():
        # Pillow warns about over-large images (max_pixels speaks for them) and damaged TIFF tags
        # (the error, if any, says it): warnings would only add unasked lines to stderr.
        warnings.simplefilter("ignore")
        try:
            image = Image.open(stream, formats=IMAGE_FORMATS)
            if image.format in ("JPEG", "MPO") and image.width * image.height > JPEG_DRAFT_PIXELS:
                scale = next(scale for scale in (8, 4, 2, 1)
                             if (image.width // scale) * (image.height // scale) >= JPEG_DRAFT_PIXELS or scale == 1)
                image.draft(None, (image.width // scale, image.height // scale))
            if max_pixels is not None and image.width * image.height > max_pixels:
                raise ImageTooLargeError(f"{name}: {image.width}x{image.height} is over the limit of "
                                         f"{max_pixels:,} pixels; send a smaller image")
            image.load()
        except (ImageTooLargeError, FileNotFoundError):
            raise
        except UnidentifiedImageError:
            raise NotAnImageError(f"{name}: not an image in a format digits reads "
                                  f"(PNG, JPEG, BMP, GIF, WebP, TIFF)") from None
        except Image.DecompressionBombError:
            # Pillow refuses dimensions past twice its own limit before ours is checked.
            limit = f", over the limit of {max_pixels:,} pixels" if max_pixels is not None else ""
            raise ImageTooLargeError(f"{name}: more than {2 * Image.MAX_IMAGE_PIXELS:,} pixels{limit}; "
                                     f"send a smaller image") from None
        except MemoryError:
            raise ValueError(f"{name}: cannot decode image (out of memory)") from None
        except Exception as error:
            # Fuzzed files make Pillow's decoders raise OSError, SyntaxError, but also TypeError,
            # IndexError, struct.error...: every one of them means "this file is broken".
            detail = " ".join(str(error).split()) or type(error).__name__
            raise ValueError(f"{name}: cannot decode image ({detail})") from None
    return image


def to_grey(image: Image.Image) -> np.ndarray:
    """Grey levels in [0, 1], float32, of shape (height, width); transparency composited over white,
    or over black when what is drawn is light and covers less than half the image (white strokes
    on a transparent canvas).

    EXIF orientation is applied so phone photos come out upright.
    """
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        drawn = np.asarray(rgba.getchannel("A")) > 127
        light = drawn.mean() < 0.5 and drawn.any() and np.median(np.asarray(rgba.convert("L"))[drawn]) > 127
        backdrop = Image.new("RGBA", rgba.size, (0, 0, 0, 255) if light else (255, 255, 255, 255))
        image = Image.alpha_composite(backdrop, rgba)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        low, high = float(pixels.min()), float(pixels.max())
        return (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
    # ITU-R 601 luma, the same weights as the tutorial's RGB-to-grey step.
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def fit_box(ink: np.ndarray) -> np.ndarray:
    """Keep the digit's ink, crop to it, even out its strokes, and fit it in a 20×20 box (aspect kept)."""
    mask = ink > INK_THRESHOLD
    check_amount(mask)
    crop = crop_to_ink(drop_specks(ink, mask))
    height, width = crop.shape
    solid = (crop > INK_THRESHOLD).mean()
    if solid > SOLID_FRACTION and max(height, width) < 2 * min(height, width) and min(height, width) > 4:
        raise NoDigitError(f"no digit-like shape: a solid blob fills {100 * solid:.0f}% of its box")
    if is_dot(crop > INK_THRESHOLD):
        raise NoDigitError(f"no digit-like shape: a dot (a round blob filling {100 * solid:.0f}% of its box)")
    crop = crop_to_ink(normalise_stroke(crop, BOX / max(height, width)))
    height, width = crop.shape
    scale = BOX / max(height, width)
    resized = resize(crop, max(1, round(width * scale)), max(1, round(height * scale)), Image.Resampling.LANCZOS)
    return np.clip(resized, 0.0, 1.0)


def is_dot(mask: np.ndarray) -> bool:
    """A round, filled blob with no hole: a tap on a canvas, a full stop, a spot; no digit looks so.

    A 0 has a hole, a 1 is long, a heavy 8 keeps its loops. Crops under MIN_MEASURABLE
    pixels (8×8 scans) are left alone: there a 0 may have lost its hole.
    """
    from scipy import ndimage

    height, width = mask.shape
    if min(height, width) < MIN_MEASURABLE or max(height, width) > DOT_ASPECT * min(height, width):
        return False
    if mask.mean() <= DOT_FRACTION:
        return False
    return int(ndimage.binary_fill_holes(mask).sum()) == int(mask.sum())


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean position, as scipy.ndimage.center_of_mass."""
    total = float(image.sum())
    rows = np.arange(image.shape[0], dtype=np.float64)
    columns = np.arange(image.shape[1], dtype=np.float64)
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ columns) / total


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Paste ``digit`` into a 28×28 frame so its centre of mass lands at the frame's centre."""
    frame = np.zeros((SIZE, SIZE), dtype=np.float32)
    height, width = digit.shape
    centre_row, centre_column = centre_of_mass(digit)
    # MNIST's digits have their centre of mass at pixel (14, 14) on average.
    top = int(round(SIZE / 2 - centre_row))
    left = int(round(SIZE / 2 - centre_column))
    top = min(max(top, 0), SIZE - height)
    left = min(max(left, 0), SIZE - width)
    frame[top:top + height, left:left + width] = digit
    return frame


def to_model_input(image: Image.Image | np.ndarray | str | os.PathLike | bytes) -> np.ndarray:
    """Turn one image into what the model sees: float32 (28, 28) in [0, 1], white ink on black.

    Accepts a Pillow image, a path, encoded bytes, or an array (2-D grey, or
    height×width×3/4 colour; uint8 in 0..255 or floats in 0..1).

    Raises:
        NoDigitError: the image is blank or holds too little ink to be a digit.
        ValueError: the input cannot be read as an image.
    """
    return centre_by_mass(fit_box(digit_ink(image)))


def digit_ink(image: Image.Image | np.ndarray | str | os.PathLike | bytes) -> np.ndarray:
    """The ink map ``to_model_input`` boxes: the writing found, its ink, a pen beside it taken out."""
    return without_pen_beside(writing_and_ink(grey_of(image)).ink)


class Prepared(NamedTuple):
    """One image made ready for the model: ``image``, as ``to_model_input`` gives it (None, with the
    ``reason``, when there is no digit to read, or with the ``error`` when the input is no image), and
    ``narrowed`` when the ink is one band a form field stretched to fill its box (``digits.stretched``),
    drawn back to a stroke's width; None otherwise. ``digits.predict`` weighs the two answers."""

    image: np.ndarray | None
    reason: str | None
    error: str | None = None
    narrowed: np.ndarray | None = None


def model_inputs(image: Image.Image | np.ndarray | str | os.PathLike | bytes) -> Prepared:
    """``to_model_input``, and a stretched band's narrowed reading (``Prepared``, its error unset).

    Raises:
        NoDigitError: there is nothing to read either way.
        ValueError: the input cannot be read as an image.
    """
    ink = digit_ink(image)
    band = narrowed(ink)
    second = None
    if band is not None:
        try:
            second = centre_by_mass(fit_box(band))
        except NoDigitError:
            pass
    try:
        return Prepared(centre_by_mass(fit_box(ink)), None, narrowed=second)
    except NoDigitError as reason:
        if second is None:
            raise
        return Prepared(None, str(reason), narrowed=second)


def find_writing(grey: np.ndarray) -> np.ndarray:
    """Where the writing is: the sheet (``digits.scene``), and on it a counter's dark windows, if any
    (``digits.windows``). With no counter on the sheet, or no sheet, a counter in the whole picture (a light
    counter's white wheels, red ones beside them, were taken for a sheet); failing that, the sheet; with no
    sheet, a dark plate (``digits.plates.find_plate``) and a counter on it."""
    sheet = find_sheet(grey)
    if sheet is not grey:
        counter = within_windows(sheet)
        if counter is not sheet:
            return counter
    counter = within_windows(grey)
    if counter is not grey:
        return counter
    if sheet is not grey:
        return sheet
    plate = find_plate(grey)
    return grey if plate is None else within_windows(plate)


class Writing(NamedTuple):
    """The image as read (``grey``), its ink map, and where ``grey``'s top-left corner lies, (top, left) in
    pixels of the sheet or counter found (not (0, 0) only when small writing was cut out to be read closer)."""

    grey: np.ndarray
    ink: np.ndarray
    corner: tuple[int, int] = (0, 0)


def writing_and_ink(grey: np.ndarray) -> Writing:
    """The image as read (``find_writing``) and its ink map (``digits.ink.ink_map``).

    Writing too small to read in the whole image, all in one place (a digit a few per cent
    of a scanned page's height), is read in the paper around it, cut out at full resolution.
    """
    writing = find_writing(grey)
    try:
        return Writing(writing, ink_of(writing))
    except SmallWritingError as small:
        top, bottom, left, right = small.region
        height, width = writing.shape
        top, left = round(top * height), round(left * width)
        closer = writing[top:round(bottom * height), left:round(right * width)]
        return Writing(closer, ink_of(closer), (top, left))


def ink_of(writing: np.ndarray) -> np.ndarray:
    """The ink map of ``writing`` (``digits.ink.ink_map``) without a form's boxes, whole or broken into hairlines
    (``digits.boxes``), without lines of printed text (``digits.text_lines``), and without marks apart from the
    writing (``digits.stray_marks``).

    When too little for a digit is left once the objects lying on the sheet went (``digits.ink.needed_pixels``;
    besides them, only the sheet's edge, which goes with the boxes), the one "object" is the writing: a bold
    marker 1 is as thick and straight as a pen.
    """
    for keep_objects in (False, True):
        ink = without_stray_marks(without_hairlines(without_text_lines(without_boxes(ink_map(writing, keep_objects)))))
        if int((ink > INK_THRESHOLD).sum()) >= needed_pixels(ink.size):
            break
    return ink


def grey_of(image: Image.Image | np.ndarray | str | os.PathLike | bytes) -> np.ndarray:
    """Any accepted input as grey levels in [0, 1], float32 (height, width)."""
    if isinstance(image, np.ndarray):
        return array_to_grey(image)
    return to_grey(image if isinstance(image, Image.Image) else read_image(image))


def array_to_grey(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"array of shape {array.shape}: expected (height, width) or (height, width, 3 or 4)")
    if array.dtype == np.uint8:
        return to_grey(Image.fromarray(array))
    pixels = np.asarray(array, dtype=np.float32)
    if pixels.min() < 0 or pixels.max() > 1:
        raise ValueError("float array has values outside [0, 1]: scale it to [0, 1] or pass uint8")
    return to_grey(Image.fromarray(np.round(pixels * 255).astype(np.uint8)))


def scale_mnist(images: np.ndarray) -> np.ndarray:
    """MNIST's own uint8 images (already in model form) to float32 in [0, 1], shape kept."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 MNIST images, got {images.dtype}")
    return images.astype(np.float32) / 255.0
