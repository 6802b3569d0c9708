"""A form's printed boxes around the writing: a box around a digit, or a comb of them, taken out.

Forms ask for a digit per box, or print a comb: a long box with a bar between the places.
In the ink such a box is one piece of thin straight lines around the writing, and the
model sees a square with a digit in it ("this does not look like a digit"). A piece is a
box when each of its four sides (its topmost pixel in each column, its bottommost, its
leftmost and rightmost in each row) lies on a straight line, its lines are thin beside its
size, and there is writing inside it. Its sides, and the bars that run from its top to its
bottom, are taken out; the writing stays, but where a stroke crosses a line.

A square 0 has nothing inside; a digital 8's bars are as thick as a fifth of it, no thin line.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digits.ink import INK_THRESHOLD, components

# A side is straight when this share of its pixels lie within NEAR pixels of the line fitted to them.
STRAIGHT = 0.9
NEAR = 2
# A box's lines are at most this share of its shorter side thick (a digital 8's bars are a fifth).
MAX_LINE = 0.06
# Boxes smaller than this many pixels a side are no form's boxes.
MIN_BOX = 16
# Writing inside a box covers at least this share of its inside.
MIN_WRITING = 0.01
# A bar runs from the box's top to its bottom: it covers this share of the rows between them.
BAR_SPAN = 0.9


def side(edge: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The straight line (its position at each place along the side) that ``edge`` (the outermost pixel at
    each place, NaN where there is none) follows, or None when it is no straight line."""
    places = np.flatnonzero(~np.isnan(edge))
    if len(places) < STRAIGHT * len(edge):
        return None
    # Medians first (the corners, where a side turns into the next, are far off any line).
    half = len(places) // 2
    slope = float(np.median((edge[places[half:2 * half]] - edge[places[:half]]) / (places[half:2 * half] - places[:half])))
    offset = float(np.median(edge[places] - slope * places))
    near = np.abs(edge[places] - (slope * places + offset)) <= NEAR
    if near.mean() < STRAIGHT:
        return None
    slope, offset = np.polyfit(places[near], edge[places][near], 1)
    return slope * np.arange(len(edge)) + offset, float(slope)


def outermost(piece: np.ndarray, first: bool) -> np.ndarray:
    """For each column of ``piece``, the row of its first (or last) pixel; NaN where the column is empty."""
    filled = piece.any(axis=0)
    rows = np.argmax(piece, axis=0) if first else piece.shape[0] - 1 - np.argmax(piece[::-1], axis=0)
    return np.where(filled, rows, np.nan).astype(np.float64)


def thickness(piece: np.ndarray, line: np.ndarray) -> float:
    """The median run of pixels down from ``line`` (a row per column) in ``piece``: a line's thickness."""
    runs = []
    for column, row in enumerate(np.round(line).astype(int)):
        cells = piece[max(row, 0):, column]
        runs.append(int(np.argmin(cells)) if not cells.all() else len(cells))
    return float(np.median(runs))


def box_lines(piece: np.ndarray, inside_ink: np.ndarray) -> np.ndarray | None:
    """The pixels of ``piece`` (one piece of ink, cut to its box) that are a printed box's lines and bars, or None
    when it is no box around writing (``inside_ink``: all the ink in the same cut)."""
    height, width = piece.shape
    if min(height, width) < MIN_BOX:
        return None
    sides = [side(outermost(piece, True)), side(outermost(piece, False)),
             side(outermost(piece.T, True)), side(outermost(piece.T, False))]
    if any(found is None for found in sides):
        return None
    (top, _), (bottom, _), (left, _), (right, _) = sides
    line = max(thickness(piece, top), thickness(piece[::-1], height - 1 - bottom),
               thickness(piece.T, left), thickness(piece.T[::-1], width - 1 - right))
    if line > MAX_LINE * min(height, width):
        return None
    reach = line + NEAR
    rows, columns = np.mgrid[0:height, 0:width]
    lines = ((np.abs(rows - top[None, :]) <= reach) | (np.abs(rows - bottom[None, :]) <= reach)
             | (np.abs(columns - left[:, None]) <= reach) | (np.abs(columns - right[:, None]) <= reach))
    within = ~lines & (rows > top[None, :]) & (rows < bottom[None, :]) & (columns > left[:, None]) & (columns < right[:, None])
    # Bars: columns of the piece (a line's width of them) covering nearly all rows between top and bottom.
    band = int(2 * reach + 1)
    covered = ndimage.maximum_filter1d((piece & within).astype(np.uint8), band, axis=1).sum(axis=0)
    bars = covered >= BAR_SPAN * max(float(np.median(bottom - top)) - 2 * reach, 1.0)
    lines |= ndimage.maximum_filter1d(bars, band)[None, :] & within
    if (inside_ink & within & ~lines).sum() < MIN_WRITING * within.sum():
        return None
    return piece & lines


def without_boxes(ink: np.ndarray) -> np.ndarray:
    """``ink`` with the lines of printed boxes around the writing taken out (``box_lines``); as it is if none."""
    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    taken = np.zeros_like(mask)
    for label, box in enumerate(slices, start=1):
        if box is None:
            continue
        lines = box_lines(labels[box] == label, mask[box])
        if lines is not None:
            taken[box] |= lines
    if not taken.any():
        return ink
    # The lines' soft edges go with them.
    return np.where(ndimage.binary_dilation(taken, iterations=1), 0.0, ink).astype(ink.dtype)
