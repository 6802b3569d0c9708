"""Read several digits written side by side (a year, a postcode, a meter reading).

The ink is found as for one digit (``digits.ink``), split into connected components,
broken strokes of one digit are merged (components that share most of their columns),
touching digits are split at the thinnest column near where a digit should end, and each
digit then goes through the same box-fitting and centring as ``to_model_input``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.ink import INK_THRESHOLD, SPECK_FRACTION, NoDigitError, check_amount, components, ink_map
from digits.preprocess import centre_by_mass, fit_box, read_image, to_grey

# Two components belong to one digit when they share this much of the narrower one's columns.
MERGE_OVERLAP = 0.5
# A group wider than this many times its height holds touching digits.
TOUCHING_RATIO = 1.15
# Typical digit width as a fraction of its height, used to guess how many digits touch.
DIGIT_ASPECT = 0.7


@dataclass
class Segment:
    """One digit's place: box (left, top, width, height) in the original image's pixels, and its model input."""

    box: tuple[int, int, int, int]
    image: np.ndarray


def merge_columns(spans: list[list[int]]) -> list[list[int]]:
    """Group component spans [left, right, label] whose columns overlap enough; spans sorted by left."""
    groups: list[list[int]] = []
    for left, right, label in spans:
        if groups:
            group_left, group_right = groups[-1][0], groups[-1][1]
            overlap = min(right, group_right) - max(left, group_left)
            narrower = min(right - left, group_right - group_left)
            if overlap > MERGE_OVERLAP * narrower:
                groups[-1][0], groups[-1][1] = min(left, group_left), max(right, group_right)
                groups[-1].append(label)
                continue
        groups.append([left, right, label])
    return groups


def split_touching(mask: np.ndarray) -> list[tuple[int, int]]:
    """Column ranges of the digits in one group's mask (one range unless digits touch)."""
    height, width = mask.shape
    if width <= TOUCHING_RATIO * height:
        return [(0, width)]
    count = max(2, round(width / (DIGIT_ASPECT * height)))
    profile = mask.sum(axis=0)
    cuts = [0]
    for index in range(1, count):
        guess = round(index * width / count)
        window = max(1, width // (3 * count))
        low, high = max(cuts[-1] + 1, guess - window), min(width - 1, guess + window)
        cuts.append(low + int(np.argmin(profile[low:high + 1])) if high >= low else guess)
    cuts.append(width)
    return [(start, stop) for start, stop in zip(cuts, cuts[1:]) if stop > start]


def segment(image) -> list[Segment]:
    """Find the digits of a number in ``image`` (path, bytes, Pillow image or array), left to right.

    Raises:
        NoDigitError: the image holds no ink.
    """
    from digits.preprocess import array_to_grey

    if isinstance(image, np.ndarray):
        grey = array_to_grey(image)
    else:
        grey = to_grey(image if isinstance(image, Image.Image) else read_image(image))
    ink = ink_map(grey)
    scale = grey.shape[1] / ink.shape[1]
    mask = ink > INK_THRESHOLD
    check_amount(mask)
    labels, areas, slices = components(mask)
    largest = areas[1:].max()
    spans = sorted([box[1].start, box[1].stop, label] for label, box in enumerate(slices, start=1)
                   if box is not None and areas[label] >= SPECK_FRACTION * largest)
    segments = []
    for left, right, *members in merge_columns(spans):
        group_mask = np.isin(labels[:, left:right], members)
        rows = np.flatnonzero(group_mask.any(axis=1))
        group_mask = group_mask[rows[0]:rows[-1] + 1]
        group_ink = np.where(group_mask, ink[rows[0]:rows[-1] + 1, left:right], 0.0)
        for start, stop in split_touching(group_mask):
            part = group_ink[:, start:stop]
            filled = np.flatnonzero((part > INK_THRESHOLD).any(axis=1))
            if filled.size == 0:
                continue
            top = rows[0] + filled[0]
            box = (round((left + start) * scale), round(top * scale), round((stop - start) * scale),
                   round((filled[-1] - filled[0] + 1) * scale))
            try:
                segments.append(Segment(box, centre_by_mass(fit_box(part[filled[0]:filled[-1] + 1]))))
            except NoDigitError:
                continue
    if not segments:
        raise NoDigitError("no ink: nothing digit-like was found")
    return segments


def read_number(image, recogniser) -> dict:
    """``{"number": "2024", "digits": [{"digit", "confidence", "box"}], "confidence"}`` for one image."""
    segments = segment(image)
    probabilities = recogniser.probabilities(np.stack([part.image for part in segments]))
    digits = [{"digit": int(row.argmax()), "confidence": round(float(row.max()), 6), "box": list(part.box)}
              for part, row in zip(segments, probabilities)]
    return {"number": "".join(str(item["digit"]) for item in digits),
            "confidence": min(item["confidence"] for item in digits), "digits": digits}
