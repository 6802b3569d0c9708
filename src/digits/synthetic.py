"""Training images beyond MNIST: other hands' styles, other resolutions, and things that are not digits.

MNIST's writers (American census staff and students) write a 1 as a bare stroke, an
open 4, an uncrossed 7, at one resolution and stroke width. People bring more: a 1 with
a flag and a foot, a crossed 7, a closed 4, script and printed styles, 15-pixel crops
with a few grey levels, hair-thin and heavy pens. And they bring things that are not
digits at all: letters, symbols, scribbles, a tap on the canvas. This module draws both
kinds from pen strokes (the Hershey vector fonts and hand-written stroke lists below;
non-digits also as faces, ticks, marked circles, spirals, crossed-out marks, polygons,
suns, flowers, clouds, houses, bolts, stick figures, envelopes, notes, moons, checked
boxes, sideways eights, hearts and arrows, and as the signs, pictograms and markers of
the Hershey symbol fonts and Cyrillic capitals; the kana and astrological signs
are left out, so that some kinds stay ones no model has seen) and, ``PRINTED_SHARE`` of
them, in type (``digits.printed``: printed digits, and printed letters as non-digits),
varies them as hands, pen tablets and cameras do (some are put on ruled or squared paper
under uneven light and saved as JPEG), and passes every image through
``digits.preprocess.to_model_input``, the same path a user's image takes, so the model
learns on exactly what it will be shown. Non-digits get the label ``NOT_A_DIGIT`` (10).

``training_set(count, seed, ...)`` returns (images uint8 (N, 28, 28), in MNIST's own
form, labels uint8 (N,)): about ``NON_DIGIT_SHARE`` non-digits, ``REDRAWN_SHARE`` MNIST
training digits drawn again small and tight, the rest digits drawn from strokes. The
result is cached under the data cache, keyed by count, seed, ``VERSION`` and the MNIST
images given.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

NOT_A_DIGIT = 10
# Shares of the set: non-digits, and MNIST digits drawn again at other sizes, grey levels and pens.
NON_DIGIT_SHARE = 0.3
REDRAWN_SHARE = 0.25
# Share of drawings stretched on both axes to fill a square.
SQUARE_PAD_SHARE = 0.15
# Images per independently seeded chunk, so that chunks can be drawn in parallel.
CHUNK = 2000
# Bump when the drawing changes, so cached sets are remade.
VERSION = 7
# Share of drawings put on paper as a phone sees it (ruled lines, uneven light, noise, JPEG).
PAPER_SHARE = 0.2
# Share of drawings kept at low resolution (``at_low_resolution``), printed or drawn.
LOW_RESOLUTION_SHARE = 0.25
# Share of stroke-drawn digits given as a pen tablet records them: all strokes joined, a few points.
TABLET_SHARE = 0.15
DIGIT_FONTS = ("futural", "futuram", "scripts", "scriptc", "cursive", "rowmans", "rowmand", "timesr", "timesi",
               "timesrb", "greek")
LETTER_FONTS = ("futural", "futuram", "scripts", "scriptc", "cursive", "rowmans", "timesr", "timesi")
# Letters and symbols that no one would take for a digit (no O, I, l, S, Z, B, G, q, g, b, T, L, J, ...).
LETTERS = "ACEFHKMNPRUVWXYacefhkmnprtuvwxy#$%&@*+=?!<>~^{}"
# Share of drawn digits and non-digits set in type instead (digits.printed): counters, labels, printed letters.
PRINTED_SHARE = 0.15
# Printed letters: as LETTERS, and the printed forms of letters that hands make like digits (S, Z, B, G, g, ...).
PRINTED_LETTERS = LETTERS + "SsZzBGgTJL"
GREEK_LETTERS = "aefglmpswy"  # α ε φ γ λ μ π σ ω ψ in the Hershey greek font
# Cyrillic capitals that no one would take for a digit: Д Ф Ж И К Л М Н П Ш Ю Щ Х.
CAPITALS = {"cyrillic": "DFHIKLMNPQUWX"}
# Signs drawn by the Hershey symbol fonts (by the key that draws them): polygons plain, nested and hatched, stars,
# crosses, a bell, plants, a clover, a spade, a heart, a club, a diamond; set relations, arrows and a division sign.
# No circle (a 0), arc, slash or zigzag (a 1, a 7), S-curve or swash (a 5, an 8).
SIGNS = {"symbolic": "ACDFGIJKLMNOPQRSTUWXYZ[]^`abcdefghmnop~", "markers": "BCDEFGHIKLMNOP",
         "mathlow": "#$&'<=>?@;_bdefghijkmw"}

# Styles MNIST's writers rarely use, as strokes in a unit box (x right, y down).
STYLED_DIGITS = {
    1: [[[(0.3, 0.3), (0.6, 0.05), (0.6, 0.95)]],                                # flag
        [[(0.25, 0.3), (0.6, 0.05), (0.6, 0.95)], [(0.35, 0.95), (0.85, 0.95)]],  # flag and foot
        [[(0.45, 0.2), (0.6, 0.05), (0.55, 0.95)]],                              # short flag
        [[(0.05, 0.55), (0.7, 0.05), (0.6, 0.95)]]],                             # long flag from low down
    4: [[[(0.65, 0.95), (0.65, 0.05), (0.15, 0.65), (0.9, 0.65)]],                # closed top
        [[(0.3, 0.05), (0.2, 0.6), (0.85, 0.6)], [(0.65, 0.3), (0.65, 0.95)]]],  # open, two strokes
    7: [[[(0.15, 0.1), (0.85, 0.1), (0.4, 0.95)], [(0.3, 0.5), (0.8, 0.5)]],     # crossed
        [[(0.1, 0.15), (0.85, 0.1), (0.55, 0.5), (0.25, 0.5), (0.85, 0.5), (0.4, 0.95)]],  # crossed in one stroke
        [[(0.15, 0.2), (0.2, 0.1), (0.85, 0.1), (0.45, 0.95)], [(0.35, 0.55), (0.75, 0.52)]]],
    9: [[[(0.75, 0.35), (0.5, 0.1), (0.25, 0.3), (0.45, 0.5), (0.75, 0.35), (0.75, 0.95)]]],  # straight stem
    2: [[[(0.2, 0.3), (0.45, 0.08), (0.75, 0.25), (0.2, 0.9), (0.4, 0.8), (0.85, 0.9)]]],    # looped base
}


@lru_cache(maxsize=None)
def hershey(font: str):
    from HersheyFonts import HersheyFonts

    fonts = HersheyFonts()
    fonts.load_default_font(font)
    return fonts


def glyph_strokes(font: str, character: str) -> list[np.ndarray]:
    """The character's strokes in ``font`` as polylines of (x, y) points, y down."""
    strokes: list[list] = []
    for start, stop in hershey(font).lines_for_text(character):
        if strokes and strokes[-1][-1] == start:
            strokes[-1].append(stop)
        else:
            strokes.append([start, stop])
    return [np.array(stroke, dtype=np.float64) * [1, -1] for stroke in strokes]


