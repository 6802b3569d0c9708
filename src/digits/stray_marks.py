"""Marks apart from the writing: a notebook's punched holes, a pen's tip, the desk beyond the sheet's edge.

A photo of a sheet holds more than the writing. Left in, a mark in a far corner stretched the
box the model reads to the whole sheet, and the digit shrank to a corner of it ("this does not
look like a digit"). The writing's size is its largest mark that is no thin bar (a sheet's edge
or a ruled line runs long and thin; no digit but a 1 does, and a 1 alone has nothing to measure
against) and no blob (strokes fill at most STROKES of their box; a cloth's checks or a shadow fill
more): the longer side of its box. Marks at least KEEP of that size stay, wherever they are;
smaller ones go when they lie more than FAR of it from every mark that stays. Nothing goes within
SPAN_REACH of that size of the span of the writing's marks (the box around them all): a number's
point, dash or broken stroke stands between its digits or near them, a point a little below
their line.

A blob above or below the writing goes too: a mark that is no thin bar and fills more than
STROKES of its box, no larger than the writing (its longer side at most 1 / KEEP of the writing's
size), sharing no row with a mark of writing nor standing in a row with any other mark of about its
height (within ROW_ALIKE; a counter's bold digits, or a bold digit among boxed ones, stand side by
side), BLOB_GAP of the writing's size or more from every mark of writing, and reaching within RIM of
the image's edge: the desk, a cloth's checks or a shadow's corner beyond the sheet's edge, above or
below the digit. A bold digit written well inside the sheet, a caption above it, is no blob. Blobs are sought
only beside clear writing, its size CLEAR_WRITING of the image's shorter side or more: a counter's
bold printed digits fill their boxes, and beside a label's small stroke they were taken for blobs.
A bold digit alone is the largest mark, no blob beside smaller strokes.

Bold print fills more than STROKES of its box, but a row of it is writing: PRINTED_ROW marks or more
of about one height side by side, each filling at most BOLD_PRINT of its box (a cloth's checks fill
theirs), stay. Once, a counter's bold digits beside a meter's dial were measured against the dial alone,
and those farther from it than its size went ("97" for 0597).
"""

from __future__ import annotations

import numpy as np

from digits.ink import INK_THRESHOLD, SPECK_FRACTION, components
from digits.shapes import boxes_of, in_a_row, near_boxes, sharing_rows

KEEP = 0.5
FAR = 1.0
SPAN_REACH = 0.25
# A mark whose box is under this share as wide as long is a thin bar, no measure of the writing.
BAR = 0.2
STROKES = 0.4
BLOB_GAP = 0.5
CLEAR_WRITING = 0.1
RIM = 0.12
ROW_ALIKE = 1.5
# Marks filling at most BOLD_PRINT of their box, PRINTED_ROW or more in a row (heights within ROW_ALIKE), are writing.
BOLD_PRINT = 0.7
PRINTED_ROW = 3


def writing_marks(boxes: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Which of the marks (``boxes``: top, bottom, left, right; ``areas`` with the background's first, as
    ``digits.ink.components`` gives them) may be writing: no thin bar, no blob, no speck."""
    longer, shorter = longer_and_shorter(boxes)
    return ((shorter >= BAR * longer) & (areas[1:] >= SPECK_FRACTION * areas[1:].max())
            & (areas[1:] <= STROKES * longer * shorter))


def longer_and_shorter(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The longer and the shorter side of each of ``boxes`` (top, bottom, left, right)."""
    heights, widths = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    return np.maximum(heights, widths), np.minimum(heights, widths)


def stray_marks(mask: np.ndarray) -> np.ndarray | None:
    """The pixels of ``mask`` that are small marks far from the writing or blobs apart from it (see the module's
    note), or None."""
    labels, areas, slices = components(mask)
    if len(areas) < 3:
        return None
    boxes = boxes_of(slices)
    longer, shorter = longer_and_shorter(boxes)
    shares_rows = sharing_rows(boxes)
    mates = in_a_row(boxes, areas[1:] >= SPECK_FRACTION * areas[1:].max(), ROW_ALIKE).sum(axis=1)
    # Bold print in a row (a counter's digits) is writing too, however much of its box it fills, and stays.
    printed_row = (shorter >= BAR * longer) & (areas[1:] <= BOLD_PRINT * longer * shorter) & (mates >= PRINTED_ROW - 1)
    writing = writing_marks(boxes, areas) | printed_row
    if not writing.any():
        return None
    size = float(longer[writing].max())
    staying = (longer >= KEEP * size) | printed_row
    blobs = ((shorter >= BAR * longer) & (areas[1:] > STROKES * longer * shorter) & (KEEP * longer <= size)
             & (size >= CLEAR_WRITING * min(mask.shape)))
    beside_writing = (shares_rows & writing[None, :]).any(axis=1)
    # Within the span of the writing's marks, or SPAN_REACH of its size beside it (a point between two digits spaced
    # wide, a little below their line), nothing goes.
    spanned = boxes[writing & staying]
    span = np.array([[spanned[:, 0].min(), spanned[:, 1].max(), spanned[:, 2].min(), spanned[:, 3].max()]])
    outside = ~near_boxes(boxes, span, SPAN_REACH * size)
    height, width = mask.shape
    at_the_rim = ((boxes[:, 0] <= RIM * height) | (boxes[:, 1] >= (1 - RIM) * height)
                  | (boxes[:, 2] <= RIM * width) | (boxes[:, 3] >= (1 - RIM) * width))
    blobs &= (at_the_rim & ~beside_writing & ~near_boxes(boxes, boxes[writing], BLOB_GAP * size)
              & (mates == 0))
    far = outside & ((~staying & ~near_boxes(boxes, boxes[staying], FAR * size)) | blobs)
    if not far.any():
        return None
    return np.isin(labels, np.flatnonzero(far) + 1)


def without_stray_marks(ink: np.ndarray) -> np.ndarray:
    """``ink`` without small marks far from the writing and blobs above or below it (``stray_marks``); as it is if
    there are none."""
    stray = stray_marks(ink > INK_THRESHOLD)
    if stray is None:
        return ink
    from scipy import ndimage

    # Their soft edges go with them.
    return np.where(ndimage.binary_dilation(stray, iterations=1), 0.0, ink).astype(ink.dtype)
