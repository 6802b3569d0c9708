"""A counter's dark windows in a lighter face: the face painted in the windows' shade.

A mechanical meter often shows light digits on dark wheels, each behind a window in a white
or grey face. Then the windows are the darkest, largest things in the picture and the face
around them the lightest: the ink stage would take the windows for ink and the digits for
holes in it. When dark regions that are nearly rectangles, inside the picture (not touching
its frame), hold thin light marks, they are windows: everything outside the hulls of the dark
regions of a window's size is painted the windows' shade, and what is left is light digits
on dark ground, as any other strip.

A dark digit on paper is no window: its strokes fill little of any rectangle, and a heavy
ring (a bold 0) holds one wide light blob, not thin marks.
"""

from __future__ import annotations

import numpy as np

from digits.ink import border

# Windows are at least this much darker than the face around them (grey levels in [0, 1]).
MIN_WINDOW_CONTRAST = 0.15
# A window (its holes filled) fills at least this share of the smallest rectangle around it.
WINDOW_RECTANGLE = 0.85
# The light marks inside a window cover this share of it: a digit, not a speck or a hole.
MARKS_SHARE = (0.03, 0.5)
# The marks are strokes: nowhere wider than this share of the window's shorter side (twice
# the deepest distance to their edge).
MAX_STROKE = 0.3
# The windows together cover at least this share of the picture.
MIN_WINDOWS_SHARE = 0.05
# Pixels of a window's rim left out with the face.
RIM = 2


def is_window(window: np.ndarray, marks: np.ndarray) -> bool:
    """Whether a dark region (``window``, holes filled) holding ``marks`` is a counter's window."""
    from scipy import ndimage

    from digits.scene import hull_points, smallest_rectangle

    share = marks.sum() / window.sum()
    if not MARKS_SHARE[0] <= share <= MARKS_SHARE[1]:
        return False
    area, _ = smallest_rectangle(hull_points(window))
    if window.sum() < WINDOW_RECTANGLE * area:
        return False
    stroke = 2 * float(ndimage.distance_transform_edt(marks).max())
    return stroke <= MAX_STROKE * min(window.shape)


def hull_mask(region: np.ndarray, corner: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """The convex hull of ``region`` (whose top-left pixel is ``corner`` in a picture of ``shape``) as a mask."""
    from PIL import Image, ImageDraw

    from digits.scene import hull_points

    points = hull_points(region) + [corner[1], corner[0]]
    mask = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(mask).polygon([tuple(point) for point in points], fill=1, outline=1)
    return np.asarray(mask)


def within_dark_windows(grey: np.ndarray) -> np.ndarray:
    """``grey`` with a counter's light face painted its dark windows' shade; ``grey`` itself when there are none."""
    from scipy import ndimage

    if min(grey.shape) < 16:
        return grey
    body = float(np.median(border(grey)))
    darkest = float(np.percentile(grey, 2))
    if body - darkest < MIN_WINDOW_CONTRAST:
        return grey
    dark = grey < (body + darkest) / 2
    labels, _ = ndimage.label(dark)
    edge = set(np.unique(border(labels)).tolist())
    regions, windows = [], []
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None or label in edge:
            continue
        filled = ndimage.binary_fill_holes(labels[box] == label)
        if filled.sum() >= 64:
            regions.append((box, filled))
            if is_window(filled, filled & ~dark[box]):
                windows.append(filled)
    if sum(int(window.sum()) for window in windows) < MIN_WINDOWS_SHARE * grey.size:
        return grey
    # Every dark region about a window's size is one, its digit kept even where it touches the
    # window's edge (and so failed the test above): what lies outside their hulls is the face.
    least = 0.25 * float(np.median([window.sum() for window in windows]))
    inside = np.zeros_like(dark)
    for box, filled in regions:
        if filled.sum() >= least:
            inside |= hull_mask(filled, (box[0].start, box[1].start), grey.shape)
    # A window's rim is blurred into the face: keep clear of it, as of a sheet's.
    inside = ndimage.binary_erosion(inside, iterations=RIM)
    shade = float(np.median(grey[inside & dark]))
    return np.where(inside, grey, shade).astype(np.float32)
