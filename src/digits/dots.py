"""Rows of dots: a notebook's punched holes, a perforation, a printed dotted line.

Along a notebook page's edge, its holes show the desk through them: a column of small dark
dots beside the writing, which the number reader took for a 1 ("169" for 69, at 0.99). No
digit is written so. Marks are such a row when at least MIN_DOTS of them are dots (compact:
their box no more than DOT_ASPECT times longer one way than the other, and no more than
MAX_DOT of the image's shorter side; round and solid, filling DOT_FILL of their box with no
hole: a disk fills 79 %, a small printed 0 has a hole, a patterned cloth's square fills it
all), alike in size (within ALIKE of the row's median area), with their centres on one
straight line (within ON_LINE of the dots' median size), and evenly spaced (each gap within
EVEN_GAPS of the median gap, which is at most MAX_GAP dots' sizes).
A colon, a decimal point, an ellipsis have too few; a digit's stroke broken by a skipping pen
is neither straight, nor in alike round pieces, nor evenly spaced.
"""

from __future__ import annotations

import numpy as np

from digits.ink import INK_THRESHOLD, components

# The rules of the module's note.
MIN_DOTS = 5
DOT_ASPECT = 2.0
DOT_FILL = (0.6, 0.9)
MAX_DOT = 0.06
ALIKE = 2.0
ON_LINE = 1.0
EVEN_GAPS = 2.0
MAX_GAP = 4.0
# Past this many dots the marks are a texture, not a row: they are left to the other stages.
MOST_DOTS = 400


def dotted_rows(mask: np.ndarray) -> np.ndarray | None:
    """The pixels of ``mask`` that belong to rows of dots (see the module's note); None when there are none."""
    from scipy import ndimage
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    labels, areas, slices = components(mask)
    largest = MAX_DOT * min(mask.shape)
    dots = []
    for label, box in enumerate(slices, start=1):
        if box is None:
            continue
        height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
        if max(height, width) > largest or max(height, width) > DOT_ASPECT * min(height, width):
            continue
        # Round and solid, as a hole the desk shows through is: no digit's strokes, no square.
        piece = labels[box] == label
        fill = areas[label] / float(height * width)
        if DOT_FILL[0] <= fill <= DOT_FILL[1] and ndimage.binary_fill_holes(piece).sum() == areas[label]:
            dots.append((label, (box[0].start + box[0].stop) / 2, (box[1].start + box[1].stop) / 2,
                         float(max(height, width))))
    if not MIN_DOTS <= len(dots) <= MOST_DOTS:
        return None
    labels_of = np.array([dot[0] for dot in dots])
    centres = np.array([(dot[1], dot[2]) for dot in dots])
    sizes = np.array([dot[3] for dot in dots])
    area = areas[labels_of].astype(np.float64)
    # Neighbours: alike in size and no further apart than MAX_GAP sizes.
    distance = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    alike = np.maximum(area[:, None], area[None, :]) <= ALIKE * np.minimum(area[:, None], area[None, :])
    near = distance <= MAX_GAP * np.maximum(sizes[:, None], sizes[None, :])
    count, group = connected_components(csr_matrix(alike & near), directed=False)
    rows = []
    for index in range(count):
        members = np.flatnonzero(group == index)
        if len(members) >= MIN_DOTS and is_row(centres[members], sizes[members]):
            rows.extend(labels_of[members].tolist())
    return np.isin(labels, rows) if rows else None


def is_row(centres: np.ndarray, sizes: np.ndarray) -> bool:
    """Whether dots at ``centres`` (row, column) of ``sizes`` lie evenly spaced on one straight line."""
    offsets = centres - centres.mean(axis=0)
    direction = np.linalg.svd(offsets, full_matrices=False)[2][0]
    across = offsets @ np.array([-direction[1], direction[0]])
    size = float(np.median(sizes))
    if np.abs(across).max() > ON_LINE * size:
        return False
    gaps = np.diff(np.sort(offsets @ direction))
    middle = float(np.median(gaps))
    return 0 < middle <= MAX_GAP * size and bool(((gaps <= EVEN_GAPS * middle) & (gaps >= middle / EVEN_GAPS)).all())


def without_dotted_rows(ink: np.ndarray) -> np.ndarray:
    """``ink`` without rows of dots (``dotted_rows``), their soft edges with them; as it is if none."""
    from scipy import ndimage

    rows = dotted_rows(ink > INK_THRESHOLD)
    if rows is None:
        return ink
    return np.where(ndimage.binary_dilation(rows, iterations=1), 0.0, ink).astype(ink.dtype)
