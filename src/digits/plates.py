"""A dark plate or card in a photo: a meter's housing on a light wall, brown card on a white desk.

Such a plate is no light region, so ``digits.scene`` finds no sheet, and the whole photo went
on: the plate's counter a small part of it, the wall's light part of the ink. On the negative
the plate is a light sheet like any other: it is found there with ``digits.scene.sheet_mask``,
cut out and set upright with ``digits.scene.cut_out``, and turned back. Besides the sheet's
checks, it fills SHEET_RECTANGLE of the smallest rectangle around it (a bold digit in marker
is solid but no rectangle) and holds something (``is_written``: a phone lying flat holds
nothing). ``digits.preprocess.find_writing`` looks for one only when neither a sheet nor a
counter in the whole picture is found, and only in photos that may hold one
(``may_hold_plate``).
"""

from __future__ import annotations

import numpy as np

from digits.ink import WORKING_SIZE, border, is_crop, robust_spread, shrink, split_level
from digits.scene import DRAWN_GROUND, MIN_SCENE_SIZE, MIN_SHEET_FRACTION, SHEET_RECTANGLE, cut_out, sheet_mask
from digits.shapes import rectangle_fill

# A dark plate holds something: at least WRITTEN_SHARE of it is darker on the negative than its own
# grey by WRITTEN_DEPTH of its contrast with the rest (meter plates on test photos: 6-45 %; a bold 6
# in marker, taken for a plate: 2.6 %, and no rectangle).
WRITTEN_SHARE = 0.01
WRITTEN_DEPTH = 0.25
# Before the search, the picture's darker tone must hold a region this rectangular (looser than the
# plate's own SHEET_RECTANGLE: the tone's edge is rougher than the plate's found on the negative).
PLATE_LIKE = 0.75


def find_plate(grey: np.ndarray) -> np.ndarray | None:
    """A plate or card darker than what surrounds it (a meter's housing on a light wall, brown card on a white
    desk), cut out as ``find_sheet`` cuts a sheet; None when there is none.

    The plate is a sheet on the negative (``sheet_mask``) that fills SHEET_RECTANGLE of the smallest rectangle
    around it and holds something (``is_written``), in a photo that may hold one (``may_hold_plate``): it is cut
    out there and turned back. Crops and drawings have none.
    """
    image = shrink(grey, WORKING_SIZE)
    if is_crop(grey) or min(image.shape) < MIN_SCENE_SIZE or not may_hold_plate(image):
        return None
    negative = (1.0 - image).astype(np.float32)
    plate = sheet_mask(negative)
    if plate is None or rectangle_fill(plate) < SHEET_RECTANGLE or not is_written(negative, plate):
        return None
    turned = (1.0 - grey).astype(np.float32)
    cut = cut_out(turned, negative, plate)
    return None if cut is turned else (1.0 - cut).astype(np.float32)


def may_hold_plate(image: np.ndarray) -> bool:
    """Whether ``image`` (shrunk) is worth searching for a plate: it is photographed (its border varies by
    DRAWN_GROUND at least; on a drawing's flat background a bold digit is no plate), and its largest region in
    the darker of its two tones (``split_level``), holes filled, covers MIN_SHEET_FRACTION of it and fills
    PLATE_LIKE of the smallest rectangle around it. A page filling the frame, whose darker tone is the digit, is
    passed over: the search took such a photo 1.8 times as long."""
    from scipy import ndimage

    if robust_spread(border(image)) < DRAWN_GROUND:
        return False
    labels, count = ndimage.label(image <= split_level(image))
    if count == 0:
        return False
    largest = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:])))
    return bool(largest.mean() >= MIN_SHEET_FRACTION and rectangle_fill(largest) >= PLATE_LIKE)


def is_written(image: np.ndarray, sheet: np.ndarray) -> bool:
    """Whether at least WRITTEN_SHARE of the ``sheet`` (within its rim) is darker than its own grey by WRITTEN_DEPTH of
    its contrast with the rest of ``image``: a plate holds wheels and labels, a phone lying flat nothing."""
    from scipy import ndimage

    smooth = ndimage.median_filter(image, size=3)
    inside = smooth[ndimage.binary_erosion(sheet, iterations=3)]
    if inside.size == 0:
        return False
    own, ground = float(np.median(inside)), float(np.median(smooth[~sheet]))
    return float(np.mean(inside < own - WRITTEN_DEPTH * (own - ground))) >= WRITTEN_SHARE
