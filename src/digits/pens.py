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

The number reader's rule (``without_pens``) looks for pens across or along a line of digits:
a bar straighter and longer than any digit's stroke, reaching off the writing's line; a tall 1
standing on the line is none.

Both work on the ink map (float32 in [0, 1], white ink on black).
"""

from __future__ import annotations

import math

import numpy as np

from digits.crossing import PEN_LENGTH
from digits.ink import (INK_THRESHOLD, SPECK_FRACTION, bridged, components, on_one_line, principal_axis,
                        straight_runs, to_the_degree)

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


# A pen or ruler lying across the writing is straight for more than PEN_LENGTH times the
# writing's size (the median of its marks' longer sides); no digit's stroke is. Directions are
# measured every PEN_ANGLE_STEP degrees (a pen is wide enough to hold a line half a step off).
PEN_ANGLE_STEP = 3
# At most this many pens, among the PEN_DIRECTIONS directions most ink lies along, at least
# PEN_APART degrees apart (the line of digits itself is one); a pen reaches further above or
# below the rest of the ink than PEN_OFF_LINE times that ink's height.
PENS = 2
PEN_DIRECTIONS = 4
PEN_APART = 15
PEN_OFF_LINE = 0.25
# A pen lying onto a digit may be shorter: straight for PEN_ONTO_DIGIT_LENGTH times the
# writing's size is enough when the bar touches other writing, at least PEN_ONTO_DIGIT_INK of
# a mark's median ink (a tall 1 standing alone keeps the longer rule).
PEN_ONTO_DIGIT_LENGTH = 1.15
PEN_ONTO_DIGIT_INK = 0.3
# A straight mark alone, upright (at least ONE_UPRIGHT times as tall as wide) and shorter than
# ONE_LENGTH times the writing's size, that stands on the writing's line (its foot near the line's
# bottom, its top near the line's top or above) is a 1 written taller than its neighbours, not a pen.
ONE_LENGTH = 2.0
ONE_UPRIGHT = 1.5
# A bar along the writing, within UNDERLINE_TILT degrees of level, straight for UNDERLINE_LENGTH times the writing's
# size, its middle below the writing's, is a form's line the digits stand on: with them, it made one part that "does
# not look like a digit".
UNDERLINE_TILT = 10.0
UNDERLINE_LENGTH = 3.0


def without_pens(ink: np.ndarray) -> np.ndarray:
    """The ink without a straight bar longer than PEN_LENGTH times the writing's size (a pen lying across it),
    or PEN_ONTO_DIGIT_LENGTH times where it touches a digit.

    The directions looked at are those along which most ink pixels lie on one line; where
    that many reach the bar's length, what a line that long fits in is a bar, and a bar that
    reaches off the line of the other ink is taken out with its sides (half its width). Where
    the pen crossed a digit's strokes, they are joined again across it (``bridged``).
    """
    from scipy import ndimage

    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    if len(areas) < 2:
        return ink
    marks = [label for label, box in enumerate(slices, start=1)
             if box is not None and areas[label] >= SPECK_FRACTION * areas[1:].max()]
    sizes = [max(slices[label - 1][0].stop - slices[label - 1][0].start,
                 slices[label - 1][1].stop - slices[label - 1][1].start) for label in marks]
    length = round(PEN_ONTO_DIGIT_LENGTH * float(np.median(sizes)))
    lone_length = round(PEN_LENGTH * float(np.median(sizes)))
    one_length = round(ONE_LENGTH * float(np.median(sizes)))
    underline_length = round(UNDERLINE_LENGTH * float(np.median(sizes)))
    touching_ink = PEN_ONTO_DIGIT_INK * float(np.median(areas[marks]))
    writing = np.isin(labels, marks)
    rows, columns = np.nonzero(mask)
    if length < 9 or rows.size < length:
        return ink

    angles = np.arange(0, 180, PEN_ANGLE_STEP)
    counts = np.array([on_one_line(rows, columns, math.radians(angle)) for angle in angles])
    taken = 0
    for _ in range(PEN_DIRECTIONS):
        best = int(np.argmax(counts))
        if counts[best] < length:
            break
        # The next pen lies at least PEN_APART degrees away from this one.
        apart = np.abs((np.arange(len(angles)) - best + len(angles) // 2) % len(angles) - len(angles) // 2)
        counts[apart * PEN_ANGLE_STEP < PEN_APART] = 0
        # To the degree: a line off by more leaves the pen's ends at its sides.
        angle = to_the_degree(rows, columns, angles[best], PEN_ANGLE_STEP)
        bar = straight_runs(mask, length, angle)
        rows_of, columns_of = np.nonzero(bar)
        if rows_of.size == 0:
            continue
        # What a line fits in is the pen's core; its blurred sides go too, half its width more.
        width = rows_of.size / max(float(np.ptp(rows_of * math.sin(angle) + columns_of * math.cos(angle))), 1.0)
        pen = ndimage.binary_dilation(bar, iterations=round(width / 2) + 2)
        writing_rows = np.nonzero(writing & ~pen)[0]
        if writing_rows.size == 0:
            continue
        # A pen reaches off the writing's line (a 1 of the number stays on it).
        line = np.percentile(writing_rows, [1, 99])
        off_line = ((rows_of < line[0] - PEN_OFF_LINE * np.ptp(line)).any()
                    or (rows_of > line[1] + PEN_OFF_LINE * np.ptp(line)).any())
        underline = not off_line and is_underline(mask, angle, underline_length, rows_of, writing_rows)
        if underline:
            # A form's line under the writing, the digits standing on it: taken out as a pen is, all along it.
            pen |= along_lines(mask, bar, width, underline_length)
        elif not off_line:
            continue
        else:
            beside = (np.isin(labels, np.unique(labels[bar])) & ~pen).sum() >= touching_ink
            if not straight_runs(mask, lone_length, angle).any():
                # Shorter than a pen lying alone: only one that lies onto a digit (ink of its own mark beside it).
                if not beside:
                    continue
            elif not beside and tall_one(rows_of, columns_of, line,
                                         (straight_runs(mask, one_length, angle) & bar).any()):
                continue
        # What the pen hid of the strokes it crossed is drawn on again.
        ink = bridged(np.where(pen, 0.0, ink), pen)
        mask &= ~pen
        writing &= ~pen
        # A form's line is no pen: it counts against no limit.
        taken += not underline
        if taken == PENS:
            break
    return ink


def is_underline(mask: np.ndarray, angle: float, length: int, rows: np.ndarray, writing_rows: np.ndarray) -> bool:
    """Whether a bar along the writing's line (its pixels' ``rows``; ``writing_rows``: the other writing's) is a form's
    line under it: within UNDERLINE_TILT degrees of level, straight for UNDERLINE_LENGTH times the writing's size
    (``length``), its middle below the writing's."""
    tilt = abs((math.degrees(angle) + 90.0) % 180.0 - 90.0)
    return (tilt <= UNDERLINE_TILT and float(np.median(rows)) > float(np.median(writing_rows))
            and bool(straight_runs(mask, length, angle).any()))