def wobble(points: np.ndarray, amount: float, random: np.random.Generator) -> np.ndarray:
    """Resample a polyline densely and bend it by a smooth random offset (a hand is not a ruler)."""
    lengths = np.hypot(*np.diff(points, axis=0).T)
    position = np.concatenate([[0], np.cumsum(lengths)])
    if position[-1] == 0:
        return points
    samples = np.linspace(0, position[-1], max(2, int(position[-1] / amount * 4) + 2))
    dense = np.stack([np.interp(samples, position, points[:, axis]) for axis in range(2)], axis=1)
    phase, frequency = random.uniform(0, 2 * math.pi, 2), random.uniform(0.5, 2.0, 2)
    offset = np.stack([np.sin(frequency[axis] * samples / max(position[-1], 1e-9) * 2 * math.pi + phase[axis])
                       for axis in range(2)], axis=1)
    return dense + amount * 0.3 * offset


def render(strokes: list[np.ndarray], random: np.random.Generator, low_resolution: bool = False) -> Image.Image:
    """Draw strokes as a hand would: slanted, turned, squeezed, wobbling, with a pen of random width."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    size = max(float(np.max(high - low)), 1e-6)
    slant, turn = random.uniform(-0.35, 0.35), math.radians(random.uniform(-12, 12))
    squeeze = random.uniform(0.7, 1.25)
    matrix = np.array([[squeeze, slant], [0, 1]]) @ np.array([[math.cos(turn), -math.sin(turn)],
                                                               [math.sin(turn), math.cos(turn)]])
    canvas = int(random.integers(48, 128))
    scale = canvas * 0.7 / size
    if random.random() < SQUARE_PAD_SHARE:
        # Written on a square pad that stretches each axis to fill it (as pen-tablet data sets are).
        extent = np.ptp(points @ matrix.T, axis=0)
        matrix = np.diag(np.max(extent) / np.maximum(extent, 1e-6 * size)) @ matrix
    image = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(image)
    pen = max(1, int(round(canvas * random.choice([random.uniform(0.02, 0.05), random.uniform(0.05, 0.12)]))))
    for stroke in strokes:
        moved = (stroke - (low + high) / 2) @ matrix.T * scale + canvas / 2
        moved = wobble(moved, canvas * random.uniform(0.005, 0.03), random)
        draw.line([tuple(point) for point in moved], fill=int(random.uniform(150, 255)), width=pen, joint="curve")
    return at_low_resolution(image, random) if low_resolution else image


def at_low_resolution(image: Image.Image, random: np.random.Generator) -> Image.Image:
    """The image as an old scanner or a form's field keeps it: 10 to 19 pixels a side, 3 to 8 grey levels."""
    side = int(random.integers(10, 20))
    image = image.resize((side, side), Image.Resampling.BOX)
    levels = int(random.integers(3, 9))
    return image.point(lambda value: int(round(value / 255 * (levels - 1)) / (levels - 1) * 255))


