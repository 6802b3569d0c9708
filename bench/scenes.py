"""Harder real-world images for ``real_world.py``: desks, tight crops, meters, things that are not digits.

Each generator takes real handwriting (an MNIST test digit, uint8 28×28 white on black)
or nothing (non-digits) and a NumPy generator, and returns a Pillow image as a person's
camera, a form's field segmentation or a drawing page would give it. None of this code
is used in training: the training set's own synthetic images come from
``digits.synthetic``, written separately, so that a figure here is not a generator
recognising itself.

Kinds kept out of all tuning (``HELD_OUT_KINDS``): the cloth desk, sticky notes and
squared paper; the rest (wood, dark and cluttered desks, plain and ruled paper) were
looked at while the sheet finder was written.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

DESKS = ("wood", "dark", "clutter", "cloth")
PAPERS = ("plain", "ruled", "squared", "sticky")
HELD_OUT_KINDS = ("cloth", "squared", "sticky")


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def tight(digit: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    columns = np.flatnonzero(digit.max(axis=0) > 0)
    return digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def desk_texture(kind: str, width: int, height: int, random: np.random.Generator) -> np.ndarray:
    """RGB floats in [0, 1] of shape (height, width, 3)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "wood":
        angle = random.uniform(0, math.pi)
        along = x * math.cos(angle) + y * math.sin(angle)
        grain = np.sin(along / random.uniform(3, 9) + 2.5 * np.sin((x * math.sin(angle) - y * math.cos(angle))
                                                                      / random.uniform(40, 120)))
        base = np.array([random.uniform(0.35, 0.65), random.uniform(0.2, 0.42), random.uniform(0.08, 0.22)])
        texture = base * (0.85 + 0.15 * grain[..., None])
    elif kind == "cloth":
        period = random.uniform(4, 10)
        weave = (np.sin(x / period * math.pi) * np.sin(y / period * math.pi))[..., None]
        base = random.uniform(0.1, 0.6, 3)
        texture = base * (0.85 + 0.15 * weave)
    else:  # dark or clutter: a plain dark or mid-grey surface
        texture = np.ones((height, width, 3)) * random.uniform(0.05, 0.35) * random.uniform(0.8, 1.2, 3)
    return np.clip(texture + random.normal(0, 0.02, (height, width, 3)), 0, 1)


def sheet_corners(width: int, height: int, coverage: float, angle: float, random: np.random.Generator):
    """Four corners of a sheet (slightly in perspective) centred somewhere near the middle of the frame."""
    aspect = random.uniform(0.7, 1.4)
    side = math.sqrt(coverage * width * height)
    sheet_width, sheet_height = side * math.sqrt(aspect), side / math.sqrt(aspect)
    centre = np.array([width / 2 + random.uniform(-0.1, 0.1) * width, height / 2 + random.uniform(-0.1, 0.1) * height])
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [sheet_width / 2, sheet_height / 2]
    corners = corners * (1 + random.uniform(-0.08, 0.08, (4, 1)))  # perspective: corners not quite square
    turn = math.radians(angle)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return corners @ rotation.T + centre


def paste_ink(pixels: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return pixels * (1 - alpha[..., None]) + colour * alpha[..., None]


def digits_mask(digits: list[np.ndarray], height: int, angle: float, random: np.random.Generator,
                max_width: float | None = None) -> Image.Image:
    """One or several digits side by side as one alpha mask, shrunk to ``max_width`` if wider, rotated by ``angle``."""
    parts = []
    for digit in digits:
        crop = tight(digit)
        scale = height / crop.shape[0]
        parts.append(Image.fromarray(crop).resize((max(1, round(crop.shape[1] * scale)), height),
                                                  Image.Resampling.BICUBIC))
    gaps = [int(random.uniform(0.1, 0.4) * height) for _ in parts[:-1]] + [0]
    strip = Image.new("L", (sum(part.width for part in parts) + sum(gaps), height), 0)
    left = 0
    for part, gap in zip(parts, gaps):
        strip.paste(part, (left, 0))
        left += part.width + gap
    if max_width is not None and strip.width > max_width:
        shrink = max_width / strip.width
        strip = strip.resize((max(1, round(strip.width * shrink)), max(1, round(strip.height * shrink))),
                             Image.Resampling.BICUBIC)
    return strip.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)


