"""Paint over dark things that reach onto the sheet from outside it: a pen, a cable, the desk's clutter.

Part of finding the sheet (``digits.scene.find_sheet``), once the sheet is cut out and set
upright: what lies across its edge is not writing, while writing near the edge, a number's
last digit running up to it, a pen lying onto a digit and the lines of ruled paper are kept.
Works on grey arrays, float32 in [0, 1], at the working size.
"""

from __future__ import annotations

import math

import numpy as np

from digits.ink import MAX_SHADOW, bridged, on_one_line, principal_axis, straight_runs, to_the_degree

# How much darker than the paper an object must be to count as lying across the sheet.
CROSSING_DARKNESS = 0.15
# Dark pieces apart from the sheet's edge this large (pixels at the working size) are writing.
MIN_WRITING_PIXELS = 20
# Objects from the edge closer to the writing than this share of its height may be writing themselves.
NEAR_WRITING = 0.8
# Writing apart from an object reaching in, under this share of the object's pixels, is a piece of it when the
# object is at most PIECE_SPAN of the picture's longer side across and the piece within PIECE_NEAR of that of it.
PIECE_OF_WRITING = 0.2
PIECE_SPAN = 0.5
PIECE_NEAR = 0.5
# Ink as dark as the writing's within this factor may be the same pen's.
SAME_INK = 1.3
# A straight bar (a pen's end) is this many times longer than it is wide, and longer than
# PEN_LENGTH times the writing's height; a digit touching the edge is not (a 1, or a 7 cut by
# the edge, is as long as the writing is tall). The number reader takes lone pens out by PEN_LENGTH
# too (and pens touching a digit by its own PEN_ONTO_DIGIT_LENGTH).
BAR_ELONGATION = 4.0
PEN_LENGTH = 1.5
# A pen across the edge that touches a digit leaves at least this share of a digit's ink on the line;
# on the sheet, its straight part is at least PEN_ONTO_DIGIT times the writing's height (the rest
# of it lies on the desk, out of the cut-out).
PEN_DIGIT_SHARE = 0.3
PEN_ONTO_DIGIT = 1.0
# Directions of straight parts are sought every LINE_STEP degrees, then to the degree.
LINE_STEP = 3
# Pixels past the sheet's inner edge in which an object must stay dark to count as lying across it.
EDGE_RING = 2
# Printed lines of ruled or squared paper are at most this many pixels thick at the working size.
PRINTED_LINE = 4
# ... and stay at least this much darker than the paper all along.
PRINTED_LEVEL = 0.04