def digit_strokes(digit: int, random: np.random.Generator) -> list[np.ndarray]:
    styles = STYLED_DIGITS.get(digit, [])
    if styles and random.random() < 0.5:
        return [np.array(stroke, dtype=np.float64) for stroke in styles[int(random.integers(len(styles)))]]
    return glyph_strokes(str(random.choice(DIGIT_FONTS)), str(digit))


def scribble(random: np.random.Generator) -> list[np.ndarray]:
    """Something that is not a digit: a scribble, hatching, a dot, a dash, a star, a box, a wave."""
    kind = int(random.integers(7))
    if kind == 0:  # a scribble of many turns
        return [np.cumsum(random.normal(0, 1, (int(random.integers(8, 20)), 2)), axis=0)]
    if kind == 1:  # hatching
        return [random.uniform(0, 1, (2, 2)) for _ in range(int(random.integers(4, 12)))]
    if kind == 2:  # a dot or a tap
        centre = random.uniform(0, 1, 2)
        return [np.array([centre, centre + random.uniform(-0.02, 0.02, 2)]), np.array([[0, 0], [0.001, 0]]) + centre]
    if kind == 3:  # a dash, never far from level: a 1 leans, in a turned photo by 45 degrees or more
        angle = math.radians(random.uniform(-25, 25))
        return [np.array([[0, 0], [math.cos(angle), math.sin(angle)]])]
    if kind == 4:  # a star
        steps = np.arange(6) * 144
        return [np.stack([np.sin(np.radians(steps)), -np.cos(np.radians(steps))], axis=1)]
    if kind == 5:  # a box with a diagonal or two
        box = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=np.float64)
        return [box, np.array([[0, 0], [1, 1]])] + ([np.array([[1, 0], [0, 1]])] if random.random() < 0.5 else [])
    # a wave or zigzag
    xs = np.linspace(0, 1, 30)
    return [np.stack([xs, 0.15 * np.sin(xs * random.uniform(10, 30))], axis=1)]


def ellipse(centre, radii, start: float = 0.0, stop: float = 360.0, points: int = 24) -> np.ndarray:
    angles = np.radians(np.linspace(start, stop, points))
    return np.stack([centre[0] + radii[0] * np.cos(angles), centre[1] + radii[1] * np.sin(angles)], axis=1)