# The writing lies this share of the frame's size clear of its edges: whoever takes the photo
# frames the whole number (digits the frame cuts off are no one's to read).
FRAME_MARGIN = 0.03


def within_frame(mask: Image.Image, left: int, top: int, width: int, height: int) -> tuple[Image.Image, int, int]:
    """The writing's mask and place, shrunk and moved as little as needed to lie within the frame."""
    margin = round(FRAME_MARGIN * min(width, height))
    x0, y0, x1, y1 = mask.getbbox() or (0, 0, mask.width, mask.height)
    fit = min(1.0, (width - 2 * margin) / (x1 - x0), (height - 2 * margin) / (y1 - y0))
    if fit < 1.0:
        centre_x, centre_y = left + (x0 + x1) / 2, top + (y0 + y1) / 2
        mask = mask.resize((max(1, int(mask.width * fit)), max(1, int(mask.height * fit))), Image.Resampling.BICUBIC)
        x0, y0, x1, y1 = mask.getbbox() or (0, 0, mask.width, mask.height)
        left, top = round(centre_x - (x0 + x1) / 2), round(centre_y - (y0 + y1) / 2)
    left = min(max(left, margin - x0), width - margin - x1)
    top = min(max(top, margin - y0), height - margin - y1)
    return mask, left, top


