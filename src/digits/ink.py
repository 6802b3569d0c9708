"""Finding the ink in an image: polarity, uneven lighting, noise, printed lines, stray specks, stroke width.

These are the steps ``digits.preprocess.to_model_input`` and the number reader share.
Everything works on grey arrays, float32 in [0, 1]. NumPy does the arithmetic; scipy's
labelling and morphology are imported only for images that need them (large photos,
thin or very thick strokes), so that small inputs answer quickly.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from PIL import Image

# Larger images are shrunk first: a digit needs only 20 pixels in the end.
WORKING_SIZE = 512
# Smaller ones (8×8 to 27×27 scans) are enlarged to the model's frame first (Lanczos): their ink
# is then found, measured and boxed as a larger digit's is. `real_world.py --part validation --only
# low --count 3000`: 98.10 % read right before, 98.40 % after.
SMALLEST_WORKING = 28
# Images under this many pixels a side are crops or low-resolution digits, evenly lit.
SMALL_IMAGE = 64
# Up to this size, an image in two clean tones (a form field's cut-out, a printed digit)
# is taken as a crop too: a digit touching its frame, not a photo with shadows.
CROP_SIZE = 256
# Two tones: their medians this far apart, and under this share of pixels beyond either
# median by half that gap (ink in a shadow lies far below the shadowed paper).
TWO_TONE_GAP = 0.3
OUTLYING_SHARE = 0.01
# A border with at least this share of each class is mixed: the digit touches the frame.
MIXED_BORDER = 0.2
# Narrow structures rising at least this share of the strongest rise are strokes or corners of lit paper.
NARROW_RISE = 0.5
# In a photo, a mixed border means a shadow or the desk only where its two classes lie this far
# apart: light falling off gently across a scanned page (12 grey levels over its width) splits a
# border by 0.04; a desk or a shadow on 300 validation desk photos split it by 0.06 or more.
SHADE_GAP = 0.05
# Pieces of a class under this share of a crop are noise, not a stroke or a corner of background.
PIECE_SHARE = 0.01
# A class in one piece fewer than the other, covering at least BACKGROUND_SHARE of the crop
# and its border (on average) and BACKGROUND_RING of the border alone, is the background: a 5
# or 7 whose bar stands apart is in two pieces. (A bold 1 cut out tight covers most of its
# crop too, but less of the border: the frame cuts the paper at its sides.)
BACKGROUND_SHARE = 0.65
BACKGROUND_RING = 0.7
# A class covering MOSTLY_IMAGE of a crop and MOSTLY_RING of its border is the background however
# many pieces either class is in: a box line at the crop's edge and a digit broken in two are three
# dark pieces beside the paper's one. (A bold 1 cut out tight covers less of the border.)
MOSTLY_IMAGE = 0.8
MOSTLY_RING = 0.75
# How much more light narrow structures must stand out (grey levels) to be taken for light ink in a photo.
CLEAR_LEAD = 0.05
# Both tails this far from the border's level: the border is a third tone (a frame, a counter's body).
FAR_TAILS = 0.2
# The widest disc (radius in pixels at the working size) that ``bridged`` closes with: a pen
# band up to about 44 pixels wide; a 120-pixel band's closing took two minutes.
BRIDGE_RADIUS = 24
# A photo's polarity under a hard shadow is checked again within a window this many times less
# than its shorter side, at this percentile (``ink_is_dark``).
THIN_WINDOW_DIVISOR = 24
THIN_PERCENTILE = 99.0
# Printed lines: at least MIN_RULED_LINES parallel ones of ink above RULING_INK, each crossing
# LINE_SPAN of the image, turned at most MAX_RULING_TURN degrees (the sheet is set upright
# first), and thinner than RULING_THICKNESS pixels.
RULING_INK = 0.1
LINE_SPAN = 0.6
MIN_RULED_LINES = 3
MAX_RULING_TURN = 12.0
RULING_THICKNESS = 5
RULING_PRESENT = 0.7
# Once a ruling is found, its lines are cut out where they run this share of the image
# (shorter where the sheet's corner or the writing's end breaks them off).
CUT_SPAN = 0.4
# Below this contrast between ink and background (0..1) there is no digit.
MIN_CONTRAST = 0.1
# Faint marks (under SMALL_MARKS) whose strongest ink, leaving out only this share of the image's
# pixels, stands out by MIN_CONTRAST are read: a faint pencil 1 a tenth of a photo's height
# covers about 0.04 % of it, and with a thousandth left out its ink was not counted ("nearly uniform").
FAINT_SHARE = 0.0003
# After normalisation, pixels above this are ink.
INK_THRESHOLD = 0.3
# Marks this clear that cover under a thousandth of an image are too small to read, not absent.
SMALL_MARKS = 0.3
# Clear marks too few for the whole image are looked at in the paper around them when that
# is at most this share of the image.
CLOSER_SHARE = 0.25
# Background noise (standard deviation, 0..1) above which an image with no clear ink is noisy, not uniform.
NOISY = 0.05
# A crop's noise is measured on the background away from the strokes when that holds at least this share of it.
INNER_PAPER = 0.2
# Fewer ink pixels than this fraction of the image (or than MIN_INK_PIXELS) is no digit.
MIN_INK_FRACTION = 0.0005
MIN_INK_PIXELS = 4
# Components smaller than this fraction of the largest are specks, not strokes.
SPECK_FRACTION = 0.04
# A straight mark reaching within MARGIN_REACH of two opposite sides, MARGIN_ELONGATION times longer than wide, is a
# printed line (``without_margin_lines``).
MARGIN_REACH = 0.03
MARGIN_ELONGATION = 20.0
# ... and lies in the outer MARGIN_SIDE of the image across it, where a margin is ruled (a 1 stands in the middle),
# in an image at most STRIP_ASPECT times longer than wide (a strip cut round a line of writing is left alone).
MARGIN_SIDE = 0.25
STRIP_ASPECT = 3.0
# Ink lying within this many rows or columns of the frame's edge only is no digit's.
FRAME_SLIVER = 2
# MNIST strokes, measured as area / half the boundary on the 20-pixel box: median 3.2,
# 1st to 99th percentile 2.1 to 4.9. Strokes outside [THIN, THICK] are brought to TARGET.
THIN_STROKE, THICK_STROKE, TARGET_STROKE = 2.0, 7.0, 2.8
MIN_MEASURABLE = 12
# Pens wider than this many pixels are square (separable, so a long hair-thin line stays fast).
LARGEST_DISK = 15
# The shadow-following background's window: this fraction of the image's shorter side,
# wider than the strokes of a digit that fills the frame.
SHADOW_WINDOW_DIVISOR = 6
# A shadow darkens paper by at most this much (grey levels); a heavy stroke wider than the
# window stands out by more, so the shadow-following background never rises above it.
MAX_SHADOW = 0.4
# A mark whose rim takes more than SOFT_RAMP times as many pixels to rise to its strongest ink
# (over the median slope along its rim) as the sharpest writing's, and more than SOFT_PIXELS at
# the working size, is a shadow's corner, not writing. In photos of single digits beside shadows
# cast by polygons: shadow corners 15-24 pixels, 6-10 times the digit's. In validation desk photos:
# a digit's marks 4.9 pixels at the median, 12.7 at the 99th percentile; an MNIST digit enlarged
# to a third of the sheet, blurred, about 8, 3.3 times a pen's lying beside it.
SOFT_RAMP = 3.0
SOFT_PIXELS = 12.0
# A mark whose strongest ink is under this share of the image's strongest is faint: one pen
# writes a number, and such marks are a smudge or a counter window's edge (``digits.number``),
# unless only a shadow made them so. Then their dark ink is divided by their paper's light as
# a share of the best-lit paper's, taken as no less than DEEPEST_SHADE (ink at most doubled),
# within SHADE_REACH pixels of their ink (its soft edges).
FAINT_INK = 0.5
DEEPEST_SHADE = 0.5
SHADE_REACH = 2


class NoDigitError(ValueError):
    """The image holds no ink that could be a digit; the message says why."""


class SmallWritingError(NoDigitError):
    """Clear marks too small to read in the whole image, all in one small place: ``region`` is the paper around
    them, (top, bottom, left, right) as shares of the image's height and width."""

    def __init__(self, reason: str, region: tuple[float, float, float, float]):
        super().__init__(reason)
        self.region = region