def along_lines(mask: np.ndarray, bar: np.ndarray, width: float, reach: int) -> np.ndarray:
    """The pixels of ``mask`` along each line of ``bar`` (its straight runs, ``width`` wide), within half that width and
    2 pixels of the straight line through it, as far as ``reach`` beyond its ends. A printed line in a photo bends a
    little: straight runs at one angle cover it in pieces, and a piece shorter than a run was left under the digits."""
    from scipy import ndimage

    # A line turned a little from the runs' angle is a staircase of runs: one line, once they are joined.
    labels, count = ndimage.label(ndimage.binary_dilation(bar, iterations=2))
    rows, columns = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    along = np.zeros_like(mask)
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        piece_rows, piece_columns = np.nonzero(bar[box] & (labels[box] == label))
        if piece_columns.size == 0 or np.ptp(piece_columns) < 2:
            continue
        slope, intercept = np.polyfit(piece_columns + box[1].start, piece_rows + box[0].start, 1)
        within = np.abs(rows - (slope * columns + intercept)) <= width / 2 + 2
        span = (columns >= box[1].start - reach) & (columns < box[1].stop + reach)
        along |= within & span & mask
    return along


def tall_one(rows: np.ndarray, columns: np.ndarray, line: np.ndarray, long: bool) -> bool:
    """Whether a straight bar alone (its pixels' ``rows`` and ``columns``; ``long``: straight for ONE_LENGTH
    times the writing's size) is a 1 taller than its neighbours: upright, not long, and standing on the
    writing's ``line`` (its top and bottom rows): its foot near the line's bottom, its top near the line's
    top or above it (a bar reaching below the line is none); near: within PEN_OFF_LINE of the line's height."""
    reach = PEN_OFF_LINE * np.ptp(line)
    return (not long and np.ptp(rows) >= ONE_UPRIGHT * np.ptp(columns)
            and rows.min() <= line[0] + reach and abs(rows.max() - line[1]) <= reach)
