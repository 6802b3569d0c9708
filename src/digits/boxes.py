"""A form's printed boxes around the writing: a box around a digit, or a comb of them, taken out.

Forms ask for a digit per box, or print a comb: a long box with a bar between the places.
In the ink such a box is one piece of thin straight lines around the writing, and the
model sees a square with a digit in it ("this does not look like a digit"). A piece is a
box when each of its four sides is a straight line of ink (found where most of its topmost
pixels in each column lie, its bottommost, its leftmost and rightmost in each row: writing
may stand out beyond it), its lines are thin beside its size, and there is writing inside it. Its sides, and the bars that run from its top to its
bottom, are taken out; the writing stays, but where a stroke crosses a line.

A square 0 has nothing inside; a digital 8's bars are as thick as a fifth of it, no thin line.

A crop that a form's field segmentation cut out holds one side of its box at an edge
(``edge_lines``): rows (or columns) at the frame's edge that ink crosses nearly all the way,
a crisp line (the rows beside it are no such line), at most half as thick as the writing's
strokes. A 7's bar at the top of a tight crop is written with the same pen as the rest, and
no thinner; a line that runs along the whole edge apart from the writing may be as thick as the
pen; with a pen too thin to measure, or a frame under MIN_BOX across (a 1 filling a
narrow crop), nothing is taken.

A frame whose lines are thick or soft (a counter's wheel in its rim, in a photo; a row of
wheels whose rims touch) is found by what it holds instead (``framed_places``): a
rectangle with writing in its holes. Frames go whole when they hold two places or more
together (a counter, or one pane holding a row of them), not a single glyph drawn as a box
around a stroke.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digits.ink import INK_THRESHOLD, components, stroke_width
from digits.shapes import boxes_of, rectangle_fill
from digits.windows import MIN_WINDOWS, WINDOW_RECTANGLE

# A side is a straight line of ink along this share of its length, within NEAR pixels of the
# line that most of its outermost pixels lie on (writing may cross it and stand out beyond).
STRAIGHT = 0.9
NEAR = 2
# Sides are turned at most this much (rise over run: about 6 degrees); looked at in SLOPES steps.
MAX_SLOPE = 0.1
SLOPES = 41
# A box's lines are at most this share of its shorter side thick (a digital 8's bars are a fifth).
MAX_LINE = 0.06
# Boxes smaller than this many pixels a side are no form's boxes.
MIN_BOX = 16
# Writing inside a box covers at least this share of its inside.
MIN_WRITING = 0.01
# A bar runs from the box's top to its bottom: it covers this share of the rows between them.
BAR_SPAN = 0.9
# A frame (a counter's window rim, a box drawn by hand or turned in a photo) is a piece whose
# holes holding writing cover ENCLOSED of it (holes filled), the writing in each at least
# INSIDE_HEIGHT of the hole's height and, all told, INSIDE_AREA of the frame's pixels.
ENCLOSED = 0.4
INSIDE_HEIGHT = 0.3
INSIDE_AREA = 0.15
# A box's side cut by the frame lies within EDGE_BAND of the frame's side, its rows crossed by
# ink along STRAIGHT of their length and the rows beside them along less than BESIDE_LINE; it
# is at most THINNER times as thick as the other ink's strokes, and those are at least
# MEASURABLE_PEN pixels wide: a thinner stroke is all rim, and ``ink.stroke_width`` gives it 2,
# so a thin pen's own bar would pass for a line thinner than the pen.
EDGE_BAND = 0.1
BESIDE_LINE = 0.5
THINNER = 0.5
# A piece of a box's lines has this share of its pixels along its own box's sides.
ALONG_SIDES = 0.9
MEASURABLE_PEN = 3.0
# A side that runs along WHOLE_EDGE of the frame and stands a pen's width clear of the writing may be as thick
# as the pen: a form's line printed as thick as a fine pen writes, with the digit clear of it.
WHOLE_EDGE = 0.97


def side(piece: np.ndarray, first: bool) -> np.ndarray | None:
    """The top side of ``piece`` (``first``; else the bottom) as a row per column, or None when it is no straight
    line of ink: the line most of the outermost pixels lie on, which the piece follows along STRAIGHT of its length."""
    edge = outermost(piece, first)
    places = np.flatnonzero(~np.isnan(edge))
    if len(places) < STRAIGHT * len(edge):
        return None
    # The turn that puts most outermost pixels within NEAR of one line; writing that crosses
    # the side, and the corners where it turns into the next, lie off it.
    slopes = np.linspace(-MAX_SLOPE, MAX_SLOPE, SLOPES)
    residuals = edge[places][None, :] - slopes[:, None] * places[None, :]
    offsets = np.median(residuals, axis=1)
    near = np.abs(residuals - offsets[:, None]) <= NEAR
    best = int(np.argmax(near.sum(axis=1)))
    if near[best].mean() < 0.5:
        return None
    slope, offset = np.polyfit(places[near[best]], edge[places][near[best]], 1)
    line = slope * np.arange(len(edge)) + offset
    rows = np.arange(piece.shape[0])[:, None]
    followed = (piece & (np.abs(rows - line[None, :]) <= NEAR)).any(axis=0)
    return line if followed.mean() >= STRAIGHT else None


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
    sides = [side(piece, True), side(piece, False), side(piece.T, True), side(piece.T, False)]
    if any(found is None for found in sides):
        return None
    top, bottom, left, right = sides
    line = max(thickness(piece, top), thickness(piece[::-1], height - 1 - bottom),
               thickness(piece.T, left), thickness(piece.T[::-1], width - 1 - right))
    if line > MAX_LINE * min(height, width):
        return None
    reach = line + NEAR
    rows, columns = np.mgrid[0:height, 0:width]
    lines = ((np.abs(rows - top[None, :]) <= reach) | (np.abs(rows - bottom[None, :]) <= reach)
             | (np.abs(columns - left[:, None]) <= reach) | (np.abs(columns - right[:, None]) <= reach))
    within = ~lines & (rows > top[None, :]) & (rows < bottom[None, :]) & (columns > left[:, None]) & (columns < right[:, None])
    # Bars: a line's width of columns (and a pixel each side, for a turn) covering nearly all
    # rows between top and bottom; a stroke beside a bar keeps all but what touches it.
    band = int(line) + 2
    covered = ndimage.maximum_filter1d((piece & within).astype(np.uint8), band, axis=1).sum(axis=0)
    bars = covered >= BAR_SPAN * max(float(np.median(bottom - top)) - 2 * reach, 1.0)
    # A bar is as thin as the box's lines: a 1 written from the top line to the bottom is thicker.
    runs, count = ndimage.label(bars)
    for run in range(1, count + 1):
        columns = runs == run
        rows = within[:, columns].any(axis=1)
        if np.median((piece & within)[rows][:, columns].sum(axis=1)) > line + NEAR:
            bars[columns] = False
    lines |= bars[None, :] & within
    if (inside_ink & within & ~lines).sum() < MIN_WRITING * within.sum():
        return None
    return piece & lines


def framed_places(piece: np.ndarray, inside_ink: np.ndarray, area: int) -> int:
    """How many places with writing ``piece`` (one piece of ink of ``area`` pixels, cut to its box) frames, or 0 when
    it is no frame: its outline nearly a rectangle (``digits.windows.rectangle_fill``), and holes with writing in them
    (``inside_ink``: all the ink in the same cut) covering much of it. Its lines need be neither thin nor straight; a 0
    or an 8 holds no writing, a circle around a digit is no rectangle. A hole holding glyphs side by side (a counter's
    wheels behind one pane) counts each."""
    height, width = piece.shape
    if min(height, width) < MIN_BOX:
        return 0
    filled = ndimage.binary_fill_holes(piece)
    holes, count = ndimage.label(filled & ~piece)
    if count == 0 or rectangle_fill(filled) < WINDOW_RECTANGLE:
        return 0
    index = np.arange(1, count + 1)
    sizes = np.bincount(holes.ravel(), minlength=count + 1)[1:]
    held = np.bincount(holes[inside_ink], minlength=count + 1)[1:]
    rows = np.arange(height)[:, None].repeat(width, axis=1)
    hole_height = (np.asarray(ndimage.maximum(rows, holes, index)) - np.asarray(ndimage.minimum(rows, holes, index)) + 1)
    inside = np.where(inside_ink, holes, 0)
    ink_height = np.where(held > 0, np.asarray(ndimage.maximum(rows, inside, index)) - np.asarray(
        ndimage.minimum(rows, inside, index)) + 1, 0)
    writing = (ink_height >= INSIDE_HEIGHT * hole_height) & (held >= MIN_WRITING * sizes)
    if sizes[writing].sum() < ENCLOSED * filled.sum() or held[writing].sum() < INSIDE_AREA * area:
        return 0
    places = 0
    for hole in index[writing]:
        glyphs, _ = ndimage.label(inside == hole)
        tall = sum(1 for box in ndimage.find_objects(glyphs)
                   if box is not None and box[0].stop - box[0].start >= INSIDE_HEIGHT * hole_height[hole - 1])
        places += max(1, tall)
    return places


def edge_lines(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` that are a box's side at an edge of the frame (see the module's note)."""
    lines = np.zeros_like(mask)
    if min(mask.shape) < MIN_BOX:
        return lines
    for turn in range(4):
        # Each side of the frame in turn as the top.
        seen = np.rot90(mask, turn)
        coverage = seen.mean(axis=1)
        crossed = coverage[:max(2, round(EDGE_BAND * len(coverage)))] >= STRAIGHT
        if not crossed.any():
            continue
        first = int(np.argmax(crossed))
        last = first + int(np.argmin(np.append(crossed[first:], False)))
        before = coverage[first - 1] if first > 0 else 0.0
        after = coverage[last] if last < len(coverage) else 0.0
        if max(before, after) >= BESIDE_LINE:
            continue
        rest = seen.copy()
        rest[first:last] = False
        if rest.sum() < MIN_WRITING * rest.size:
            continue
        pen = stroke_width(rest)
        thickest = THINNER * pen
        if (coverage[first:last] >= WHOLE_EDGE).all() and apart_from_writing(seen, last, round(pen)):
            thickest = pen
        if pen < MEASURABLE_PEN or last - first > thickest:
            continue
        line = np.zeros_like(seen)
        line[first:last] = seen[first:last]
        lines |= np.rot90(line, -turn)
    return lines