def resize(array: np.ndarray, width: int, height: int, method=Image.Resampling.BOX) -> np.ndarray:
    return np.asarray(Image.fromarray(array.astype(np.float32), mode="F").resize((width, height), method),
                      dtype=np.float32)


def rescale(grey: np.ndarray, scale: float, method=Image.Resampling.BOX) -> np.ndarray:
    """The image with both sides multiplied by ``scale`` (at least one pixel)."""
    height, width = grey.shape
    return resize(grey, max(1, round(width * scale)), max(1, round(height * scale)), method)


def shrink(grey: np.ndarray, limit: int = WORKING_SIZE) -> np.ndarray:
    """Shrink so the longer side is at most ``limit`` (area averaging keeps thin strokes)."""
    scale = limit / max(grey.shape)
    return grey if scale >= 1 else rescale(grey, scale)


def working_scale(shape: tuple[int, ...]) -> float:
    """How much ``working_size`` scales an image of ``shape``: under 1 shrinks it, over 1 enlarges it."""
    longer = max(shape)
    return WORKING_SIZE / longer if longer > WORKING_SIZE else max(1.0, SMALLEST_WORKING / longer)


def working_size(grey: np.ndarray) -> np.ndarray:
    """``shrink``, or, under SMALLEST_WORKING pixels a side, enlarged (Lanczos) until the longer side is that."""
    scale = working_scale(grey.shape)
    if scale <= 1:
        return shrink(grey)
    return np.clip(rescale(grey, scale, Image.Resampling.LANCZOS), 0.0, 1.0)


