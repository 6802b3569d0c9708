"""Find the sheet in a photo: paper or a sticky note lying on a desk, turned and in perspective.

The first stage of every image's path (``to_model_input``, the number reader, the API and
the page): a photo whose frame holds more than the paper (a desk, a pen, a shadowed
table) is cut down to the sheet (its paper in shadow included), turned upright along the
sheet's edges, and everything outside the sheet is replaced by the paper's own shade, so
that the ink stage sees only paper and writing. Images with no such sheet (scans, crops,
canvases, a page filling the frame, light digits on a dark panel) pass through unchanged.

Works on grey arrays, float32 in [0, 1]; scipy does the labelling and morphology.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from digits.crossing import paper_shade, without_crossing_objects
from digits.ink import CROP_SIZE, WORKING_SIZE, is_crop, rescale, robust_spread, shrink, split_level
from digits.shapes import hull_mask, hull_points, perimeter, smallest_rectangle

# Only frames at least this large can hold a photographed sheet with room around it.
MIN_SCENE_SIZE = 96
# The sheet's share of the frame: smaller is a stray bright patch, larger is a page filling the frame.
MIN_SHEET_FRACTION, MAX_SHEET_FRACTION = 0.06, 0.94
# Paper must be this much lighter than what surrounds it (grey levels, 0..1).
MIN_SHEET_CONTRAST = 0.12
# Paper is anything above this fraction of the way from the desk's shade to the lit paper's.
SHADED_PAPER = 0.35
# A second light region this large beside the largest means there is no single sheet.
RIVAL_SHARE = 0.5
# Steeper than this (change of log grey level per pixel, after a 5-pixel median) is an edge, not a shadow.
SHARP_EDGE = 0.1
# Shaded paper meets the lit paper across level ground along at least this share of their contact.
SOFT_CONTACT = 0.5
# Lit paper alone (its shade left out) is a sheet only where at least SHEET_EDGE of its rim within
# the frame is a sharp edge, the sheet's own against the desk: a page filling the frame in uneven
# light or a soft shadow has a lit part whose rim is soft nearly all round (validation desk photos
# whose sheet was found so, 6 of 600: 0.38 at the least; a sheet with the lit part of its desk:
# 0.30; pages filling the frame: 0.08 at the most). Writing is closed over first, with a square
# STROKE_CLOSING of the frame's shorter side: strokes are no edge of the paper (at 0.03, a bold 5
# across the lit part's rim gave it 0.28).
SHEET_EDGE = 0.25
STROKE_CLOSING = 0.05
# A sheet is a filled, nearly convex shape; a light digit (even a 0, once filled) is not
# mostly light inside, and ink covers only a little of a sheet.
MIN_SOLIDITY = 0.8
MIN_LIGHT_INSIDE = 0.7
# A light region filling less than SHEET_RECTANGLE of the smallest rectangle around it, on
# grey levels this flat (robust spread), is a drawing on a plain background, not a sheet on
# a desk: a digit drawn light with a broad brush, or a light scan enlarged. (Validation desks'
# sheets: rectangle fill 0.95 at the median, 0.84 at the 5th percentile; broad-brush MNIST
# digits taken for sheets: 0.56-0.85.)
SHEET_RECTANGLE = 0.85
FLAT_GROUND = 0.004
# On such a flat background, a light region with less than UNWRITTEN of its pixels (within
# its rim) darker than its own grey by WRITING_DEPTH of the contrast (no writing on it, not even
# in pencil) is itself the drawing, rectangle or not: a 1 drawn with a broad brush.
UNWRITTEN = 0.001
WRITING_DEPTH = 0.1
# The surroundings must make up this share of the frame's border, or the sheet fills the frame.
MIN_BORDER_OUTSIDE = 0.3
# Surroundings flatter than this (robust spread) are a drawing's background, not a photographed
# desk (validation desks: 0.003 at the least, 0.006 at the 5th percentile; a canvas: 0).
DRAWN_GROUND = 0.001
# In an image small and clean enough to be a crop, a sheet is only found when its surroundings
# hold this share of the frame's edge (a desk around a sticky note in a thumbnail); a bold digit
# cut out tight leaves paper along much of the edge.
RING_OUTSIDE = 0.9
# Where the paper is not lighter than the whole desk, or the desk's pattern joins it: paper is
# level, its grey level changing by less than LEVEL a pixel (log grey level, after the 5-pixel
# median; a sheet's edge against a light laminate is 0.03 or more), and lighter by
# LEVEL_CONTRAST than the ring around it (LEVEL_RING pixels out, to LEVEL_RING_SHARE of its side).
# The largest LEVEL_CANDIDATES level regions are tried.
LEVEL = 0.02
LEVEL_CONTRAST = 0.04
LEVEL_RING, LEVEL_RING_SHARE = 3, 0.05
LEVEL_CANDIDATES = 4
# Writing covers little of a sheet: at least LEVEL_INSIDE of a level sheet is level ground. A
# counter's light window is level too, but its digit takes a quarter of it or more (validation
# meter strips: 65-77 % level; sheets in photos: 90 % and more).
LEVEL_INSIDE = 0.85
# A light sheet holding a level sheet (WITHIN of it inside) that is smaller by TRIMMED, beyond which more
# than ROUGH of its pixels are no level ground, holds part of a patterned desk: the level sheet is taken
# (checked cloth or wood grain beside the sheet: 0.34-0.75; validation desk photos: none changed).
WITHIN = 0.9
TRIMMED = 0.9
ROUGH = 0.25
# Paper beyond a shadow's hard edge (``with_paper_in_hard_shadow``): a level piece within HARD_EDGE_GAP pixels of
# the sheet, at least HARD_SHADOW_PIECE of its size and HARD_SHADOW_BREADTH of its breadth (the deepest distance
# to its edge: a wooden desk's light grain along the sheet is level, but a narrow band), its grey SHADOW_FACTOR of
# the lit paper's (a shadow's depth), reaching the frame along at most SHADED_ON_FRAME of its edge.
HARD_EDGE_GAP = 3
HARD_SHADOW_PIECE = 0.15
HARD_SHADOW_BREADTH = 0.25
SHADOW_FACTOR = (0.15, 0.9)
SHADED_ON_FRAME = 0.1
# Turns smaller than this (degrees) are left alone: resampling costs more than it gives.
MIN_TURN = 2.0
# A sheet whose hull's perimeter squared is at most this many times 4π its area is round, and is
# not turned: a disc gives 1, an ellipse 0.6 times as wide as long 1.1 (a dial seen at a slant), a
# square 1.27.
ROUND = 1.1
# A light pen or cable touching the sheet, or the light grain of a wooden desk, joins it (with
# the corners the closing fills between them): an opening reaching this share of the light
# region's side (the square root of its area) in from each edge takes such narrow parts off.
NARROW_PART = 0.03


def outside_on_edge(sheet: np.ndarray) -> float:
    """The share of the frame's edge that lies outside the sheet."""
    return 1.0 - float(np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]]).mean())


