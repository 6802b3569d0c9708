"""Printed characters: digits and letters set in type, as counters, labels and forms print them.

The drawn set's other digits are pen strokes; a meter's wheel or a price label is type,
with serifs, even strokes and narrow windows. The faces (TrueType and OpenType) come from
small font packages on PyPI (SIL Open Font License or Apache 2.0), one family each: Lato, Source Serif Pro,
Caladea, Red Hat Display, Hanken Grotesk, Manrope and Fjalla One. The benchmark's printed
meters are set in matplotlib's faces (DejaVu, Computer Modern, STIX), and
``bench/printed_characters.py`` in Debian's Liberation faces, which no training image uses,
so those still measure faces the models never met.

``printed(character, random)`` returns light type on black, set in a random face of a
random family at a random size, squeezed as a counter's window squeezes it, slanted and
turned a little, like ``digits.synthetic.render``'s drawings.
"""

from __future__ import annotations

import importlib.util
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PACKAGES = ("font_lato", "font_source_serif_pro", "font_caladea", "font_rhd", "font_hanken_grotesk",
                 "font_manrope", "font_fjallaone")


@lru_cache(maxsize=None)
def families() -> tuple[tuple[Path, ...], ...]:
    """Each family's face files (TrueType where OpenType has the same name; variable faces left out).

    Every package is needed: a set drawn with fewer families would be cached under the same name.
    """
    found, missing = [], []
    for package in FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        folder = Path(locations[0]) / "files" if locations else None
        by_name: dict[str, Path] = {}
        for path in (sorted(folder.glob("*.otf")) + sorted(folder.glob("*.ttf"))) if folder else []:
            if "Variable" not in path.stem:
                by_name[path.stem] = path  # .ttf replaces .otf of the same name
        if by_name:
            found.append(tuple(by_name[name] for name in sorted(by_name)))
        else:
            missing.append(package.replace("_", "-"))
    if missing:
        raise RuntimeError(f"no faces for printed digits from {', '.join(missing)}: pip install {' '.join(missing)}")
    return tuple(found)


@lru_cache(maxsize=512)
def face(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def printed(character: str, random: np.random.Generator) -> Image.Image:
    """``character`` as light type on black: random family, face, size, ink, squeeze, slant and turn."""
    family = families()[int(random.integers(len(families())))]
    font = face(family[int(random.integers(len(family)))], int(random.integers(28, 97)))
    left, top, right, bottom = font.getbbox(character)
    height = max(bottom - top, 1)
    margin = height // 2 + 4
    side = max(right - left, bottom - top) + 2 * margin
    image = Image.new("L", (side, side), 0)
    heavier = int(random.integers(0, 3)) if random.random() < 0.2 else 0
    ink = int(random.uniform(150, 255))
    ImageDraw.Draw(image).text(((side - (right - left)) / 2 - left, (side - (bottom - top)) / 2 - top), character,
                               font=font, fill=ink, stroke_width=heavier, stroke_fill=ink)
    squeeze = random.uniform(0.45, 1.2) if random.random() < 0.4 else random.uniform(0.85, 1.15)
    slant, turn = random.uniform(-0.2, 0.2), math.radians(random.uniform(-6, 6))
    forward = np.array([[squeeze, slant], [0, 1]]) @ np.array([[math.cos(turn), -math.sin(turn)],
                                                               [math.sin(turn), math.cos(turn)]])
    inverse = np.linalg.inv(forward)
    centre = np.array([side / 2, side / 2])
    offset = centre - inverse @ centre
    return image.transform((side, side), Image.Transform.AFFINE,
                           (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1]),
                           resample=Image.Resampling.BILINEAR)
