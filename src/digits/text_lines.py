"""Printed text beside the writing: a newspaper's columns, a receipt's lines, a form's captions.

A digit written on a printed page stands among lines of small type. Left in, the page was
the writing: the model saw a block of text around the digit and answered "not a digit" at
97 % or more. Type is small beside handwriting and set in lines: marks are a line of text
when at least MIN_WORDS of them stand side by side (their rows overlapping by LINE_OVERLAP of
the shorter one's height, each within WORD_GAP of its own height from the next, heights alike
within ALIKE), each at most TEXT_HEIGHT of the writing's height (the tallest mark that is no
straight line running the page's height, as a notebook's margin does) and at most TEXT_SHARE of the
image's longer side, and none filling SOLID of its box (a keyboard's keys, a grid's squares are
alike and in lines too). They go when at least MIN_LINES such lines stand on the page: a number
written in one row of digits of one height is one line at most, and no smaller than itself.

Blurred or small type runs its letters together: a form's caption ("Name:", "Quantity") is then one
mark, a word. A lone mark at least WORD_ASPECT times as wide as high is a line of its own when it lies
away from the writing (WRITING_MARGIN of the writing's height from every taller mark: a 5's bar or an
underline beside a digit is no caption), and when MIN_WORDS such words or more stand one above another
(captions down a form's side; a counter's wheels hold a row of bars side by side).
"""

from __future__ import annotations

import numpy as np

from digits.ink import INK_THRESHOLD, components
from digits.shapes import boxes_of, near_boxes

MIN_WORDS = 3
LINE_OVERLAP = 0.5
WORD_GAP = 2.0
ALIKE = 2.0
TEXT_HEIGHT = 0.4
TEXT_SHARE = 0.04
MIN_LINES = 2
# A line's type goes with its box grown by this share of its height: the faint ink around its letters too.
LINE_REACH = 0.5
# Smaller marks within this share of the type's height of it are type too: a caption, a broken letter.
NEIGHBOURS = 2.0
# A mark whose box is under LINE_WIDTH as wide as high and that runs LINE_RUN of the image's height is a straight
# line (a notebook's margin), no writing to measure by; a plain 1 is shorter.
LINE_WIDTH = 0.1
LINE_RUN = 0.9
# A mark filling this share of its box is a solid thing (a key, a grid's square), no letter.
SOLID = 0.85
# A lone mark this many times as wide as high, this far from the writing (a share of the writing's height), is a word.
WORD_ASPECT = 2.0
WRITING_MARGIN = 0.5
# Marks under this many pixels high are specks, no type.
LOWEST_TYPE = 3
# Past this many small marks the ink is a texture, not a page of type: left to the other stages.
MOST_MARKS = 1500


def text_marks(mask: np.ndarray) -> np.ndarray | None:
    """The pixels of ``mask`` that are lines of printed text (see the module's note), or None when there are none."""
    labels, areas, slices = components(mask)
    if len(areas) < 1 + MIN_LINES:
        return None
    boxes = boxes_of(slices)
    heights, widths = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    writing = heights[(widths >= LINE_WIDTH * heights) | (heights < LINE_RUN * mask.shape[0])]
    if writing.size == 0:
        return None
    largest = min(TEXT_HEIGHT * float(writing.max()), TEXT_SHARE * max(mask.shape))
    loose = (heights <= largest) & (areas[1:] < SOLID * heights * widths)
    small = np.flatnonzero(loose & (heights >= LOWEST_TYPE))
    if small.size < MIN_LINES or small.size > MOST_MARKS:
        return None
    words = small[(widths[small] >= WORD_ASPECT * heights[small])
                  & ~near_boxes(boxes[small], boxes[heights > largest], WRITING_MARGIN * float(writing.max()))]
    if stacked(boxes[words]) < MIN_WORDS:
        words = words[:0]
    taken = in_lines(boxes, small, words)
    if taken is None:
        return None
    type_height = float(np.median(heights[taken]))
    reach = max(1, round(NEIGHBOURS * type_height))
    region = blocks(mask.shape, boxes[with_neighbours(boxes, taken, loose, reach)], round(LINE_REACH * type_height),
                    reach)
    # Marks taller than type that reach into its blocks (the writing beside it) stay.
    return region & ~np.isin(labels, np.flatnonzero(heights > largest) + 1)