def is_round(hull: np.ndarray) -> bool:
    """Whether the convex ``hull`` (its points in order) is about a circle or an ellipse: its perimeter squared at
    most ROUND times 4π its area, and filling under SHEET_RECTANGLE of its smallest rectangle (a disc fills 0.79; a
    card with rounded corners, whose perimeter is nearly a disc's, 0.95)."""
    closed = np.vstack([hull, hull[:1]]).astype(np.float64)
    area = 0.5 * abs(float(np.dot(closed[:-1, 0], closed[1:, 1]) - np.dot(closed[1:, 0], closed[:-1, 1])))
    return (area > 0 and perimeter(hull) ** 2 <= ROUND * 4 * math.pi * area
            and area < SHEET_RECTANGLE * smallest_rectangle(hull)[0])


def sheet_angle(hull: np.ndarray) -> float:
    """The turn (degrees, in [-45, 45)) of the smallest rectangle around the hull: the sheet's edges."""
    return (smallest_rectangle(hull)[1] + 45.0) % 90.0 - 45.0


def sheet_mask(grey: np.ndarray) -> np.ndarray | None:
    """The sheet's pixels (boolean, same shape), or None when the frame holds no separate sheet: the light
    sheet (``light_sheet``), unless it holds part of a patterned desk beside a level sheet (``holds_desk``), or
    else the level sheet (``level_sheet``)."""
    from scipy import ndimage

    if min(grey.shape) < MIN_SCENE_SIZE:
        return None
    smooth = ndimage.median_filter(grey, size=5)
    light, level = light_sheet(smooth), level_sheet(smooth)
    sheet = level if light is None or (level is not None and holds_desk(smooth, light, level)) else light
    return None if sheet is None else with_paper_in_hard_shadow(smooth, sheet)


