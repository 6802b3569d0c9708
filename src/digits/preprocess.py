"""Bring any image of a digit to the form MNIST's digits have.

One function, ``to_model_input``, serves every path (training checks, ``predict``, the
API and the page): it returns the 28×28 float32 array in [0, 1] that the model sees,
white ink on black, the digit fitted in a 20×20 box and centred by centre of mass in
the 28×28 frame, which is how LeCun et al. prepared MNIST itself.

Pillow decodes; NumPy and scipy.ndimage do the array work (no per-pixel Python loops).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

SIZE = 28
BOX = 20
# Below this contrast between ink and background (on a 0..1 scale) there is no digit.
MIN_CONTRAST = 0.15
# After contrast stretching, pixels above this count as ink when finding the digit's box.
INK_THRESHOLD = 0.3
# Fewer ink pixels than this fraction of the image (or than MIN_INK_PIXELS) is no digit.
MIN_INK_FRACTION = 0.0005
MIN_INK_PIXELS = 4


class NoDigitError(ValueError):
    """The image holds no ink that could be a digit; the message says why."""


def read_image(source: str | os.PathLike | bytes) -> Image.Image:
    """Decode a PNG, JPEG, BMP, GIF, WebP or TIFF file (path or bytes) with Pillow.

    Raises ``ValueError`` with a one-line reason when the data is not a readable image.
    """
    name = "image data" if isinstance(source, bytes) else str(source)
    stream = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
    try:
        image = Image.open(stream)
        image.load()
    except FileNotFoundError:
        raise FileNotFoundError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{name}: is a folder, not an image file") from None
    except UnidentifiedImageError:
        raise ValueError(f"{name}: not an image Pillow can read (PNG, JPEG, BMP, GIF, WebP, TIFF)") from None
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(f"{name}: cannot decode image ({error})") from None
    return image


def to_grey(image: Image.Image) -> np.ndarray:
    """Grey levels in [0, 1], float32, of shape (height, width); transparency composited over white.

    EXIF orientation is applied so phone photos come out upright.
    """
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        low, high = float(pixels.min()), float(pixels.max())
        return (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
    # ITU-R 601 luma, the same weights as the tutorial's RGB-to-grey step.
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def border_level(grey: np.ndarray) -> float:
    """Median grey level of the image's outer ring: the background's level."""
    ring = max(1, min(grey.shape) // 20)
    border = np.concatenate([
        grey[:ring].ravel(), grey[-ring:].ravel(), grey[:, :ring].ravel(), grey[:, -ring:].ravel()
    ])
    return float(np.median(border))


def ink_map(grey: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] (white ink on black), whatever the original polarity.

    The background is whatever the border mostly is: a light border means dark ink on
    light paper, which is inverted. Contrast is then stretched so the background maps to
    0 and the strongest ink (99.9th percentile, so a few hot pixels do not count) to 1.
    """
    background = border_level(grey)
    ink = 1.0 - grey if background > 0.5 else grey
    background = min(background, 1.0 - background)
    peak = float(np.percentile(ink, 99.9)) if ink.size > 1000 else float(ink.max())
    contrast = peak - background
    if contrast < MIN_CONTRAST:
        raise NoDigitError(f"no ink: the image is nearly uniform (contrast {contrast:.2f} < {MIN_CONTRAST})")
    return np.clip((ink - background) / contrast, 0.0, 1.0)


def fit_box(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and resize so the longer side is 20 pixels, keeping the aspect ratio."""
    mask = ink > INK_THRESHOLD
    ink_pixels = int(mask.sum())
    if ink_pixels < max(MIN_INK_PIXELS, MIN_INK_FRACTION * ink.size):
        raise NoDigitError(f"no ink: only {ink_pixels} ink pixels in a {ink.shape[1]}x{ink.shape[0]} image")
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(new_size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Paste ``digit`` into a 28×28 frame so its centre of mass lands at the frame's centre."""
    frame = np.zeros((SIZE, SIZE), dtype=np.float32)
    height, width = digit.shape
    centre_row, centre_column = ndimage.center_of_mass(digit)
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
    if isinstance(image, np.ndarray):
        grey = array_to_grey(image)
    else:
        if not isinstance(image, Image.Image):
            image = read_image(image)
        grey = to_grey(image)
    return centre_by_mass(fit_box(ink_map(grey)))


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