def apart_from_writing(seen: np.ndarray, last: int, gap: int) -> bool:
    """Whether the line ending at row ``last`` of ``seen`` stands apart from the writing: the ink in the rows up
    to it ends within NEAR rows past it, and the ``gap`` rows after those hold no ink (a pen's width: a 5's
    bar written apart from its stem stands closer)."""
    labels, _, slices = components(seen)
    crossing = np.unique(labels[:last])
    ends = [slices[label - 1][0].stop for label in crossing[crossing > 0]]
    end = max(ends, default=last)
    return end <= last + NEAR and not seen[end:end + gap].any()


def without_hairlines(ink: np.ndarray) -> np.ndarray:
    """``ink`` without pieces of a box's lines whose strokes are at most THINNER as wide as the writing's, when that is
    at least MEASURABLE_PEN wide: what is left of a box whose thin lines broke apart in a photo. One pen writes one
    width. The writing's width is the median of its marks' (``stray_marks.writing_marks``: no blob, no thin bar, no
    speck); a piece of a box's lines lies along its own box's sides (``along_sides``: a line, or a corner). As it is
    if there are none."""
    from digits.stray_marks import writing_marks

    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    if len(areas) < 3:
        return ink
    writing = writing_marks(boxes_of(slices), areas)
    if not writing.any():
        return ink
    widths = np.array([stroke_width(labels[box] == label) for label, box in enumerate(slices, start=1)])
    pen = float(np.median(widths[writing]))
    if pen < MEASURABLE_PEN:
        return ink
    thin = [label for label in np.flatnonzero(widths <= THINNER * pen) + 1
            if along_sides(labels[slices[label - 1]] == label)]
    if not thin:
        return ink
    taken = np.isin(labels, thin)
    return np.where(ndimage.binary_dilation(taken, iterations=1), 0.0, ink).astype(ink.dtype)


