"""A counter's dark windows in a lighter face: the face painted in the windows' shade.

A mechanical meter often shows light digits on dark wheels, each behind a window in a white
or grey face. Then the windows are the darkest, largest things in the picture and the face
around them the lightest: the ink stage would take the windows for ink and the digits for
holes in it. When two or more dark regions of about one size, side by side in a row, away
from the picture's border (its outer twentieth), are nearly rectangles holding thin light
marks, they are windows: everything outside the hulls of the dark regions of a window's size
is painted the windows' shade, and what is left is light digits on dark ground, as any other
strip. The windows must cover a twentieth of the picture, or, for a counter far away in a photo
(a meter on a wall), a two-hundredth when the windows stand side by side and every one holds a
mark half its shorter side high: a wheel's digit is, a key's letter mostly is not.

Light wheels holding dark digits in a dark frame or housing are the same on the negative:
there the wheels are dark windows holding light digits, and the frame, however it is shaded,
lies near the negative's lightest grey, which then stands for the face.

Many counters show all their wheels behind one pane instead: one dark window holding a row of
light digits. When no row of windows is found, such a pane will do (``pane``): it holds at
least two marks each ROW_MARK of its height, and they cover at most PANE_MARKS of it, since
light wheels in a dark frame hold dark digits and cover more (the negative's windows, or the
ink stage, read those).

Dark writing on paper is no window: strokes fill little of any rectangle, and a bold 0 or 8
is an oval or two, not a rectangle. A single dark label on a sheet holding one digit is no
counter either.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from digits.ink import WORKING_SIZE, border, shrink
from digits.shapes import hull_mask, hull_points, rectangle_fill, rectangle_sides, smallest_rectangle

# Windows are at least this much darker than the face around them (grey levels in [0, 1]).
MIN_WINDOW_CONTRAST = 0.15
# A window (its holes filled) fills at least this share of the smallest rectangle around it.
WINDOW_RECTANGLE = 0.85
# The light marks inside a window cover this share of it: a digit, not a speck or a hole.
MARKS_SHARE = (0.03, 0.5)
# The marks are strokes: nowhere wider than this share of the window's shorter side (twice
# the deepest distance to their edge).
MAX_STROKE = 0.3
# A counter has at least this many windows, each within this factor of their median area,
# their centres within this share of the median height of the median centre's row.
MIN_WINDOWS = 2
ALIKE_AREA = 2.0
SAME_ROW = 0.5
# The windows together cover at least this share of the picture; a counter far away in a photo
# (a meter on a wall) at least SMALL_COUNTER_SHARE, when every window holds a mark at least
# TALL_DIGIT of its shorter side high: a wheel's digit, not a key's letter or a form's tick.
MIN_WINDOWS_SHARE = 0.05
SMALL_COUNTER_SHARE = 0.005
TALL_DIGIT = 0.5
# Such a small counter's windows also stand side by side, the gap to the next at most this share of
# their median width (wheels: a fifth to a half).
NEXT_WINDOW = 1.0
# Dark regions smaller than this many pixels are specks, never windows.
MIN_REGION = 64
# Dark regions at least this share of a window's median area are windows too (one whose digit
# touches its edge fails the window test).
WINDOW_SIZED = 0.25
# Pixels of a window's rim left out with the face.
RIM = 2
# The face is painted the grey at this percentile of the windows' dark pixels: their deepest
# shade, not their median. A wheel's cylinder shading leaves its ends nearer the face's grey,
# and with the face painted the median, the ends of light wheels stood out as ink.
WINDOW_GROUND = 20
# A pane holds at least MIN_WINDOWS marks at least this share of its shorter side high, covering
# at most PANE_MARKS of it, and covers at least MIN_PANE_SHARE of the picture. (Plates whose
# digits stand 0.32-0.36 of their pane high were missed at 0.4.)
ROW_MARK = 0.25
PANE_MARKS = 0.3
MIN_PANE_SHARE = 0.02
# A pane's dim columns are brightened at most this many times (``evened``); fainter ones are left.
MAX_GAIN = 3.0
# Failing that, a pane is looked for darker than this share of the way from the darkest grey to the face's.
DEEP_PANE = 0.25

# A counter's digits are as light as this percentile of the windows' pixels.
DIGIT_LEVEL = 99
# Wheels of another shade (``with_odd_wheels``): at most this many beyond either end of the windows' row, in gaps at
# least 1 + SLOT_SPARE pitches wide, ODD_EVEN of a slot in one piece near the wheel's shade.
ODD_WHEELS = 3
SLOT_SPARE = 0.5
ODD_EVEN = 0.4
# Windows (their upright boxes, wider than they are when the strip is turned) stand at least this share of their width
# apart, centre to centre, to have slots beside them.
MIN_PITCH = 0.75
# An odd wheel's grey is at least ODD_FROM_FACE from the face's right around the windows (red wheels beside white ones
# in a black housing, drawn here: 0.05-0.45; slots holding a unit printed on the face: 0.00).
ODD_FROM_FACE = 0.04
# An odd wheel (the hull of its even part) covers at least this share of its slot, a window's box.
ODD_COVER = 0.7

# A window: its box in the picture, and its mask (holes filled) within that box.
Window = tuple[tuple[slice, slice], np.ndarray]


def is_window(window: np.ndarray, marks: np.ndarray) -> bool:
    """Whether a dark region (``window``, holes filled) holding ``marks`` is a counter's window."""
    share = marks.sum() / window.sum()
    if not MARKS_SHARE[0] <= share <= MARKS_SHARE[1]:
        return False
    if rectangle_fill(window) < WINDOW_RECTANGLE:
        return False
    stroke = 2 * float(ndimage.distance_transform_edt(marks).max())
    return stroke <= MAX_STROKE * min(window.shape)


