"""Find the sheet in a photo: paper or a sticky note lying on a desk, turned and in perspective.

The first stage of every image's path (``to_model_input``, the number reader, the API and
the page): a photo whose frame holds more than the paper (a desk, a pen, a shadowed
table) is cut down to the sheet, turned upright along the sheet's edges, and everything
outside the sheet is replaced by the paper's own shade, so that the ink stage sees only
paper and writing. Images with no such sheet (scans, crops, canvases, a page filling the
frame, light digits on a dark panel) pass through unchanged.

Works on grey arrays, float32 in [0, 1]; scipy does the labelling and morphology.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from digits.ink import WORKING_SIZE, shrink, split_level

# Only frames at least this large can hold a photographed sheet with room around it.
MIN_SCENE_SIZE = 96
# The sheet's share of the frame: smaller is a stray bright patch, larger is a page filling the frame.
MIN_SHEET_FRACTION, MAX_SHEET_FRACTION = 0.06, 0.94
# Paper must be this much lighter than what surrounds it (grey levels, 0..1).
MIN_SHEET_CONTRAST = 0.12
# Paper is anything above this fraction of the way from the desk's shade to the lit paper's.
SHADED_PAPER = 0.35
# A sheet is a filled, nearly convex shape; a light digit (even a 0, once filled) is not
# mostly light inside, and ink covers only a little of a sheet.
MIN_SOLIDITY = 0.8
MIN_LIGHT_INSIDE = 0.7
# The surroundings must make up this share of the frame's border, or the sheet fills the frame.
MIN_BORDER_OUTSIDE = 0.3
# How much darker than the paper an object must be to count as lying across the sheet.
CROSSING_DARKNESS = 0.15
# Dark pieces apart from the sheet's edge this large (pixels at the working size) are writing.
MIN_WRITING_PIXELS = 20
# Turns smaller than this (degrees) are left alone: resampling costs more than it gives.
MIN_TURN = 2.0


def hull_points(mask: np.ndarray) -> np.ndarray:
    """Corners of the convex hull of the mask's pixels, as (x, y) rows."""
    from scipy.spatial import ConvexHull

    rows, columns = np.nonzero(mask)
    points = np.stack([columns, rows], axis=1).astype(np.float64)
    if len(points) < 3:
        return points
    return points[ConvexHull(points).vertices]


def sheet_angle(hull: np.ndarray) -> float:
    """The turn (degrees, in [-45, 45)) of the smallest rectangle around the hull: the sheet's edges."""
    best_area, best_angle = math.inf, 0.0
    for start, stop in zip(hull, np.roll(hull, -1, axis=0)):
        angle = math.atan2(stop[1] - start[1], stop[0] - start[0])
        rotation = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
        turned = hull @ rotation.T
        area = float(np.ptp(turned[:, 0]) * np.ptp(turned[:, 1]))
        if area < best_area:
            best_area, best_angle = area, math.degrees(angle)
    return (best_angle + 45.0) % 90.0 - 45.0


def sheet_mask(grey: np.ndarray) -> np.ndarray | None:
    """The sheet's pixels (boolean, same shape), or None when the frame holds no separate sheet."""
    from scipy import ndimage

    if min(grey.shape) < MIN_SCENE_SIZE:
        return None
    smooth = ndimage.median_filter(grey, size=5)
    split = split_level(smooth, bins=128)
    darker, lighter = smooth[smooth <= split], smooth[smooth > split]
    if darker.size == 0 or lighter.size == 0:
        return None
    desk, paper = float(np.median(darker)), float(np.median(lighter))
    # Lower than Otsu's split, so that paper in a shadow still counts as paper.
    light = smooth > desk + SHADED_PAPER * (paper - desk)
    # Close gaps a pen lying across the sheet leaves, so the sheet stays one piece.
    # (Padded with the frame's own edge first: a closing would otherwise eat into the border.)
    reach = max(1, min(grey.shape) // 40)
    light = ndimage.binary_closing(np.pad(light, reach, mode="edge"), iterations=reach)[reach:-reach, reach:-reach]
    labels, count = ndimage.label(light)
    if count == 0:
        return None
    areas = np.bincount(labels.ravel())[1:]
    largest = labels == 1 + int(np.argmax(areas))
    sheet = ndimage.binary_fill_holes(largest)
    share = sheet.mean()
    if not MIN_SHEET_FRACTION <= share <= MAX_SHEET_FRACTION:
        return None
    if largest.sum() / sheet.sum() < MIN_LIGHT_INSIDE:
        return None
    if float(np.median(smooth[largest])) - float(np.median(smooth[~sheet])) < MIN_SHEET_CONTRAST:
        return None
    edge = np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]])
    if 1.0 - edge.mean() < MIN_BORDER_OUTSIDE:
        return None
    hull = hull_points(sheet)
    from scipy.spatial import ConvexHull

    if len(hull) < 3 or sheet.sum() / ConvexHull(hull).volume < MIN_SOLIDITY:
        return None
    return sheet