def along_sides(piece: np.ndarray) -> bool:
    """Whether ALONG_SIDES of ``piece``'s pixels (cut to its box) lie within NEAR pixels of the box's sides: a
    straight line, or two meeting at a corner; a stroke of writing curves through its box."""
    height, width = piece.shape
    rows, columns = np.nonzero(piece)
    near = ((rows < NEAR) | (rows >= height - NEAR) | (columns < NEAR) | (columns >= width - NEAR))
    return float(near.mean()) >= ALONG_SIDES


def without_boxes(ink: np.ndarray) -> np.ndarray:
    """``ink`` with the lines of printed boxes around the writing taken out (``box_lines``), frames
    (``framed_places``) when they hold MIN_WINDOWS places or more together (a counter's windows, not one
    glyph drawn as a box around a stroke), and a box's side at the frame's edge (``edge_lines``); as it is
    if none."""
    mask = ink > INK_THRESHOLD
    labels, areas, slices = components(mask)
    taken = np.zeros_like(mask)
    frames, places = np.zeros_like(mask), 0
    for label, box in enumerate(slices, start=1):
        if box is None:
            continue
        piece = labels[box] == label
        lines = box_lines(piece, mask[box])
        if lines is not None:
            taken[box] |= lines
            continue
        held = framed_places(piece, mask[box], areas[label])
        if held:
            frames[box] |= piece
            places += held
    if places >= MIN_WINDOWS:
        taken |= frames
    taken |= edge_lines(mask)
    if not taken.any():
        return ink
    # The lines' soft edges go with them.
    return np.where(ndimage.binary_dilation(taken, iterations=1), 0.0, ink).astype(ink.dtype)