def desk_photo(digits: list[np.ndarray], random: np.random.Generator, desk: str | None = None,
               paper: str | None = None, pen_on_sheet: bool = False) -> Image.Image:
    """A sheet (or sticky note) lying on a desk, with the digit or number written on it, photographed.

    With ``pen_on_sheet``, a pen lies on the sheet beside the writing (drawn after every other
    random draw but the light's, so the same seed gives the same photo otherwise).
    """
    desk = desk or str(random.choice(DESKS))
    paper = paper or str(random.choice(PAPERS))
    width, height = int(random.integers(480, 1000)), int(random.integers(480, 1000))
    pixels = desk_texture(desk, width, height, random)
    angle = random.uniform(-20, 20)
    coverage = random.uniform(0.12, 0.3) if paper == "sticky" else random.uniform(0.3, 0.75)
    corners = sheet_corners(width, height, coverage, angle, random)
    sheet = Image.new("L", (width, height), 0)
    ImageDraw.Draw(sheet).polygon([tuple(point) for point in corners], fill=255)
    sheet_alpha = np.asarray(sheet, dtype=np.float32) / 255
    if paper == "sticky":
        colour = np.array(random.choice([[0.98, 0.92, 0.45], [0.98, 0.7, 0.8], [0.6, 0.9, 0.98], [0.75, 0.95, 0.55]]))
    else:
        colour = np.array([random.uniform(0.85, 1.0), random.uniform(0.83, 1.0), random.uniform(0.78, 0.97)])
    pixels = paste_ink(pixels, sheet_alpha, colour)
    # Lines of the paper, drawn in the sheet's own frame, then clipped to the sheet.
    lines = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(lines)
    spacing = random.uniform(0.035, 0.07) * math.sqrt(width * height)
    span = 2 * max(width, height)
    turn = math.radians(angle)
    along, across = np.array([math.cos(turn), math.sin(turn)]), np.array([-math.sin(turn), math.cos(turn)])
    centre = corners.mean(axis=0)
    if paper in ("ruled", "squared"):
        directions = [(along, across)] + ([(across, along)] if paper == "squared" else [])
        for direction, offset in directions:
            for step in np.arange(-span, span, spacing):
                start, stop = centre + offset * step - direction * span, centre + offset * step + direction * span
                draw.line([tuple(start), tuple(stop)], fill=int(random.uniform(90, 160)), width=1)
        line_colour = np.array(random.choice([[0.45, 0.6, 0.85], [0.6, 0.6, 0.6], [0.5, 0.75, 0.6]]))
        pixels = paste_ink(pixels, np.asarray(lines, dtype=np.float32) / 255 * sheet_alpha, line_colour)
    # The writing: pen, pencil or coloured ink, the digits about a quarter to a half of the sheet's height.
    sheet_height = np.ptp(corners[:, 1])
    digit_height = int(random.uniform(0.2, 0.45) * sheet_height / max(1, 0.6 * len(digits)) ** 0.5)
    # A person writes the whole number on the sheet: at most 80 % of its width.
    sheet_width = float(np.linalg.norm(corners[1] - corners[0]))
    # Pillow turns counter-clockwise, the sheet's corners above turn clockwise: the writing follows the sheet.
    mask = digits_mask(digits, max(digit_height, 16), -(angle + random.uniform(-4, 4)), random, 0.8 * sheet_width)
    if random.random() < 0.3:
        mask = mask.filter(ImageFilter.MaxFilter(3))
    ink_alpha = np.zeros((height, width), dtype=np.float32)
    left = int(centre[0] - mask.width / 2 + random.uniform(-0.1, 0.1) * mask.width)
    top = int(centre[1] - mask.height / 2 + random.uniform(-0.1, 0.1) * mask.height)
    mask, left, top = within_frame(mask, left, top, width, height)
    ink_alpha[max(top, 0):top + mask.height, max(left, 0):left + mask.width] = (
        np.asarray(mask, dtype=np.float32)[max(-top, 0):height - top, max(-left, 0):width - left] / 255)
    pen = random.choice(["pen", "pencil", "blue", "red"])
    ink_colour = {"pen": np.array([0.05, 0.05, 0.08]), "pencil": np.array([0.35, 0.35, 0.38]),
                  "blue": np.array([0.1, 0.15, 0.6]), "red": np.array([0.65, 0.08, 0.1])}[pen]
    strength = random.uniform(0.45, 0.75) if pen == "pencil" else random.uniform(0.8, 1.0)
    pixels = paste_ink(pixels, ink_alpha * strength * sheet_alpha, ink_colour)
    if desk == "clutter":
        # A pen lying on the desk, partly over the sheet's edge.
        pen_layer = Image.new("L", (width, height), 0)
        start = np.array([random.uniform(0, width), random.choice([random.uniform(0, 0.15), random.uniform(0.85, 1)])
                          * height])
        direction = random.uniform(-1, 1, 2)
        stop = start + direction / np.linalg.norm(direction) * random.uniform(0.3, 0.6) * width
        ImageDraw.Draw(pen_layer).line([tuple(start), tuple(stop)], fill=255, width=int(random.uniform(10, 22)))
        pixels = paste_ink(pixels, np.asarray(pen_layer, dtype=np.float32) / 255,
                           random.uniform(0.0, 0.8, 3))
    if pen_on_sheet:
        # Along the writing's line, above or below it, two to five times as long as it is tall.
        middle = np.array([left + mask.width / 2, top + mask.height / 2])
        offset = random.choice([-1, 1]) * (mask.height / 2 + random.uniform(0.3, 0.8) * digit_height)
        tilt = math.radians(random.uniform(-15, 15))
        heading = along * math.cos(tilt) + across * math.sin(tilt)
        place = middle + across * offset + along * random.uniform(-0.3, 0.3) * mask.width
        length = random.uniform(2, 5) * digit_height
        pen_layer = Image.new("L", (width, height), 0)
        ImageDraw.Draw(pen_layer).line([tuple(place - heading * length / 2), tuple(place + heading * length / 2)],
                                       fill=255, width=max(4, int(random.uniform(0.12, 0.25) * digit_height)))
        pixels = paste_ink(pixels, np.asarray(pen_layer, dtype=np.float32) / 255, random.uniform(0.0, 0.6, 3))
    # Light: a gradient, and sometimes a shadow's soft edge across the sheet.
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    light = 1.0 - random.uniform(0, 0.35) * (random.uniform(-1, 1) * x + random.uniform(-1, 1) * y + 1) / 2
    if random.random() < 0.5:
        edge = random.uniform(-1, 1) * (x - x.mean()) + random.uniform(-1, 1) * (y - y.mean())
        shade = 1 / (1 + np.exp(-edge / random.uniform(0.005, 0.04)))
        light = light * (1 - random.uniform(0.2, 0.45) * shade)
    pixels = pixels * light[..., None] + random.normal(0, random.uniform(0.005, 0.02), pixels.shape)
    image = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(random.uniform(0.3, 1.2)))
    return jpeg(image, int(random.integers(55, 92)))