def on_frame(region: np.ndarray) -> float:
    """The share of the frame's edge pixels that ``region`` holds."""
    edge = np.concatenate([region[0], region[-1], region[1:-1, 0], region[1:-1, -1]])
    return float(edge.mean())


def with_paper_in_hard_shadow(smooth: np.ndarray, sheet: np.ndarray) -> np.ndarray:
    """The sheet with its paper beyond a shadow's hard edge: level pieces beside it (within HARD_EDGE_GAP pixels)
    that are paper in shadow, the largest first.

    A shadow with a hard edge (a window frame's or an arm's in direct sunlight) steps across the
    sheet as the sheet's own edge does, so ``with_shaded_paper`` stops at it, and the lit part alone
    was cut out: a digit in the shade was lost ("no ink: the image is nearly uniform"). A piece as
    broad as paper in shadow is, a shadow's factor darker than the lit paper (``shaded_pieces``), is
    paper in shadow when it reaches the frame along at most SHADED_ON_FRAME of its edge (the desk, lit
    or in shadow, runs out of the picture), the two together are shaped and placed as a sheet (``sheet_shape``) and fill
    SHEET_RECTANGLE of the smallest rectangle around them (a sheet turned or at a slant does; the
    desk beyond a sheet's edge wraps round it), and the piece is lighter than the ring of desk beside
    it by MIN_SHEET_CONTRAST times that factor (paper in the shadow against the desk in it).
    """
    from scipy import ndimage

    for piece, factor in shaded_pieces(smooth, sheet):
        if on_frame(piece) > SHADED_ON_FRAME:
            continue
        shaped = sheet_shape(smooth, ndimage.binary_closing(sheet | piece, iterations=HARD_EDGE_GAP))
        if shaped is None or float(shaped[0].sum()) < SHEET_RECTANGLE * smallest_rectangle(shaped[2])[0]:
            continue
        ring, ring_width = ring_around(shaped[0])
        ring &= ndimage.binary_dilation(piece, iterations=ring_width + HARD_EDGE_GAP)
        if ring.any() and (float(np.median(smooth[piece])) - float(np.median(smooth[ring]))
                           >= MIN_SHEET_CONTRAST * factor):
            sheet = shaped[0]
    return sheet


def shaded_pieces(smooth: np.ndarray, sheet: np.ndarray):
    """Level pieces beside the sheet (within HARD_EDGE_GAP pixels), the largest first, as broad as paper in shadow
    (HARD_SHADOW_PIECE of the sheet's size, HARD_SHADOW_BREADTH of its breadth) and a shadow's factor of its grey
    (SHADOW_FACTOR): (piece, factor) pairs."""
    from scipy import ndimage

    labels, count = ndimage.label((log_slope(smooth) <= SHARP_EDGE) & ~sheet)
    beside = np.unique(labels[ndimage.binary_dilation(sheet, iterations=HARD_EDGE_GAP) & ~sheet])
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    lit = float(np.median(smooth[sheet]))
    breadth = float(ndimage.distance_transform_edt(sheet).max())
    for label in sorted(beside[beside > 0], key=lambda label: -areas[label]):
        if areas[label] < HARD_SHADOW_PIECE * sheet.sum():
            return
        piece = labels == label
        factor = float(np.median(smooth[piece])) / max(lit, 1e-6)
        if (SHADOW_FACTOR[0] <= factor <= SHADOW_FACTOR[1]
                and float(ndimage.distance_transform_edt(piece).max()) >= HARD_SHADOW_BREADTH * breadth):
            yield piece, factor