def doodle(random: np.random.Generator) -> list[np.ndarray]:
    """A drawing that is not a digit: a face, a tick, a marked circle, a spiral, parallel lines, a crossed-out mark."""
    kind = int(random.integers(6))
    if kind == 0:  # a face: eyes and a mouth, with or without its outline
        eyes = [ellipse((x, 0.38), (0.03, 0.03), points=8) if random.random() < 0.5
                else np.array([[x, 0.33], [x, 0.45]]) for x in (0.36 + random.uniform(-0.04, 0.04), 0.64)]
        smile = random.choice([1.0, -1.0])
        mouth = ellipse((0.5, 0.62 - 0.1 * smile), (0.2, 0.12), 20 if smile > 0 else 200, 160 if smile > 0 else 340)
        outline = [ellipse((0.5, 0.5), (0.45, random.uniform(0.4, 0.5)))] if random.random() < 0.8 else []
        return outline + eyes + [mouth]
    if kind == 1:  # a tick
        return [np.array([[0, 0.55], [0.35, 0.95], [1, 0]]) + random.uniform(-0.05, 0.05, (3, 2))]
    if kind == 2:  # a circle with a cross, a dot or a bar inside
        inside = [np.array([[0.2, 0.2], [0.8, 0.8]]), np.array([[0.8, 0.2], [0.2, 0.8]])]
        if random.random() < 0.5:
            inside = [ellipse((0.5, 0.5), (0.05, 0.05), points=8)] if random.random() < 0.5 else [np.array([[0.15, 0.5], [0.85, 0.5]])]
        return [ellipse((0.5, 0.5), (0.45, 0.45))] + inside
    if kind == 3:  # a spiral
        turns = random.uniform(1.5, 3.5)
        angles = np.linspace(0, turns * 2 * math.pi, 60)
        return [np.stack([angles * np.cos(angles), angles * np.sin(angles)], axis=1)]
    if kind == 4:  # parallel lines, as on ruled paper or a tally
        count, upright = int(random.integers(2, 6)), random.random() < 0.3
        lines = [np.array([[0, row], [1, row + random.uniform(-0.05, 0.05)]]) for row in np.linspace(0, 1, count)]
        return [line[:, ::-1] for line in lines] if upright and count > 2 else lines
    # a mark scribbled out
    return scribble(random) + [np.array([[0, 0.2], [1, 0.8]]), np.array([[0, 0.8], [1, 0.2]])]


def polygon(corners: int, random: np.random.Generator) -> np.ndarray:
    """A closed outline with ``corners`` corners, turned at random and a little irregular."""
    angles = np.radians(random.uniform(0, 360) + np.arange(corners + 1) * 360 / corners)
    radii = random.uniform(0.85, 1.15, corners + 1)
    radii[-1] = radii[0]
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)


