"""The shape of a region of pixels: its convex hull, the smallest rectangle around it, and how much of that
rectangle it fills. A sheet, a counter's window, a plate and a stamp lying on a desk are all told by these
(``digits.scene``, ``digits.windows``, ``digits.plates``, ``digits.objects``).
"""

from __future__ import annotations

import math

import numpy as np


def hull_points(mask: np.ndarray) -> np.ndarray:
    """Corners of the convex hull of the mask's pixels, as (x, y) rows; a line's two ends when they all lie on one."""
    from scipy.spatial import ConvexHull, QhullError

    rows, columns = np.nonzero(mask)
    points = np.stack([columns, rows], axis=1).astype(np.float64)
    if len(points) < 3:
        return points
    try:
        return points[ConvexHull(points).vertices]
    except QhullError:  # all on one line
        along = (points - points.mean(axis=0)) @ np.linalg.svd(points - points.mean(axis=0))[2][0]
        return points[[int(np.argmin(along)), int(np.argmax(along))]]


def hull_mask(region: np.ndarray, corner: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """The convex hull of ``region`` (whose top-left pixel is ``corner`` in a picture of ``shape``) as a mask."""
    from PIL import Image, ImageDraw

    mask = np.zeros(shape, dtype=bool)
    hull = hull_points(region)
    if len(hull) < 3:  # a line: its pixels are its hull
        mask[corner[0]:corner[0] + region.shape[0], corner[1]:corner[1] + region.shape[1]] = region
        return mask
    drawing = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(drawing).polygon([tuple(point) for point in hull + [corner[1], corner[0]]], fill=1, outline=1)
    return np.asarray(drawing)


def rectangle_sides(hull: np.ndarray, degrees: float) -> tuple[float, float]:
    """The sides (along the turn, across it) of the rectangle turned ``degrees`` around the hull."""
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
    turned = hull @ rotation.T
    return float(np.ptp(turned[:, 0])), float(np.ptp(turned[:, 1]))


def smallest_rectangle(hull: np.ndarray) -> tuple[float, float]:
    """The area and turn (degrees) of the smallest rectangle around the hull (one side lies on a hull edge)."""
    best_area, best_angle = math.inf, 0.0
    for start, stop in zip(hull, np.roll(hull, -1, axis=0)):
        degrees = math.degrees(math.atan2(stop[1] - start[1], stop[0] - start[0]))
        along, across = rectangle_sides(hull, degrees)
        if along * across < best_area:
            best_area, best_angle = along * across, degrees
    return best_area, best_angle


def rectangle_fill(region: np.ndarray) -> float:
    """The share of the smallest rectangle around ``region`` that it fills, counting whole pixels."""
    hull = hull_points(region)
    if len(hull) < 3:
        return 1.0  # a line: it fills its (thin) rectangle
    area, _ = smallest_rectangle(hull)
    # The hull runs through pixel centres: half a pixel all round is outside it.
    return float(region.sum()) / (area + perimeter(hull) / 2 + 1)


def perimeter(hull: np.ndarray) -> float:
    """The length of the closed outline through the ``hull``'s points, in order."""
    return float(np.hypot(*np.diff(np.vstack([hull, hull[:1]]).astype(np.float64), axis=0).T).sum())


def boxes_of(slices: list) -> np.ndarray:
    """The boxes of ``digits.ink.components``' pieces (its slices) as rows of top, bottom, left, right."""
    return np.array([(box[0].start, box[0].stop, box[1].start, box[1].stop) for box in slices],
                    dtype=np.int64).reshape(-1, 4)


def near_boxes(boxes: np.ndarray, others: np.ndarray, reach: float) -> np.ndarray:
    """Which of ``boxes`` (rows of top, bottom, left, right) overlap one of ``others`` grown by ``reach`` pixels."""
    if len(boxes) == 0 or len(others) == 0:
        return np.zeros(len(boxes), dtype=bool)
    grown = others + np.array([-reach, reach, -reach, reach])
    return ((boxes[:, None, 0] < grown[None, :, 1]) & (boxes[:, None, 1] > grown[None, :, 0])
            & (boxes[:, None, 2] < grown[None, :, 3]) & (boxes[:, None, 3] > grown[None, :, 2])).any(axis=1)


def sharing_rows(boxes: np.ndarray) -> np.ndarray:
    """Which pairs of ``boxes`` (rows of top, bottom, left, right) share a row of pixels; no box with itself."""
    shared = (boxes[:, None, 0] < boxes[None, :, 1]) & (boxes[:, None, 1] > boxes[None, :, 0])
    np.fill_diagonal(shared, False)
    return shared


def in_a_row(boxes: np.ndarray, sized: np.ndarray, alike: float) -> np.ndarray:
    """Which pairs of ``boxes`` (rows of top, bottom, left, right) stand in a row: sharing rows, heights within
    ``alike`` of each other, the second one ``sized`` (no speck)."""
    heights = boxes[:, 1] - boxes[:, 0]
    lower, higher = np.minimum(heights[:, None], heights[None, :]), np.maximum(heights[:, None], heights[None, :])
    return sharing_rows(boxes) & (higher <= alike * lower) & sized[None, :]