def tight_crop(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    """A form field's cut-out: the digit touching the frame on some or all sides, at a scanner's grey levels."""
    crop = tight(digit).astype(np.float32)
    # Cut into the frame a little on random sides, as a field's box does.
    top, bottom = int(random.integers(0, 2)), int(random.integers(0, 2))
    left, right = int(random.integers(0, 2)), int(random.integers(0, 2))
    crop = crop[top:crop.shape[0] - bottom or None, left:crop.shape[1] - right or None]
    height = int(random.integers(16, 64))
    width = max(4, round(crop.shape[1] * height / crop.shape[0]))
    if random.random() < 0.3:
        width = height  # stretched into a square field
    image = np.asarray(Image.fromarray(crop.astype(np.uint8)).resize((width, height), Image.Resampling.BILINEAR),
                       dtype=np.float32)
    if random.random() < 0.4:  # a few grey levels, as old scanners and feature sets keep them
        levels = int(random.integers(2, 8))
        image = np.round(image / 255 * (levels - 1)) / (levels - 1) * 255
    image = 255 - image if random.random() < 0.75 else image
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


# How much wider than its own shape a meter's digit may be drawn (see ``meter``).
METER_WIDENING = 1.5


def meter(digits: list[np.ndarray], random: np.random.Generator, light_face: bool = False) -> Image.Image:
    """A counter's strip: each digit in its own window, light on dark or dark on light, tilted, photographed.

    ``digits`` are uint8 white on black (MNIST's handwriting, or ``printed_digit``'s print).
    The windows sit in a face darker than they are, or with ``light_face`` always dark windows
    with light digits in a lighter face (grey to white, as many meters' dials are).
    """
    height = int(random.integers(40, 110))
    window = int(height * random.uniform(0.65, 0.85))
    gap = int(height * random.uniform(0.1, 0.35))
    width = len(digits) * (window + gap) + gap
    light_on_dark = light_face or random.random() < 0.6
    body = random.uniform(0.05, 0.3) if light_on_dark else random.uniform(0.75, 0.95)
    face = random.uniform(0.8, 1.0) if light_on_dark else random.uniform(0.0, 0.2)
    plate = (random.uniform(body + 0.25, 1.0) if light_face else body * 0.6 if light_on_dark else body * 0.8)
    strip = np.full((height + 2 * gap, width), plate, dtype=np.float32)
    for index, digit in enumerate(digits):
        left = gap + index * (window + gap)
        strip[gap:gap + height, left:left + window] = body
        shape = tight(digit)
        glyph_width, glyph_height = window * random.uniform(0.5, 0.8), int(height * random.uniform(0.6, 0.85))
        # A counter's digits fill their windows' height; a narrow one (a 1) stays narrow, widened at most
        # METER_WIDENING times its own shape (stretched to the window's width, a 1 became a solid block).
        glyph_width = min(glyph_width, METER_WIDENING * shape.shape[1] * glyph_height / shape.shape[0])
        glyph = np.asarray(Image.fromarray(shape).resize((max(4, int(glyph_width)), glyph_height),
                                                         Image.Resampling.BICUBIC), dtype=np.float32) / 255
        top = gap + (height - glyph.shape[0]) // 2 + int(random.integers(-height // 12, height // 12 + 1))
        start = left + (window - glyph.shape[1]) // 2
        region = strip[top:top + glyph.shape[0], start:start + glyph.shape[1]]
        region[:] = region * (1 - glyph) + face * glyph
    image = Image.fromarray((np.clip(strip + random.normal(0, 0.02, strip.shape), 0, 1) * 255).astype(np.uint8))
    image = image.rotate(random.uniform(-8, 8), resample=Image.Resampling.BICUBIC, expand=True,
                         fillcolor=int((plate if light_face else body * 0.5) * 255))
    return jpeg(image.filter(ImageFilter.GaussianBlur(random.uniform(0.2, 1.0))), int(random.integers(60, 92)))


# TrueType faces that matplotlib ships: printed digits as counters and forms show them. No
# training set draws from TrueType (``digits.synthetic`` draws Hershey stroke fonts), so these
# are a kind of digit the models never met.
PRINTED_FACES = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSansMono", "DejaVuSansMono-Bold",
                 "DejaVuSerif", "DejaVuSerif-Bold", "cmr10", "cmss10", "STIXGeneral", "STIXGeneralBol")


@functools.cache
def printed_face(face: str):
    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{face}.ttf"), 64)