def without_crossing_objects(image: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Paint over dark things that reach the sheet's edge from outside it (a pen, a cable, the desk's clutter).

    Writing stays inside the sheet. A dark object that goes on past the sheet's inner edge
    (writing near the edge mostly ends on paper first) is removed whole when writing lies
    apart from it, the object is not a digit beside that writing (as dark, close, on its
    line, and no straight bar longer than the writing is tall), it is not a pen lying onto a
    digit (``pens_onto_digits``), and it holds no wide dark area no deeper than a shadow
    (``digits.ink.MAX_SHADOW``: a shadow, which writing in it may join). Otherwise only the
    part running from the sheet's rim that a long straight line fits in (an opening along the
    object's own direction) and a wide square does not (a shadow is wide, a pen is not) is
    removed, so writing a pen touches stays, and the strokes the pen crossed are joined again
    (``digits.ink.bridged``). The paper under it is ``paper_shade``.
    """
    from scipy import ndimage

    short_side = min(image.shape)
    paper = paper_shade(image)
    darkness = paper - image
    # The sheet and a thin ring past its inner edge: an object lying across the edge stays
    # dark in the ring, while writing that only comes near the edge ends on paper before it.
    reach = ndimage.binary_dilation(inner, iterations=EDGE_RING)
    dark = reach & (darkness > CROSSING_DARKNESS)
    # Ruled or squared paper's lines run to the edge, and writing crosses them: they join no
    # object (the ink stage takes them out), so the writing is not taken for something reaching in.
    dark &= ~printed_lines(np.clip(darkness, 0.0, 1.0))
    labels, count = ndimage.label(dark, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return image
    crossing = np.unique(labels[dark & ~inner])
    crossing = crossing[crossing > 0]
    if crossing.size == 0:
        return image
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    apart = np.setdiff1d(np.arange(1, count + 1), crossing)
    wide = ndimage.binary_opening(dark, structure=np.ones((short_side // 12 + 1,) * 2, dtype=bool))
    whole = digits_at_edge = np.array([], dtype=crossing.dtype)
    writing = np.isin(labels, apart[areas[apart] >= MIN_WRITING_PIXELS])
    if writing.any():
        rows = np.flatnonzero(writing.any(axis=1))
        height = rows[-1] - rows[0] + 1
        # A digit of a number may run up to the edge beside the others: what comes this close
        # to the writing and is as dark as it may be writing, and only its straight parts can go.
        distance = ndimage.distance_transform_edt(~writing)
        gap = np.asarray(ndimage.minimum(distance, labels, crossing))
        near = gap < NEAR_WRITING * height
        # Measured against the paper's own shade: a shadow darkens paper and ink alike, by a factor.
        relative = darkness / np.maximum(paper, 1e-3)
        level = np.asarray(ndimage.median(relative, labels, crossing)) / float(np.median(relative[writing]))
        # On the writing's line: it reaches no further above or below the writing than it may lie beside it.
        row_of = np.broadcast_to(np.arange(image.shape[0])[:, None], image.shape)
        in_line = ((np.asarray(ndimage.minimum(row_of, labels, crossing)) >= rows[0] - NEAR_WRITING * height)
                   & (np.asarray(ndimage.maximum(row_of, labels, crossing)) <= rows[-1] + NEAR_WRITING * height))
        bar = np.array([is_bar(*np.nonzero(labels == label), PEN_LENGTH * height) for label in crossing])
        like_writing = near & in_line & (np.abs(np.log(level)) < math.log(SAME_INK)) & ~bar
        # Writing apart from it that is a small piece of it (a 7's crossbar beside the 7 that runs to the edge)
        # sets no measure: a stroke that is no bar, with no part as wide as a pen lying near the camera, no
        # larger than PIECE_SPAN of the picture (a cloth's pattern reaching round the sheet) and within
        # PIECE_NEAR of its own size of the piece (a cable curling in far from it is none), is writing.
        wide_pixels = np.bincount(labels[wide], minlength=count + 1)[crossing]
        extent = np.array([max(box[0].stop - box[0].start, box[1].stop - box[1].start)
                           for box in ndimage.find_objects(labels)])[crossing - 1]
        like_writing |= ((areas[crossing] * PIECE_OF_WRITING >= writing.sum()) & (wide_pixels == 0) & ~bar
                         & (extent <= PIECE_SPAN * max(image.shape)) & (gap <= PIECE_NEAR * extent))
        # A shadow's wide part darkens the paper by at most MAX_SHADOW; a pen's, near the camera, is
        # wide too, but darker.
        deep_pixels = np.bincount(labels[wide & (darkness > MAX_SHADOW)], minlength=count + 1)[crossing]
        shadowy = (wide_pixels >= 0.1 * areas[crossing]) & (2 * deep_pixels <= wide_pixels)
        pens = pens_onto_digits(labels, crossing[near & ~like_writing & ~shadowy], inner, wide, writing)
        whole = crossing[~like_writing & ~shadowy & ~np.isin(crossing, pens)]
        digits_at_edge = crossing[like_writing]
    length = max(9, short_side // 4)
    straight = straight_parts(labels, np.setdiff1d(crossing, np.concatenate([whole, digits_at_edge])), inner, wide,
                              length)
    # A digit at the edge would lose its own straightest stroke (a 7's, a 1's) to the line most
    # of it lies on: there, only the direction by the rim is looked along.
    straight |= straight_parts(labels, digits_at_edge, inner, wide, length, densest=False)
    covered = np.isin(labels, whole) | straight
    if not covered.any():
        return image
    painted = np.where(ndimage.binary_dilation(covered, iterations=2), paper, image)
    # Where a pen's straight part crossed writing, the strokes it hid are drawn on again.
    band = ndimage.binary_dilation(straight, iterations=2) & inner
    return paper - bridged(paper - painted, band)


def paper_shade(image: np.ndarray) -> np.ndarray:
    """The paper's shade without what lies on it: a closing (maximum, then minimum) over a window
    a sixth of the shorter side wide, which removes dark structures narrower than that (strokes, a pen)."""
    from scipy import ndimage

    window = max(9, min(image.shape) // 6)
    return ndimage.minimum_filter(ndimage.maximum_filter(image, size=window), size=window)


def pens_onto_digits(labels: np.ndarray, candidates: np.ndarray, inner: np.ndarray, wide: np.ndarray,
                     writing: np.ndarray) -> np.ndarray:
    """Of the objects ``candidates`` (labels) reaching in, those that are a pen lying onto a digit.

    Pen and digit make one object: it has a straight part longer than PEN_ONTO_DIGIT times the
    ``writing``'s height, and without that part and its rim (an eighth of that height) at
    least PEN_DIGIT_SHARE of a digit's ink is left on the writing's line. Only the pen's
    straight part is then to go.
    """
    from scipy import ndimage

    rows = np.flatnonzero(writing.any(axis=1))
    height = rows[-1] - rows[0] + 1
    straight = straight_parts(labels, candidates, inner, wide, round(PEN_ONTO_DIGIT * height))
    on_line = np.zeros(labels.shape, dtype=bool)
    on_line[rows[0]:rows[-1] + 1] = True
    rim = ndimage.binary_dilation(straight, iterations=max(2, round(height / 8)))
    left = np.bincount(labels[on_line & ~rim], minlength=labels.max() + 1)
    digit = np.median(np.bincount(labels[writing])[np.unique(labels[writing])])
    return candidates[np.isin(candidates, labels[straight]) & (left[candidates] >= PEN_DIGIT_SHARE * digit)]


def is_bar(rows: np.ndarray, columns: np.ndarray, length: float) -> bool:
    """Whether pixels form a straight bar longer than ``length``: more than BAR_ELONGATION times longer than wide."""
    elongation, angle = principal_axis(rows, columns)
    return elongation > BAR_ELONGATION and np.ptp(columns * math.cos(angle) + rows * math.sin(angle)) > length


def printed_lines(darkness: np.ndarray) -> np.ndarray:
    """The thin lines running along the upright sheet's rows or columns: ruled or squared paper's print.

    ``darkness`` is how much darker than the paper each pixel is. A line is a band along a
    row (or column) that stays darker than the paper by PRINTED_LEVEL for a third of the
    sheet's shorter side (a pixel of leeway across, for a line that steps between rows:
    thresholded alone, a faint line breaks into dashes), and no thicker than PRINTED_LINE
    pixels at crossing darkness; a stroke crossing it is thicker across and no part of it.
    """
    from scipy import ndimage

    length = max(9, min(darkness.shape) // 3)
    lines = np.zeros(darkness.shape, dtype=bool)
    for along, across in ((1, 0), (0, 1)):
        widened = ndimage.maximum_filter1d(darkness, 3, axis=across)
        band = ndimage.maximum_filter1d(ndimage.minimum_filter1d(widened, length, axis=along), length, axis=along)
        thick = ndimage.maximum_filter1d(ndimage.minimum_filter1d(darkness, PRINTED_LINE + 1, axis=across),
                                         PRINTED_LINE + 1, axis=across)
        lines |= (band > PRINTED_LEVEL) & (thick <= CROSSING_DARKNESS)
    return lines


def straight_parts(labels: np.ndarray, crossing: np.ndarray, inner: np.ndarray, wide: np.ndarray,
                   length: int, densest: bool = True) -> np.ndarray:
    """Of the objects ``crossing`` (labels) the sheet's edge, the parts straight for ``length`` pixels, not ``wide``,
    that run from the sheet's rim: looked for along the object's direction by the rim and, with
    ``densest``, along the line most of it lies on, whichever holds more of it."""
    from scipy import ndimage

    short_side = min(labels.shape)
    covered = np.zeros(labels.shape, dtype=bool)
    if crossing.size == 0:
        return covered
    near_rim = ~ndimage.binary_erosion(inner, iterations=max(3, short_side // 10))
    for label in crossing:
        member = labels == label
        if np.count_nonzero(member & near_rim) < 10:
            continue
        # The object's direction by the sheet's rim (a pen's end lying across it), or the one along
        # which most of it lies on one line (a pen's, when little of it lies by the rim): whichever
        # holds more of it in straight runs.
        angles = [principal_axis(*np.nonzero(member & near_rim))[1]]
        if densest:
            rows, columns = np.nonzero(member)
            coarse = max(range(0, 180, LINE_STEP),
                         key=lambda degrees: on_one_line(rows, columns, math.radians(degrees)))
            angles.append(to_the_degree(rows, columns, coarse, LINE_STEP))
        along = max((straight_runs(member, length, angle) & ~wide for angle in angles), key=np.count_nonzero)
        # Only a straight part that runs from the sheet's rim: one further in is a stroke of a digit the object holds.
        pieces, _ = ndimage.label(along, structure=np.ones((3, 3), dtype=bool))
        from_rim = np.unique(pieces[along & near_rim])
        covered |= np.isin(pieces, from_rim[from_rim > 0])
    return covered