def shorter_side(region: np.ndarray) -> float:
    """The shorter side, in pixels, of the smallest rectangle around ``region``."""
    hull = hull_points(region)
    if len(hull) < 3:
        return 1.0
    return min(rectangle_sides(hull, smallest_rectangle(hull)[1])) + 1.0


def mark_heights(window: np.ndarray, marks: np.ndarray) -> list[float]:
    """The height of each separate mark of ``marks`` in ``window``, as a share of its shorter side."""
    labels, _ = ndimage.label(marks)
    side = shorter_side(window)
    return [(box[0].stop - box[0].start) / side for box in ndimage.find_objects(labels) if box is not None]


def covers_enough(counter: list[Window], dark: np.ndarray, one_pane: bool) -> bool:
    """Whether the windows of a counter (or ``one_pane``) cover enough of the picture (``dark``: its dark pixels):
    MIN_PANE_SHARE for a pane, MIN_WINDOWS_SHARE for a row of windows, or SMALL_COUNTER_SHARE for a row side by
    side whose every window holds a mark TALL_DIGIT of its shorter side high."""
    covered = sum(int(filled.sum()) for _, filled in counter) / dark.size
    if one_pane or covered >= MIN_WINDOWS_SHARE:
        return covered >= (MIN_PANE_SHARE if one_pane else MIN_WINDOWS_SHARE)
    return (covered >= SMALL_COUNTER_SHARE and side_by_side(counter)
            and all(max(mark_heights(filled, filled & ~dark[box]), default=0.0) >= TALL_DIGIT
                    for box, filled in counter))


def side_by_side(windows: list[Window]) -> bool:
    """Whether ``windows`` stand side by side, each apart from the next by at most NEXT_WINDOW of their median
    width: a counter's wheels, not bold 0s of one (their holes are windows on the negative) a wheel apart."""
    spans = sorted((box[1].start, box[1].stop) for box, _ in windows)
    width = float(np.median([stop - start for start, stop in spans]))
    return all(following[0] - previous[1] <= NEXT_WINDOW * width for previous, following in zip(spans, spans[1:]))


def tall_marks(window: np.ndarray, marks: np.ndarray) -> int:
    """How many separate ``marks`` in ``window`` are at least ROW_MARK of its shorter side high."""
    return sum(1 for height in mark_heights(window, marks) if height >= ROW_MARK)