def printed_digit(digit: int, random: np.random.Generator) -> np.ndarray:
    """The digit in a face from PRINTED_FACES, uint8 white on black, cut to its ink."""
    font = printed_face(str(random.choice(PRINTED_FACES)))
    glyph = Image.new("L", (128, 128), 0)
    ImageDraw.Draw(glyph).text((64, 64), str(digit), font=font, fill=255, anchor="mm")
    return tight(np.asarray(glyph))


# Non-digits, drawn with a pen the way people draw them (not the training set's generator).
NON_DIGIT_KINDS = ("letter", "smiley", "star", "cross-hatch", "dot", "dash", "arrow", "heart", "wave", "blank-ruled")
# Kinds that digits.synthetic never draws (drawn apart, after the others): how the model meets a kind of non-digit
# it has not seen. Hearts and arrows were such kinds until drawn set v6 (2026-11-27) taught them.
UNTRAINED_NON_DIGIT_KINDS = ("fish", "key", "cup", "umbrella")


def stroke(draw: ImageDraw.ImageDraw, points, width: int, random: np.random.Generator, size: int) -> None:
    jitter = random.normal(0, size * 0.01, (len(points), 2))
    draw.line([tuple(point + offset) for point, offset in zip(np.asarray(points, dtype=float), jitter)],
              fill=0, width=width, joint="curve")


LETTER_STROKES = {
    "A": [[(0.2, 0.9), (0.5, 0.1), (0.8, 0.9)], [(0.32, 0.6), (0.68, 0.6)]],
    "E": [[(0.75, 0.1), (0.3, 0.1), (0.3, 0.9), (0.75, 0.9)], [(0.3, 0.5), (0.65, 0.5)]],
    "F": [[(0.75, 0.1), (0.3, 0.1), (0.3, 0.9)], [(0.3, 0.5), (0.65, 0.5)]],
    "H": [[(0.25, 0.1), (0.25, 0.9)], [(0.75, 0.1), (0.75, 0.9)], [(0.25, 0.5), (0.75, 0.5)]],
    "K": [[(0.3, 0.1), (0.3, 0.9)], [(0.75, 0.1), (0.3, 0.55), (0.75, 0.9)]],
    "M": [[(0.15, 0.9), (0.2, 0.1), (0.5, 0.6), (0.8, 0.1), (0.85, 0.9)]],
    "N": [[(0.25, 0.9), (0.25, 0.1), (0.75, 0.9), (0.75, 0.1)]],
    "R": [[(0.3, 0.9), (0.3, 0.1), (0.65, 0.12), (0.72, 0.3), (0.6, 0.48), (0.3, 0.5), (0.75, 0.9)]],
    "W": [[(0.1, 0.1), (0.3, 0.9), (0.5, 0.4), (0.7, 0.9), (0.9, 0.1)]],
    "X": [[(0.2, 0.1), (0.8, 0.9)], [(0.8, 0.1), (0.2, 0.9)]],
    "Y": [[(0.2, 0.1), (0.5, 0.5), (0.8, 0.1)], [(0.5, 0.5), (0.5, 0.9)]],
    "#": [[(0.35, 0.1), (0.3, 0.9)], [(0.7, 0.1), (0.65, 0.9)], [(0.1, 0.35), (0.9, 0.35)], [(0.1, 0.65), (0.9, 0.65)]],
    "+": [[(0.5, 0.15), (0.5, 0.85)], [(0.15, 0.5), (0.85, 0.5)]],
    "=": [[(0.15, 0.38), (0.85, 0.38)], [(0.15, 0.62), (0.85, 0.62)]],
}