def shape(random: np.random.Generator) -> list[np.ndarray]:
    """A small drawing that is not a digit: a polygon, a sun, a flower, a cloud, a house, a bolt, a stick figure,
    an envelope, a note, a moon, a checked box, a sideways eight, a heart or an arrow."""
    kind = int(random.integers(15))
    if kind == 0:  # triangle, square, diamond, pentagon
        return [polygon(int(random.choice([3, 3, 4, 4, 5])), random)]
    if kind == 1:  # a sun: a circle and its rays
        rays = np.radians(np.arange(0, 360, random.choice([30, 45, 60])) + random.uniform(0, 30))
        return [ellipse((0, 0), (0.4, 0.4))] + [np.array([[0.55 * math.cos(a), 0.55 * math.sin(a)],
                                                          [0.95 * math.cos(a), 0.95 * math.sin(a)]]) for a in rays]
    if kind == 2:  # a flower: petals around a centre, sometimes on a stem
        count = int(random.integers(4, 8))
        petals = [ellipse((0.35 * math.cos(a), 0.35 * math.sin(a)), (0.18, 0.18), points=12)
                  for a in np.radians(np.arange(count) * 360 / count)]
        return petals + ([np.array([[0, 0.5], [0, 1.6]])] if random.random() < 0.5 else [])
    if kind == 3:  # a cloud: a bumpy closed outline
        angles = np.linspace(0, 2 * math.pi, 80)
        bumps = int(random.integers(5, 9))
        radius = 1 + 0.15 * np.abs(np.sin(angles * bumps / 2))
        return [np.stack([1.5 * radius * np.cos(angles), radius * np.sin(angles)], axis=1)]
    if kind == 4:  # a house: a box under a roof
        return [np.array([[0, 0.4], [0, 1], [1, 1], [1, 0.4], [0, 0.4], [0.5, 0], [1, 0.4]])]
    if kind == 5:  # a lightning bolt
        return [np.array([[0.6, 0], [0.2, 0.55], [0.55, 0.5], [0.3, 1], [0.8, 0.4], [0.45, 0.45], [0.7, 0]])]
    if kind == 6:  # a stick figure
        return [ellipse((0.5, 0.15), (0.12, 0.12), points=12), np.array([[0.5, 0.27], [0.5, 0.7]]),
                np.array([[0.2, 0.45], [0.8, 0.45]]), np.array([[0.3, 1], [0.5, 0.7], [0.7, 1]])]
    if kind == 7:  # an envelope
        return [np.array([[0, 0], [1.4, 0], [1.4, 0.9], [0, 0.9], [0, 0]]), np.array([[0, 0], [0.7, 0.5], [1.4, 0]])]
    if kind == 8:  # a musical note: a filled head, a stem and a flag
        heads = [ellipse((0.25, 0.85), (0.15 * scale, 0.1 * scale), points=10) for scale in (1, 0.6, 0.3)]
        return heads + [np.array([[0.4, 0.85], [0.4, 0], [0.7, 0.25]])]
    if kind == 9:  # a crescent moon
        return [np.concatenate([ellipse((0, 0), (1, 1), 60, 300), ellipse((0.45, 0), (0.8, 0.85), 290, 70)[::-1]])]
    if kind == 10:  # a box with a tick or a cross in it
        box = [np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=np.float64)]
        if random.random() < 0.5:
            return box + [np.array([[0.2, 0.55], [0.4, 0.8], [0.85, 0.2]])]
        return box + [np.array([[0.2, 0.2], [0.8, 0.8]]), np.array([[0.8, 0.2], [0.2, 0.8]])]
    if kind == 11:  # a sideways eight (infinity)
        angles = np.linspace(0, 2 * math.pi, 60)
        return [np.stack([np.sin(angles), np.sin(angles) * np.cos(angles)], axis=1)]
    if kind == 12:
        return heart(random)
    return arrow(random)


def heart(random: np.random.Generator) -> list[np.ndarray]:
    """A heart: in one stroke or as two halves, plump or narrow, sometimes with an arrow through it."""
    angles = np.linspace(0, 2 * math.pi, 60)
    width = random.uniform(0.8, 1.2)
    outline = np.stack([width * 16 * np.sin(angles) ** 3,
                        -(13 * np.cos(angles) - 5 * np.cos(2 * angles) - 2 * np.cos(3 * angles) - np.cos(4 * angles))],
                       axis=1) / 16
    strokes = [outline[:31], outline[30:]] if random.random() < 0.4 else [outline]
    if random.random() < 0.15:
        strokes += [np.array([[-1.4, 0.6], [1.4, -0.6]]), np.array([[1.1, -0.75], [1.4, -0.6], [1.2, -0.35]])]
    return strokes


def arrow(random: np.random.Generator) -> list[np.ndarray]:
    """An arrow pointing any way: straight or curved, its head open, closed or at both ends."""
    if random.random() < 0.25:  # curved, as in "turn over"
        angles = np.radians(np.linspace(200, 360 + random.uniform(-20, 40), 30))
        shaft = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    else:
        shaft = np.array([[-1.0, 0.0], [1.0, 0.0]])
    heads = [shaft[-1:] - shaft[-2:-1]] + ([shaft[:1] - shaft[1:2]] if random.random() < 0.2 else [])
    strokes = [shaft]
    for direction, tip in zip(heads, (shaft[-1], shaft[0])):
        direction = direction[0] / np.hypot(*direction[0])
        size, spread = random.uniform(0.4, 0.7), math.radians(random.uniform(25, 50))
        sides = [tip - size * (direction * math.cos(angle) + np.array([-direction[1], direction[0]]) * math.sin(angle))
                 for angle in (spread, -spread)]
        strokes.append(np.array([sides[0], tip, sides[1]] + ([sides[0]] if random.random() < 0.3 else [])))
    turn = random.uniform(0, 2 * math.pi)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return [stroke @ rotation.T for stroke in strokes]


