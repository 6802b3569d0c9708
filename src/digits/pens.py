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

import math

import numpy as np

from digits.crossing import PEN_LENGTH
from digits.ink import INK_THRESHOLD, SPECK_FRACTION, components, principal_axis

BAR_ELONGATION = 5.0
STRAIGHT = 2.0
REST_SIZE = 0.15
REST_INK = 0.05
GAP = 0.2
MIDDLE = 0.8
CANDIDATES = 3


def without_pen_beside(ink: np.ndarray) -> np.ndarray:
    """``ink`` without a pen lying beside the digit (see the module's rules); unchanged when there is none."""
    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    if len(areas) < 3:
        return ink
    marks = [label for label in range(1, len(areas)) if areas[label] >= SPECK_FRACTION * areas[1:].max()]
    if len(marks) < 2:
        return ink
    writing = np.isin(labels, marks)
    # A pen is among the largest marks.
    for bar in sorted(marks, key=lambda label: -areas[label])[:CANDIDATES]:
        box = slices[bar - 1]
        rows, columns = np.nonzero(labels[box] == bar)
        axes = straight_bar(rows + box[0].start, columns + box[1].start)
        if axes is not None and lies_beside(*axes, *np.nonzero(writing & (labels != bar))):
            return np.where(labels == bar, 0.0, ink)
    return ink


def straight_bar(rows: np.ndarray, columns: np.ndarray) -> tuple | None:
    """(centre, direction along, direction across, length, mean width) of pixels that form a straight bar
    (x right, y down); else None."""
    _, angle = principal_axis(rows, columns)
    along, across = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
    points = np.stack([columns, rows], axis=1).astype(np.float64)
    centre = points.mean(axis=0)
    spans = points - centre
    length = float(np.ptp(spans @ along)) + 1.0
    width = len(points) / length
    if length < BAR_ELONGATION * width or float(np.ptp(spans @ across)) + 1.0 > STRAIGHT * width + 2.0:
        return None
    return centre, along, across, length, width


def lies_beside(centre: np.ndarray, along: np.ndarray, across: np.ndarray, length: float, width: float,
                rows: np.ndarray, columns: np.ndarray) -> bool:
    """Whether the rest of the ink (pixels at ``rows``, ``columns``) is a digit lying beside the bar."""
    if rows.size == 0:
        return False
    size = float(max(np.ptp(rows), np.ptp(columns))) + 1.0
    if length < PEN_LENGTH * size or size < REST_SIZE * length or rows.size < REST_INK * length * width:
        return False
    offsets = np.stack([columns, rows], axis=1) - centre
    beside = offsets @ across
    if not ((beside > 0).all() or (beside < 0).all()) or np.abs(beside).min() - width / 2 < GAP * size:
        return False
    return bool(abs(offsets.mean(axis=0) @ along) <= MIDDLE * length / 2)