def pane(windows: list[Window], dark: np.ndarray) -> list[Window]:
    """The largest of ``windows`` (box, filled mask) that holds a row of light digits (see the module's note), as a
    list of one; [] if none."""
    rows = []
    for box, filled in windows:
        marks = filled & ~dark[box]
        if marks.sum() <= PANE_MARKS * filled.sum() and tall_marks(filled, marks) >= MIN_WINDOWS:
            rows.append((box, filled))
    return [max(rows, key=lambda window: int(window[1].sum()))] if rows else []


def counter_windows(windows: list[Window]) -> list[Window]:
    """The windows of one counter among ``windows`` (box, filled mask): alike in size and in a row; [] if too few."""
    if len(windows) < MIN_WINDOWS:
        return []
    areas = np.array([float(filled.sum()) for _, filled in windows])
    centres = np.array([(box[0].start + box[0].stop) / 2 for box, _ in windows])
    height = float(np.median([box[0].stop - box[0].start for box, _ in windows]))
    median_area, median_centre = float(np.median(areas)), float(np.median(centres))
    alike = ((areas <= ALIKE_AREA * median_area) & (areas >= median_area / ALIKE_AREA)
             & (np.abs(centres - median_centre) <= SAME_ROW * height))
    return [window for window, keep in zip(windows, alike) if keep] if alike.sum() >= MIN_WINDOWS else []


def within_dark_windows(grey: np.ndarray, one_pane: bool = False, face: float | None = None,
                        depth: float = 0.5) -> np.ndarray:
    """A counter's light face painted its dark windows' shade (at most ``WORKING_SIZE`` a side); ``grey`` if none.
    With ``one_pane``, the face around a single pane (``pane``) instead of a row of windows. The face's grey is
    ``face``, or if None the picture border's median. Dark is darker than ``depth`` of the way from the darkest
    grey to the face's."""
    if min(grey.shape) < 16:
        return grey
    image = shrink(grey, WORKING_SIZE)
    face = float(np.median(border(image))) if face is None else face
    darkest = float(np.percentile(image, 2))
    if face - darkest < MIN_WINDOW_CONTRAST:
        return grey
    dark = image < darkest + depth * (face - darkest)
    labels, count = ndimage.label(dark)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    edge = set(np.unique(border(labels)).tolist())
    regions, windows = [], []
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None or sizes[label] < MIN_REGION:
            continue
        filled = ndimage.binary_fill_holes(labels[box] == label)
        regions.append((box, filled, label in edge))
        if label not in edge and is_window(filled, filled & ~dark[box]):
            windows.append((box, filled))
    counter = pane(windows, dark) if one_pane else counter_windows(windows)
    if not covers_enough(counter, dark, one_pane):
        return grey
    if one_pane:
        regions = [(box, filled, False) for box, filled in counter]
    median_area = float(np.median([filled.sum() for _, filled in counter]))
    row = float(np.median([(box[0].start + box[0].stop) / 2 for box, _ in counter]))
    height = float(np.median([box[0].stop - box[0].start for box, _ in counter]))
    inside = np.zeros_like(dark)
    for box, filled, at_edge in regions:
        # A window the picture's edge cuts (a turned strip's first or last) is one when it is of
        # a window's size and in their row; the desk or a housing beyond the frame is not.
        if at_edge and (filled.sum() > ALIKE_AREA * median_area
                        or abs((box[0].start + box[0].stop) / 2 - row) > SAME_ROW * height):
            continue
        if filled.sum() >= WINDOW_SIZED * median_area:
            inside |= hull_mask(filled, (box[0].start, box[1].start), image.shape)
    # A window's rim is blurred into the face: keep clear of it, as of a sheet's.
    # The face right around the windows (a housing, a frame), for wheels of another shade (``with_odd_wheels``).
    around = ndimage.binary_dilation(inside, iterations=2 * RIM) & ~ndimage.binary_dilation(inside, iterations=RIM)
    inside = ndimage.binary_erosion(inside, iterations=RIM)
    if not (inside & dark).any():
        return grey
    ground = float(np.percentile(image[inside & dark], WINDOW_GROUND))
    found = np.where(inside, image, ground).astype(np.float32)
    if one_pane:
        return evened(found, ground, round(height))
    shades = Shades(ground, float(np.percentile(image[inside], DIGIT_LEVEL)),
                    float(np.median(image[around])) if around.any() else face)
    return with_odd_wheels(found, image, counter, shades)