def light_sheet(smooth: np.ndarray) -> np.ndarray | None:
    """The sheet as the largest light region of ``smooth`` (the grey levels after a 5-pixel median), its paper in
    shadow included where it meets the lit paper across a soft edge; None when no light region is a sheet."""
    from scipy import ndimage

    split = split_level(smooth, bins=128)
    darker, lighter = smooth[smooth <= split], smooth[smooth > split]
    if darker.size == 0 or lighter.size == 0:
        return None
    desk, paper = float(np.median(darker)), float(np.median(lighter))
    # Lower than Otsu's split, so that paper in a shadow still counts as paper.
    light = smooth > desk + SHADED_PAPER * (paper - desk)
    reach = max(1, min(smooth.shape) // 40)
    largest = largest_light_region(light, reach)
    if largest is None:
        return None
    # A shadow may make paper as dark as the desk; then the lit part alone is the last resort.
    # Seeded well inside the lit part, on paper itself: the closing may have reached over a pen or the sheet's edge.
    seed = ndimage.binary_erosion(largest, iterations=reach + 2) & light
    sheet = checked_sheet(smooth, with_shaded_paper(smooth, largest, seed))
    if sheet is not None:
        return sheet
    sheet = checked_sheet(smooth, largest)
    if sheet is None:
        # The lighter bands of a desk's grain or cloth can join the sheet at the lower level: Otsu's split.
        largest = largest_light_region(smooth > split, reach)
        sheet = None if largest is None else checked_sheet(smooth, largest)
    return sheet if sheet is not None and has_sharp_edge(smooth, sheet) else None


def holds_desk(smooth: np.ndarray, light: np.ndarray, level: np.ndarray) -> bool:
    """Whether the light sheet holds part of a patterned desk: a level sheet lies within it (WITHIN of it),
    smaller by TRIMMED at least, and more than ROUGH of what the light sheet holds beyond it (LEVEL_RING pixels
    clear) is no level ground. Paper in a shadow beside the lit paper is level; checked cloth or wood grain whose
    light parts reach the paper's level is not."""
    from scipy import ndimage

    if (level & light).sum() < WITHIN * level.sum() or level.sum() > TRIMMED * light.sum():
        return False
    beyond = light & ~ndimage.binary_dilation(level, iterations=LEVEL_RING)
    return bool(beyond.any()) and float((log_slope(smooth)[beyond] >= LEVEL).mean()) > ROUGH


def largest_light_region(light: np.ndarray, reach: int) -> np.ndarray | None:
    """The largest light region once closed over ``reach`` pixels; None when there is none, or a rival nearly as large."""
    from scipy import ndimage

    # Close gaps a pen lying across the sheet leaves, so the sheet stays one piece.
    # (Padded with the frame's own edge first: a closing would otherwise eat into the border.)
    closed = ndimage.binary_closing(np.pad(light, reach, mode="edge"), iterations=reach)[reach:-reach, reach:-reach]
    labels, count = ndimage.label(closed)
    if count == 0:
        return None
    areas = np.bincount(labels.ravel())[1:]
    if count > 1 and np.sort(areas)[-2] >= RIVAL_SHARE * areas.max():
        # Several light regions alike (a counter's windows, cards side by side): no one sheet.
        return None
    return labels == 1 + int(np.argmax(areas))


def with_shaded_paper(smooth: np.ndarray, lit: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The lit paper and the paper in shadow beside it: what is reached from ``seed`` without crossing a sharp
    edge, and meets the lit paper mostly across a soft one (SOFT_CONTACT of their contact).

    Light falls off smoothly across a shadow's edge, a few per cent a pixel; a sheet's edge
    is a step. The median filter has already taken out ruled lines and thin strokes.
    """
    from scipy import ndimage

    level_ground = log_slope(smooth) <= SHARP_EDGE
    labels, _ = ndimage.label(level_ground)
    reached = np.unique(labels[seed & level_ground])
    added = ndimage.binary_closing(np.isin(labels, reached[reached > 0]), iterations=2) & ~lit
    # Shaded paper meets the lit paper across the shadow's soft edge. What meets it across a
    # sharp edge along most of their contact was reached through a gap in the sheet's edge
    # (where a pen lies across it): the desk.
    pieces, count = ndimage.label(added)
    if count == 0:
        return lit
    contact = ndimage.binary_dilation(lit, iterations=2) & added
    touching = np.bincount(pieces[contact], minlength=count + 1)
    soft = np.bincount(pieces[contact & level_ground], minlength=count + 1)
    shaded = np.flatnonzero(soft >= SOFT_CONTACT * np.maximum(touching, 1))
    return lit | np.isin(pieces, shaded[shaded > 0])


def log_slope(image: np.ndarray) -> np.ndarray:
    """How steeply the log of the grey level changes at each pixel: a shadow's edge is soft, a sheet's a step."""
    return np.hypot(*np.gradient(np.log(image + 0.02)))


def has_sharp_edge(smooth: np.ndarray, sheet: np.ndarray) -> bool:
    """Whether at least SHEET_EDGE of the sheet's rim within the frame is a sharp edge (SHARP_EDGE), writing
    closed over: lit paper with an edge of its own, not the lit part of a page whose light falls off."""
    from scipy import ndimage

    closing = max(3, round(STROKE_CLOSING * min(smooth.shape)))
    slope = log_slope(ndimage.grey_closing(smooth, size=closing))
    rim = sheet & ~ndimage.binary_erosion(sheet, iterations=2)
    rim[:3], rim[-3:], rim[:, :3], rim[:, -3:] = False, False, False, False
    if not rim.any():
        return False
    return float((ndimage.maximum_filter(slope, size=5)[rim] > SHARP_EDGE).mean()) >= SHEET_EDGE


def checked_sheet(smooth: np.ndarray, paper: np.ndarray) -> np.ndarray | None:
    """The sheet that ``paper`` (its paper's pixels) fills, if it looks like one lying on a desk; else None."""
    shaped = sheet_shape(smooth, paper)
    if shaped is None:
        return None
    sheet, paper, _ = shaped
    if float(np.median(smooth[paper])) - float(np.median(smooth[~sheet])) < MIN_SHEET_CONTRAST:
        return None
    return sheet


def sheet_shape(smooth: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The sheet that ``paper`` fills, its paper and its hull, if it is shaped and placed as a sheet on a desk
    (its contrast aside); else None."""
    from scipy import ndimage
    from scipy.spatial import ConvexHull

    sheet = without_narrow_parts(ndimage.binary_fill_holes(paper))
    paper = paper & sheet
    share = sheet.mean()
    if not MIN_SHEET_FRACTION <= share <= MAX_SHEET_FRACTION:
        return None
    if paper.sum() / sheet.sum() < MIN_LIGHT_INSIDE:
        return None
    if outside_on_edge(sheet) < MIN_BORDER_OUTSIDE:
        return None
    hull = hull_points(sheet)
    if len(hull) < 3 or sheet.sum() / ConvexHull(hull).volume < MIN_SOLIDITY:
        return None
    if is_drawing_on_plain_ground(smooth, sheet, hull):
        return None
    return sheet, paper, hull


def level_sheet(smooth: np.ndarray) -> np.ndarray | None:
    """The sheet as the largest level region lighter than its surroundings and rectangular; None when there is none.

    Used when no light region is the sheet, because the paper is not lighter than the whole desk
    (a light laminate, a pink note on grey marble, a desk lit unevenly) or the desk's pattern
    joins it (checked cloth, marble veins, wood grain), and to trim a light sheet holding part of
    such a desk (``holds_desk``): paper is level, and its edge is a step. Regions where
    the grey level changes by less than LEVEL a pixel are labelled; the largest few are tried
    (a patterned desk's level parts are narrow, its plain parts hemmed by the frame).
    """
    from scipy import ndimage

    labels, _ = ndimage.label(log_slope(smooth) < LEVEL)
    areas = np.bincount(labels.ravel())[1:]
    found = []
    for index in np.argsort(areas)[::-1][:LEVEL_CANDIDATES]:
        if areas[index] < MIN_SHEET_FRACTION / 2 * smooth.size:
            break
        # Closed over the blur along the edges of ruled lines the median filter left.
        sheet = level_checked(smooth, ndimage.binary_closing(labels == index + 1, iterations=2))
        if sheet is not None:
            found.append(sheet)
    if not found or (len(found) > 1 and found[1].sum() >= RIVAL_SHARE * found[0].sum()):
        return None
    return found[0]


def level_checked(smooth: np.ndarray, paper: np.ndarray) -> np.ndarray | None:
    """The sheet that a level region fills, if it is a sheet: photographed paper (DRAWN_GROUND), mostly level
    (LEVEL_INSIDE), lighter than the ring around it by LEVEL_CONTRAST, rectangular (SHEET_RECTANGLE) as well as
    shaped and placed as one; its convex hull, so that writing at its edge is kept."""
    from scipy import ndimage

    shaped = sheet_shape(smooth, paper)
    if shaped is None:
        return None
    sheet, paper, hull = shaped
    if paper.sum() < LEVEL_INSIDE * sheet.sum():
        return None
    # Photographed paper always varies a little; the white between a drawn or scanned digit's strokes (under
    # an enlarged 7's bar) is flat.
    if robust_spread(smooth[paper]) < DRAWN_GROUND:
        return None
    if float(sheet.sum()) < SHEET_RECTANGLE * smallest_rectangle(hull)[0]:
        return None
    ring, _ = ring_around(sheet)
    if not ring.any() or float(np.median(smooth[paper])) - float(np.median(smooth[ring])) < LEVEL_CONTRAST:
        return None
    hull = hull_mask(sheet, (0, 0), sheet.shape)
    # The hull is the sheet: it too must leave the desk room around it.
    if hull.mean() > MAX_SHEET_FRACTION or outside_on_edge(hull) < MIN_BORDER_OUTSIDE:
        return None
    return hull


def ring_around(sheet: np.ndarray) -> tuple[np.ndarray, int]:
    """The ring of desk around ``sheet``, LEVEL_RING pixels out to LEVEL_RING_SHARE of its side, and that width."""
    from scipy import ndimage

    width = max(LEVEL_RING, round(LEVEL_RING_SHARE * math.sqrt(sheet.sum())))
    return ndimage.binary_dilation(sheet, iterations=width) & ~ndimage.binary_dilation(sheet, iterations=LEVEL_RING), width


def without_narrow_parts(sheet: np.ndarray) -> np.ndarray:
    """The light region without its narrow parts (a light pen lying against it), in one piece: the largest.

    An opening whose reach from each edge is NARROW_PART of the region's side takes off what is
    narrower than about twice that along the rows and columns, and about 1.4 times that across a
    diagonal (iterated, the opening's shape is a diamond).
    """
    from scipy import ndimage

    width = max(2, round(NARROW_PART * math.sqrt(sheet.sum())))
    # Padded with the frame's own edge first: the frame cuts a sheet, it does not narrow it.
    opened = ndimage.binary_opening(np.pad(sheet, width, mode="edge"), iterations=width)[width:-width, width:-width]
    labels, count = ndimage.label(opened)
    if count == 0:
        return opened
    return labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))


def is_drawing_on_plain_ground(smooth: np.ndarray, sheet: np.ndarray, hull: np.ndarray) -> bool:
    """Whether a light region taken for a sheet is rather a light drawing on a plain background.

    A digit drawn with a broad brush, light on black (a canvas export), is solid enough to
    pass for a sheet, with its loops' holes for the writing. But its background is flat
    (``FLAT_GROUND``: a photographed desk always varies), and either nothing is written on it
    (a broad 1 is a light rectangle with no holes), or it is no rectangle (it fills less than
    ``SHEET_RECTANGLE`` of the smallest one around it, where a sheet, turned, seen at a slant
    or cut by the frame, fills more). Its holes need not be the background's grey: an 8×8
    scan enlarged, light on dark, has broad strokes of uneven grey, whose darker parts
    passed for writing on a sheet.
    """
    from scipy import ndimage

    outside = smooth[~sheet]
    if outside.size == 0 or robust_spread(outside) >= FLAT_GROUND:
        return False
    ground = float(np.median(outside))
    # Within its rim, what is darker than the region's own grey by a share of its contrast is writing.
    inside = smooth[ndimage.binary_erosion(sheet, iterations=2)]
    own = float(np.median(inside)) if inside.size else ground
    if inside.size and np.mean(inside < own - WRITING_DEPTH * (own - ground)) < UNWRITTEN:
        # Nothing written on it: a broad light stroke (a 1), however rectangular.
        return True
    return float(sheet.sum()) < SHEET_RECTANGLE * smallest_rectangle(hull)[0]


def find_sheet(grey: np.ndarray) -> np.ndarray:
    """The sheet alone, upright, the surroundings painted in the paper's shade; ``grey`` itself when there is none.

    Returns float32 grey levels in [0, 1], at most ``WORKING_SIZE`` pixels a side (and, for a
    sheet cut out of a photo, at least ``CROP_SIZE``: ``as_photo``).
    """
    image = shrink(grey, WORKING_SIZE)
    sheet = sheet_mask(image)
    return grey if sheet is None else cut_out(grey, image, sheet)


def cut_out(grey: np.ndarray, image: np.ndarray, sheet: np.ndarray) -> np.ndarray:
    """The ``sheet`` (its mask on ``image``, ``grey`` shrunk) cut out of ``grey`` and turned upright (``find_sheet``)."""
    from scipy import ndimage

    if is_crop(grey) and (outside_on_edge(sheet) < RING_OUTSIDE
                          or np.median(image[sheet]) - np.median(image[~sheet]) < LEVEL_CONTRAST):
        # A crop in two clean tones: the background a bold digit cuts into pieces is no sheet.
        # A small photo of a sheet on a desk is two clean tones too, but the desk rings the sheet,
        # darker than it: paper around paper (a bold 1's base and stem fencing part of its crop) is none.
        return grey
    # A photographed desk always varies; a drawing's background (a canvas) is flat.
    photographed = robust_spread(image[~sheet]) >= DRAWN_GROUND
    # The sheet's rim is blurred into the desk: keep clear of it.
    margin = max(2, round(0.02 * math.sqrt(sheet.sum())))
    inner = ndimage.binary_erosion(sheet, iterations=margin)
    if inner.sum() < MIN_SHEET_FRACTION * sheet.sum():
        return grey
    paper = float(np.median(image[inner]))  # fills the corners a turn opens; replaced below
    hull = hull_points(sheet)
    # A round face (a meter's dial) has no edges to set upright by: its smallest rectangle's turn is any.
    angle = 0.0 if is_round(hull) else sheet_angle(hull)
    if abs(angle) >= MIN_TURN:
        image = np.asarray(Image.fromarray(image, mode="F").rotate(angle, resample=Image.Resampling.BILINEAR,
                                                                   expand=True, fillcolor=paper), dtype=np.float32)
        turned = Image.fromarray(inner.astype(np.uint8) * 255).rotate(angle, resample=Image.Resampling.NEAREST,
                                                                        expand=True)
        inner = np.asarray(turned) > 127
    rows = np.flatnonzero(inner.any(axis=1))
    columns = np.flatnonzero(inner.any(axis=0))
    window = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
    image, inner = image[window], inner[window]
    image = without_crossing_objects(image, inner)
    # Outside the sheet, continue the nearest paper's shade (shadows included; writing, or a dark
    # thing on the rim, left out), so that no edge or smear is left to look like ink.
    nearest = ndimage.distance_transform_edt(~inner, return_distances=False, return_indices=True)
    cut_out = np.where(inner, image, paper_shade(image)[nearest[0], nearest[1]]).astype(np.float32)
    return as_photo(cut_out) if photographed else cut_out


def as_photo(sheet: np.ndarray) -> np.ndarray:
    """The sheet cut out of a photo, enlarged to at least ``CROP_SIZE`` a side if smaller.

    A small sheet (a sticky note far away) is still a photo: the ink stage must not take it
    for a crop in two clean tones (``is_crop``), which it would be when a shadow's edge splits
    the paper into a lit and a shaded tone and the writing is faint. (Only photos: on a
    background flatter than DRAWN_GROUND, the image is drawn, not photographed.)
    """
    longer = max(sheet.shape)
    return sheet if longer >= CROP_SIZE else rescale(sheet, CROP_SIZE / longer, Image.Resampling.BILINEAR)
