"""Things lying on the sheet: a pen, a pencil, a coin, a magnet, a stamp.

On a photo of paper on a desk they are as dark as ink or darker, and far thicker than any
stroke. Left in, a pen was read as a 1, a coin as a dot beside the digit; and the ink's
contrast was set by them, so a faint pencil digit beside a black pen fell under the ink
threshold. A mark of the ink map is such an object when it is solid (no hole) and either

- a disk: its area at most DISK_LIKE times that of the largest circle inside it, and at
  least DISK_WIDTH times as wide as the writing's strokes (a full stop is a disk as wide
  as a stroke); or
- a straight bar: its spread BAR_LIKE times longer than wide (``digits.ink.principal_axis``),
  as wide all along (its area at least BAR_FILL of its box's longer side times its width),
  and at least OBJECT_WIDTH times as wide as the writing's strokes; or
- a block: filling BLOCK_FILL of the smallest rectangle around it (``digits.shapes.rectangle_fill``),
  and at least OBJECT_WIDTH times as wide as the writing's strokes. An envelope's stamp, a label,
  a phone lying flat: no pen draws a filled rectangle (a bold 1 is as wide as its own stroke).

The writing's stroke width is the widest among the other marks (``writing_width``): writing
is one pen, so a 1 among other digits is as wide as they are, and a bold 1 beside thin
printed lines stays. With no other marks, the smaller ink together is the writing (a faint
digit broken into pieces), if it is at least as large as the object is wide: beside a bold
1, a dot is no writing. An object lies apart from the other marks by its radius at least (a
broad piece of a blocky digit, an 8×8 scan enlarged, lies against the rest of it) and
outside every other mark's loop (a smiley's eyes are no coins). Objects go with their soft
edge and shadow: their radius around them.

``digits.ink.ink_map`` measures the ink again without them (``without_objects``).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digits.ink import (CROP_SIZE, INK_THRESHOLD, MIN_INK_PIXELS, SPECK_FRACTION, components, principal_axis,
                        stroke_width)
from digits.shapes import rectangle_fill

DISK_LIKE = 1.6
DISK_WIDTH = 2.5
BAR_LIKE = 5.0
BAR_FILL = 0.6
OBJECT_WIDTH = 3.0
BLOCK_FILL = 0.85
# A solid mark's holes cover at most this share of it (a coin's highlight may leave a pinhole).
SOLID = 0.05
# Pixels of the working size taken around an object at least.
HALO = 2


def lying_objects(ink: np.ndarray) -> np.ndarray | None:
    """The pixels of objects lying on the sheet (``ink``: the ink map, white on black), with their
    halo, or None when there are none. Images under CROP_SIZE pixels a side are crops of the writing, no
    photos of a desk: they have none (a glyph's dots are no coins)."""
    if max(ink.shape) < CROP_SIZE:
        return None
    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    if len(areas) < 3:
        return None
    sized = [label for label in range(1, len(areas)) if areas[label] >= SPECK_FRACTION * areas[1:].max()]
    radius = dict(zip(sized, np.atleast_1d(ndimage.maximum(ndimage.distance_transform_edt(mask), labels, sized))))
    disks, bars = set(), set()
    for label in sized:
        piece = labels[slices[label - 1]] == label
        area, width = areas[label], 2 * float(radius[label])
        if ndimage.binary_fill_holes(piece).sum() - area > SOLID * area:
            continue
        if area <= DISK_LIKE * np.pi * (width / 2) ** 2:
            disks.add(label)
        elif principal_axis(*np.nonzero(piece))[0] >= BAR_LIKE and area >= BAR_FILL * max(piece.shape) * width:
            bars.add(label)
        elif rectangle_fill(piece) >= BLOCK_FILL:
            # A block is measured as a bar is: against OBJECT_WIDTH.
            bars.add(label)
    candidates = disks | bars
    if not candidates:
        return None
    writing = writing_width(labels, slices, sized, candidates)
    if writing is None:
        return None
    stroke, extent = writing
    # Wider than the writing's strokes, and no wider than the writing is large: beside a bold 1, a dot is no writing.
    wide = [label for label in candidates
            if (DISK_WIDTH if label in disks else OBJECT_WIDTH) * stroke <= 2 * radius[label] <= extent]
    if not wide:
        return None
    # Apart from the other marks by its radius: a broad piece of a blocky digit lies against the rest of it.
    others = [label for label in sized if label not in wide]
    chosen = wide
    if others:
        marks = np.isin(labels, others)
        apart = ndimage.distance_transform_edt(~marks)
        # Within another mark's loop, a disk is part of a drawing (a smiley's eyes), no coin.
        enclosed = ndimage.binary_fill_holes(marks) & ~marks
        chosen = [label for label in wide if apart[labels == label].min() >= radius[label]
                  and not enclosed[labels == label].any()]
    if not chosen:
        return None
    reach = max(HALO, round(max(float(radius[label]) for label in chosen)))
    return ndimage.binary_dilation(np.isin(labels, chosen), iterations=reach)


def writing_width(labels: np.ndarray, slices: list, sized: list[int], candidates: set[int]) -> tuple[float, int] | None:
    """The stroke width of the writing and its size (its box's longer side): the widest of the marks that are
    neither disk nor bar; with none, all the smaller ink together (a faint digit broken into specks); None when
    there is no other ink."""
    others = [label for label in sized if label not in candidates]
    if others:
        return max(stroke_width(labels[slices[label - 1]] == label) for label in others), max(labels.shape)
    rest = (labels > 0) & ~np.isin(labels, list(candidates))
    if rest.sum() < MIN_INK_PIXELS:
        return None
    rows, columns = np.nonzero(rest)
    return stroke_width(rest), int(max(np.ptp(rows), np.ptp(columns))) + 1