def border(grey: np.ndarray) -> np.ndarray:
    ring = max(1, min(grey.shape) // 20)
    return np.concatenate([grey[:ring].ravel(), grey[-ring:].ravel(), grey[:, :ring].ravel(), grey[:, -ring:].ravel()])


def split_level(grey: np.ndarray, bins: int = 64) -> float:
    """The grey level that best splits the image into two classes (Otsu's method on ``bins`` bins)."""
    histogram, edges = np.histogram(grey, bins=bins, range=(0.0, 1.0))
    weights = histogram / max(histogram.sum(), 1)
    centres = (edges[:-1] + edges[1:]) / 2
    below, mean_below = np.cumsum(weights), np.cumsum(weights * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.nan_to_num((mean_below[-1] * below - mean_below) ** 2 / (below * (1 - below)))
    return float(edges[1 + int(np.argmax(between[:-1]))])


def is_crop(grey: np.ndarray) -> bool:
    """Whether the image is evenly lit, as a crop is: small, or crop-sized and in two clean tones."""
    size = max(grey.shape)
    return size < SMALL_IMAGE or (size < CROP_SIZE and is_two_tone(grey))


def is_two_tone(grey: np.ndarray) -> bool:
    """Whether the grey levels are two clean tones, as a scan or a printed digit has, and no third one.

    A photo with a shadow has three: ink lies far beyond the shadowed paper's tone.
    """
    level = split_level(grey)
    dark, light = grey[grey <= level], grey[grey > level]
    if dark.size == 0 or light.size == 0:
        return False
    low, high = float(np.median(dark)), float(np.median(light))
    gap = high - low
    if gap < TWO_TONE_GAP:
        return False
    outlying = int((dark < low - gap / 2).sum()) + int((light > high + gap / 2).sum())
    return outlying <= OUTLYING_SHARE * grey.size


def framed_background_is_light(grey: np.ndarray) -> bool | None:
    """For a digit cut out tight (touching the frame): is the background the light class? None if the border decides.

    When the border is mostly one class, it is the background. When the digit touches
    the frame so much that the border is mixed, the digit is the class in fewer pieces
    (its strokes hold together; the frame cuts the background into corners and holes),
    unless that class has just one piece fewer and covers most of the image and border
    (``BACKGROUND_SHARE``, ``BACKGROUND_RING``), or covers nearly all of both (``MOSTLY_IMAGE``,
    ``MOSTLY_RING``), whatever the pieces: a 5 or 7 whose bar stands apart from its
    body is in two pieces, the paper around it in one. Otherwise, and when both come in as many pieces,
    the class covering more of the whole image and of the border together is the
    background: ink rarely covers half of a crop.
    """
    split = border_split(grey)
    if not split.mixed:
        return None
    level, ring_light = split.level, split.light_share
    image_light = float((grey > level).mean())
    for light, image_share, ring_share in ((True, image_light, ring_light), (False, 1 - image_light, 1 - ring_light)):
        if image_share >= MOSTLY_IMAGE and ring_share >= MOSTLY_RING:
            return light
    light_pieces, dark_pieces = pieces(grey > level), pieces(grey <= level)
    light_share = (image_light + ring_light) / 2
    if light_pieces != dark_pieces:
        fewer_is_light = light_pieces < dark_pieces
        fewer_share = light_share if fewer_is_light else 1.0 - light_share
        fewer_ring = ring_light if fewer_is_light else 1.0 - ring_light
        if (abs(light_pieces - dark_pieces) > 1 or fewer_share < BACKGROUND_SHARE
                or fewer_ring < BACKGROUND_RING):
            return light_pieces > dark_pieces
    return light_share > 0.5


def pieces(mask: np.ndarray) -> int:
    """How many 8-connected pieces of the mask hold at least ``PIECE_SHARE`` of the image."""
    labels, areas, _ = components(mask)
    return int((areas[1:] >= PIECE_SHARE * mask.size).sum())


class BorderSplit(NamedTuple):
    """The image split in two classes at ``level`` (Otsu's), as its border shows them: the border's share
    in the light class, and how far apart the medians of its light and dark classes lie (0 if one is empty)."""

    level: float
    light_share: float
    gap: float

    @property
    def mixed(self) -> bool:
        """Whether each class holds at least ``MIXED_BORDER`` of the border."""
        return min(self.light_share, 1 - self.light_share) >= MIXED_BORDER


def border_split(grey: np.ndarray) -> BorderSplit:
    """``BorderSplit`` for ``grey``."""
    ring, level = border(grey), split_level(grey)
    light, dark = ring[ring > level], ring[ring <= level]
    gap = float(np.median(light) - np.median(dark)) if light.size and dark.size else 0.0
    return BorderSplit(level, float(light.size / max(ring.size, 1)), gap)


def narrow_contrast(image: np.ndarray, apart_from_frame: bool = False, window: int | None = None,
                    percentile: float = 99.9) -> float:
    """How far bright structures narrower than the shadow window (or ``window``) rise above their surroundings (at
    ``percentile``); with ``apart_from_frame``, leaving out those that reach the frame (it cuts lit paper into narrow
    corners)."""
    rise = image - shadow_floor(image, window)
    if apart_from_frame:
        structures = components(rise > NARROW_RISE * float(np.percentile(rise, 99.9)))[0]
        edge = np.unique(np.concatenate([structures[0], structures[-1], structures[:, 0], structures[:, -1]]))
        kept = ~np.isin(structures, edge[edge > 0])
        # Unless that leaves out most of the image: then the structures are the image's own texture.
        if kept.mean() > 0.5:
            rise = rise[kept]
    return float(np.percentile(rise, percentile))


def ink_is_dark(grey: np.ndarray) -> bool:
    """Whether the ink is darker than the background (to be turned bright), whatever the original polarity.

    The background is what the border mostly is; the ink is whichever tail of the grey
    levels lies farther from it (dark ink on paper of any shade, or light ink on black).
    A digit cut out tight, touching the frame, is judged by ``framed_background_is_light``.
    """
    # Only crops: in a photo a mixed border means shadows or a desk, not a digit touching the frame.
    crop = is_crop(grey)
    light_background = framed_background_is_light(grey) if crop else None
    if light_background is not None:
        return light_background
    split = None if crop else border_split(grey)
    if split is not None and split.mixed and split.gap >= SHADE_GAP:
        # A shadow or the desk along part of the border: no one border level is the paper.
        # Strokes are narrow, shadows and paper wide, so the polarity whose narrow
        # structures (a top-hat over the shadow-following window) stand out more is the ink.
        # The border's level says nothing here, and a loop's paper is as narrow as a stroke:
        # writing on paper (dark ink) unless light strokes clearly stand out more.
        # Narrow corners of lit paper that the frame cuts off (the shadow's edge across one) are left out.
        dark, light = narrow_contrast(1.0 - grey, apart_from_frame=True), narrow_contrast(grey, apart_from_frame=True)
        if light - dark < CLEAR_LEAD:
            return True
        if max(grey.shape) < CROP_SIZE:
            return False
        # In a photo, lit paper between a hard shadow's edges is narrow too, and its step deeper
        # than a pen's: light strokes must also stand out more within a thinner window, which a
        # stroke fills and the lit paper only at its corners.
        thin = max(3, min(grey.shape) // THIN_WINDOW_DIVISOR)
        return (narrow_contrast(grey, True, thin, THIN_PERCENTILE)
                - narrow_contrast(1.0 - grey, True, thin, THIN_PERCENTILE)) < CLEAR_LEAD
    background = float(np.median(border(grey)))
    dark_tail, light_tail = np.percentile(grey, [0.1, 99.9])
    darker, lighter = background - dark_tail, light_tail - background
    if not crop and min(darker, lighter) >= FAR_TAILS:
        # An even border with grey levels far beyond it on both sides is a frame of a third
        # tone, neither paper nor ink (a counter's body around light windows with dark digits,
        # or around dark windows with light ones): narrow structures decide.
        return narrow_contrast(1.0 - grey) >= narrow_contrast(grey)
    if abs(darker - lighter) < 0.05:
        # No clear tail (tiny or no ink): a light background means dark ink.
        return background > 0.5
    return bool(darker > lighter)


def robust_spread(values: np.ndarray) -> float:
    """Standard deviation estimated from the median absolute deviation (ink does not inflate it)."""
    return 1.4826 * float(np.median(np.abs(values - np.median(values)))) if values.size else 0.0


def quadratic_terms(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Design matrix [1, x, y, x², y², xy] for coordinates scaled to [-1, 1]."""
    return np.stack([np.ones_like(columns), columns, rows, columns ** 2, rows ** 2, columns * rows], axis=-1)


def background_surface(image: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """The background under the ink (uneven lighting, tinted paper), its noise level, and its smooth part.

    Crops (``is_crop``: under 64 pixels a side, or up to 256 in two clean tones) and
    low-resolution digits get a flat background at the paper's level. Larger ones are cut
    into a 16×16 grid of blocks; the 10th percentile of each block samples the paper
    between the strokes, and a quadratic surface is fitted to those samples by least
    squares, refitting without the blocks well above it (covered by ink); photos and strips
    (CROP_SIZE pixels a side or more, or twice as long as wide) also follow a shadow's sharp
    edge (``shadow_floor``). Returns
    (surface, robust standard deviation of the background pixels around it, for crops no
    more than ``fine_noise``, since a crop's background may be all stroke edges; and the
    quadratic surface alone: the light across the paper, without the sharp steps of a
    counter's windows or a desk that ``shadow_floor`` follows).
    """
    height, width = image.shape
    if is_crop(image):
        # A crop or a low-resolution digit, evenly lit. The background is the darker
        # class (the ink is bright by now), measured where it is, not only on the border,
        # which a tight crop's ink may cover.
        level = split_level(image)
        if framed_background_is_light(image) is None:
            paper = border(image)
            # The border is mostly the background; where a stroke touches the frame, its
            # pixels are no noise of the paper's, nor are a narrow crop's soft stroke edges.
            background = paper[paper <= level] if (paper <= level).mean() >= 0.5 else paper[paper > level]
            flat = np.full_like(image, float(np.median(paper)))
            return flat, min(robust_spread(background), fine_noise(image)), flat
        from scipy import ndimage

        dark = image <= level
        noise = robust_spread(image[dark])
        # In a narrow crop (a 1) most of the background lies against a stroke, and the
        # strokes' soft edges would pass for noise: measured away from them too, the lower
        # figure is kept (true noise raises both; a background in two shades, only the second).
        inner = ndimage.binary_erosion(dark, border_value=1)
        if inner.sum() >= INNER_PAPER * dark.sum():
            noise = min(noise, robust_spread(image[inner]))
        flat = np.full_like(image, float(np.median(image[dark])))
        return flat, min(noise, fine_noise(image)), flat
    # Square blocks of about a sixteenth of the longer side, but at least two blocks across
    # the shorter one (a strip 600×28 still gets a grid).
    size = max(1, min(-(-max(height, width) // 16), min(height, width) // 2))
    block_rows, block_columns = height // size, width // size
    blocks = image[:block_rows * size, :block_columns * size].reshape(block_rows, size, block_columns, size)
    samples = np.percentile(blocks.transpose(0, 2, 1, 3).reshape(block_rows, block_columns, -1), 10, axis=-1)
    centre_rows = ((np.arange(block_rows) + 0.5) * size / height) * 2 - 1
    centre_columns = ((np.arange(block_columns) + 0.5) * size / width) * 2 - 1
    grid_rows, grid_columns = np.meshgrid(centre_rows, centre_columns, indexing="ij")
    terms = quadratic_terms(grid_rows.ravel(), grid_columns.ravel())
    values = samples.ravel().astype(np.float64)
    # Start from the darker half of the samples: paper, whatever share of blocks the ink covers.
    keep = values <= np.median(values)
    for _ in range(4):
        coefficients, *_ = np.linalg.lstsq(terms[keep], values[keep], rcond=None)
        residual = values - terms @ coefficients
        keep = residual < 2.5 * robust_spread(residual[keep]) + 0.02
    rows, columns = np.meshgrid(np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij")
    smooth = (quadratic_terms(rows, columns) @ coefficients).astype(np.float32)
    # The cap is measured from the paper, not from the fitted surface alone: a surface fitted
    # to the lit paper dives below it where a deep shadow covers an edge.
    paper = np.maximum(smooth, np.float32(np.percentile(image, 5)))
    if max(height, width) < CROP_SIZE and max(height, width) < 2 * min(height, width):
        # A small image of one digit is a crop of the writing, no photo with a shadow's edge
        # across it: a window a sixth of its side fits into a broad soft stroke (an 8×8 scan
        # enlarged) and took the stroke's middle for shade. Broad strokes may cover much of it,
        # and their soft edges are no noise (as in a crop, second differences bound it). A
        # small strip (a counter's) keeps the shadow-following floor: it follows the body between
        # its windows.
        return smooth, min(robust_spread(image - smooth), fine_noise(image)), smooth
    surface = np.maximum(smooth, np.minimum(shadow_floor(image), paper + MAX_SHADOW))
    residual = image - surface
    noise = robust_spread(residual)
    return surface, noise, smooth


def fine_noise(image: np.ndarray) -> float:
    """Pixel noise (standard deviation) from second differences, which shading and soft stroke edges barely raise.

    The second difference across rows, then across columns, of independent noise of
    deviation s has deviation 6 s (the kernel [1, -2, 1] ⊗ [1, -2, 1]); a smooth ramp gives 0.
    """
    across_rows = image[:-2] - 2 * image[1:-1] + image[2:]
    both = across_rows[:, :-2] - 2 * across_rows[:, 1:-1] + across_rows[:, 2:]
    return robust_spread(both) / 6


def shadow_window(image: np.ndarray) -> int:
    """The side of the window ``shadow_floor`` opens with: SHADOW_WINDOW_DIVISOR times less than the image's
    shorter side, at least 9 pixels."""
    return max(9, min(image.shape) // SHADOW_WINDOW_DIVISOR)


def shadow_floor(image: np.ndarray, window: int | None = None) -> np.ndarray:
    """The background as a morphological opening: it follows a shadow's sharp edge, which no smooth surface can.

    An opening (minimum, then maximum, over a window) removes every bright structure
    narrower than its window, so with a window wider than any stroke what is left is
    the paper, steps of light and shade included. Smoothed over half a window so that
    the window's square corners leave no marks.
    """
    from scipy import ndimage

    window = window or shadow_window(image)
    opened = ndimage.maximum_filter(ndimage.minimum_filter(image, size=window), size=window)
    # The smoothing would spread a shadow's step over half a window and leave a band of it
    # as "ink" on the shaded side; the opening itself keeps the step where it is.
    return np.maximum(ndimage.uniform_filter(opened, size=max(3, window // 2)), opened)


def ink_map(grey: np.ndarray, keep_objects: bool = False) -> np.ndarray:
    """Ink strength in [0, 1], white on black: polarity fixed, background flattened, noise floored; objects
    lying on the sheet taken out (``without_objects``) unless ``keep_objects``.

    Dark ink is measured against its paper's light (``paper_light`` of the background's
    smooth part): a shadow darkens the ink with the paper, and a digit in it is as strong as
    one in the light.

    Raises:
        NoDigitError: the ink does not stand out from the background.
    """
    small = working_size(grey)
    dark_ink = ink_is_dark(small)
    image = 1.0 - small if dark_ink else small
    surface, noise, smooth = background_surface(image)
    ink = image - surface
    floor = 3.0 * noise
    contrast = top_of(ink) - floor
    # Faint dark ink with no stronger ink in the light to compare it with, as a digit lying in
    # a shadow: all of it is measured against its paper's light.
    in_shade = dark_ink and contrast < MIN_CONTRAST
    if in_shade:
        ink = ink / paper_light(1.0 - smooth)
        contrast = top_of(ink) - floor
    if contrast < MIN_CONTRAST:
        if float(ink.max()) - floor >= SMALL_MARKS:
            # Clear marks, but fewer than a thousandth of the image: too small to read here. All in
            # one small place (a small digit on a large page), they can be read closer.
            reason = "no ink: only small marks stand out (under a thousandth of the image); crop closer to the digit"
            around = around_marks(ink - floor >= SMALL_MARKS)
            if around is not None:
                raise SmallWritingError(reason, around)
            raise NoDigitError(reason)
        # Faint marks that cover under a thousandth of the image (a small pencil digit) are read.
        faint = top_of(ink, FAINT_SHARE) - floor
        if faint < MIN_CONTRAST:
            if noise >= NOISY:
                raise NoDigitError(f"no ink: nothing stands out from the image's noise (noise level {noise:.2f}); "
                                   "if a digit is there, use a sharper, less grainy image")
            raise NoDigitError(f"no ink: the image is nearly uniform (contrast {max(contrast, 0):.2f} < {MIN_CONTRAST})")
        contrast = faint
    scaled = np.clip((ink - floor) / contrast, 0.0, 1.0)
    ink = scaled if keep_objects else without_objects(ink, scaled, floor)
    if dark_ink and not in_shade:
        ink = against_shade(ink, 1.0 - smooth)
    from digits.dots import without_dotted_rows

    return without_frame_slivers(without_soft_marks(without_dotted_rows(without_margin_lines(without_ruling(ink)))))


def without_objects(ink: np.ndarray, scaled: np.ndarray, floor: float) -> np.ndarray:
    """``scaled`` (the ink above ``floor`` divided by its contrast, in [0, 1]); where objects lie on the sheet
    (``digits.objects``), the ink without them above ``floor`` divided by the contrast of what is left, unless
    nothing else stands out (then the "object" is the writing)."""
    from digits.objects import lying_objects

    objects = lying_objects(scaled)
    if objects is None:
        return scaled
    rest = np.where(objects, 0.0, ink)
    left = top_of(rest) - floor
    return np.clip((rest - floor) / left, 0.0, 1.0) if left >= MIN_CONTRAST else scaled


def without_soft_marks(ink: np.ndarray) -> np.ndarray:
    """The ink without marks whose rim rises over more than SOFT_RAMP times as many pixels as the
    sharpest writing's, and over more than SOFT_PIXELS: the corners of a shadow that the
    shadow-following background (a square window) cannot fit into are left as broad marks with a
    shadow's soft edge, while a stroke's edge is a step, in pencil too, and an enlarged or blurred
    digit's no more than a few pixels. Specks set no measure; images up to SMALL_IMAGE pixels are
    left unchanged (a small digit's strokes are only a few pixels wide)."""
    from scipy import ndimage

    if max(ink.shape) <= SMALL_IMAGE:
        return ink
    labels, areas, _ = components(ink > INK_THRESHOLD)
    count = len(areas) - 1
    if count < 2:
        return ink
    marks = labels > 0
    rim = marks & ~ndimage.binary_erosion(marks)
    index = np.arange(1, count + 1)
    slope = np.asarray(ndimage.median(np.hypot(*np.gradient(ink)), labels * rim, index), dtype=np.float64)
    # Pixels each mark's rim takes to rise to its strongest ink.
    ramp = np.asarray(ndimage.maximum(ink, labels, index), dtype=np.float64) / np.maximum(slope, 1e-6)
    sized = areas[1:] >= SPECK_FRACTION * areas[1:].max()
    soft = index[(ramp > SOFT_RAMP * ramp[sized].min()) & (ramp > SOFT_PIXELS)]
    return np.where(np.isin(labels, soft), 0.0, ink) if soft.size else ink


def around_marks(marks: np.ndarray) -> tuple[float, float, float, float] | None:
    """The paper around ``marks`` (their box grown by its longer side each way, at least SMALL_IMAGE square)
    as (top, bottom, left, right) shares of the image's height and width, or None when that is over
    CLOSER_SHARE of the image: the marks are not all in one small place."""
    rows, columns = np.nonzero(marks)
    reach = max(np.ptp(rows), np.ptp(columns)) + 1
    reach = max(reach, (SMALL_IMAGE - reach) // 2 + 1)
    top, left = max(0, rows.min() - reach), max(0, columns.min() - reach)
    bottom, right = min(marks.shape[0], rows.max() + 1 + reach), min(marks.shape[1], columns.max() + 1 + reach)
    if (bottom - top) * (right - left) > CLOSER_SHARE * marks.size:
        return None
    height, width = marks.shape
    return top / height, bottom / height, left / width, right / width


def top_of(ink: np.ndarray, share: float = 0.001) -> float:
    """The strongest ink, ignoring the strongest ``share`` of a large image (a few bright pixels)."""
    return float(np.percentile(ink, 100 * (1 - share))) if ink.size > 1000 else float(ink.max())


def against_shade(ink: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Marks fainter than FAINT_INK of the strongest only because their ``paper`` (its grey level) lies in a
    shadow, divided by its light (``paper_light``); all other ink as it is."""
    from scipy import ndimage

    strongest = float(ink.max())
    marks = ink > INK_THRESHOLD
    # Most images hold no faint mark, and then nothing is lifted (a mark with its soft edges is no fainter).
    labels, count = ndimage.label(marks)
    if count == 0 or ndimage.maximum(ink, labels, np.arange(1, count + 1)).min() >= FAINT_INK * strongest:
        return ink
    labels, count = ndimage.label(ndimage.binary_dilation(marks, iterations=SHADE_REACH))
    lifted = np.minimum(ink / paper_light(paper), 1.0)
    index = np.arange(1, count + 1)
    shaded = ((ndimage.maximum(ink, labels, index) < FAINT_INK * strongest)
              & (ndimage.maximum(lifted, labels, index) >= FAINT_INK * strongest))
    return np.where(np.isin(labels, index[shaded]), lifted, ink)


def paper_light(paper: np.ndarray) -> np.ndarray:
    """The paper's light as a share of the best-lit paper's (``paper``: its grey level), no less than DEEPEST_SHADE."""
    return np.clip(paper / max(float(np.percentile(paper, 99)), 1e-6), DEEPEST_SHADE, 1.0).astype(np.float32)


def turned(image: np.ndarray, angle: float | None) -> np.ndarray:
    """``image`` turned by ``angle`` degrees (the canvas grown to hold it); as it was under half a degree."""
    if angle is None or abs(angle) < 0.5:
        return image
    return np.asarray(Image.fromarray(image, mode="F").rotate(angle, resample=Image.Resampling.BILINEAR,
                                                              expand=True), dtype=np.float32)


def ruling_angle(ink: np.ndarray) -> float | None:
    """The turn (degrees) of a sheet's printed lines in the ink, or None when there are none.

    Printed lines are parallel, thin and run across the whole image: for each candidate
    turn the ink is projected across it, and the turn whose projection holds a ruling
    (``is_ruling``: thin, evenly spaced runs of rows as long as LINE_SPAN of the image's
    width), with the most ink in such rows, wins. Images under SMALL_IMAGE pixels have
    none: there a digit's own bars would count.
    """
    if min(ink.shape) < SMALL_IMAGE:
        return None
    rows, columns = np.nonzero(ink > RULING_INK)
    if len(rows) < LINE_SPAN * ink.shape[1] * MIN_RULED_LINES:
        return None
    best, best_angle = 0, None
    for angle in np.arange(-MAX_RULING_TURN, MAX_RULING_TURN + 0.25, 0.5):
        turn = np.radians(angle)
        across = np.round(rows * np.cos(turn) - columns * np.sin(turn)).astype(np.int64)
        counts = np.bincount(across - across.min())
        # A line drawn at a slant falls into two neighbouring rows of the projection.
        counts = counts + np.maximum(np.roll(counts, 1), np.roll(counts, -1)) // 2
        full = counts >= LINE_SPAN * ink.shape[1] / np.cos(turn)
        if is_ruling(full) and counts[full].sum() > best:
            best, best_angle = counts[full].sum(), float(angle)
    return best_angle


def is_ruling(full: np.ndarray) -> bool:
    """Whether the rows marked ``full`` hold a ruling: MIN_RULED_LINES thin runs or more, evenly spaced.

    Evenly: between the first and the last, at least RULING_PRESENT of the lines that
    their closest spacing would put there are present (a counter's window edges are not).
    """
    edges = np.diff(np.concatenate([[0], full.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    # Runs at either end are the image's own edge (a frame, a turned border), not a line.
    thin = (stops - starts <= RULING_THICKNESS) & (starts > RULING_THICKNESS) & (stops < len(full) - RULING_THICKNESS)
    centres = (starts[thin] + stops[thin]) / 2
    if len(centres) < MIN_RULED_LINES:
        return False
    spacing = max(float(np.diff(centres).min()), 1.0)
    expected = (centres[-1] - centres[0]) / spacing + 1
    return len(centres) >= RULING_PRESENT * expected


def without_ruling(ink: np.ndarray) -> np.ndarray:
    """The ink with a sheet's printed lines (ruled or squared paper) taken out, the sheet turned level by them.

    Lines are found by ``ruling_angle``; the ink is turned so they run level; what a grey
    opening along a row (and along a column, for squares) CUT_SPAN of the image long
    keeps, and a thin opening across it does not, is a printed line and is taken out.
    Strokes are shorter than the lines and thicker: they stay, crossings included.
    """
    angle = ruling_angle(ink)
    if angle is None:
        return ink
    from scipy import ndimage

    ink = turned(ink, angle)
    height, width = ink.shape
    # (along the line, across it, a pixel each way across): rows, then columns for squared
    # paper, in turn, so that where two lines cross, the second pass finds its line thin.
    for along, across, widen in (((1, int(CUT_SPAN * width)), (RULING_THICKNESS, 1), (3, 1)),
                                 ((int(CUT_SPAN * height), 1), (1, RULING_THICKNESS), (1, 3))):
        # Widened first: a turned line steps between rows, and the opening must not break at a step.
        band = ndimage.grey_opening(ndimage.maximum_filter(ink, size=widen), size=along)
        band = band - ndimage.grey_opening(band, size=across)
        # Along the line, only what is thick across it stays (a line's brightness rises and
        # falls as it steps between rows, so no level is subtracted); a crossing stroke stays.
        zone = ndimage.maximum_filter(band, size=widen) > RULING_INK / 2
        ink = np.where(zone, ndimage.grey_opening(ink, size=across), ink)
    return ink


def straight_runs(mask: np.ndarray, length: int, angle: float) -> np.ndarray:
    """The pixels of ``mask`` on straight runs at least ``length`` long along ``angle`` radians (x right, y down).

    An opening with a line: the mask is turned so the direction runs along the rows, opened
    there with a minimum then a maximum filter ``length`` wide, and turned back.
    """
    from scipy import ndimage

    degrees = math.degrees(angle)
    turned = ndimage.rotate(mask.astype(np.uint8), degrees, order=0, reshape=True)
    opened = ndimage.maximum_filter1d(ndimage.minimum_filter1d(turned, length, axis=1), length, axis=1)
    back = ndimage.rotate(opened, -degrees, order=0, reshape=True)
    top, left = (back.shape[0] - mask.shape[0]) // 2, (back.shape[1] - mask.shape[1]) // 2
    return back[top:top + mask.shape[0], left:left + mask.shape[1]].astype(bool) & mask


def bridged(strength: np.ndarray, band: np.ndarray) -> np.ndarray:
    """``strength`` (ink, or darkness against the paper) with the strokes a removed bar cut joined again across ``band``.

    Within the band, a closing with a disc a little wider than the band: it fills the band
    where strokes reach it from both sides (a stroke the bar crossed), not where ink lies on
    one side only (a stroke the bar ran along), so a digit keeps what a pen lying across it
    hid. A band much wider than the strokes is bridged thinly or not at all: a thin stroke
    does not hold the disc off the band. One wider than no pen is (a disc's radius over
    BRIDGE_RADIUS: a block of ink taken for a bar) is not bridged: the closing would take
    minutes and join nothing.
    """
    from scipy import ndimage

    if not band.any():
        return strength
    # Two pixels more than half the band's width.
    radius = int(ndimage.distance_transform_edt(band).max()) + 2
    if radius > BRIDGE_RADIUS:
        return strength
    disc = np.hypot(*np.mgrid[-radius:radius + 1, -radius:radius + 1]) <= radius
    rows, columns = np.flatnonzero(band.any(axis=1)), np.flatnonzero(band.any(axis=0))
    window = (slice(max(rows[0] - 2 * radius, 0), rows[-1] + 2 * radius + 1),
              slice(max(columns[0] - 2 * radius, 0), columns[-1] + 2 * radius + 1))
    closed = ndimage.grey_closing(strength[window], footprint=disc, mode="constant", cval=0.0)
    result = strength.copy()
    result[window] = np.where(band[window], np.maximum(strength[window], closed), strength[window])
    return result


def on_one_line(rows: np.ndarray, columns: np.ndarray, angle: float) -> int:
    """How many of the pixels lie on one line along ``angle`` radians (x right, y down): the most that share their offset across it."""
    offsets = np.round(rows * math.cos(angle) - columns * math.sin(angle)).astype(int)
    return int(np.bincount(offsets - offsets.min()).max())


def to_the_degree(rows: np.ndarray, columns: np.ndarray, coarse: float, step: int) -> float:
    """Of the directions within ``step`` degrees of ``coarse`` (degrees), to the degree, the one along which
    most of the pixels lie on one line, in radians."""
    return max((math.radians(coarse + turn) for turn in range(1 - step, step)),
               key=lambda angle: on_one_line(rows, columns, angle))


def principal_axis(rows: np.ndarray, columns: np.ndarray) -> tuple[float, float]:
    """(How many times longer than wide, angle of the long axis in radians) of a set of pixels.

    From the two principal variances of their spread (image rows run down); fewer than
    three pixels are (1.0, 0.0).
    """
    if len(rows) < 3:
        return 1.0, 0.0
    values, vectors = np.linalg.eigh(np.cov(np.stack([columns, rows]).astype(np.float64)))
    return math.sqrt(max(values[1], 0.0) / max(values[0], 1e-6)), math.atan2(vectors[1, 1], vectors[0, 1])


def needed_pixels(size: int) -> int:
    """How many ink pixels a digit needs in an image of ``size`` pixels: MIN_INK_PIXELS, or MIN_INK_FRACTION of it."""
    return max(MIN_INK_PIXELS, math.ceil(MIN_INK_FRACTION * size))


def check_amount(mask: np.ndarray) -> None:
    ink_pixels = int(mask.sum())
    needed = needed_pixels(mask.size)
    if ink_pixels < needed:
        # Counted where the ink is looked for (a large photo is shrunk, a sheet cut out), so no image size is given.
        raise NoDigitError(f"no ink: only {ink_pixels} ink pixels, fewer than a digit needs ({needed})")


def components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """8-connected components: (labels, areas indexed by label, bounding slices by label - 1)."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    return labels, np.bincount(labels.ravel(), minlength=count + 1), ndimage.find_objects(labels)


def without_margin_lines(ink: np.ndarray) -> np.ndarray:
    """The ink without straight lines running from one side of the image to the opposite one: a notebook's
    margin, a form's rule, left when the page's ruling went (the margin is one line, no ruling). A mark is
    such a line when it reaches within MARGIN_REACH of both sides (its gaps as long as that, a faint stretch,
    bridged, which lets it stop half as far again from a side), is MARGIN_ELONGATION times longer than wide, and
    lies in the outer MARGIN_SIDE of the image across it. No written 1 on a sheet runs its whole height by its
    edge; images under CROP_SIZE pixels or over STRIP_ASPECT times longer than wide (a
    crop or a strip cut around the writing, whose 1 may) are left as they are, and so is a line that writing
    touches (one mark with it)."""
    if max(ink.shape) < CROP_SIZE or STRIP_ASPECT * min(ink.shape) < max(ink.shape):
        return ink
    from scipy import ndimage

    mask = ink > INK_THRESHOLD
    lines = np.zeros_like(mask)
    for axis in (0, 1):
        side = ink.shape[axis]
        reach = max(1, round(MARGIN_REACH * side))
        along = np.ones((reach, 3) if axis == 0 else (3, reach), dtype=bool)
        labels, _, slices = components(ndimage.binary_dilation(mask, structure=along))
        across = ink.shape[1 - axis]
        for label, box in enumerate(slices, start=1):
            if box is None or box[axis].start > reach or box[axis].stop < side - reach:
                continue
            middle = (box[1 - axis].start + box[1 - axis].stop) / 2
            if MARGIN_SIDE * across < middle < (1 - MARGIN_SIDE) * across:
                continue
            line = (labels[box] == label) & mask[box]
            if principal_axis(*np.nonzero(line))[0] >= MARGIN_ELONGATION:
                lines[box] |= line
    return np.where(lines, 0.0, ink) if lines.any() else ink


def without_frame_slivers(ink: np.ndarray) -> np.ndarray:
    """The ink without the marks lying within the frame's outermost FRAME_SLIVER rows or columns
    (a printed line or the sheet's rim cut by the frame), unless one is the largest; images
    up to SMALL_IMAGE pixels unchanged (there a digit's strokes reach the frame)."""
    if max(ink.shape) <= SMALL_IMAGE:
        return ink
    labels, areas, slices = components(ink > INK_THRESHOLD)
    if len(areas) <= 2:
        return ink
    height, width = ink.shape
    slivers = [label for label, box in enumerate(slices, start=1) if box is not None and areas[label] < areas[1:].max()
               and (box[0].stop <= FRAME_SLIVER or box[0].start >= height - FRAME_SLIVER
                    or box[1].stop <= FRAME_SLIVER or box[1].start >= width - FRAME_SLIVER)]
    return np.where(np.isin(labels, slivers), 0.0, ink) if slivers else ink


def drop_specks(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Remove ink components far smaller than the largest (JPEG specks, dust, paper texture)."""
    if max(mask.shape) <= 64:
        return ink
    labels, areas, _ = components(mask)
    if len(areas) <= 2:
        return ink
    largest = areas[1:].max()
    specks = np.flatnonzero(areas < SPECK_FRACTION * largest)
    specks = specks[specks > 0]
    if specks.size == 0:
        return ink
    cleaned = ink.copy()
    cleaned[np.isin(labels, specks)] = 0.0
    return cleaned


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels: area divided by half the boundary length."""
    padded = np.pad(mask, 1)
    interior = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])
    boundary = int((mask & ~interior).sum())
    return 2.0 * float(mask.sum()) / max(boundary, 1)


def normalise_stroke(crop: np.ndarray, scale: float) -> np.ndarray:
    """Thicken hair-thin strokes and thin very heavy ones so that, at ``scale``, they look like MNIST's.

    Crops under MIN_MEASURABLE pixels (8×8 scans, tiny icons) are left alone: their
    strokes are one or two pixels whatever the pen, so the width says nothing.
    """
    if max(crop.shape) < MIN_MEASURABLE:
        return crop
    width = stroke_width(crop > INK_THRESHOLD) * scale
    if THIN_STROKE <= width <= THICK_STROKE:
        return crop
    from scipy import ndimage

    change = abs(TARGET_STROKE - width) / scale
    size = 1 + 2 * max(1, round(change / 2))
    disk = None if size > LARGEST_DISK else np.hypot(*np.mgrid[-(size // 2):size // 2 + 1, -(size // 2):size // 2 + 1]) <= size / 2
    if width < THIN_STROKE:
        if size > LARGEST_DISK:
            # A hair-thin line across a large crop: a square pen (separable, fast) instead of a disk.
            return ndimage.grey_dilation(np.pad(crop, size), size=(size, size))
        return ndimage.grey_dilation(np.pad(crop, size), footprint=disk)
    thinned = ndimage.grey_erosion(crop, footprint=disk) if disk is not None else ndimage.grey_erosion(
        crop, size=(size, size))
    # Erosion must not eat the digit: keep the original if most of its ink would go.
    kept = (thinned > INK_THRESHOLD).sum() / max(int((crop > INK_THRESHOLD).sum()), 1)
    return thinned if kept > 0.3 else crop


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    mask = ink > INK_THRESHOLD
    check_amount(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