def non_digit(index: int, random: np.random.Generator,
              kinds: tuple[str, ...] = NON_DIGIT_KINDS) -> tuple[Image.Image, str]:
    """Something a person might give the recogniser that is not a digit; returns (image, kind)."""
    kind = kinds[index % len(kinds)]
    size = int(random.integers(120, 400))
    image = Image.new("L", (size, size), int(random.integers(225, 256)))
    draw = ImageDraw.Draw(image)
    width = max(2, int(size * random.uniform(0.02, 0.07)))
    box = lambda *values: [size * value for value in values]  # noqa: E731
    if kind == "letter":
        letter = str(random.choice(list(LETTER_STROKES)))
        for points in LETTER_STROKES[letter]:
            stroke(draw, np.array(points) * size * 0.8 + size * 0.1, width, random, size)
    elif kind == "smiley":
        draw.ellipse(box(0.15, 0.15, 0.85, 0.85), outline=0, width=width)
        for eye in (0.38, 0.62):
            draw.ellipse(box(eye - 0.04, 0.36, eye + 0.04, 0.44), fill=0)
        draw.arc(box(0.3, 0.35, 0.7, 0.72), 20, 160, fill=0, width=width)
    elif kind == "star":
        points = [(size / 2 + size * 0.38 * math.sin(math.radians(144 * step)),
                   size / 2 - size * 0.38 * math.cos(math.radians(144 * step))) for step in range(6)]
        stroke(draw, points, width, random, size)
    elif kind == "cross-hatch":
        for _ in range(int(random.integers(6, 14))):
            start = random.uniform(0.1, 0.9, 2) * size
            stroke(draw, [start, start + random.uniform(-0.5, 0.5, 2) * size], width, random, size)
    elif kind == "dot":
        radius = random.uniform(0.02, 0.06) * size
        centre = random.uniform(0.3, 0.7, 2) * size
        draw.ellipse([centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius], fill=0)
    elif kind == "dash":
        row = random.uniform(0.3, 0.7) * size
        stroke(draw, [(size * 0.25, row), (size * 0.75, row + random.uniform(-0.05, 0.05) * size)], width, random, size)
    elif kind == "arrow":
        stroke(draw, [(size * 0.15, size * 0.5), (size * 0.85, size * 0.5)], width, random, size)
        stroke(draw, [(size * 0.65, size * 0.3), (size * 0.85, size * 0.5), (size * 0.65, size * 0.7)], width, random,
               size)
    elif kind == "heart":
        draw.arc(box(0.15, 0.2, 0.5, 0.55), 150, 360, fill=0, width=width)
        draw.arc(box(0.5, 0.2, 0.85, 0.55), 180, 30, fill=0, width=width)
        stroke(draw, [(size * 0.17, size * 0.45), (size * 0.5, size * 0.85), (size * 0.83, size * 0.45)], width,
               random, size)
    elif kind == "fish":
        draw.ellipse(box(0.12, 0.32, 0.65, 0.68), outline=0, width=width)
        stroke(draw, [(size * 0.63, size * 0.5), (size * 0.9, size * 0.3), (size * 0.9, size * 0.7),
                      (size * 0.63, size * 0.5)], width, random, size)
        draw.ellipse(box(0.22, 0.42, 0.27, 0.47), fill=0)
    elif kind == "key":
        draw.ellipse(box(0.08, 0.36, 0.34, 0.64), outline=0, width=width)
        stroke(draw, [(size * 0.34, size * 0.5), (size * 0.9, size * 0.5)], width, random, size)
        for tooth in (0.72, 0.84):
            stroke(draw, [(size * tooth, size * 0.5), (size * tooth, size * 0.64)], width, random, size)
    elif kind == "cup":
        stroke(draw, [(size * 0.22, size * 0.25), (size * 0.28, size * 0.8), (size * 0.62, size * 0.8),
                      (size * 0.68, size * 0.25), (size * 0.22, size * 0.25)], width, random, size)
        draw.arc(box(0.55, 0.35, 0.85, 0.62), 270, 90, fill=0, width=width)
    elif kind == "umbrella":
        draw.chord(box(0.1, 0.15, 0.9, 0.75), 180, 360, outline=0, width=width)
        stroke(draw, [(size * 0.5, size * 0.45), (size * 0.5, size * 0.8)], width, random, size)
        draw.arc(box(0.36, 0.72, 0.5, 0.88), 0, 180, fill=0, width=width)
    elif kind == "wave":
        xs = np.linspace(0.1, 0.9, 40)
        stroke(draw, np.stack([xs, 0.5 + 0.15 * np.sin(xs * random.uniform(12, 25))], axis=1) * size, width, random,
               size)
    else:  # blank ruled paper
        spacing = size / random.uniform(5, 9)
        for row in np.arange(spacing, size, spacing):
            draw.line([(0, row), (size, row)], fill=int(random.uniform(120, 190)), width=1)
    image = image.filter(ImageFilter.GaussianBlur(random.uniform(0, 1.0)))
    return (jpeg(image, int(random.integers(60, 95))) if random.random() < 0.5 else image), kind