def line_footprint(length: int, angle: float) -> np.ndarray:
    """A one-pixel line ``length`` long at ``angle`` radians, as a boolean footprint."""
    steps = np.linspace(-0.5, 0.5, 2 * length)
    columns = np.round(steps * length * math.cos(angle)).astype(int)
    rows = np.round(steps * length * math.sin(angle)).astype(int)
    footprint = np.zeros((np.ptp(rows) + 1, np.ptp(columns) + 1), dtype=bool)
    footprint[rows - rows.min(), columns - columns.min()] = True
    return footprint


def without_crossing_objects(image: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Paint over dark things that reach the sheet's edge from outside it (a pen, a cable, the desk's clutter).

    Writing stays inside the sheet. A dark object touching the sheet's edge is removed whole
    when writing lies apart from the edge and the object holds no wide dark area (a shadow,
    which writing in it may join). Otherwise only the part a long straight line fits in (an
    opening along the object's own direction) and a wide square does not (a shadow is wide,
    a pen is not) is removed, so writing a pen touches stays. The paper under it is a closing
    (maximum, then minimum, over a window wider than a pen), which removes dark structures
    narrower than the window.
    """
    from scipy import ndimage

    short_side = min(image.shape)
    window = max(9, short_side // 6)
    paper = ndimage.minimum_filter(ndimage.maximum_filter(image, size=window), size=window)
    dark = inner & (paper - image > CROSSING_DARKNESS)
    labels, count = ndimage.label(dark, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return image
    rim = inner & ~ndimage.binary_erosion(inner, iterations=3)
    crossing = np.unique(labels[rim & dark])
    crossing = crossing[crossing > 0]
    if crossing.size == 0:
        return image
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    apart = np.setdiff1d(np.arange(1, count + 1), crossing)
    wide = ndimage.binary_opening(dark, structure=np.ones((short_side // 12 + 1,) * 2, dtype=bool))
    whole = np.array([], dtype=crossing.dtype)
    if apart.size and areas[apart].max() >= MIN_WRITING_PIXELS:
        whole = crossing[np.bincount(labels[wide], minlength=count + 1)[crossing] < 0.1 * areas[crossing]]
    covered = np.isin(labels, whole) | straight_parts(labels, np.setdiff1d(crossing, whole), inner, wide)
    if not covered.any():
        return image
    return np.where(ndimage.binary_dilation(covered, iterations=2), paper, image)


def straight_parts(labels: np.ndarray, crossing: np.ndarray, inner: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """Of the objects ``crossing`` (labels) the sheet's edge, the parts that are long and straight and not ``wide``."""
    from scipy import ndimage

    short_side = min(labels.shape)
    covered = np.zeros(labels.shape, dtype=bool)
    near_rim = ~ndimage.binary_erosion(inner, iterations=max(3, short_side // 10))
    for label in crossing:
        member = labels == label
        rows, columns = np.nonzero(member & near_rim)
        if len(rows) < 10:
            continue
        spread = np.cov(np.stack([columns, rows]).astype(np.float64))
        values, vectors = np.linalg.eigh(spread)
        angle = math.atan2(vectors[1, 1], vectors[0, 1])
        along = ndimage.binary_opening(member, structure=line_footprint(max(9, short_side // 4), angle))
        covered |= along & ~wide
    return covered


def find_sheet(grey: np.ndarray) -> np.ndarray:
    """The sheet alone, upright, the surroundings painted in the paper's shade; ``grey`` itself when there is none.

    Returns float32 grey levels in [0, 1], at most ``WORKING_SIZE`` pixels a side.
    """
    from scipy import ndimage

    image = shrink(grey, WORKING_SIZE)
    sheet = sheet_mask(image)
    if sheet is None:
        return grey
    # The sheet's rim is blurred into the desk: keep clear of it.
    margin = max(2, round(0.02 * math.sqrt(sheet.sum())))
    inner = ndimage.binary_erosion(sheet, iterations=margin)
    if inner.sum() < MIN_SHEET_FRACTION * sheet.sum():
        return grey
    paper = float(np.median(image[inner]))  # fills the corners a turn opens; replaced below
    angle = sheet_angle(hull_points(sheet))
    if abs(angle) >= MIN_TURN:
        image = np.asarray(Image.fromarray(image, mode="F").rotate(angle, resample=Image.Resampling.BILINEAR,
                                                                   expand=True, fillcolor=paper), dtype=np.float32)
        turned = Image.fromarray(inner.astype(np.uint8) * 255).rotate(angle, resample=Image.Resampling.NEAREST,
                                                                        expand=True)
        inner = np.asarray(turned) > 127
    rows = np.flatnonzero(inner.any(axis=1))
    columns = np.flatnonzero(inner.any(axis=0))
    window = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
    image, inner = image[window], inner[window]
    image = without_crossing_objects(image, inner)
    # Outside the sheet, continue the nearest paper: its shade, shadows included, so no edge is left to look like ink.
    nearest = ndimage.distance_transform_edt(~inner, return_distances=False, return_indices=True)
    return image[nearest[0], nearest[1]].astype(np.float32)