def tablet(strokes: list[np.ndarray], random: np.random.Generator) -> list[np.ndarray]:
    """The strokes as a pen tablet with a low sampling rate keeps them: joined into one, at 6 to 16 points."""
    joined = np.concatenate(strokes)
    lengths = np.hypot(*np.diff(joined, axis=0).T)
    position = np.concatenate([[0], np.cumsum(lengths)])
    samples = np.linspace(0, position[-1], int(random.integers(6, 17)))
    return [np.stack([np.interp(samples, position, joined[:, axis]) for axis in range(2)], axis=1)]


def glyph_from(table: dict[str, str], random: np.random.Generator) -> list[np.ndarray]:
    """The strokes of a character chosen at random from ``table`` (font: the keys that draw its characters)."""
    font = str(random.choice(list(table)))
    return glyph_strokes(font, str(random.choice(list(table[font]))))


def non_digit_strokes(random: np.random.Generator) -> list[np.ndarray]:
    choice = random.random()
    if choice < 0.32:
        return glyph_strokes(str(random.choice(LETTER_FONTS)), str(random.choice(list(LETTERS))))
    if choice < 0.38:
        return glyph_strokes("greek", str(random.choice(list(GREEK_LETTERS))))
    if choice < 0.43:
        return glyph_from(CAPITALS, random)
    if choice < 0.55:
        return glyph_from(SIGNS, random)
    if choice < 0.68:
        return doodle(random)
    if choice < 0.87:
        return shape(random)
    return scribble(random)


def draw_one(label: int, random: np.random.Generator) -> Image.Image:
    if random.random() < PRINTED_SHARE:
        from digits.printed import printed

        character = str(label) if label != NOT_A_DIGIT else str(random.choice(list(PRINTED_LETTERS)))
        drawing = printed(character, random)
        return at_low_resolution(drawing, random) if random.random() < LOW_RESOLUTION_SHARE else drawing
    strokes = digit_strokes(label, random) if label != NOT_A_DIGIT else non_digit_strokes(random)
    strokes = [stroke for stroke in strokes if len(stroke) >= 2]
    if label != NOT_A_DIGIT and random.random() < TABLET_SHARE:
        strokes = tablet(strokes, random)
    return render(strokes, random, low_resolution=random.random() < LOW_RESOLUTION_SHARE)


def on_paper(drawing: Image.Image, random: np.random.Generator) -> Image.Image:
    """A drawing (light ink on black) as dark ink on paper photographed by a phone.

    Grey paper with uneven light, sometimes ruled or squared lines fainter than the ink,
    sensor noise, a little blur and JPEG compression, at 1.5 to 3 times the drawing's size.
    """
    import io

    from scipy import ndimage

    scale = random.uniform(1.5, 3.0)
    side = int(drawing.width * scale)
    ink = np.asarray(drawing.resize((side, side), Image.Resampling.BILINEAR), dtype=np.float32) / 255
    rows, columns = np.mgrid[0:side, 0:side] / side
    paper = random.uniform(0.6, 0.95) + random.uniform(-0.2, 0.2) * (rows * math.cos(random.uniform(0, 6.3))
                                                                     + columns * math.sin(random.uniform(0, 6.3)))
    lines = random.random()
    if lines < 0.5:
        spacing = side / random.uniform(2.5, 6)
        darkness = random.uniform(0.08, 0.25)
        ruled = (rows * side + random.uniform(0, spacing)) % spacing < max(1.0, side / 150)
        if lines < 0.15:
            ruled |= (columns * side + random.uniform(0, spacing)) % spacing < max(1.0, side / 150)
        paper = paper - darkness * ruled
    ink_level = random.uniform(0.05, 0.4)
    pixels = paper * (1 - ink) + ink_level * ink
    pixels = ndimage.gaussian_filter(pixels, random.uniform(0, 1.2)) + random.normal(0, random.uniform(0, 0.03),
                                                                                      pixels.shape)
    photo = Image.fromarray(np.clip(pixels * 255, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=int(random.integers(50, 95)))
    return Image.open(io.BytesIO(buffer.getvalue()))


def redraw(digit: np.ndarray, random: np.random.Generator) -> Image.Image:
    """An MNIST digit (uint8 28×28) as a form field or an old scanner gives it: cropped tight, small, few grey levels.

    The digit touches the frame, is squeezed or stretched, slanted, drawn with a thinner
    or heavier pen, and kept at 10 to 24 pixels with 2 to 16 grey levels.
    """
    from scipy import ndimage

    rows = np.flatnonzero(digit.max(axis=1) > 40)
    columns = np.flatnonzero(digit.max(axis=0) > 40)
    image = digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].astype(np.float32)
    pen = random.random()
    if pen < 0.2:
        image = ndimage.grey_dilation(np.pad(image, 1), size=(2, 2))
    elif pen < 0.35:
        image = np.clip(image * 1.6 - 120, 0, 255)  # a finer pen: keep only the stroke's core
    slant = random.uniform(-0.3, 0.3)
    padded = np.pad(image, ((0, 0), (6, 6)))
    image = ndimage.affine_transform(padded, [[1, 0], [slant, 1]], offset=[0, -slant * padded.shape[0] / 2], order=1)
    keep = np.flatnonzero(image.max(axis=0) > 40)
    image = image[:, keep[0]:keep[-1] + 1] if keep.size else image
    height = int(random.integers(10, 25))
    width = max(3, int(round(image.shape[1] * height / image.shape[0] * random.uniform(0.7, 1.4))))
    if random.random() < 0.3:
        width = height
    small = np.asarray(Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BOX), dtype=np.float32)
    levels = int(random.choice([2, 3, 4, 7, 16]))
    small = np.round(small / 255 * (levels - 1)) / (levels - 1) * 255
    return Image.fromarray((255 - small if random.random() < 0.6 else small).astype(np.uint8))


