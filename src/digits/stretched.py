"""A stroke a form field stretched to fill its box, drawn back to a stroke's width.

Some form readers and digit sets cut each field to the ink and scale it to a square box
whatever its shape. A 1, tall and narrow, then becomes a slanted band or a block that fills
the box: the model reads it as no digit, a dot or a 5. Such a band is one run of ink in
every row, as wide as a good part of the box, of even width or slanting across it. A
round blob (a dot) narrows at its top and bottom and does not slant, and most other
digits hold two runs in many rows. ``narrowed`` gives the band back a stroke's width;
``digits.predict`` takes its answer where it is sure and surer than the image's own.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digits.ink import INK_THRESHOLD, MIN_MEASURABLE, resize

# The ink spans the image: from its top row to its bottom, and across this share of its width.
SPANNED_WIDTH = 0.7
# A field stretched to a square, not a dash or a bar: width within these times the height.
SQUARE_ASPECT = (0.6, 1.4)
# Rows of one run of ink, among the rows inside the top and bottom tenth.
ONE_RUN_ROWS = 0.95
# The runs' median width as a share of the image's width.
WIDE_RUN = 0.3
# Of even width (the 10th percentile of the run widths over the 90th), or slanting (the
# runs' centres in the top quarter of the rows this share of the width away from the bottom
# quarter's). A disk's runs, inside its top and bottom tenth, have at most 0.75 for the first
# and none for the second.
EVEN_RUNS = 0.76
SLANT = 0.1
# The band is narrowed until its runs are this share of its height wide (a stroke's width).
STROKE_WIDTH = 0.15


def narrowed(ink: np.ndarray) -> np.ndarray | None:
    """``ink`` (white on black) narrowed to a stroke's width when it is one band that fills the image; else None."""
    height, width = ink.shape
    # Most images are no square field: their shape says so before their ink is looked at.
    if height < MIN_MEASURABLE or not SQUARE_ASPECT[0] * height <= width <= SQUARE_ASPECT[1] * height:
        return None
    mask = ink > INK_THRESHOLD
    if not (mask[0].any() and mask[-1].any()) or np.ptp(np.flatnonzero(mask.any(axis=0))) + 1 < SPANNED_WIDTH * width:
        return None
    inner = mask[height // 10:height - height // 10]
    edges = np.diff(np.pad(inner.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    one_run = (edges == 1).sum(axis=1) == 1
    if one_run.mean() < ONE_RUN_ROWS:
        return None
    starts = np.argmax(edges[one_run] == 1, axis=1)
    stops = np.argmax(edges[one_run] == -1, axis=1)
    widths, centres = stops - starts, (starts + stops) / 2
    run = float(np.median(widths))
    quarter = max(1, len(centres) // 4)
    slant = abs(float(centres[:quarter].mean() - centres[-quarter:].mean())) / width
    even = float(np.percentile(widths, 10) / max(np.percentile(widths, 90), 1))
    if run < WIDE_RUN * width or (even < EVEN_RUNS and slant < SLANT):
        return None
    new_width = max(2, round(width * STROKE_WIDTH * height / run))
    if new_width >= width:
        return None
    return resize(ink, new_width, height, Image.Resampling.BILINEAR)