def stacked(boxes: np.ndarray) -> int:
    """How many of ``boxes`` (top, bottom, left, right) stand one above another, none sharing a row with the next."""
    count, bottom = 0, -1
    for top, low in sorted(boxes[:, :2].tolist()):
        if top >= bottom:
            count, bottom = count + 1, low
        else:
            bottom = min(bottom, low)
    return count


def in_lines(boxes: np.ndarray, small: np.ndarray, words: np.ndarray) -> np.ndarray | None:
    """Which of the marks (``boxes``: top, bottom, left, right) stand in lines of type, of those whose indices are
    ``small``, each of ``words`` (a lone word) a line of its own; None when under MIN_LINES lines are found."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    top, bottom, left, right = boxes[small].T
    height = (bottom - top).astype(np.float64)
    overlap = np.minimum(bottom[:, None], bottom[None, :]) - np.maximum(top[:, None], top[None, :])
    lower = np.minimum(height[:, None], height[None, :])
    gap = np.maximum(left[:, None], left[None, :]) - np.minimum(right[:, None], right[None, :])
    beside = ((overlap >= LINE_OVERLAP * lower) & (gap <= WORD_GAP * lower)
              & (np.maximum(height[:, None], height[None, :]) <= ALIKE * lower))
    np.fill_diagonal(beside, False)
    count, line_of = connected_components(coo_matrix(beside), directed=False)
    lines = np.flatnonzero((np.bincount(line_of, minlength=count) >= MIN_WORDS)
                           | np.isin(np.arange(count), line_of[np.isin(small, words)]))
    if lines.size < MIN_LINES:
        return None
    taken = np.zeros(len(boxes), dtype=bool)
    taken[small[np.isin(line_of, lines)]] = True
    return taken


def with_neighbours(boxes: np.ndarray, taken: np.ndarray, loose: np.ndarray, reach: int) -> np.ndarray:
    """``taken`` with the ``loose`` marks (small enough for type) within ``reach`` pixels of a taken one, over and
    over: the type around the lines found (a caption of one word, a letter broken in two)."""
    taken = taken.copy()
    while True:
        near = np.flatnonzero(loose & ~taken)
        if near.size == 0:
            return taken
        touching = near_boxes(boxes[near], boxes[taken], reach)
        if not touching.any():
            return taken
        taken[near[touching]] = True


def blocks(shape: tuple[int, int], boxes: np.ndarray, margin: int, reach: int) -> np.ndarray:
    """The ``boxes`` of type grown by ``margin`` and closed over ``reach`` into blocks: the faint ink between
    letters and lines goes too."""
    from scipy import ndimage

    # Padded, so that the closing neither fills the image's corners nor eats the blocks at its sides.
    pad = reach + margin
    region = np.zeros((shape[0] + 2 * pad, shape[1] + 2 * pad), dtype=bool)
    for top, bottom, left, right in boxes:
        region[top + pad - margin:bottom + pad + margin, left + pad - margin:right + pad + margin] = True
    return ndimage.binary_closing(region, iterations=reach)[pad:pad + shape[0], pad:pad + shape[1]]


def without_text_lines(ink: np.ndarray) -> np.ndarray:
    """``ink`` without lines of printed text (``text_marks``), their faint ink too; as it is if there are none, or if
    nothing else is left."""
    mask = ink > INK_THRESHOLD
    printed = text_marks(mask)
    if printed is None or not (mask & ~printed).any():
        return ink
    return np.where(printed, 0.0, ink).astype(ink.dtype)
