from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digits.dots import dotted_rows, without_dotted_rows
from digits.predict import recognise_numbers

IMAGES = Path(__file__).parent / "images"


def page(dots: list[tuple[float, float]], diameter: int = 6) -> np.ndarray:
    """Ink (white on black): a drawn 6 and 9 beside dots at ``dots`` (row, column centres)."""
    image = Image.new("L", (320, 360), 0)
    draw = ImageDraw.Draw(image)
    draw.arc([80, 120, 150, 220], 0, 360, fill=255, width=9)
    draw.line([(150, 60), (95, 150)], fill=255, width=9)
    draw.ellipse([190, 110, 260, 170], outline=255, width=9)
    draw.line([(258, 140), (240, 240)], fill=255, width=9)
    for row, column in dots:
        draw.ellipse([column - diameter / 2, row - diameter / 2, column + diameter / 2, row + diameter / 2], fill=255)
    return np.asarray(image, dtype=np.float32) / 255


def test_a_column_of_punched_holes_goes_and_the_writing_stays():
    holes = [(30 + 13 * index, 20 + 0.4 * index) for index in range(24)]
    ink = page(holes)
    kept = without_dotted_rows(ink)
    assert not (kept[:, :30] > 0.3).any()
    np.testing.assert_array_equal(kept[:, 60:], ink[:, 60:])


def test_a_row_with_a_missing_hole_is_still_a_row():
    holes = [(300, 40 + 14 * index) for index in range(16) if index != 7]
    assert dotted_rows(page(holes) > 0.3) is not None


def test_a_colon_an_ellipsis_and_dots_on_a_curve_are_no_row():
    colon = [(150, 30), (180, 30)]
    ellipsis = [(300, 40), (300, 54), (300, 68)]
    assert dotted_rows(page(colon + ellipsis) > 0.3) is None
    # A stroke broken by a skipping pen lies along a curve, not a line.
    curve = [(60 + 90 * np.sin(angle), 160 + 90 * np.cos(angle)) for angle in np.linspace(0.3, 2.8, 8)]
    assert dotted_rows(page(curve) > 0.3) is None
    # Dots of unlike sizes, or spaced unevenly, are no row either.
    uneven = [(320, 40), (320, 52), (320, 90), (320, 100), (320, 160), (320, 170)]
    assert dotted_rows(page(uneven) > 0.3) is None


def test_a_number_on_a_punched_notebook_page_is_read():
    # The holes show the dark desk through the page: a column of dots beside the writing,
    # read as digits ("1777758" for 58).
    photo = Image.open(IMAGES / "number-on-a-punched-notebook-page-58.jpg")
    assert recognise_numbers([photo])[0].number == "58"