def generate_chunk(count: int, seed: int, chunk: int, mnist_images: np.ndarray,
                   mnist_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One independently seeded chunk: uint8 (count, 28, 28) model inputs and their labels."""
    from digits.preprocess import to_model_input

    random = np.random.default_rng([seed, chunk])
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    labels = np.zeros(count, dtype=np.uint8)
    for index in range(count):
        while True:
            share = random.random()
            if share < REDRAWN_SHARE:
                pick = int(random.integers(len(mnist_images)))
                label, drawing = int(mnist_labels[pick]), redraw(mnist_images[pick], random)
            else:
                label = NOT_A_DIGIT if share < REDRAWN_SHARE + NON_DIGIT_SHARE else int(random.integers(10))
                drawing = draw_one(label, random)
                if random.random() < PAPER_SHARE and drawing.width >= 28:
                    drawing = on_paper(drawing, random)
            try:
                images[index] = np.round(to_model_input(drawing) * 255).astype(np.uint8)
                labels[index] = label
                break
            except ValueError:  # NoDigitError included: the drawing is declined, draw another
                continue
    return images, labels


def training_set(count: int, seed: int, mnist_images: np.ndarray, mnist_labels: np.ndarray,
                 workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``count`` drawn model inputs, uint8 (N, 28, 28), and labels uint8 (N,); cached under the data cache.

    ``mnist_images``/``mnist_labels`` are the MNIST images that may be redrawn: the
    training part only, never the validation split or the test set. The cache key holds
    their checksum, so a different split draws a new set.
    """
    import hashlib
    from concurrent.futures import ProcessPoolExecutor

    from digits.data import cache_path
    from digits.files import atomic_path

    key = hashlib.sha256(mnist_images.tobytes() + mnist_labels.tobytes()).hexdigest()[:12]
    path = cache_path().with_name(f"synthetic-v{VERSION}-{count}-seed{seed}-{key}.npz")
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            return stored["images"], stored["labels"]
    sizes = [min(CHUNK, count - start) for start in range(0, count, CHUNK)]
    arguments = [(size, seed, chunk, mnist_images, mnist_labels) for chunk, size in enumerate(sizes)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(generate_chunk, *zip(*arguments)))
    else:
        parts = [generate_chunk(*argument) for argument in arguments]
    images = np.concatenate([part[0] for part in parts])
    labels = np.concatenate([part[1] for part in parts])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, images=images, labels=labels)
    return images, labels