class Shades(NamedTuple):
    """A counter's greys where its windows are dark: the windows' ground, their digits' light, and the face right
    around them."""

    ground: float
    digit: float
    face: float


def wheel_slots(counter: list[Window], shape: tuple[int, int]) -> list[list[tuple[slice, slice]]]:
    """Where wheels beside ``counter``'s windows would lie, a window's pitch apart along their row, inside the picture:
    three lists of boxes, in the gaps between windows, then outwards from the last and from the first, nearest first
    (see ``with_odd_wheels``)."""
    boxes = sorted((box for box, _ in counter), key=lambda box: box[1].start)
    columns = np.array([(box[1].start + box[1].stop) / 2 for box in boxes])
    rows = np.array([(box[0].start + box[0].stop) / 2 for box in boxes])
    pitch = float(np.median(np.diff(columns)))
    width = float(np.median([box[1].stop - box[1].start for box in boxes]))
    height = float(np.median([box[0].stop - box[0].start for box in boxes]))
    if pitch < MIN_PITCH * width:
        return [[], [], []]
    slope, intercept = np.polyfit(columns, rows, 1) if len(boxes) >= 3 else (0.0, float(np.median(rows)))
    inner = [float(left + step * pitch) for left, right in zip(columns, columns[1:])
             for step in range(1, round((right - left) / pitch)) if right - left >= (1 + SLOT_SPARE) * pitch]
    outer = [[float(columns[-1] + step * pitch) for step in range(1, ODD_WHEELS + 1)],
             [float(columns[0] - step * pitch) for step in range(1, ODD_WHEELS + 1)]]
    groups = []
    for group in [inner, *outer]:
        boxes = []
        for column in group:
            row = slope * column + intercept
            box = (slice(round(row - height / 2), round(row + height / 2)),
                   slice(round(column - width / 2), round(column + width / 2)))
            if box[0].start < 0 or box[1].start < 0 or box[0].stop > shape[0] or box[1].stop > shape[1]:
                break
            boxes.append(box)
        groups.append(boxes)
    return groups


def odd_wheel(pixels: np.ndarray, shades: Shades) -> tuple[np.ndarray, float, float] | None:
    """A wheel of another shade than the face's in ``pixels`` (a slot's box, none of the windows' own shade: see
    ``with_odd_wheels``), holding a digit: the hull of its even part (within half the way from its median grey to the
    slot's farthest) as a mask, its shade and the digit's direction from it (+1 lighter, -1 darker); None if the slot
    holds none."""
    shade = float(np.median(pixels))
    if abs(shade - shades.face) < ODD_FROM_FACE:
        return None
    darkest, lightest = np.percentile(pixels, [1, 99])
    near = np.abs(pixels - shade) < max(shade - darkest, lightest - shade) / 2
    labels, count = ndimage.label(near)
    if count == 0:
        return None
    largest = labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    if largest.sum() < ODD_EVEN * pixels.size:
        return None
    wheel = hull_mask(largest, (0, 0), pixels.shape)
    if wheel.sum() < ODD_COVER * pixels.size:
        return None
    marks = wheel & ~near
    if not MARKS_SHARE[0] <= marks.sum() / wheel.sum() <= MARKS_SHARE[1]:
        return None
    if max(mark_heights(wheel, marks), default=0.0) < TALL_DIGIT:
        return None
    direction = 1.0 if float(np.median(pixels[marks])) > shade else -1.0
    return wheel, shade, direction


