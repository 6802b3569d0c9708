"""Printed digits and letters on paper, in faces no training image and no other bench uses.

Each character is set dark on light paper, at 40-89 pixels, with a random margin, in every
face of Debian's Liberation fonts (Sans, Serif, Mono, Sans Narrow: regular, bold, italic, bold italic;
package ``fonts-liberation``, which Chromium's package pulls in). Digits count as right when
read right; letters and signs when declined as "not a digit". The letters include the
printed forms a hand makes like digits (S, Z, B, G, g, T, J, L) and the ones the drawn set
teaches in strokes.

Run: cd bench && ../.venv/bin/python printed_characters.py [--model default accurate]
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digits.predict import recognise
from digits.recognisers import load_recogniser

FACES_FOLDER = Path("/usr/share/fonts/truetype/liberation")
LETTERS = "SZBGgTJLAEFHKMNPRUVWXYacefhkmnprtuvwxy?&#@"
SEED = 7


def on_paper(character: str, face: str, random: np.random.Generator) -> Image.Image:
    font = ImageFont.truetype(face, int(random.integers(40, 90)))
    left, top, right, bottom = font.getbbox(character)
    width = right - left + int(random.integers(10, 60))
    height = bottom - top + int(random.integers(10, 60))
    image = Image.new("L", (width, height), int(random.integers(200, 256)))
    ImageDraw.Draw(image).text(((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top), character,
                               font=font, fill=int(random.integers(0, 60)))
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["default"], help="model files or shipped names")
    arguments = parser.parse_args()
    faces = sorted(str(path) for path in FACES_FOLDER.glob("*.ttf"))
    if not faces:
        sys.exit(f"no fonts in {FACES_FOLDER}: apt-get install fonts-liberation")
    random = np.random.default_rng(SEED)
    digits, letters = [], []
    for face in faces:
        digits += [(digit, on_paper(str(digit), face, random)) for digit in range(10)]
        letters += [(letter, on_paper(letter, face, random)) for letter in LETTERS]
    print(f"{len(faces)} faces: {len(digits)} digits, {len(letters)} letters and signs")
    print("| model | digits read right | letters and signs declined | most often read as a digit |")
    print("|---|---|---|---|")
    for model in arguments.model:
        recogniser = load_recogniser(model)
        read = recognise([image for _, image in digits], recogniser)
        right = sum(answer.digit == digit for answer, (digit, _) in zip(read, digits))
        answers = recognise([image for _, image in letters], recogniser)
        taken = Counter(letter for answer, (letter, _) in zip(answers, letters) if answer.digit is not None)
        declined = len(letters) - sum(taken.values())
        worst = ", ".join(f"{letter} {count}" for letter, count in taken.most_common(6)) or "none"
        print(f"| {model} | {right}/{len(digits)} ({100 * right / len(digits):.1f} %) | "
              f"{declined}/{len(letters)} ({100 * declined / len(letters):.1f} %) | {worst} |")


if __name__ == "__main__":
    main()
