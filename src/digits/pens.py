"""Take away a pen lying on the sheet beside one digit.

A pen or pencil on the paper, along the writing and above or below it, is as dark as ink
and straighter and longer than any stroke. Left in, it was read as a 1, or it pushed the
digit into a corner of the model's box. A component of the ink map is such a pen when all
of these hold (lengths along the bar's own axis; "the rest" is the other ink together):

- it is a straight bar: BAR_ELONGATION times longer than wide, and no wider across its
  axis than STRAIGHT times its mean width;
- it is at least PEN_LENGTH times as long as the rest is large (its bounding box's longer
  side), as a pen across the sheet's edge is (``digits.crossing``);
- the rest is a digit, not specks: at least REST_SIZE of the bar's length and REST_INK of
  its pixels (a 1 beside a speck keeps its 1);
- the rest lies beside it: all on one side of the bar's line, at least GAP of the rest's
  size away from the bar, its centre within the bar's middle (MIDDLE of its length), so a 1
  broken in two, a 1 whose flag stands apart and a 4 written in two strokes keep all parts.

Works on the ink map (float32 in [0, 1], white ink on black), for one digit only: the
number reader has its own rule for pens across a line of digits (``number.without_pens``).
"""

from __future__ import annotations

import numpy as np

from digits.crossing import PEN_LENGTH
from digits.ink import INK_THRESHOLD, SPECK_FRACTION, components

BAR_ELONGATION = 5.0
STRAIGHT = 2.0
REST_SIZE = 0.15
REST_INK = 0.05
GAP = 0.2
MIDDLE = 0.8


def without_pen_beside(ink: np.ndarray) -> np.ndarray:
    """``ink`` without a pen lying beside the digit (see the module's rules); unchanged when there is none."""
    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    if len(areas) < 3:
        return ink
    marks = [label for label in range(1, len(areas)) if areas[label] >= SPECK_FRACTION * areas[1:].max()]
    if len(marks) < 2:
        return ink
    for bar in sorted(marks, key=lambda label: -areas[label]):
        rest = [label for label in marks if label != bar]
        if is_pen_beside(labels == bar, np.isin(labels, rest)):
            return np.where(labels == bar, 0.0, ink)
    return ink


def is_pen_beside(bar: np.ndarray, rest: np.ndarray) -> bool:
    """Whether the pixels ``bar`` are a straight bar lying beside the digit ``rest`` (boolean masks, one shape)."""
    rows, columns = np.nonzero(bar)
    points = np.stack([columns, rows], axis=1).astype(np.float64)
    centre = points.mean(axis=0)
    # The bar's own axis, and how far its pixels spread along it and across it.
    _, vectors = np.linalg.eigh(np.cov(points.T))
    along, across = vectors[:, 1], vectors[:, 0]
    spans = points - centre
    length = float(np.ptp(spans @ along)) + 1.0
    width = len(points) / length
    if length < BAR_ELONGATION * width or float(np.ptp(spans @ across)) + 1.0 > STRAIGHT * width + 2.0:
        return False
    rest_rows, rest_columns = np.nonzero(rest)
    size = float(max(np.ptp(rest_rows), np.ptp(rest_columns))) + 1.0
    if length < PEN_LENGTH * size or size < REST_SIZE * length or len(rest_rows) < REST_INK * len(points):
        return False
    offsets = np.stack([rest_columns, rest_rows], axis=1) - centre
    beside = offsets @ across
    if not ((beside > 0).all() or (beside < 0).all()) or np.abs(beside).min() - width / 2 < GAP * size:
        return False
    return bool(abs(offsets.mean(axis=0) @ along) <= MIDDLE * length / 2)