def with_odd_wheels(found: np.ndarray, image: np.ndarray, counter: list[Window], shades: Shades) -> np.ndarray:
    """``found`` (a counter's face painted its windows' ground) with wheels of another shade painted in as windows.

    A meter's last wheels are often red (the tenths), or one wheel was replaced: the window test, made on one
    shade, finds the others and paints the odd ones over with the face, and their digits were lost (a
    light-wheeled counter read 2452 for 245226). Slots a window's pitch apart along the windows' row are looked
    at (``wheel_slots``): in gaps, then from either end outwards, ODD_WHEELS at most a side, the first slot that
    holds no wheel ending the row on its side. A slot of the windows' own shade holds one of theirs; a wheel of
    another shade (``odd_wheel``) differs from theirs by MIN_WINDOW_CONTRAST and from the face right around the
    windows by ODD_FROM_FACE (a unit printed beside the counter is on the face), is mostly even, covers most of its
    slot and holds a digit as tall as a window's. Its digit, light or dark on it, is painted light on the windows'
    ground, as strong as theirs (``painted_wheel``).
    """
    if len(counter) < MIN_WINDOWS:
        return found
    found = found.copy()
    inner, *outer = wheel_slots(counter, image.shape)
    for boxes, ends_row in [(inner, False)] + [(boxes, True) for boxes in outer]:
        for box in boxes:
            if image[box].size < MIN_REGION:
                break
            if abs(float(np.median(image[box])) - shades.ground) < MIN_WINDOW_CONTRAST:
                continue
            wheel = odd_wheel(image[box], shades)
            if wheel is None and ends_row:
                break
            if wheel is not None:
                found[box] = painted_wheel(image[box], found[box], wheel, shades)
    return found


def painted_wheel(pixels: np.ndarray, found: np.ndarray, wheel: tuple[np.ndarray, float, float],
                  shades: Shades) -> np.ndarray:
    """An odd wheel's slot (``pixels``; ``found``, as painted so far) with the wheel painted as a window: its digit's
    rise from the wheel's shade, scaled so that its strongest is the windows' digits' light, on their ground."""
    mask, shade, direction = wheel
    rise = np.clip(direction * (pixels - shade), 0.0, None)
    top = max(float(np.percentile(rise[mask], 99)), 1e-6)
    painted = shades.ground + np.clip(rise / top, 0.0, 1.0) * (shades.digit - shades.ground)
    inside = ndimage.binary_erosion(mask, iterations=RIM)
    return np.where(inside, painted, found).astype(np.float32)


def evened(image: np.ndarray, ground: float, reach: int) -> np.ndarray:
    """A pane's light digits brought to one brightness along it (``image``: the pane, its face painted ``ground``):
    each column's rise over the ground stretched to the brightest column's, as far as the brightest within
    ``reach`` of it (about a wheel's width: the pane's height) rises, when that is at least 1/MAX_GAIN of the
    brightest's; fainter columns (a smudge, noise) are left as they are. A shadow or a cover's tint across part of
    a pane dims its digits, and the number reader leaves out ink fainter than half the strongest (a smudge): the
    dim 1 of 15994 went, and 5994 was read."""
    near = ndimage.maximum_filter1d(image.max(axis=0) - ground, size=max(1, reach))
    top = float(near.max())
    if top <= 0:
        return image
    gain = np.where(near >= top / MAX_GAIN, top / np.maximum(near, 1e-6), 1.0)
    return np.clip(ground + (image - ground) * gain[None, :], 0.0, 1.0).astype(np.float32)


def within_windows(grey: np.ndarray) -> np.ndarray:
    """``within_dark_windows``, or for a counter's light windows in a darker face (black digits on white wheels in
    a black frame or housing) the same on the negative, its face the negative's lightest grey, turned back: dark
    digits on a face painted the wheels' light. Failing both, a single dark pane of light digits."""
    found = within_dark_windows(grey)
    if found is not grey or min(grey.shape) < 16:
        return found
    negative = (1.0 - grey).astype(np.float32)
    # The housing is the negative's lightest grey; a face of a middle grey (between the light wheels and their dark
    # digits) is the picture's border, as for dark windows.
    for face in (1.0 - float(np.percentile(shrink(grey, WORKING_SIZE), 2)), None):
        found = within_dark_windows(negative, face=face)
        if found is not negative:
            return (1.0 - found).astype(np.float32)
    found = within_dark_windows(grey, one_pane=True)
    if found is not grey:
        return found
    # A shadow cast across the face joins the pane at half the way to the face's grey, and the two are no
    # rectangle: nearer the pane's own darkness, the shadow falls away.
    return within_dark_windows(grey, one_pane=True, depth=DEEP_PANE)
